package gateway_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/keptn-conformance/keptn-conformance/gateway"
)

// The settings for tests (the conformance suite's embedded gateway and self-test): each changes
// what it says, and only when set.

// cheapUsersFile is a users file with one user whose password is hashed at bcrypt's least cost.
func cheapUsersFile(t *testing.T, username, password string) string {
	t.Helper()
	h, err := gateway.HashPasswordCost(password, bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := bcrypt.Cost([]byte(h)); c != bcrypt.MinCost {
		t.Fatalf("HashPasswordCost made a hash of cost %d, want %d", c, bcrypt.MinCost)
	}
	p := filepath.Join(t.TempDir(), "users.yaml")
	if err := os.WriteFile(p, []byte("users:\n  - username: "+username+"\n    password_hash: \""+h+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMinBcryptCostAdmitsCheaperHashes(t *testing.T) {
	p := cheapUsersFile(t, "ada", "pw-123456")
	// By default a cheap hash is refused.
	if _, err := gateway.New(gateway.Config{UsersFile: p, DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0"}); err == nil || !strings.Contains(err.Error(), "bcrypt cost 4 is below 10") {
		t.Errorf("a users file of cost %d by default: err = %v, want it refused", bcrypt.MinCost, err)
	}
	g := start(t, gateway.Config{UsersFile: p, MinBcryptCost: bcrypt.MinCost})
	expect(t, g.do("POST", g.http+"/api/auth", map[string]string{"username": "ada", "password": "pw-123456"}), http.StatusOK)
	expect(t, g.do("POST", g.http+"/api/auth", map[string]string{"username": "ada", "password": "wrong"}), http.StatusUnauthorized)
	expect(t, g.do("POST", g.http+"/api/auth", map[string]string{"username": "nobody", "password": "wrong"}), http.StatusUnauthorized)
	if _, err := gateway.New(gateway.Config{UsersFile: p, DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", MinBcryptCost: 2}); err == nil {
		t.Error("a least bcrypt cost of 2 (below bcrypt's least) was taken")
	}
}

func TestThrottleBackoffIsTheFirstRefusal(t *testing.T) {
	g := start(t, gateway.Config{UsersFile: cheapUsersFile(t, "ada", "pw-123456"), MinBcryptCost: bcrypt.MinCost, ThrottleBackoff: time.Second})
	login := func(pw string) resp {
		return g.do("POST", g.http+"/api/auth", map[string]string{"username": "ada", "password": pw})
	}
	var got []int
	for range 6 {
		got = append(got, login("wrong").status)
	}
	if fmt.Sprint(got) != "[401 401 401 401 401 429]" {
		t.Fatalf("six wrong passwords: %v, want the 6th refused with 429", got)
	}
	if p := login("pw-123456"); p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") != "1" {
		t.Fatalf("the right password while throttled: %d, Retry-After %v, want 429 with Retry-After: 1", p.status, p.header.Values("Retry-After"))
	}
}

func TestNoSyncStoresSurviveARestart(t *testing.T) {
	g := start(t, gateway.Config{NoSync: true})
	expect(t, g.api("POST", "/api/v1/project", map[string]string{"name": "kept", "shipyard": b64("stages:\n  - name: dev\n")}), 200)
	g = g.restart()
	eventually(t, func() bool { return g.api("GET", "/api/configuration-service/v1/project/kept", nil).status == 200 })
}
