package gateway_test

import (
	"strings"
	"testing"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway"
)

// The split topology: each role in its own server, talking HTTP as upstream Keptn's services do.
func TestSplitTopology(t *testing.T) {
	cs := start(t, gateway.Config{Role: gateway.RoleConfigurationService})
	ds := start(t, gateway.Config{Role: gateway.RoleDatastore})
	api := start(t, gateway.Config{Role: gateway.RoleAPIService, ConfigurationServiceURL: cs.http, DatastoreURL: ds.http})
	gw := start(t, gateway.Config{Role: gateway.RoleGateway, APIServiceURL: api.http, ConfigurationServiceURL: cs.http, DatastoreURL: ds.http})
	gw.token = api.token

	expect(t, gw.do("GET", gw.http+"/api/configuration-service/v1/project", nil), 401)
	expect(t, gw.do("GET", gw.http+"/api/mongodb-datastore/event", nil), 401)
	expect(t, gw.do("GET", gw.http+"/api/v1/metadata", nil), 401)
	expect(t, gw.api("POST", "/api/v1/project", map[string]any{"name": "split", "shipyard": b64(shipyard)}), 200)
	p := gw.api("POST", "/api/v1/project/split/service", map[string]any{"serviceName": "carts"})
	expect(t, p, 200)
	// The CLI's log websocket crosses the gateway to api-service.
	if msgs := logStream(t, gw, p.json(t)); len(msgs) != 1 {
		t.Errorf("log stream through the split topology: %q", msgs)
	}
	p = gw.api("GET", "/api/configuration-service/v1/project/split/stage/dev/service/carts", nil)
	expect(t, p, 200)
	expect(t, gw.api("GET", "/api/configuration-service/v1/project/split/resource/shipyard.yaml", nil), 200)
	p = gw.api("GET", "/api/mongodb-datastore/event?project=split", nil)
	expect(t, p, 200)
	if n := len(p.json(t)["events"].([]any)); n != 2 {
		t.Errorf("%d events, want 2", n)
	}
	// The X-Forwarded-Proto the gateway sets reaches api-service over HTTPS.
	p = gw.do("GET", gw.https+"/api/v1/metadata", nil, "x-token: "+gw.token)
	expect(t, p, 200)
	// The internal roles serve no HTTPS and need their peers.
	if _, err := gateway.New(gateway.Config{Role: gateway.RoleAPIService, DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0"}); err == nil || !strings.Contains(err.Error(), "--configuration-service-url") {
		t.Errorf("api-service without peers: %v", err)
	}
	if _, err := gateway.New(gateway.Config{Role: "nginx", DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0"}); err == nil || !strings.Contains(err.Error(), "unknown role") {
		t.Errorf("unknown role: %v", err)
	}
}

func TestUnreachableUpstreamIsABadGateway(t *testing.T) {
	dead := "http://" + freePort(t)
	gw := start(t, gateway.Config{Role: gateway.RoleGateway, APIServiceURL: dead, ConfigurationServiceURL: dead, DatastoreURL: dead,
		UpstreamPatience: 300 * time.Millisecond})
	p := gw.do("GET", gw.http+"/api/v1/metadata", nil, "x-token: whatever-token")
	expect(t, p, 502)
	p = gw.do("GET", gw.http+"/api/configuration-service/v1/project", nil, "x-token: whatever-token")
	expect(t, p, 502)
	if p.json(t)["message"] == nil {
		t.Errorf("502 without the JSON error model: %s", p.body)
	}
}

// A role that restarts (a pod replaced) costs no failed request: the gateway retries connections
// the role refuses until it is back, and a replacement waits for the store its predecessor holds.
func TestSplitTopologyRidesOutARestart(t *testing.T) {
	cs := start(t, gateway.Config{Role: gateway.RoleConfigurationService})
	ds := start(t, gateway.Config{Role: gateway.RoleDatastore})
	apiCfg := gateway.Config{Role: gateway.RoleAPIService, HTTPAddr: freePort(t), ConfigurationServiceURL: cs.http, DatastoreURL: ds.http}
	api := start(t, apiCfg)
	gw := start(t, gateway.Config{Role: gateway.RoleGateway, APIServiceURL: api.http, ConfigurationServiceURL: cs.http, DatastoreURL: ds.http})
	gw.token = api.token
	expect(t, gw.api("POST", "/api/v1/project", map[string]any{"name": "restart", "shipyard": b64(shipyard)}), 200)

	api.shutdown()
	answers := make(chan resp, 2)
	go func() { answers <- gw.api("GET", "/api/configuration-service/v1/project/restart", nil) }()
	go func() {
		answers <- gw.api("POST", "/api/v1/project/restart/service", map[string]any{"serviceName": "carts"})
	}()
	// The role stays down for a moment while those requests wait, then comes back on its address
	// and data directory.
	time.Sleep(300 * time.Millisecond)
	apiCfg.DataDir = api.cfg.DataDir
	start(t, apiCfg)
	for i := 0; i < 2; i++ {
		if p := <-answers; p.status != 200 {
			t.Errorf("a request during the restart got %d: %s", p.status, p.body)
		}
	}
}

// After the stop signal a gateway with a shutdown delay keeps answering, closing each connection,
// so that a load balancer can stop sending to it first.
func TestShutdownDelayKeepsServing(t *testing.T) {
	g := start(t, gateway.Config{ShutdownDelay: 2 * time.Second})
	g.stop()
	eventually(t, func() bool { return strings.Contains(g.logs.String(), "still serving for the shutdown delay") })
	p := g.do("GET", g.http+"/nginx-health", nil)
	expect(t, p, 200)
	if !p.closed {
		t.Error("the answer did not close the connection (Connection: close)")
	}
}
