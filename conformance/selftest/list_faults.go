package selftest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
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
					rec := httptest.NewRecorder()
					next.ServeHTTP(rec, subRequest(r, http.MethodGet, r.URL.Path))
					var doc struct{ Remediations []map[string]any }
					_ = json.Unmarshal(rec.Body.Bytes(), &doc)
					next.ServeHTTP(w, r)
					// The rest of the context's remediations come back: only the first was closed.
					for i, rem := range doc.Remediations {
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
