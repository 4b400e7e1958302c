// Package specs holds the OpenAPI 3 documents of the Keptn API as served behind the API
// gateway, embedded in the binary. The documents are the contract: the conformance suite
// validates every response against them and the reference gateway serves them.
package specs

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"net/url"
	"sort"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed *.yaml
var files embed.FS

// Document is one embedded OpenAPI document.
type Document struct {
	// Name is the document's short name, such as "api-service".
	Name string
	// File is the embedded file name, such as "api-service.yaml".
	File string
	// Raw is the document's bytes as embedded.
	Raw []byte
	// SHA256 is the hex digest of Raw, the document's identity in conformance reports.
	SHA256 string
	// BasePath is the path of the document's (single, relative) server, such as "/api/v1".
	BasePath string
	// Spec is the parsed and validated document.
	Spec *openapi3.T
}

// The documents, in the order reports list them.
const (
	APIService           = "api-service"
	ConfigurationService = "configuration-service"
	MongoDBDatastore     = "mongodb-datastore"
	Session              = "session"
)

var names = []string{APIService, ConfigurationService, MongoDBDatastore, Session}

// Names returns the names of all documents.
func Names() []string { return append([]string(nil), names...) }

// Raw returns the embedded bytes of a document by name.
func Raw(name string) ([]byte, error) {
	b, err := files.ReadFile(name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("specs: no document %q", name)
	}
	return b, nil
}

var (
	loadOnce sync.Once
	loaded   []*Document
	loadErr  error
)

// All parses and validates every document once and returns them in report order.
// The returned documents are shared and must not be modified.
func All() ([]*Document, error) {
	loadOnce.Do(func() {
		for _, n := range names {
			d, err := parse(n)
			if err != nil {
				loadErr = err
				return
			}
			loaded = append(loaded, d)
		}
	})
	return loaded, loadErr
}

// Get returns one parsed document by name.
func Get(name string) (*Document, error) {
	all, err := All()
	if err != nil {
		return nil, err
	}
	for _, d := range all {
		if d.Name == name {
			return d, nil
		}
	}
	return nil, fmt.Errorf("specs: no document %q", name)
}

func parse(name string) (*Document, error) {
	raw, err := Raw(name)
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	spec, err := loader.LoadFromData(raw)
	if err != nil {
		return nil, fmt.Errorf("specs: %s: %w", name, err)
	}
	if err := spec.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("specs: %s is not a valid OpenAPI document: %w", name, err)
	}
	if len(spec.Servers) != 1 {
		return nil, fmt.Errorf("specs: %s must have exactly one server, has %d", name, len(spec.Servers))
	}
	u, err := url.Parse(spec.Servers[0].URL)
	if err != nil || u.IsAbs() {
		return nil, fmt.Errorf("specs: %s: server %q must be a relative path", name, spec.Servers[0].URL)
	}
	sum := sha256.Sum256(raw)
	return &Document{
		Name:     name,
		File:     name + ".yaml",
		Raw:      raw,
		SHA256:   hex.EncodeToString(sum[:]),
		BasePath: u.Path,
		Spec:     spec,
	}, nil
}

// Operation is one operation of a document, addressed the way reports name it.
type Operation struct {
	Doc       *Document
	Path      string // the path template as in the document, such as "/project/{projectName}"
	Method    string // upper case, such as "GET"
	Operation *openapi3.Operation
	PathItem  *openapi3.PathItem
}

// ID returns the operation's operationId.
func (o Operation) ID() string { return o.Operation.OperationID }

// FullPath returns the path behind the gateway, such as "/api/v1/project/{projectName}".
func (o Operation) FullPath() string { return o.Doc.BasePath + o.Path }

// UnimplementedUpstream says why the operation is one upstream Keptn 0.7.3 does not implement (it
// answers 501 Not Implemented), from the document's x-upstream-unimplemented; "" when it does.
func (o Operation) UnimplementedUpstream() string {
	s, _ := o.Operation.Extensions["x-upstream-unimplemented"].(string)
	return s
}

// EmptyBodyUpstream says why upstream 0.7.3 answers a documented response with no body although
// the response documents one, from its x-upstream-empty-body; "" when upstream writes the body.
func EmptyBodyUpstream(resp *openapi3.Response) string {
	if resp == nil {
		return ""
	}
	s, _ := resp.Extensions["x-upstream-empty-body"].(string)
	return s
}

// Protected reports whether the operation has a security requirement (is not open).
func (o Operation) Protected() bool {
	reqs := o.Doc.Spec.Security
	if o.Operation.Security != nil {
		reqs = *o.Operation.Security
	}
	return len(reqs) > 0
}

// Operations returns every operation of the document, sorted by path and method.
func (d *Document) Operations() []Operation {
	var ops []Operation
	for _, path := range d.Spec.Paths.InMatchingOrder() {
		item := d.Spec.Paths.Value(path)
		for method, op := range item.Operations() {
			ops = append(ops, Operation{Doc: d, Path: path, Method: method, Operation: op, PathItem: item})
		}
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Path != ops[j].Path {
			return ops[i].Path < ops[j].Path
		}
		return ops[i].Method < ops[j].Method
	})
	return ops
}

// AllOperations returns the operations of every document.
func AllOperations() ([]Operation, error) {
	docs, err := All()
	if err != nil {
		return nil, err
	}
	var ops []Operation
	for _, d := range docs {
		ops = append(ops, d.Operations()...)
	}
	return ops, nil
}
