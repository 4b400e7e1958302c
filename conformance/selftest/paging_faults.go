package selftest

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
)

// pagingFaults break the paging of lists the way offset arithmetic goes wrong.
func pagingFaults() []Fault {
	lists := func(r *http.Request) bool {
		return r.Method == "GET" && (strings.HasPrefix(r.URL.Path, "/api/configuration-service/") || r.URL.Path == "/api/mongodb-datastore/event")
	}
	return []Fault{
		{Name: "a default page size of 21 where the specs document 20 (datastore)", Check: cases.CheckPaging, Labels: "Feature:Paging",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					if q := r.URL.Query(); route("GET", "/api/mongodb-datastore/event")(r) && q.Get("pageSize") == "" {
						q.Set("pageSize", "21")
						r.URL.RawQuery = q.Encode()
					}
				})
			}},
		{Name: "pages one item short of the page size asked for", Check: cases.CheckPaging, Labels: "Feature:Paging", Level: grade.Should,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					q := r.URL.Query()
					if n, err := strconv.Atoi(q.Get("pageSize")); lists(r) && err == nil && n > 1 {
						q.Set("pageSize", strconv.Itoa(n-1))
						r.URL.RawQuery = q.Encode()
					}
				})
			}},
		{Name: "a next page key one short (each page repeats the last item of the one before)", Check: cases.CheckPaging, Labels: "Feature:Paging",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, lists, func(_ *http.Request, a *Answer) {
					a.JSON(func(m map[string]any) {
						if k, _ := m["nextPageKey"].(string); k != "" && k != "0" {
							if n, err := strconv.Atoi(k); err == nil && n > 1 {
								m["nextPageKey"] = strconv.Itoa(n - 1)
							}
						}
					})
				})
			}},
		{Name: "a totalCount one too many on the configuration-service's lists", Check: cases.CheckPaging, Labels: "Feature:Paging",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, lists, func(_ *http.Request, a *Answer) {
					a.JSON(func(m map[string]any) {
						if n, ok := m["totalCount"].(float64); ok && m["events"] == nil {
							m["totalCount"] = n + 1
						}
					})
				})
			}},
		{Name: "a last page that keeps a key (the walk goes on past the end, from the start)", Check: cases.CheckPaging, Labels: "Feature:Paging",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, lists, func(_ *http.Request, a *Answer) {
					a.JSON(func(m map[string]any) {
						if k, _ := m["nextPageKey"].(string); k == "0" || k == "" {
							m["nextPageKey"] = "1"
						}
					})
				})
			}},
		{Name: "a page key past the end answering the first page again", Check: cases.CheckPaging, Labels: "Feature:Paging", Level: grade.Should,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					q := r.URL.Query()
					if n, err := strconv.Atoi(q.Get("nextPageKey")); lists(r) && err == nil && n >= 100 {
						q.Del("nextPageKey")
						r.URL.RawQuery = q.Encode()
					}
				})
			}},
	}
}

// eventFilterFaults ignore one of getEvents' filters each.
func eventFilterFaults() []Fault {
	var out []Fault
	for _, param := range []string{"keptnContext", "type", "source", "eventID", "stage", "service", "root"} {
		level := grade.Level("")
		if param == "root" {
			level = grade.Should
		}
		out = append(out, Fault{Name: "getEvents' " + param + " filter ignored", Check: contract.CheckBehaviour, Labels: "Feature:EventFilters", Level: level,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return ignoreQuery(next, route("GET", "/api/mongodb-datastore/event"), param)
			}})
	}
	// An if-else chain over the filters: of those given, only the first applies.
	out = append(out, Fault{Name: "getEvents applies only the first of the filters it is given (an if-else chain)", Check: contract.CheckBehaviour, Labels: "Feature:EventFilters",
		Wrap: func(next http.Handler, _ *Harness) http.Handler {
			match := route("GET", "/api/mongodb-datastore/event")
			return before(next, func(r *http.Request) {
				if !match(r) {
					return
				}
				q, first := r.URL.Query(), true
				for _, k := range []string{"keptnContext", "type", "source", "eventID", "stage", "service", "root", "fromTime"} {
					if q.Get(k) != "" && !first {
						q.Del(k)
					}
					first = first && q.Get(k) == ""
				}
				r.URL.RawQuery = q.Encode()
			})
		}})
	return out
}

// emptyChart stores an empty Helm chart with every service created without one.
func emptyChart() Fault {
	return Fault{Name: "an empty Helm chart stored with a service created without one", Check: contract.CheckBehaviour, Labels: "Op:getServiceResources", Level: grade.Should,
		Wrap: func(next http.Handler, _ *Harness) http.Handler {
			return rewrite(next, func(r *http.Request) bool {
				return r.Method == "GET" && strings.HasPrefix(r.URL.Path, cs) && strings.Contains(r.URL.Path, "/stage/") && strings.HasSuffix(r.URL.Path, "/resource")
			}, func(r *http.Request, a *Answer) {
				a.JSON(func(m map[string]any) {
					seg := strings.Split(r.URL.Path, "/")
					if len(seg) < 3 || seg[len(seg)-3] != "service" {
						return
					}
					if rs, _ := m["resources"].([]any); len(rs) == 0 {
						m["resources"] = []any{map[string]any{"resourceURI": "helm/" + seg[len(seg)-2] + ".tgz"}}
						m["totalCount"] = 1
					}
				})
			})
		}}
}
