package gateway_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway"
)

func TestOpenRoutes(t *testing.T) {
	g := start(t, gateway.Config{})
	cases := []struct {
		path, location string
		status         int
		contentType    string
		contains       string
	}{
		{"/nginx-health", "", 200, "text/plain", "OK"},
		{"/", "/bridge/", 301, "", ""},
		{"/api", "/api/swagger-ui/", 301, "", ""},
		{"/api/swagger-ui/", "", 200, "text/html", "swagger-ui"},
		{"/api/swagger-ui/swagger.yaml", "", 200, "application/yaml", "title: Keptn api-service"},
		{"/api/swagger-ui/session.yaml", "", 200, "application/yaml", "Session login"},
		{"/api/configuration-service/swagger-ui/swagger.yaml", "", 200, "application/yaml", "configuration-service"},
		{"/api/mongodb-datastore/swagger-ui/swagger.yaml", "", 200, "application/yaml", "mongodb-datastore"},
		{"/bridge/", "", 200, "text/html", "Keptn"},
	}
	for _, c := range cases {
		p := g.do("GET", g.http+c.path, nil)
		if p.status != c.status {
			t.Errorf("GET %s: status %d, want %d", c.path, p.status, c.status)
		}
		if loc := p.header.Get("Location"); loc != c.location {
			t.Errorf("GET %s: Location %q, want %q", c.path, loc, c.location)
		}
		if !strings.HasPrefix(p.header.Get("Content-Type"), c.contentType) {
			t.Errorf("GET %s: Content-Type %q, want %q", c.path, p.header.Get("Content-Type"), c.contentType)
		}
		if !strings.Contains(string(p.body), c.contains) {
			t.Errorf("GET %s: body lacks %q", c.path, c.contains)
		}
	}
	// The Swagger UI's assets come from the Go module, not from the network.
	if p := g.do("GET", g.http+"/api/swagger-ui/swagger-ui-bundle.js", nil); p.status != 200 || len(p.body) < 100000 {
		t.Errorf("swagger-ui-bundle.js: status %d, %d bytes", p.status, len(p.body))
	}
	p := g.do("GET", g.http+"/api/nothing-here", nil)
	expect(t, p, 404)
	if p.json(t)["message"] == nil {
		t.Errorf("404 without the JSON error model: %s", p.body)
	}
}

func TestEveryProtectedPrefixNeedsTheToken(t *testing.T) {
	g := start(t, gateway.Config{})
	paths := []string{
		"/api/v1/auth", "/api/v1/metadata", "/api/v1/nothing", "/api/configuration-service/v1/project",
		"/api/configuration-service/v1/nothing", "/api/mongodb-datastore/event", "/api/mongodb-datastore/nothing",
		"/api/control_planes",
	}
	for _, path := range paths {
		for _, variant := range []struct {
			name    string
			url     string
			headers []string
		}{
			{"no token", g.http + path, nil},
			{"wrong token", g.http + path, []string{"x-token: wrong-token-value"}},
			{"token in the query", g.http + path + "?x-token=" + url.QueryEscape(g.token) + "&token=" + url.QueryEscape(g.token), nil},
			{"bearer", g.http + path, []string{"Authorization: Bearer " + g.token}},
			{"token with spaces", g.http + path, []string{"x-token:  " + g.token + " x"}},
			{"upper-cased token", g.http + path, []string{"x-token: " + strings.ToUpper(g.token)}},
		} {
			if variant.name == "upper-cased token" && strings.ToUpper(g.token) == g.token {
				continue
			}
			p := g.do("GET", variant.url, nil, variant.headers...)
			if p.status != 401 {
				t.Errorf("GET %s with %s: status %d, want 401", path, variant.name, p.status)
				continue
			}
			if !strings.HasPrefix(p.header.Get("Content-Type"), "application/json") || p.json(t)["message"] == nil {
				t.Errorf("GET %s with %s: 401 without the JSON error model", path, variant.name)
			}
		}
	}
	// Authentication comes first: a malformed body or an unknown method still gets 401.
	if p := g.do("POST", g.http+"/api/v1/project", "{not json"); p.status != 401 {
		t.Errorf("malformed body without token: %d", p.status)
	}
	if p := g.do("PATCH", g.http+"/api/configuration-service/v1/project", nil); p.status != 401 {
		t.Errorf("PATCH without token: %d", p.status)
	}
	// The right token works on each service.
	expect(t, g.api("POST", "/api/v1/auth", nil), 200)
	expect(t, g.api("GET", "/api/v1/auth", nil), 200) // any method is forwarded as POST
	expect(t, g.api("GET", "/api/configuration-service/v1/project", nil), 200)
	expect(t, g.api("GET", "/api/mongodb-datastore/event", nil), 200)
	// A documented path with an undocumented method: 405 with Allow, in JSON.
	p := g.api("PATCH", "/api/configuration-service/v1/project", nil)
	expect(t, p, 405)
	if allow := p.header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
		t.Errorf("Allow = %q", allow)
	}
}

func TestProjectAndServiceLifecycle(t *testing.T) {
	g := start(t, gateway.Config{})
	p := g.api("POST", "/api/v1/project", map[string]any{"name": "sockshop", "shipyard": b64(shipyard)})
	expect(t, p, 200)
	ctx := p.json(t)["keptnContext"].(string)
	if p.json(t)["token"] == "" {
		t.Error("no websocket token")
	}
	p = g.api("GET", "/api/configuration-service/v1/project/sockshop", nil)
	expect(t, p, 200)
	stages := p.json(t)["stages"].([]any)
	if len(stages) != 3 || stages[0].(map[string]any)["stageName"] != "dev" || stages[2].(map[string]any)["stageName"] != "production" {
		t.Fatalf("stages: %v", stages)
	}
	if sy := p.json(t)["shipyard"]; sy != shipyard {
		t.Errorf("shipyard = %q", sy)
	}
	expect(t, g.api("POST", "/api/v1/project", map[string]any{"name": "sockshop", "shipyard": b64(shipyard)}), 409)

	// The project's creation was recorded as an event.
	p = g.api("GET", "/api/mongodb-datastore/event?keptnContext="+ctx, nil)
	expect(t, p, 200)
	events := p.json(t)["events"].([]any)
	if len(events) != 1 || events[0].(map[string]any)["type"] != "sh.keptn.internal.event.project.create" {
		t.Fatalf("events: %s", p.body)
	}

	expect(t, g.api("POST", "/api/v1/project/sockshop/service", map[string]any{"serviceName": "carts", "helmChart": b64("chart")}), 200)
	for _, st := range []string{"dev", "staging", "production"} {
		expect(t, g.api("GET", "/api/configuration-service/v1/project/sockshop/stage/"+st+"/service/carts", nil), 200)
		p = g.api("GET", "/api/configuration-service/v1/project/sockshop/stage/"+st+"/service/carts/resource/helm%2Fcarts.tgz", nil)
		expect(t, p, 200)
		if p.json(t)["resourceContent"] != b64("chart") {
			t.Errorf("helm chart in %s: %s", st, p.body)
		}
	}
	expect(t, g.api("POST", "/api/v1/project/sockshop/service", map[string]any{"serviceName": "carts"}), 409)
	expect(t, g.api("POST", "/api/v1/project/sockshop/stage/dev/service/carts/evaluation", map[string]any{"timeframe": "5m", "labels": map[string]string{"buildId": "1"}}), 200)
	expect(t, g.api("POST", "/api/v1/project/sockshop/stage/nope/service/carts/evaluation", map[string]any{}), 404)

	expect(t, g.api("DELETE", "/api/v1/project/sockshop/service/carts", nil), 200)
	expect(t, g.api("GET", "/api/configuration-service/v1/project/sockshop/stage/dev/service/carts", nil), 404)
	p = g.api("GET", "/api/mongodb-datastore/event?project=sockshop", nil)
	types := map[string]bool{}
	for _, e := range p.json(t)["events"].([]any) {
		types[e.(map[string]any)["type"].(string)] = true
	}
	for _, want := range []string{"sh.keptn.internal.event.project.create", "sh.keptn.internal.event.service.create",
		"sh.keptn.internal.event.service.delete", "sh.keptn.event.start-evaluation"} {
		if !types[want] {
			t.Errorf("no %s event recorded: %v", want, types)
		}
	}
	expect(t, g.api("DELETE", "/api/v1/project/sockshop/service/carts", nil), 404)
	expect(t, g.api("DELETE", "/api/v1/project/sockshop", nil), 200)
	expect(t, g.api("GET", "/api/configuration-service/v1/project/sockshop", nil), 404)
	expect(t, g.api("DELETE", "/api/v1/project/sockshop", nil), 404)

	// As upstream, a deleted project's events go with it.
	p = g.api("GET", "/api/mongodb-datastore/event?project=sockshop", nil)
	if n := p.json(t)["totalCount"]; n != float64(0) {
		t.Errorf("%v events of the deleted project remain: %s", n, p.body)
	}
}

func TestEventsAndBridgeConfig(t *testing.T) {
	g := start(t, gateway.Config{})
	ev := map[string]any{"type": "sh.keptn.event.test", "source": "conformance", "data": map[string]any{"project": "p1"}}
	p := g.api("POST", "/api/v1/event", ev)
	expect(t, p, 200)
	kctx := p.json(t)["keptnContext"].(string)
	p = g.api("GET", "/api/v1/event?keptnContext="+kctx+"&type=sh.keptn.event.test", nil)
	expect(t, p, 200)
	if got := p.json(t); got["shkeptncontext"] != kctx || got["id"] == "" || got["time"] == "" {
		t.Errorf("event: %s", p.body)
	}
	expect(t, g.api("GET", "/api/v1/event?keptnContext="+kctx+"&type=other", nil), 404)
	// A given UUID context is kept.
	keep := "2f6ac30f-3b6b-4c63-9c2c-5f5b4b9bb0a1"
	ev["shkeptncontext"] = keep
	if got := g.api("POST", "/api/v1/event", ev).json(t)["keptnContext"]; got != keep {
		t.Errorf("context %v, want %s", got, keep)
	}
	p = g.do("POST", g.http+"/api/v1/event", `{"type":"t","source":"s","data":{}}`, "x-token: "+g.token, "Content-Type: application/cloudevents+json")
	expect(t, p, 200)

	p = g.api("GET", "/api/v1/config/bridge", nil)
	expect(t, p, 200) // made at first start, as Keptn's installer did
	if p.json(t)["user"] != "keptn" || len(p.json(t)["password"].(string)) < 16 {
		t.Errorf("seeded bridge credentials: %s", p.body)
	}
	expect(t, g.api("POST", "/api/v1/config/bridge", map[string]string{"user": "admin", "password": "s3cret!"}), 200)
	p = g.api("GET", "/api/v1/config/bridge", nil)
	expect(t, p, 200)
	if p.json(t)["user"] != "admin" {
		t.Errorf("bridge: %s", p.body)
	}
	p = g.api("GET", "/api/v1/metadata", nil)
	expect(t, p, 200)
	if p.json(t)["keptnversion"] != "0.7.3" {
		t.Errorf("metadata: %s", p.body)
	}
}

func TestBadInputsAreClientErrors(t *testing.T) {
	g := start(t, gateway.Config{})
	expect(t, g.api("POST", "/api/v1/project", map[string]any{"name": "p", "shipyard": b64(shipyard)}), 200)
	cases := []struct {
		method, path string
		body         any
		ctype        string
		status       int
	}{
		{"POST", "/api/v1/project", "{not json", "", 400},
		{"POST", "/api/v1/project", map[string]any{"shipyard": b64(shipyard)}, "", 400},
		{"POST", "/api/v1/project", map[string]any{"name": "p2"}, "", 400},
		{"POST", "/api/v1/project", map[string]any{"name": 5, "shipyard": b64(shipyard)}, "", 400},
		{"POST", "/api/v1/project", map[string]any{"name": "Bad_Name", "shipyard": b64(shipyard)}, "", 400},
		{"POST", "/api/v1/project", map[string]any{"name": "p3", "shipyard": "%%%"}, "", 400},
		{"POST", "/api/v1/project", map[string]any{"name": "p3", "shipyard": b64("stages: []")}, "", 400},
		{"POST", "/api/v1/project", `{"name":"p4","shipyard":"c3RhZ2VzOgogIC0gbmFtZTogZGV2"}`, "text/plain", 400},
		{"POST", "/api/v1/project", "", "", 400},
		{"POST", "/api/v1/project", "[]", "", 400},
		{"POST", "/api/v1/event", map[string]any{"source": "s", "data": map[string]any{}}, "", 400},
		{"POST", "/api/v1/event", map[string]any{"type": "t", "source": "s", "data": 5}, "", 400},
		{"POST", "/api/v1/event", map[string]any{"type": "t", "source": "s", "data": map[string]any{}, "time": "yesterday"}, "", 400},
		{"POST", "/api/v1/project/unknown/service", map[string]any{"serviceName": "s"}, "", 404},
		{"POST", "/api/v1/project/p/service", map[string]any{}, "", 400},
		{"POST", "/api/v1/project/p/service", map[string]any{"serviceName": "s", "helmChart": "!!"}, "", 400},
		{"DELETE", "/api/v1/project/unknown", nil, "", 404},
		{"POST", "/api/v1/project/p/stage/dev/service/x/evaluation", map[string]any{"timeframe": "soon"}, "", 400},
		{"POST", "/api/v1/config/bridge", map[string]any{"user": "u"}, "", 400},
		{"GET", "/api/v1/event?keptnContext=x", nil, "", 400},
		{"GET", "/api/configuration-service/v1/project/unknown", nil, "", 404},
		{"GET", "/api/configuration-service/v1/project?pageSize=abc", nil, "", 400},
		{"PUT", "/api/configuration-service/v1/project/p/resource/a%2F..%2F..%2Fetc%2Fpasswd", map[string]any{"resourceURI": "x", "resourceContent": b64("x")}, "", 400},
		{"GET", "/api/configuration-service/v1/project/p/resource/..%2F..%2Fetc%2Fpasswd", nil, "", 404},
		{"POST", "/api/configuration-service/v1/project/p/resource", map[string]any{"resources": []map[string]string{{"resourceURI": "../x", "resourceContent": b64("x")}}}, "", 400},
		{"GET", "/api/mongodb-datastore/event?pageSize=0", nil, "", 400},
		{"GET", "/api/mongodb-datastore/event?fromTime=yesterday", nil, "", 400},
	}
	for _, c := range cases {
		headers := []string{"x-token: " + g.token}
		if c.ctype != "" {
			headers = append(headers, "Content-Type: "+c.ctype)
		}
		p := g.do(c.method, g.http+c.path, c.body, headers...)
		if p.status != c.status {
			t.Errorf("%s %s %v: status %d, want %d: %s", c.method, c.path, c.body, p.status, c.status, p.body)
			continue
		}
		if !strings.HasPrefix(p.header.Get("Content-Type"), "application/json") || p.json(t)["message"] == "" {
			t.Errorf("%s %s: error without the JSON error model: %s", c.method, c.path, p.body)
		}
	}
	if strings.Contains(g.logs.String(), "panic") {
		t.Errorf("the gateway panicked:\n%s", g.logs.String())
	}
}

func TestStateSurvivesARestart(t *testing.T) {
	g := start(t, gateway.Config{})
	token := g.token
	expect(t, g.api("POST", "/api/v1/project", map[string]any{"name": "keep", "shipyard": b64(shipyard)}), 200)
	expect(t, g.api("POST", "/api/v1/project/keep/service", map[string]any{"serviceName": "carts"}), 200)
	expect(t, g.api("POST", "/api/v1/config/bridge", map[string]string{"user": "u", "password": "p"}), 200)
	g = g.restart()
	if g.token != token {
		t.Fatalf("the token changed across a restart")
	}
	expect(t, g.api("GET", "/api/configuration-service/v1/project/keep/stage/production/service/carts", nil), 200)
	expect(t, g.api("GET", "/api/v1/config/bridge", nil), 200)
	p := g.api("GET", "/api/mongodb-datastore/event?project=keep", nil)
	if n := len(p.json(t)["events"].([]any)); n != 2 {
		t.Errorf("%d events after restart, want 2", n)
	}
}

func TestSecondProcessOnTheSameDataDirFailsClearly(t *testing.T) {
	g := start(t, gateway.Config{})
	cfg := g.cfg
	cfg.Log = nil
	_, err := gateway.New(cfg)
	if err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Fatalf("err = %v", err)
	}
}

func TestTokenFileIsReloaded(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "secret", "keptn-api-token")
	if err := os.MkdirAll(filepath.Dir(tokenFile), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tokenFile, []byte("first-token-0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	g := start(t, gateway.Config{TokenFile: filepath.Dir(tokenFile)}) // a mounted Secret directory
	status := func(token string) int {
		return g.do("POST", g.http+"/api/v1/auth", nil, "x-token: "+token).status
	}
	eventually(t, func() bool { return status("first-token-0123456789") == 200 })
	if err := os.WriteFile(tokenFile, []byte("second-token-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool {
		return status("second-token-0123456789") == 200 && status("first-token-0123456789") == 401
	})
	// An empty, malformed or missing token file keeps the current token; nothing opens up.
	refusals := 0
	for _, content := range []string{"", "   \n", "short", "has a space in it"} {
		if err := os.WriteFile(tokenFile, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		refusals = kept(t, g, refusals)
		if status("second-token-0123456789") != 200 || status("") != 401 || status(content) != 401 {
			t.Errorf("after writing %q the token changed", content)
		}
	}
	if err := os.Remove(tokenFile); err != nil {
		t.Fatal(err)
	}
	kept(t, g, refusals)
	if status("second-token-0123456789") != 200 {
		t.Error("a deleted token file dropped the token")
	}
	if strings.Contains(g.logs.String(), "second-token") || strings.Contains(g.logs.String(), "first-token") {
		t.Error("a token appears in the logs")
	}
}

func TestTokenFromTheEnvironment(t *testing.T) {
	g := start(t, gateway.Config{Token: "env-token-0123456789"})
	expect(t, g.do("POST", g.http+"/api/v1/auth", nil, "x-token: env-token-0123456789"), 200)
	if _, err := gateway.New(gateway.Config{Token: "bad token", DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0"}); err == nil {
		t.Error("a malformed token from the environment was accepted")
	}
}

func TestHTTPSListenerAndTLSPosture(t *testing.T) {
	g := start(t, gateway.Config{Domain: "keptn.example.test"})
	p := g.do("GET", g.https+"/api/v1/metadata", nil, "x-token: "+g.token)
	expect(t, p, 200)
	if p.header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS on HTTPS")
	}
	if g.do("GET", g.http+"/nginx-health", nil).header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS on plain HTTP")
	}
	host := strings.TrimPrefix(g.https, "https://")
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		c, err := tls.Dial("tcp", host, &tls.Config{InsecureSkipVerify: true, MinVersion: v, MaxVersion: v})
		if err == nil {
			c.Close()
			t.Errorf("TLS version %x accepted", v)
		}
	}
	c, err := tls.Dial("tcp", host, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13, ServerName: "unknown.example"})
	if err != nil {
		t.Fatalf("TLS 1.3 with an unknown SNI: %v", err)
	}
	leaf := c.ConnectionState().PeerCertificates[0]
	c.Close()
	if leaf.Subject.CommonName != "keptn.example.test" || len(leaf.DNSNames) != 1 || leaf.DNSNames[0] != "keptn.example.test" {
		t.Errorf("self-signed certificate for %q %v", leaf.Subject.CommonName, leaf.DNSNames)
	}
	if leaf.NotAfter.Sub(leaf.NotBefore) > 398*24*time.Hour {
		t.Errorf("validity %v", leaf.NotAfter.Sub(leaf.NotBefore))
	}
	// The self-signed certificate is kept across restarts.
	g = g.restart()
	c, err = tls.Dial("tcp", strings.TrimPrefix(g.https, "https://"), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.ConnectionState().PeerCertificates[0].SerialNumber.Cmp(leaf.SerialNumber) != 0 {
		t.Error("a new certificate was made on restart")
	}
}

func TestStrictModeRedirectsHTTP(t *testing.T) {
	g := start(t, gateway.Config{HTTPSRedirect: true, HTTPSAddr: freePort(t)})
	p := g.do("GET", g.http+"/api/v1/metadata?x=1", nil)
	expect(t, p, 308)
	_, port, _ := strings.Cut(strings.TrimPrefix(g.https, "https://"), ":")
	if loc := p.header.Get("Location"); loc != "https://127.0.0.1:"+port+"/api/v1/metadata?x=1" {
		t.Errorf("Location = %q", loc)
	}
}

func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// kept awaits one more "keeping the previous ..." log line: the watcher saw the change and
// refused it.
func kept(t *testing.T, g *running, before int) int {
	t.Helper()
	n := 0
	eventually(t, func() bool {
		n = strings.Count(g.logs.String(), "keeping the previous")
		return n > before
	})
	return n
}

// A process started on a token file that holds no valid token (an empty or malformed Secret after
// a botched rotation) keeps the last valid token rather than failing or opening up.
func TestBrokenTokenFileAtStartKeepsTheLastValidToken(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("the-valid-token-0123"), 0o600); err != nil {
		t.Fatal(err)
	}
	g := start(t, gateway.Config{TokenFile: tokenFile})
	if err := os.WriteFile(tokenFile, []byte(""), 0o600); err != nil {
		t.Fatal(err)
	}
	g.shutdown()
	cfg := g.cfg
	cfg.Log = nil
	g2 := start(t, cfg) // start fails the test if the gateway does not come up
	expect(t, g2.do("POST", g2.http+"/api/v1/auth", nil, "x-token: the-valid-token-0123"), 200)
	expect(t, g2.do("POST", g2.http+"/api/v1/auth", nil, "x-token: "), 401)
	// Once the file holds a valid token again, that one is in force.
	if err := os.WriteFile(tokenFile, []byte("the-next-token-4567"), 0o600); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool {
		return g2.do("POST", g2.http+"/api/v1/auth", nil, "x-token: the-next-token-4567").status == 200
	})
	// A new installation with a broken token file has nothing to fall back on: a clear error.
	if err := os.WriteFile(tokenFile+"-empty", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := gateway.New(gateway.Config{TokenFile: tokenFile + "-empty", DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0"}); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("a new installation on an empty token file: %v", err)
	}
}

// A token file changed between loading the gateway and serving (a Secret updated while a pod
// starts) still takes effect: the watcher compares with what the gateway loaded.
func TestTokenChangedBeforeServingTakesEffect(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("loaded-token-0123"), 0o600); err != nil {
		t.Fatal(err)
	}
	g, err := gateway.New(gateway.Config{TokenFile: tokenFile, DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", ReloadInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if err := os.WriteFile(tokenFile, []byte("changed-token-4567"), 0o600); err != nil {
		t.Fatal(err)
	}
	hl, _, err := g.Listeners()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = g.Serve(ctx, hl, nil); close(done) }()
	defer func() { cancel(); <-done }()
	eventually(t, func() bool {
		req, _ := http.NewRequest("POST", "http://"+hl.Addr().String()+"/api/v1/auth", nil)
		req.Header.Set("x-token", "changed-token-4567")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
}
