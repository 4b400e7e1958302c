package selftest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/generate"
)

// generatedFaults are faults no hand-written case provokes: only generated requests (a bound,
// a long or unusual name, a shape refused, a delete that keeps) find them.
func generatedFaults() []Fault {
	const labels = "Feature:Generated"
	onLists := func(r *http.Request) bool {
		return r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/api/configuration-service/") && r.URL.Query().Has("pageSize")
	}
	return []Fault{
		{Name: "a 500 at a numeric boundary (a list's pageSize at its maximum, 50)", Check: contract.CheckServerError, Labels: labels,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, onLists, func(r *http.Request, a *Answer) {
					if r.URL.Query().Get("pageSize") == "50" {
						a.Status, a.Body = 500, []byte(`{"code":500,"message":"index out of range [50] with length 50"}`)
					}
				})
			}},
		{Name: "a validation that ignores a bound (a list's pageSize above 50 accepted, clamped)", Check: contract.CheckStatusExpected, Labels: labels,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					q := r.URL.Query()
					if n, err := strconv.Atoi(q.Get("pageSize")); onLists(r) && err == nil && n > 50 {
						q.Set("pageSize", "50")
						r.URL.RawQuery = q.Encode()
					}
				})
			}},
		// Every operation with a name in its path catches it (38 of them, each failure shrunk for
		// up to 3 s, most of the self-test's CPU): two of them show it.
		{Name: "a crash on a long name (a path segment over 100 characters: 502)", Check: contract.CheckServerError, Labels: labels + " && (Op:getStage || Op:deleteService)",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					for _, seg := range strings.Split(r.URL.Path, "/") {
						if len(seg) > 100 {
							http.Error(w, "upstream panicked: name buffer overflow", http.StatusBadGateway)
							return
						}
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "a crash on an unusual name (a project or service name beyond ASCII: 500)", Check: contract.CheckServerError, Labels: labels,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method == "POST" && strings.HasPrefix(r.URL.Path, "/api/v1/project") {
						var body map[string]any
						if json.Unmarshal(readBody(r), &body) == nil {
							for _, k := range []string{"name", "serviceName"} {
								if s, ok := body[k].(string); ok && !ascii(s) {
									w.Header().Set("Content-Type", "application/json")
									w.WriteHeader(http.StatusInternalServerError)
									_, _ = w.Write([]byte(`{"code":500,"message":"invalid byte in name"}`))
									return
								}
							}
						}
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "a schema-valid request refused for its shape (a list's disableUpstreamSync answered 422)", Check: generate.CheckValidRefused, Labels: labels,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(r *http.Request) bool { return r.Method == "GET" && r.URL.Query().Has("disableUpstreamSync") },
					func(r *http.Request, a *Answer) {
						if v := r.URL.Query().Get("disableUpstreamSync"); a.Status == 200 && (v == "true" || v == "false") {
							a.Status, a.Body = 422, []byte(`{"code":602,"message":"disableUpstreamSync in query is not supported"}`)
						}
					})
			}},
		{Name: "a delete that keeps the resource (use after free: deleteProjectResource answers 204, deletes nothing)", Check: contract.CheckBehaviour, Labels: labels + " && Op:postProjectResources",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					p := strings.TrimPrefix(r.URL.EscapedPath(), cs)
					if r.Method == "DELETE" && p != r.URL.EscapedPath() && strings.Count(p, "/") == 2 && strings.Split(p, "/")[1] == "resource" {
						w.WriteHeader(http.StatusNoContent)
						return
					}
					next.ServeHTTP(w, r)
				})
			}},
	}
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
