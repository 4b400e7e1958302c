package conformance

import (
	. "github.com/onsi/ginkgo/v2"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/report"
)

// The token matrix: every operation the specs protect with x-token, against every wrong way of
// presenting the token, and unauthenticated requests that are wrong in other ways as well.
var _ = Describe("Authentication", Label(report.ProfileLabel+cases.ProfileAuth), func() {
	matrix, err := cases.TokenMatrix()
	if err != nil {
		panic(err)
	}
	for _, a := range matrix {
		op, _ := cases.Operation(a.Op)
		vs := append(cases.TokenVariants(), cases.AuthFirstVariants(op)...)
		It(a.Name(), Label("Op:"+a.Op), func(ctx SpecContext) {
			w, cleanup, err := env.Build(ctx, a.Base.Needs)
			if err != nil {
				setupFailed(err)
			}
			DeferCleanup(cleanup)
			res, _, err := env.RunAuth(ctx, env.Base, a, w, vs)
			noSuiteBug(err)
			check(res)
		})
	}
})
