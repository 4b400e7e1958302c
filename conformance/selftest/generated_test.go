package selftest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// reproducer is a failure's curl line in the suite's output.
var reproducer = regexp.MustCompile(`(?m)^\s*reproduce: (curl .*)$`)

// A generated failure replays exactly with its seed, and its curl command, pasted into a shell,
// gets the failing answer again (the token read from $KEPTN_API_TOKEN).
func TestGeneratedFailureReplaysAndReproduces(t *testing.T) {
	var fault *Fault
	for _, f := range generatedFaults() {
		if strings.HasPrefix(f.Name, "a 500 at a numeric boundary") {
			fault = &f
		}
	}
	if fault == nil {
		t.Fatal("no boundary fault in the catalogue")
	}
	h, err := Start(t.TempDir(), fault, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	run := func(name string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		args := append([]string{"--no-color", "--label-filter=Feature:Generated && Op:getProjects", "--seed=4242", "--examples=100"},
			h.Args(filepath.Join(h.Dir, name), "boundary fault")...)
		out, _ := exec.CommandContext(ctx, suiteBinary, args...).CombinedOutput()
		return string(out)
	}
	first, second := run("first"), run("second")
	m1, m2 := reproducer.FindStringSubmatch(first), reproducer.FindStringSubmatch(second)
	if m1 == nil || m2 == nil {
		t.Fatalf("no reproducer in the failure:\n%s", tail(first, 60))
	}
	if m1[1] != m2[1] {
		t.Fatalf("--seed=4242 did not replay the run: the minimal failures differ:\n%s\n%s", m1[1], m2[1])
	}
	if strings.Contains(m1[1], h.Token) {
		t.Fatalf("the reproducer shows the token: %s", m1[1])
	}
	cmd := exec.Command("sh", "-c", m1[1])
	cmd.Env = append(os.Environ(), "KEPTN_API_TOKEN="+h.Token)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", m1[1], err, out)
	}
	if status, _, _ := strings.Cut(string(out), "\r\n"); status != "HTTP/1.1 500 Internal Server Error" {
		t.Fatalf("the reproducer got %q, not the failing 500:\n%s", status, out)
	}
	t.Logf("reproduced: %s", m1[1])
}
