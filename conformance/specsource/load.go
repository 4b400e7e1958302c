package specsource

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"

	"github.com/keptn-conformance/keptn-conformance/specs"
)

// loadDocument reads one service's document (and its model files), converts it to OpenAPI 3 when
// it is Swagger 2.0, checks the conversion, and maps its server to the path behind the gateway.
func loadDocument(svc Service, loc string, r reader) (*Document, error) {
	raw, err := r.read(loc)
	if err != nil {
		return nil, err
	}
	root, err := parseYAML(loc, raw)
	if err != nil {
		return nil, err
	}
	var (
		spec   *openapi3.T
		format string
		files  = []File{{Location: loc, SHA256: digest(raw)}}
		found  []Finding
	)
	switch {
	case scalar(root, "swagger") == "2.0":
		format = "swagger 2.0"
		b := &bundler{r: r, main: root, mainLoc: loc, roots: map[string]*yaml.Node{loc: root}, imported: map[string]string{}, files: files}
		if err := b.bundle(); err != nil {
			return nil, err
		}
		files, found = b.files, b.findings
		if spec, err = convert(root); err != nil {
			return nil, fmt.Errorf("%s: %w", loc, err)
		}
	case strings.HasPrefix(scalar(root, "openapi"), "3."):
		format = "openapi " + scalar(root, "openapi")
		if spec, files, err = loadOpenAPI3(loc, raw, r); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%s is neither Swagger 2.0 (swagger: \"2.0\") nor OpenAPI 3 (openapi: 3.x)", loc)
	}
	base, err := mapServers(svc, spec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", loc, err)
	}
	// Examples and defaults decide no verdict: an invalid one does not make the document unusable.
	if err := spec.Validate(context.Background(), openapi3.DisableExamplesValidation(), openapi3.DisableSchemaDefaultsValidation()); err != nil {
		return nil, fmt.Errorf("%s is not a valid document after conversion to OpenAPI 3: %w", loc, err)
	}
	return &Document{
		Document: &specs.Document{Name: svc.Name, File: loc, Raw: raw, SHA256: Digest(files), BasePath: base, Spec: spec},
		Format:   format, Files: files, Findings: found,
	}, nil
}

func parseYAML(loc string, raw []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s is not YAML: %w", loc, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: a document must be a mapping", loc)
	}
	return doc.Content[0], nil
}

// convert turns a bundled Swagger 2.0 document into OpenAPI 3 and checks that nothing the suite
// validates with was lost.
func convert(root *yaml.Node) (*openapi3.T, error) {
	v, err := jsonValue(root)
	if err != nil {
		return nil, err
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var d2 openapi2.T
	if err := json.Unmarshal(j, &d2); err != nil {
		return nil, fmt.Errorf("not a Swagger 2.0 document: %w", err)
	}
	d3, err := openapi2conv.ToV3(&d2)
	if err != nil {
		return nil, fmt.Errorf("converting to OpenAPI 3: %w", err)
	}
	if losses := CheckConversion(&d2, d3); len(losses) > 0 {
		return nil, fmt.Errorf("the conversion to OpenAPI 3 lost %d thing(s), so the document is not used: %s", len(losses), strings.Join(losses, "; "))
	}
	return d3, nil
}

// jsonValue is a node as a JSON value, read as YAML 1.2 (a key `n` or `on` stays a string, as
// it does for yaml.v3; a YAML 1.1 reader would make it a boolean) with every key a string (a
// status code 200 becomes "200").
func jsonValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		return jsonValue(n.Content[0])
	case yaml.AliasNode:
		return jsonValue(n.Alias)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := jsonValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, x := range n.Content {
			v, err := jsonValue(x)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, fmt.Errorf("line %d: %w", n.Line, err)
	}
	return v, nil
}

// loadOpenAPI3 loads an OpenAPI 3 document, reading relative $refs through r.
func loadOpenAPI3(loc string, raw []byte, r reader) (*openapi3.T, []File, error) {
	files := []File{{Location: loc, SHA256: digest(raw)}}
	seen := map[string]bool{loc: true}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = true
	loader.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
		l := u.String()
		if u.Scheme == "" {
			l = filepath.FromSlash(u.Path)
		}
		b, err := r.read(l)
		if err == nil && !seen[l] {
			seen[l] = true
			files = append(files, File{Location: l, SHA256: digest(b)})
		}
		return b, err
	}
	u, err := url.Parse(loc)
	if err != nil || u.Scheme == "" {
		u = &url.URL{Path: filepath.ToSlash(loc)}
	}
	spec, err := loader.LoadFromDataWithPath(raw, u)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", loc, err)
	}
	return spec, files, nil
}

// mapServers sets the document's one server to the path behind the gateway and returns it. The
// rule: a server path already under the service's mount (/api/v1 for api-service) is taken as it
// is; any other (upstream's /v1, /) is put under the mount (/api + /v1). A document without a
// server is at its mount. Absolute server URLs count by their path only; several servers must
// agree on it.
func mapServers(svc Service, spec *openapi3.T) (string, error) {
	path := ""
	for i, s := range spec.Servers {
		u, err := url.Parse(s.URL)
		if err != nil {
			return "", fmt.Errorf("server %q is not a URL", s.URL)
		}
		p := "/" + strings.Trim(u.Path, "/")
		if i > 0 && p != path {
			return "", fmt.Errorf("servers disagree on the base path (%s, %s)", path, p)
		}
		path = p
	}
	if path == "" {
		path = "/"
	}
	switch {
	case path == svc.Mount || strings.HasPrefix(path, svc.Mount+"/"):
	case path == "/":
		path = svc.Mount
	default:
		path = svc.Mount + path
	}
	spec.Servers = openapi3.Servers{{URL: path}}
	return path, nil
}

// scalar is the value of a scalar key of a mapping, or "".
func scalar(m *yaml.Node, key string) string {
	if v := get(m, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

func get(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
