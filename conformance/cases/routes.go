package cases

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/specs"
)

// RouteCheck is a check of the gateway itself rather than of an operation: its open routes and
// redirects, its answers to undocumented methods and to paths no spec has.
type RouteCheck struct {
	// Title completes "the gateway MUST ...".
	Title  string
	Group  string // Routes, Methods or UnknownPaths
	Method string
	Path   string
	Auth   Auth // AuthToken or AuthNone
	Status []int
	// Location is the redirect's target, when one is due.
	Location string
	// ContentType is the prefix the Content-Type must have.
	ContentType string
	// BodyMatches must match the body.
	BodyMatches string
	// Allow lists the methods the Allow header must name (for 405); Refused must not be named.
	Allow   []string
	Refused string
	// Grade is the requirement's level and source (zero: see Graded).
	Grade grade.Grade
}

// Name is the check's spec text.
func (rc RouteCheck) Name() string { return Sentence("the gateway", rc.Graded(), rc.Title) }

// openRoutes are the gateway's routes without a token (facts, section 1).
func openRoutes() []RouteCheck {
	spec := `(?m)^(openapi|swagger)["']?\s*:`
	return []RouteCheck{
		{Title: "redirect /api to the Swagger UI with 301", Method: "GET", Path: "/api", Status: s(301), Location: "/api/swagger-ui/"},
		{Title: "redirect / to the bridge with 301", Method: "GET", Path: "/", Status: s(301), Location: "/bridge/"},
		{Title: "serve the Swagger UI without a token", Method: "GET", Path: "/api/swagger-ui/", Status: s(200), ContentType: "text/html"},
		{Title: "serve api-service's spec without a token", Method: "GET", Path: "/api/swagger-ui/swagger.yaml", Status: s(200), BodyMatches: spec},
		{Title: "serve configuration-service's spec without a token", Method: "GET", Path: "/api/configuration-service/swagger-ui/swagger.yaml", Status: s(200), BodyMatches: spec},
		{Title: "serve mongodb-datastore's spec without a token", Method: "GET", Path: "/api/mongodb-datastore/swagger-ui/swagger.yaml", Status: s(200), BodyMatches: spec},
		{Title: "answer its health path without a token", Method: "GET", Path: "/nginx-health", Status: s(200)},
	}
}

// concrete fills a path template with names that exist nowhere.
func concrete(tmpl string) string {
	return regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(tmpl, "kc-nowhere")
}

// methodChecks: on every documented path of the Keptn API, a method no operation there has gets
// 405 with an Allow header naming the documented methods.
func methodChecks() []RouteCheck {
	docs, _ := specs.All()
	var out []RouteCheck
	for _, d := range docs {
		if d.Name == specs.Session {
			continue // the session paths are checked with a session, in the session profile
		}
		for _, path := range d.Spec.Paths.InMatchingOrder() {
			if d.Name == specs.APIService && path == "/auth" {
				continue // the gateway forwards any method on /api/v1/auth as POST (facts, section 1)
			}
			item := d.Spec.Paths.Value(path)
			var allow []string
			for m := range item.Operations() {
				allow = append(allow, m)
			}
			slices.Sort(allow)
			for _, m := range []string{"PATCH", "PUT", "DELETE", "POST"} {
				if slices.Contains(allow, m) {
					continue
				}
				out = append(out, RouteCheck{
					Title: fmt.Sprintf("answer %s %s%s with 405 and an Allow header naming %s", m, d.BasePath, path, strings.Join(allow, ", ")),
					Group: "Methods", Method: m, Path: d.BasePath + concrete(path), Auth: AuthToken, Status: s(405), Allow: allow, Refused: m,
				})
				break // one undocumented method per path
			}
		}
	}
	return out
}

// unknownPaths are paths no spec has: never a success, whatever the credentials.
func unknownPaths() []RouteCheck {
	var out []RouteCheck
	for _, p := range []string{"/api/v1/kc-unknown", "/api/v2/project", "/api/configuration-service/v1/kc-unknown",
		"/api/configuration-service/v2/project", "/api/mongodb-datastore/kc-unknown", "/api/kc-unknown", "/kc-unknown"} {
		for _, a := range []Auth{AuthToken, AuthNone} {
			with := "with the token"
			if a == AuthNone {
				with = "without a token"
			}
			out = append(out, RouteCheck{Title: fmt.Sprintf("answer GET %s %s with 404 or 401, never a success", p, with),
				Group: "UnknownPaths", Method: "GET", Path: p, Auth: a, Status: s(401, 404)})
		}
	}
	return out
}

// RouteChecks returns every gateway check.
func RouteChecks() []RouteCheck {
	var out []RouteCheck
	for _, rc := range openRoutes() {
		rc.Group, rc.Auth = "Routes", AuthNone
		out = append(out, rc)
	}
	out = append(out, methodChecks()...)
	return append(out, unknownPaths()...)
}

// RunRoute performs a gateway check.
func (e *Env) RunRoute(ctx context.Context, rc RouteCheck) (Result, error) {
	h := http.Header{}
	if rc.Auth == AuthToken {
		h.Set("x-token", e.Target.Token())
	}
	ex, err := e.Target.Client(e.Base).Do(ctx, contract.Request{Method: rc.Method, Path: rc.Path, Header: h})
	if err != nil {
		return Result{}, err
	}
	res := Result{Exchanges: []*contract.Exchange{ex}}
	res.Problems = append(res.Problems, contract.ValidateResponse(ex)...)
	if res.Failed() {
		return res, nil
	}
	if p := statusProblems(ex, rc.Status, false); len(p) > 0 {
		res.Problems = append(res.Problems, p...)
		return res, nil
	}
	add := func(check, format string, args ...any) {
		res.Problems = append(res.Problems, contract.Problem{Check: check, Message: fmt.Sprintf(format, args...)})
	}
	hdr := ex.Response.Header
	if rc.Location != "" && hdr.Get("Location") != rc.Location {
		add(contract.CheckHeaders, "Location is %q, want %q", hdr.Get("Location"), rc.Location)
	}
	if rc.ContentType != "" && !strings.HasPrefix(hdr.Get("Content-Type"), rc.ContentType) {
		add(contract.CheckContentType, "Content-Type is %q, want %s", hdr.Get("Content-Type"), rc.ContentType)
	}
	if rc.BodyMatches != "" && !regexp.MustCompile(rc.BodyMatches).Match(ex.RespBody) {
		add(contract.CheckBehaviour, "the body is not what this path serves (no match for %s)", rc.BodyMatches)
	}
	if len(rc.Allow) > 0 {
		res.Problems = append(res.Problems, AllowProblems(hdr, rc.Allow, rc.Refused)...)
	}
	return res, nil
}

// AllowProblems checks a 405's Allow header: it names every method in want, and not refused.
func AllowProblems(hdr http.Header, want []string, refused string) []contract.Problem {
	allow := map[string]bool{}
	for _, v := range hdr.Values("Allow") {
		for _, m := range strings.Split(v, ",") {
			allow[strings.ToUpper(strings.TrimSpace(m))] = true
		}
	}
	var out []contract.Problem
	for _, m := range want {
		if !allow[m] {
			out = append(out, Problem(contract.CheckHeaders, "the Allow header %q does not name %s", hdr.Get("Allow"), m))
		}
	}
	if allow[refused] {
		out = append(out, Problem(contract.CheckHeaders, "the Allow header %q names %s, which was just refused", hdr.Get("Allow"), refused))
	}
	return out
}
