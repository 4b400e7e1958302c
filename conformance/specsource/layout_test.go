package specsource

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/keptn-conformance/keptn-conformance/gateway"
	"github.com/keptn-conformance/keptn-conformance/specs"
)

func TestLayoutPaths(t *testing.T) {
	for _, c := range []struct {
		layout     Layout
		path, want string
		absent     string
	}{
		{Layout07, "/api/v1/metadata", "/api/v1/metadata", ""},
		{Layout07, "/api/mongodb-datastore/event", "/api/mongodb-datastore/event", ""},
		{Layout07, "/nginx-health", "/nginx-health", ""},
		{Layout06, "/api/v1/auth", "/v1/auth", ""},
		{Layout06, "/api/v1/project/kc-a/service", "/v1/project/kc-a/service", ""},
		{Layout06, "/api/configuration-service/v1/project/", "/configuration-service/v1/project/", ""},
		// An escaped path stays escaped: a resourceURI's %2F is one segment.
		{Layout06, "/api/configuration-service/v1/project/p/resource/helm%2Fchart.tgz", "/configuration-service/v1/project/p/resource/helm%2Fchart.tgz", ""},
		{Layout06, "/api/swagger-ui/", "/swagger-ui/", ""},
		{Layout06, "/api/configuration-service/swagger-ui/swagger.yaml", "/configuration-service/swagger-ui/swagger.yaml", ""},
		{Layout06, "/api/websocket", "/websocket", ""},
		{Layout06, "/api/v2/project", "/v2/project", ""},
		{Layout06, "/api/kc-unknown", "/kc-unknown", ""},
		{Layout06, "/api/", "/", ""},
		{Layout06, "/kc-unknown", "/kc-unknown", ""},
		// The session API is Konnect's, not Keptn's: at its own paths in either layout.
		{Layout06, "/api/auth", "/api/auth", ""},
		{Layout06, "/api/control_planes", "/api/control_planes", ""},
		{Layout06, "/api/mongodb-datastore", "", NoDatastore06},
		{Layout06, "/api/mongodb-datastore/event/type/{eventType}", "", NoDatastore06},
		{Layout06, "/api/mongodb-datastore/swagger-ui/swagger.yaml", "", NoDatastore06},
		{Layout06, "/api", "", NoNginx06},
		{Layout06, "/", "", NoNginx06},
		{Layout06, "/nginx-health", "", NoNginx06},
	} {
		got, err := c.layout.Path(c.path)
		if why := Absent(err); why != c.absent || got != c.want || (err != nil && c.absent == "") {
			t.Errorf("layout %s: %s → %q, %v; want %q, absent %q", c.layout.Name, c.path, got, err, c.want, c.absent)
		}
	}
}

// Every operation of the bundled specs has its 0.6 route, without /api, but the datastore's; the
// session's stay where they are.
func TestLayout06OfEveryOperation(t *testing.T) {
	ops, err := specs.AllOperations()
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range ops {
		got, err := Layout06.Path(op.FullPath())
		switch op.Doc.Name {
		case specs.MongoDBDatastore:
			if Absent(err) != NoDatastore06 {
				t.Errorf("%s (%s): %q, %v; want it absent", op.ID(), op.FullPath(), got, err)
			}
		case specs.Session:
			if err != nil || got != op.FullPath() {
				t.Errorf("%s (%s): %q, %v; want it as it is", op.ID(), op.FullPath(), got, err)
			}
		default:
			if err != nil || got != strings.TrimPrefix(op.FullPath(), "/api") {
				t.Errorf("%s (%s): %q, %v; want it without /api", op.ID(), op.FullPath(), got, err)
			}
		}
	}
}

func TestParseLayout(t *testing.T) {
	for v, want := range map[string]string{"": "0.7", "0.7": "0.7", "0.6": "0.6"} {
		if l, err := ParseLayout(v); err != nil || l.Name != want {
			t.Errorf("ParseLayout(%q) = %q, %v; want %s", v, l.Name, err, want)
		}
	}
	if _, err := ParseLayout("0.5"); err == nil || !strings.Contains(err.Error(), `--layout "0.5"`) || !strings.Contains(err.Error(), "0.7, 0.6") {
		t.Errorf("ParseLayout(0.5): %v, want one error naming the value and the layouts", err)
	}
}

// A 0.6 installation's own documents are read where 0.6 serves them, the datastore's not at all,
// and describe what the bundled ones of 0.6's services do: no drift.
func TestServedInLayout06(t *testing.T) {
	g, err := gateway.New(gateway.Config{HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), Token: "specsource-test-token",
		Layout: "0.6", Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(srv.Close)
	ctx := context.Background()
	served, err := Load(ctx, Source{Kind: Served, Layout: Layout06}, srv.URL, http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range served.Docs {
		names = append(names, d.Name+" from "+d.Files[0].Location)
	}
	want := []string{specs.APIService + " from " + srv.URL + "/swagger-ui/swagger.yaml",
		specs.ConfigurationService + " from " + srv.URL + "/configuration-service/swagger-ui/swagger.yaml"}
	if strings.Join(names, "; ") != strings.Join(want, "; ") {
		t.Errorf("served documents: %q, want %q", names, want)
	}
	bundled, err := Load(ctx, Source{Kind: Bundled, Layout: Layout06}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := Compare(bundled, served, func(string) bool { return true }); !d.None() {
		t.Errorf("drift between the bundled documents of 0.6's services and those served:\n%s", d.Markdown())
	}
}
