package conformance

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/profiles"
	"github.com/keptn-conformance/keptn-conformance/conformance/report"
	"github.com/keptn-conformance/keptn-conformance/conformance/target"
)

// The TLS gateway: its listeners, its default and custom certificates, its posture. Core checks
// are required; extended ones (Profile:TLSExtended) are reported, like Gateway API's levels.
var _ = Describe("TLS", func() {
	BeforeEach(func() {
		if tgt.Desc.HTTPS == "" {
			Skip(tgt.MissingReason(target.CapHTTPS))
		}
		capabilityBroken(target.CapHTTPS)
	})

	for _, c := range profiles.TLSChecks() {
		args := []any{Label(report.ProfileLabel + c.Profile())}
		if c.Swap {
			args = append(args, disruptive())
		}
		args = append(args, func(ctx SpecContext) {
			e := envOf(ctx, c.Swap)
			res, err := c.Run(ctx, e)
			noSuiteBug(err)
			check(res)
		})
		It(c.Name(), args...)
	}

	// Both listeners enforce authentication identically: the token matrix over the listener the
	// Auth profile did not use; in strict mode, plain HTTP redirects every such request unread.
	matrix, err := cases.TokenMatrix()
	if err != nil {
		panic(err)
	}
	for _, a := range matrix {
		It(a.ListenersName(), Label(report.ProfileLabel+cases.ProfileTLS, "Op:"+a.Op), func(ctx SpecContext) {
			w, cleanup, err := env.Build(ctx, a.Base.Needs)
			if err != nil {
				setupFailed(err)
			}
			DeferCleanup(cleanup)
			op, _ := cases.Operation(a.Op)
			variants := append(cases.TokenVariants(), cases.AuthFirstVariants(op)...)
			var res cases.Result
			if tgt.Desc.StrictHTTPS {
				res, err = profiles.RunRedirects(env, ctx, a, w, variants)
			} else {
				res, _, err = env.RunAuth(ctx, tgt.Desc.HTTPS, a, w, variants)
			}
			noSuiteBug(err)
			check(res)
		})
	}
})
