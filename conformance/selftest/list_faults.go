package selftest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
)

// listFaults are bugs of list handlers written by hand into gateways that the suite once let
// through: a range check that leaves its documented bound out, a list by a key prefix without its
// separator, getEventsByType reading only its filter once one is given, a Keptn context's
// remediations closed one at a time.
func listFaults() []Fault {
	return []Fault{
		{Name: "a page size at its documented maximum refused (the range check's bound left out)", Check: contract.CheckStatusExpected, Labels: "Feature:" + cases.FeaturePageBounds,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					q, most := r.URL.Query(), "50"
					if strings.HasPrefix(r.URL.Path, "/api/mongodb-datastore/") {
						most = "100"
					}
					if r.Method == http.MethodGet && (q.Get("pageSize") == most || q.Get("limit") == most) {
						writeJSON(w, http.StatusBadRequest, map[string]any{"code": 400, "message": "the page size must be below " + most})
						return
					}
					next.ServeHTTP(w, r)
				})
			}},
		neighboursListed,
		{Name: "getEventsByType ignoring fromTime once a filter is given (an if-else chain)", Check: contract.CheckBehaviour, Labels: "Op:getEventsByType",
			Wrap: func(next http.Handler, _ *Harness) http.Handler { return ignoreWithFilter(next, "fromTime") }},
		{Name: "getEventsByType ignoring limit once a filter is given (an if-else chain)", Check: contract.CheckBehaviour, Labels: "Op:getEventsByType",
			Wrap: func(next http.Handler, _ *Harness) http.Handler { return ignoreWithFilter(next, "limit") }},
		{Name: "closeRemediations closing one remediation of the Keptn context, the first, at a time", Check: contract.CheckBehaviour, Labels: "Op:createRemediation",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					base, _, isOne := strings.Cut(r.URL.Path, "/remediation/")
					if r.Method != http.MethodDelete || !strings.HasPrefix(r.URL.Path, cs) || !isOne {
						next.ServeHTTP(w, r)
						return
					}
					ofContext := listAt(next, r, r.URL.Path, "remediations")
					next.ServeHTTP(w, r)
					// The rest of the context's remediations come back: only the first was closed.
					for i, rem := range ofContext {
						if i == 0 {
							continue
						}
						q := subRequest(r, http.MethodPost, base+"/remediation")
						setJSONBody(q, rem)
						q.Header.Set("Content-Type", "application/json")
						next.ServeHTTP(httptest.NewRecorder(), q)
					}
				})
			}},
	}
}

// ignoreWithFilter drops param from getEventsByType's query when a filter is given.
func ignoreWithFilter(next http.Handler, param string) http.Handler {
	return before(next, func(r *http.Request) {
		q := r.URL.Query()
		if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/mongodb-datastore/event/type/") && q.Get("filter") != "" {
			q.Del(param)
			r.URL.RawQuery = q.Encode()
		}
	})
}

// neighboursListed lists by a level's path prefix without its separator: a list of a project,
// stage or service takes in the resources written to those whose names begin with its name
// ("carts-b"'s with "carts"'s), as a store's prefix scan of "p/carts" instead of "p/carts\x00".
var neighboursListed = Fault{Name: "a resource list taking in the resources of a level whose name begins with the listed one's", Check: contract.CheckBehaviour, Labels: "Feature:ListScope",
	Wrap: func(next http.Handler, _ *Harness) http.Handler {
		var mu sync.Mutex
		written := map[string][]string{} // a level's path: the URIs written there
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			level, isList := strings.CutSuffix(r.URL.Path, "/resource")
			if !strings.HasPrefix(r.URL.Path, cs) || !isList {
				next.ServeHTTP(w, r)
				return
			}
			if r.Method == http.MethodPost || r.Method == http.MethodPut {
				mu.Lock()
				for _, res := range postedResources(r) {
					written[level] = append(written[level], res.ResourceURI)
				}
				mu.Unlock()
			}
			if r.Method != http.MethodGet {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			var doc map[string]any
			if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &doc) != nil {
				replay(w, rec)
				return
			}
			items, _ := doc["resources"].([]any)
			mu.Lock()
			for l, uris := range written {
				if strings.HasPrefix(l, level) && l != level && !strings.HasPrefix(l, level+"/") {
					for _, u := range uris {
						items = append(items, map[string]any{"resourceURI": u})
					}
				}
			}
			mu.Unlock()
			doc["resources"] = items
			doc["totalCount"] = len(items)
			var b bytes.Buffer
			_ = json.NewEncoder(&b).Encode(doc)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.Header().Del("Content-Length")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(b.Bytes())
		})
	}}

// configFaults are the ninth batch's configuration-service escapes: an approval found by its Keptn
// context too, remediations found by a prefix of their context, a service's defaults keyed like
// the stage of its name, an unknown project's stage answered 404, the project's services listed
// newest first, a URI's leading slash refused.
func configFaults() []Fault {
	const approval, remediation = "/approval/", "/remediation/"
	return []Fault{
		{Name: "getApproval finding an approval by its Keptn context as well as by its id", Check: contract.CheckStatusExpected, Labels: "Op:getApproval",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if _, id, ok := strings.Cut(r.URL.Path, approval); ok && r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, cs) {
						_, items := itemList(next, r, approval)
						for _, it := range items {
							if it["keptnContext"] == id {
								writeJSON(w, http.StatusOK, it)
								return
							}
						}
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "getRemediationsForContext finding the remediations of every context the given one begins", Check: contract.CheckBehaviour, Labels: "Op:getRemediationsForContext",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if _, ctx, ok := strings.Cut(r.URL.Path, remediation); ok && r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, cs) {
						var found []map[string]any
						_, items := itemList(next, r, remediation)
						for _, it := range items {
							if c, _ := it["keptnContext"].(string); strings.HasPrefix(c, ctx) {
								found = append(found, it)
							}
						}
						if len(found) > 0 {
							writeJSON(w, http.StatusOK, map[string]any{"remediations": found, "totalCount": len(found), "pageSize": 20, "nextPageKey": "0"})
							return
						}
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "a service's defaults keyed like the stage of its name (a default resource answered as the stage's)", Check: contract.CheckBehaviour, Labels: "Feature:ListScope",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					// .../project/<p>/stage/<s>/resource/<uri>: the defaults of service <s> under <uri>.
					level, uri, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, cs), "/resource/")
					seg := strings.Split(level, "/")
					if ok && r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, cs) && len(seg) == 3 && seg[1] == "stage" {
						if status, body := serve(next, r, cs+seg[0]+"/service/"+seg[2]+"/resource/"+uri); status == http.StatusOK {
							w.Header().Set("Content-Type", "application/json")
							_, _ = w.Write(body)
							return
						}
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "every stage's deployedImage in stageInfo copied from the first stage", Check: contract.CheckBehaviour, Labels: "Op:handleEventInternal",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, route("GET", cs+"*"), func(r *http.Request, a *Answer) {
					a.JSON(func(m map[string]any) {
						infos, _ := m["stageInfo"].([]any)
						if len(infos) == 0 {
							return
						}
						first, _ := infos[0].(map[string]any)
						for _, in := range infos {
							if info, ok := in.(map[string]any); ok && first != nil {
								info["deployedImage"] = first["deployedImage"]
							}
						}
					})
				})
			}},
		{Name: "an approval stored with the time it arrived, not the time it carries", Check: contract.CheckBehaviour, Labels: "Op:createApproval",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					var a map[string]any
					if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/approval") && json.Unmarshal(readBody(r), &a) == nil && a["time"] != nil {
						a["time"] = time.Now().UTC().Format(time.RFC3339)
						setJSONBody(r, a)
					}
				})
			}},
		{Name: "a stage's services and its service's open approvals listed newest first", Check: contract.CheckBehaviour, Labels: "Op:createService || Op:getStageService", Level: grade.Should,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, route("GET", cs+"*"), func(r *http.Request, a *Answer) {
					a.JSON(func(m map[string]any) {
						for _, k := range []string{"openApprovals", "services"} {
							if items, ok := m[k].([]any); ok && (k == "openApprovals" || strings.Contains(r.URL.Path, "/stage/")) {
								slices.Reverse(items)
							}
						}
					})
				})
			}},
		{Name: "a disableUpstreamSync that is no boolean taken", Check: contract.CheckStatusExpected, Labels: "Op:getProjects", Level: grade.Should,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					q := r.URL.Query()
					if v := q.Get("disableUpstreamSync"); v != "" && v != "true" && v != "false" {
						q.Del("disableUpstreamSync")
						r.URL.RawQuery = q.Encode()
					}
				})
			}},
		// The service's record read before an event is handled and written back after it: the
		// approvals written meanwhile are lost (closed again here).
		{Name: "an event's view update read in one transaction and written in another (approvals written meanwhile lost)", Check: cases.CheckConcurrent, Labels: "Feature:ConcurrentWrites",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					var ev struct {
						Data struct{ Project, Stage, Service string }
					}
					if r.Method != http.MethodPost || r.URL.Path != "/api/configuration-service/v1/event" || json.Unmarshal(readBody(r), &ev) != nil || ev.Data.Service == "" {
						next.ServeHTTP(w, r)
						return
					}
					list := cs + ev.Data.Project + "/stage/" + ev.Data.Stage + "/service/" + ev.Data.Service + "/approval"
					ids := func() []string {
						var out []string
						for _, a := range listAt(next, r, list, "approvals") {
							out = append(out, fmt.Sprint(a["eventId"]))
						}
						return out
					}
					before := ids()
					time.Sleep(20 * time.Millisecond) // the read and the write of the record, apart
					next.ServeHTTP(w, r)
					for _, id := range ids() {
						if !slices.Contains(before, id) {
							next.ServeHTTP(httptest.NewRecorder(), subRequest(r, http.MethodDelete, list+"/"+id))
						}
					}
				})
			}},
		{Name: "an internal stage create for an unknown project answered 404", Check: contract.CheckStatusExpected, Labels: "Op:createStageInternal",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(r *http.Request) bool {
					return r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, cs) && strings.HasSuffix(r.URL.Path, "/stage")
				}, func(_ *http.Request, a *Answer) {
					if a.Status == http.StatusBadRequest && strings.Contains(string(a.Body), "does not exist") {
						a.Status = http.StatusNotFound
					}
				})
			}},
		{Name: "a project's services listed newest first", Check: contract.CheckBehaviour, Labels: "Op:createService", Level: grade.Should,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(r *http.Request) bool {
					return r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, cs) && strings.HasSuffix(r.URL.Path, "/service") && !strings.Contains(r.URL.Path, "/stage/")
				}, func(_ *http.Request, a *Answer) {
					a.JSON(func(m map[string]any) {
						if items, ok := m["services"].([]any); ok {
							slices.Reverse(items)
						}
					})
				})
			}},
		{Name: "a resource URI with a leading slash refused", Check: contract.CheckStatusExpected, Labels: "Op:postProjectResources", Level: grade.Should,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/resource") && slices.ContainsFunc(postedResources(r), func(p postedResource) bool { return strings.HasPrefix(p.ResourceURI, "/") }) {
						writeJSON(w, http.StatusBadRequest, map[string]any{"code": 400, "message": "resourceURI must not begin with /"})
						return
					}
					next.ServeHTTP(w, r)
				})
			}},
	}
}
