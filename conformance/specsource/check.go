package specsource

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi3"
)

// CheckConversion compares a Swagger 2.0 document with its OpenAPI 3 conversion and lists what
// the conversion lost of what the suite validates with: security schemes and requirements, paths
// and operations, parameters and whether they are required, request bodies and their media types
// (consumes), every response and its media types (produces), and of every definition its type,
// required fields and properties. Empty means nothing was lost.
func CheckConversion(d2 *openapi2.T, d3 *openapi3.T) []string {
	var out []string
	lost := func(format string, a ...any) { out = append(out, fmt.Sprintf(format, a...)) }
	var schemes openapi3.SecuritySchemes
	if d3.Components != nil {
		schemes = d3.Components.SecuritySchemes
	}
	for _, name := range sortedKeys(d2.SecurityDefinitions) {
		s2 := d2.SecurityDefinitions[name]
		s3 := schemes[name]
		if s3 == nil || s3.Value == nil {
			lost("security scheme %q (%s) lost", name, s2.Type)
			continue
		}
		if want := v3Scheme(s2); want != describeScheme(s3.Value) {
			lost("security scheme %q changed: %s became %s", name, want, describeScheme(s3.Value))
		}
	}
	if a, b := securityString(d2.Security), v3SecurityString(d3.Security); a != b {
		lost("the document's security requirement changed: %s became %s", a, b)
	}
	for _, path := range sortedKeys(d2.Paths) {
		item := d2.Paths[path]
		item3 := d3.Paths.Value(path)
		if item3 == nil {
			lost("path %s lost", path)
			continue
		}
		for _, method := range sortedKeys(item.Operations()) {
			op := item.Operations()[method]
			op3 := item3.GetOperation(method)
			where := method + " " + path
			if op3 == nil {
				lost("operation %s lost", where)
				continue
			}
			out = append(out, checkOperation(d2, where, item, op, item3, op3)...)
		}
	}
	var schemas openapi3.Schemas
	if d3.Components != nil {
		schemas = d3.Components.Schemas
	}
	for _, name := range sortedKeys(d2.Definitions) {
		s3 := schemas[name]
		if s3 == nil {
			lost("definition %q lost", name)
			continue
		}
		out = append(out, checkSchema("definition "+name, d2.Definitions[name], s3, 0)...)
	}
	return out
}

func checkOperation(d2 *openapi2.T, where string, item *openapi2.PathItem, op *openapi2.Operation, item3 *openapi3.PathItem, op3 *openapi3.Operation) []string {
	var out []string
	lost := func(format string, a ...any) { out = append(out, where+": "+fmt.Sprintf(format, a...)) }
	if op.Security != nil {
		if op3.Security == nil {
			lost("security requirement %s lost", securityString(*op.Security))
		} else if a, b := securityString(*op.Security), v3SecurityString(*op3.Security); a != b {
			lost("security requirement changed: %s became %s", a, b)
		}
	}
	consumes := firstNonEmpty(op.Consumes, d2.Consumes)
	for _, p := range append(append(openapi2.Parameters{}, item.Parameters...), op.Parameters...) {
		if p.Ref != "" {
			if p = d2.Parameters[strings.TrimPrefix(p.Ref, "#/parameters/")]; p == nil {
				continue // an unresolved reference fails the conversion itself
			}
		}
		switch p.In {
		case "body", "formData":
			rb := op3.RequestBody
			if rb == nil || rb.Value == nil {
				lost("request body (%s parameter %q) lost", p.In, p.Name)
				continue
			}
			if p.In == "body" && p.Required != rb.Value.Required {
				lost("request body required %t became %t", p.Required, rb.Value.Required)
			}
			if p.In == "body" && p.Schema != nil {
				for _, mt := range consumes {
					if rb.Value.Content[mt] == nil {
						lost("request media type %s lost", mt)
					}
				}
			}
		default:
			p3 := findParameter(op3.Parameters, p.In, p.Name)
			if p3 == nil {
				p3 = findParameter(item3.Parameters, p.In, p.Name)
			}
			if p3 == nil {
				lost("%s parameter %q lost", p.In, p.Name)
			} else if p3.Required != p.Required {
				lost("%s parameter %q required %t became %t", p.In, p.Name, p.Required, p3.Required)
			}
		}
	}
	// Swagger 2.0: an operation without produces has the document's; without either, JSON.
	produces := firstNonEmpty(op.Produces, d2.Produces, []string{"application/json"})
	for _, code := range sortedKeys(op.Responses.Map()) {
		r := op.Responses.Map()[code]
		if r.Ref != "" {
			if r = d2.Responses[strings.TrimPrefix(r.Ref, "#/responses/")]; r == nil {
				continue
			}
		}
		r3 := op3.Responses.Value(code)
		if r3 == nil || r3.Value == nil {
			lost("response %s lost", code)
			continue
		}
		if r.Schema == nil {
			continue
		}
		for _, mt := range produces {
			if r3.Value.Content[mt] == nil {
				lost("response %s: media type %s lost", code, mt)
			}
		}
	}
	return out
}

// checkSchema compares types, required fields and properties, depth first.
func checkSchema(where string, s2 *openapi2.SchemaRef, s3 *openapi3.SchemaRef, depth int) []string {
	if s2 == nil || s2.Ref != "" || depth > 32 {
		return nil
	}
	if s3 == nil || s3.Value == nil {
		return []string{where + " lost"}
	}
	v2, v3 := s2.Value, s3.Value
	var out []string
	if a, b := typesString(v2.Type), typesString(v3.Type); a != b {
		out = append(out, fmt.Sprintf("%s: type %s became %s", where, a, b))
	}
	if a, b := setString(v2.Required), setString(v3.Required); a != b {
		out = append(out, fmt.Sprintf("%s: required %s became %s", where, a, b))
	}
	for _, name := range sortedKeys(v2.Properties) {
		p3, ok := v3.Properties[name]
		if !ok {
			out = append(out, fmt.Sprintf("%s: property %q lost", where, name))
			continue
		}
		out = append(out, checkSchema(where+"."+name, v2.Properties[name], p3, depth+1)...)
	}
	if v2.Items != nil {
		out = append(out, checkSchema(where+"[]", v2.Items, v3.Items, depth+1)...)
	}
	return out
}

func findParameter(ps openapi3.Parameters, in, name string) *openapi3.Parameter {
	for _, p := range ps {
		if p.Value != nil && p.Value.In == in && p.Value.Name == name {
			return p.Value
		}
	}
	return nil
}

func v3Scheme(s *openapi2.SecurityScheme) string {
	switch s.Type {
	case "apiKey":
		return fmt.Sprintf("apiKey %s in %s", s.Name, s.In)
	case "basic":
		return "http basic"
	}
	return s.Type
}

func describeScheme(s *openapi3.SecurityScheme) string {
	switch s.Type {
	case "apiKey":
		return fmt.Sprintf("apiKey %s in %s", s.Name, s.In)
	case "http":
		return "http " + s.Scheme
	case "":
		return "(no type)"
	}
	return s.Type
}

func securityString(reqs openapi2.SecurityRequirements) string {
	var alts []string
	for _, r := range reqs {
		alts = append(alts, "{"+setString(sortedKeys(r))+"}")
	}
	return "[" + strings.Join(alts, " or ") + "]"
}

func v3SecurityString(reqs openapi3.SecurityRequirements) string {
	var alts []string
	for _, r := range reqs {
		alts = append(alts, "{"+setString(sortedKeys(r))+"}")
	}
	return "[" + strings.Join(alts, " or ") + "]"
}

func typesString(t *openapi3.Types) string {
	if t == nil || len(*t) == 0 {
		return "(any)"
	}
	return setString(*t)
}

func setString(s []string) string {
	c := slices.Clone(s)
	sort.Strings(c)
	return strings.Join(c, ",")
}

func firstNonEmpty(lists ...[]string) []string {
	for _, l := range lists {
		if len(l) > 0 {
			return l
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
