package conformance

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/keptn-conformance/keptn-conformance/conformance/profiles"
)

// Hardening: bounded work per request, login throttling, security headers. Upstream documents
// none of it, so the profile is extended (reported, not required) and its checks are SHOULDs. It
// runs on other targets than the embedded one only with --hardening. Its oversized bodies load the
// target and its wrong passwords lock the session user out for a while, so those checks run alone
// (disruptive); a stalled body and the headers disturb no one, and go beside the others.
var _ = Describe("Hardening", Label("Profile:Hardening"), func() {
	BeforeEach(func() {
		if ok, why := profiles.HardeningEnabled(desc, cfg.Hardening); !ok {
			Skip(why)
		}
	})

	for _, c := range profiles.HardeningChecks() {
		args := []any{Label("Feature:" + c.Feature)}
		if alone[c.Feature] {
			args = append(args, disruptive())
		}
		It(c.Name(), append(args, func(ctx SpecContext) {
			if c.Session {
				requireSession()
			}
			e := envOf(ctx, alone[c.Feature])
			res, err := c.Run(ctx, e, e.Base)
			noSuiteBug(err)
			check(res)
		})...)
	}
})

// alone are the hardening features whose checks must run by themselves.
var alone = map[string]bool{"BodyLimit": true, "Throttle": true}
