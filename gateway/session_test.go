package gateway_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway"
)

func usersFile(t *testing.T, username, password string) string {
	t.Helper()
	h, err := gateway.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "users.yaml")
	content := "users:\n  - username: " + username + "\n    password_hash: \"" + h + "\"\n    email: " + username + "@example.com\n    first_name: Ada\n    last_name: Lovelace\n"
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func sessionCookie(t *testing.T, p resp) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == "keptn_session" {
			return c
		}
	}
	t.Fatalf("no session cookie in %v", p.header.Values("Set-Cookie"))
	return nil
}

func TestSessionLogin(t *testing.T) {
	g := start(t, gateway.Config{UsersFile: usersFile(t, "ada", "correct horse"), SessionTTL: time.Hour})
	expect(t, g.do("GET", g.http+"/api/control_planes", nil), 401)

	p := g.do("POST", g.http+"/api/auth", map[string]string{"username": "ada", "password": "correct horse"})
	expect(t, p, 200)
	c := sessionCookie(t, p)
	raw := strings.Join(p.header.Values("Set-Cookie"), "; ")
	for _, attr := range []string{"HttpOnly", "SameSite=Strict", "Path=/", "Expires="} {
		if !strings.Contains(raw, attr) {
			t.Errorf("cookie lacks %s: %s", attr, raw)
		}
	}
	if strings.Contains(raw, "Secure") || strings.Contains(raw, "Domain") {
		t.Errorf("cookie over plain HTTP: %s", raw)
	}
	user := p.json(t)
	exp, err := time.Parse(time.RFC3339, user["expiration_date"].(string))
	if err != nil || !exp.Equal(c.Expires) {
		t.Errorf("expiration_date %v, cookie expires %v", user["expiration_date"], c.Expires)
	}
	if user["email"] != "ada@example.com" || user["id"] == "" || user["org_id"] == "" {
		t.Errorf("user: %s", p.body)
	}
	if len(c.Value) < 43 {
		t.Errorf("session id of %d characters", len(c.Value))
	}
	cookie := "Cookie: keptn_session=" + c.Value
	p = g.do("GET", g.http+"/api/control_planes", nil, cookie)
	expect(t, p, 200)
	if len(p.json(t)["data"].([]any)) != 1 {
		t.Errorf("control planes: %s", p.body)
	}
	// The cookie authenticates the Keptn API too, through the gateway's auth subrequest.
	expect(t, g.do("GET", g.http+"/api/v1/metadata", nil, cookie), 200)
	expect(t, g.do("GET", g.http+"/api/configuration-service/v1/project", nil, cookie), 200)
	expect(t, g.do("GET", g.http+"/api/mongodb-datastore/event", nil, cookie), 200)
	expect(t, g.do("GET", g.http+"/api/control_planes", nil, "Cookie: keptn_session="+c.Value+"x"), 401)

	// A new id at every login.
	p2 := g.do("POST", g.http+"/api/auth", map[string]string{"username": "ada", "password": "correct horse"})
	if sessionCookie(t, p2).Value == c.Value {
		t.Error("the same session id twice")
	}
	// Logout ends the session.
	expect(t, g.do("DELETE", g.http+"/api/auth", nil, cookie), 204)
	expect(t, g.do("GET", g.http+"/api/control_planes", nil, cookie), 401)
	expect(t, g.do("GET", g.http+"/api/v1/metadata", nil, cookie), 401)
	expect(t, g.do("DELETE", g.http+"/api/auth", nil, cookie), 401)

	// No enumeration: an unknown user and a wrong password get the same answer.
	wrong := g.do("POST", g.http+"/api/auth", map[string]string{"username": "ada", "password": "nope"})
	unknown := g.do("POST", g.http+"/api/auth", map[string]string{"username": "bob", "password": "nope"})
	expect(t, wrong, 401)
	expect(t, unknown, 401)
	if string(wrong.body) != string(unknown.body) {
		t.Errorf("different answers: %s vs %s", wrong.body, unknown.body)
	}
	expect(t, g.do("POST", g.http+"/api/auth", "{"), 400)
	expect(t, g.do("POST", g.http+"/api/auth", map[string]string{"username": "ada"}), 400)

	// Over HTTPS the cookie is Secure.
	p = g.do("POST", g.https+"/api/auth", map[string]string{"username": "ada", "password": "correct horse"})
	expect(t, p, 200)
	if !sessionCookie(t, p).Secure {
		t.Error("cookie over HTTPS is not Secure")
	}
	if strings.Contains(g.logs.String(), "correct horse") || strings.Contains(g.logs.String(), c.Value) {
		t.Error("a password or session id appears in the logs")
	}
}

func TestSessionsSurviveARestartAndExpire(t *testing.T) {
	g := start(t, gateway.Config{UsersFile: usersFile(t, "ada", "pw-123456"), SessionTTL: time.Hour})
	c := sessionCookie(t, g.do("POST", g.http+"/api/auth", map[string]string{"username": "ada", "password": "pw-123456"}))
	g = g.restart()
	expect(t, g.do("GET", g.http+"/api/control_planes", nil, "Cookie: keptn_session="+c.Value), 200)

	short := start(t, gateway.Config{UsersFile: usersFile(t, "ada", "pw-123456"), SessionTTL: time.Second})
	c = sessionCookie(t, short.do("POST", short.http+"/api/auth", map[string]string{"username": "ada", "password": "pw-123456"}))
	eventually(t, func() bool {
		return short.do("GET", short.http+"/api/control_planes", nil, "Cookie: keptn_session="+c.Value).status == 401
	})
}

func TestBadUsersFileIsAClearError(t *testing.T) {
	p := filepath.Join(t.TempDir(), "users.yaml")
	for _, content := range []string{
		"users:\n  - username: ada\n    password_hash: plain\n",
		"users:\n  - password_hash: x\n",
		"users:\n  - username: ada\n    pasword_hash: x\n",
	} {
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := gateway.New(gateway.Config{UsersFile: p, DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0"})
		if err == nil || !strings.Contains(err.Error(), "users file") {
			t.Errorf("%q: err = %v", content, err)
		}
	}
}
