package generate

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"pgregory.net/rapid"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/specs"
)

// Input is one generated request to an operation.
type Input struct {
	Op         *specs.Operation
	PathParams map[string]string
	Query      url.Values
	Header     http.Header // the operation's header parameters (credentials are added by Request)
	// Body is the JSON body (nil: none), of media type ContentType.
	Body        []byte
	ContentType string
	// Violation names the one way the request breaks its schema ("query.pageSize: above maximum");
	// "" for a schema-valid request.
	Violation string

	body    any
	hasBody bool
}

// Request is the input as the suite sends it, with the API token when the operation needs one.
func (in Input) Request(token string) contract.Request {
	h := in.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if in.Body != nil {
		h.Set("Content-Type", in.ContentType)
	}
	if in.Op.Protected() && token != "" {
		h.Set("x-token", token)
	}
	return contract.Request{Op: in.Op, PathParams: in.PathParams, Query: in.Query, Header: h, Body: in.Body}
}

// Draw generates an input for op: schema-valid, or (violate) breaking the schema in exactly one
// of the ways Violations lists. Known values are drawn with some probability.
func Draw(t *rapid.T, op *specs.Operation, known Known, violate bool) Input {
	in := Input{Op: op, PathParams: map[string]string{}, Query: url.Values{}, Header: http.Header{}}
	for _, p := range parameters(op) {
		if p.In == openapi3.ParameterInCookie {
			continue
		}
		label := p.In + "." + p.Name
		if p.In == openapi3.ParameterInPath {
			in.PathParams[p.Name] = pathValue(t, p, label, known)
			continue
		}
		if need, ok := upstreamRequires[op.ID()+"."+p.Name]; ok {
			in.set(p, []string{need(t, label, known)})
			continue
		}
		if !p.Required && !rapid.Bool().Draw(t, label+"#present") {
			continue
		}
		in.set(p, formatParam(value(t, schemaOf(p), label, known, 0)))
	}
	if mt, s := bodySchema(op); s != nil {
		in.ContentType = mt
		if op.Operation.RequestBody.Value.Required || rapid.Bool().Draw(t, "body#present") {
			in.body, in.hasBody = value(t, s, "body", known, 0), true
		}
	}
	if violate {
		vs := Violations(op)
		if len(vs) == 0 {
			t.Skip("no way to break the schema of " + op.ID())
		}
		v := rapid.SampledFrom(vs).Draw(t, "violation")
		in.Violation = v.Name
		v.apply(t, &in, known)
	}
	if in.hasBody {
		b, err := json.Marshal(in.body)
		if err != nil {
			panic(fmt.Sprintf("generate: a drawn body does not marshal: %v", err))
		}
		if raw, ok := in.body.(rawJSON); ok {
			b = []byte(raw)
		}
		in.Body = b
	}
	return in
}

// rawJSON is a body sent as it is (not JSON at all).
type rawJSON string

func (in *Input) set(p *openapi3.Parameter, v []string) {
	switch p.In {
	case openapi3.ParameterInQuery:
		in.Query[p.Name] = v
	case openapi3.ParameterInHeader:
		in.Header[http.CanonicalHeaderKey(p.Name)] = v
	}
}

func (in *Input) unset(p *openapi3.Parameter) {
	switch p.In {
	case openapi3.ParameterInQuery:
		in.Query.Del(p.Name)
	case openapi3.ParameterInHeader:
		in.Header.Del(p.Name)
	}
}

// pathValue draws a path parameter: mostly a known value, else a fresh one; never empty, "." or "..", which
// are no value of a path segment.
func pathValue(t *rapid.T, p *openapi3.Parameter, label string, known Known) string {
	return rapid.Custom(func(t *rapid.T) string {
		// Two in three aim at the world's entity (what a shrunk example falls back to).
		if k := known[p.Name]; len(k) > 0 && rapid.IntRange(0, 2).Draw(t, p.Name+"#aim") < 2 {
			return rapid.SampledFrom(k).Draw(t, p.Name)
		}
		v := formatParam(value(t, schemaOf(p), p.Name, known, 0))
		return strings.Join(v, ",")
	}).Filter(func(v string) bool { return v != "" && v != "." && v != ".." }).Draw(t, label)
}

// formatParam renders a parameter's value (form style: an array is repeated).
func formatParam(v any) []string {
	switch x := v.(type) {
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, formatParam(e)...)
		}
		return out
	case string:
		return []string{x}
	case int64:
		return []string{strconv.FormatInt(x, 10)}
	case float64:
		return []string{strconv.FormatFloat(x, 'g', -1, 64)}
	case bool:
		return []string{strconv.FormatBool(x)}
	default:
		b, _ := json.Marshal(x)
		return []string{string(b)}
	}
}

// parameters are the operation's parameters, the path item's overridden by the operation's.
func parameters(op *specs.Operation) []*openapi3.Parameter {
	byKey := map[string]*openapi3.Parameter{}
	var order []string
	for _, list := range []openapi3.Parameters{op.PathItem.Parameters, op.Operation.Parameters} {
		for _, ref := range list {
			p := ref.Value
			k := p.In + "/" + p.Name
			if _, ok := byKey[k]; !ok {
				order = append(order, k)
			}
			byKey[k] = p
		}
	}
	out := make([]*openapi3.Parameter, 0, len(order))
	for _, k := range order {
		out = append(out, byKey[k])
	}
	return out
}

func schemaOf(p *openapi3.Parameter) *openapi3.Schema {
	if p.Schema == nil {
		return nil
	}
	return p.Schema.Value
}

// bodySchema is the operation's JSON request body schema and its media type (JSON preferred).
func bodySchema(op *specs.Operation) (string, *openapi3.Schema) {
	rb := op.Operation.RequestBody
	if rb == nil || rb.Value == nil {
		return "", nil
	}
	if mt := rb.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
		return "application/json", mt.Schema.Value
	}
	for name, mt := range rb.Value.Content {
		if strings.HasSuffix(name, "+json") && mt.Schema != nil {
			return name, mt.Schema.Value
		}
	}
	return "", nil
}
