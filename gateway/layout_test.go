package gateway_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keptn-conformance/keptn-conformance/gateway"
)

// In Keptn 0.6's layout the gateway serves api-service at /v1, configuration-service at
// /configuration-service and the Swagger UI at /swagger-ui/, over HTTP and HTTPS, with the same
// authentication, limits and headers as at 0.7's paths; 0.7's paths, the datastore and nginx's
// own routes are not there.
func TestLayout06Routes(t *testing.T) {
	g := start(t, gateway.Config{Layout: "0.6"})
	for _, base := range []string{g.http, g.https} {
		api := func(method, path string, body any) resp { return g.do(method, base+path, body, "x-token: "+g.token) }
		expect(t, api("POST", "/v1/auth", nil), 200)
		expect(t, api("GET", "/v1/auth", nil), 200) // any method forwarded as POST, as at /api/v1/auth
		p := api("GET", "/v1/metadata", nil)
		expect(t, p, 200)
		if p.header.Get("Cache-Control") != "no-store" || p.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s/v1/metadata: headers %v, want Cache-Control: no-store and nosniff", base, p.header)
		}
		if strings.HasPrefix(base, "https") && p.header.Get("Strict-Transport-Security") == "" {
			t.Errorf("%s/v1/metadata without HSTS", base)
		}
		expect(t, api("GET", "/configuration-service/v1/project", nil), 200)
		// Without a token: api-service refuses, and the auth subrequest guards configuration-service.
		for _, path := range []string{"/v1/metadata", "/configuration-service/v1/project", "/api/control_planes"} {
			if p := g.do("GET", base+path, nil); p.status != 401 || p.json(t)["message"] == nil {
				t.Errorf("GET %s%s without a token: %d %s, want 401 with the error model", base, path, p.status, p.body)
			}
		}
		// Absent: 0.7's paths, the datastore, nginx's own routes; a 404 in the error model, with the
		// security headers, whatever the credentials.
		for _, path := range []string{"/api/v1/metadata", "/api/v1/auth", "/api/configuration-service/v1/project", "/api/mongodb-datastore/event",
			"/mongodb-datastore/event", "/mongodb-datastore/swagger-ui/swagger.yaml", "/api/swagger-ui/", "/api/websocket", "/api", "/", "/nginx-health", "/bridge/"} {
			p := api("GET", path, nil)
			if p.status != 404 || p.json(t)["message"] == nil || p.header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("GET %s%s: %d %s, want 404 with the error model and nosniff", base, path, p.status, p.body)
			}
		}
	}

	// The open routes: the Swagger UI links the 0.6 paths, and the specs are served without a token.
	p := g.do("GET", g.http+"/swagger-ui/", nil)
	expect(t, p, 200)
	if body := string(p.body); !strings.Contains(body, `"/swagger-ui/swagger.yaml"`) || strings.Contains(body, "/api/swagger-ui") ||
		strings.Contains(body, "mongodb-datastore") {
		t.Errorf("the Swagger UI page does not link the 0.6 paths alone:\n%s", body)
	}
	if p := g.do("GET", g.http+"/swagger-ui/swagger-ui-bundle.js", nil); p.status != 200 || len(p.body) < 100000 {
		t.Errorf("/swagger-ui/swagger-ui-bundle.js: status %d, %d bytes", p.status, len(p.body))
	}
	for path, want := range map[string]string{
		"/swagger-ui/swagger.yaml":                       "title: Keptn api-service",
		"/swagger-ui/session.yaml":                       "Session login",
		"/configuration-service/swagger-ui/swagger.yaml": "configuration-service",
	} {
		p := g.do("GET", g.http+path, nil)
		if p.status != 200 || !strings.Contains(string(p.body), want) || p.header.Get("Cache-Control") == "no-store" {
			t.Errorf("GET %s: %d, body with %q: %v, Cache-Control %q", path, p.status, want, strings.Contains(string(p.body), want), p.header.Get("Cache-Control"))
		}
	}

	// A project's life at the 0.6 paths; a resourceURI's %2F stays one segment.
	expect(t, g.api("POST", "/v1/project", map[string]any{"name": "sockshop", "shipyard": b64(shipyard)}), 200)
	expect(t, g.api("POST", "/v1/project/sockshop/service", map[string]any{"serviceName": "carts", "helmChart": b64("chart")}), 200)
	p = g.api("GET", "/configuration-service/v1/project/sockshop/stage/dev/service/carts/resource/helm%2Fcarts.tgz", nil)
	expect(t, p, 200)
	if p.json(t)["resourceContent"] != b64("chart") {
		t.Errorf("the helm chart at the 0.6 path: %s", p.body)
	}
	// The getEvent of api-service reads the datastore inside the gateway, without a route to it.
	ec := g.api("POST", "/v1/event", map[string]any{"type": "sh.keptn.event.kc.triggered", "source": "layout-test", "data": map[string]any{"project": "sockshop"}}).json(t)
	eventually(t, func() bool {
		return g.api("GET", "/v1/event?keptnContext="+ec["keptnContext"].(string)+"&type=sh.keptn.event.kc.triggered", nil).status == 200
	})
	expect(t, g.api("DELETE", "/v1/project/sockshop", nil), 200)
	expect(t, g.api("GET", "/configuration-service/v1/project/sockshop", nil), 404)

	// The log websocket at /websocket.
	h := http.Header{"Token": {ec["token"].(string)}, "Keptn-Ws-Channel-Id": {ec["keptnContext"].(string)}}
	conn, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(g.http, "http")+"/websocket", h)
	if err != nil {
		t.Fatalf("the log websocket at /websocket: %v", err)
	}
	conn.Close()

	// The session API is Konnect's, at its own paths in either layout; logins keep their body limit.
	if p := g.do("POST", g.http+"/api/auth", map[string]string{"username": "nobody", "password": "wrong"}); p.status != 401 {
		t.Errorf("POST /api/auth: %d, want 401", p.status)
	}
	if p := g.do("POST", g.http+"/v1/auth", strings.Repeat("x", gateway.LoginBodyLimit+1), "x-token: "+g.token); p.status != 413 {
		t.Errorf("POST /v1/auth with a body over the login limit: %d, want 413", p.status)
	}
}

// 0.7, the default, serves nothing at 0.6's paths.
func TestLayout07ServesNo06Paths(t *testing.T) {
	g := start(t, gateway.Config{})
	for _, path := range []string{"/v1/metadata", "/configuration-service/v1/project", "/swagger-ui/swagger.yaml", "/websocket"} {
		if p := g.api("GET", path, nil); p.status != 404 {
			t.Errorf("GET %s on 0.7: %d, want 404", path, p.status)
		}
	}
}

// The split topology's gateway in 0.6 has no datastore to route to, so it needs no --datastore-url.
func TestLayout06GatewayRoleNeedsNoDatastore(t *testing.T) {
	cfg := gateway.Config{Role: gateway.RoleGateway, Layout: "0.6", HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(),
		APIServiceURL: "http://" + freePort(t), ConfigurationServiceURL: "http://" + freePort(t), UpstreamPatience: time.Second}
	g, err := gateway.New(cfg)
	if err != nil {
		t.Fatalf("role gateway, layout 0.6, no datastore: %v", err)
	}
	g.Close()
	cfg.Layout = ""
	if _, err := gateway.New(cfg); err == nil || !strings.Contains(err.Error(), "--datastore-url") {
		t.Errorf("role gateway, layout 0.7, no datastore: %v, want it to need --datastore-url", err)
	}
}
