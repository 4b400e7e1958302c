package specsource

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/gateway"
	"github.com/keptn-conformance/keptn-conformance/specs"
)

var (
	baseline = filepath.Join("..", "..", "fixtures", "swagger2", "baseline")
	drifted  = filepath.Join("..", "..", "fixtures", "swagger2", "drifted")
)

func loadDir(t *testing.T, dir string) *Set {
	t.Helper()
	src, err := Parse(dir)
	if err != nil {
		t.Fatal(err)
	}
	set, err := Load(context.Background(), src, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestParse(t *testing.T) {
	for v, want := range map[string]string{"": Bundled, "bundled": Bundled, "served": Served, "https://example.com/specs/": URL, baseline: Dir} {
		s, err := Parse(v)
		if err != nil || s.Kind != want {
			t.Errorf("Parse(%q) = %+v, %v; want kind %s", v, s, err, want)
		}
	}
	if _, err := Parse("no/such/dir"); err == nil || !strings.Contains(err.Error(), "neither bundled, served") {
		t.Errorf("Parse of a missing directory: %v", err)
	}
}

func TestSwagger2Directory(t *testing.T) {
	set := loadDir(t, baseline)
	want := map[string]string{specs.APIService: "/api/v1", specs.ConfigurationService: "/api/configuration-service/v1", specs.MongoDBDatastore: "/api/mongodb-datastore"}
	for _, d := range set.Docs {
		if d.Format != "swagger 2.0" || d.BasePath != want[d.Name] || d.Spec.Servers[0].URL != want[d.Name] {
			t.Errorf("%s: format %q, base path %q, server %q; want swagger 2.0 at %s", d.Name, d.Format, d.BasePath, d.Spec.Servers[0].URL, want[d.Name])
		}
		if len(d.Findings) != 0 {
			t.Errorf("%s: findings %v in a valid document", d.Name, d.Findings)
		}
	}
	api := set.Get(specs.APIService)
	if len(api.Files) != 4 || api.SHA256 != Digest(api.Files) || api.SHA256 == api.Files[0].SHA256 {
		t.Errorf("api-service: files %+v, digest %s: want the document and its 3 model files, digested together", api.Files, api.SHA256)
	}
	// The model files are bundled in: the request body of sendEvent has their required fields.
	ops := set.Operations()
	send := ops["POST /api/v1/event"]
	if send == nil {
		t.Fatalf("no sendEvent among %v", sortedKeys(ops))
	}
	rb := send.Operation.RequestBody.Value
	if got := rb.Content["application/cloudevents+json"].Schema.Value.Required; !reflect.DeepEqual(got, []string{"type", "source"}) {
		t.Errorf("sendEvent body (cloudevents+json) required %v, want [type source]", got)
	}
}

func TestInvalidDocumentReported(t *testing.T) {
	set := loadDir(t, drifted)
	api := set.Get(specs.APIService)
	file := filepath.Join(drifted, "models", "evaluation_model.yaml")
	want := []Finding{
		{File: file, Line: 8, Reason: `"name" is not a Swagger 2.0 schema keyword (left out)`},
		{File: file, Line: 11, Reason: `"name" is not a Swagger 2.0 schema keyword (left out)`},
	}
	if !reflect.DeepEqual(api.Findings, want) {
		t.Errorf("findings:\n got %v\nwant %v", api.Findings, want)
	}
	// The rest of the model is used: the properties are there, typed.
	eval := set.Operations()["POST /api/v1/project/{}/stage/{}/service/{}/evaluation"]
	props := eval.Operation.RequestBody.Value.Content["application/json"].Schema.Value.Properties
	if len(props) != 3 || props["start"].Value.Type.Slice()[0] != "string" {
		t.Errorf("evaluation properties %v, want start, end, timeframe (strings)", sortedKeys(props))
	}
}

func TestDriftFoundIsDriftBuilt(t *testing.T) {
	covered := func(id string) bool { return id != "triggerEvaluation" }
	d := Compare(loadDir(t, baseline), loadDir(t, drifted), covered)
	const cs = "configuration-service"
	why := map[string]string{}
	for _, c := range d.Changes {
		why[c.Aspect] = c.Why
	}
	want := Drift{
		Missing: []Operation{{Key: "GET /api/configuration-service/v1/project/{}/stage", Document: cs, ID: "getStages"}},
		Changes: []Change{
			{Op: "GET /api/configuration-service/v1/project", ID: "getProjects", Aspect: AspectRequired, Where: "response 200 application/json /projects/[]", Bundled: "projectName", InUse: "gitRemoteURI, projectName", ChangesVerdict: true},
			{Op: "GET /api/configuration-service/v1/project/{}", ID: "getProject", Aspect: AspectRequired, Where: "response 200 application/json /", Bundled: "projectName", InUse: "gitRemoteURI, projectName", ChangesVerdict: true},
			{Op: "GET /api/configuration-service/v1/project/{}", ID: "getProject", Aspect: AspectStatus, Where: "response 400", Bundled: "not documented", InUse: "documented", ChangesVerdict: true},
			{Op: "GET /api/mongodb-datastore/event", ID: "getEvents", Aspect: AspectMediaType, Where: "response 200", Bundled: "application/cloudevents+json, application/json", InUse: "application/json", ChangesVerdict: true},
		},
		Uncovered: []Operation{{Key: "POST /api/v1/project/{}/stage/{}/service/{}/evaluation", Document: "api-service", ID: "triggerEvaluation"}},
	}
	for i := range want.Changes {
		want.Changes[i].Why = why[want.Changes[i].Aspect]
		if want.Changes[i].Why == "" {
			t.Errorf("change %+v: no reason given", want.Changes[i])
		}
	}
	if !reflect.DeepEqual(d.Added, want.Added) || !reflect.DeepEqual(d.Missing, want.Missing) || !reflect.DeepEqual(d.Uncovered, want.Uncovered) {
		t.Errorf("operations:\n got added %v missing %v uncovered %v\nwant added %v missing %v uncovered %v", d.Added, d.Missing, d.Uncovered, want.Added, want.Missing, want.Uncovered)
	}
	if !reflect.DeepEqual(d.Changes, want.Changes) {
		t.Errorf("changes:\n got %+v\nwant %+v", d.Changes, want.Changes)
	}
	md, html := d.Markdown(), string(d.HTML())
	for _, s := range []string{"getStages", "response 400", "gitRemoteURI, projectName", "triggerEvaluation", "evaluation_model.yaml:8"} {
		if !strings.Contains(md, s) || !strings.Contains(html, s) {
			t.Errorf("the rendered drift lacks %q:\n%s\n%s", s, md, html)
		}
	}
}

const oneOp = `swagger: "2.0"
info: {title: t, version: "1"}
basePath: /v1
produces: [application/json, text/plain]
securityDefinitions:
  key: {type: %s, in: header, name: x-token}
security: [{key: []}]
paths:
  /x:
    get:
      operationId: getX
      responses:
        "200": {description: ok, schema: {type: string}}
        "404": {description: none, schema: {type: string}}
`

func convertRaw(t *testing.T, doc string) (*openapi2.T, []string) {
	t.Helper()
	root, err := parseYAML("doc.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonValue(root)
	if err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var d2 openapi2.T
	if err := d2.UnmarshalJSON(j); err != nil {
		t.Fatal(err)
	}
	d3, err := openapi2conv.ToV3(&d2)
	if err != nil {
		t.Fatal(err)
	}
	return &d2, CheckConversion(&d2, d3)
}

func TestConversionCheckFailsClosed(t *testing.T) {
	// openapi2conv gives an operation's responses the operation's own produces only: the
	// document's text/plain is lost, and the check says so ...
	_, losses := convertRaw(t, strings.Replace(oneOp, "%s", "apiKey", 1))
	if want := "GET /x: response 200: media type text/plain lost"; !contains(losses, want) {
		t.Errorf("losses %q, want %q", losses, want)
	}
	// ... so the loader gives operations the document's produces before converting.
	dir := t.TempDir()
	write(t, dir, strings.Replace(oneOp, "%s", "apiKey", 1))
	if _, err := Load(context.Background(), Source{Kind: Dir, Location: dir}, "", nil); err != nil {
		t.Errorf("a document with the document's produces: %v", err)
	}
	// A security scheme of a type Swagger 2.0 does not know does not survive: the load fails.
	write(t, dir, strings.Replace(oneOp, "%s", "bearer", 1))
	_, err := Load(context.Background(), Source{Kind: Dir, Location: dir}, "", nil)
	if err == nil || !strings.Contains(err.Error(), `security scheme "key" changed: bearer became (no type)`) {
		t.Errorf("a lost security scheme: %v", err)
	}
	// What else a conversion could lose: a scheme, a response, a required field.
	d2, _ := convertRaw(t, strings.Replace(oneOp, "%s", "apiKey", 1))
	for name, lose := range map[string]func(d3 *openapiT){
		`security scheme "key" (apiKey) lost`: func(d3 *openapiT) { delete(d3.Components.SecuritySchemes, "key") },
		"GET /x: response 404 lost":           func(d3 *openapiT) { d3.Paths.Value("/x").Get.Responses.Delete("404") },
	} {
		d3, err := openapi2conv.ToV3(d2)
		if err != nil {
			t.Fatal(err)
		}
		lose(d3)
		if losses := CheckConversion(d2, d3); !contains(losses, name) {
			t.Errorf("losses %q, want %q", losses, name)
		}
	}
}

func write(t *testing.T, dir, doc string) {
	t.Helper()
	for _, s := range Services {
		if err := writeFile(filepath.Join(dir, s.Name+".yaml"), doc); err != nil {
			t.Fatal(err)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// startGateway serves the reference gateway on loopback.
func startGateway(t testing.TB) (string, string) {
	t.Helper()
	const token = "specsource-test-token"
	g, err := gateway.New(gateway.Config{HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), Token: token, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(srv.Close)
	return srv.URL, token
}

func TestServedByTheReferenceGateway(t *testing.T) {
	base, token := startGateway(t)
	served, err := Load(context.Background(), Source{Kind: Served}, base, http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	bundled, err := Load(context.Background(), Source{Kind: Bundled}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	d := Compare(bundled, served, func(string) bool { return true })
	if !d.None() || len(d.Uncovered) != 0 {
		t.Errorf("drift between the bundled documents and those the gateway serves:\n%s", d.Markdown())
	}
	for i, r := range served.Refs() {
		if r.SHA256 != bundled.Docs[i].SHA256 {
			t.Errorf("%s: served digest %s, bundled %s", r.Name, r.SHA256, bundled.Docs[i].SHA256)
		}
	}

	// A recorded exchange is validated against the served documents too, naming them.
	op, err := specs.Get(specs.ConfigurationService)
	if err != nil {
		t.Fatal(err)
	}
	var getProjects *specs.Operation
	for _, o := range op.Operations() {
		if o.ID() == "getProjects" {
			getProjects = &o
		}
	}
	c := &contract.Client{HTTP: http.DefaultClient, Base: base}
	ex, err := c.Do(context.Background(), contract.Request{Op: getProjects, Header: http.Header{"X-Token": {token}}})
	if err != nil {
		t.Fatal(err)
	}
	v := NewValidator(served)
	got := v.Validate(ex)
	if got == nil || got.Undocumented || len(got.Problems) != 0 || got.SHA256 != served.Get(specs.ConfigurationService).SHA256 || got.Operation != "getProjects" {
		t.Fatalf("verdict %+v for %s", got, ex)
	}
	// and a broken answer fails by them.
	ex.RespBody = []byte(`{"projects": "not a list"}`)
	if got := v.Validate(ex); got == nil || len(got.Problems) == 0 {
		t.Errorf("a broken answer passes by the served documents: %+v", got)
	}
}

// A URL source follows the documents' relative $refs over HTTP, and reports invalid parts by URL.
func TestURLFollowsRelativeRefs(t *testing.T) {
	srv := httptest.NewServer(http.FileServer(http.Dir(drifted)))
	defer srv.Close()
	src, err := Parse(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	set, err := Load(context.Background(), src, "", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	api := set.Get(specs.APIService)
	var locs []string
	for _, f := range api.Files {
		locs = append(locs, strings.TrimPrefix(f.Location, srv.URL))
	}
	want := []string{"/api-service.yaml", "/models/event_model.yaml", "/models/eventContext_model.yaml", "/models/evaluation_model.yaml"}
	if !reflect.DeepEqual(locs, want) {
		t.Errorf("files %v, want %v", locs, want)
	}
	if len(api.Findings) != 2 || api.Findings[0].File != srv.URL+"/models/evaluation_model.yaml" || api.Findings[0].Line != 8 {
		t.Errorf("findings %v", api.Findings)
	}
	// The same documents from a directory and from a URL are the same documents.
	if dir := loadDir(t, drifted); dir.Get(specs.ConfigurationService).SHA256 != set.Get(specs.ConfigurationService).SHA256 {
		t.Errorf("configuration-service: digest by directory and by URL differ")
	}
}

const badParts = `swagger: "2.0"
info: {title: t, version: "1"}
paths:
  /x:
    get:
      responses:
        "200":
          description: ok
          schema:
            type: object
            additionalProperties: false
            properties:
              id: string
              n: {type: integer}
`

func TestInvalidPartsRule(t *testing.T) {
	// A property that is not a schema is reported and accepts any value; nothing else changes
	// (and "n" stays a property name: documents are read as YAML 1.2).
	dir := t.TempDir()
	write(t, dir, badParts)
	set, err := Load(context.Background(), Source{Kind: Dir, Location: dir}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	d := set.Get(specs.MongoDBDatastore)
	want := []Finding{{File: filepath.Join(dir, "mongodb-datastore.yaml"), Line: 13, Reason: `property "id" is not a schema but the scalar "string" (taken as any value)`}}
	if !reflect.DeepEqual(d.Findings, want) {
		t.Errorf("findings %v, want %v", d.Findings, want)
	}
	s := d.Spec.Paths.Value("/x").Get.Responses.Value("200").Value.Content["application/json"].Schema.Value
	if s.Properties["id"] == nil || s.Properties["id"].Value.Type != nil || s.Properties["n"].Value.Type.Slice()[0] != "integer" {
		t.Errorf("properties after the rule: %+v", s.Properties)
	}
	// A $ref that resolves to nothing fails the document, naming file and line.
	write(t, dir, strings.Replace(badParts, "n: {type: integer}", `n: {$ref: "models.yaml#/definitions/n"}`, 1))
	_, err = Load(context.Background(), Source{Kind: Dir, Location: dir}, "", nil)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "api-service.yaml")+":14: $ref") {
		t.Errorf("an unresolvable $ref: %v", err)
	}
}

// Only some differences change a verdict: a security requirement does, an operationId does not.
func TestWhichChangesChangeAVerdict(t *testing.T) {
	a, b := loadDir(t, baseline), loadDir(t, baseline)
	op := b.Operations()["POST /api/v1/auth"].Operation
	op.OperationID = "checkToken"
	op.Security = &openapi3.SecurityRequirements{}
	got := map[string]bool{}
	for _, c := range Compare(a, b, func(string) bool { return true }).Changes {
		got[c.Aspect] = c.ChangesVerdict
	}
	if want := map[string]bool{AspectOperationID: false, AspectSecurity: true}; !reflect.DeepEqual(got, want) {
		t.Errorf("changes %v, want %v", got, want)
	}
}

// BenchmarkLoadServed times loading the reference gateway's documents (three fetches, parse,
// validate) and BenchmarkValidate one exchange against them.
func BenchmarkLoadServed(b *testing.B) {
	base, _ := startGateway(b)
	for b.Loop() {
		if _, err := Load(context.Background(), Source{Kind: Served}, base, http.DefaultClient); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	base, token := startGateway(b)
	served, err := Load(context.Background(), Source{Kind: Served}, base, http.DefaultClient)
	if err != nil {
		b.Fatal(err)
	}
	cs, _ := specs.Get(specs.ConfigurationService)
	var op *specs.Operation
	for _, o := range cs.Operations() {
		if o.ID() == "getProjects" {
			op = &o
		}
	}
	ex, err := (&contract.Client{HTTP: http.DefaultClient, Base: base}).Do(context.Background(), contract.Request{Op: op, Header: http.Header{"X-Token": {token}}})
	if err != nil {
		b.Fatal(err)
	}
	v := NewValidator(served)
	for b.Loop() {
		if vd := v.Validate(ex); len(vd.Problems) != 0 {
			b.Fatal(vd.Problems)
		}
	}
}
