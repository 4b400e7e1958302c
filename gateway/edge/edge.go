// Package edge is the api-gateway-nginx role of the reference gateway: the single entry point.
// It routes by path prefix to the roles behind it as Keptn 0.7's nginx does, authenticates
// configuration-service and datastore calls with a subrequest to api-service's /v1/auth,
// serves the Swagger UI and the specs, the health path and the redirects; or, in Keptn 0.6's
// layout (Layout06), the same routes at 0.6's paths.
package edge

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/swaggest/swgui"
	"github.com/swaggest/swgui/v5emb"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/httpx"
	"github.com/keptn-conformance/keptn-conformance/specs"
)

// Upstreams are the roles behind the gateway. Each handler serves its role's own paths (the
// prefix is stripped here); in the split topology they are reverse proxies.
type Upstreams struct {
	APIService           http.Handler
	ConfigurationService http.Handler
	Datastore            http.Handler
	// Auth reaches api-service for the auth subrequest.
	Auth *httpx.Client
	// Echo, when set, is an echo role served at EchoPrefix (stripped), in every layout.
	Echo http.Handler
	// Log, when set, hears why an auth subrequest did not decide (the answer is a 502).
	Log *slog.Logger
}

// EchoPrefix is where the gateway serves Upstreams.Echo (the suite's Upstream profile).
const EchoPrefix = "/api/echo"

// Where the specs are served (open, like upstream's swagger files).
var specPaths = map[string]string{
	"/api/swagger-ui/swagger.yaml":                       specs.APIService,
	"/api/configuration-service/swagger-ui/swagger.yaml": specs.ConfigurationService,
	"/api/mongodb-datastore/swagger-ui/swagger.yaml":     specs.MongoDBDatastore,
	"/api/swagger-ui/session.yaml":                       specs.Session,
}

// SpecPath returns where the gateway serves a spec document.
func SpecPath(name string) string {
	for p, n := range specPaths {
		if n == name {
			return p
		}
	}
	return ""
}

type edge struct {
	up      Upstreams
	layout  Layout
	swagger http.Handler
	api     http.Handler // api-service with /api stripped
	cs      http.Handler
	ds      http.Handler
}

// New returns the gateway's handler, serving the routes at the layout's paths.
func New(up Upstreams, layout Layout) http.Handler {
	urls := []string{}
	for _, n := range specs.Names() {
		if p, ok := layout.Public(SpecPath(n)); ok {
			urls = append(urls, fmt.Sprintf("{url: %q, name: %q}", p, n))
		}
	}
	// Every layout serves the Swagger UI and api-service's spec.
	uiPath, _ := layout.Public("/api/swagger-ui/")
	apiSpec, _ := layout.Public(SpecPath(specs.APIService))
	// The UI's page links the layout's paths; its files are looked up by their 0.7 path.
	ui := v5emb.NewHandlerWithConfig(swgui.Config{
		Title:            "Keptn API",
		SwaggerJSON:      apiSpec,
		BasePath:         uiPath,
		InternalBasePath: "/api/swagger-ui/",
		ShowTopBar:       true,
		SettingsUI:       map[string]string{"urls": "[" + strings.Join(urls, ", ") + "]"},
	})
	return &edge{
		up:      up,
		layout:  layout,
		swagger: ui,
		api:     http.StripPrefix("/api", up.APIService),
		cs:      http.StripPrefix("/api/configuration-service", up.ConfigurationService),
		ds:      http.StripPrefix("/api/mongodb-datastore", up.Datastore),
	}
}

func under(p, prefix string) bool { return p == prefix || strings.HasPrefix(p, prefix+"/") }

func (e *edge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Only the gateway says which scheme the client used.
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	r.Header.Set("X-Forwarded-Proto", scheme)
	// Nor which address it came from (api-service throttles logins by it).
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		r.Header.Set("X-Forwarded-For", host)
	} else {
		r.Header.Del("X-Forwarded-For")
	}

	if e.up.Echo != nil && under(r.URL.Path, EchoPrefix) {
		http.StripPrefix(EchoPrefix, e.up.Echo).ServeHTTP(w, r)
		return
	}
	// The routes below are 0.7's: a request is routed by its 0.7 path.
	public := r.URL.Path
	r, ok := e.layout.canonicalRequest(r)
	if !ok {
		httpx.WriteError(w, http.StatusNotFound, "no such path: %s", public)
		return
	}
	p := r.URL.Path
	if name, ok := specPaths[p]; ok {
		serveSpec(w, r, name)
		return
	}
	switch {
	case p == "/nginx-health":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("OK"))
	case p == "/":
		http.Redirect(w, r, "/bridge/", http.StatusMovedPermanently)
	case under(p, "/bridge"):
		serveBridge(w, r)
	case p == "/api" || p == "/api/":
		http.Redirect(w, r, "/api/swagger-ui/", http.StatusMovedPermanently)
	case under(p, "/api/swagger-ui"):
		e.swagger.ServeHTTP(w, r)
	case p == "/api/v1/auth" || p == "/api/v1/auth/":
		// Any method, forwarded as POST without a body, as upstream's nginx does.
		r2 := r.Clone(r.Context())
		r2.Method, r2.Body, r2.ContentLength = http.MethodPost, http.NoBody, 0
		r2.Header.Del("Content-Length")
		r2.Header.Del("Transfer-Encoding")
		e.api.ServeHTTP(w, r2)
	case under(p, "/api/v1"), p == "/api/auth", under(p, "/api/control_planes"), p == "/api/websocket":
		e.api.ServeHTTP(w, r)
	case under(p, "/api/configuration-service"):
		e.authenticated(e.cs).ServeHTTP(w, r)
	case under(p, "/api/mongodb-datastore"):
		e.authenticated(e.ds).ServeHTTP(w, r)
	default:
		httpx.WriteError(w, http.StatusNotFound, "no such path: %s", public)
	}
}

// authenticated passes the request on when api-service accepts its credentials (the caller's
// x-token or session cookie), and answers 401 otherwise, before anything else is looked at.
func (e *edge) authenticated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, e.up.Auth.Base.JoinPath("/v1/auth").String(), http.NoBody)
		if err != nil {
			httpx.WriteError(w, http.StatusInternalServerError, "internal error")
			return
		}
		// The subrequest changes nothing, so it may be sent again: marked idempotent (the header
		// itself is not sent), the transport retries it when a kept-alive connection to api-service
		// turns out closed under it (a pod going away), instead of answering 502.
		req.Header["Idempotency-Key"] = nil
		for _, h := range []string{"X-Token", "Cookie", "X-Forwarded-Proto"} {
			for _, v := range r.Header.Values(h) {
				req.Header.Add(h, v)
			}
		}
		resp, err := e.up.Auth.HTTP.Do(req)
		if err != nil {
			e.logAuth("the auth subrequest failed", r, "err", err)
			httpx.WriteError(w, http.StatusBadGateway, "the authentication service cannot be reached")
			return
		}
		resp.Body.Close()
		switch {
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			next.ServeHTTP(w, r)
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
			httpx.WriteError(w, http.StatusUnauthorized, "missing or invalid API token")
		default:
			e.logAuth("the auth subrequest was answered outside 2xx, 401 and 403", r, "status", resp.StatusCode)
			httpx.WriteError(w, http.StatusBadGateway, "the authentication service answered %d", resp.StatusCode)
		}
	})
}

func (e *edge) logAuth(msg string, r *http.Request, args ...any) {
	if e.up.Log != nil {
		e.up.Log.Error(msg, append([]any{"upstream", e.up.Auth.Base.Host, "path", r.URL.Path}, args...)...)
	}
}

// SpecHandler serves a spec document, as a split role serves its own at /swagger-ui/swagger.yaml.
func SpecHandler(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serveSpec(w, r, name) })
}

func serveSpec(w http.ResponseWriter, r *http.Request, name string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		httpx.WriteError(w, http.StatusMethodNotAllowed, "method %s is not allowed on %s", r.Method, r.URL.Path)
		return
	}
	raw, err := specs.Raw(name)
	if err != nil {
		httpx.WriteError(w, http.StatusNotFound, "no such spec")
		return
	}
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(raw)
}

const bridgePage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Keptn</title></head>
<body><h1>Keptn API gateway</h1>
<p>This is the reference Keptn API gateway of keptn-conformance. The Keptn bridge is not part of it.</p>
<p>The API and its documentation: <a href="/api/swagger-ui/">Swagger UI</a>.</p>
</body></html>
`

func serveBridge(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		httpx.WriteError(w, http.StatusMethodNotAllowed, "method %s is not allowed on %s", r.Method, r.URL.Path)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(bridgePage))
}

// HSTS adds Strict-Transport-Security to every answer (for the HTTPS listener).
func HSTS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		next.ServeHTTP(w, r)
	})
}

// RedirectToHTTPS answers every request with 308 to the same URL on the HTTPS listener, without
// looking at credentials or bodies (the strict mode of the HTTP listener).
func RedirectToHTTPS(httpsPort string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, ok := strings.Cut(host, ":"); ok && !strings.HasPrefix(host, "[") {
			host = h
		} else if strings.HasPrefix(host, "[") {
			if i := strings.LastIndex(host, "]"); i > 0 {
				host = host[:i+1]
			}
		}
		if httpsPort != "" && httpsPort != "443" {
			host += ":" + httpsPort
		}
		http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusPermanentRedirect)
	})
}
