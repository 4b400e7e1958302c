package selftest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/conformance/profiles"
)

// sessionFaults break the session profile the ways the mutation run showed slipping through: an
// unknown user answered sooner, Secure taken from the client's word, ids made of the user and
// the time, a re-login that leaves no working session, a field of the user left out; and
// storage that a restart loses.
func sessionFaults() []Fault {
	login := route("POST", "/api/auth")
	return []Fault{
		{Name: "an unknown user refused at once, without a password hash (the same answer, sooner)", Check: profiles.CheckSessionTiming, Level: grade.Should, Labels: "Profile:Session && Feature:Enumeration",
			Wrap: func(next http.Handler, h *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					var c struct{ Username, Password string }
					if login(r) && json.Unmarshal(readBody(r), &c) == nil && c.Username != "" && c.Password != "" && c.Username != h.SessionUser {
						// The gateway's own answer, to the byte.
						w.Header().Set("Content-Type", "application/json")
						w.WriteHeader(http.StatusUnauthorized)
						_, _ = w.Write([]byte(`{"code":401,"message":"invalid username or password"}` + "\n"))
						return
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "the session cookie set again at logout without expiring it (no Max-Age, no Expires)", Check: profiles.CheckSessionLogout, Level: grade.Should, Labels: "Profile:Session",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, route("DELETE", "/api/auth"), func(_ *http.Request, a *Answer) {
					for i, c := range a.Header.Values("Set-Cookie") {
						var kept []string
						for _, attr := range strings.Split(c, "; ") {
							if !strings.HasPrefix(attr, "Max-Age=") && !strings.HasPrefix(attr, "Expires=") {
								kept = append(kept, attr)
							}
						}
						a.Header["Set-Cookie"][i] = strings.Join(kept, "; ")
					}
				})
			}},
		{Name: "the session cookie's Secure taken from the client's X-Forwarded-Proto over HTTPS", Check: profiles.CheckSessionSecure, Level: grade.Should, Labels: "Profile:Session", Listener: "https",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					// Read before the gateway's edge sets the header to what the connection says.
					claimsHTTP := r.Header.Get("X-Forwarded-Proto") == "http"
					rewrite(next, login, func(_ *http.Request, a *Answer) {
						for i, c := range a.Header.Values("Set-Cookie") {
							if claimsHTTP {
								a.Header["Set-Cookie"][i] = strings.ReplaceAll(c, "; Secure", "")
							}
						}
					}).ServeHTTP(w, r)
				})
			}},
		{Name: "session ids made of the user name and the login's second (SHA-256, hex) and a short random tail", Check: profiles.CheckSessionLinkable, Level: grade.Should, Labels: "Profile:Session",
			Wrap: func(next http.Handler, h *Harness) http.Handler {
				m := &sessionMap{toGateway: map[string]string{}}
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					m.inbound(r)
					if !login(r) {
						next.ServeHTTP(w, r)
						return
					}
					rewrite(next, login, func(_ *http.Request, a *Answer) {
						m.outbound(a, func() string {
							sum := sha256.Sum256([]byte(h.SessionUser + strconv.FormatInt(time.Now().Unix(), 10)))
							return hex.EncodeToString(sum[:]) + uuid()[:8]
						})
					}).ServeHTTP(w, r)
				})
			}},
		{Name: "a login that sends an earlier session's cookie ends the new session too", Check: profiles.CheckSessionRelogin, Labels: "Profile:Session",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					_, err := r.Cookie("keptn_session")
					if err != nil || !login(r) {
						next.ServeHTTP(w, r)
						return
					}
					rewrite(next, login, func(_ *http.Request, a *Answer) {
						for _, c := range (&http.Response{Header: a.Header}).Cookies() {
							if c.Name == "keptn_session" && c.Value != "" {
								end := httptest.NewRequest("DELETE", "/api/auth", nil)
								end.AddCookie(c)
								next.ServeHTTP(httptest.NewRecorder(), end)
							}
						}
					}).ServeHTTP(w, r)
				})
			}},
		// The restart check (Core, Feature:Restart) is here for its kin: state the suite reads back.
		{Name: "storage in memory only: what was written is gone after a restart", Check: profiles.CheckRestartPersistence, Labels: "Feature:Restart",
			Restart: func(h *Harness) error {
				// The stores' files removed while the gateway is down: it starts empty, as one
				// that kept them in memory does.
				stores, err := filepath.Glob(filepath.Join(h.Dir, "data", "*.db"))
				if err != nil || len(stores) == 0 {
					return fmt.Errorf("no stores to remove in %s (%v)", h.Dir, err)
				}
				for _, f := range stores {
					if err := os.Remove(f); err != nil {
						return err
					}
				}
				return nil
			}},
		{Name: "the user's org_id left out of the login's answer (as an omitempty field is when empty)", Check: profiles.CheckSessionUserFields, Labels: "Profile:Session",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, login, func(_ *http.Request, a *Answer) {
					a.JSON(func(m map[string]any) { delete(m, "org_id") })
				})
			}},
	}
}
