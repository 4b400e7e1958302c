package selftest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/conformance/profiles"
)

// recallFaults are bugs written inside real gateways that the suite once let through: a token
// compared loosely, special and open routes matched loosely, an optional property renamed, writes
// at the same time mishandled, a token kept after a rotation, a delete that leaves the deleted
// one's resources behind, an approval or remediation matched by anything but its own key, names
// matched loosely.
func recallFaults() []Fault {
	return slices.Concat(looseTokenFaults(), looseRouteFaults(), []Fault{renamedProperty, leftBehind, neighboursTaken, evaluationStageOnly, noOpenRemediations, noLastEventTypes, imageWithoutTag}, concurrentFaults(), keptTokenFaults(), oneOfTwoFaults(), nearMissFaults(), eventFaults(), []Fault{bodyNamesResource}, listFaults(), recordFaults(), inputFaults(), configFaults(), upstreamGapFaults(), neighbourFaults(), writeAndViewFaults())
}

// leftBehind is a delete that does not cascade: the resources written at a level are answered
// again once the project or service they belong to is made again under its name (a GET of one
// that the gateway now answers 404).
var leftBehind = Fault{Name: "a deleted project's or service's resources left behind, answered again once it is made again",
	Check: contract.CheckBehaviour, Labels: "Feature:Recreate",
	Wrap: func(next http.Handler, _ *Harness) http.Handler {
		var mu sync.Mutex
		written := map[string]string{} // a resource's path: its content (base64)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			level, uri, isOne := strings.Cut(r.URL.Path, "/resource/")
			if !strings.HasPrefix(r.URL.Path, cs) || !strings.HasSuffix(level, "/resource") && !isOne {
				next.ServeHTTP(w, r)
				return
			}
			switch {
			case r.Method == http.MethodPost && !isOne:
				mu.Lock()
				for _, res := range postedResources(r) {
					written[r.URL.Path+"/"+res.ResourceURI] = res.ResourceContent
				}
				mu.Unlock()
			case r.Method == http.MethodGet && isOne:
				rec := httptest.NewRecorder()
				next.ServeHTTP(rec, r)
				mu.Lock()
				content, ok := written[r.URL.Path]
				mu.Unlock()
				if rec.Code == http.StatusNotFound && ok {
					writeJSON(w, http.StatusOK, map[string]string{"resourceURI": uri, "resourceContent": content})
					return
				}
				replay(w, rec)
				return
			}
			next.ServeHTTP(w, r)
		})
	}}

// postedResource is a resource of a write's body.
type postedResource struct{ ResourceURI, ResourceContent string }

// postedResources reads the resources a write sends (none when its body is no such document) and
// puts the body back for the gateway.
func postedResources(r *http.Request) []postedResource {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var doc struct{ Resources []postedResource }
	_ = json.Unmarshal(body, &doc)
	return doc.Resources
}

// neighboursTaken deletes by a name's prefix without its separator: a delete of a project, stage or
// service takes the resources of every level whose path begins with the deleted one's (project
// "carts" takes "carts-db"'s), as a store's prefix delete of "p/carts" instead of "p/carts/" does.
var neighboursTaken = Fault{Name: "a delete of a project, stage or service taking the resources of those whose names begin with its name",
	Check: contract.CheckBehaviour, Labels: "Feature:DeleteScope",
	Wrap: func(next http.Handler, _ *Harness) http.Handler {
		var mu sync.Mutex
		written := map[string][]string{} // a level's path: the URIs written there
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasPrefix(r.URL.Path, cs) {
				next.ServeHTTP(w, r)
				return
			}
			switch level, isList := strings.CutSuffix(r.URL.Path, "/resource"); {
			case r.Method == http.MethodPost && isList:
				mu.Lock()
				for _, res := range postedResources(r) {
					written[level] = append(written[level], res.ResourceURI)
				}
				mu.Unlock()
			case r.Method == http.MethodDelete && !strings.Contains(r.URL.Path, "/resource/"):
				rec := httptest.NewRecorder()
				next.ServeHTTP(rec, r)
				if rec.Code/100 == 2 {
					mu.Lock()
					var doomed []string
					for l, uris := range written {
						if strings.HasPrefix(l, r.URL.Path) && !strings.HasPrefix(l, r.URL.Path+"/") && l != r.URL.Path {
							for _, u := range uris {
								doomed = append(doomed, l+"/resource/"+u)
							}
						}
					}
					mu.Unlock()
					for _, d := range doomed {
						next.ServeHTTP(httptest.NewRecorder(), subRequest(r, http.MethodDelete, d))
					}
				}
				replay(w, rec)
				return
			}
			next.ServeHTTP(w, r)
		})
	}}

// evaluationStageOnly checks the stage of an evaluation and not its service: an unknown service
// of a known stage is answered 200, as if the evaluation had started.
var evaluationStageOnly = Fault{Name: "triggerEvaluation looking up the stage and not the service (an unknown service answered 200)",
	Check: contract.CheckStatusExpected, Labels: "Op:triggerEvaluation", Level: grade.Should,
	Wrap: func(next http.Handler, _ *Harness) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			stage, _, isEval := strings.Cut(r.URL.Path, "/service/")
			if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/api/v1/project/") || !isEval || !strings.HasSuffix(r.URL.Path, "/evaluation") {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			if rec.Code == http.StatusNotFound {
				probe := httptest.NewRecorder()
				next.ServeHTTP(probe, subRequest(r, http.MethodGet, "/api/configuration-service/v1/"+strings.TrimPrefix(stage, "/api/v1/")))
				if probe.Code == http.StatusOK {
					writeJSON(w, http.StatusOK, map[string]string{"keptnContext": uuid()})
					return
				}
			}
			replay(w, rec)
		})
	}}

// stageService is configuration-service's GET of a service of a stage.
var stageService = regexp.MustCompile(`^/api/configuration-service/v1/project/[^/]+/stage/[^/]+/service/[^/]+$`)

// noOpenRemediations answers a service of a stage without its open remediations, as a view that
// is never updated when one is created.
var noOpenRemediations = blankedServiceField("a stage's service answered without its open remediations (openRemediations always empty)",
	"openRemediations", []any{}, "Op:createRemediation", "")

// imageWithoutTag answers a service of a stage with its deployed image but not the image's tag, as
// a view that takes data.image of a deployment-finished event and leaves data.tag out.
var imageWithoutTag = Fault{Name: "a stage's service answered with the deployed image of a deployment-finished event without its tag",
	Check: contract.CheckBehaviour, Labels: "Op:handleEventInternal", Level: grade.Should,
	Wrap: func(next http.Handler, _ *Harness) http.Handler {
		return rewrite(next, func(r *http.Request) bool { return r.Method == http.MethodGet && stageService.MatchString(r.URL.Path) }, func(_ *http.Request, a *Answer) {
			if a.Status == http.StatusOK {
				a.JSON(func(m map[string]any) {
					if image, ok := m["deployedImage"].(string); ok {
						m["deployedImage"], _, _ = strings.Cut(image, ":")
					}
				})
			}
		})
	}}

// bodyNamesResource writes a PUT of one resource under the body's resourceURI instead of the
// path's, as a handler that reads the URI from the decoded body does.
var bodyNamesResource = Fault{Name: "a PUT of one resource written under its body's resourceURI, not its path's",
	Check: contract.CheckBehaviour, Labels: "/^Op:put.*Resource$/",
	Wrap: func(next http.Handler, _ *Harness) http.Handler {
		return before(next, func(r *http.Request) {
			level, _, isOne := strings.Cut(r.URL.Path, "/resource/")
			if r.Method != http.MethodPut || !strings.HasPrefix(r.URL.Path, cs) || !isOne {
				return
			}
			var body struct{ ResourceURI string }
			if json.Unmarshal(readBody(r), &body) == nil && body.ResourceURI != "" {
				r.URL.Path = level + "/resource/" + body.ResourceURI
				r.URL.RawPath = ""
			}
		})
	}}

// eventFaults are api-service and datastore bugs about events: a new Keptn context that is no RFC
// 4122 UUID (its variant bits never set), an evaluation's labels left out of its event, an event
// sent without a specversion stored as 1.0,
// getEvent answering a context's latest event whatever its type, and an empty query parameter of
// getEvents taken as a filter on the empty value (the keptn CLI sends keptnContext= always).
func eventFaults() []Fault {
	sendEvent := func(change func(ev map[string]any)) func(http.Handler, *Harness) http.Handler {
		return func(next http.Handler, _ *Harness) http.Handler {
			return before(next, func(r *http.Request) {
				var ev map[string]any
				if r.Method != http.MethodPost || r.URL.Path != "/api/v1/event" || json.Unmarshal(readBody(r), &ev) != nil {
					return
				}
				change(ev)
				setJSONBody(r, ev)
			})
		}
	}
	return []Fault{
		{Name: "a new Keptn context with the RFC 4122 variant bits not set", Check: contract.CheckBehaviour, Labels: "Op:sendEvent",
			Wrap: sendEvent(func(ev map[string]any) {
				if ev["shkeptncontext"] == nil {
					u := []byte(uuid())
					u[19] = "0123"[u[19]%4] // the variant nibble: 0-3 (NCS) instead of 8-b
					ev["shkeptncontext"] = string(u)
				}
			})},
		{Name: "triggerEvaluation leaving the labels it was asked with out of its event", Check: contract.CheckBehaviour, Labels: "Op:triggerEvaluation", Level: grade.Should,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					var req map[string]any
					if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/evaluation") || json.Unmarshal(readBody(r), &req) != nil {
						return
					}
					if _, ok := req["labels"].(map[string]any); !ok {
						return // a body the gateway refuses stays as it is
					}
					delete(req, "labels")
					setJSONBody(r, req)
				})
			}},
		{Name: "an event sent without a specversion stored as specversion 1.0", Check: contract.CheckBehaviour, Labels: "Op:sendEvent", Level: grade.Should,
			Wrap: sendEvent(func(ev map[string]any) {
				if ev["specversion"] == nil {
					ev["specversion"] = "1.0"
				}
			})},
		{Name: "an event sent without a contenttype stored as application/cloudevents+json", Check: contract.CheckBehaviour, Labels: "Op:sendEvent", Level: grade.Should,
			Wrap: sendEvent(func(ev map[string]any) {
				if ev["contenttype"] == nil {
					ev["contenttype"] = "application/cloudevents+json"
				}
			})},
		{Name: "an internal project update that rebuilds the project from its git settings, dropping its stages", Check: contract.CheckBehaviour, Labels: "Op:updateProjectInternal", Level: grade.Should,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					rec := httptest.NewRecorder()
					next.ServeHTTP(rec, r)
					if r.Method == http.MethodPut && projectInternal.MatchString(r.URL.Path) && rec.Code == http.StatusNoContent {
						for _, st := range stagesOf(next, r) {
							next.ServeHTTP(httptest.NewRecorder(), subRequest(r, http.MethodDelete, r.URL.Path+"/stage/"+st))
						}
					}
					replay(w, rec)
				})
			}},
		{Name: "a stage created through configuration-service listed before the project's others", Check: contract.CheckBehaviour, Labels: "Op:createStageInternal",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(r *http.Request) bool {
					return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/stage")
				}, func(_ *http.Request, a *Answer) {
					a.JSON(func(m map[string]any) {
						if st := asList(m["stages"]); len(st) > 2 {
							m["stages"] = append(st[len(st)-1:], st[:len(st)-1]...)
						}
					})
				})
			}},
		{Name: "resource content decoded as URL-safe base64 (+ and / refused)", Check: contract.CheckStatusExpected, Labels: "Op:postProjectResources",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if strings.HasPrefix(r.URL.Path, cs) && (r.Method == http.MethodPost || r.Method == http.MethodPut) {
						for _, res := range postedResources(r) {
							if strings.ContainsAny(res.ResourceContent, "+/") {
								writeJSON(w, http.StatusBadRequest, map[string]any{"code": 400, "message": "illegal base64 data"})
								return
							}
						}
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "an internal event's time checked as a date on its first 10 characters only", Check: contract.CheckStatusExpected, Labels: "Op:saveEventInternal || Op:handleEventInternal",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					var ev map[string]any
					if r.Method != http.MethodPost || (r.URL.Path != "/api/mongodb-datastore/event" && r.URL.Path != "/api/configuration-service/v1/event") || json.Unmarshal(readBody(r), &ev) != nil {
						return
					}
					t, _ := ev["time"].(string)
					if _, err := time.Parse(time.RFC3339Nano, t); err == nil || len(t) < 10 {
						return
					}
					if _, err := time.Parse(time.DateOnly, t[:10]); err == nil {
						ev["time"] = t[:10] + "T00:00:00Z"
						setJSONBody(r, ev)
					}
				})
			}},
		{Name: "getEvent answering the latest event of the Keptn context whatever its type", Check: contract.CheckBehaviour, Labels: "Op:sendEvent",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method != http.MethodGet || r.URL.Path != "/api/v1/event" || r.URL.Query().Get("type") == "" {
						next.ServeHTTP(w, r)
						return
					}
					q := subRequest(r, http.MethodGet, "/api/mongodb-datastore/event")
					q.URL.RawQuery = url.Values{"keptnContext": {r.URL.Query().Get("keptnContext")}, "pageSize": {"1"}}.Encode()
					rec := httptest.NewRecorder()
					next.ServeHTTP(rec, q)
					var page struct{ Events []json.RawMessage }
					if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &page) != nil || len(page.Events) == 0 {
						writeJSON(w, http.StatusNotFound, map[string]any{"code": 404, "message": "no event found"})
						return
					}
					w.Header().Set("Content-Type", "application/json")
					_, _ = w.Write(page.Events[0])
				})
			}},
		{Name: "getEvents listing events by arrival, the last stored first, not by their time", Check: contract.CheckBehaviour, Labels: "Op:saveEventInternal",
			Wrap: func(next http.Handler, _ *Harness) http.Handler { return byArrival(next) }},
		{Name: "getEvents taking fromTime as inclusive (an event at exactly that time listed)", Check: contract.CheckBehaviour, Labels: "Op:saveEventInternal",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					q := r.URL.Query()
					if t, err := time.Parse(time.RFC3339Nano, q.Get("fromTime")); err == nil && r.Method == http.MethodGet && r.URL.Path == "/api/mongodb-datastore/event" {
						q.Set("fromTime", t.Add(-time.Millisecond).Format(time.RFC3339Nano))
						r.URL.RawQuery = q.Encode()
					}
				})
			}},
		{Name: "an empty query parameter of getEvents taken as a filter on the empty value", Check: profiles.CheckKeptnCLI, Labels: "Profile:KeptnCLI",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(r *http.Request) bool {
					if r.Method != http.MethodGet || r.URL.Path != "/api/mongodb-datastore/event" {
						return false
					}
					for _, v := range r.URL.Query() {
						if slices.Contains(v, "") {
							return true
						}
					}
					return false
				}, func(_ *http.Request, a *Answer) {
					if a.Status == http.StatusOK {
						setJSON(a, http.StatusOK, map[string]any{"events": []any{}, "totalCount": 0, "pageSize": 0})
					}
				})
			}},
	}
}

// noLastEventTypes answers a service of a stage with its lastEventTypes never updated by the
// events handed to configuration-service.
var noLastEventTypes = blankedServiceField("a stage's service answered with lastEventTypes never updated by the events it was handed",
	"lastEventTypes", map[string]any{}, "Op:handleEventInternal", grade.Should)

// blankedServiceField is a fault answering every service of a stage with field set to empty.
func blankedServiceField(name, field string, empty any, labels string, level grade.Level) Fault {
	return Fault{Name: name, Check: contract.CheckBehaviour, Labels: labels, Level: level,
		Wrap: func(next http.Handler, _ *Harness) http.Handler {
			return rewrite(next, func(r *http.Request) bool { return r.Method == http.MethodGet && stageService.MatchString(r.URL.Path) }, func(_ *http.Request, a *Answer) {
				if a.Status == http.StatusOK {
					a.JSON(func(m map[string]any) { m[field] = empty })
				}
			})
		}}
}

// replay writes a recorded answer.
func replay(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// concurrentFaults are gateways that mishandle writes to one list arriving while another is in
// flight: a lost update (each of the others gets the first one's answer, its success, and is
// not stored), and, a SHOULD, refusing the others with 400 (nothing lost).
func concurrentFaults() []Fault {
	return []Fault{
		{Name: "of writes to one list at the same time, one stored and the others answered as it was (a lost update)",
			Check: cases.CheckConcurrent, Labels: "Feature:ConcurrentWrites",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return beside(next, func(w http.ResponseWriter, _ *http.Request, first func() *httptest.ResponseRecorder) {
					replay(w, first())
				})
			}},
		{Name: "of writes to one list at the same time, one stored and the others refused with 400",
			Check: contract.CheckStatusExpected, Level: grade.Should, Labels: "Feature:ConcurrentWrites",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return beside(next, func(w http.ResponseWriter, _ *http.Request, _ func() *httptest.ResponseRecorder) {
					writeJSON(w, http.StatusBadRequest, map[string]any{"code": 400, "message": "another change of the project is in progress"})
				})
			}},
	}
}

// beside serves a POST that arrives while another to the same path is in flight with other (first
// waits for that one's answer), and the rest as next does.
func beside(next http.Handler, other func(w http.ResponseWriter, r *http.Request, first func() *httptest.ResponseRecorder)) http.Handler {
	type flight struct {
		done chan struct{}
		rec  *httptest.ResponseRecorder
	}
	var mu sync.Mutex
	inFlight := map[string]*flight{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			next.ServeHTTP(w, r)
			return
		}
		mu.Lock()
		f := inFlight[r.URL.Path]
		if f != nil {
			mu.Unlock()
			other(w, r, func() *httptest.ResponseRecorder { <-f.done; return f.rec })
			return
		}
		f = &flight{done: make(chan struct{}), rec: httptest.NewRecorder()}
		inFlight[r.URL.Path] = f
		mu.Unlock()
		// The read-change-write takes a while (its window for the others: always open when
		// writes are sent at the same time, so that the fault is caught on every run).
		time.Sleep(200 * time.Millisecond)
		next.ServeHTTP(f.rec, r)
		mu.Lock()
		delete(inFlight, r.URL.Path)
		mu.Unlock()
		close(f.done)
		replay(w, f.rec)
	})
}

// keptTokenFaults go on taking the tokens they had after a rotation, alongside the new one: on
// every route, or only where the gateway's auth subrequest guards the route (its answers cached).
// A former token the gateway refuses is tried again as the current one.
func keptTokenFaults() []Fault {
	kept := func(name string, where func(r *http.Request) bool) Fault {
		return Fault{Name: name, Check: cases.CheckRotationEffective, Labels: "Profile:TokenRotation",
			Wrap: func(next http.Handler, h *Harness) http.Handler {
				var mu sync.Mutex
				had := map[string]bool{h.Token: true}
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					cur, presented := h.currentToken(), r.Header.Get("x-token")
					mu.Lock()
					if cur != "" {
						had[cur] = true
					}
					former := presented != cur && had[presented] && where(r)
					mu.Unlock()
					if !former {
						next.ServeHTTP(w, r)
						return
					}
					body := readBody(r)
					rec := httptest.NewRecorder()
					next.ServeHTTP(rec, r)
					if rec.Code == http.StatusUnauthorized {
						r.Body = readerOf(body)
						r.Header.Set("x-token", cur)
						next.ServeHTTP(w, r)
						return
					}
					replay(w, rec)
				})
			}}
	}
	return []Fault{
		kept("every token it ever had still accepted after a rotation (old and new forever)", func(*http.Request) bool { return true }),
		kept("the old token still accepted on the configuration-service and datastore routes (the auth subrequest's answer cached)", func(r *http.Request) bool {
			return strings.HasPrefix(r.URL.Path, "/api/configuration-service/") || strings.HasPrefix(r.URL.Path, "/api/mongodb-datastore/")
		}),
	}
}

// renamedProperty answers the project and service listings' creationDate under another name: an
// optional property, so the schema still holds; only the undeclared property shows it.
var renamedProperty = Fault{Name: "an optional property renamed in the project and service listings (creationDate as creationTime)",
	Check: contract.CheckBodyUndeclared, Labels: "Op:getProjects || Op:getProjectServices", Level: grade.Should,
	Wrap: func(next http.Handler, _ *Harness) http.Handler {
		listing := func(r *http.Request) bool {
			p := strings.TrimSuffix(r.URL.Path, "/")
			return r.Method == "GET" && (p == "/api/configuration-service/v1/project" || strings.HasPrefix(p, cs) && strings.HasSuffix(p, "/service") && segments(p) == 6)
		}
		return rewrite(next, listing, func(_ *http.Request, a *Answer) {
			a.JSON(func(m map[string]any) {
				for _, key := range []string{"projects", "services"} {
					items, _ := m[key].([]any)
					for _, it := range items {
						if o, ok := it.(map[string]any); ok && o["creationDate"] != nil {
							o["creationTime"] = o["creationDate"]
							delete(o, "creationDate")
						}
					}
				}
			})
		})
	}}

// looseTokenFaults are gateways that take a near miss for the token: they compare a part of it,
// or what they were given after trimming it.
func looseTokenFaults() []Fault {
	const labels = "Profile:Auth && (Op:getMetadata || Op:getProjects)"
	loose := func(name string, takes func(presented, token string) bool) Fault {
		return Fault{Name: name, Check: cases.CheckUnauthorized, Labels: labels,
			Wrap: func(next http.Handler, h *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					token, presented := h.currentToken(), r.Header.Get("x-token")
					if presented != "" && presented != token && takes(presented, token) {
						r.Header.Set("x-token", token)
					}
				})
			}}
	}
	return []Fault{
		loose("a token compared by its first 16 characters only", func(p, t string) bool {
			return len(p) >= 16 && len(t) >= 16 && p[:16] == t[:16]
		}),
		loose("a token compared without its last character", func(p, t string) bool {
			return len(p) == len(t) && p[:len(p)-1] == t[:len(t)-1]
		}),
		loose("a token taken when it starts with the valid one (strings.HasPrefix)", strings.HasPrefix),
		loose("a token taken when the valid one starts with it (a truncation accepted)", func(p, t string) bool { return strings.HasPrefix(t, p) }),
		loose("a token taken when it ends with the valid one (strings.HasSuffix)", strings.HasSuffix),
		loose("a token taken when it contains the valid one (strings.Contains)", strings.Contains),
		loose("a token compared with its base64 padding trimmed", func(p, t string) bool {
			return strings.TrimRight(p, "=") == strings.TrimRight(t, "=")
		}),
	}
}

// specFileOf is the spec file a path starts with ("" for none).
func specFileOf(p string) string {
	for _, f := range cases.SpecFiles {
		if strings.HasPrefix(p, f) {
			return f
		}
	}
	return ""
}

// looseRouteFaults are gateways that match their special and open routes by prefix, or refuse
// methods on them without saying which they take.
func looseRouteFaults() []Fault {
	return []Fault{
		{Name: "a spec file served at every longer path (its route matched by prefix)", Check: contract.CheckStatusExpected, Labels: "Feature:Routes",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					if f := specFileOf(r.URL.Path); f != "" {
						r.URL.Path, r.URL.RawPath = f, ""
					}
				})
			}},
		{Name: "the auth route matched by prefix, a longer path let through without a token", Check: contract.CheckStatusExpected, Labels: "Feature:Routes",
			Wrap: func(next http.Handler, h *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					if strings.HasPrefix(r.URL.Path, "/api/v1/auth") && r.URL.Path != "/api/v1/auth" && r.Header.Get("x-token") == "" {
						r.URL.Path, r.URL.RawPath = "/api/v1/auth", ""
						r.Header.Set("x-token", h.currentToken())
					}
				})
			}},
		{Name: "a 405 without Allow on the open routes (spec files, health)", Check: contract.CheckHeaders, Labels: "Feature:Methods",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if (specFileOf(r.URL.Path) != "" || r.URL.Path == "/nginx-health") && r.Method != "GET" && r.Method != "HEAD" {
						writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"code": 405, "message": "method not allowed"})
						return
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "HEAD refused on the spec files (405, Allow: GET)", Check: contract.CheckStatusExpected, Labels: "Feature:Methods", Level: grade.Should,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if slices.Contains(cases.SpecFiles, r.URL.Path) && r.Method == http.MethodHead {
						w.Header().Set("Allow", "GET")
						writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"code": 405, "message": "method not allowed"})
						return
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "a spec file answered to any method (POST serves it)", Check: contract.CheckStatusExpected, Labels: "Feature:Methods", Level: grade.Should,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					if slices.Contains(cases.SpecFiles, r.URL.Path) {
						r.Method = "GET"
					}
				})
			}},
	}
}

// itemList is the service's list the path's item belongs to (key "/approval/": .../approval), as
// next answers it, and that list's path.
func itemList(next http.Handler, r *http.Request, key string) (string, []map[string]any) {
	base, _, _ := strings.Cut(r.URL.Path, key)
	base += strings.TrimSuffix(key, "/")
	return base, listAt(next, r, base, strings.Trim(key, "/")+"s")
}

// listAt is the array items of the list next answers a GET of path with (r's token).
func listAt(next http.Handler, r *http.Request, path, items string) []map[string]any {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, subRequest(r, http.MethodGet, path))
	var doc map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &doc)
	var out []map[string]any
	all, _ := doc[items].([]any)
	for _, it := range all {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// subRequest is a request of the gateway's own, with r's token, for a path as the gateway's
// handlers see it (decoded).
func subRequest(r *http.Request, method, path string) *http.Request {
	q := httptest.NewRequest(method, "/", nil)
	q.URL.Path = path
	q.Header.Set("x-token", r.Header.Get("x-token"))
	return q
}

// resourceRequest is subRequest for the resource uri of the level at path: the URI's "/" sent as
// %2F, as clients send it, so that the gateway's router takes it for one segment.
func resourceRequest(r *http.Request, method, level, uri string) *http.Request {
	q := subRequest(r, method, level+"/resource/"+uri)
	q.URL.RawPath = level + "/resource/" + url.PathEscape(uri)
	return q
}

// oneOfTwoFaults are a service's approvals and remediations matched by anything but the key in
// the path: the first approval answered whatever id was asked for, every approval closed for one,
// every remediation answered and closed for one Keptn context.
func oneOfTwoFaults() []Fault {
	const approval, remediation = "/approval/", "/remediation/"
	// onDelete wraps the DELETEs of the service's items under key: close has the item's list (as
	// next answers it) and serves the request its own way.
	onDelete := func(key string, close func(next http.Handler, w http.ResponseWriter, r *http.Request, base string, items []map[string]any)) func(http.Handler, *Harness) http.Handler {
		return func(next http.Handler, _ *Harness) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != "DELETE" || !strings.HasPrefix(r.URL.Path, cs) || !strings.Contains(r.URL.Path, key) {
					next.ServeHTTP(w, r)
					return
				}
				base, items := itemList(next, r, key)
				close(next, w, r, base, items)
			})
		}
	}
	// closeAll closes every item of the list (by field) instead of the path's one.
	closeAll := func(key, field string) func(http.Handler, *Harness) http.Handler {
		return onDelete(key, func(next http.Handler, w http.ResponseWriter, r *http.Request, base string, items []map[string]any) {
			for _, it := range items {
				if v, ok := it[field].(string); ok && base+"/"+v != r.URL.Path {
					next.ServeHTTP(httptest.NewRecorder(), subRequest(r, "DELETE", base+"/"+v))
				}
			}
			next.ServeHTTP(w, r)
		})
	}
	// closeFirst closes the list's first item (by field) whenever the path names one of its
	// items: an index taken for the item's own.
	closeFirst := func(key, field string) func(http.Handler, *Harness) http.Handler {
		return onDelete(key, func(next http.Handler, w http.ResponseWriter, r *http.Request, base string, items []map[string]any) {
			if slices.ContainsFunc(items, func(it map[string]any) bool { return base+"/"+fmt.Sprint(it[field]) == r.URL.Path }) {
				if first, ok := items[0][field].(string); ok {
					next.ServeHTTP(w, subRequest(r, "DELETE", base+"/"+first))
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
	// answerAll answers a GET of the path's item with what answer makes of the whole list.
	answerAll := func(key string, answer func(items []map[string]any) any) func(http.Handler, *Harness) http.Handler {
		return func(next http.Handler, _ *Harness) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != "GET" || !strings.HasPrefix(r.URL.Path, cs) || !strings.Contains(r.URL.Path, key) {
					next.ServeHTTP(w, r)
					return
				}
				if _, items := itemList(next, r, key); len(items) > 0 {
					writeJSON(w, http.StatusOK, answer(items))
					return
				}
				next.ServeHTTP(w, r)
			})
		}
	}
	return []Fault{
		{Name: "getApproval answering the service's first approval whatever id is asked for", Check: contract.CheckBehaviour, Labels: "Op:getApproval",
			Wrap: answerAll(approval, func(items []map[string]any) any { return items[0] })},
		{Name: "closeApproval closing every approval of the service", Check: contract.CheckBehaviour, Labels: "Op:closeApproval",
			Wrap: closeAll(approval, "eventId")},
		{Name: "getRemediationsForContext answering every remediation of the service, of any Keptn context", Check: contract.CheckBehaviour, Labels: "Op:getRemediationsForContext",
			Wrap: answerAll(remediation, func(items []map[string]any) any {
				return map[string]any{"remediations": items, "totalCount": len(items), "pageSize": 20, "nextPageKey": "0"}
			})},
		{Name: "closeRemediations closing the remediations of every Keptn context", Check: contract.CheckBehaviour, Labels: "Op:closeRemediations",
			Wrap: closeAll(remediation, "keptnContext")},
		{Name: "closeApproval closing the service's first open approval, whichever is named", Check: contract.CheckBehaviour, Labels: "Op:closeApproval",
			Wrap: closeFirst(approval, "eventId")},
		{Name: "closeRemediations closing the remediations of the service's first Keptn context, whichever is named", Check: contract.CheckBehaviour, Labels: "Op:closeRemediations",
			Wrap: closeFirst(remediation, "keptnContext")},
	}
}

// nearMissFaults find a project, stage or service by a name that is not its own: compared without
// case, and a service by a prefix of its name.
func nearMissFaults() []Fault {
	lookup := func(r *http.Request) bool {
		return r.Method == "GET" && strings.HasPrefix(r.URL.Path, cs) && !strings.Contains(r.URL.Path, "/resource")
	}
	const labels = "Op:getProject || Op:getStage || Op:getStageService || Op:getProjectService"
	return []Fault{
		{Name: "projects, stages and services found by their names without case", Check: contract.CheckStatusExpected, Labels: labels,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					if lookup(r) {
						r.URL.Path, r.URL.RawPath = strings.ToLower(r.URL.Path), ""
					}
				})
			}},
		{Name: "a service found by a prefix of its name", Check: contract.CheckStatusExpected, Labels: labels,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					base, name, ok := strings.Cut(r.URL.Path, "/service/")
					if !lookup(r) || !ok || name == "" || strings.Contains(name, "/") {
						next.ServeHTTP(w, r)
						return
					}
					rec := httptest.NewRecorder()
					next.ServeHTTP(rec, r)
					if rec.Code == http.StatusNotFound {
						// The services of the stage (of the project's first stage, for a project's service).
						list := base + "/service"
						if !strings.Contains(base, "/stage/") {
							list = base + "/stage/dev/service"
						}
						lr := httptest.NewRecorder()
						next.ServeHTTP(lr, subRequest(r, "GET", list))
						var doc struct {
							Services []struct{ ServiceName string }
						}
						_ = json.Unmarshal(lr.Body.Bytes(), &doc)
						for _, svc := range doc.Services {
							if strings.HasPrefix(svc.ServiceName, name) {
								rec = httptest.NewRecorder()
								next.ServeHTTP(rec, subRequest(r, "GET", base+"/service/"+svc.ServiceName))
								break
							}
						}
					}
					replay(w, rec)
				})
			}},
	}
}

// byArrival answers the datastore's event lists in the order the events arrived, the last first,
// as a store sorting by its insertion sequence does: an event posted to the datastore arrives when
// it is posted, one sent through api-service at its time (api-service dates it on arrival).
func byArrival(next http.Handler) http.Handler {
	var mu sync.Mutex
	arrived := map[string]time.Time{} // an event's id: when it was posted to the datastore
	lists := rewrite(next, route(http.MethodGet, "/api/mongodb-datastore/event"), func(_ *http.Request, a *Answer) {
		if a.Status != http.StatusOK {
			return
		}
		a.JSON(func(m map[string]any) {
			events := asList(m["events"])
			at := func(ev any) time.Time {
				e, _ := ev.(map[string]any)
				id, _ := e["id"].(string)
				mu.Lock()
				t, ok := arrived[id]
				mu.Unlock()
				if !ok {
					t, _ = time.Parse(time.RFC3339Nano, fmt.Sprint(e["time"]))
				}
				return t
			}
			slices.SortStableFunc(events, func(x, y any) int { return at(y).Compare(at(x)) })
		})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/api/mongodb-datastore/event" {
			var ev struct{ ID string }
			if json.Unmarshal(readBody(r), &ev) == nil && ev.ID != "" {
				mu.Lock()
				arrived[ev.ID] = time.Now()
				mu.Unlock()
			}
		}
		lists.ServeHTTP(w, r)
	})
}

// stagesOf is the names of the stages of the project r's path names, as next answers them.
func stagesOf(next http.Handler, r *http.Request) []string {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, subRequest(r, http.MethodGet, r.URL.Path+"/stage"))
	var page struct{ Stages []struct{ StageName string } }
	_ = json.Unmarshal(rec.Body.Bytes(), &page)
	var names []string
	for _, st := range page.Stages {
		names = append(names, st.StageName)
	}
	return names
}
