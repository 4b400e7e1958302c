package configservice_test

import (
	"time"

	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/keptn-conformance/keptn-conformance/gateway/configservice"
	"github.com/keptn-conformance/keptn-conformance/specs"
)

// seen records, per operationId, the statuses the tests got and validated against the spec.
var seen sync.Map // operationId -> *sync.Map of status -> true

// TestMain runs the tests and then, on a full run, checks that every operation of the spec was
// called and answered with every status it documents (except 401, which the gateway in front
// answers).
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" && flag.Lookup("test.skip").Value.String() == "" {
		if missing := uncovered(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "operations or documented statuses no test observed:\n  %s\n", strings.Join(missing, "\n  "))
			code = 1
		}
	}
	os.Exit(code)
}

func uncovered() []string {
	doc, err := specs.Get(specs.ConfigurationService)
	if err != nil {
		return []string{err.Error()}
	}
	var missing []string
	for _, op := range doc.Operations() {
		for status := range op.Operation.Responses.Map() {
			if status == "401" || status == "default" {
				continue // the gateway's 401; default is the catch-all, not a status to provoke
			}
			code, _ := strconv.Atoi(status)
			statuses, ok := seen.Load(op.ID())
			if !ok {
				missing = append(missing, op.ID()+" (never called)")
				break
			}
			if _, ok := statuses.(*sync.Map).Load(code); !ok {
				missing = append(missing, fmt.Sprintf("%s %s", op.ID(), status))
			}
		}
	}
	sort.Strings(missing)
	return missing
}

// env is a Service behind an httptest server, on a temporary data directory.
type env struct {
	dir string
	svc *configservice.Service
	srv *httptest.Server
	doc *specs.Document
}

// newEnv opens a Service on a fresh directory; the cleanup closes it.
func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{dir: t.TempDir()}
	doc, err := specs.Get(specs.ConfigurationService)
	if err != nil {
		t.Fatal(err)
	}
	e.doc = doc
	e.start(t)
	t.Cleanup(func() { e.stop(t) })
	return e
}

// start opens the Service on e.dir and serves it.
func (e *env) start(t *testing.T) {
	t.Helper()
	svc, err := configservice.Open(e.dir, nil, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	e.svc, e.srv = svc, httptest.NewServer(svc.Handler())
}

// stop stops serving and closes the Service (idempotent).
func (e *env) stop(t *testing.T) {
	t.Helper()
	if e.srv == nil {
		return
	}
	e.srv.Close()
	if err := e.svc.Close(); err != nil {
		t.Error(err)
	}
	e.srv, e.svc = nil, nil
}

// response is an answer, read.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request with a JSON body (nil: none; []byte or string: sent as is) and checks
// the answer against the spec. Safe for concurrent use (it reports with t.Errorf).
func (e *env) do(t testing.TB, method, path string, body any) response {
	t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		raw = b
	case string:
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Errorf("marshal: %v", err)
			return response{}
		}
	}
	ct := ""
	if body != nil {
		ct = "application/json"
	}
	return e.doRaw(t, method, path, ct, raw)
}

// doRaw sends a request with a body of the given Content-Type ("" and nil: none) and checks
// the answer: never 5xx, errors in the JSON error model, and, when the path is an operation of
// the spec, the status and body validated with kin-openapi.
func (e *env) doRaw(t testing.TB, method, path, contentType string, body []byte) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		t.Errorf("%s %s: %v", method, path, err)
		return response{}
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, path, err)
		return response{}
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Errorf("%s %s: reading the answer: %v", method, path, err)
	}
	r := response{status: resp.StatusCode, header: resp.Header, body: got}
	e.check(t, req, r)
	return r
}

func (e *env) check(t testing.TB, req *http.Request, r response) {
	t.Helper()
	what := req.Method + " " + req.URL.RequestURI()
	if r.status >= 500 {
		t.Errorf("%s: %d %s", what, r.status, r.body)
	}
	if r.status >= 400 {
		var m map[string]any
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: error with Content-Type %q", what, ct)
		} else if err := json.Unmarshal(r.body, &m); err != nil {
			t.Errorf("%s: error body is not JSON: %s", what, r.body)
		} else if msg, _ := m["message"].(string); msg == "" || m["code"] != float64(r.status) {
			t.Errorf("%s: error body %s is not {code: %d, message}", what, r.body, r.status)
		}
	}
	tmpl, item, params := e.findPath(req.URL)
	if item == nil {
		return
	}
	op := item.GetOperation(req.Method)
	if op == nil {
		if r.status != http.StatusMethodNotAllowed {
			t.Errorf("%s: %d for a method the path does not have, want 405", what, r.status)
		}
		return
	}
	statuses, _ := seen.LoadOrStore(op.OperationID, &sync.Map{})
	statuses.(*sync.Map).Store(r.status, true)
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    req,
			PathParams: params,
			Route:      &routers.Route{Spec: e.doc.Spec, Path: tmpl, PathItem: item, Method: req.Method, Operation: op},
		},
		Status:  r.status,
		Header:  r.header,
		Body:    io.NopCloser(bytes.NewReader(r.body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		t.Errorf("%s (%s): %d %s does not match the spec: %v", what, op.OperationID, r.status, r.body, err)
	}
	if ref := op.Responses.Status(r.status); ref != nil && len(ref.Value.Content) == 0 && len(r.body) > 0 {
		t.Errorf("%s: %d documents no body, got %q", what, r.status, r.body)
	}
}

// findPath finds the spec path of a request URL ("/v1" stripped, trailing slash tolerated) by
// its escaped segments, preferring the template with the most literal segments.
func (e *env) findPath(u *url.URL) (string, *openapi3.PathItem, map[string]string) {
	p, ok := strings.CutPrefix(strings.TrimRight(u.EscapedPath(), "/"), "/v1")
	if !ok {
		return "", nil, nil
	}
	segs := strings.Split(p, "/")
	best, bestLiterals := "", -1
	var bestParams map[string]string
	for tmpl := range e.doc.Spec.Paths.Map() {
		tsegs := strings.Split(tmpl, "/")
		if len(tsegs) != len(segs) {
			continue
		}
		params, literals := map[string]string{}, 0
		for i, ts := range tsegs {
			if strings.HasPrefix(ts, "{") {
				v, err := url.PathUnescape(segs[i])
				if err != nil || v == "" {
					params = nil
					break
				}
				params[strings.Trim(ts, "{}")] = v
				continue
			}
			if ts != segs[i] {
				params = nil
				break
			}
			literals++
		}
		if params != nil && literals > bestLiterals {
			best, bestLiterals, bestParams = tmpl, literals, params
		}
	}
	if best == "" {
		return "", nil, nil
	}
	return best, e.doc.Spec.Paths.Value(best), bestParams
}

// want fails the test unless the answer has the status.
func want(t testing.TB, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
}

// decode decodes a JSON answer into T.
func decode[T any](t testing.TB, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("answer %s: %v", r.body, err)
	}
	return v
}

// obj is a JSON object.
type obj = map[string]any

// createProject creates a project with the given stages, each with the given services.
func (e *env) createProject(t testing.TB, name string, stages []string, services ...string) {
	t.Helper()
	var st []obj
	for _, s := range stages {
		var svcs []obj
		for _, svc := range services {
			svcs = append(svcs, obj{"serviceName": svc})
		}
		st = append(st, obj{"stageName": s, "services": svcs})
	}
	want(t, e.do(t, "POST", "/v1/project", obj{"projectName": name, "stages": st}), http.StatusNoContent)
}

// items returns the items under key of a list answer; a list must never be null.
func items(t testing.TB, r response, key string) []obj {
	t.Helper()
	m := decode[map[string]json.RawMessage](t, r)
	raw, ok := m[key]
	if !ok || string(raw) == "null" {
		t.Fatalf("answer %s has no list %q", r.body, key)
	}
	var out []obj
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("answer %s: %v", r.body, err)
	}
	return out
}

// names returns field key of every item.
func names(list []obj, key string) []string {
	out := []string{}
	for _, it := range list {
		out = append(out, fmt.Sprint(it[key]))
	}
	return out
}

// equal reports a difference between two string slices.
func equal(t testing.TB, what string, got, wantS []string) {
	t.Helper()
	if !slices.Equal(got, wantS) {
		t.Errorf("%s = %q, want %q", what, got, wantS)
	}
}

// marshal turns a test body into bytes: strings as is, anything else as JSON.
func marshal(t testing.TB, body any) []byte {
	t.Helper()
	if s, ok := body.(string); ok {
		return []byte(s)
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
