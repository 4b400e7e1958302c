package contract

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/specs"
)

// The checks a problem can come from. They are stable: reports and the self-test name them.
const (
	CheckTransport        = "transport"         // no answer at all
	CheckServerError      = "no-server-error"   // a 5xx
	CheckStatusDocumented = "status-documented" // a status the operation does not document
	CheckStatusExpected   = "status-expected"   // a documented status, but not the one due
	CheckContentType      = "content-type"      // a body of an undocumented media type
	CheckBodySchema       = "body-schema"       // a body that does not match its schema
	CheckBodyUnexpected   = "body-unexpected"   // a body where the spec documents none
	CheckBodyUndeclared   = "body-undeclared"   // a response property its schema does not declare
	CheckHeaders          = "headers"           // a documented header missing or malformed
	CheckBehaviour        = "behaviour"         // the answer contradicts what the suite did
	CheckRequest          = "suite-request"     // the suite's own request breaks the spec (a suite bug)
)

// Problem is one way an exchange breaks the contract.
type Problem struct {
	Check string
	// Where points into the answer: a JSON pointer into the body, or a header name.
	Where   string
	Message string
	// Grade is the problem's own level and source when it is weaker than its check's: a MUST
	// check can find SHOULD problems (zero: the grade of the check that found it).
	Grade grade.Grade
}

func (p Problem) String() string {
	tag := p.Check
	if p.Grade.Level != "" {
		tag += " " + string(p.Grade.Level)
	}
	if p.Where != "" {
		return fmt.Sprintf("[%s] at %s: %s", tag, p.Where, p.Message)
	}
	return fmt.Sprintf("[%s] %s", tag, p.Message)
}

// uriReference is RFC 3986's character set for a URI reference.
var uriReference = regexp.MustCompile(`^(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$`)

func init() {
	openapi3.DefineStringFormatValidator("uri-reference", openapi3.NewCallbackValidator(func(s string) error {
		if !uriReference.MatchString(s) {
			return errors.New("not a URI reference (RFC 3986)")
		}
		return nil
	}))
	openapi3filter.RegisterBodyDecoder("application/cloudevents+json", openapi3filter.JSONBodyDecoder)
}

func (ex *Exchange) route() *routers.Route {
	op := ex.Op
	return &routers.Route{
		Spec: op.Doc.Spec, Server: op.Doc.Spec.Servers[0], Path: op.Path,
		PathItem: op.PathItem, Method: op.Method, Operation: op.Operation,
	}
}

// ValidateResponse checks the answer: there is one, it is not a 5xx, and (for an operation) its
// status is documented, its content type and body match the documented response, with every
// schema error reported, and its documented headers are present and well formed.
func ValidateResponse(ex *Exchange) []Problem {
	if ex.Response == nil || ex.Err != nil {
		return []Problem{{Check: CheckTransport, Message: fmt.Sprintf("no complete answer: %v", ex.Err)}}
	}
	var out []Problem
	if ex.Status() >= 500 {
		out = append(out, Problem{Check: CheckServerError, Message: fmt.Sprintf("the gateway answered %d: a server error is never conformant", ex.Status())})
	}
	if ex.Op == nil {
		return out
	}
	status := ex.Status()
	responses := ex.Op.Operation.Responses
	ref := responses.Status(status)
	if ref == nil {
		ref = responses.Default()
	}
	if ref == nil {
		return append(out, Problem{Check: CheckStatusDocumented, Message: fmt.Sprintf("status %d is not documented for %s (documented: %s)", status, ex.Op.ID(), strings.Join(DocumentedStatuses(ex.Op.Operation), ", "))})
	}
	// A response documented without content must come without a body.
	if len(ref.Value.Content) == 0 && len(bytes.TrimSpace(ex.RespBody)) > 0 {
		out = append(out, Problem{Check: CheckBodyUnexpected, Message: fmt.Sprintf("status %d is documented without a body, but the answer has %d bytes", status, len(ex.RespBody))})
	}
	if len(ref.Value.Content) > 0 && len(bytes.TrimSpace(ex.RespBody)) == 0 {
		if why := specs.EmptyBodyUpstream(ref.Value); why != "" {
			return append(out, Problem{Check: CheckBodySchema, Grade: EmptyBodyGrade(why), Message: fmt.Sprintf("status %d comes without the body the spec documents", status)})
		}
	}
	if len(ref.Value.Content) > 0 {
		ct := ex.Response.Header.Get("Content-Type")
		mt, _, err := mime.ParseMediaType(ct)
		if ct == "" || err != nil || ref.Value.Content.Get(mt) == nil {
			out = append(out, Problem{Check: CheckContentType, Where: "Content-Type", Message: fmt.Sprintf("%q is not a documented media type for status %d (documented: %s)", ct, status, strings.Join(mediaTypes(ref.Value.Content), ", "))})
			return out
		}
	}
	body, nulls := nullArrays(ex, ref.Value)
	out = append(out, nulls...)
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: ex.Request, PathParams: ex.PathParams, Route: ex.route()},
		Status:                 status,
		Header:                 ex.Response.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		out = append(out, responseProblems(err)...)
	}
	return out
}

// EmptyBodyGrade is the grade of an answer without the body its response documents, where upstream
// 0.7.3 answers so (why): a finding, since upstream's own services, the callers of these operations,
// read nothing from it.
func EmptyBodyGrade(why string) grade.Grade {
	return grade.Grade{Level: grade.Should, Source: grade.Ours("the spec documents a body, but " + why + ", and the Keptn services that call it read none: answer it")}
}

// PermitsEmptyBody says an exchange's answer has no body where upstream 0.7.3 answers so: the
// answer's body then holds nothing a case can expect.
func PermitsEmptyBody(ex *Exchange) bool {
	if ex == nil || ex.Op == nil || ex.Response == nil || len(bytes.TrimSpace(ex.RespBody)) > 0 {
		return false
	}
	ref := ex.Op.Operation.Responses.Status(ex.Status())
	return ref != nil && specs.EmptyBodyUpstream(ref.Value) != ""
}

// NullArrayGrade is the grade of a null where the schema documents an array.
var NullArrayGrade = grade.Grade{Level: grade.Should, Source: grade.Ours("upstream's go-swagger services write an empty list as null (a nil Go slice), and Keptn's own clients read it as empty; JSON Schema's array excludes null, so a client generated from the spec may not: answer []")}

// nullArrays is the answer's body with every null that stands where its schema documents an array
// (not nullable) read as the empty list, as upstream's own services write one, and a problem at
// NullArrayGrade for each: the schema check then judges the rest of the answer.
func nullArrays(ex *Exchange, resp *openapi3.Response) ([]byte, []Problem) {
	mt, _, _ := mime.ParseMediaType(ex.Response.Header.Get("Content-Type"))
	media := resp.Content.Get(mt)
	if media == nil || media.Schema == nil || !ContentTypeIsJSON(ex.Response.Header) || !bytes.Contains(ex.RespBody, []byte("null")) {
		return ex.RespBody, nil
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(ex.RespBody))
	dec.UseNumber()
	if dec.Decode(&doc) != nil {
		return ex.RespBody, nil // the schema check reports a body that is not JSON
	}
	var out []Problem
	doc = emptyNulls(doc, media.Schema.Value, "", &out)
	if len(out) == 0 {
		return ex.RespBody, nil
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return ex.RespBody, nil
	}
	return b, out
}

func emptyNulls(v any, s *openapi3.Schema, at string, out *[]Problem) any {
	if s == nil {
		return v
	}
	switch t := v.(type) {
	case nil:
		if s.Type.Is(openapi3.TypeArray) && !s.Nullable {
			*out = append(*out, Problem{Check: CheckBodySchema, Where: cmp.Or(at, "/"), Grade: NullArrayGrade, Message: "null where the schema documents an array: an empty list is []"})
			return []any{}
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(t)) {
			x := t[k]
			where := propertyPointer(at, k)
			if p, ok := s.Properties[k]; ok && p != nil {
				t[k] = emptyNulls(x, p.Value, where, out)
			} else if s.AdditionalProperties.Schema != nil {
				t[k] = emptyNulls(x, s.AdditionalProperties.Schema.Value, where, out)
			}
		}
		for _, sub := range s.AllOf {
			if sub != nil {
				v = emptyNulls(v, sub.Value, at, out)
			}
		}
	case []any:
		if s.Items != nil {
			for i, x := range t {
				t[i] = emptyNulls(x, s.Items.Value, at+"/"+strconv.Itoa(i), out)
			}
		}
	}
	return v
}

// propertyPointer is the JSON pointer (RFC 6901) of the property k of the value at at.
func propertyPointer(at, k string) string {
	return at + "/" + strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}

// UndeclaredGrade is the grade of a response property its schema does not declare.
var UndeclaredGrade = grade.Grade{Level: grade.Should, Source: grade.Ours("schema validation cannot see a property its schema does not declare (additionalProperties is open): a documented optional property answered under another name goes unnoticed")}

// UndeclaredProperties reports, at UndeclaredGrade, every property of a JSON answer that its
// documented response schema does not declare: in each object whose schema declares properties
// and says nothing of additionalProperties. A schema of alternatives (anyOf, oneOf, allOf, not),
// one without properties (a free object) and a map's (additionalProperties a schema) are not
// judged beyond what they declare.
func UndeclaredProperties(ex *Exchange) []Problem {
	if ex.Op == nil || ex.Response == nil || ex.Err != nil || !ContentTypeIsJSON(ex.Response.Header) {
		return nil
	}
	ref := ex.Op.Operation.Responses.Status(ex.Status())
	if ref == nil {
		ref = ex.Op.Operation.Responses.Default()
	}
	mt, _, _ := mime.ParseMediaType(ex.Response.Header.Get("Content-Type"))
	if ref == nil || ref.Value.Content.Get(mt) == nil || ref.Value.Content.Get(mt).Schema == nil {
		return nil
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(ex.RespBody))
	dec.UseNumber()
	if dec.Decode(&doc) != nil {
		return nil // the schema check reports a body that is not JSON
	}
	var out []Problem
	undeclared(doc, ref.Value.Content.Get(mt).Schema.Value, "", &out)
	return out
}

func undeclared(v any, s *openapi3.Schema, at string, out *[]Problem) {
	if s == nil || len(s.AnyOf) > 0 || len(s.OneOf) > 0 || len(s.AllOf) > 0 || s.Not != nil {
		return
	}
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			where := propertyPointer(at, k)
			switch p, ok := s.Properties[k]; {
			case ok:
				undeclared(t[k], p.Value, where, out)
			case s.AdditionalProperties.Schema != nil:
				undeclared(t[k], s.AdditionalProperties.Schema.Value, where, out)
			case len(s.Properties) > 0 && s.AdditionalProperties.Has == nil:
				*out = append(*out, Problem{Check: CheckBodyUndeclared, Where: where, Grade: UndeclaredGrade,
					Message: fmt.Sprintf("property %q is not declared by the schema (declared: %s)", k, strings.Join(slices.Sorted(maps.Keys(s.Properties)), ", "))})
			}
		}
	case []any:
		if s.Items != nil {
			for i, x := range t {
				undeclared(x, s.Items.Value, at+"/"+strconv.Itoa(i), out)
			}
		}
	}
}

func responseProblems(err error) []Problem {
	var re *openapi3filter.ResponseError
	if !errors.As(err, &re) {
		return []Problem{{Check: CheckBodySchema, Message: err.Error()}}
	}
	switch {
	case strings.Contains(re.Reason, "status is not supported"):
		return []Problem{{Check: CheckStatusDocumented, Message: re.Reason}}
	case strings.Contains(re.Reason, "header"):
		return []Problem{{Check: CheckHeaders, Message: flatMessage(err)}}
	case strings.Contains(re.Reason, "Content-Type") || strings.Contains(re.Reason, "content type"):
		return []Problem{{Check: CheckContentType, Where: "Content-Type", Message: re.Reason}}
	case strings.Contains(re.Reason, "failed to decode"):
		return []Problem{{Check: CheckBodySchema, Message: "the body does not decode as the documented media type: " + flatMessage(re.Err)}}
	}
	var out []Problem
	for _, se := range schemaErrors(re.Err) {
		out = append(out, Problem{Check: CheckBodySchema, Where: pointer(se.JSONPointer()), Message: schemaMessage(se)})
	}
	if len(out) == 0 {
		out = append(out, Problem{Check: CheckBodySchema, Message: flatMessage(err)})
	}
	return out
}

// schemaErrors flattens kin-openapi's (multi) errors into the individual schema errors.
func schemaErrors(err error) []*openapi3.SchemaError {
	var out []*openapi3.SchemaError
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		var me openapi3.MultiError
		if errors.As(err, &me) {
			for _, e := range me {
				walk(e)
			}
			return
		}
		var se *openapi3.SchemaError
		if errors.As(err, &se) {
			out = append(out, se)
		}
	}
	walk(err)
	return out
}

func schemaMessage(se *openapi3.SchemaError) string {
	msg := se.Reason
	if se.SchemaField != "" {
		msg += fmt.Sprintf(" (schema keyword %q)", se.SchemaField)
	}
	if se.Value != nil {
		v := fmt.Sprintf("%v", se.Value)
		if len(v) > 120 {
			v = v[:120] + "..."
		}
		msg += fmt.Sprintf("; value: %s", v)
	}
	return msg
}

func pointer(parts []string) string {
	if len(parts) == 0 {
		return "/"
	}
	return "/" + strings.Join(parts, "/")
}

func flatMessage(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	s = strings.ReplaceAll(s, "\n", " ")
	return s
}

func mediaTypes(c openapi3.Content) []string {
	var out []string
	for k := range c {
		out = append(out, k)
	}
	return out
}

// DocumentedStatuses lists the statuses an operation documents ("default" included).
func DocumentedStatuses(op *openapi3.Operation) []string {
	var out []string
	for code := range op.Responses.Map() {
		out = append(out, code)
	}
	sort.Strings(out)
	return out
}

// ValidateRequest checks the suite's own request against the operation (parameters, body
// schema, content type), so that a broken fixture is reported as a suite bug.
func ValidateRequest(ex *Exchange) []Problem {
	if ex.Op == nil {
		return nil
	}
	req := ex.Request.Clone(context.Background())
	req.Body = io.NopCloser(bytes.NewReader(ex.ReqBody))
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: ex.PathParams, Route: ex.route(),
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		return []Problem{{Check: CheckRequest, Message: "the suite's request breaks the spec (a bug in the suite or its fixtures, not in the gateway): " + flatMessage(err)}}
	}
	return nil
}

// ContentTypeIsJSON reports whether a header value names JSON.
func ContentTypeIsJSON(h http.Header) bool {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}
