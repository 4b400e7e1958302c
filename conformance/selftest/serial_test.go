package selftest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/profiles"
)

// The specs that disturb the gateway for every other (a restart, a token rotation, ...) run alone
// (Serial) on a target that cannot give them a gateway of their own, and beside the others on the
// embedded one, which does. The choice depends on --target, so it must be made after the flags
// are parsed: a dry run of the tree on each target shows which specs Ginkgo would run alone.
func TestDisruptiveSpecsRunAloneUnlessIsolated(t *testing.T) {
	t.Parallel()
	rc := cases.RotationChecks
	disruptive := []string{profiles.Restart.Name(), profiles.RestartInFlight.Name(), rc.Reset.Name(), rc.Sessions.Name(), rc.Twice.Name(),
		rc.EmptySecret.Name(), rc.MalformedSecret.Name(), rc.Load.Name()}
	for _, c := range []struct {
		target string
		serial bool
	}{{"external", true}, {"embedded", false}} {
		dir := t.TempDir()
		report := filepath.Join(dir, "dry-run.json")
		cmd := exec.Command(suiteBinary, "--dry-run", "--no-color", "--target="+c.target, "--endpoint=http://127.0.0.1:1", "--token=t",
			"--json-report="+report, "--artifacts="+filepath.Join(dir, "artifacts"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("--target=%s --dry-run: %v\n%s", c.target, err, tail(string(out), 20))
		}
		b, err := os.ReadFile(report)
		if err != nil {
			t.Fatal(err)
		}
		var suites []struct {
			SpecReports []struct {
				LeafNodeText string
				IsSerial     bool
			}
		}
		if err := json.Unmarshal(b, &suites); err != nil || len(suites) != 1 {
			t.Fatalf("the dry run's report: %v", err)
		}
		serial := map[string]bool{}
		for _, s := range suites[0].SpecReports {
			if s.IsSerial {
				serial[s.LeafNodeText] = true
			}
		}
		for _, name := range disruptive {
			if serial[name] != c.serial {
				t.Errorf("--target=%s: %q runs alone: %v, want %v", c.target, name, serial[name], c.serial)
			}
		}
		if !c.serial && len(serial) > 0 {
			t.Errorf("--target=%s: %d specs run alone, want none (each disruptive one has a gateway of its own)", c.target, len(serial))
		}
	}
}
