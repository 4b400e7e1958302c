// Package specsource is where the suite's spec documents come from (--specs): the bundled
// OpenAPI 3 documents of specs/ (the default), the documents the target serves itself, or
// documents a user supplies in a directory or under a base URL. Swagger 2.0 documents (what
// Keptn serves upstream) are bundled into one document with their model files, converted to
// OpenAPI 3 with kin-openapi's openapi2conv, and the conversion is checked: a lost security
// scheme, operation, response, required field or media type fails closed. Servers are mapped
// to the paths behind the gateway, so the documents match requests as the gateway serves them.
//
// Naming: a directory holds api-service.yaml, configuration-service.yaml and
// mongodb-datastore.yaml (JSON is YAML too), each with its model files beside it by relative
// $ref; a base URL serves the same names under it (URL/api-service.yaml, ...).
package specsource

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/keptn-conformance/keptn-conformance/specs"
)

// The kinds of source.
const (
	Bundled = "bundled" // specs/, embedded
	Served  = "served"  // the target's own documents, over HTTP
	Dir     = "dir"     // a directory of documents
	URL     = "url"     // documents under a base URL
)

// Source is a parsed --specs value.
type Source struct {
	Kind string
	// Location is the directory or base URL (Dir, URL).
	Location string
	// Layout is the target's (--layout): which services it has, and where it serves their
	// documents (served). The zero value is 0.7.
	Layout Layout
}

func (s Source) String() string {
	if s.Location != "" {
		return s.Location
	}
	return s.Kind
}

// Parse reads a --specs value: bundled (or empty), served, an http(s) URL, or a directory.
func Parse(v string) (Source, error) {
	switch {
	case v == "" || v == Bundled:
		return Source{Kind: Bundled}, nil
	case v == Served:
		return Source{Kind: Served}, nil
	case strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://"):
		u, err := url.Parse(v)
		if err != nil || u.Host == "" {
			return Source{}, fmt.Errorf("--specs %q is not a URL with a host", v)
		}
		return Source{Kind: URL, Location: strings.TrimRight(v, "/")}, nil
	}
	st, err := os.Stat(v)
	if err != nil || !st.IsDir() {
		return Source{}, fmt.Errorf("--specs %q is neither bundled, served, an http(s) URL nor a directory", v)
	}
	return Source{Kind: Dir, Location: v}, nil
}

// Service is one Keptn service whose document a source provides.
type Service struct {
	Name string
	// Mount is where the gateway serves the service (the prefix it strips), in 0.7's layout: the
	// paths the suite writes (a Layout maps them to the target's).
	Mount string
	// ServedPath is where the gateway serves the service's document (0.7; see Layout.Services).
	ServedPath string
}

// Services are the services a source provides documents for, in report order. The session
// document is the project's own (upstream serves none); it always comes from specs/.
var Services = []Service{
	{specs.APIService, "/api", "/api/swagger-ui/swagger.yaml"},
	{specs.ConfigurationService, "/api/configuration-service", "/api/configuration-service/swagger-ui/swagger.yaml"},
	{specs.MongoDBDatastore, "/api/mongodb-datastore", "/api/mongodb-datastore/swagger-ui/swagger.yaml"},
}

// File is one file a document was read from (the document itself, or a model file it refers to).
type File struct {
	Location string `json:"location"`
	SHA256   string `json:"sha256"`
}

// Finding is a part of a document that is not valid and was left out. A document with a
// finding is still used: only parts whose removal can only loosen validation are left out
// (see Lint), anything else invalid fails the load.
type Finding struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

func (f Finding) String() string { return fmt.Sprintf("%s:%d: %s", f.File, f.Line, f.Reason) }

// Document is one service's document as the run uses it: OpenAPI 3, servers mapped to the paths
// behind the gateway. Its embedded specs.Document serves the contract validator (SHA256 is the
// digest of every file it was read from, see Digest).
type Document struct {
	*specs.Document
	// Format is the document's format as read: "swagger 2.0" or "openapi 3.x.y".
	Format   string
	Files    []File
	Findings []Finding
}

// Set is the documents of one source.
type Set struct {
	Source Source
	Docs   []*Document
}

// Get returns the document of a service, or nil.
func (s *Set) Get(name string) *Document {
	for _, d := range s.Docs {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// Digest is a document's identity: its file's SHA-256 when it is one file; with model files,
// the SHA-256 of the lines "<sha256>  <location>\n" of every file, the document's own first and
// the rest in the order they were first referred to.
func Digest(files []File) string {
	if len(files) == 1 {
		return files[0].SHA256
	}
	h := sha256.New()
	for _, f := range files {
		fmt.Fprintf(h, "%s  %s\n", f.SHA256, f.Location)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Load reads the documents of a source. endpoint is the target's base URL (for served) and client
// the HTTP client to reach it or a URL source. Every error names the document and what is wrong.
func Load(ctx context.Context, src Source, endpoint string, client *http.Client) (*Set, error) {
	if src.Kind == Bundled {
		return bundled(src.Layout)
	}
	if client == nil {
		client = http.DefaultClient
	}
	set := &Set{Source: src}
	for _, svc := range src.Layout.Services() {
		var r reader
		var loc string
		switch src.Kind {
		case Served:
			if endpoint == "" {
				return nil, fmt.Errorf("--specs served needs the target's endpoint")
			}
			r, loc = httpReader{ctx: ctx, client: client}, strings.TrimRight(endpoint, "/")+svc.ServedPath
		case URL:
			r, loc = httpReader{ctx: ctx, client: client}, src.Location+"/"+svc.Name+".yaml"
		case Dir:
			r, loc = fileReader{}, filepath.Join(src.Location, svc.Name+".yaml")
		default:
			return nil, fmt.Errorf("unknown spec source %q", src.Kind)
		}
		d, err := loadDocument(svc, loc, r)
		if err != nil {
			return nil, fmt.Errorf("--specs %s: %s: %w", src, svc.Name, err)
		}
		set.Docs = append(set.Docs, d)
	}
	return set, nil
}

// bundled is the set of specs/, as the suite has always used it: the documents of the services
// the layout has.
func bundled(l Layout) (*Set, error) {
	set := &Set{Source: Source{Kind: Bundled, Layout: l}}
	for _, svc := range l.Services() {
		d, err := specs.Get(svc.Name)
		if err != nil {
			return nil, err
		}
		set.Docs = append(set.Docs, &Document{Document: d, Format: "openapi " + d.Spec.OpenAPI,
			Files: []File{{Location: "specs/" + d.File, SHA256: d.SHA256}}})
	}
	return set, nil
}

// reader reads a document's files: the document and, by relative reference, its model files.
type reader interface {
	read(loc string) ([]byte, error)
	// resolve is the location of ref, relative to the file at base.
	resolve(base, ref string) (string, error)
}

type fileReader struct{}

func (fileReader) read(loc string) ([]byte, error) {
	b, err := os.ReadFile(loc)
	if os.IsNotExist(err) {
		return nil, fmt.Errorf("no file %s (a directory of documents names them %s)", loc, namesHint())
	}
	return b, err
}

func (fileReader) resolve(base, ref string) (string, error) {
	if filepath.IsAbs(ref) || strings.Contains(ref, "://") {
		return "", fmt.Errorf("$ref %q is not a relative file reference", ref)
	}
	return filepath.Join(filepath.Dir(base), filepath.FromSlash(ref)), nil
}

// maxDocument bounds one file's size.
const maxDocument = 16 << 20

type httpReader struct {
	ctx    context.Context
	client *http.Client
}

func (r httpReader) read(loc string) ([]byte, error) {
	req, err := http.NewRequestWithContext(r.ctx, http.MethodGet, loc, nil)
	if err != nil {
		return nil, err
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", loc, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching %s: status %d, want 200", loc, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", loc, err)
	}
	if len(b) > maxDocument {
		return nil, fmt.Errorf("fetching %s: larger than %d bytes", loc, maxDocument)
	}
	return b, nil
}

func (httpReader) resolve(base, ref string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(ref)
	if err != nil {
		return "", fmt.Errorf("$ref %q: %w", ref, err)
	}
	if u.IsAbs() || u.Host != "" {
		return "", fmt.Errorf("$ref %q is not a relative reference", ref)
	}
	return b.ResolveReference(u).String(), nil
}

func namesHint() string {
	var n []string
	for _, s := range Services {
		n = append(n, s.Name+".yaml")
	}
	return strings.Join(n, ", ")
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
