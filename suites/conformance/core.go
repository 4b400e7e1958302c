package conformance

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/report"
)

// specCases declares an It per catalogue case of the profile.
func specCases(profile string) {
	for _, c := range cases.All() {
		if c.Profile() != profile {
			continue
		}
		args := []any{Label("Op:" + c.Op)}
		if c.Negative {
			args = append(args, Label("Feature:BadInput"))
		}
		if c.Feature != "" {
			args = append(args, Label("Feature:"+c.Feature))
		}
		if c.Serial {
			args = append(args, disruptive())
		}
		args = append(args, func(ctx SpecContext) {
			e := envOf(ctx, c.Serial)
			runCase(ctx, e, c)
		})
		It(c.Name(), args...)
	}
}

var _ = Describe("Keptn API contract", Label(report.ProfileLabel+cases.ProfileCore), func() {
	It(cases.CoverageCheck(), func() {
		gaps, err := cases.Gaps(cases.All())
		Expect(err).NotTo(HaveOccurred())
		Expect(gaps).To(BeEmpty(), "the suite fails closed: "+strings.Join(gaps, "; "))
	})

	Describe("operations", func() {
		specCases(cases.ProfileCore)
	})

	Describe("event filters", func() {
		for _, f := range cases.EventFilters() {
			It(f.Name(), Label("Op:getEvents", "Feature:EventFilters"), func(ctx SpecContext) {
				checkBuilt(env.RunEventFilter(ctx, f))
			})
		}
	})

	Describe("paging", func() {
		for _, pc := range cases.PagingChecks() {
			It(pc.Name(), Label("Op:"+pc.Op, "Feature:Paging"), func(ctx SpecContext) {
				checkBuilt(env.RunPaging(ctx, pc))
			})
		}
	})

	Describe("concurrent writes", func() {
		for _, cc := range cases.ConcurrentChecks() {
			It(cc.Name(), Label("Op:"+cc.Write, "Feature:ConcurrentWrites"), func(ctx SpecContext) {
				checkBuilt(env.RunConcurrent(ctx, cc))
			})
		}
	})

	Describe("made again", func() {
		for _, rc := range cases.RecreateChecks() {
			It(rc.Name(), Label("Op:"+rc.Op, "Feature:Recreate"), func(ctx SpecContext) {
				checkBuilt(env.RunRecreate(ctx, rc))
			})
		}
	})

	Describe("deleted alone", func() {
		for _, sc := range cases.ScopeChecks() {
			It(sc.Name(), Label("Op:"+sc.Op, "Feature:DeleteScope"), func(ctx SpecContext) {
				checkBuilt(env.RunScope(ctx, sc))
			})
		}
	})

	Describe("listed alone", func() {
		for _, lc := range cases.ListScopeChecks() {
			It(lc.Name(), Label("Op:"+lc.Op, "Feature:ListScope"), func(ctx SpecContext) {
				checkBuilt(env.RunListScope(ctx, lc))
			})
		}
		It(cases.NamesakeCheck{}.Name(), Label("Op:getStageResource", "Feature:ListScope"), func(ctx SpecContext) {
			checkBuilt(env.RunNamesake(ctx))
		})
	})

	Describe("gateway", func() {
		for _, rc := range cases.RouteChecks() {
			It(rc.Name(), Label("Feature:"+rc.Group), func(ctx SpecContext) {
				res, err := env.RunRoute(ctx, rc)
				noSuiteBug(err)
				check(res)
			})
		}
	})
})
