// The conformance suite for the Keptn API gateway. It certifies a target (the reference gateway in
// process by default; any installation with --target=external; a kind cluster with --target=kind)
// against specs/, profile by profile, and writes the reports to the artifacts directory.
//
//	go run github.com/onsi/ginkgo/v2/ginkgo -p ./suites/conformance -- --target=external --endpoint=... --token=...
package conformance_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/reporters"
	. "github.com/onsi/gomega"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/report"
	"github.com/keptn-conformance/keptn-conformance/conformance/target"
)

var (
	cfg     target.Config
	flagErr = cfg.RegisterFlags(flag.CommandLine)

	desc     *target.Description // the target, in every process
	tgt      *target.Target
	env      *cases.Env
	teardown = func() {}
)

func TestConformance(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Keptn API gateway conformance")
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
	var err error
	desc, err = target.Decode(data)
	Expect(err).NotTo(HaveOccurred())
	tgt, err = target.Connect(desc)
	Expect(err).NotTo(HaveOccurred())
	env = &cases.Env{Target: tgt, Base: tgt.Base(), Timeout: cfg.EventuallyTimeout, Interval: cfg.EventuallyInterval, SwapMax: cfg.CertSwapMax,
		Load: cases.Load{Rate: cfg.LoadRate, Duration: cfg.LoadDuration, RotationMax: cfg.RotationMax}}
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

var _ = SynchronizedAfterSuite(func() {}, func() { teardown() })

var _ = ReportAfterSuite("conformance report", func(r Report) {
	cfg.Resolve()
	dir := cfg.ArtifactsDir
	Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
	Expect(reporters.GenerateJUnitReport(r, filepath.Join(dir, "junit.xml"))).To(Succeed())
	Expect(reporters.GenerateJSONReport(r, filepath.Join(dir, "ginkgo-report.json"))).To(Succeed())
	rep, err := report.Build(r, desc)
	Expect(err).NotTo(HaveOccurred())
	Expect(report.Write(dir, rep)).To(Succeed())
	fmt.Fprint(os.Stdout, report.Summary(rep, dir))
})

// check records what a case or check exercised and fails the spec with its problems.
func check(res cases.Result) {
	if res.Skip != "" {
		Skip(res.Skip)
	}
	for _, f := range res.Figures {
		measureIn(profileOf(), f.Name, f.Value, f.Unit, f.Limit)
	}
	AddReportEntry(report.EntryExercised, res.Exercised(), ReportEntryVisibilityNever)
	if res.Failed() {
		AddReportEntry(report.EntryChecks, res.Checks(), ReportEntryVisibilityNever)
		Fail(res.Report())
	}
}

// setupFailed fails a spec whose state could not be built: the gateway failed an operation the
// case depends on.
func setupFailed(err error) {
	AddReportEntry(report.EntryChecks, []string{"set-up"}, ReportEntryVisibilityNever)
	Fail(err.Error())
}

// runCase builds the world a case needs, runs it, and removes the world afterwards.
func runCase(ctx SpecContext, c cases.Case) {
	w, cleanup, err := env.Build(ctx, c.Needs)
	if err != nil {
		setupFailed(err)
	}
	DeferCleanup(cleanup)
	res, err := env.Run(ctx, c, w)
	Expect(err).NotTo(HaveOccurred(), "a bug in the suite, not in the gateway")
	check(res)
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
