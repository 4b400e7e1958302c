package httpx

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
)

// Router is an http.ServeMux whose "not found" and "method not allowed" answers use the JSON
// error model (405 keeps the mux's Allow header), and which serves a path with a trailing slash
// like the same path without it, as the upstream services do (the keptn CLI asks for
// `/v1/project/`).
type Router struct {
	mux *http.ServeMux
}

// NewRouter makes an empty Router.
func NewRouter() *Router { return &Router{mux: http.NewServeMux()} }

// HandleFunc registers a handler for a ServeMux pattern such as "GET /v1/project/{name}".
func (rt *Router) HandleFunc(pattern string, h http.HandlerFunc) { rt.mux.HandleFunc(pattern, h) }

// Handle registers a handler for a ServeMux pattern.
func (rt *Router) Handle(pattern string, h http.Handler) { rt.mux.Handle(pattern, h) }

func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Work on the escaped path: an encoded "/" (%2F) inside a segment is data, not a separator.
	ep := r.URL.EscapedPath()
	if trimmed := strings.TrimRight(ep, "/"); len(ep) > 1 && trimmed != ep && trimmed != "" {
		unescaped, err := url.PathUnescape(trimmed)
		if err != nil {
			WriteError(w, http.StatusNotFound, "no such path: %s", ep)
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path, r2.URL.RawPath = unescaped, trimmed
		r, ep = r2, trimmed
	}
	// A path with an empty, "." or ".." segment names nothing here (ServeMux would redirect it to
	// the cleaned path, which names something else).
	for _, seg := range strings.Split(strings.TrimPrefix(ep, "/"), "/") {
		if seg == "" || seg == "." || seg == ".." {
			if ep != "/" {
				WriteError(w, http.StatusNotFound, "no such path: %s", ep)
				return
			}
		}
	}
	h, pattern := rt.mux.Handler(r)
	if pattern != "" {
		rt.mux.ServeHTTP(w, r)
		return
	}
	// No route: let the mux decide between 404 and 405, then answer in JSON.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if allow := rec.Header().Get("Allow"); allow != "" {
		w.Header().Set("Allow", allow)
	}
	switch rec.Code {
	case http.StatusMethodNotAllowed:
		WriteError(w, rec.Code, "method %s is not allowed on %s", r.Method, r.URL.Path)
	case http.StatusNotFound:
		WriteError(w, rec.Code, "no such path: %s", r.URL.Path)
	default:
		WriteError(w, rec.Code, "%s", strings.TrimSpace(rec.Body.String()))
	}
}
