package conformance

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/keptn-conformance/keptn-conformance/conformance/profiles"
	"github.com/keptn-conformance/keptn-conformance/conformance/report"
)

// Upstream: what the gateway forwards to a backend, seen by an echo backend the target puts behind
// it (the reference gateway's echo role; --echo-prefix on an external target). Extended: reported,
// not required.
var _ = Describe("Upstream", Label(report.ProfileLabel+profiles.ProfileUpstream), func() {
	BeforeEach(func() {
		if why := profiles.EchoSkip(env); why != "" {
			Skip(why)
		}
	})
	for _, c := range profiles.EchoChecks() {
		It(c.Name(), Label("Feature:"+c.Feature), func(ctx SpecContext) {
			res, err := c.Run(ctx, env, env.Base)
			noSuiteBug(err)
			check(res)
		})
	}
})
