package specs_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/keptn-conformance/keptn-conformance/specs"
)

func TestDocumentsAreValidOpenAPI(t *testing.T) {
	docs, err := specs.All()
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != len(specs.Names()) {
		t.Fatalf("loaded %d documents, want %d", len(docs), len(specs.Names()))
	}
	for _, d := range docs {
		if !strings.HasPrefix(d.BasePath, "/api") {
			t.Errorf("%s: server %q is not under /api", d.Name, d.BasePath)
		}
		if len(d.SHA256) != 64 {
			t.Errorf("%s: digest %q", d.Name, d.SHA256)
		}
	}
}

func TestOperationIDsAreUniqueAcrossDocuments(t *testing.T) {
	ops, err := specs.AllOperations()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, op := range ops {
		if op.ID() == "" {
			t.Errorf("%s %s in %s has no operationId", op.Method, op.FullPath(), op.Doc.Name)
			continue
		}
		if prev, dup := seen[op.ID()]; dup {
			t.Errorf("operationId %s is used twice: %s and %s %s", op.ID(), prev, op.Method, op.FullPath())
		}
		seen[op.ID()] = op.Method + " " + op.FullPath()
	}
}

// Every protected operation documents a 401 with a JSON error body, so that clients and the
// suite can rely on it.
func TestEveryProtectedOperationDocuments401(t *testing.T) {
	ops, err := specs.AllOperations()
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range ops {
		if !op.Protected() {
			continue
		}
		r := op.Operation.Responses.Status(401)
		if r == nil || r.Value == nil {
			t.Errorf("%s: no 401 response", op.ID())
			continue
		}
		mt := r.Value.Content.Get("application/json")
		if mt == nil || mt.Schema == nil || !slices.Contains(mt.Schema.Value.Required, "message") {
			t.Errorf("%s: 401 has no JSON error model with a required message", op.ID())
		}
	}
}
