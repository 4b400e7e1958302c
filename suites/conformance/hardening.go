package conformance

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/keptn-conformance/keptn-conformance/conformance/profiles"
)

// Hardening: bounded work per request, login throttling, security headers. Upstream documents
// none of it, so the profile is extended (reported, not required) and its checks are SHOULDs. It
// loads the target, so it runs alone (Serial), and on other targets than the embedded one only
// with --hardening.
var _ = Describe("Hardening", Label("Profile:Hardening"), Serial, func() {
	BeforeEach(func() {
		if ok, why := profiles.HardeningEnabled(desc, cfg.Hardening); !ok {
			Skip(why)
		}
	})

	for _, c := range profiles.HardeningChecks() {
		It(c.Name(), Label("Feature:"+c.Feature), func(ctx SpecContext) {
			if c.Session {
				requireSession()
			}
			res, err := c.Run(ctx, env, env.Base)
			noSuiteBug(err)
			check(res)
		})
	}
})
