package specsource

import (
	"errors"
	"fmt"
	"strings"
)

// Layout is where an installation serves the Keptn API (--layout). The suite writes every path
// once, as Keptn 0.7 serves it (its specs' servers, its cases and checks: /api/v1/...); a layout
// maps such a path to the installation's, where the request is sent, or says why the
// installation has no such route (then the check that needs it is skipped with that reason).
type Layout struct {
	Name string
	// routes map 0.7 paths, first match first; nil is 0.7 itself.
	routes []route
}

// route maps a 0.7 path (exact, or a prefix and the paths under it) to the layout's, by
// replacing the prefix with to, or names why the layout has none.
type route struct {
	from, to string
	exact    bool
	absent   string
}

// Why Keptn 0.6 has no route.
const (
	NoDatastore06 = "Keptn 0.6 has no mongodb-datastore (its API serves api-service and configuration-service only)"
	NoNginx06     = "Keptn 0.6 has no api-gateway-nginx: the /api and / redirects and /nginx-health are 0.7's routes (0.6 serves its API through Istio's public-gateway, facts §4)"
)

// The layouts.
var (
	// Layout07 is Keptn 0.7's api-gateway-nginx (facts §1): every path as the suite writes it.
	Layout07 = Layout{Name: "0.7"}
	// Layout06 is Keptn 0.6 (facts §4): no /api prefix (/v1, /configuration-service, /swagger-ui/,
	// /websocket), no mongodb-datastore, none of nginx's own routes. The session API is Konnect's
	// (facts §9), not Keptn's: it stays at /api/auth and /api/control_planes.
	Layout06 = Layout{Name: "0.6", routes: []route{
		{from: "/api/mongodb-datastore", absent: NoDatastore06},
		{from: "/api/auth", to: "/api/auth", exact: true},
		{from: "/api/control_planes", to: "/api/control_planes"},
		{from: "/api", exact: true, absent: NoNginx06},
		{from: "/", exact: true, absent: NoNginx06},
		{from: "/nginx-health", exact: true, absent: NoNginx06},
		{from: "/api", to: ""},
	}}
)

// Layouts are the layouts, the default first.
var Layouts = []Layout{Layout07, Layout06}

// ParseLayout reads a --layout value ("" is 0.7).
func ParseLayout(v string) (Layout, error) {
	if v == "" {
		return Layout07, nil
	}
	var names []string
	for _, l := range Layouts {
		if l.Name == v {
			return l, nil
		}
		names = append(names, l.Name)
	}
	return Layout{}, fmt.Errorf("--layout %q is not a layout the suite knows (%s)", v, strings.Join(names, ", "))
}

// AbsentError is a request to a route the target's layout does not have: the check that sends it
// does not apply to the target (it is skipped, with Reason), it is not failed.
type AbsentError struct {
	Layout, Path, Reason string
}

func (e *AbsentError) Error() string {
	return fmt.Sprintf("%s (layout %s has no route for %s)", e.Reason, e.Layout, e.Path)
}

// Absent is the reason a check does not apply when err says it needed a route the layout does
// not have; "" otherwise.
func Absent(err error) string {
	var a *AbsentError
	if errors.As(err, &a) {
		return a.Reason
	}
	return ""
}

// Path maps a path (a request's escaped path, as the suite writes it for 0.7) to the layout's; an
// *AbsentError when the layout has no such route.
func (l Layout) Path(p string) (string, error) {
	for _, r := range l.routes {
		rest, ok := r.match(p)
		if !ok {
			continue
		}
		if r.absent != "" {
			return "", &AbsentError{Layout: l.Name, Path: p, Reason: r.absent}
		}
		if out := r.to + rest; out != "" {
			return out, nil
		}
		return "/", nil
	}
	return p, nil
}

func (r route) match(p string) (string, bool) {
	if p == r.from {
		return "", true
	}
	if !r.exact && strings.HasPrefix(p, strings.TrimSuffix(r.from, "/")+"/") {
		return p[len(r.from):], true
	}
	return "", false
}

// Services are the services the layout serves, with where it serves their documents.
func (l Layout) Services() []Service {
	var out []Service
	for _, s := range Services {
		p, err := l.Path(s.ServedPath)
		if err != nil {
			continue
		}
		s.ServedPath = p
		out = append(out, s)
	}
	return out
}
