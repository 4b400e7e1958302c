package selftest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/keptn-conformance/keptn-conformance/specs"
)

// Variant is a way of answering that upstream Keptn 0.7.3 permits (facts §10) though the
// reference gateway answers otherwise, wrapped around the reference gateway like a fault: the
// suite must pass every MUST check on it (its SHOULD checks may find it wanting).
type Variant struct {
	Name string
	// Labels selects the specs the variant touches (a Ginkgo label filter).
	Labels string
	Wrap   func(next http.Handler, h *Harness) http.Handler
}

// Fault is the variant as the harness runs it (it checks nothing by itself).
func (v Variant) Fault() *Fault { return &Fault{Name: v.Name, Wrap: v.Wrap} }

// Variants is the catalogue of permitted behaviours.
func Variants() []Variant {
	return []Variant{
		{Name: "405 with Allow before 401 on an undocumented method", Labels: "Profile:Auth || Feature:Methods || Profile:Session",
			Wrap: func(next http.Handler, _ *Harness) http.Handler { return methodsFirst(next) }},
		{Name: "asynchronous project and service lifecycle (200 at once, effect later, bad requests never done)",
			Labels: "Op:createProject || Op:deleteProject || Op:createService || Op:deleteService || Op:getProject || Op:getProjectService || Feature:Restart",
			Wrap:   func(next http.Handler, h *Harness) http.Handler { return asynchronous(next, h) }},
		{Name: "framework errors answered as 422 or 415 under default", Labels: "Feature:BadInput || Profile:Core",
			Wrap: func(next http.Handler, h *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Header.Get("x-token") == h.currentToken() {
						if code, msg := frameworkError(r); code != 0 && documentsDefault(r) {
							frameworkCode := map[int]int{http.StatusUnprocessableEntity: 602, http.StatusUnsupportedMediaType: 415}[code]
							writeJSON(w, code, map[string]any{"code": frameworkCode, "message": msg})
							return
						}
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "an absent body taken as empty input", Labels: "Feature:BadInput",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					if rt, _ := matchRoute(r); rt != nil && len(readBody(r)) == 0 {
						if op := rt.doc.Spec.Paths.Value(rt.path).GetOperation(r.Method); op != nil && op.RequestBody != nil {
							r.Body, r.ContentLength = readerOf([]byte("{}")), 2
							r.Header.Set("Content-Type", "application/json")
						}
					}
				})
			}},
		{Name: "upstream 0.7.3's go-swagger answers (empty lists as null, no pageSize, resource lists' URIs as /name, lenient internal project calls, approvals and remediations)",
			Labels: "(Profile:Core || Profile:Auth) && !Feature:Generated && !Feature:Restart",
			Wrap:   func(next http.Handler, h *Harness) http.Handler { return goSwaggerAnswers(next, h) }},
		// deployedImage is optional in the spec's ExpandedService: a gateway may never answer it
		// (a SHOULD finding), and what builds on it then does not apply.
		{Name: "no deployedImage answered for a service", Labels: "Op:handleEventInternal",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(r *http.Request) bool {
					return r.Method == http.MethodGet && (stageService.MatchString(r.URL.Path) || projectService.MatchString(r.URL.Path))
				}, func(_ *http.Request, a *Answer) {
					a.JSON(func(m map[string]any) {
						delete(m, "deployedImage")
						for _, it := range asList(m["stageInfo"]) {
							if st, ok := it.(map[string]any); ok {
								delete(st, "deployedImage")
							}
						}
					})
				})
			}},
		{Name: "keptnservices in the metadata as a string", Labels: "Op:getMetadata || Profile:KeptnCLI",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, route("GET", "/api/v1/metadata"), func(_ *http.Request, a *Answer) {
					a.JSON(func(m map[string]any) {
						if s, ok := m["keptnservices"].(map[string]any); ok {
							names := make([]string, 0, len(s))
							for k := range s {
								names = append(names, k)
							}
							slices.Sort(names)
							m["keptnservices"] = strings.Join(names, ",")
						}
					})
				})
			}},
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// documentsDefault says the request's operation documents a default response.
func documentsDefault(r *http.Request) bool {
	rt, _ := matchRoute(r)
	if rt == nil {
		return false
	}
	op := rt.doc.Spec.Paths.Value(rt.path).GetOperation(r.Method)
	return op != nil && op.Responses.Default() != nil
}

// methodsFirst answers a method no operation of a documented path has with 405 and Allow, before
// anything else (the token included), as upstream's framework routes before it authenticates.
func methodsFirst(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt, _ := matchRoute(r)
		if rt == nil || (rt.doc.Name == specs.APIService && rt.path == "/auth") {
			next.ServeHTTP(w, r)
			return
		}
		item := rt.doc.Spec.Paths.Value(rt.path)
		if item.GetOperation(r.Method) != nil {
			next.ServeHTTP(w, r)
			return
		}
		var allow []string
		for m := range item.Operations() {
			allow = append(allow, m)
		}
		slices.Sort(allow)
		w.Header().Set("Allow", strings.Join(allow, ","))
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"code": 405, "message": fmt.Sprintf("method %s is not allowed, but [%s] are", r.Method, strings.Join(allow, ","))})
	})
}

// lifecycle are api-service's asynchronous operations.
var lifecycle = regexp.MustCompile(`^/api/v1/project(?:/([^/]+)(?:/(service)(?:/([^/]+))?)?)?$`)

// asynchronous makes project and service create and delete asynchronous as upstream's: a request
// the reference refuses for what it names (an invalid or unknown name, an existing project) is
// answered 200 with a new Keptn context, and nothing happens; a project or service made is seen
// through configuration-service only a moment later. A request the framework itself refuses (it
// breaks the schema) is refused at once, as upstream's.
func asynchronous(next http.Handler, h *Harness) http.Handler {
	const delay = 500 * time.Millisecond
	var mu sync.Mutex
	hidden := map[*regexp.Regexp]time.Time{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "GET" {
			mu.Lock()
			for re, until := range hidden {
				if time.Now().After(until) {
					delete(hidden, re)
				} else if re.MatchString(r.URL.Path) {
					mu.Unlock()
					writeJSON(w, http.StatusNotFound, map[string]any{"code": 404, "message": "not found"})
					return
				}
			}
			mu.Unlock()
		}
		m := lifecycle.FindStringSubmatch(r.URL.Path)
		async := m != nil && ((r.Method == "POST" && (m[1] == "" || (m[2] != "" && m[3] == ""))) || (r.Method == "DELETE" && m[1] != "" && (m[2] == "" || m[3] != "")))
		if !async || r.Header.Get("x-token") != h.currentToken() {
			next.ServeHTTP(w, r)
			return
		}
		body := readBody(r)
		schemaValid := r.Method == "DELETE"
		if code, _ := frameworkError(r); code == 0 && len(body) > 0 {
			schemaValid = true
		}
		r.Body = readerOf(body)
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		switch {
		case rec.Code == http.StatusOK && r.Method == "POST":
			var named struct {
				Name        string `json:"name"`
				ServiceName string `json:"serviceName"`
			}
			_ = json.Unmarshal(body, &named)
			cs := "/api/configuration-service/v1/project/"
			var re *regexp.Regexp
			if named.ServiceName != "" {
				p := regexp.QuoteMeta(m[1])
				s := regexp.QuoteMeta(named.ServiceName)
				re = regexp.MustCompile("^" + regexp.QuoteMeta(cs) + p + "(/stage/[^/]+)?/service/" + s + "(/.*)?$")
			} else {
				re = regexp.MustCompile("^" + regexp.QuoteMeta(cs+named.Name) + "(/.*)?$")
			}
			mu.Lock()
			hidden[re] = time.Now().Add(delay)
			mu.Unlock()
		case schemaValid && rec.Code >= 400 && rec.Code < 500 && rec.Code != http.StatusUnauthorized:
			writeJSON(w, http.StatusOK, map[string]string{"keptnContext": uuid(), "token": uuid()})
			return
		}
		replay(w, rec)
	})
}

func readerOf(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }

func uuid() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6], b[8] = (b[6]&0x0f)|0x40, (b[8]&0x3f)|0x80
	x := hex.EncodeToString(b)
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}
