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

// api-service and the session API document their 401 with a JSON error model, as upstream does;
// configuration-service and mongodb-datastore document none (upstream's specs declare no 401
// there, its front answers an HTML page), so their 401 falls under default: the JSON 401 there is
// a SHOULD check of the suite, not a documented response.
func TestProtectedOperationsDocument401AsUpstreamDoes(t *testing.T) {
	ops, err := specs.AllOperations()
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range ops {
		if !op.Protected() {
			continue
		}
		r := op.Operation.Responses.Status(401)
		switch op.Doc.Name {
		case specs.ConfigurationService, specs.MongoDBDatastore:
			if r != nil {
				t.Errorf("%s: documents a 401, which upstream's spec of %s does not", op.ID(), op.Doc.Name)
			}
			continue
		}
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

// The specs say no more than upstream's (facts §5-7, §10): every request body optional, a
// default error on every configuration-service and datastore operation, both JSON media types
// where upstream consumes them, no format or pattern upstream lacks.
func TestSpecsDemandNoMoreThanUpstream(t *testing.T) {
	ops, err := specs.AllOperations()
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range ops {
		if op.Doc.Name == specs.Session {
			continue // Konnect's, not Keptn's
		}
		rb := op.Operation.RequestBody
		if rb != nil && rb.Value.Required {
			t.Errorf("%s: the request body is required; upstream's bodies are optional", op.ID())
		}
		if op.Doc.Name != specs.ConfigurationService && op.Doc.Name != specs.MongoDBDatastore {
			continue
		}
		if op.Operation.Responses.Default() == nil {
			t.Errorf("%s: no default response; upstream documents default: Error", op.ID())
		}
		if rb != nil && op.Doc.Name == specs.ConfigurationService {
			for _, mt := range []string{"application/json", "application/cloudevents+json"} {
				if rb.Value.Content.Get(mt) == nil {
					t.Errorf("%s: the request body is not documented as %s, which upstream consumes", op.ID(), mt)
				}
			}
		}
	}
	// Upstream's definitions require nothing but these (facts §6, §7: "all fields optional unless starred").
	starred := map[string]bool{"Error": true, "error": true, "Resource": true, "KeptnContextExtendedCE": true}
	for _, name := range []string{specs.ConfigurationService, specs.MongoDBDatastore} {
		d, err := specs.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		for id, sc := range d.Spec.Components.Schemas {
			if len(sc.Value.Required) > 0 && !starred[id] {
				t.Errorf("%s: %s requires %v; upstream's requires nothing", name, id, sc.Value.Required)
			}
		}
	}
	api, err := specs.Get(specs.APIService)
	if err != nil {
		t.Fatal(err)
	}
	schemas := api.Spec.Components.Schemas
	if req := schemas["metadata"].Value.Required; len(req) > 0 {
		t.Errorf("metadata requires %v; upstream requires nothing", req)
	}
	if ks := schemas["metadata"].Value.Properties["keptnservices"].Value; len(ks.AnyOf) != 2 {
		t.Errorf("metadata.keptnservices must be an object or a string, as upstream's")
	}
	for _, f := range []struct{ schema, field string }{{"project", "shipyard"}, {"service", "helmChart"}, {"project", "name"}, {"service", "serviceName"}} {
		p := schemas[f.schema].Value.Properties[f.field].Value
		if p.Format != "" || p.Pattern != "" {
			t.Errorf("%s.%s has format %q, pattern %q; upstream's is a plain string", f.schema, f.field, p.Format, p.Pattern)
		}
	}
	ok := api.Spec.Paths.Value("/config/bridge").Post.Responses.Status(200).Value
	if mt := ok.Content.Get("application/json"); mt == nil || !mt.Schema.Value.Type.Is("string") {
		t.Errorf("POST /config/bridge 200 must be a JSON string, as upstream's (it writes \"\")")
	}
}
