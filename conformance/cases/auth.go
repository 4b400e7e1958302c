package cases

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"unicode"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/specs"
)

// Check names of the authentication and session profiles.
const (
	CheckUnauthorized = "auth-401"         // a request without valid credentials was not refused with 401
	CheckErrorModel   = "auth-error-model" // a 401 without the JSON error model, or with resource data
)

// Variant is a way to present wrong credentials. Apply changes a request that carries the right
// ones (token is the valid token).
type Variant struct {
	Name  string
	Apply func(r *contract.Request, token string)
}

func dropCredentials(r *contract.Request) {
	r.Header.Del("x-token")
	r.Header.Del("Cookie")
	r.Header.Del("Authorization")
}

// TokenVariants are the wrong ways to present the API token; each must get 401.
func TokenVariants() []Variant {
	set := func(v string) func(*contract.Request, string) {
		return func(r *contract.Request, _ string) { dropCredentials(r); r.Header.Set("x-token", v) }
	}
	return append([]Variant{
		{"no x-token header", func(r *contract.Request, _ string) { dropCredentials(r) }},
		{"an empty x-token", set("")},
		{"a wrong token", set("wrong-token-of-keptn-conformance")},
		{"the token with its letters' case changed", func(r *contract.Request, t string) { dropCredentials(r); r.Header.Set("x-token", swapCase(t)) }},
		// HTTP strips spaces and tabs around header values (RFC 9110 OWS), so the whitespace a
		// gateway could wrongly trim, and a client can send, is Unicode's: no-break spaces.
		{"the token between no-break spaces", func(r *contract.Request, t string) {
			dropCredentials(r)
			r.Header.Set("x-token", "\u00a0"+t+"\u00a0")
		}},
		{"the token in the query string instead of the header", func(r *contract.Request, t string) {
			dropCredentials(r)
			if r.Query == nil {
				r.Query = url.Values{}
			}
			for _, k := range []string{"x-token", "token", "api-token", "apiToken"} {
				r.Query.Set(k, t)
			}
		}},
		{"the token as Authorization: Bearer", func(r *contract.Request, t string) { dropCredentials(r); r.Header.Set("Authorization", "Bearer "+t) }},
		{"the token twice, once wrong", func(r *contract.Request, t string) {
			dropCredentials(r)
			r.Header.Add("x-token", "wrong-token-of-keptn-conformance")
			r.Header.Add("x-token", t)
		}},
	}, derivedVariants()...)
}

// derivedVariants are tokens made from the valid one: near misses a gateway that compares only a
// prefix, a suffix or a part, or that trims or cuts what it was given, would take for it. Each is
// not the token, so each is no credential (upstream's x-token scheme: the token, or 401). Every
// derivation differs from any token of at least one character.
func derivedVariants() []Variant {
	derived := func(name string, derive func(t string) string) Variant {
		return Variant{name, func(r *contract.Request, t string) { dropCredentials(r); r.Header.Set("x-token", derive(t)) }}
	}
	// cut is a proper prefix of t of at most n bytes: never the token itself.
	cut := func(t string, n int) string { return t[:max(0, min(n, len(t)-1))] }
	return []Variant{
		derived("the token with a character appended", func(t string) string { return t + "A" }),
		derived("the token with a prefix (x-token: Bearer <token>)", func(t string) string { return "Bearer " + t }),
		derived("the token without its last character", func(t string) string { return cut(t, len(t)-1) }),
		derived("only the first half of the token", func(t string) string { return cut(t, len(t)/2) }),
		derived("only the first 8 characters of the token", func(t string) string { return cut(t, 8) }),
		derived("the token with base64 padding appended (=)", func(t string) string { return t + "=" }),
		derived("the token with its last character changed", func(t string) string {
			last := byte('0')
			if strings.HasSuffix(t, "0") {
				last = '1'
			}
			return t[:len(t)-1] + string(last)
		}),
	}
}

// OldTokenVariant presents a token that was valid before a rotation.
func OldTokenVariant(old string) Variant {
	return Variant{"the token from before the rotation", func(r *contract.Request, _ string) {
		dropCredentials(r)
		r.Header.Set("x-token", old)
	}}
}

func swapCase(s string) string {
	b := []rune(s)
	for i, c := range b {
		switch {
		case unicode.IsUpper(c):
			b[i] = unicode.ToLower(c)
		case unicode.IsLower(c):
			b[i] = unicode.ToUpper(c)
		}
	}
	return string(b)
}

// AuthCase is one protected operation of the token matrix, with the catalogue case whose request
// (and world) it reuses.
type AuthCase struct {
	Op   string
	Base Case
	// ErrorModel says the check judges the 401's body (the JSON error model) as well as its status.
	ErrorModel bool
	// Grade is the check's level and source; the zero value: MUST, on the operation's upstream 401.
	Grade grade.Grade
}

// Name is the spec text of the operation's matrix.
func (a AuthCase) Name() string {
	switch {
	case a.Grade.Level == grade.Should:
		return a.Op + " SHOULD answer its 401 with the JSON error model to every wrong way of presenting the token"
	case !a.ErrorModel:
		return a.Op + " MUST answer 401 to every wrong way of presenting the token"
	}
	return a.Op + " MUST answer 401 with the JSON error model to every wrong way of presenting the token"
}

// jsonEverywhere is why the suite recommends the JSON 401 where upstream documents no 401.
const jsonEverywhere = "the keptn CLI cannot parse an HTML 401 (\"invalid character '<'\"); upstream's front answers one on these routes"

// TokenMatrix lists every operation protected by the x-token scheme, from the specs' security
// requirements: a new operation is covered without new code. Each reuses the operation's first
// successful catalogue case, so the request is otherwise valid and names things that exist.
func TokenMatrix() ([]AuthCase, error) {
	ops, err := specs.AllOperations()
	if err != nil {
		return nil, err
	}
	first := map[string]Case{}
	for _, c := range All() {
		if _, ok := first[c.Op]; ok || c.Negative || len(c.Status) == 0 || c.Status[0] >= 300 {
			continue
		}
		first[c.Op] = c
	}
	var out []AuthCase
	for _, op := range ops {
		if !usesScheme(op, "x-token") {
			continue
		}
		base, ok := first[op.ID()]
		if !ok {
			return nil, fmt.Errorf("protected operation %s has no successful case to build its matrix on", op.ID())
		}
		base.Probes, base.Expect, base.Serial = nil, nil, false
		if op.Operation.Responses.Value("401") != nil {
			out = append(out, AuthCase{Op: op.ID(), Base: base, ErrorModel: true})
			continue
		}
		// No 401 documented (configuration-service and datastore, as upstream): the gateway's auth
		// subrequest refuses with 401, and the JSON error model is a recommendation.
		out = append(out,
			AuthCase{Op: op.ID(), Base: base, Grade: grade.Grade{Level: grade.Must, Source: grade.Docs("Keptn 0.7 api-gateway-nginx: an auth subrequest to /api/v1/auth guards the route; not 2xx is 401 (facts §1, §2)")}},
			AuthCase{Op: op.ID(), Base: base, ErrorModel: true, Grade: recommend(jsonEverywhere)})
	}
	return out, nil
}

// MatrixSize is the number of requests the token matrix sends: every protected operation times
// its credential variants.
func MatrixSize() (int, error) {
	matrix, err := TokenMatrix()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, a := range matrix {
		op, err := Operation(a.Op)
		if err != nil {
			return 0, err
		}
		n += len(TokenVariants()) + len(AuthFirstVariants(op))
	}
	return n, nil
}

// usesScheme reports whether an operation requires an apiKey scheme sent in the named header.
func usesScheme(op specs.Operation, header string) bool {
	reqs := op.Doc.Spec.Security
	if op.Operation.Security != nil {
		reqs = *op.Operation.Security
	}
	for _, req := range reqs {
		for name := range req {
			s := op.Doc.Spec.Components.SecuritySchemes[name]
			if s != nil && s.Value != nil && s.Value.In == "header" && strings.EqualFold(s.Value.Name, header) {
				return true
			}
		}
	}
	return false
}

// secretsOf are the world's values only an authenticated caller can learn: a 401 must not carry them.
func secretsOf(w *World) []string {
	return []string{w.ResourceContent, B64(w.ResourceContent), w.EventID, w.ApprovalID, w.RemediationID, w.BridgePassword, w.Shipyard}
}

// RunAuth sends an operation's request once per variant, to the given base URL, and checks each
// answer: 401, the documented JSON error model, nothing but the error model, no resource data.
// It returns how many requests it checked.
func (e *Env) RunAuth(ctx context.Context, base string, a AuthCase, w *World, variants []Variant) (Result, int, error) {
	var res Result
	tried := 0
	for _, v := range variants {
		req, err := e.Request(a.Base, w)
		if err != nil {
			return res, tried, err
		}
		v.Apply(&req, e.Target.Token())
		// An undocumented method may be refused with 405 and Allow before authentication:
		// upstream's framework routes before it authenticates (facts §10).
		methodFirst := req.Method != "" && !strings.EqualFold(req.Method, req.Op.Method)
		ex, err := e.Target.Client(base).Do(ctx, req)
		if err != nil {
			return res, tried, err
		}
		tried++
		var problems []contract.Problem
		if methodFirst && ex.Response != nil && ex.Status() == http.StatusMethodNotAllowed {
			problems = methodFirstProblems(ex, a, w, e.Target.Token())
		} else {
			problems = unauthorizedProblems(ex, w, e.Target.Token(), a.ErrorModel)
		}
		if len(problems) > 0 {
			res.Exchanges = append(res.Exchanges, ex)
			for _, p := range problems {
				p.Message = "with " + v.Name + ": " + p.Message
				res.Problems = append(res.Problems, p)
			}
		} else if len(res.Exchanges) == 0 {
			res.Exchanges = append(res.Exchanges, ex) // one good exchange counts the 401 as exercised
		}
	}
	return res, tried, nil
}

// unauthorizedProblems checks an answer that must be a 401 (with the JSON error model when
// errorModel says so), which must not echo the API token (several variants present the real token
// in the wrong place) nor carry the resource's data.
func unauthorizedProblems(ex *contract.Exchange, w *World, token string, errorModel bool) []contract.Problem {
	if ex.Response == nil {
		return []contract.Problem{{Check: contract.CheckTransport, Message: fmt.Sprintf("no answer: %v", ex.Err)}}
	}
	if ex.Status() != http.StatusUnauthorized {
		return []contract.Problem{{Check: CheckUnauthorized, Message: fmt.Sprintf("status %d, want 401 Unauthorized", ex.Status())}}
	}
	if !errorModel {
		return leakProblems(ex, w, token)
	}
	var out []contract.Problem
	model := errorModelGrade(ex.Op)
	for _, p := range contract.ValidateResponse(ex) {
		p.Check, p.Grade = CheckErrorModel, model
		out = append(out, p)
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(ex.RespBody, &body); err != nil {
		return append(out, contract.Problem{Check: CheckErrorModel, Message: "the 401 body is not a JSON object", Grade: model})
	}
	var extra []string
	for k := range body {
		if k != "code" && k != "message" && k != "fields" {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		out = append(out, contract.Problem{Check: CheckErrorModel, Message: "the 401 carries more than the error model: " + strings.Join(extra, ", "), Grade: model})
	}
	return append(out, leakProblems(ex, w, token)...)
}

// methodFirstProblems checks a 405 to an unauthenticated request with an undocumented method:
// its Allow header names the path's documented methods, and it tells nothing of the resource.
func methodFirstProblems(ex *contract.Exchange, a AuthCase, w *World, token string) []contract.Problem {
	op, err := Operation(a.Op)
	if err != nil {
		return []contract.Problem{{Check: CheckUnauthorized, Message: err.Error()}}
	}
	var allow []string
	for m := range op.PathItem.Operations() {
		allow = append(allow, m)
	}
	out := AllowProblems(ex.Response.Header, allow, "PATCH")
	for i := range out {
		out[i].Check = CheckUnauthorized
		out[i].Message = "a 405 before authentication must name the allowed methods: " + out[i].Message
	}
	return append(out, leakProblems(ex, w, token)...)
}

// leakProblems: a refusal must not echo the API token nor carry the refused resource's data.
func leakProblems(ex *contract.Exchange, w *World, token string) []contract.Problem {
	var out []contract.Problem
	if token != "" && strings.Contains(strings.ToLower(string(ex.RespBody)), strings.ToLower(token)) {
		out = append(out, contract.Problem{Check: CheckErrorModel, Message: "the 401 echoes the API token it was given in the wrong place"})
	}
	for _, s := range secretsOf(w) {
		if len(s) >= 8 && strings.Contains(string(ex.RespBody), s) {
			out = append(out, contract.Problem{Check: CheckErrorModel, Message: "the 401 carries data of the resource it refused"})
			break
		}
	}
	return out
}

// AuthFirstVariants are unauthenticated requests that are wrong in other ways too: the gateway
// must still answer 401 (authentication before validation), never 400/404/422, so nothing about
// the API leaks to an unauthenticated caller. An undocumented method may get 405 with Allow
// before authentication, as upstream's framework answers it (facts §10).
func AuthFirstVariants(op *specs.Operation) []Variant {
	vs := []Variant{{"no token and an unknown entity in the path", func(r *contract.Request, _ string) {
		dropCredentials(r)
		for k := range r.PathParams {
			r.PathParams[k] = "kc-unknown-entity"
		}
	}}}
	if op.Operation.RequestBody != nil {
		vs = append(vs, Variant{"no token and a malformed body", func(r *contract.Request, _ string) {
			dropCredentials(r)
			r.Body = []byte(`{"malformed`)
			r.Header.Set("Content-Type", "application/json")
		}}, Variant{"no token and a body of the wrong media type", func(r *contract.Request, _ string) {
			dropCredentials(r)
			r.Header.Set("Content-Type", "text/plain")
		}})
	}
	vs = append(vs, Variant{"no token and an undocumented method (405 with Allow is as good)", func(r *contract.Request, _ string) {
		dropCredentials(r)
		r.Method = "PATCH"
	}})
	return vs
}
