package conformance

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/profiles"
	"github.com/keptn-conformance/keptn-conformance/conformance/report"
	"github.com/keptn-conformance/keptn-conformance/conformance/target"
)

// What was written is there after the gateway restarts, where the target can restart it (the
// embedded gateway in process, a kind cluster's pods, an installation through --restart-command
// or --kubeconfig). The gateway is down meanwhile: the specs are disruptive (alone, or on a
// gateway of their own).
var _ = Describe("Restart", Label(report.ProfileLabel+cases.ProfileCore, "Feature:Restart"), func() {
	It(profiles.Restart.Name(), disruptive(), func(ctx SpecContext) {
		if tgt.Restarts == nil {
			Skip(tgt.MissingReason(target.CapRestart))
		}
		t, e := own(ctx)
		w, cleanup, err := e.Build(ctx, profiles.RestartNeeds)
		if err != nil {
			setupFailed(err)
		}
		DeferCleanup(cleanup)
		// Read back first, so that what fails afterwards is the restart's doing.
		before, err := profiles.ReadBack(ctx, e, w, "before the restart")
		Expect(err).NotTo(HaveOccurred(), "a bug in the suite, not in the gateway")
		if before.Failed() {
			check(before)
		}
		rctx, cancel := context.WithTimeout(ctx, target.RestartTimeout)
		defer cancel()
		start := time.Now()
		if err := restart(t)(rctx); err != nil {
			check(cases.Result{Problems: []contract.Problem{cases.Problem(profiles.CheckRestartPersistence, "restarting the gateway (%s): %v", t.Restarts, err)}})
		}
		measureIn(cases.ProfileCore, "restart (stopped → serving the API again)", time.Since(start).Seconds(), "s", target.RestartTimeout.Seconds())
		after, err := profiles.ReadBack(ctx, e, w, "after the restart")
		Expect(err).NotTo(HaveOccurred(), "a bug in the suite, not in the gateway")
		check(after)
	})

	// A request in flight when the gateway stops is answered: the restart begins while its body
	// is still arriving.
	It(profiles.RestartInFlight.Name(), disruptive(), func(ctx SpecContext) {
		if tgt.Restarts == nil {
			Skip(tgt.MissingReason(target.CapRestart))
		}
		t, e := own(ctx)
		w, cleanup, err := e.Build(ctx, cases.NeedsProject)
		if err != nil {
			setupFailed(err)
		}
		DeferCleanup(cleanup)
		res, err := profiles.InFlight(ctx, e, w, restart(t))
		Expect(err).NotTo(HaveOccurred(), "a bug in the suite, not in the gateway")
		check(res)
	})
})

// restart restarts t's gateway, its clients' idle connections closed first: a gateway stopping
// gracefully waits for its clients to close their HTTP/2 connections (a second, in Go's server).
func restart(t *target.Target) func(context.Context) error {
	return func(ctx context.Context) error {
		t.CloseIdleConnections()
		return t.Restarts.Restart(ctx)
	}
}
