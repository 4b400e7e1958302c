package selftest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
)

// goSwaggerAnswers answers as upstream 0.7.3's go-swagger services do where their specs let them
// (the project's precision audit of its handlers): an empty list written as null (a nil Go slice),
// no pageSize in the configuration-service's list envelopes, an unknown project's internal delete
// answered 204, a Keptn context without remediations answered 200 with an empty list, an approval
// or a remediation for an unknown service answered 200 with nothing stored, and a remediation
// without a Keptn context taken (nothing stored), a new approval or remediation and a service's
// default resources answered with no body (the handlers set no payload), the operations 0.7.3
// leaves unimplemented answered 501 (go-swagger's stubs), and a resource list's URIs
// written with a leading slash (0.7.3's configuration-service lists the files it walks as
// "/name": it cuts the directory's path without its leading slash out of each file's path).
//
// Its api-service refuses empty bridge credentials with 500 ("no password provided"), storing
// nothing. Its datastore's getEventsByType refuses a query whose filter names neither data.project nor
// shkeptncontext with a 500 (0.7.3's validateFilter).
//
// Its project internals as well: an internal create makes no stage (the body's stages ignored),
// a project's shipyard field left empty, and an internal update refused with 400 without git
// credentials (0.7.3 pushes to the remote).
func goSwaggerAnswers(next http.Handler, h *Harness) http.Handler {
	internal := func(r *http.Request) bool {
		return strings.HasPrefix(r.URL.Path, "/api/configuration-service/") || strings.HasPrefix(r.URL.Path, "/api/mongodb-datastore/")
	}
	answers := rewrite(next, internal, func(r *http.Request, a *Answer) {
		switch {
		case r.Method == http.MethodGet && a.Status == http.StatusOK:
			a.JSON(func(m map[string]any) {
				nullEmptyLists(m)
				if strings.HasPrefix(r.URL.Path, "/api/configuration-service/") {
					delete(m, "pageSize")
				}
				if projectInternal.MatchString(r.URL.Path) {
					delete(m, "shipyard")
				}
				if strings.HasSuffix(r.URL.Path, "/resource") {
					for _, it := range asList(m["resources"]) {
						if res, ok := it.(map[string]any); ok {
							if u, ok := res["resourceURI"].(string); ok {
								res["resourceURI"] = "/" + u
							}
						}
					}
				}
			})
		case r.Method == http.MethodGet && a.Status == http.StatusNotFound && remediationsOfContext.MatchString(r.URL.Path):
			// 404 for a context without remediations, when the service itself is known.
			list := strings.TrimSuffix(r.URL.Path[:strings.LastIndex(r.URL.Path, "/")], "/")
			if status, _ := serve(next, r, list); status == http.StatusOK {
				setJSON(a, http.StatusOK, map[string]any{"remediations": nil})
			}
		case r.Method == http.MethodDelete && a.Status == http.StatusBadRequest && projectInternal.MatchString(r.URL.Path):
			a.Status, a.Body = http.StatusNoContent, nil
			a.Header.Del("Content-Type")
		case r.Method == http.MethodPost && createdForService.MatchString(r.URL.Path) && strings.HasPrefix(r.Header.Get("Content-Type"), "application/json"):
			var sent map[string]any
			if json.Unmarshal(readBody(r), &sent) != nil {
				return
			}
			noContext := strings.HasSuffix(r.URL.Path, "/remediation") && sent["keptnContext"] == nil
			if a.Status == http.StatusOK || a.Status == http.StatusNotFound || a.Status == http.StatusBadRequest && noContext {
				noBody(a, http.StatusOK)
			}
		case r.Method == http.MethodPost && serviceDefaultResources.MatchString(r.URL.Path) && a.Status == http.StatusCreated:
			noBody(a, http.StatusCreated)
		}
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p map[string]any
		switch {
		case r.Header.Get("x-token") != h.currentToken():
			// Unauthenticated: the gateway's own answer (upstream's front authenticates first).
		case r.Method == http.MethodPost && r.URL.Path == "/api/v1/config/bridge" && json.Unmarshal(readBody(r), &p) == nil && (p["user"] == "" || p["password"] == ""):
			what := map[bool]string{true: "user", false: "password"}[p["user"] == ""]
			writeJSON(w, http.StatusInternalServerError, map[string]any{"code": 500, "message": "no " + what + " provided"})
			return
		case unimplemented(r) != "" && admitted(r):
			writeJSON(w, http.StatusNotImplemented, map[string]any{"code": http.StatusNotImplemented, "message": "operation " + unimplemented(r) + " has not yet been implemented"})
			return
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/mongodb-datastore/event/type/") && !namesProjectOrContext(r.URL.Query().Get("filter")):
			writeJSON(w, http.StatusInternalServerError, map[string]any{"code": 500, "message": "must provide a filter containing at least one of the following properties: 'data.project' or 'shkeptncontext'"})
			return
		case r.Method == http.MethodPut && projectInternal.MatchString(r.URL.Path) && json.Unmarshal(readBody(r), &p) == nil && p["gitToken"] == nil:
			writeJSON(w, http.StatusBadRequest, map[string]any{"code": 400, "message": "Project not updated as Git credentials were missing"})
			return
		case r.Method == http.MethodPost && r.URL.Path == "/api/configuration-service/v1/project" && json.Unmarshal(readBody(r), &p) == nil && isList(p["stages"]):
			delete(p, "stages")
			setJSONBody(r, p)
		}
		answers.ServeHTTP(w, r)
	})
}

// unimplemented is the operationId of the request's operation when upstream 0.7.3 does not
// implement it (its go-swagger stub answers 501), else "".
func unimplemented(r *http.Request) string {
	rt, _ := matchRoute(r)
	if rt == nil {
		return ""
	}
	op := rt.doc.Spec.Paths.Value(rt.path).GetOperation(r.Method)
	if op == nil || op.Extensions["x-upstream-unimplemented"] == nil {
		return ""
	}
	return op.OperationID
}

// admitted says the request is one its operation's spec admits: go-swagger refuses the others
// (422, 415) before it calls the handler, a stub too.
func admitted(r *http.Request) bool { code, _ := frameworkError(r); return code == 0 }

// noBody makes an answer status with no body, as go-swagger writes a responder without payload
// (the negotiated media type still set).
func noBody(a *Answer, status int) {
	a.Status, a.Body = status, nil
	a.Header.Set("Content-Type", "application/json")
}

var (
	serviceDefaultResources = regexp.MustCompile(`^/api/configuration-service/v1/project/[^/]+/service/[^/]+/resource$`)
	remediationsOfContext   = regexp.MustCompile(`^/api/configuration-service/v1/project/[^/]+/stage/[^/]+/service/[^/]+/remediation/[^/]+$`)
	projectInternal         = regexp.MustCompile(`^/api/configuration-service/v1/project/[^/]+$`)
	createdForService       = regexp.MustCompile(`^/api/configuration-service/v1/project/[^/]+/stage/[^/]+/service/[^/]+/(approval|remediation)$`)
)

// namesProjectOrContext says a getEventsByType filter ("k:v AND k:v") gives data.project or
// shkeptncontext a value.
func namesProjectOrContext(filter string) bool {
	for cond := range strings.SplitSeq(filter, " AND ") {
		k, v, _ := strings.Cut(cond, ":")
		if (k == "data.project" || k == "shkeptncontext") && v != "" {
			return true
		}
	}
	return false
}

// nullEmptyLists writes every empty list in v as null, as a nil Go slice is written.
func nullEmptyLists(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if l, ok := x.([]any); ok && len(l) == 0 {
				t[k] = nil
				continue
			}
			nullEmptyLists(x)
		}
	case []any:
		for _, x := range t {
			nullEmptyLists(x)
		}
	}
}

// serve answers a GET of path (the request's headers kept) with next, for a variant to look up.
func serve(next http.Handler, r *http.Request, path string) (int, []byte) {
	req := r.Clone(r.Context())
	req.Method, req.URL.Path, req.URL.RawPath, req.URL.RawQuery, req.Body, req.ContentLength = http.MethodGet, path, "", "", http.NoBody, 0
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

func setJSON(a *Answer, status int, v any) {
	a.Status = status
	a.Body, _ = json.Marshal(v)
	a.Header.Set("Content-Type", "application/json")
}

// asList is v as a JSON array (nil if it is none).
func asList(v any) []any { l, _ := v.([]any); return l }

// isList says v is a JSON array (what the schema allows; anything else the framework refuses).
func isList(v any) bool { _, ok := v.([]any); return ok }

// projectService is configuration-service's GET of one service of a project.
var projectService = regexp.MustCompile(`^(/api/configuration-service/v1/project/[^/]+/service)/[^/]+$`)

// everyServicesStages answers a service with the stage info of every service of its project, as
// upstream 0.7.3's getProjectService appends it (a fault: the same as the right answer while the
// project has one service).
func everyServicesStages(next http.Handler) http.Handler {
	return rewrite(next, func(r *http.Request) bool {
		return r.Method == http.MethodGet && projectService.MatchString(r.URL.Path)
	}, func(r *http.Request, a *Answer) {
		status, body := serve(next, r, projectService.FindStringSubmatch(r.URL.Path)[1])
		var list struct {
			Services []struct {
				StageInfo []any `json:"stageInfo"`
			} `json:"services"`
		}
		if a.Status != http.StatusOK || status != http.StatusOK || json.Unmarshal(body, &list) != nil {
			return
		}
		var all []any
		for _, svc := range list.Services {
			all = append(all, svc.StageInfo...)
		}
		a.JSON(func(m map[string]any) { m["stageInfo"] = all })
	})
}
