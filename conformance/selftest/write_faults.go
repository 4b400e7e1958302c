package selftest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
)

// writeAndViewFaults are configuration-service and datastore bugs written by hand into gateways:
// writes that keep or take too much (a POST keeping a resource's content, a PUT of a list
// replacing the level, a close of remediations taking approvals), ids refused or mixed up (a
// remediation's non-UUID Keptn context, lastEventTypes naming the triggering event), views and
// answers that drop or leak (openApprovals without image and tag, a project's git token
// answered), and a limit applied to the oldest events.
func writeAndViewFaults() []Fault {
	resourceList := func(method string) func(r *http.Request) bool {
		return func(r *http.Request) bool {
			return r.Method == method && strings.HasPrefix(r.URL.Path, cs) && strings.HasSuffix(r.URL.Path, "/resource")
		}
	}
	return []Fault{
		{Name: "a POST of resources keeping the content of one that exists", Check: contract.CheckBehaviour, Labels: "Op:postProjectResources",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					if !resourceList(http.MethodPost)(r) {
						return
					}
					posted, changed := postedResources(r), false
					for i, res := range posted {
						rec := httptest.NewRecorder()
						next.ServeHTTP(rec, resourceRequest(r, http.MethodGet, strings.TrimSuffix(r.URL.Path, "/resource"), res.ResourceURI))
						var old postedResource
						if rec.Code == http.StatusOK && json.Unmarshal(rec.Body.Bytes(), &old) == nil {
							posted[i].ResourceContent, changed = old.ResourceContent, true
						}
					}
					if changed {
						setJSONBody(r, map[string]any{"resources": posted})
					}
				})
			}},
		{Name: "a PUT of a resource list deleting the level's other resources first", Check: contract.CheckBehaviour, Labels: "Op:putProjectResources",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					if !resourceList(http.MethodPut)(r) {
						return
					}
					for _, res := range listAt(next, r, r.URL.Path, "resources") {
						if u, _ := res["resourceURI"].(string); u != "" {
							next.ServeHTTP(httptest.NewRecorder(), resourceRequest(r, http.MethodDelete, strings.TrimSuffix(r.URL.Path, "/resource"), strings.TrimPrefix(u, "/")))
						}
					}
				})
			}},
		{Name: "closeRemediations closing the approvals of the Keptn context too", Check: contract.CheckBehaviour, Labels: "Op:createApproval",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					if r.Method != http.MethodDelete || !strings.HasPrefix(r.URL.Path, cs) || !strings.Contains(r.URL.Path, "/remediation/") {
						return
					}
					svc, ctx, _ := strings.Cut(r.URL.Path, "/remediation/")
					for _, a := range listAt(next, r, svc+"/approval", "approvals") {
						if a["keptnContext"] == ctx {
							next.ServeHTTP(httptest.NewRecorder(), subRequest(r, http.MethodDelete, svc+"/approval/"+a["eventId"].(string)))
						}
					}
				})
			}},
		{Name: "a remediation whose Keptn context is no UUID refused", Check: contract.CheckStatusExpected, Labels: "Op:createRemediation",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					var rem struct{ KeptnContext string }
					if r.Method == http.MethodPost && createdForService.MatchString(r.URL.Path) && strings.HasSuffix(r.URL.Path, "/remediation") &&
						json.Unmarshal(readBody(r), &rem) == nil && rem.KeptnContext != "" && strings.Count(rem.KeptnContext, "-") != 4 {
						writeJSON(w, http.StatusBadRequest, map[string]any{"code": 400, "message": "keptnContext must be a UUID"})
						return
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "lastEventTypes naming an event by its triggeredid", Check: contract.CheckBehaviour, Labels: "Op:handleEventInternal",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					var ev map[string]any
					if r.Method == http.MethodPost && r.URL.Path == "/api/configuration-service/v1/event" && json.Unmarshal(readBody(r), &ev) == nil {
						if t, _ := ev["triggeredid"].(string); t != "" {
							ev["id"] = t
							setJSONBody(r, ev)
						}
					}
				})
			}},
		{Name: "a service's open approvals answered without their image and tag", Check: contract.CheckBehaviour, Labels: "Op:getStageService",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(r *http.Request) bool {
					return r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, cs) && strings.Contains(r.URL.Path, "/stage/") && strings.Contains(r.URL.Path, "/service/") && segments(r.URL.Path) == 9
				}, func(_ *http.Request, a *Answer) {
					a.JSON(func(m map[string]any) {
						for _, it := range asList(m["openApprovals"]) {
							if ap, ok := it.(map[string]any); ok {
								delete(ap, "image")
								delete(ap, "tag")
							}
						}
					})
				})
			}},
		{Name: "a deployment-finished event without image clearing the service's deployedImage", Check: contract.CheckBehaviour, Labels: "Op:handleEventInternal",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				var mu sync.Mutex
				cleared := map[string]bool{} // the services (their stage's path) an imageless deployment named
				next = before(next, func(r *http.Request) {
					var ev struct {
						Type string
						Data struct{ Project, Stage, Service, Image string }
					}
					if r.Method == http.MethodPost && r.URL.Path == "/api/configuration-service/v1/event" && json.Unmarshal(readBody(r), &ev) == nil &&
						ev.Type == "sh.keptn.events.deployment-finished" && ev.Data.Image == "" {
						mu.Lock()
						cleared[cs+ev.Data.Project+"/stage/"+ev.Data.Stage+"/service/"+ev.Data.Service] = true
						mu.Unlock()
					}
				})
				return rewrite(next, func(r *http.Request) bool {
					mu.Lock()
					defer mu.Unlock()
					return r.Method == http.MethodGet && cleared[r.URL.Path]
				}, func(_ *http.Request, a *Answer) { a.JSON(func(m map[string]any) { delete(m, "deployedImage") }) })
			}},
		{Name: "a service's open remediations answered one per Keptn context", Check: contract.CheckBehaviour, Labels: "Op:createRemediation",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(r *http.Request) bool { return r.Method == http.MethodGet && stageService.MatchString(r.URL.Path) }, func(_ *http.Request, a *Answer) {
					a.JSON(func(m map[string]any) {
						seen, kept := map[any]bool{}, []any{}
						for _, it := range asList(m["openRemediations"]) {
							if rem, ok := it.(map[string]any); ok && !seen[rem["keptnContext"]] {
								seen[rem["keptnContext"]] = true
								kept = append(kept, it)
							}
						}
						if len(kept) > 0 {
							m["openRemediations"] = kept
						}
					})
				})
			}},
		{Name: "a project's git token answered by getProject", Check: contract.CheckBehaviour, Labels: "Op:createProject",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(r *http.Request) bool {
					return r.Method == http.MethodGet && projectInternal.MatchString(r.URL.Path)
				},
					func(_ *http.Request, a *Answer) {
						if a.Status == http.StatusOK {
							a.JSON(func(m map[string]any) { m["gitToken"] = "secret" })
						}
					})
			}},
		{Name: "getEventsByType's limit taking the oldest events", Check: contract.CheckBehaviour, Labels: "Op:getEventsByType",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					q := r.URL.Query()
					if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/api/mongodb-datastore/event/type/") || q.Get("limit") == "" {
						next.ServeHTTP(w, r)
						return
					}
					n, err := strconv.Atoi(q.Get("limit"))
					if err != nil {
						next.ServeHTTP(w, r)
						return
					}
					q.Del("limit")
					r.URL.RawQuery = q.Encode()
					rewrite(next, func(*http.Request) bool { return true }, func(_ *http.Request, a *Answer) {
						a.JSON(func(m map[string]any) {
							if evs := asList(m["events"]); n < len(evs) {
								m["events"] = evs[len(evs)-n:]
							}
						})
					}).ServeHTTP(w, r)
				})
			}},
	}
}
