package target

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A gateway of a spec's own (Isolated) is another instance than the run's: its own listeners,
// token and files (its session user is the process's); its restart restarts it, not the run's; its stop removes it.
// In both embedded topologies.
func TestIsolatedGatewayIsAnInstanceOfItsOwn(t *testing.T) {
	for _, topology := range []string{TopologyAll, TopologySplit} {
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
