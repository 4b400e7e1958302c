package selftest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
)

// recordFaults are bugs in what a gateway takes in and records, written by hand into gateways
// that the suite once let through: a body refused for its media type's parameter, a service view
// that keeps the first event of a type or takes any event's image as deployed, bridge
// credentials stored empty, internal create events that lose what was asked.
func recordFaults() []Fault {
	return []Fault{charsetRefused, firstOfType, anyImageDeployed, emptyBridgeCredentials,
		{Name: "a new service's Helm chart stored as helm/<service>, without .tgz", Check: contract.CheckBehaviour, Labels: "Op:createService", Level: grade.Should,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					if _, uri, ok := strings.Cut(r.URL.Path, "/resource/"); ok && r.Method == http.MethodGet && strings.HasPrefix(uri, "helm/") {
						r.URL.Path = strings.TrimSuffix(r.URL.Path, ".tgz")
						r.URL.RawPath = ""
					}
				})
			}},
		{Name: "the service-create event recorded without the deploymentStrategies asked for", Check: contract.CheckBehaviour, Labels: "Op:createService", Level: grade.Should,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return createEvents(next, "sh.keptn.internal.event.service.create", func(data map[string]any) { delete(data, "deploymentStrategies") })
			}},
		{Name: "the project-create event recorded with the shipyard decoded (plain YAML)", Check: contract.CheckBehaviour, Labels: "Op:createProject", Level: grade.Should,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return createEvents(next, "sh.keptn.internal.event.project.create", func(data map[string]any) {
					if s, ok := data["shipyard"].(string); ok {
						if b, err := base64.StdEncoding.DecodeString(s); err == nil {
							data["shipyard"] = string(b)
						}
					}
				})
			}},
	}
}

// createEvents changes the data of the datastore's events of a type as getEvents answers them.
func createEvents(next http.Handler, typ string, change func(data map[string]any)) http.Handler {
	return rewrite(next, route("GET", "/api/mongodb-datastore/event"), func(_ *http.Request, a *Answer) {
		a.JSON(func(m map[string]any) {
			evs, _ := m["events"].([]any)
			for _, ev := range evs {
				if e, ok := ev.(map[string]any); ok && e["type"] == typ {
					if data, ok := e["data"].(map[string]any); ok {
						change(data)
					}
				}
			}
		})
	})
}

// charsetRefused takes a request body only under the bare media type: application/json with a
// charset parameter is refused, as a Content-Type compared as a whole string is.
var charsetRefused = Fault{Name: "a JSON body refused under application/json; charset=utf-8 (the Content-Type compared whole)", Check: contract.CheckStatusExpected,
	Labels: "Op:sendEvent || Op:postProjectResources",
	Wrap: func(next http.Handler, _ *Harness) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if ct := r.Header.Get("Content-Type"); strings.Contains(ct, ";") && r.Method != http.MethodGet {
				writeJSON(w, http.StatusBadRequest, map[string]any{"code": 400, "message": "the request body must be application/json, got " + ct})
				return
			}
			next.ServeHTTP(w, r)
		})
	}}

// firstOfType keeps the first event of each type in a service's lastEventTypes: an entry written
// only when the type has none yet (the events handed to configuration-service are recorded; a
// stage's service is answered with each type's first).
var firstOfType = Fault{Name: "lastEventTypes keeping the first event of each type, not the last", Check: contract.CheckBehaviour, Labels: "Op:handleEventInternal",
	Wrap: func(next http.Handler, _ *Harness) http.Handler {
		var mu sync.Mutex
		first := map[string]map[string]any{} // a stage's service path and a type: the first event's context
		record := before(next, func(r *http.Request) {
			var ev struct {
				Type, ID, Time, Shkeptncontext string
				Data                           struct{ Project, Stage, Service string }
			}
			if r.Method != http.MethodPost || r.URL.Path != "/api/configuration-service/v1/event" || json.Unmarshal(readBody(r), &ev) != nil || ev.Data.Service == "" {
				return
			}
			key := cs + ev.Data.Project + "/stage/" + ev.Data.Stage + "/service/" + ev.Data.Service + " " + ev.Type
			mu.Lock()
			if first[key] == nil {
				first[key] = map[string]any{"keptnContext": ev.Shkeptncontext, "eventId": ev.ID, "time": ev.Time}
			}
			mu.Unlock()
		})
		return rewrite(record, route("GET", cs+"*"), func(r *http.Request, a *Answer) {
			a.JSON(func(m map[string]any) {
				types, _ := m["lastEventTypes"].(map[string]any)
				mu.Lock()
				defer mu.Unlock()
				for t := range types {
					if f := first[r.URL.Path+" "+t]; f != nil {
						types[t] = f
					}
				}
			})
		})
	}}

// anyImageDeployed sets a service's deployedImage from every event handed to configuration-service
// that carries an image, of whatever type: a stage's service is answered with the last such image.
var anyImageDeployed = Fault{Name: "deployedImage set by any event that carries an image, not only deployment-finished", Check: contract.CheckBehaviour, Labels: "Op:handleEventInternal",
	Wrap: func(next http.Handler, _ *Harness) http.Handler {
		var mu sync.Mutex
		image := map[string]string{} // a stage's service path: the last image an event named
		record := before(next, func(r *http.Request) {
			var ev struct {
				Data struct{ Project, Stage, Service, Image, Tag string }
			}
			if r.Method != http.MethodPost || r.URL.Path != "/api/configuration-service/v1/event" || json.Unmarshal(readBody(r), &ev) != nil || ev.Data.Image == "" {
				return
			}
			img := ev.Data.Image
			if ev.Data.Tag != "" {
				img += ":" + ev.Data.Tag
			}
			mu.Lock()
			image[cs+ev.Data.Project+"/stage/"+ev.Data.Stage+"/service/"+ev.Data.Service] = img
			mu.Unlock()
		})
		return rewrite(record, route("GET", cs+"*"), func(r *http.Request, a *Answer) {
			mu.Lock()
			img := image[r.URL.Path]
			mu.Unlock()
			if img != "" {
				a.JSON(func(m map[string]any) { m["deployedImage"] = img })
			}
		})
	}}

// emptyBridgeCredentials stores bridge credentials with an empty user or password: the gateway's
// own refusal is answered 200, and the credentials read back are the empty ones.
var emptyBridgeCredentials = Fault{Name: "bridge credentials with an empty password or user accepted and stored", Check: contract.CheckStatusExpected, Labels: "Op:configureBridge",
	Wrap: func(next http.Handler, _ *Harness) http.Handler {
		var mu sync.Mutex
		var stored map[string]any // the empty credentials, once accepted
		const path = "/api/v1/config/bridge"
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != path {
				next.ServeHTTP(w, r)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			var c struct{ User, Password *string }
			switch {
			case r.Method == http.MethodPost && json.Unmarshal(readBody(r), &c) == nil && c.User != nil && c.Password != nil && (*c.User == "" || *c.Password == ""):
				stored = map[string]any{"user": *c.User, "password": *c.Password}
				writeJSON(w, http.StatusOK, "")
			case r.Method == http.MethodPost:
				stored = nil
				next.ServeHTTP(w, r)
			case r.Method == http.MethodGet && stored != nil:
				writeJSON(w, http.StatusOK, stored)
			default:
				next.ServeHTTP(w, r)
			}
		})
	}}

// inputFaults are the ninth batch's api-service and datastore escapes: a Keptn context in upper
// case taken for no UUID, an event's own id kept (the datastore then keeps only the first of two),
// a filter's comma alternatives read as one value, an evaluation window that ends before or at
// its start taken.
func inputFaults() []Fault {
	const eventRoute = "/api/v1/event"
	evaluation := func(change func(req map[string]any, start, end time.Time)) func(http.Handler, *Harness) http.Handler {
		return func(next http.Handler, _ *Harness) http.Handler {
			return before(next, func(r *http.Request) {
				var req map[string]any
				if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/evaluation") || json.Unmarshal(readBody(r), &req) != nil {
					return
				}
				s, _ := req["start"].(string)
				e, _ := req["end"].(string)
				start, err1 := time.Parse("2006-01-02T15:04:05", s)
				end, err2 := time.Parse("2006-01-02T15:04:05", e)
				if err1 == nil && err2 == nil {
					change(req, start, end)
					setJSONBody(r, req)
				}
			})
		}
	}
	return []Fault{
		{Name: "a Keptn context in upper case taken for no UUID (a new one made)", Check: contract.CheckBehaviour, Labels: "Op:sendEvent",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					var ev map[string]any
					if r.Method != http.MethodPost || r.URL.Path != eventRoute || json.Unmarshal(readBody(r), &ev) != nil {
						return
					}
					if c, _ := ev["shkeptncontext"].(string); c != "" && c != strings.ToLower(c) {
						delete(ev, "shkeptncontext")
						setJSONBody(r, ev)
					}
				})
			}},
		{Name: "an event's own id kept, so that the datastore keeps only the first of two events with it", Check: contract.CheckBehaviour, Labels: "Op:sendEvent",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					var ev struct{ ID string }
					if r.Method == http.MethodPost && r.URL.Path == eventRoute && json.Unmarshal(readBody(r), &ev) == nil && ev.ID != "" {
						status, body := serve(next, r, "/api/mongodb-datastore/event")
						if status == http.StatusOK && strings.Contains(string(body), `"id":"`+ev.ID+`"`) {
							writeJSON(w, http.StatusOK, map[string]any{"keptnContext": uuid(), "token": uuid()})
							return
						}
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "a filter value's commas read as part of one value, not as alternatives", Check: contract.CheckBehaviour, Labels: "Op:getEventsByType", Level: grade.Should,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					q := r.URL.Query()
					if f := q.Get("filter"); strings.HasPrefix(r.URL.Path, "/api/mongodb-datastore/event/type/") && strings.Contains(f, ",") {
						q.Set("filter", strings.ReplaceAll(f, ",", ";"))
						r.URL.RawQuery = q.Encode()
					}
				})
			}},
		{Name: "an evaluation whose end comes before its start taken (start and end swapped)", Check: contract.CheckStatusExpected, Labels: "Op:triggerEvaluation",
			Wrap: evaluation(func(req map[string]any, start, end time.Time) {
				if end.Before(start) {
					req["start"], req["end"] = req["end"], req["start"]
				}
			})},
		{Name: "an evaluation whose end is its start taken (a minute added)", Check: contract.CheckStatusExpected, Labels: "Op:triggerEvaluation", Level: grade.Should,
			Wrap: evaluation(func(req map[string]any, start, end time.Time) {
				if end.Equal(start) {
					req["end"] = end.Add(time.Minute).Format("2006-01-02T15:04:05")
				}
			})},
		{Name: "an evaluation's start and end read as RFC 3339 only (the keptn CLI's, without a zone, refused)", Check: contract.CheckStatusExpected, Labels: "Op:triggerEvaluation",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					var req struct{ Start, End string }
					if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/evaluation") && json.Unmarshal(readBody(r), &req) == nil && req.Start != "" && req.End != "" {
						if _, err := time.Parse(time.RFC3339, req.Start); err != nil {
							writeJSON(w, http.StatusBadRequest, map[string]any{"code": 400, "message": "start: " + err.Error()})
							return
						}
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "an evaluation given both an end and a timeframe taken (the end wins)", Check: contract.CheckStatusExpected, Labels: "Op:triggerEvaluation", Level: grade.Should,
			Wrap: evaluation(func(req map[string]any, _, _ time.Time) { delete(req, "timeframe") })},
		{Name: "an event whose data is null taken (as an event without data)", Check: contract.CheckStatusExpected, Labels: "Op:sendEvent && Feature:BadInput",
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					var ev map[string]any
					if r.Method == http.MethodPost && r.URL.Path == eventRoute && json.Unmarshal(readBody(r), &ev) == nil {
						if d, ok := ev["data"]; ok && d == nil {
							ev["data"] = map[string]any{}
							setJSONBody(r, ev)
						}
					}
				})
			}},
		gitTokenInEvents,
	}
}

// gitTokenInEvents passes a project's git token on in its project-create event, where the
// datastore answers it to any token holder.
var gitTokenInEvents = Fault{Name: "a project's git token kept in its project-create event", Check: contract.CheckBehaviour, Labels: "Op:createProject",
	Wrap: func(next http.Handler, _ *Harness) http.Handler {
		var mu sync.Mutex
		tokens := map[string]string{}
		remember := before(next, func(r *http.Request) {
			var p struct{ Name, GitToken string }
			if r.Method == http.MethodPost && r.URL.Path == "/api/v1/project" && json.Unmarshal(readBody(r), &p) == nil && p.GitToken != "" {
				mu.Lock()
				tokens[p.Name] = p.GitToken
				mu.Unlock()
			}
		})
		return rewrite(remember, route("GET", "/api/mongodb-datastore/event"), func(_ *http.Request, a *Answer) {
			a.JSON(func(m map[string]any) {
				for _, it := range asList(m["events"]) {
					ev, _ := it.(map[string]any)
					data, _ := ev["data"].(map[string]any)
					if ev["type"] != "sh.keptn.internal.event.project.create" || data == nil {
						continue
					}
					mu.Lock()
					if t, ok := tokens[fmt.Sprint(data["project"])]; ok {
						data["gitToken"] = t
					}
					mu.Unlock()
				}
			})
		})
	}}
