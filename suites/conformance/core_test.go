package conformance_test

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/specs"
)

// specCases declares an It per catalogue case of the documents selected by keep.
func specCases(keep func(doc string) bool) {
	for _, c := range cases.All() {
		op, err := cases.Operation(c.Op)
		if err != nil {
			panic(err) // the catalogue test rules this out
		}
		if !keep(op.Doc.Name) {
			continue
		}
		args := []any{Label("Op:" + c.Op)}
		if c.Negative {
			args = append(args, Label("Feature:BadInput"))
		}
		if c.Serial {
			args = append(args, Serial)
		}
		args = append(args, func(ctx SpecContext) { runCase(ctx, c) })
		It(c.Name(), args...)
	}
}

var _ = Describe("Keptn API contract", Label("Profile:Core"), func() {
	It("MUST be checked by a case for every operation and documented response of the specs", func() {
		gaps, err := cases.Gaps(cases.All())
		Expect(err).NotTo(HaveOccurred())
		Expect(gaps).To(BeEmpty(), "the suite fails closed: "+strings.Join(gaps, "; "))
	})

	Describe("operations", func() {
		specCases(func(doc string) bool { return doc != specs.Session })
	})

	Describe("gateway", func() {
		for _, rc := range cases.RouteChecks() {
			It(rc.Name(), Label("Feature:"+rc.Group), func(ctx SpecContext) {
				res, err := env.RunRoute(ctx, rc)
				Expect(err).NotTo(HaveOccurred(), "a bug in the suite, not in the gateway")
				check(res)
			})
		}
	})
})
