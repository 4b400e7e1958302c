// Package conformance is the conformance suite for the Keptn API gateway: its specs, declared at
// init. It certifies a target (the reference gateway in process by default; any installation with
// --target=external; a kind cluster with --target=kind) against specs/, profile by profile, and
// writes the reports to the artifacts directory. It runs as `go test` (suite_test.go) or as the
// keptn-conformance binary (cmd/keptn-conformance):
//
//	keptn-conformance --procs=4 --target=external --endpoint=... --token=...
//	go run github.com/onsi/ginkgo/v2/ginkgo -p ./suites/conformance -- --target=external --endpoint=... --token=...
package conformance

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/conformance/profiles"
	"github.com/keptn-conformance/keptn-conformance/conformance/report"
	"github.com/keptn-conformance/keptn-conformance/conformance/specsource"
	"github.com/keptn-conformance/keptn-conformance/conformance/target"
)

var (
	cfg     target.Config
	meta    report.Metadata // the certifier's: organization, URL, contacts, version
	flagErr = errors.Join(cfg.RegisterFlags(flag.CommandLine), meta.RegisterFlags(flag.CommandLine))

	desc     *target.Description // the target, in every process
	tgt      *target.Target
	env      *cases.Env
	teardown = func() {}
)

// Run runs the suite's specs with the flags on flag.CommandLine (parsed by the caller); false
// when a spec failed.
func Run(t GinkgoTestingT) bool {
	RegisterFailHandler(Fail)
	return RunSpecs(t, "Keptn API gateway conformance")
}

var _ = SynchronizedBeforeSuite(func(ctx SpecContext) []byte {
	// ctx ends on Ctrl-C, so an interrupted set-up stops and tears down what it made.
	if flagErr != nil {
		Fail(flagErr.Error())
	}
	cfg.Resolve()
	sctx, cancel := context.WithTimeout(ctx, cfg.SetupTimeout)
	defer cancel()
	d, td, err := target.Setup(sctx, cfg)
	if err != nil {
		Fail("the target cannot be certified: " + err.Error())
	}
	teardown = td
	fmt.Fprintf(GinkgoWriter, "target %s: %s %s, HTTP %s, HTTPS %s (random seed %d)\n", d.Kind, d.Implementation.Name,
		d.Implementation.Version, d.HTTP, d.HTTPS, GinkgoRandomSeed())
	return d.Encode()
}, func(data []byte) {
	cfg.Resolve() // every process: the embedded target's waits
	var err error
	desc, err = target.Decode(data)
	Expect(err).NotTo(HaveOccurred())
	tgt, err = target.Connect(desc)
	Expect(err).NotTo(HaveOccurred())
	env = newEnv(tgt)
	if desc.Kubeconfig != "" {
		// On a cluster, the first failure of each process leaves the pods, events and logs behind.
		var once sync.Once
		DeferOnFailure(func(ctx SpecContext) {
			once.Do(func() {
				dir := filepath.Join(cfg.ArtifactsDir, "diagnostics", fmt.Sprintf("process-%d", GinkgoParallelProcess()))
				if err := tgt.Diagnose(ctx, dir); err != nil {
					fmt.Fprintf(GinkgoWriter, "collecting diagnostics: %v\n", err)
				}
			})
		})
	}
})

var _ = SynchronizedAfterSuite(func() {
	if tgt != nil {
		tgt.CloseIdleConnections()
	}
}, func() { teardown() })

// newEnv is the environment the suite's cases run in on t.
func newEnv(t *target.Target) *cases.Env {
	return &cases.Env{Target: t, Base: t.Base(), Timeout: cfg.EventuallyTimeout, Interval: cfg.EventuallyInterval, SwapMax: cfg.CertSwapMax,
		Load: cases.Load{Rate: cfg.LoadRate, Duration: cfg.LoadDuration, RotationMax: cfg.RotationMax}, InFlightWindow: cfg.InFlightWindow}
}

// disruptive are the decorators of a spec that disturbs the gateway for every other spec (a
// restart, a token rotation, a certificate swap, a locked-out user, oversized bodies, the bridge
// credentials). On a target that starts a gateway of its own for one spec (the embedded one,
// target.Config.Isolates) the spec runs on that gateway (own), beside the others, and before them
// (its waits then overlap their work); on any other target it runs alone (Serial), after the rest.
// They depend on --target: an It's, inside a container's body, which Ginkgo runs once the flags
// are parsed (a top-level Describe's own decorators are evaluated at init, before).
func disruptive() []any {
	if cfg.Isolates() {
		return []any{SpecPriority(1)}
	}
	return []any{Serial}
}

// envOf is the environment of a spec declared disruptive or not (disruptive()): its own (own)
// or the run's.
func envOf(ctx SpecContext, disrupts bool) *cases.Env {
	if !disrupts {
		return env
	}
	_, e := own(ctx)
	return e
}

// own is the target and environment a disruptive spec works on: a gateway of its own, started
// for the spec and removed after it, where the target isolates; the run's target elsewhere.
func own(ctx SpecContext) (*target.Target, *cases.Env) {
	if !cfg.Isolates() {
		return tgt, env
	}
	t, stop, err := target.Isolated(ctx, cfg)
	if err != nil {
		setupFailed(err)
	}
	DeferCleanup(stop)
	return t, newEnv(t)
}

// A spec of an operation the target's layout has no route for (Keptn 0.6: no mongodb-datastore),
// or of the keptn CLI 0.7.x on another layout, does not apply to the target: it is skipped,
// saying why. A check that finds so only on its way (a probe or set-up through such a route)
// is skipped the same way (setupFailed, noSuiteBug).
var _ = BeforeEach(func() {
	if tgt == nil {
		return
	}
	layout := tgt.Layout()
	if profileOf() == cases.ProfileKeptnCLI && layout.Name != specsource.Layout07.Name {
		Skip("the keptn CLI 0.7.x speaks Keptn 0.7's layout: it puts /api on an endpoint given without a path (facts §8)")
	}
	for _, l := range CurrentSpecReport().Labels() {
		if id, ok := strings.CutPrefix(l, "Op:"); ok {
			op, err := cases.Operation(id)
			Expect(err).NotTo(HaveOccurred())
			if _, err := layout.Path(op.FullPath()); err != nil {
				Skip(specsource.Absent(err))
			}
		}
	}
})

// noSuiteBug fails a spec on an error of the suite itself (err is never the gateway's fault),
// but skips it when err says it needs a route the target's layout does not have.
func noSuiteBug(err error) {
	if why := specsource.Absent(err); why != "" {
		Skip(why)
	}
	Expect(err).NotTo(HaveOccurred(), "a bug in the suite, not in the gateway")
}

var _ = ReportAfterSuite("conformance report", func(r Report) {
	cfg.Resolve()
	dir := cfg.ArtifactsDir
	Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
	// A skipped spec's JUnit entry says why (its message); the timeline Ginkgo would render for
	// each of them (a filtered run's hundreds) adds nothing and was a tenth of a short run's CPU.
	junit := reporters.JunitReportConfig{OmitTimelinesForSpecState: types.SpecStateSkipped | types.SpecStatePending}
	Expect(reporters.GenerateJUnitReportWithConfig(r, filepath.Join(dir, "junit.xml"), junit)).To(Succeed())
	Expect(writeGinkgoReport(r, filepath.Join(dir, "ginkgo-report.json"))).To(Succeed())
	d := desc
	if d == nil {
		// The target could not be set up: the report still names what was to be certified.
		d = &target.Description{Implementation: target.Implementation{Name: cmp.Or(cfg.Implementation, "unnamed Keptn API gateway"), Target: cfg.Target,
			Endpoint: cmp.Or(cfg.Endpoint, cfg.HTTPSEndpoint)}}
	}
	rep, err := report.Build(r, d, meta)
	Expect(err).NotTo(HaveOccurred())
	if tgt != nil {
		rep.Drift = specDrift()
	}
	Expect(report.Write(dir, rep)).To(Succeed())
	fmt.Fprint(os.Stdout, report.Summary(rep, dir))
})

// writeGinkgoReport writes Ginkgo's JSON report of the run, as reporters.GenerateJSONReport does
// but without its indentation: the file is for programs, and indenting a full run's report (every
// spec, skipped ones too) was a third of writing it.
func writeGinkgoReport(r Report, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(f).Encode([]Report{r}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// check records what a case or check exercised, and judges its problems by level (one spec, one
// level; see cases.Declared): the problems of a MUST spec fail it; those of a SHOULD spec, and the
// SHOULD problems a MUST spec found, are findings: recorded for the report, never a failed spec.
func check(res cases.Result) {
	if res.Skip != "" {
		Skip(res.Skip)
	}
	if why := res.Unimplemented(tgt.Token()); why != "" && profileOf() == cases.ProfileCore {
		Skip(why)
	}
	for _, f := range res.Figures {
		measureIn(profileOf(), f.Name, f.Value, f.Unit, f.Limit)
	}
	AddReportEntry(report.EntryExercised, res.Exercised(), ReportEntryVisibilityNever)
	judge(res.Problems, res.Report)
}

// judge records a spec's problems by grade and fails the spec when one of them is of its own
// level and that level is MUST; SHOULD problems are findings, logged and reported, never a failure.
func judge(problems []contract.Problem, message func() string) {
	own, ok, err := profiles.GradeOf(profileOf(), CurrentSpecReport().LeafNodeText)
	Expect(err).NotTo(HaveOccurred())
	Expect(ok).To(BeTrue(), "a bug in the suite: this spec is not declared in profiles.Declarations")
	var ownProblems []contract.Problem
	findings := map[grade.Grade][]contract.Problem{}
	for _, p := range problems {
		// A problem's own grade only weakens its spec's: a MUST spec's SHOULD problems are findings.
		if p.Grade.Level != grade.Should || own.Level == grade.Should {
			ownProblems = append(ownProblems, p)
		} else {
			findings[p.Grade] = append(findings[p.Grade], p)
		}
	}
	for g, ps := range findings {
		recordOutcome(g, ps)
	}
	if len(ownProblems) > 0 {
		recordOutcome(grade.Grade{}, ownProblems)
		if own.Level == grade.Must {
			Fail(message())
		}
	}
	if len(problems) > 0 {
		fmt.Fprintf(GinkgoWriter, "SHOULD findings:\n%s", message())
	}
}

// recordOutcome records problems of a spec for the report: its own (g zero) or findings of grade g.
func recordOutcome(g grade.Grade, problems []contract.Problem) {
	o := report.Outcome{Grade: g}
	lines := make([]string, len(problems))
	for i, p := range problems {
		lines[i] = p.String()
		if !slices.Contains(o.Checks, p.Check) {
			o.Checks = append(o.Checks, p.Check)
		}
	}
	o.Message = strings.Join(lines, "\n")
	AddReportEntry(report.EntryOutcome, o, ReportEntryVisibilityNever)
}

// setupFailed fails a spec whose state could not be built: the gateway failed an operation the
// case depends on. A state built through a route the target's layout does not have is no failure:
// the spec is skipped, saying why.
func setupFailed(err error) {
	if why := cmp.Or(specsource.Absent(err), cases.SetupNotImplemented(err, tgt.Token())); why != "" {
		Skip(why)
	}
	AddReportEntry(report.EntryOutcome, report.Outcome{Checks: []string{"set-up"}, Message: err.Error()}, ReportEntryVisibilityNever)
	Fail(err.Error())
}

// checkBuilt is check for a check that builds its own world: err is its set-up's failure.
func checkBuilt(res cases.Result, err error) {
	if err != nil {
		setupFailed(err)
	}
	check(res)
}

// runCase builds the world a case needs in e, runs it, and removes the world afterwards.
func runCase(ctx SpecContext, e *cases.Env, c cases.Case) {
	w, cleanup, err := e.Build(ctx, c.Needs)
	if err != nil {
		setupFailed(err)
	}
	DeferCleanup(cleanup)
	res, err := e.Run(ctx, c, w)
	noSuiteBug(err)
	check(res)
}

// capabilityBroken fails a spec at once when the target was given a capability that does not
// work (found by the preflight), with that one message rather than each check's own timeout.
func capabilityBroken(capability string) {
	if r := tgt.Desc.Broken[capability]; r != "" {
		AddReportEntry(report.EntryOutcome, report.Outcome{Checks: []string{contract.CheckTransport}, Message: r}, ReportEntryVisibilityNever)
		Fail(r)
	}
}

// requireSession skips a spec when the target has no session user.
func requireSession() {
	if tgt.Desc.Session == nil {
		Skip(tgt.MissingReason(target.CapSession))
	}
}

// measureIn records a figure a profile measured.
func measureIn(profile, name string, value float64, unit string, limit float64) {
	AddReportEntry(report.EntryMeasurement, report.Measurement{Profile: profile, Name: name, Value: value, Unit: unit, Limit: limit},
		ReportEntryVisibilityNever)
}

// profileOf is the profile of the running spec (from its labels).
func profileOf() string {
	for _, l := range CurrentSpecReport().Labels() {
		if p, ok := strings.CutPrefix(l, report.ProfileLabel); ok {
			return p
		}
	}
	return ""
}

// specDrift compares the documents of --specs with the bundled ones; nil with the bundled alone,
// or when they could not be loaded (set-up has stopped the run then already, saying why).
func specDrift() *specsource.Drift {
	ctx := context.Background()
	inUse, _, err := tgt.InUse(ctx)
	if err != nil || inUse == nil {
		return nil
	}
	bundled, err := specsource.Load(ctx, specsource.Source{Kind: specsource.Bundled, Layout: tgt.Layout()}, "", nil)
	if err != nil {
		return nil
	}
	covered := map[string]bool{}
	for _, c := range cases.All() {
		covered[c.Op] = true
	}
	d := specsource.Compare(bundled, inUse, func(id string) bool { return covered[id] })
	return &d
}
