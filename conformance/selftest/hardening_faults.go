package selftest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/keptn-conformance/keptn-conformance/conformance/profiles"
)

// hardeningFaults break the hardening profile: no body limit, no body deadline, no throttling,
// an endless lockout, and each security header missing.
func hardeningFaults() []Fault {
	login := route("POST", "/api/auth")
	drop := func(names ...string) func(*http.Request, *Answer) {
		return func(_ *http.Request, a *Answer) {
			for _, n := range names {
				a.Header.Del(n)
			}
		}
	}
	return []Fault{
		{Name: "a body read whole before it is looked at (no size limit)", Check: profiles.CheckHardeningBodyLimit, Labels: "Profile:Hardening && Feature:BodyLimit",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					if r.Body != nil {
						_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 64<<20))
						r.Body, r.ContentLength = http.NoBody, 0
					}
				})
			}},
		{Name: "a body read without a deadline (a stalled body holds its connection)", Check: profiles.CheckHardeningStall, Labels: "Profile:Hardening && Feature:Stall",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					// The gateway cannot reach the connection to set its read deadline.
					next.ServeHTTP(struct{ http.ResponseWriter }{w}, r)
				})
			}},
		{Name: "wrong passwords never throttled (429 turned into 401)", Check: profiles.CheckHardeningThrottle, Labels: "Profile:Hardening && Feature:Throttle",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, login, func(_ *http.Request, a *Answer) {
					if a.Status == http.StatusTooManyRequests {
						a.Status, a.Body = http.StatusUnauthorized, []byte(`{"code":401,"message":"invalid username or password"}`)
						a.Header.Del("Retry-After")
					}
				})
			}},
		{Name: "the right password let in while the user is throttled (the throttle asked only after a wrong password)", Check: profiles.CheckHardeningThrottle, Labels: "Profile:Hardening && Feature:Throttle",
			Wrap: func(next http.Handler, h *Harness) http.Handler {
				letIn := rewrite(next, login, func(_ *http.Request, a *Answer) {
					if a.Status == http.StatusTooManyRequests {
						a.Status, a.Body = http.StatusOK, []byte(`{"id":"1","email":"conformance@example.com"}`)
						a.Header.Del("Retry-After")
					}
				})
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					var body struct{ Password string }
					if login(r) && json.Unmarshal(readBody(r), &body) == nil && body.Password == h.SessionPassword {
						letIn.ServeHTTP(w, r)
						return
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "a throttled user kept out for good", Check: profiles.CheckHardeningLockout, Labels: "Profile:Hardening && Feature:Throttle",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				var locked atomic.Bool
				return rewrite(next, login, func(_ *http.Request, a *Answer) {
					if a.Status == http.StatusTooManyRequests {
						locked.Store(true)
					}
					if locked.Load() {
						a.Status, a.Body = http.StatusTooManyRequests, []byte(`{"code":429,"message":"too many wrong passwords"}`)
						a.Header.Set("Retry-After", "1")
						a.Header.Del("Set-Cookie")
					}
				})
			}},
		{Name: "no X-Content-Type-Options on any answer", Check: profiles.CheckHardeningNoSniff, Labels: "Profile:Hardening && Feature:Headers",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(*http.Request) bool { return true }, drop("X-Content-Type-Options"))
			}},
		{Name: "the Swagger UI may be framed", Check: profiles.CheckHardeningFraming, Labels: "Profile:Hardening && Feature:Headers",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/swagger-ui/") },
					drop("X-Frame-Options", "Content-Security-Policy"))
			}},
		{Name: "authenticated JSON answers cacheable (no Cache-Control)", Check: profiles.CheckHardeningNoStore, Labels: "Profile:Hardening && Feature:Headers",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(*http.Request) bool { return true }, drop("Cache-Control"))
			}},
	}
}
