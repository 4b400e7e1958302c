package gateway_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keptn-conformance/keptn-conformance/gateway"
)

// replicas are api-service replicas of one installation: two api-service roles sharing one
// configuration-service's state listener (and the datastore, the token and the users).
type replicas struct {
	cs, ds, a, b *running
	state        string // the state listener's base URL
}

const replicaToken = "replica-token-0123456789"

func startReplicas(t *testing.T, ttl time.Duration, users string) replicas {
	t.Helper()
	cs := start(t, gateway.Config{Role: gateway.RoleConfigurationService, StateAddr: "127.0.0.1:0"})
	ds := start(t, gateway.Config{Role: gateway.RoleDatastore})
	r := replicas{cs: cs, ds: ds, state: "http://" + cs.g.StateListenerAddr()}
	api := func() *running {
		return start(t, gateway.Config{Role: gateway.RoleAPIService, Token: replicaToken, UsersFile: users, SessionTTL: ttl,
			ConfigurationServiceURL: cs.http, DatastoreURL: ds.http, StateURL: r.state, UpstreamPatience: 200 * time.Millisecond})
	}
	r.a, r.b = api(), api()
	return r
}

func login(t *testing.T, g *running, user, password string) *http.Cookie {
	t.Helper()
	p := g.do("POST", g.http+"/auth", map[string]string{"username": user, "password": password})
	expect(t, p, 200)
	return sessionCookie(t, p)
}

// A session made through one replica is valid on the other, and its logout on either ends it on
// both; the bridge credentials, the installation id and the websocket tokens are the same on both.
func TestReplicasAreOneInstallation(t *testing.T) {
	users := usersFile(t, "ada", "pw-123456")
	r := startReplicas(t, time.Hour, users)
	a, b := r.a, r.b

	c := login(t, a, "ada", "pw-123456")
	cookie := "Cookie: keptn_session=" + c.Value
	expect(t, b.do("GET", b.http+"/control_planes", nil, cookie), 200)
	expect(t, b.do("GET", b.http+"/v1/metadata", nil, cookie), 200)
	// The one control plane has one id, whichever replica answers.
	idA := a.do("GET", a.http+"/control_planes", nil, cookie).json(t)["data"].([]any)[0].(map[string]any)["id"]
	idB := b.do("GET", b.http+"/control_planes", nil, cookie).json(t)["data"].([]any)[0].(map[string]any)["id"]
	if idA != idB || idA == "" {
		t.Errorf("installation ids %v and %v", idA, idB)
	}
	// Logging out through the other replica ends it on both.
	expect(t, b.do("DELETE", b.http+"/auth", nil, cookie), 204)
	expect(t, a.do("GET", a.http+"/control_planes", nil, cookie), 401)
	expect(t, b.do("GET", b.http+"/control_planes", nil, cookie), 401)
	expect(t, a.do("GET", a.http+"/v1/metadata", nil, cookie), 401)
	// A new login through the other replica, used on the first.
	c2 := login(t, b, "ada", "pw-123456")
	expect(t, a.do("GET", a.http+"/control_planes", nil, "Cookie: keptn_session="+c2.Value), 200)

	// The seeded bridge credentials are the same on both, and what one configures the other reads.
	seededA := a.api("GET", "/v1/config/bridge", nil).json(t)
	seededB := b.api("GET", "/v1/config/bridge", nil).json(t)
	if seededA["user"] != "keptn" || seededA["password"] == "" || seededA["password"] != seededB["password"] {
		t.Errorf("seeded bridge credentials %v and %v", seededA, seededB)
	}
	expect(t, a.api("POST", "/v1/config/bridge", map[string]string{"user": "grace", "password": "hopper-1906"}), 200)
	got := b.api("GET", "/v1/config/bridge", nil).json(t)
	if got["user"] != "grace" || got["password"] != "hopper-1906" {
		t.Errorf("bridge credentials read back from the other replica: %v", got)
	}

	// The CLI's websocket may reach the other replica than the request that answered its token.
	p := a.api("POST", "/v1/event", map[string]any{"type": "sh.keptn.event.test", "source": "test", "data": map[string]any{"project": "p"}})
	expect(t, p, 200)
	ec := p.json(t)
	h := http.Header{"Token": {ec["token"].(string)}, "Keptn-Ws-Channel-Id": {ec["keptnContext"].(string)}}
	wsURL := func(g *running) string { return "ws" + strings.TrimPrefix(g.http, "http") + "/websocket" }
	conn, resp, err := websocket.DefaultDialer.Dial(wsURL(b), h)
	if err != nil {
		t.Fatalf("the websocket on the other replica: %v (%v)", err, resp)
	}
	var m struct {
		Data struct {
			Message   string `json:"message"`
			Terminate bool   `json:"terminate"`
		} `json:"data"`
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := conn.ReadJSON(&m); err != nil || !m.Data.Terminate || !strings.Contains(m.Data.Message, "sh.keptn.event.test") {
		t.Errorf("log message %+v, %v", m, err)
	}
	conn.Close()
	// Used once, on either replica.
	if _, resp, err := websocket.DefaultDialer.Dial(wsURL(a), h); err == nil || resp.StatusCode != 401 {
		t.Errorf("a used websocket token was accepted by the first replica")
	}

	// The state routes are internal: not on the configuration-service's public listener, and so
	// not through a gateway in front.
	expect(t, r.cs.do("GET", r.cs.http+"/internal/state/v1/config/bridge", nil), 404)
	gw := start(t, gateway.Config{Role: gateway.RoleGateway, APIServiceURL: a.http, ConfigurationServiceURL: r.cs.http, DatastoreURL: r.ds.http})
	p = gw.do("GET", gw.http+"/api/configuration-service/internal/state/v1/config/bridge", nil, "x-token: "+replicaToken)
	expect(t, p, 404)
	if strings.Contains(string(p.body), "hopper") {
		t.Errorf("the state leaked through the gateway: %s", p.body)
	}
	// Through the gateway, a session made on one replica works on the Keptn API.
	expect(t, gw.do("GET", gw.http+"/api/v1/metadata", nil, "Cookie: keptn_session="+c2.Value), 200)
}

// A session expires on every replica.
func TestReplicaSessionsExpire(t *testing.T) {
	r := startReplicas(t, time.Second, usersFile(t, "ada", "pw-123456"))
	c := login(t, r.a, "ada", "pw-123456")
	expect(t, r.b.do("GET", r.b.http+"/control_planes", nil, "Cookie: keptn_session="+c.Value), 200)
	eventually(t, func() bool {
		return r.b.do("GET", r.b.http+"/control_planes", nil, "Cookie: keptn_session="+c.Value).status == 401
	})
	expect(t, r.a.do("GET", r.a.http+"/control_planes", nil, "Cookie: keptn_session="+c.Value), 401)
}

// A state store that cannot be reached is a 503 in the JSON error model on whatever needs it
// (never a 500, never a session taken for ended); the token alone still works.
func TestStateStoreDownIs503(t *testing.T) {
	r := startReplicas(t, time.Hour, usersFile(t, "ada", "pw-123456"))
	c := login(t, r.a, "ada", "pw-123456")
	cookie := "Cookie: keptn_session=" + c.Value
	r.cs.shutdown()
	for _, p := range []resp{
		r.a.do("GET", r.a.http+"/control_planes", nil, cookie),
		r.a.do("GET", r.a.http+"/v1/metadata", nil, cookie),
		r.a.do("DELETE", r.a.http+"/auth", nil, cookie),
		r.a.do("POST", r.a.http+"/auth", map[string]string{"username": "ada", "password": "pw-123456"}),
		r.a.api("GET", "/v1/config/bridge", nil),
		r.a.api("POST", "/v1/config/bridge", map[string]string{"user": "u", "password": "p"}),
		r.b.api("POST", "/v1/event", map[string]any{"type": "sh.keptn.event.test", "source": "test", "data": map[string]any{}}),
	} {
		expect(t, p, 503)
		if m := p.json(t); m["code"] != float64(503) || !strings.Contains(m["message"].(string), "state store") {
			t.Errorf("503 body: %s", p.body)
		}
	}
	expect(t, r.a.api("GET", "/v1/metadata", nil), 200)
	// No event was recorded for the refused one.
	p := r.ds.do("GET", r.ds.http+"/event?type=sh.keptn.event.test", nil)
	expect(t, p, 200)
	if n := len(p.json(t)["events"].([]any)); n != 0 {
		t.Errorf("%d events recorded by a refused request", n)
	}
}

// A state URL that names no state store (the configuration-service's public port) is a clear 503.
func TestStateURLThatIsNoStateStore(t *testing.T) {
	cs := start(t, gateway.Config{Role: gateway.RoleConfigurationService})
	ds := start(t, gateway.Config{Role: gateway.RoleDatastore})
	api := start(t, gateway.Config{Role: gateway.RoleAPIService, Token: replicaToken, ConfigurationServiceURL: cs.http, DatastoreURL: ds.http, StateURL: cs.http})
	p := api.api("GET", "/v1/config/bridge", nil)
	expect(t, p, 503)
	if !strings.Contains(p.json(t)["message"].(string), "is no state store") {
		t.Errorf("message: %s", p.body)
	}
}

func TestStateOptionsBelongToTheirRoles(t *testing.T) {
	for _, c := range []struct {
		cfg  gateway.Config
		want string
	}{
		{gateway.Config{Role: gateway.RoleAPIService, StateAddr: "127.0.0.1:0", ConfigurationServiceURL: "http://cs", DatastoreURL: "http://ds"}, "--state-http"},
		{gateway.Config{Role: gateway.RoleAll, StateAddr: "127.0.0.1:0"}, "--state-http"},
		{gateway.Config{Role: gateway.RoleConfigurationService, StateURL: "http://cs:8081"}, "--state-url"},
		{gateway.Config{Role: gateway.RoleAll, StateURL: "http://cs:8081"}, "--state-url"},
		{gateway.Config{Role: gateway.RoleAPIService, StateURL: "ftp://x", ConfigurationServiceURL: "http://cs", DatastoreURL: "http://ds"}, "--state-url"},
	} {
		c.cfg.DataDir, c.cfg.HTTPAddr = t.TempDir(), "127.0.0.1:0"
		g, err := gateway.New(c.cfg)
		if err == nil {
			g.Close()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error naming %s", c.cfg, err, c.want)
		}
	}
}

// Wrong passwords count on every replica at once: past the limit, each refuses the user.
func TestReplicasShareTheLoginThrottle(t *testing.T) {
	r := startReplicas(t, time.Hour, usersFile(t, "ada", "pw-123456"))
	for i := range 5 { // auth.UserFailureLimit, spread over both replicas
		g := []*running{r.a, r.b}[i%2]
		expect(t, g.do("POST", g.http+"/auth", map[string]string{"username": "ada", "password": "wrong"}), 401)
	}
	for _, g := range []*running{r.a, r.b} {
		p := g.do("POST", g.http+"/auth", map[string]string{"username": "ada", "password": "pw-123456"})
		expect(t, p, 429)
		if p.header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
}

// Two replicas asked to create the same project at once change it one at a time: one 200, the
// others 409 (as one replica answers), one project and one creation event.
func TestReplicasChangeAProjectOneAtATime(t *testing.T) {
	r := startReplicas(t, time.Hour, "")
	const n = 6
	statuses := make(chan int, n)
	for i := range n {
		g := []*running{r.a, r.b}[i%2]
		go func() {
			req, _ := http.NewRequest("POST", g.http+"/v1/project", strings.NewReader(`{"name":"race","shipyard":"`+b64(shipyard)+`"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("x-token", replicaToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				statuses <- 0
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	count := map[int]int{}
	for range n {
		count[<-statuses]++
	}
	if count[200] != 1 || count[409] != n-1 {
		t.Errorf("answers %v, want one 200 and %d 409", count, n-1)
	}
	p := r.ds.do("GET", r.ds.http+"/event?project=race&type=sh.keptn.internal.event.project.create", nil)
	expect(t, p, 200)
	if got := len(p.json(t)["events"].([]any)); got != 1 {
		t.Errorf("%d creation events, want 1", got)
	}
	// Deleting it through either replica: once.
	expect(t, r.b.api("DELETE", "/v1/project/race", nil), 200)
	expect(t, r.a.api("DELETE", "/v1/project/race", nil), 404)
}
