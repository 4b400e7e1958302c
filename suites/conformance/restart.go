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
// or --kubeconfig). It runs alone (Serial): the gateway is down meanwhile; on the embedded target
// Serial also puts it in the process that runs the gateway.
var _ = Describe("Restart", Label(report.ProfileLabel+cases.ProfileCore, "Feature:Restart"), Serial, func() {
	It(profiles.Restart.Name(), func(ctx SpecContext) {
		if tgt.Restarts == nil {
			Skip(tgt.MissingReason(target.CapRestart))
		}
		w, cleanup, err := env.Build(ctx, profiles.RestartNeeds)
		if err != nil {
			setupFailed(err)
		}
		DeferCleanup(cleanup)
		// Read back first, so that what fails afterwards is the restart's doing.
		before, err := profiles.ReadBack(ctx, env, w, "before the restart")
		Expect(err).NotTo(HaveOccurred(), "a bug in the suite, not in the gateway")
		if before.Failed() {
			check(before)
		}
		rctx, cancel := context.WithTimeout(ctx, target.RestartTimeout)
		defer cancel()
		start := time.Now()
		if err := tgt.Restarts.Restart(rctx); err != nil {
			check(cases.Result{Problems: []contract.Problem{cases.Problem(profiles.CheckRestartPersistence, "restarting the gateway (%s): %v", tgt.Restarts, err)}})
		}
		measureIn(cases.ProfileCore, "restart (stopped → serving the API again)", time.Since(start).Seconds(), "s", target.RestartTimeout.Seconds())
		after, err := profiles.ReadBack(ctx, env, w, "after the restart")
		Expect(err).NotTo(HaveOccurred(), "a bug in the suite, not in the gateway")
		check(after)
	})

	// A request in flight when the gateway stops is answered: the restart begins while its body
	// is still arriving.
	It(profiles.RestartInFlight.Name(), func(ctx SpecContext) {
		if tgt.Restarts == nil {
			Skip(tgt.MissingReason(target.CapRestart))
		}
		w, cleanup, err := env.Build(ctx, cases.NeedsProject)
		if err != nil {
			setupFailed(err)
		}
		DeferCleanup(cleanup)
		res, err := profiles.InFlight(ctx, env, w, tgt.Restarts.Restart)
		Expect(err).NotTo(HaveOccurred(), "a bug in the suite, not in the gateway")
		check(res)
	})
})
