package cases

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
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
	// Allow lists the methods the Allow header of a 405 must name; Refused must not be named.
	Allow   []string
	Refused string
	// Refuse is the grade of answering the method with 405 at all, where Status admits more (zero:
	// Status says what is due).
	Refuse grade.Grade
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

// SpecFiles are the spec documents the gateway serves without a token (facts §1, §10).
var SpecFiles = []string{"/api/swagger-ui/swagger.yaml", "/api/configuration-service/swagger-ui/swagger.yaml", "/api/mongodb-datastore/swagger-ui/swagger.yaml"}

// nearRoutes are paths next to the auth route and the spec files (a trailing slash, a longer
// path): none of them is that route, so none is served without a token as if it were. Upstream's
// nginx matches /api/v1/auth by prefix and forwards every such path as POST /v1/auth, which
// api-service refuses without a token (401); a path longer than a spec file reaches its service's
// file server, which has no such file (404). What upstream does on them with the token (the auth
// route answers 200) and on a spec file's trailing slash (its file server redirects to the file)
// is not checked.
func nearRoutes() []RouteCheck {
	var out []RouteCheck
	auth := grade.Grade{Level: grade.Must, Source: grade.Docs("Keptn 0.7 API authentication: /api/v1/auth is api-service's POST /v1/auth, which refuses a request without the token with 401; open are only swagger-ui and the swagger files, the / and /api redirects and the health path (facts §1, §2)")}
	for _, p := range []string{"/api/v1/auth/", "/api/v1/auth/x", "/api/v1/authx"} {
		out = append(out, RouteCheck{Title: fmt.Sprintf("answer POST %s without a token with 401 or 404, never as an open route", p),
			Method: "POST", Path: p, Status: s(401, 404), Grade: auth})
	}
	file := grade.Grade{Level: grade.Must, Source: grade.RFCSection("RFC 9110 §15.5.5 (404 Not Found): a longer path than a spec file names no document; the files are open by name only (Keptn 0.7 api-gateway-nginx, facts §1)")}
	for _, p := range SpecFiles {
		out = append(out, RouteCheck{Title: fmt.Sprintf("answer GET %sx without a token with 401 or 404, never as the open spec file", p),
			Method: "GET", Path: p + "x", Status: s(401, 404), Grade: file})
	}
	return out
}

// openMethods: a method the open routes do not serve, sent to each. Upstream's nginx and its
// services' file servers answer any method there (a redirect, the file, the health text), so any
// answer but a server error is conformant; but a 405 must name the route's methods in Allow
// (RFC 9110 §15.5.6), and on a spec file, which is only read, 405 is recommended.
func openMethods() []RouteCheck {
	allow := grade.Grade{Level: grade.Must, Source: grade.RFCSection("RFC 9110 §15.5.6: an origin server MUST generate an Allow header field in a 405 response")}
	only := grade.Grade{Level: grade.Should, Source: grade.Ours("a spec file is only read: a write to it should be refused with 405, not answered as if it was done (upstream's file servers answer any method)")}
	var out []RouteCheck
	for _, p := range append(append([]string(nil), SpecFiles...), "/api/swagger-ui/", "/api", "/", "/nginx-health") {
		rc := RouteCheck{Title: fmt.Sprintf("name GET in the Allow header if it answers POST %s without a token with 405", p),
			Group: "Methods", Method: "POST", Path: p, Auth: AuthNone, Allow: []string{"GET"}, Refused: "POST", Grade: allow}
		if slices.Contains(SpecFiles, p) {
			rc.Title += " (and SHOULD answer it 405)"
			rc.Refuse = only
		}
		out = append(out, rc)
	}
	return out
}

// headMethods: HEAD on each spec file, which a client (a cache, a link checker, a CI step that
// checks the document is there) asks before a GET.
func headMethods() []RouteCheck {
	head := grade.Grade{Level: grade.Should, Source: grade.RFCSection("RFC 9110 §9.1: general-purpose servers MUST support GET and HEAD, and §9.3.2: HEAD answers as GET without the content; " +
		"upstream's nginx and go-swagger services answer HEAD on the spec files as GET")}
	var out []RouteCheck
	for _, p := range SpecFiles {
		out = append(out, RouteCheck{Title: fmt.Sprintf("answer HEAD %s without a token with 200, as it answers GET", p),
			Group: "Methods", Method: http.MethodHead, Path: p, Auth: AuthNone, Status: s(200), Grade: head})
	}
	return out
}

// RouteChecks returns every gateway check.
func RouteChecks() []RouteCheck {
	var out []RouteCheck
	for _, rc := range append(openRoutes(), nearRoutes()...) {
		rc.Group, rc.Auth = "Routes", AuthNone
		out = append(out, rc)
	}
	out = append(out, methodChecks()...)
	out = append(out, openMethods()...)
	out = append(out, headMethods()...)
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
	if rc.Location != "" && !locates(ex.Request.URL, hdr.Get("Location"), rc.Location) {
		add(contract.CheckHeaders, "Location is %q, want %q (or an absolute URI of that path)", hdr.Get("Location"), rc.Location)
	}
	if rc.ContentType != "" && !strings.HasPrefix(hdr.Get("Content-Type"), rc.ContentType) {
		add(contract.CheckContentType, "Content-Type is %q, want %s", hdr.Get("Content-Type"), rc.ContentType)
	}
	if rc.BodyMatches != "" && !regexp.MustCompile(rc.BodyMatches).Match(ex.RespBody) {
		add(contract.CheckBehaviour, "the body is not what this path serves (no match for %s)", rc.BodyMatches)
	}
	if len(rc.Allow) > 0 && ex.Status() == http.StatusMethodNotAllowed {
		res.Problems = append(res.Problems, AllowProblems(hdr, rc.Allow, rc.Refused)...)
	}
	if rc.Refuse.Level != "" && ex.Status() != http.StatusMethodNotAllowed {
		p := Problem(contract.CheckStatusExpected, "status %d, want 405 Method Not Allowed with Allow: %s is not a method of this route", ex.Status(), rc.Method)
		p.Grade = rc.Refuse
		res.Problems = append(res.Problems, p)
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

// locates says a redirect's Location names the path want: relative, or absolute (RFC 9110
// §10.2.2 allows either; nginx answers absolute URIs by default, on the host it was asked for,
// with or without its port), resolved against the request.
func locates(req *url.URL, location, want string) bool {
	l, err := url.Parse(location)
	if err != nil || location == "" {
		return false
	}
	r := req.ResolveReference(l)
	return r.Path == want && r.RawQuery == "" && (r.Scheme == "http" || r.Scheme == "https")
}
