package edge

import (
	"fmt"
	"net/http"
	"strings"
)

// Layout is where the gateway serves the Keptn API: Keptn 0.7's paths (everything under /api,
// api-gateway-nginx's routes) or Keptn 0.6's (no /api prefix, no mongodb-datastore, no nginx).
// The gateway's routes are written once, for 0.7; a layout's table maps each path it serves to
// its 0.7 path, and a path outside the table is not served (404).
type Layout struct {
	name string
	// mounts map public paths to 0.7 paths, first match first; nil is 0.7 itself (every path as it is).
	mounts []mount
}

// mount maps a public path (exact, or a prefix and the paths under it) to a 0.7 path.
type mount struct {
	public, canonical string
	exact             bool
}

// The layouts.
var (
	// Layout07 is Keptn 0.7's api-gateway-nginx (facts §1).
	Layout07 = Layout{name: "0.7"}
	// Layout06 is Keptn 0.6 (facts §4): api-service at /v1, configuration-service at
	// /configuration-service, its Swagger UI at /swagger-ui/, the log websocket at /websocket; no
	// mongodb-datastore route, none of nginx's own (/api and / redirects, the bridge,
	// /nginx-health). The session API (Konnect's, facts §9, not Keptn's) stays at /api/auth and
	// /api/control_planes.
	Layout06 = Layout{name: "0.6", mounts: []mount{
		{public: "/v1", canonical: "/api/v1"},
		{public: "/configuration-service", canonical: "/api/configuration-service"},
		{public: "/swagger-ui", canonical: "/api/swagger-ui"},
		{public: "/websocket", canonical: "/api/websocket", exact: true},
		{public: "/api/auth", canonical: "/api/auth", exact: true},
		{public: "/api/control_planes", canonical: "/api/control_planes"},
	}}
)

// Layouts are the layouts by name, the default first.
var Layouts = []Layout{Layout07, Layout06}

// ParseLayout returns a layout by name ("" is 0.7).
func ParseLayout(name string) (Layout, error) {
	if name == "" {
		return Layout07, nil
	}
	var names []string
	for _, l := range Layouts {
		if l.name == name {
			return l, nil
		}
		names = append(names, l.name)
	}
	return Layout{}, fmt.Errorf("unknown layout %q (want one of %s)", name, strings.Join(names, ", "))
}

func (l Layout) String() string {
	if l.name == "" {
		return Layout07.name
	}
	return l.name
}

// Canonical is the 0.7 path of a path the layout serves; false when it serves none there.
func (l Layout) Canonical(p string) (string, bool) {
	if l.mounts == nil {
		return p, true
	}
	for _, m := range l.mounts {
		if rest, ok := m.match(p); ok {
			return m.canonical + rest, true
		}
	}
	return "", false
}

// Public is where the layout serves a 0.7 path (the first mount that holds it); false when the
// layout has no such route.
func (l Layout) Public(canonical string) (string, bool) {
	if l.mounts == nil {
		return canonical, true
	}
	for _, m := range l.mounts {
		if canonical == m.canonical || (!m.exact && strings.HasPrefix(canonical, m.canonical+"/")) {
			return m.public + strings.TrimPrefix(canonical, m.canonical), true
		}
	}
	return "", false
}

// match says whether p is the mount's public path or under it, and what follows the prefix.
func (m mount) match(p string) (string, bool) {
	if p == m.public {
		return "", true
	}
	if !m.exact && strings.HasPrefix(p, m.public+"/") {
		return p[len(m.public):], true
	}
	return "", false
}

// canonicalRequest is r addressed by its 0.7 path (escaped path too, so that a resourceURI's
// %2F stays one segment); false when the layout serves nothing at r's path.
func (l Layout) canonicalRequest(r *http.Request) (*http.Request, bool) {
	if l.mounts == nil {
		return r, true
	}
	for _, m := range l.mounts {
		rest, ok := m.match(r.URL.Path)
		if !ok {
			continue
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = m.canonical + rest
		if r.URL.RawPath != "" {
			r2.URL.RawPath = m.canonical + strings.TrimPrefix(r.URL.RawPath, m.public)
		}
		return r2, true
	}
	return nil, false
}
