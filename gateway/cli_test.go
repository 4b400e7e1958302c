package gateway_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keptn-conformance/keptn-conformance/gateway"
)

// The keptn CLI 0.7.3 as a client: the requests below are the ones the real CLI sends (recorded
// against this gateway from a CLI built from Keptn's release-0.7.3 branch): X-Token and
// Content-Type: application/json on every REST request, the stored endpoint E/api, a metadata call
// before every command, and the log websocket after every call that answers an event context.

// cli sends a request as the CLI does.
func cli(g *running, method, endpointPath string, body any) resp {
	g.t.Helper()
	var b any
	if body != nil {
		j, _ := json.Marshal(body)
		b = j
	}
	return g.do(method, g.http+"/api"+endpointPath, b, "X-Token: "+g.token, "Content-Type: application/json")
}

// command is what the CLI does before each command: it reads the metadata.
func command(t *testing.T, g *running) {
	t.Helper()
	p := cli(g, "GET", "/v1/metadata", nil)
	expect(t, p, 200)
	if p.json(t)["keptnversion"] == "" {
		t.Error("metadata without keptnversion")
	}
}

// logStream follows the CLI's websocket: ws://E/api/websocket with the event context's token,
// read until a message says terminate. It returns the messages.
func logStream(t *testing.T, g *running, ec map[string]any) []string {
	t.Helper()
	h := http.Header{}
	h.Set("Token", ec["token"].(string))
	h.Set("Keptn-Ws-Channel-Id", ec["keptnContext"].(string))
	conn, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(g.http, "http")+"/api/websocket", h)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("opening the log websocket: %v (status %d)", err, status)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var out []string
	for {
		var m struct {
			Type string `json:"type"`
			Data struct {
				Message   string `json:"message"`
				Terminate bool   `json:"terminate"`
			} `json:"data"`
		}
		if err := conn.ReadJSON(&m); err != nil {
			t.Fatalf("reading the log websocket: %v", err)
		}
		if m.Type != "sh.keptn.events.log" {
			t.Errorf("log message of type %q", m.Type)
		}
		out = append(out, m.Data.Message)
		if m.Data.Terminate {
			return out
		}
	}
}

func TestKeptnCLIFlows(t *testing.T) {
	g := start(t, gateway.Config{})
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

	// keptn auth --endpoint=E --api-token=T: POST E/api/v1/auth, empty body, no metadata call yet.
	expect(t, g.do("POST", g.http+"/api/v1/auth", []byte{}, "X-Token: "+g.token, "Content-Type: application/json"), 200)
	// keptn status
	command(t, g)
	expect(t, cli(g, "POST", "/v1/auth", nil), 200)

	// keptn create project sockshop --shipyard=shipyard.yaml, then its log websocket.
	command(t, g)
	p := cli(g, "POST", "/v1/project", map[string]string{"name": "sockshop", "shipyard": b64(shipyard)})
	expect(t, p, 200)
	if msgs := logStream(t, g, p.json(t)); len(msgs) == 0 || !strings.Contains(msgs[len(msgs)-1], "sockshop") {
		t.Errorf("log stream: %q", msgs)
	}
	// A websocket token works once, and only with its context.
	h := http.Header{"Token": {p.json(t)["token"].(string)}}
	if _, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(g.http, "http")+"/api/websocket", h); err == nil || resp.StatusCode != 401 {
		t.Errorf("a used websocket token was accepted again")
	}

	// keptn create service carts --project=sockshop
	command(t, g)
	p = cli(g, "POST", "/v1/project/sockshop/service", map[string]string{"serviceName": "carts"})
	expect(t, p, 200)
	logStream(t, g, p.json(t))

	// keptn send event --file=event.json: the CLI sends a zero time when the file has none, and the
	// gateway takes the event in as upstream does (its own id and time).
	command(t, g)
	ev := map[string]any{
		"contenttype": "application/json", "specversion": "0.2", "source": "https://github.com/keptn/keptn/cli#configuration-change",
		"type": "sh.keptn.event.configuration.change", "time": "0001-01-01T00:00:00.000Z", "id": "from-the-file",
		"data": map[string]any{"project": "sockshop", "stage": "dev", "service": "carts", "valuesCanary": map[string]any{"image": "registry.example/keptnexamples/carts:0.11.1"}},
	}
	p = cli(g, "POST", "/v1/event", ev)
	expect(t, p, 200)
	kctx := p.json(t)["keptnContext"].(string)
	// Sent twice, it is stored twice.
	expect(t, cli(g, "POST", "/v1/event", ev), 200)

	// keptn send event start-evaluation --project=sockshop --stage=dev --service=carts --timeframe=5m:
	// the CLI sends the window as start and end, without a time zone.
	command(t, g)
	now := time.Now().UTC()
	expect(t, cli(g, "POST", "/v1/project/sockshop/stage/dev/service/carts/evaluation", map[string]any{
		"start": now.Add(-5 * time.Minute).Format("2006-01-02T15:04:05"), "end": now.Format("2006-01-02T15:04:05"),
	}), 200)

	// keptn get event sh.keptn.event.configuration.change --project=sockshop: the latest such event.
	command(t, g)
	q := url.Values{"pageSize": {"1"}, "project": {"sockshop"}, "type": {"sh.keptn.event.configuration.change"}}
	p = cli(g, "GET", "/mongodb-datastore/event?"+q.Encode(), nil)
	expect(t, p, 200)
	page := p.json(t)
	events := page["events"].([]any)
	latest := events[0].(map[string]any)
	if page["totalCount"] != float64(2) || latest["id"] == "from-the-file" || strings.HasPrefix(latest["time"].(string), "0001") {
		t.Errorf("get event: %s", p.body)
	}
	if page["nextPageKey"] != "1" {
		t.Errorf("nextPageKey %v, want 1", page["nextPageKey"])
	}
	_ = kctx

	// keptn get projects: GET E/configuration-service/v1/project/ (trailing slash), paged until "0".
	for i := 0; i < 3; i++ {
		expect(t, cli(g, "POST", "/v1/project", map[string]string{"name": "extra" + string(rune('a'+i)), "shipyard": b64(shipyard)}), 200)
	}
	command(t, g)
	seen, next := 0, ""
	for pages := 0; pages < 10; pages++ {
		path := "/configuration-service/v1/project/?pageSize=2"
		if next != "" {
			path += "&nextPageKey=" + next
		}
		p = cli(g, "GET", path, nil)
		expect(t, p, 200)
		got := p.json(t)
		seen += len(got["projects"].([]any))
		next, _ = got["nextPageKey"].(string)
		if next == "" || next == "0" {
			break
		}
	}
	if seen != 4 {
		t.Errorf("keptn get projects paged through %d projects, want 4", seen)
	}
	// keptn get stages --project=sockshop; keptn get services: the projects, then each stage's services.
	p = cli(g, "GET", "/configuration-service/v1/project/sockshop/stage", nil)
	expect(t, p, 200)
	if len(p.json(t)["stages"].([]any)) != 3 {
		t.Errorf("stages: %s", p.body)
	}
	expect(t, cli(g, "GET", "/configuration-service/v1/project/", nil), 200)
	for _, st := range []string{"dev", "staging", "production"} {
		p = cli(g, "GET", "/configuration-service/v1/project/sockshop/stage/"+st+"/service", nil)
		expect(t, p, 200)
		if len(p.json(t)["services"].([]any)) != 1 {
			t.Errorf("services of %s: %s", st, p.body)
		}
	}

	// keptn add-resource at each level; without --resourceUri the CLI sends the file's path.
	for _, c := range []struct{ level, uri, stored string }{
		{"/project/sockshop", "./slo.yaml", "slo.yaml"},
		{"/project/sockshop/stage/dev", "jmeter/load.jmx", "jmeter/load.jmx"},
		{"/project/sockshop/stage/dev/service/carts", "helm/carts.tgz", "helm/carts.tgz"},
	} {
		res := map[string]any{"resources": []map[string]string{{"resourceURI": c.uri, "resourceContent": b64("content of " + c.uri)}}}
		p = cli(g, "POST", "/configuration-service/v1"+c.level+"/resource", res)
		expect(t, p, 201)
		p = cli(g, "GET", "/configuration-service/v1"+c.level+"/resource/"+url.PathEscape(c.stored), nil)
		expect(t, p, 200)
		if p.json(t)["resourceContent"] != b64("content of "+c.uri) {
			t.Errorf("add-resource %s at %s: %s", c.uri, c.level, p.body)
		}
	}

	// keptn configure bridge --output: the credentials made at install.
	command(t, g)
	p = cli(g, "GET", "/v1/config/bridge", nil)
	expect(t, p, 200)
	if p.json(t)["user"] != "keptn" {
		t.Errorf("bridge credentials: %s", p.body)
	}

	// keptn delete project sockshop: read it, delete every service, delete it, each with its stream.
	command(t, g)
	expect(t, cli(g, "GET", "/configuration-service/v1/project/sockshop", nil), 200)
	p = cli(g, "DELETE", "/v1/project/sockshop/service/carts", nil)
	expect(t, p, 200)
	logStream(t, g, p.json(t))
	p = cli(g, "DELETE", "/v1/project/sockshop", nil)
	expect(t, p, 200)
	logStream(t, g, p.json(t))
	expect(t, cli(g, "GET", "/configuration-service/v1/project/sockshop", nil), 404)
	// Its history went with it; a project made anew under the name starts clean.
	p = cli(g, "GET", "/mongodb-datastore/event?"+q.Encode(), nil)
	if p.json(t)["totalCount"] != float64(0) {
		t.Errorf("events of the deleted project remain: %s", p.body)
	}
}
