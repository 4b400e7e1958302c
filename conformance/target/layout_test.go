package target

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/specsource"
)

// The target's client sends every path the suite writes (0.7's) where the target's layout serves
// it, and refuses a route the layout does not have with the reason, sending nothing.
func TestClientMapsPathsByLayout(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.EscapedPath()+"?"+r.URL.RawQuery)
		mu.Unlock()
	}))
	defer srv.Close()
	for _, c := range []struct {
		layout string
		want   []string
	}{
		{"0.7", []string{"GET /api/v1/metadata?", "GET /api/configuration-service/v1/project/p/resource/a%2Fb?pageSize=1", "GET /api/mongodb-datastore/event?"}},
		{"0.6", []string{"GET /v1/metadata?", "GET /configuration-service/v1/project/p/resource/a%2Fb?pageSize=1"}},
	} {
		seen = nil
		tgt, err := Connect(&Description{Kind: KindExternal, HTTP: srv.URL, Token: "t", Layout: c.layout})
		if err != nil {
			t.Fatal(err)
		}
		cl := tgt.Client(tgt.Base())
		ctx := context.Background()
		for _, r := range []contract.Request{
			{Method: "GET", Path: "/api/v1/metadata"},
			{Method: "GET", Path: "/api/configuration-service/v1/project/p/resource/a%2Fb", RawQuery: "pageSize=1"},
		} {
			if ex, err := cl.Do(ctx, r); err != nil || ex.Err != nil {
				t.Fatalf("layout %s: %s: %v %v", c.layout, r.Path, err, ex.Err)
			}
		}
		_, err = cl.Do(ctx, contract.Request{Method: "GET", Path: "/api/mongodb-datastore/event"})
		switch {
		case c.layout == "0.6" && specsource.Absent(err) != specsource.NoDatastore06:
			t.Errorf("layout 0.6: the datastore: %v, want it absent with the reason", err)
		case c.layout == "0.7" && err != nil:
			t.Errorf("layout 0.7: the datastore: %v", err)
		}
		if strings.Join(seen, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("layout %s: the target saw\n%s\nwant\n%s", c.layout, strings.Join(seen, "\n"), strings.Join(c.want, "\n"))
		}
	}
}

// A wrong layout, or 0.6 on kind (whose manifests install 0.7), is one error before anything starts.
func TestLayoutMisconfiguration(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Target: KindEmbedded, Layout: "0.5"}, `--layout "0.5" is not a layout the suite knows (0.7, 0.6)`},
		{Config{Target: KindKind, Layout: "0.6"}, "the kind target installs Keptn 0.7's layout"},
	} {
		if _, _, err := Setup(context.Background(), c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.cfg, err, c.want)
		}
	}
}

// A 0.6 run against a gateway serving 0.7's paths stops at once, saying the layout may be wrong.
func TestPreflightNamesTheLayout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			http.NotFound(w, r)
			return
		}
		keptnStandIn().ServeHTTP(w, r)
	}))
	defer srv.Close()
	_, _, err := Setup(context.Background(), Config{Target: KindExternal, Endpoint: srv.URL, Token: "t", Layout: "0.6"})
	if err == nil || !strings.Contains(err.Error(), "does not serve the Keptn API in layout 0.6 (POST /v1/auth answered 404)") {
		t.Errorf("err = %v, want it to name the layout and the request", err)
	}
}
