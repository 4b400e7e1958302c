package selftest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/keptn-conformance/keptn-conformance/specs"
)

// specRoute is a path of a Keptn spec document, as a pattern over escaped request paths.
type specRoute struct {
	re    *regexp.Regexp
	names []string
	doc   *specs.Document
	path  string
}

var (
	routesOnce sync.Once
	keptnPaths []specRoute
)

// keptnRoutes are the paths of api-service, configuration-service and mongodb-datastore.
func keptnRoutes() []specRoute {
	routesOnce.Do(func() {
		docs, err := specs.All()
		if err != nil {
			panic(err)
		}
		param := regexp.MustCompile(`\{([^}]+)\}`)
		for _, d := range docs {
			if d.Name == specs.Session {
				continue
			}
			for _, p := range d.Spec.Paths.InMatchingOrder() {
				var names []string
				for _, m := range param.FindAllStringSubmatch(p, -1) {
					names = append(names, m[1])
				}
				parts := param.Split(d.BasePath+p, -1)
				for i := range parts {
					parts[i] = regexp.QuoteMeta(parts[i])
				}
				expr := "^" + strings.Join(parts, `([^/]+)`) + "$"
				keptnPaths = append(keptnPaths, specRoute{re: regexp.MustCompile(expr), names: names, doc: d, path: p})
			}
		}
	})
	return keptnPaths
}

// matchRoute finds the spec path a request is for, with its path parameters (unescaped).
func matchRoute(r *http.Request) (*specRoute, map[string]string) {
	escaped := r.URL.EscapedPath()
	for i := range keptnRoutes() {
		rt := &keptnPaths[i]
		m := rt.re.FindStringSubmatch(escaped)
		if m == nil {
			continue
		}
		params := map[string]string{}
		for j, n := range rt.names {
			v, err := url.PathUnescape(m[j+1])
			if err != nil {
				v = m[j+1]
			}
			params[n] = v
		}
		return rt, params
	}
	return nil, nil
}

// frameworkError is how a request breaks its operation's spec, as a go-swagger server would
// refuse it before its handler: 415 for a media type the operation does not consume, 422 for a
// body or query parameter its schema rules out. It is 0 for a request the spec admits (or
// one of no documented operation).
func frameworkError(r *http.Request) (int, string) {
	rt, params := matchRoute(r)
	if rt == nil {
		return 0, ""
	}
	item := rt.doc.Spec.Paths.Value(rt.path)
	op := item.GetOperation(r.Method)
	if op == nil {
		return 0, ""
	}
	body := readBody(r)
	req := r.Clone(context.Background())
	req.Body = http.NoBody
	if len(body) > 0 {
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	route := &routers.Route{Spec: rt.doc.Spec, Server: rt.doc.Spec.Servers[0], Path: rt.path, PathItem: item, Method: r.Method, Operation: op}
	err := openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	})
	if err == nil {
		return 0, ""
	}
	var re *openapi3filter.RequestError
	if errors.As(err, &re) && re.RequestBody != nil && strings.Contains(strings.ToLower(re.Error()), "content-type") {
		return http.StatusUnsupportedMediaType, "unsupported media type " + r.Header.Get("Content-Type")
	}
	return http.StatusUnprocessableEntity, strings.ReplaceAll(err.Error(), "\n", " ")
}
