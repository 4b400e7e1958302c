package selftest

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/conformance/profiles"
	"github.com/keptn-conformance/keptn-conformance/conformance/report"
)

// suiteBinary is the conformance suite, keptn-conformance, built once for every run of this test.
var suiteBinary string

// runsPerCPU is how many suite runs go at a time per CPU, unless go test's -parallel says: every
// suite run is a parallel test, a process of the suite against a gateway in this one, and waits
// on HTTP and on the suite's deliberate waits much of its time (on two cores, idle: 6 at a time
// 92-102 s, 4 at a time 110 s, 8 at a time 98 s).
const runsPerCPU = 3

func TestMain(m *testing.M) {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	size := runsPerCPU * runtime.GOMAXPROCS(0)
	if given {
		size, _ = strconv.Atoi(flag.Lookup("test.parallel").Value.String())
	}
	// The reference gateways of the runs serve in this process: their heaps are small and
	// short-lived, so collect at five times the live heap (GOGC=400), as the suite's workers do,
	// unless GOGC says otherwise.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	// The runs' own pool bounds them (longest first); go test's would start them in any order.
	runs = newPool(size)
	_ = flag.Set("test.parallel", "1000")
	dir, err := os.MkdirTemp("", "keptn-conformance-selftest-")
	if err != nil {
		panic(err)
	}
	suiteBinary = filepath.Join(dir, "keptn-conformance")
	build := exec.Command("go", "build", "-o", suiteBinary, "../../cmd/keptn-conformance")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the suite: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// The suite passes the reference gateway: every core profile in full, nothing failed anywhere;
// in its default mode the only skip is the strict-mode check, and in strict mode nothing is skipped.
// These are the longest runs: on parallel processes, as a certification runs.
func TestReferenceGatewayPasses(t *testing.T) {
	t.Parallel()
	for _, mode := range []struct {
		name   string
		opts   Options
		labels string
	}{
		{"default mode", Options{Procs: 4}, ""},
		{"strict mode", Options{Strict: true, Procs: 2}, ""},
	} {
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			defer runs.take(expectedSeconds(mode.labels, mode.opts.Procs), mostlyWaiting(mode.labels))()
			h, err := Start(t.TempDir(), nil, mode.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			o, err := RunSuite(ctx, suiteBinary, h, mode.labels, "reference gateway, "+mode.name)
			if err != nil {
				t.Fatal(err)
			}
			if !o.Report.Run.Succeeded || o.Report.Checks.Failed > 0 {
				t.Fatalf("the suite fails the reference gateway: %v\n%s", o.FailedChecks(), tail(o.Output, 80))
			}
			for _, p := range o.Report.Profiles {
				strictSkip := p.Name == "TLSExtended" && !mode.opts.Strict && p.Skipped == 1
				if p.Result != report.Success && !strictSkip {
					t.Errorf("profile %s: %s (skipped: %v)", p.Name, p.Result, p.SkipReasons)
				}
			}
			if mode.labels == "" {
				// The reference gateway promises a rotation without a lost request: held to 0,
				// whatever grade the check has for an arbitrary installation.
				lost, found := 0.0, false
				for _, m := range o.Report.Measurements {
					if m.Profile == "TokenRotation" && m.Name == cases.MeasureLoadLost {
						lost, found = m.Value, true
					}
				}
				if !found || lost != 0 {
					t.Errorf("requests lost during the rotation: %v (measured: %v), want 0", lost, found)
				}
			}
			t.Logf("%d checks passed in %.1fs (the suite's CPU: %.1fs)", o.Report.Checks.Passed, o.Report.DurationSeconds, o.CPU.Seconds())
		})
	}
}

// Every fault of the catalogue makes the suite fail, in the check the fault violates.
func TestEveryFaultIsCaught(t *testing.T) {
	t.Parallel()
	faults := Faults()
	if len(faults) < 20 {
		t.Fatalf("only %d faults; the catalogue needs at least 20", len(faults))
	}
	for _, f := range faults {
		t.Run(f.Name, func(t *testing.T) {
			t.Parallel()
			// A run of the session profile waits out a session's expiry: on two processes, the
			// profile's other specs go meanwhile.
			procs := 1
			if strings.Contains(f.Labels, "Profile:Session") {
				procs = 2
			}
			defer runs.take(expectedSeconds(f.Labels, procs), mostlyWaiting(f.Labels))()
			h, err := Start(t.TempDir(), &f, Options{Procs: procs})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			o, err := RunSuite(ctx, suiteBinary, h, f.Labels, "reference gateway with a fault: "+f.Name)
			if err != nil {
				t.Fatal(err)
			}
			failed := o.FailedChecks()
			// Caught in the check it violates, at the level the fault says (by default, at
			// whatever level the suite grades that check); a SHOULD fault fails no MUST check.
			levels := o.CaughtBy(f.Check)
			switch {
			case o.Report.Checks.Failed == 0:
				t.Fatalf("the suite did not catch it (%d checks passed with labels %q)\n%s", o.Report.Checks.Passed, f.Labels, tail(o.Output, 40))
			case failed[f.Check] == 0 || len(levels) == 0:
				t.Fatalf("the suite failed, but not in the %s check: %v\n%s", f.Check, failed, tail(o.Output, 60))
			case f.Level != "" && !slices.Contains(levels, f.Level):
				t.Fatalf("the suite caught it in %s, but at %v, not at %s", f.Check, levels, f.Level)
			case f.Level == grade.Should && len(o.FailedAt(grade.Must)) > 0:
				t.Fatalf("a SHOULD fault failed MUST checks: %v", o.FailedAt(grade.Must))
			}
			t.Logf("caught by %d failed specs; checks %v (in %.1fs; the suite's CPU: %.1fs)", o.Report.Checks.Failed, failed, o.Report.DurationSeconds, o.CPU.Seconds())
		})
	}
}

// Every check the suite has is shown to fail on a gateway that violates it: some fault of the
// catalogue is caught by it.
func TestEveryCheckHasAFault(t *testing.T) {
	covered := map[string]bool{}
	for _, f := range Faults() {
		covered[f.Check] = true
	}
	for _, c := range profiles.Checks {
		if !covered[c] {
			t.Errorf("no fault shows that check %q can fail", c)
		}
	}
}

// Every behaviour upstream permits passes every MUST check: the suite fails no conforming gateway
// (its SHOULD checks may find the variant wanting; those findings are logged).
func TestEveryVariantPassesEveryMust(t *testing.T) {
	t.Parallel()
	for _, v := range Variants() {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			defer runs.take(expectedSeconds(v.Labels, 4), mostlyWaiting(v.Labels))()
			// On parallel processes: a variant runs broad label filters, and one of them (the
			// asynchronous lifecycle) waits out many of the suite's waits.
			h, err := Start(t.TempDir(), v.Fault(), Options{Procs: 4})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			o, err := RunSuite(ctx, suiteBinary, h, v.Labels, "reference gateway with a permitted variant: "+v.Name)
			if err != nil {
				t.Fatal(err)
			}
			if o.Report.Checks.Passed == 0 {
				t.Fatalf("no check ran with labels %q\n%s", v.Labels, tail(o.Output, 40))
			}
			if must := o.FailedAt(grade.Must); len(must) > 0 {
				t.Fatalf("the suite fails a permitted variant at MUST:\n  %s\n%s", strings.Join(must, "\n  "), tail(o.Output, 80))
			}
			skipped := map[string]int{}
			for _, p := range o.Report.Profiles {
				for why, n := range p.SkipReasons {
					skipped[why] += n
				}
			}
			t.Logf("%d checks passed in %.1fs (the suite's CPU: %.1fs); skipped: %v; SHOULD findings: %d %v", o.Report.Checks.Passed, o.Report.DurationSeconds, o.CPU.Seconds(), skipped, len(o.FailedAt(grade.Should)), o.FailedAt(grade.Should))
		})
	}
}

// neverShown is a stand-in for a broken installation: it accepts the token and every project it
// is asked to create, and never shows one.
var neverShown = Fault{Name: "created projects never appear",
	Wrap: func(next http.Handler, h *Harness) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == "POST" && r.URL.Path == "/api/v1/project" && r.Header.Get("x-token") == h.currentToken() {
				writeJSON(w, http.StatusOK, map[string]string{"keptnContext": uuid(), "token": uuid()})
				return
			}
			next.ServeHTTP(w, r)
		})
	}}

// A target whose created projects never appear is reported after one wait, with one cause: the
// first world that could not be built; every later world that needs a project fails at once,
// citing it. SELFTEST_DEFAULT_PATIENCE=1 runs it with the suite's default waits, to measure that.
func TestBrokenWorldIsReportedAtOnce(t *testing.T) {
	t.Parallel()
	defer runs.take(expectedSeconds("Profile:Core", 1), mostlyWaiting("Profile:Core"))()
	h, err := Start(t.TempDir(), &neverShown, Options{DefaultPatience: os.Getenv("SELFTEST_DEFAULT_PATIENCE") != ""})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	o, err := RunSuite(ctx, suiteBinary, h, "Profile:Core || Profile:Auth", "reference gateway with a fault: "+neverShown.Name)
	if err != nil {
		t.Fatal(err)
	}
	waited := strings.Count(o.Output, "did not appear within") - strings.Count(o.Output, "set-up not tried")
	fast := strings.Count(o.Output, "set-up not tried: an earlier world could not be built")
	if o.Report.Checks.Failed == 0 || fast == 0 {
		t.Fatalf("the broken world was not reported at once (%d failed, %d at once)\n%s", o.Report.Checks.Failed, fast, tail(o.Output, 60))
	}
	t.Logf("%d checks failed (%d set-ups not tried, citing the first failure; %d waited) in %.1fs", o.Report.Checks.Failed, fast, waited, o.Report.DurationSeconds)
}
