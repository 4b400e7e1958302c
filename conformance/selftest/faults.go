package selftest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/conformance/profiles"
)

// Fault is a way a gateway can break the contract, applied around the reference gateway's handler.
type Fault struct {
	Name string
	// Check is the check the fault violates: the suite must fail in it.
	Check string
	// Labels selects the specs that must catch it (a Ginkgo label filter), to keep the run short.
	Labels string
	// Wrap wraps the gateway's handlers: both listeners', or only Listener's ("http", "https").
	Wrap     func(next http.Handler, h *Harness) http.Handler
	Listener string
	// Strict runs the gateway in strict mode (plain HTTP redirects to HTTPS).
	Strict bool
	// OnStart runs once the gateway serves, before the suite.
	OnStart func(h *Harness) error
	// Restart runs while the gateway is down for a restart the suite asked for.
	Restart func(h *Harness) error
	// TLS changes the HTTPS listener's TLS configuration.
	TLS func(c *tls.Config, h *Harness)
	// Level is the level of the checks that must catch it: a SHOULD fault is a finding, failing no
	// MUST check (zero: MUST).
	Level grade.Level
}

const cs = "/api/configuration-service/v1/project/"

// nginxPage is the HTML error page of upstream's nginx front.
func nginxPage(title string) string {
	return "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title + "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
}

func nginxError(w http.ResponseWriter, status int, title string) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(nginxPage(title)))
}

// answerWhileReloading answers every request with an empty status for 500 ms after the token
// file changed, and passes the others on.
func answerWhileReloading(status int) func(http.Handler, *Harness) http.Handler {
	return func(next http.Handler, h *Harness) http.Handler {
		var mu sync.Mutex
		last, changed := h.Token, time.Time{}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			if cur := h.currentToken(); cur != "" && cur != last {
				last, changed = cur, time.Now()
			}
			reloading := time.Since(changed) < 500*time.Millisecond
			mu.Unlock()
			if reloading {
				w.WriteHeader(status)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Faults is the catalogue.
func Faults() []Fault {
	return append(append(append(append(append(append(hardeningFaults(), echoFaults()...), sessionFaults()...), pagingFaults()...), append(eventFilterFaults(), emptyChart())...), []Fault{
		// --- the contract: bodies, statuses, media types, headers ---
		{Name: "a required field missing from a response (createProject's eventContext without its token)", Check: contract.CheckBodySchema, Labels: "Op:createProject",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, route("POST", "/api/v1/project"), func(_ *http.Request, a *Answer) {
					if a.Status == 200 {
						a.JSON(func(m map[string]any) { delete(m, "token") })
					}
				})
			}},
		{Name: "a field of the wrong type (totalCount as a string)", Check: contract.CheckBodySchema, Labels: "Op:getStages",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(r *http.Request) bool { return r.Method == "GET" && strings.HasSuffix(r.URL.Path, "/stage") },
					func(_ *http.Request, a *Answer) {
						a.JSON(func(m map[string]any) {
							if v, ok := m["totalCount"]; ok {
								m["totalCount"] = fmt.Sprint(v)
							}
						})
					})
			}},
		{Name: "an undocumented status (201 for getMetadata)", Check: contract.CheckStatusDocumented, Labels: "Op:getMetadata",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, route("GET", "/api/v1/metadata"), func(_ *http.Request, a *Answer) {
					if a.Status == 200 {
						a.Status = 201
					}
				})
			}},
		{Name: "a wrong content type (metadata as text/plain)", Check: contract.CheckContentType, Labels: "Op:getMetadata",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, route("GET", "/api/v1/metadata"), func(_ *http.Request, a *Answer) { a.Header.Set("Content-Type", "text/plain") })
			}},
		{Name: "a connection dropped without an answer (metadata)", Check: contract.CheckTransport, Labels: "Op:getMetadata",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == "/api/v1/metadata" {
						if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
							conn.Close()
							return
						}
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "a body where the spec documents none (auth answers JSON)", Check: contract.CheckBodyUnexpected, Labels: "Op:auth",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, route("POST", "/api/v1/auth"), func(_ *http.Request, a *Answer) {
					if a.Status == 200 {
						a.Header.Set("Content-Type", "application/json")
						a.Body = []byte(`{"valid":true}`)
					}
				})
			}},
		// The fixture nginx's first configuration: the auth subrequest's location carried the 4 KiB
		// limit of /api/v1/auth, applied to the main request's Content-Length.
		{Name: "bodies over 4 KiB answered 500 on the routes behind the auth subrequest", Check: contract.CheckServerError,
			Labels: "(Op:postProjectResources || Op:saveEventInternal) && !Feature:Generated",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.ContentLength > 4<<10 && (strings.HasPrefix(r.URL.Path, "/api/configuration-service/") || strings.HasPrefix(r.URL.Path, "/api/mongodb-datastore/")) {
						nginxError(w, http.StatusInternalServerError, "500 Internal Server Error")
						return
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "a 500 on bad input", Check: contract.CheckServerError, Labels: "Feature:BadInput && (Op:createProject || Op:putProjectResources)",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(*http.Request) bool { return true }, func(_ *http.Request, a *Answer) {
					if a.Status == 400 {
						a.Status = 500
					}
				})
			}},
		{Name: "a 200 where 404 is due (a schema-valid ghost project)", Check: contract.CheckStatusExpected, Labels: "Op:getProject",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(r *http.Request) bool { return r.Method == "GET" && strings.HasPrefix(r.URL.Path, cs) },
					func(_ *http.Request, a *Answer) {
						if a.Status == 404 {
							a.Status, a.Body = 200, []byte(`{"projectName":"ghost","creationDate":"0","stages":[]}`)
						}
					})
			}},
		{Name: "a canned answer: createProject answers 200 but creates nothing", Check: contract.CheckBehaviour, Labels: "Op:createProject",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method == "POST" && r.URL.Path == "/api/v1/project" && r.Header.Get("x-token") != "" {
						var p map[string]any
						if json.Unmarshal(readBody(r), &p) == nil && p["name"] != nil && p["shipyard"] != nil {
							w.Header().Set("Content-Type", "application/json")
							_, _ = w.Write([]byte(`{"keptnContext":"0b1c9e2a-0000-4000-8000-000000000000","token":"t"}`))
							return
						}
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "a date-time that is not one (event time \"yesterday\")", Check: contract.CheckBodySchema, Labels: "Op:getEvents",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, route("GET", "/api/mongodb-datastore/event"), func(_ *http.Request, a *Answer) {
					a.JSON(func(m map[string]any) {
						if evs, ok := m["events"].([]any); ok {
							for _, e := range evs {
								if ev, ok := e.(map[string]any); ok {
									ev["time"] = "yesterday"
								}
							}
						}
					})
				})
			}},
		{Name: "paging that never ends (nextPageKey never \"0\")", Check: contract.CheckBehaviour, Labels: "Op:getStages",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(r *http.Request) bool { return r.Method == "GET" && strings.HasSuffix(r.URL.Path, "/stage") },
					func(_ *http.Request, a *Answer) {
						a.JSON(func(m map[string]any) {
							if _, ok := m["nextPageKey"]; ok {
								m["nextPageKey"] = "1"
							}
						})
					})
			}},
		{Name: "a write that is not kept (putProjectResource answers 201, stores nothing)", Check: contract.CheckBehaviour, Labels: "Op:putProjectResource",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					p := r.URL.EscapedPath() // the resourceURI's "/" is encoded: one segment
					if r.Method == "PUT" && strings.HasPrefix(p, cs) && segments(p) == 7 && strings.Contains(p, "/resource/") && r.Header.Get("x-token") != "" {
						w.Header().Set("Content-Type", "application/json")
						w.WriteHeader(201)
						_, _ = w.Write([]byte(`{"version":"0000000000000000000000000000000000000000"}`))
						return
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "the git token leaked in a project", Check: contract.CheckBehaviour, Labels: "Op:getProject",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(r *http.Request) bool {
					return r.Method == "GET" && strings.HasPrefix(r.URL.Path, cs) && segments(r.URL.Path) == 5
				}, func(_ *http.Request, a *Answer) {
					a.JSON(func(m map[string]any) { m["gitToken"] = "ghp_secret" })
				})
			}},
		{Name: "a request body's required field not enforced (createProject without shipyard accepted)", Check: contract.CheckStatusExpected, Labels: "Op:createProject && Feature:BadInput",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					if r.Method == "POST" && r.URL.Path == "/api/v1/project" {
						var p map[string]any
						if json.Unmarshal(readBody(r), &p) == nil && p["shipyard"] == nil {
							p["shipyard"] = "c3RhZ2VzOgogIC0gbmFtZTogZGV2Cg=="
							b, _ := json.Marshal(p)
							r.Body, r.ContentLength = io.NopCloser(strings.NewReader(string(b))), int64(len(b))
						}
					}
				})
			}},
		{Name: "an event filter ignored (fromTime)", Check: contract.CheckBehaviour, Labels: "Op:getEvents",
			Wrap: func(next http.Handler, _ *Harness) http.Handler { return ignoreQuery(next, route("", "*"), "fromTime") }},
		{Name: "events listed oldest first", Check: contract.CheckBehaviour, Labels: "Op:getEvents",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, route("GET", "/api/mongodb-datastore/event"), func(_ *http.Request, a *Answer) {
					a.JSON(func(m map[string]any) {
						if evs, ok := m["events"].([]any); ok {
							slices.Reverse(evs)
						}
					})
				})
			}},
		// --- the gateway's own routes ---
		{Name: "the /api redirect gone", Check: contract.CheckStatusExpected, Labels: "Feature:Routes",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, route("", "/api"), func(_ *http.Request, a *Answer) {
					a.Status, a.Header, a.Body = 404, http.Header{"Content-Type": {"application/json"}}, []byte(`{"code":404,"message":"gone"}`)
				})
			}},
		{Name: "a spec file behind the token", Check: contract.CheckStatusExpected, Labels: "Feature:Routes",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, route("GET", "/api/swagger-ui/swagger.yaml"), func(r *http.Request, a *Answer) {
					if r.Header.Get("x-token") == "" {
						a.Status, a.Header, a.Body = 401, http.Header{"Content-Type": {"application/json"}}, []byte(`{"code":401,"message":"no"}`)
					}
				})
			}},
		{Name: "405 without an Allow header", Check: contract.CheckHeaders, Labels: "Feature:Methods",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(*http.Request) bool { return true }, func(_ *http.Request, a *Answer) {
					if a.Status == 405 {
						a.Header.Del("Allow")
					}
				})
			}},
		{Name: "an undocumented method answered 200", Check: contract.CheckStatusExpected, Labels: "Feature:Methods",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(r *http.Request) bool { return r.Method == "PATCH" }, func(_ *http.Request, a *Answer) {
					if a.Status == 405 {
						a.Status, a.Body = 200, []byte(`{}`)
					}
				})
			}},
		{Name: "an unknown path answered 200", Check: contract.CheckStatusExpected, Labels: "Feature:UnknownPaths",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, route("GET", "/api/v1/kc-unknown"), func(_ *http.Request, a *Answer) {
					a.Status, a.Header, a.Body = 200, http.Header{"Content-Type": {"application/json"}}, []byte(`{}`)
				})
			}},
		// --- authentication ---
		{Name: "an operation reachable without a token (configuration-service open)", Check: cases.CheckUnauthorized, Labels: "Profile:Auth && (Op:getProject || Op:getProjectResources || Op:getEvents)",
			Wrap: func(next http.Handler, h *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					if strings.HasPrefix(r.URL.Path, "/api/configuration-service/") && r.Header.Get("x-token") == "" {
						r.Header.Set("x-token", h.Token)
					}
				})
			}},
		{Name: "a token accepted from the query string", Check: cases.CheckUnauthorized, Labels: "Profile:Auth && (Op:getProject || Op:getProjectResources || Op:getEvents)",
			Wrap: func(next http.Handler, h *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					if r.URL.Query().Get("token") == h.Token {
						r.Header.Set("x-token", h.Token)
					}
				})
			}},
		{Name: "a token compared without case", Check: cases.CheckUnauthorized, Labels: "Profile:Auth && (Op:getProject || Op:getProjectResources || Op:getEvents)",
			Wrap: func(next http.Handler, h *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					if strings.EqualFold(r.Header.Get("x-token"), h.Token) {
						r.Header.Set("x-token", h.Token)
					}
				})
			}},
		{Name: "a token trimmed of surrounding whitespace", Check: cases.CheckUnauthorized, Labels: "Profile:Auth && (Op:getProject || Op:getProjectResources || Op:getEvents)",
			Wrap: func(next http.Handler, h *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					if strings.TrimSpace(r.Header.Get("x-token")) == h.Token {
						r.Header.Set("x-token", h.Token)
					}
				})
			}},
		{Name: "400 before 401 (a malformed body is looked at first)", Check: cases.CheckUnauthorized, Labels: "Profile:Auth && (Op:createProject || Op:putProjectResources)",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if b := readBody(r); len(b) > 0 && !json.Valid(b) {
						w.Header().Set("Content-Type", "application/json")
						w.WriteHeader(400)
						_, _ = w.Write([]byte(`{"code":400,"message":"malformed JSON"}`))
						return
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "a 401 that echoes the token it was given", Check: cases.CheckErrorModel, Labels: "Profile:Auth && (Op:getProject || Op:getProjectResources || Op:getEvents)",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(*http.Request) bool { return true }, func(r *http.Request, a *Answer) {
					presented := r.Header.Get("x-token") + r.URL.Query().Get("token") + strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
					if a.Status == 401 && presented != "" {
						a.JSON(func(m map[string]any) { m["message"] = "invalid token: " + presented })
					}
				})
			}},
		{Name: "a 401 that is not the JSON error model", Check: cases.CheckErrorModel, Labels: "Profile:Auth && (Op:getProject || Op:getProjectResources || Op:getEvents)",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(*http.Request) bool { return true }, func(_ *http.Request, a *Answer) {
					if a.Status == 401 {
						a.Header.Set("Content-Type", "text/plain")
						a.Body = []byte("Unauthorized")
					}
				})
			}},
		// --- upstream 0.7.3's own defects (facts §10) ---
		{Name: "upstream: a front that decodes %2F (a resourceURI with a / reaches the backend as a deeper path)", Check: contract.CheckStatusExpected,
			Labels: "Op:getProjectResource || Op:putProjectResource || Op:deleteProjectResource",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					if strings.Contains(strings.ToUpper(r.URL.RawPath), "%2F") {
						r.URL.RawPath = ""
					}
				})
			}},
		{Name: "upstream: an auth subrequest that forwards the client's Content-Type (500 on text/plain)", Check: contract.CheckServerError, Labels: "Feature:BadInput && (Op:putProjectResources || Op:saveEventInternal)",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					guarded := strings.HasPrefix(r.URL.Path, "/api/configuration-service/") || strings.HasPrefix(r.URL.Path, "/api/mongodb-datastore/")
					if guarded && strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
						nginxError(w, http.StatusInternalServerError, "500 Internal Server Error")
						return
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "upstream: 502 on an empty body (configureBridge, createProject, createService, sendEvent, triggerEvaluation)", Check: contract.CheckServerError, Labels: "Feature:BadInput && (Op:createProject || Op:sendEvent)",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				nilBody := regexp.MustCompile(`^/api/v1/(config/bridge|project|project/[^/]+/service|event|project/[^/]+/stage/[^/]+/service/[^/]+/evaluation)$`)
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method == "POST" && nilBody.MatchString(r.URL.Path) && len(readBody(r)) == 0 {
						nginxError(w, http.StatusBadGateway, "502 Bad Gateway")
						return
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "upstream: 502 on an event whose data is not an object", Check: contract.CheckServerError, Labels: "Op:sendEvent && Feature:BadInput",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					var ev map[string]any
					if r.Method == "POST" && r.URL.Path == "/api/v1/event" && json.Unmarshal(readBody(r), &ev) == nil {
						if _, isObject := ev["data"].(map[string]any); !isObject {
							nginxError(w, http.StatusBadGateway, "502 Bad Gateway")
							return
						}
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "upstream: an event's extensions of the wrong type accepted", Check: contract.CheckStatusExpected, Labels: "Op:sendEvent && Feature:BadInput",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					var ev map[string]any
					if r.Method == "POST" && r.URL.Path == "/api/v1/event" && json.Unmarshal(readBody(r), &ev) == nil {
						if _, isObject := ev["extensions"].(map[string]any); ev["extensions"] != nil && !isObject {
							delete(ev, "extensions")
							setJSONBody(r, ev)
						}
					}
				})
			}},
		{Name: "upstream: an HTML 401 on configuration-service and datastore routes", Check: cases.CheckErrorModel, Labels: "Profile:Auth && (Op:getProject || Op:getProjectResources || Op:getEvents)", Level: grade.Should,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				guarded := func(r *http.Request) bool {
					return strings.HasPrefix(r.URL.Path, "/api/configuration-service/v1/") || strings.HasPrefix(r.URL.Path, "/api/mongodb-datastore/event")
				}
				return rewrite(next, guarded, func(_ *http.Request, a *Answer) {
					if a.Status == http.StatusUnauthorized {
						a.Header = http.Header{"Content-Type": {"text/html"}}
						a.Body = []byte(nginxPage("401 Authorization Required"))
					}
				})
			}},
		// --- token rotation ---
		{Name: "a token in force that is not the one in the secret", Check: cases.CheckRotationProcedure, Labels: "Profile:TokenRotation",
			// The secret says one token, the gateway goes on taking the one the suite was given.
			OnStart: func(h *Harness) error {
				const other = "not-the-token-in-force-0123"
				if err := os.WriteFile(h.TokenFile, []byte(other), 0o600); err != nil {
					return err
				}
				return h.awaitToken(other)
			},
			Wrap: func(next http.Handler, h *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					if r.Header.Get("x-token") == h.Token {
						r.Header.Set("x-token", h.currentToken())
					}
				})
			}},
		{Name: "a new token never accepted", Check: cases.CheckRotationEffective, Labels: "Profile:TokenRotation",
			Wrap: func(next http.Handler, h *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					if t := r.Header.Get("x-token"); t != "" && t != h.Token {
						r.Header.Set("x-token", "refused")
					}
				})
			}},
		{Name: "requests dropped while the token reloads", Check: cases.CheckRotationLoad, Labels: "Profile:TokenRotation",
			Wrap: answerWhileReloading(http.StatusServiceUnavailable)},
		// What kind showed for a moment after api-service's restart: Service traffic kube-proxy had
		// not translated yet, answered by the node's network with an empty 404.
		{Name: "an empty 404 for a moment while the token reloads", Check: cases.CheckRotationLoad, Labels: "Profile:TokenRotation",
			Wrap: answerWhileReloading(http.StatusNotFound)},
		{Name: "an empty secret opens the API", Check: cases.CheckRotationBadSecret, Labels: "Profile:TokenRotation",
			Wrap: func(next http.Handler, h *Harness) http.Handler {
				var mu sync.Mutex
				good := h.Token
				return before(next, func(r *http.Request) {
					mu.Lock()
					defer mu.Unlock()
					if cur := h.currentToken(); cur != "" {
						good = cur
					} else {
						r.Header.Set("x-token", good) // the secret is empty: let everyone in
					}
				})
			}},
		// --- TLS ---
		{Name: "TLS 1.0 enabled", Check: profiles.CheckTLSProtocols, Labels: "Profile:TLS && !/^Op:/",
			TLS: func(c *tls.Config, _ *Harness) {
				c.MinVersion = tls.VersionTLS10
				c.CipherSuites = append(c.CipherSuites, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA)
			}},
		{Name: "a CBC cipher suite enabled for TLS 1.2", Check: profiles.CheckTLSCipherSuites, Labels: "Profile:TLSExtended",
			TLS: func(c *tls.Config, _ *Harness) {
				c.CipherSuites = append(c.CipherSuites, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256)
			}},
		{Name: "a certificate put in place never served (no reload)", Check: profiles.CheckTLSCertSwap, Labels: "Profile:TLS && !/^Op:/",
			TLS: func(c *tls.Config, _ *Harness) {
				first, _ := c.GetCertificate(&tls.ClientHelloInfo{})
				c.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return first, nil }
			}},
		// The reference's watcher changed to compare only the first of its files: a certificate
		// written before its key is tried with the old key, refused, and never tried again.
		{Name: "a certificate written before its key never served (reloaded only when the certificate changes)", Check: profiles.CheckTLSCertSwap, Labels: "Profile:TLS && !/^Op:/",
			TLS: reloadOnCertificateChange},
		{Name: "a certificate reloaded only when its subject changes (a renewal never served)", Check: profiles.CheckTLSCertSwap, Labels: "Profile:TLS && !/^Op:/",
			TLS: reloadOnNewSubject},
		{Name: "handshakes refused for a moment while a new certificate is put in place", Check: profiles.CheckTLSCertSwap, Labels: "Profile:TLS && !/^Op:/",
			Level: grade.Should,
			TLS: func(c *tls.Config, _ *Harness) {
				get := c.GetCertificate
				var mu sync.Mutex
				var last *tls.Certificate
				var changed time.Time
				c.GetCertificate = func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
					cert, err := get(hello)
					if err != nil {
						return cert, err
					}
					mu.Lock()
					defer mu.Unlock()
					if last != nil && !bytes.Equal(last.Certificate[0], cert.Certificate[0]) {
						changed = time.Now()
					}
					last = cert
					if time.Since(changed) < 300*time.Millisecond {
						return nil, fmt.Errorf("the certificate is being reloaded")
					}
					return cert, nil
				}
			}},
		{Name: "an expired default certificate", Check: profiles.CheckTLSDefaultCert, Labels: "Profile:TLS && !/^Op:/",
			TLS: func(c *tls.Config, _ *Harness) {
				expired := expiredCertificate("localhost")
				c.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return expired, nil }
			}},
		{Name: "a handshake for an unknown server name refused", Check: profiles.CheckTLSSNI, Labels: "Profile:TLS && !/^Op:/",
			TLS: func(c *tls.Config, _ *Harness) {
				get := c.GetCertificate
				c.GetCertificate = func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
					if hello.ServerName != "localhost" {
						return nil, fmt.Errorf("unknown server name")
					}
					return get(hello)
				}
			}},
		{Name: "Strict-Transport-Security missing on HTTPS", Check: profiles.CheckTLSHSTS, Labels: "Profile:TLSExtended",
			Listener: "https",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(*http.Request) bool { return true }, func(_ *http.Request, a *Answer) { a.Header.Del("Strict-Transport-Security") })
			}},
		{Name: "Strict-Transport-Security sent on plain HTTP too", Check: profiles.CheckTLSHSTS, Labels: "Profile:TLS && !/^Op:/",
			Listener: "http",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(*http.Request) bool { return true }, func(_ *http.Request, a *Answer) {
					a.Header.Set("Strict-Transport-Security", "max-age=31536000")
				})
			}},
		{Name: "the HTTPS listener not answering the API", Check: profiles.CheckTLSListeners, Labels: "Profile:TLS && !/^Op:/", Listener: "https",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, route("POST", "/api/v1/auth"), func(_ *http.Request, a *Answer) {
					a.Status, a.Body = http.StatusServiceUnavailable, nil
				})
			}},
		{Name: "strict mode looking at credentials before it redirects", Check: profiles.CheckTLSStrict, Labels: "Profile:TLS && !/^Op:/", Listener: "http", Strict: true,
			Wrap: func(next http.Handler, h *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if t := r.Header.Get("x-token"); t != "" && t != h.Token {
						w.Header().Set("Content-Type", "application/json")
						w.WriteHeader(http.StatusUnauthorized)
						_, _ = w.Write([]byte(`{"code":401,"message":"invalid token"}`))
						return
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "strict mode redirecting to the HTTPS root, the path and query dropped", Check: profiles.CheckTLSRedirectTo, Labels: "Profile:TLSExtended", Listener: "http", Strict: true,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(*http.Request) bool { return true }, func(_ *http.Request, a *Answer) {
					if u, err := url.Parse(a.Header.Get("Location")); err == nil {
						a.Header.Set("Location", "https://"+u.Host+"/")
					}
				})
			}},
		{Name: "strict mode cutting an IPv6 literal Host at its first colon", Check: profiles.CheckTLSRedirectTo, Labels: "Profile:TLSExtended", Listener: "http", Strict: true,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(r *http.Request) bool { return strings.HasPrefix(r.Host, "[") }, func(r *http.Request, a *Answer) {
					if u, err := url.Parse(a.Header.Get("Location")); err == nil {
						host, _, _ := strings.Cut(r.Host, ":")
						a.Header.Set("Location", "https://"+host+":"+u.Port()+u.RequestURI())
					}
				})
			}},
		{Name: "the HTTPS listener open without a token", Check: cases.CheckUnauthorized, Labels: "Profile:TLS && (Op:getProject || Op:getProjectResources)",
			Listener: "https",
			Wrap: func(next http.Handler, h *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					if r.Header.Get("x-token") == "" {
						r.Header.Set("x-token", h.Token)
					}
				})
			}},
		// --- session ---
		{Name: "a session cookie without HttpOnly", Check: profiles.CheckSessionCookie, Labels: "Profile:Session",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, route("POST", "/api/auth"), func(_ *http.Request, a *Answer) {
					for i, c := range a.Header.Values("Set-Cookie") {
						a.Header["Set-Cookie"][i] = strings.ReplaceAll(c, "; HttpOnly", "")
					}
				})
			}},
		{Name: "a session still valid after logout", Check: profiles.CheckSessionLogout, Labels: "Profile:Session",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method == "DELETE" && r.URL.Path == "/api/auth" && r.Header.Get("Cookie") != "" {
						w.WriteHeader(204)
						return
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "a different answer for an unknown user", Check: profiles.CheckSessionEnumeration, Labels: "Profile:Session",
			Wrap: func(next http.Handler, h *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					known := strings.Contains(string(readBody(r)), `"`+h.SessionUser+`"`)
					rewrite(next, route("POST", "/api/auth"), func(_ *http.Request, a *Answer) {
						if a.Status == 401 && !known {
							a.Body = []byte(`{"code":401,"message":"no such user"}`)
						}
					}).ServeHTTP(w, r)
				})
			}},
		{Name: "an undocumented method on the session API answered 200", Check: contract.CheckStatusExpected, Labels: "Profile:Session",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(r *http.Request) bool { return r.Method == "PATCH" && r.URL.Path == "/api/auth" }, func(_ *http.Request, a *Answer) {
					a.Status, a.Body = 200, []byte(`{}`)
				})
			}},
		// --- the keptn CLI ---
		{Name: "no log websocket for the keptn CLI", Check: profiles.CheckKeptnCLI, Labels: "Profile:KeptnCLI",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, route("", "/api/websocket"), func(_ *http.Request, a *Answer) {
					a.Status, a.Header, a.Body = 404, http.Header{"Content-Type": {"application/json"}}, []byte(`{"code":404,"message":"no"}`)
				})
			}},
		{Name: "the log websocket open without an event context's token", Check: profiles.CheckKeptnCLI, Labels: "Profile:KeptnCLI",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == "/api/websocket" && r.Header.Get("Token") == "" {
						if conn, err := (&websocket.Upgrader{}).Upgrade(w, r, nil); err == nil {
							_ = conn.WriteJSON(map[string]any{"type": "sh.keptn.events.log", "data": map[string]any{"message": "logs for anyone", "terminate": true}})
							conn.Close()
						}
						return
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "the log websocket closed without a log message with terminate: true", Check: profiles.CheckKeptnCLI, Labels: "Profile:KeptnCLI",
			Wrap: func(next http.Handler, h *Harness) http.Handler { return unterminatedLogs(next, h) }},
		{Name: "the log messages sent in binary frames", Check: profiles.CheckKeptnCLI, Labels: "Profile:KeptnCLI",
			Wrap: func(next http.Handler, h *Harness) http.Handler { return binaryLogs(next, h) }},
		{Name: "the log websocket dropped without a Close frame after its terminating message", Check: profiles.CheckKeptnCLI, Labels: "Profile:KeptnCLI", Level: grade.Should,
			Wrap: func(next http.Handler, h *Harness) http.Handler {
				return logRelay(next, h, func(conn *websocket.Conn, m map[string]any) error {
					if err := conn.WriteJSON(m); err != nil {
						return err
					}
					if data, _ := m["data"].(map[string]any); data["terminate"] == true {
						return conn.NetConn().Close()
					}
					return nil
				})
			}},
		{Name: "the log websocket without its token upgraded, then closed (1008), not refused with 401", Check: profiles.CheckKeptnCLI, Labels: "Profile:KeptnCLI", Level: grade.Should,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path == "/api/websocket" && r.Header.Get("Token") == "" {
						if conn, err := (&websocket.Upgrader{}).Upgrade(w, r, nil); err == nil {
							_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "no token"))
							_ = conn.Close()
						}
						return
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "the project list refused with a trailing slash", Check: profiles.CheckKeptnCLI, Labels: "Profile:KeptnCLI",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, route("GET", "/api/configuration-service/v1/project/"), func(_ *http.Request, a *Answer) {
					a.Status, a.Body = 404, []byte(`{"code":404,"message":"no such path"}`)
				})
			}},
		{Name: "a login without a session cookie", Check: profiles.CheckSessionLogin, Labels: "Profile:Session",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, route("POST", "/api/auth"), func(_ *http.Request, a *Answer) { a.Header.Del("Set-Cookie") })
			}},
		{Name: "a session cookie accepted when altered (only its start is compared)", Check: profiles.CheckSessionTamper, Labels: "Profile:Session",
			Wrap: func(next http.Handler, _ *Harness) http.Handler { return lenientSessions(next) }},
		{Name: "a session that outlives its expiration", Check: profiles.CheckSessionExpiry, Labels: "Profile:Session",
			Wrap: func(next http.Handler, _ *Harness) http.Handler { return immortalSessions(next) }},
		{Name: "a session id chosen by the client kept at login (fixation)", Check: profiles.CheckSessionFixation, Labels: "Profile:Session",
			Wrap: func(next http.Handler, _ *Harness) http.Handler { return fixation(next) }},
		{Name: "predictable session ids (a counter)", Check: profiles.CheckSessionEntropy, Labels: "Profile:Session",
			Wrap: func(next http.Handler, _ *Harness) http.Handler { return counterSessions(next) }},
		// --- recall: what the mutation run showed the suite did not read back ---
		{Name: "a datastore page that says it is the last while more events are due (nextPageKey \"0\")", Check: contract.CheckBehaviour, Labels: "Op:getEvents",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, route("GET", "/api/mongodb-datastore/event"), func(_ *http.Request, a *Answer) {
					if a.Status == 200 {
						a.JSON(func(m map[string]any) { m["nextPageKey"] = "0" })
					}
				})
			}},
		{Name: "a page size ignored (the datastore answers a default page)", Check: contract.CheckBehaviour, Labels: "Op:getEvents",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return ignoreQuery(next, route("GET", "/api/mongodb-datastore/event"), "pageSize")
			}},
		{Name: "a paging key ignored (the stages' next page repeats the first)", Check: contract.CheckBehaviour, Labels: "Op:getStages",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return ignoreQuery(next, func(r *http.Request) bool { return r.Method == "GET" && strings.HasSuffix(r.URL.Path, "/stage") }, "nextPageKey")
			}},
		{Name: "an event's own time replaced when it is stored", Check: contract.CheckBehaviour, Labels: "Op:saveEventInternal",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					var ev map[string]any
					if route("POST", "/api/mongodb-datastore/event")(r) && json.Unmarshal(readBody(r), &ev) == nil && ev["time"] != nil {
						ev["time"] = time.Now().UTC().Format(time.RFC3339Nano)
						b, _ := json.Marshal(ev)
						r.Body, r.ContentLength = io.NopCloser(strings.NewReader(string(b))), int64(len(b))
					}
				})
			}},
		{Name: "the project filter of getEvents ignored", Check: contract.CheckBehaviour, Labels: "Op:saveEventInternal",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return ignoreQuery(next, route("GET", "/api/mongodb-datastore/event"), "project")
			}},
		{Name: "the filter of getEventsByType ignored", Check: contract.CheckBehaviour, Labels: "Op:getEventsByType",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return ignoreQuery(next, route("GET", "/api/mongodb-datastore/event/type/*"), "filter")
			}},
		{Name: "the limit of getEventsByType ignored", Check: contract.CheckBehaviour, Labels: "Op:getEventsByType",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return ignoreQuery(next, route("GET", "/api/mongodb-datastore/event/type/*"), "limit")
			}},
		{Name: "the fromTime of getEventsByType ignored", Check: contract.CheckBehaviour, Labels: "Op:getEventsByType",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return ignoreQuery(next, route("GET", "/api/mongodb-datastore/event/type/*"), "fromTime")
			}},
		{Name: "getEventsByType answering no event when no filter is given", Check: contract.CheckBehaviour, Labels: "Op:getEventsByType", Level: grade.Should,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(r *http.Request) bool {
					return route("GET", "/api/mongodb-datastore/event/type/*")(r) && r.URL.Query().Get("filter") == ""
				}, func(_ *http.Request, a *Answer) {
					if a.Status == 200 {
						a.JSON(func(m map[string]any) { m["events"] = []any{} })
					}
				})
			}},
		{Name: "excludeInvalidated ignored", Check: contract.CheckBehaviour, Labels: "Op:saveEventInternal", Level: grade.Should,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return ignoreQuery(next, route("", "*"), "excludeInvalidated")
			}},
		{Name: "an approval or remediation for an unknown service answered 500 (the service's absence not handled)", Check: contract.CheckServerError, Labels: "Op:createApproval || Op:createRemediation",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(r *http.Request) bool {
					return r.Method == http.MethodPost && createdForService.MatchString(r.URL.Path)
				}, func(_ *http.Request, a *Answer) {
					if a.Status == http.StatusNotFound {
						setJSON(a, http.StatusInternalServerError, map[string]any{"code": 500, "message": "service not found in stage"})
					}
				})
			}},
		{Name: "a service's stage info holding the stages of every service of its project (upstream 0.7.3's getProjectService)", Check: contract.CheckBehaviour, Labels: "Op:createService",
			Wrap: func(next http.Handler, _ *Harness) http.Handler { return everyServicesStages(next) }},
		{Name: "a created project's git user and remote dropped (configuration-service)", Check: contract.CheckBehaviour, Labels: "Op:createProjectInternal",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return dropFields(next, "/api/configuration-service/v1/project", "gitUser", "gitRemoteURI")
			}},
		{Name: "a created project's git user and remote dropped (api-service)", Check: contract.CheckBehaviour, Labels: "Op:createProject",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return dropFields(next, "/api/v1/project", "gitUser", "gitRemoteURL")
			}},
		{Name: "metadata without its namespace", Check: contract.CheckBehaviour, Labels: "Op:getMetadata", Level: grade.Should,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, route("GET", "/api/v1/metadata"), func(_ *http.Request, a *Answer) {
					a.JSON(func(m map[string]any) { delete(m, "namespace") })
				})
			}},
		{Name: "a Keptn context derived from a name that is not an RFC 4122 UUID (its variant bits wrong)", Check: contract.CheckBehaviour, Labels: "Op:sendEvent",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, route("POST", "/api/v1/event"), func(_ *http.Request, a *Answer) {
					a.JSON(func(m map[string]any) {
						if c, ok := m["keptnContext"].(string); ok && len(c) == 36 {
							m["keptnContext"] = c[:19] + "c" + c[20:]
						}
					})
				})
			}},
		{Name: "sendEvent answering a Keptn context other than the one it stores the event under", Check: contract.CheckBehaviour, Labels: "Op:sendEvent",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, route("POST", "/api/v1/event"), func(_ *http.Request, a *Answer) {
					if a.Status == http.StatusOK {
						a.JSON(func(m map[string]any) { m["keptnContext"] = uuid() })
					}
				})
			}},
		{Name: "a resource page key ignored (the next page repeats the first)", Check: contract.CheckBehaviour, Labels: "Op:getProjectResources",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return ignoreQuery(next, func(r *http.Request) bool {
					return r.Method == "GET" && strings.HasPrefix(r.URL.Path, cs) && strings.HasSuffix(r.URL.Path, "/resource")
				}, "nextPageKey")
			}},
		{Name: "a resource written to a stage or a stage's service written one level up as well", Check: contract.CheckBehaviour, Labels: "Op:postStageResources || Op:postServiceResources",
			Wrap: func(next http.Handler, _ *Harness) http.Handler { return leakUp(next) }},
		{Name: "a deleted project's events still answered by project", Check: contract.CheckBehaviour, Labels: "Op:deleteProject", Level: grade.Should,
			Wrap: func(next http.Handler, _ *Harness) http.Handler { return keptEvents(next) }},
	}...), append(append(generatedFaults(), recallFaults()...), restartFaults()...)...)
}

// reloadOnCertificateChange serves the pair the gateway loaded, and reloads it from the files
// only when the certificate file's content differs from its last look (read on every handshake):
// a watcher that compares the certificate and not the key. A pair that does not load (the new
// certificate beside the old key) keeps the previous one, its certificate taken as seen.
func reloadOnCertificateChange(c *tls.Config, h *Harness) {
	cur, _ := c.GetCertificate(&tls.ClientHelloInfo{})
	seen, _ := os.ReadFile(h.CertFile)
	var mu sync.Mutex
	c.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		mu.Lock()
		defer mu.Unlock()
		certPEM, err := os.ReadFile(h.CertFile)
		if err != nil || bytes.Equal(certPEM, seen) {
			return cur, nil
		}
		seen = certPEM
		keyPEM, err := os.ReadFile(h.KeyFile)
		if err != nil {
			return cur, nil
		}
		if pair, err := tls.X509KeyPair(certPEM, keyPEM); err == nil {
			cur = &pair
		}
		return cur, nil
	}
}

// reloadOnNewSubject serves the pair the gateway loaded, and takes the files' pair only when its
// certificate names another subject: a renewal (the same subject, a new key) is never served.
func reloadOnNewSubject(c *tls.Config, h *Harness) {
	cur, _ := c.GetCertificate(&tls.ClientHelloInfo{})
	subject := func(p *tls.Certificate) string {
		if p == nil || len(p.Certificate) == 0 {
			return ""
		}
		leaf, err := x509.ParseCertificate(p.Certificate[0])
		if err != nil {
			return ""
		}
		return leaf.Subject.String()
	}
	var mu sync.Mutex
	c.GetCertificate = func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
		mu.Lock()
		defer mu.Unlock()
		pair, err := tls.LoadX509KeyPair(h.CertFile, h.KeyFile)
		if err == nil && subject(&pair) != subject(cur) {
			cur = &pair
		}
		return cur, nil
	}
}

// sessionMap translates between the session ids a fault hands out and the gateway's.
type sessionMap struct {
	mu        sync.Mutex
	toGateway map[string]string
}

func (m *sessionMap) inbound(r *http.Request) {
	c, err := r.Cookie("keptn_session")
	if err != nil {
		return
	}
	m.mu.Lock()
	real, ok := m.toGateway[c.Value]
	m.mu.Unlock()
	if ok {
		r.Header.Set("Cookie", "keptn_session="+real)
	}
}

// outbound replaces the gateway's id in a login answer by name(sent) and remembers the mapping.
func (m *sessionMap) outbound(a *Answer, name func() string) {
	for i, c := range a.Header.Values("Set-Cookie") {
		v, rest, _ := strings.Cut(strings.TrimPrefix(c, "keptn_session="), ";")
		if v == "" || !strings.HasPrefix(c, "keptn_session=") {
			continue
		}
		fake := name()
		m.mu.Lock()
		m.toGateway[fake] = v
		m.mu.Unlock()
		a.Header["Set-Cookie"][i] = "keptn_session=" + fake + ";" + rest
	}
}

func fixation(next http.Handler) http.Handler {
	m := &sessionMap{toGateway: map[string]string{}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent := ""
		if c, err := r.Cookie("keptn_session"); err == nil {
			sent = c.Value
		}
		m.inbound(r)
		if r.Method == "POST" && r.URL.Path == "/api/auth" && sent != "" {
			rewrite(next, func(*http.Request) bool { return true }, func(_ *http.Request, a *Answer) {
				m.outbound(a, func() string { return sent })
			}).ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func counterSessions(next http.Handler) http.Handler {
	m := &sessionMap{toGateway: map[string]string{}}
	n := 0
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.inbound(r)
		if r.Method == "POST" && r.URL.Path == "/api/auth" {
			rewrite(next, func(*http.Request) bool { return true }, func(_ *http.Request, a *Answer) {
				m.outbound(a, func() string { m.mu.Lock(); defer m.mu.Unlock(); n++; return fmt.Sprintf("session-%06d", n) })
			}).ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// issued remembers the session ids the gateway hands out at login.
type issued struct {
	mu  sync.Mutex
	ids []string
}

func (s *issued) note(a *Answer) {
	for _, c := range (&http.Response{Header: a.Header}).Cookies() {
		if c.Name == "keptn_session" && c.Value != "" {
			s.mu.Lock()
			s.ids = append(s.ids, c.Value)
			s.mu.Unlock()
		}
	}
}

// lenientSessions takes an unknown session cookie for the issued one that starts alike.
func lenientSessions(next http.Handler) http.Handler {
	var s issued
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("keptn_session"); err == nil && len(c.Value) >= 8 {
			s.mu.Lock()
			for _, id := range s.ids {
				if id != c.Value && strings.HasPrefix(id, c.Value[:8]) {
					r.Header.Set("Cookie", "keptn_session="+id)
				}
			}
			s.mu.Unlock()
		}
		rewrite(next, route("POST", "/api/auth"), func(_ *http.Request, a *Answer) { s.note(a) }).ServeHTTP(w, r)
	})
}

// immortalSessions keeps every session a login handed out: the control planes answer its cookie
// after the session has expired (or ended).
func immortalSessions(next http.Handler) http.Handler {
	var s issued
	planes := []byte(`{"data":[{"id":"0","name":"keptn"}],"meta":{"page":{"number":1,"size":100,"total":1}}}`)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rewrite(next, func(*http.Request) bool { return true }, func(r *http.Request, a *Answer) {
			switch {
			case r.Method == "POST" && r.URL.Path == "/api/auth":
				s.note(a)
			case r.URL.Path == "/api/control_planes" && a.Status == http.StatusUnauthorized:
				c, err := r.Cookie("keptn_session")
				s.mu.Lock()
				known := err == nil && slices.Contains(s.ids, c.Value)
				s.mu.Unlock()
				if known {
					a.Status, a.Header, a.Body = http.StatusOK, http.Header{"Content-Type": {"application/json"}}, planes
				}
			}
		}).ServeHTTP(w, r)
	})
}

// dropFields removes fields from the JSON body of POSTs to a path before the gateway reads it.
func dropFields(next http.Handler, path string, fields ...string) http.Handler {
	return before(next, func(r *http.Request) {
		var m map[string]any
		if r.Method != "POST" || r.URL.Path != path || json.Unmarshal(readBody(r), &m) != nil {
			return
		}
		for _, f := range fields {
			delete(m, f)
		}
		b, _ := json.Marshal(m)
		r.Body, r.ContentLength = io.NopCloser(strings.NewReader(string(b))), int64(len(b))
	})
}

// keptEvents answers a deleted project's events as they were before its deletion, to a query by
// that project.
func keptEvents(next http.Handler) http.Handler {
	var mu sync.Mutex
	kept := map[string][]byte{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := strings.CutPrefix(r.URL.Path, "/api/v1/project/"); ok && r.Method == "DELETE" && !strings.Contains(p, "/") {
			rec := httptest.NewRecorder()
			q := httptest.NewRequest("GET", "/api/mongodb-datastore/event?project="+url.QueryEscape(p), nil)
			q.Header.Set("x-token", r.Header.Get("x-token"))
			next.ServeHTTP(rec, q)
			if rec.Code == http.StatusOK {
				mu.Lock()
				kept[p] = rec.Body.Bytes()
				mu.Unlock()
			}
		}
		if route("GET", "/api/mongodb-datastore/event")(r) {
			mu.Lock()
			page, ok := kept[r.URL.Query().Get("project")]
			mu.Unlock()
			if ok {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(page)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// leakUp writes the resources POSTed to a stage (or a stage's service) to the level above as well.
func leakUp(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seg := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
		if n := len(seg); r.Method == "POST" && strings.HasPrefix(r.URL.Path, cs) && n >= 8 && seg[n-1] == "resource" && (seg[n-3] == "stage" || seg[n-3] == "service") {
			body := readBody(r)
			up := httptest.NewRequest("POST", "/"+strings.Join(append(seg[:n-3:n-3], "resource"), "/"), strings.NewReader(string(body)))
			up.Header = r.Header.Clone()
			next.ServeHTTP(httptest.NewRecorder(), up)
		}
		next.ServeHTTP(w, r)
	})
}

// unterminatedLogs relays the gateway's log websocket with every message's terminate cleared, and
// closes it normally once the gateway's stream ends: a log stream that never says it is done.
func unterminatedLogs(next http.Handler, h *Harness) http.Handler {
	return logRelay(next, h, func(conn *websocket.Conn, m map[string]any) error {
		if data, _ := m["data"].(map[string]any); data != nil {
			data["terminate"] = false
		}
		return conn.WriteJSON(m)
	})
}

// binaryLogs relays the gateway's log websocket with every message in a binary frame.
func binaryLogs(next http.Handler, h *Harness) http.Handler {
	return logRelay(next, h, func(conn *websocket.Conn, m map[string]any) error {
		b, _ := json.Marshal(m)
		return conn.WriteMessage(websocket.BinaryMessage, b)
	})
}

// logRelay relays the gateway's log websocket to the client, each message written by write, and
// closes it normally after the message that says terminate or once the gateway's stream ends. The
// relay's own listener ends with the harness.
func logRelay(next http.Handler, h *Harness, write func(conn *websocket.Conn, m map[string]any) error) http.Handler {
	var mu sync.Mutex
	var srv *httptest.Server
	relay := func() string {
		mu.Lock()
		defer mu.Unlock()
		if srv == nil {
			srv = httptest.NewServer(next)
		}
		return srv.URL
	}
	h.OnClose(func() {
		mu.Lock()
		defer mu.Unlock()
		if srv != nil {
			srv.Close()
		}
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/websocket" || r.Header.Get("Token") == "" {
			next.ServeHTTP(w, r)
			return
		}
		up, _, err := websocket.DefaultDialer.DialContext(r.Context(), "ws"+strings.TrimPrefix(relay(), "http")+r.URL.Path, http.Header{"Token": r.Header.Values("Token")})
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		defer up.Close()
		conn, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		for {
			var m map[string]any
			if up.ReadJSON(&m) != nil {
				break
			}
			data, _ := m["data"].(map[string]any)
			done := data["terminate"] == true
			if write(conn, m) != nil || done {
				break
			}
		}
		_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	})
}
