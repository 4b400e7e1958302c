package selftest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
)

// neighbourFaults are configuration-service bugs written by hand into gateways that reach past
// what a request names, or fall short of it: a close that looks in every service of the stage, a
// delete by key prefix, resource URIs folded to lower case, an approval's id replaced when it is
// no UUID, empty content refused, and views answered without what they hold (a stage list without
// its services, a service's stageInfo without its last events).
func neighbourFaults() []Fault {
	// services are the other services of the stage a request's path names, and the path up to
	// and including ".../service/".
	services := func(next http.Handler, r *http.Request) (string, []string) {
		seg := strings.Split(r.URL.Path, "/")
		if len(seg) < 11 {
			return "", nil
		}
		base := strings.Join(seg[:10], "/") // /api/configuration-service/v1/project/P/stage/S/service/X
		base = base[:strings.LastIndex(base, "/")+1]
		var others []string
		for _, svc := range listAt(next, r, strings.TrimSuffix(base, "/"), "services") {
			if n, _ := svc["serviceName"].(string); n != "" && n != seg[9] {
				others = append(others, n)
			}
		}
		return base, others
	}
	tail := func(p string) string { return p[strings.LastIndex(p, "/"):] }
	return []Fault{
		{Name: "closeRemediations closing the Keptn context's remediations of every service of the stage", Check: contract.CheckBehaviour, Labels: "Op:closeRemediations",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, cs) && strings.Contains(r.URL.Path, "/remediation/") {
						base, others := services(next, r)
						for _, o := range others {
							next.ServeHTTP(httptest.NewRecorder(), subRequest(r, http.MethodDelete, base+o+"/remediation"+tail(r.URL.Path)))
						}
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "closeApproval closing an approval of another service of the stage when its own has none", Check: contract.CheckStatusExpected, Labels: "Op:closeApproval",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(r *http.Request) bool {
					return r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, cs) && strings.Contains(r.URL.Path, "/approval/")
				}, func(r *http.Request, a *Answer) {
					if a.Status != http.StatusNotFound {
						return
					}
					base, others := services(next, r)
					for _, o := range others {
						rec := httptest.NewRecorder()
						next.ServeHTTP(rec, subRequest(r, http.MethodDelete, base+o+"/approval"+tail(r.URL.Path)))
						if rec.Code == http.StatusOK {
							a.Status, a.Body = http.StatusOK, nil
							a.Header.Del("Content-Type")
							return
						}
					}
				})
			}},
		{Name: "a resource deleted by its URI as a key prefix (a resource whose URI begins with it deleted too)", Check: contract.CheckBehaviour, Labels: "Op:deleteProjectResource",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(r *http.Request) bool {
					return r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, cs) && strings.Contains(r.URL.Path, "/resource/")
				}, func(r *http.Request, a *Answer) {
					if a.Status != http.StatusNoContent {
						return
					}
					level, uri, _ := strings.Cut(r.URL.Path, "/resource/")
					for _, res := range listAt(next, r, level+"/resource", "resources") {
						if u, _ := res["resourceURI"].(string); strings.HasPrefix(strings.TrimPrefix(u, "/"), uri) {
							next.ServeHTTP(httptest.NewRecorder(), resourceRequest(r, http.MethodDelete, level, strings.TrimPrefix(u, "/")))
						}
					}
				})
			}},
		{Name: "resource URIs folded to lower case (a store keyed case-insensitively)", Check: contract.CheckBehaviour, Labels: "Op:putProjectResource",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					lower := func(p string) string {
						if level, uri, ok := strings.Cut(p, "/resource/"); ok {
							return level + "/resource/" + strings.ToLower(uri)
						}
						return p
					}
					if strings.HasPrefix(r.URL.Path, cs) {
						r.URL.Path, r.URL.RawPath = lower(r.URL.Path), lower(r.URL.RawPath)
					}
				})
			}},
		{Name: "an approval's eventId replaced by a new UUID when it is no UUID", Check: contract.CheckBehaviour, Labels: "Op:createApproval",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					var a map[string]any
					if r.Method == http.MethodPost && createdForService.MatchString(r.URL.Path) && strings.HasSuffix(r.URL.Path, "/approval") && json.Unmarshal(readBody(r), &a) == nil {
						if id, _ := a["eventId"].(string); id != "" && !strings.Contains(id, "-") {
							a["eventId"] = uuid()
							setJSONBody(r, a)
						}
					}
				})
			}},
		{Name: "a resource with empty content refused", Check: contract.CheckStatusExpected, Labels: "Op:postProjectResources",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					var body struct {
						Resources []map[string]any `json:"resources"`
					}
					if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, cs) && strings.HasSuffix(r.URL.Path, "/resource") && json.Unmarshal(readBody(r), &body) == nil {
						for _, res := range body.Resources {
							if c, ok := res["resourceContent"].(string); ok && c == "" {
								writeJSON(w, http.StatusBadRequest, map[string]any{"code": 400, "message": "resourceContent must not be empty"})
								return
							}
						}
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "a resource write answering the version before it", Check: contract.CheckBehaviour, Labels: "Op:putProjectResource",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				var mu sync.Mutex
				last := map[string]any{}
				return rewrite(next, func(r *http.Request) bool {
					return r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, cs) && strings.Contains(r.URL.Path, "/resource/")
				}, func(r *http.Request, a *Answer) {
					if a.Status != http.StatusCreated {
						return
					}
					a.JSON(func(m map[string]any) {
						mu.Lock()
						defer mu.Unlock()
						prev, seen := last[r.URL.Path]
						last[r.URL.Path] = m["version"]
						if seen {
							m["version"] = prev
						}
					})
				})
			}},
		{Name: "a stage list without the stages' services", Check: contract.CheckBehaviour, Labels: "Op:getStages",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(r *http.Request) bool {
					return r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, cs) && strings.HasSuffix(r.URL.Path, "/stage")
				}, func(_ *http.Request, a *Answer) {
					a.JSON(func(m map[string]any) {
						for _, st := range asList(m["stages"]) {
							if st, ok := st.(map[string]any); ok {
								st["services"] = []any{}
							}
						}
					})
				})
			}},
		{Name: "a service's stageInfo without its last events", Check: contract.CheckBehaviour, Labels: "Op:handleEventInternal", Level: grade.Should,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(r *http.Request) bool {
					return r.Method == http.MethodGet && projectService.MatchString(r.URL.Path)
				},
					func(_ *http.Request, a *Answer) {
						a.JSON(func(m map[string]any) {
							for _, si := range asList(m["stageInfo"]) {
								if si, ok := si.(map[string]any); ok {
									si["lastEventTypes"] = map[string]any{}
								}
							}
						})
					})
			}},
	}
}
