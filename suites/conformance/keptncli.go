package conformance

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/profiles"
	"github.com/keptn-conformance/keptn-conformance/conformance/report"
)

// What the keptn CLI 0.7.x relies on beyond the specs (extended: reported, not required).
var _ = Describe("keptn CLI 0.7.x", Label(report.ProfileLabel+cases.ProfileKeptnCLI), func() {
	for _, c := range profiles.CLIChecks() {
		It(c.Name(), func(ctx SpecContext) {
			res, err := c.Run(ctx, env, env.Base)
			noSuiteBug(err)
			check(res)
		})
	}
})
