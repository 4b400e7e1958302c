package conformance

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/profiles"
	"github.com/keptn-conformance/keptn-conformance/conformance/report"
)

// Konnect-style session login: the session API's contract, and the session's security.
var _ = Describe("Session login", Label(report.ProfileLabel+cases.ProfileSession), func() {
	BeforeEach(requireSession)

	Describe("operations", func() {
		specCases(cases.ProfileSession)
	})

	Describe("security", func() {
		for _, sc := range profiles.SessionChecks() {
			args := []any{waitsFirst(sc)}
			if sc.Feature != "" {
				args = append(args, Label("Feature:"+sc.Feature))
			}
			It(sc.Name(), append(args, func(ctx SpecContext) {
				res, err := sc.Run(ctx, env, env.Base)
				noSuiteBug(err)
				check(res)
			})...)
		}
	})
})

// waitsFirst starts a check that waits out a delay (cases.Check.Waits) before the others, the
// disruptive ones included, so that its wait overlaps them instead of ending the run.
func waitsFirst(c cases.Check) SpecPriority {
	if c.Waits {
		return SpecPriority(2)
	}
	return SpecPriority(0)
}
