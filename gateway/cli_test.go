package gateway_test

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"testing"

	"github.com/keptn-conformance/keptn-conformance/gateway"
)

// cliRequest sends a request the way the keptn CLI 0.7.x does: X-Token and
// Content-Type: application/json on every request, against the stored endpoint E/api.
func cliRequest(g *running, method, endpointPath string, body any) resp {
	g.t.Helper()
	var b any
	if body != nil {
		j, _ := json.Marshal(body)
		b = j
	}
	return g.do(method, g.http+"/api"+endpointPath, b, "X-Token: "+g.token, "Content-Type: application/json")
}

// The keptn CLI 0.7.x flows of the facts (section 8), request for request, with the answers the
// CLI reads.
func TestKeptnCLIFlows(t *testing.T) {
	g := start(t, gateway.Config{})

	// keptn auth --endpoint=E --api-token=T: POST E/api/v1/auth with an empty body.
	expect(t, g.do("POST", g.http+"/api/v1/auth", []byte{}, "X-Token: "+g.token, "Content-Type: application/json"), 200)
	// Before every command: GET <endpoint>/v1/metadata.
	p := cliRequest(g, "GET", "/v1/metadata", nil)
	expect(t, p, 200)
	if p.json(t)["keptnversion"] == "" {
		t.Error("metadata without keptnversion")
	}
	// keptn status: POST E/v1/auth.
	expect(t, cliRequest(g, "POST", "/v1/auth", nil), 200)

	// keptn create project sockshop --shipyard=shipyard.yaml
	p = cliRequest(g, "POST", "/v1/project", map[string]string{"name": "sockshop", "shipyard": base64.StdEncoding.EncodeToString([]byte(shipyard))})
	expect(t, p, 200)
	if p.json(t)["keptnContext"] == "" || p.json(t)["token"] == "" {
		t.Errorf("eventContext: %s", p.body)
	}
	// keptn create service carts --project=sockshop
	expect(t, cliRequest(g, "POST", "/v1/project/sockshop/service", map[string]string{"serviceName": "carts"}), 200)

	// keptn send event --file=event.json
	ev := map[string]any{
		"contenttype": "application/json", "specversion": "0.2", "source": "https://github.com/keptn/keptn/cli#configuration-change",
		"type": "sh.keptn.event.configuration.change",
		"data": map[string]any{"project": "sockshop", "stage": "dev", "service": "carts", "valuesCanary": map[string]any{"image": "docker.io/keptnexamples/carts:0.11.1"}},
	}
	p = cliRequest(g, "POST", "/v1/event", ev)
	expect(t, p, 200)
	kctx := p.json(t)["keptnContext"].(string)

	// keptn send event start-evaluation --project=sockshop --stage=dev --service=carts --timeframe=5m
	expect(t, cliRequest(g, "POST", "/v1/project/sockshop/stage/dev/service/carts/evaluation", map[string]any{"timeframe": "5m", "labels": map[string]string{}}), 200)

	// keptn get event sh.keptn.event.configuration.change --project=sockshop
	q := url.Values{"keptnContext": {""}, "pageSize": {"1"}, "project": {"sockshop"}, "type": {"sh.keptn.event.configuration.change"}}
	p = cliRequest(g, "GET", "/mongodb-datastore/event?"+q.Encode(), nil)
	expect(t, p, 200)
	page := p.json(t)
	events := page["events"].([]any)
	if len(events) != 1 || events[0].(map[string]any)["shkeptncontext"] != kctx || page["nextPageKey"] != "0" {
		t.Errorf("get event: %s", p.body)
	}

	// keptn get projects: GET E/configuration-service/v1/project/ (trailing slash), paged until "0".
	for i := 0; i < 3; i++ {
		expect(t, cliRequest(g, "POST", "/v1/project", map[string]string{"name": "extra" + string(rune('a'+i)), "shipyard": base64.StdEncoding.EncodeToString([]byte(shipyard))}), 200)
	}
	seen, next := 0, ""
	for pages := 0; pages < 10; pages++ {
		path := "/configuration-service/v1/project/?pageSize=2"
		if next != "" {
			path += "&nextPageKey=" + next
		}
		p = cliRequest(g, "GET", path, nil)
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
	// keptn get stages / services
	p = cliRequest(g, "GET", "/configuration-service/v1/project/sockshop/stage", nil)
	expect(t, p, 200)
	if len(p.json(t)["stages"].([]any)) != 3 {
		t.Errorf("stages: %s", p.body)
	}
	p = cliRequest(g, "GET", "/configuration-service/v1/project/sockshop/stage/dev/service", nil)
	expect(t, p, 200)
	if len(p.json(t)["services"].([]any)) != 1 {
		t.Errorf("services: %s", p.body)
	}

	// keptn add-resource at each level.
	res := map[string]any{"resources": []map[string]string{{"resourceURI": "jmeter/load.jmx", "resourceContent": base64.StdEncoding.EncodeToString([]byte("<jmx/>"))}}}
	for _, level := range []string{"/project/sockshop", "/project/sockshop/stage/dev", "/project/sockshop/stage/dev/service/carts"} {
		p = cliRequest(g, "POST", "/configuration-service/v1"+level+"/resource", res)
		expect(t, p, 201)
		if p.json(t)["version"] == "" {
			t.Errorf("add-resource at %s: %s", level, p.body)
		}
	}

	// keptn delete project sockshop: read it, delete every service, delete it.
	p = cliRequest(g, "GET", "/configuration-service/v1/project/sockshop", nil)
	expect(t, p, 200)
	expect(t, cliRequest(g, "DELETE", "/v1/project/sockshop/service/carts", nil), 200)
	expect(t, cliRequest(g, "DELETE", "/v1/project/sockshop", nil), 200)
	expect(t, cliRequest(g, "GET", "/configuration-service/v1/project/sockshop", nil), 404)
}
