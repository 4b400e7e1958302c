package configservice_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// errRecorder is a testing.TB that records errors instead of failing.
type errRecorder struct {
	testing.TB
	errs []string
}

func (r *errRecorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *errRecorder) Helper() {}

// The spec check of the helpers catches what the conformance suite would.
func TestSpecCheckCatchesMismatches(t *testing.T) {
	e := newEnv(t)
	jsonCT := http.Header{"Content-Type": {"application/json"}}
	for _, c := range []struct {
		name, method, path string
		r                  response
		ok                 bool
	}{
		{"valid", "GET", "/v1/project/p", response{200, jsonCT, []byte(`{"projectName":"p","creationDate":"1","stages":[]}`)}, true},
		{"undocumented status", "GET", "/v1/project/p", response{201, jsonCT, []byte(`{}`)}, false},
		{"wrong field type", "GET", "/v1/project/p", response{200, jsonCT, []byte(`{"projectName":5}`)}, false},
		{"null list", "GET", "/v1/project", response{200, jsonCT, []byte(`{"projects":null}`)}, false},
		{"wrong content type", "GET", "/v1/project/p", response{200, http.Header{"Content-Type": {"text/plain"}}, []byte(`{}`)}, false},
		{"body on 204", "DELETE", "/v1/project/p", response{204, jsonCT, []byte(`{}`)}, false},
		{"5xx", "GET", "/v1/nope", response{500, jsonCT, []byte(`{"code":500,"message":"x"}`)}, false},
		{"error without message", "GET", "/v1/project/p", response{404, jsonCT, []byte(`{"code":404}`)}, false},
		{"error with wrong code", "GET", "/v1/project/p", response{404, jsonCT, []byte(`{"code":400,"message":"x"}`)}, false},
		{"resource without URI", "GET", "/v1/project/p/resource/a%2Fb", response{200, jsonCT, []byte(`{"resourceContent":"YQ=="}`)}, false},
		{"405 expected", "PATCH", "/v1/project/p", response{404, jsonCT, []byte(`{"code":404,"message":"x"}`)}, false},
	} {
		rec := &errRecorder{TB: t}
		req := httptest.NewRequest(c.method, c.path, nil)
		e.check(rec, req, c.r)
		if ok := len(rec.errs) == 0; ok != c.ok {
			t.Errorf("%s: passed=%v, want %v (errors: %q)", c.name, ok, c.ok, rec.errs)
		}
	}
}
