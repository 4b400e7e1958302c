// Package configservice is the configuration-service role of the reference gateway: projects,
// stages, services, versioned resources, approvals and remediations, as documented by
// specs/configuration-service.yaml, persisted in an embedded bbolt store.
package configservice

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/httpx"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/store"
)

// Buckets of the store.
const (
	// bucketProjects maps a project name to its projectRecord (stages, services, approvals,
	// remediations, last events).
	bucketProjects = "projects"
	// bucketResources maps resourceKey(level, uri) to the resource's content.
	bucketResources = "resources"
	// bucketVersions maps a project name to the version of its resources.
	bucketVersions = "versions"
)

// Service is the configuration-service role over its store.
type Service struct {
	db      *store.DB
	log     *slog.Logger
	handler http.Handler
}

// Open opens (creating) the role's store "configuration-service.db" in dataDir, waiting up to
// lockTimeout for another process to release it. A nil log discards.
func Open(dataDir string, log *slog.Logger, lockTimeout time.Duration, opts ...store.Option) (*Service, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	db, err := store.OpenWith(dataDir, "configuration-service.db", lockTimeout, opts, bucketProjects, bucketResources, bucketVersions)
	if err != nil {
		return nil, err
	}
	s := &Service{db: db, log: log}
	s.handler = canonicalPaths(s.routes())
	return s, nil
}

// Close closes the store.
func (s *Service) Close() error { return s.db.Close() }

// Handler serves the role's API at the paths the upstream service serves: the spec's paths
// prefixed with "/v1" (the gateway strips "/api/configuration-service"). It neither
// authenticates nor logs requests.
func (s *Service) Handler() http.Handler { return s.handler }

func (s *Service) routes() *httpx.Router {
	rt := httpx.NewRouter()
	const (
		project  = "/v1/project/{projectName}"
		stage    = project + "/stage/{stageName}"
		service  = stage + "/service/{serviceName}"
		defaults = project + "/service/{serviceName}"
	)
	rt.HandleFunc("GET /v1/project", s.getProjects)
	rt.HandleFunc("POST /v1/project", s.createProject)
	rt.HandleFunc("GET "+project, s.getProject)
	rt.HandleFunc("PUT "+project, s.updateProject)
	rt.HandleFunc("DELETE "+project, s.deleteProject)

	rt.HandleFunc("GET "+project+"/stage", s.getStages)
	rt.HandleFunc("POST "+project+"/stage", s.createStage)
	rt.HandleFunc("GET "+stage, s.getStage)
	rt.HandleFunc("PUT "+stage, s.updateStage)
	rt.HandleFunc("DELETE "+stage, s.deleteStage)

	rt.HandleFunc("GET "+stage+"/service", s.getStageServices)
	rt.HandleFunc("POST "+stage+"/service", s.createService)
	rt.HandleFunc("GET "+service, s.getStageService)
	rt.HandleFunc("PUT "+service, s.updateService)
	rt.HandleFunc("DELETE "+service, s.deleteService)

	rt.HandleFunc("GET "+project+"/service", s.getProjectServices)
	rt.HandleFunc("GET "+defaults, s.getProjectService)

	// Resources at the four levels share their handlers: the level is read from the path values.
	for _, level := range []string{project, stage, service, defaults} {
		rt.HandleFunc("GET "+level+"/resource", s.getResources)
		rt.HandleFunc("POST "+level+"/resource", s.putResources)
		rt.HandleFunc("PUT "+level+"/resource", s.putResources)
		// One segment: a "/" in the URI arrives encoded (helm%2Fchart.tgz), PathValue decodes it.
		rt.HandleFunc("GET "+level+"/resource/{resourceURI}", s.getResource)
		rt.HandleFunc("PUT "+level+"/resource/{resourceURI}", s.putResource)
		rt.HandleFunc("DELETE "+level+"/resource/{resourceURI}", s.deleteResource)
	}

	rt.HandleFunc("POST "+service+"/approval", s.createApproval)
	rt.HandleFunc("GET "+service+"/approval", s.getApprovals)
	rt.HandleFunc("GET "+service+"/approval/{approvalID}", s.getApproval)
	rt.HandleFunc("DELETE "+service+"/approval/{approvalID}", s.closeApproval)

	rt.HandleFunc("POST "+service+"/remediation", s.createRemediation)
	rt.HandleFunc("GET "+service+"/remediation", s.getRemediations)
	rt.HandleFunc("GET "+service+"/remediation/{keptnContext}", s.getRemediationsForContext)
	rt.HandleFunc("DELETE "+service+"/remediation/{keptnContext}", s.closeRemediations)

	rt.HandleFunc("POST /v1/event", s.handleEvent)
	return rt
}

// canonicalPaths answers requests whose path the router would not route as sent: a path with
// an empty, "." or ".." segment (http.ServeMux would redirect it to the cleaned path, which
// names another resource), or whose last segment ends with an encoded "/" (the router would
// take it for a tolerated trailing slash). Such a path names nothing: 404 where the operations
// document no 400 (reads, closing approvals and remediations), 400 otherwise.
func canonicalPaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		segs, ok := pathSegments(r.URL.EscapedPath())
		if ok {
			next.ServeHTTP(w, r)
			return
		}
		status := http.StatusBadRequest
		if r.Method == http.MethodGet || r.Method == http.MethodHead ||
			(r.Method == http.MethodDelete && (slices.Contains(segs, "approval") || slices.Contains(segs, "remediation"))) {
			status = http.StatusNotFound
		}
		httpx.WriteError(w, status, "the path %s names nothing: it has an empty, \".\" or \"..\" segment or ends with an encoded \"/\"", r.URL.EscapedPath())
	})
}

// pathSegments splits an escaped path, without its (tolerated) trailing slashes, into its
// segments, and reports whether the path is canonical.
func pathSegments(escaped string) ([]string, bool) {
	p := strings.TrimRight(escaped, "/")
	if p == "" {
		return nil, len(escaped) <= 1 // "//" would be redirected to "/"
	}
	if !strings.HasPrefix(p, "/") {
		return nil, true // not a path the router serves ("*"): left to it
	}
	segs := strings.Split(p[1:], "/")
	if slices.ContainsFunc(segs, func(seg string) bool { return seg == "" || seg == "." || seg == ".." }) {
		return segs, false
	}
	last, err := url.PathUnescape(segs[len(segs)-1])
	return segs, err != nil || !strings.HasSuffix(last, "/")
}

// missingError reports a project, stage, service or item that does not exist. Its status
// depends on the operation (404 for reads, 400 for most writes), so handlers choose it when
// answering with fail.
type missingError struct{ msg string }

func (e *missingError) Error() string { return e.msg }

// fail answers with err: a missingError with the status missing, a *httpx.StatusError with
// its own status, anything else (a store failure) with 500 after logging it.
func (s *Service) fail(w http.ResponseWriter, r *http.Request, err error, missing int) {
	var me *missingError
	var se *httpx.StatusError
	switch {
	case errors.As(err, &me):
		httpx.WriteError(w, missing, "%s", me.msg)
	case errors.As(err, &se):
		httpx.WriteErr(w, err)
	default:
		s.log.Error("configuration-service: store failure", "method", r.Method, "path", r.URL.Path, "error", err)
		httpx.WriteErr(w, err)
	}
}

// badRequest makes a 400 error.
func badRequest(format string, args ...any) error {
	return httpx.Errorf(http.StatusBadRequest, format, args...)
}
