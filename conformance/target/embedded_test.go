package target

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A gateway of a spec's own (Isolated) is another instance than the run's: its own listeners,
// token and files (its session user is the process's); its restart restarts it, not the run's; its stop removes it.
// In every embedded topology.
func TestIsolatedGatewayIsAnInstanceOfItsOwn(t *testing.T) {
	for _, topology := range []string{TopologyAll, TopologySplit, TopologyReplicas} {
		t.Run(topology, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cfg := Config{Target: KindEmbedded, EmbeddedTopology: topology, ArtifactsDir: t.TempDir()}
			if !cfg.Isolates() {
				t.Fatal("the embedded target does not isolate")
			}
			run, teardown, err := Setup(ctx, cfg)
			defer teardown()
			if err != nil {
				t.Fatal(err)
			}
			own, stop, err := Isolated(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			d := own.Desc
			if d.HTTP == run.HTTP || d.HTTPS == run.HTTPS || d.Token == run.Token || d.TokenStore.File == run.TokenStore.File ||
				d.CertStore.File == run.CertStore.File {
				t.Fatalf("the isolated gateway shares the run's listeners or secrets: %+v", d)
			}
			if _, err := os.Stat(filepath.Join(cfg.ArtifactsDir, "isolated")); err != nil {
				t.Errorf("no log of the isolated gateway: %v", err)
			}
			if err := own.Restarts.Restart(ctx); err != nil {
				t.Fatalf("restarting the isolated gateway: %v", err)
			}
			if err := preflight(ctx, &d); err != nil {
				t.Errorf("the isolated gateway after its restart: %v", err)
			}
			stop()
			if _, err := http.Get(d.HTTP + "/api/v1/metadata"); err == nil {
				t.Error("the isolated gateway still answers after its stop")
			}
			if err := preflight(ctx, run); err != nil {
				t.Errorf("the run's gateway after the isolated one's restart and stop: %v", err)
			}
		})
	}
}

// The replicas topology is one installation: a session made at login is honoured by whichever
// replica the balancer sends the next request to (it takes turns), and so is a logout.
func TestReplicasShareTheirSessions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, teardown, err := Setup(ctx, Config{Target: KindEmbedded, EmbeddedTopology: TopologyReplicas, ArtifactsDir: t.TempDir()})
	defer teardown()
	if err != nil {
		t.Fatal(err)
	}
	body := strings.NewReader(`{"username": "` + run.Session.Username + `", "password": "` + run.Session.Password + `"}`)
	resp, err := http.Post(run.HTTP+"/api/auth", "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(resp.Cookies()) == 0 {
		t.Fatalf("login: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	cookie := resp.Cookies()[0]
	call := func(method string) int {
		req, _ := http.NewRequestWithContext(ctx, method, run.HTTP+map[string]string{"GET": "/api/control_planes", "DELETE": "/api/auth"}[method], nil)
		req.AddCookie(cookie)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 4 { // both replicas, twice
		if got := call("GET"); got != http.StatusOK {
			t.Fatalf("request %d with the session: %d, want 200", i+1, got)
		}
	}
	if got := call("DELETE"); got != http.StatusNoContent {
		t.Fatalf("logout: %d, want 204", got)
	}
	for i := range 2 {
		if got := call("GET"); got != http.StatusUnauthorized {
			t.Fatalf("request %d after the logout: %d, want 401", i+1, got)
		}
	}
}
