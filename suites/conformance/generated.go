package conformance

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/generate"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/conformance/specsource"
	"github.com/keptn-conformance/keptn-conformance/specs"
)

// Every failure message's curl reproducer shows the token only when asked to.
var _ = BeforeEach(func() { contract.ShowSecrets = cfg.ShowSecrets })

// generatedSeed is the seed of the generated requests: --seed, else Ginkgo's own (the same in
// every process, and printed at the start of the run).
func generatedSeed() uint64 {
	if cfg.Seed != 0 {
		return uint64(cfg.Seed)
	}
	return uint64(GinkgoRandomSeed())
}

// onlyViolating are the operations sent only requests that break their schema: configureBridge's
// credentials are shared by every spec, and a valid login costs a password hash by design (the
// session profile logs in for real).
var onlyViolating = map[string]bool{"configureBridge": true, "login": true}

// Generated requests are part of the core contract: the same operations and documented answers
// as the catalogue's cases, for inputs drawn from the schemas instead of written by hand.
// Feature:Generated selects them or leaves them out. The operations are dealt into one ordered
// group per process, each aiming at a world of its own built once; in a group the deletes come
// last, deepest first, so that they take the world apart only at the end.
var _ = Describe("Keptn API contract, generated requests", Label("Profile:Core", "Feature:Generated"), func() {
	ops, err := specs.AllOperations()
	if err != nil {
		panic(err)
	}
	suiteConfig, _ := GinkgoConfiguration()
	groups := make([][]*specs.Operation, max(1, suiteConfig.ParallelTotal))
	for i := range ops {
		groups[i%len(groups)] = append(groups[i%len(groups)], &ops[i])
	}
	for g, group := range groups {
		sort.SliceStable(group, func(i, j int) bool { return deleteRank(group[i]) < deleteRank(group[j]) })
		Describe(fmt.Sprintf("group %d", g+1), Ordered, ContinueOnFailure, func() {
			var w *cases.World
			BeforeAll(func(ctx SpecContext) {
				var cleanup func()
				needs := cases.NeedsResources | cases.NeedsApproval | cases.NeedsRemediation | cases.NeedsEvent
				w, cleanup, err = env.Build(ctx, needs)
				if specsource.Absent(err) != "" {
					// The event is read back through a route the layout does not have (the datastore).
					w, cleanup, err = env.Build(ctx, needs&^cases.NeedsEvent)
				}
				if err != nil {
					setupFailed(err)
				}
				DeferCleanup(cleanup)
			})
			for _, op := range group {
				It(cases.GeneratedCheck(op).Text, Label("Op:"+op.ID()), func(ctx SpecContext) {
					runGenerated(ctx, op, ops, w)
				})
			}
		})
	}
})

// deleteRank orders a group: everything else first, then the deletes, the deepest path first.
func deleteRank(op *specs.Operation) int {
	if op.Method != "DELETE" {
		return 0
	}
	return 100 - strings.Count(op.Path, "/")
}

// runGenerated sends an operation's generated requests to the world and fails with the minimal
// failing one, if any.
func runGenerated(ctx SpecContext, op *specs.Operation, ops []specs.Operation, w *cases.World) {
	send := tgt.Client(env.Base).Do
	known := generate.KnownOf(w)
	c := generate.Config{Seed: generatedSeed(), Examples: cfg.Examples, Known: known, Token: tgt.Token(), ValidAllowed: !onlyViolating[op.ID()]}
	if chain, ok := generate.ChainOf(op, ops); ok {
		c.After = generate.Stateful{Chain: chain, Send: send, Token: tgt.Token(), Known: known, Patience: env.Timeout, Interval: env.Interval}.After
	}
	o := generate.Run(ctx, op, send, c)
	DeferCleanup(func(ctx SpecContext) {
		for _, p := range o.Made {
			_, _ = send(ctx, contract.Request{Method: "DELETE", Path: "/api/v1/project/" + url.PathEscape(p), Header: map[string][]string{"X-Token": {tgt.Token()}}})
		}
	})
	AddReportEntry(generate.EntryName, generate.Entry{Operation: o.Op, Seed: generatedSeed(), OperationSeed: o.Seed,
		Examples: o.Examples, Valid: o.Valid, Violating: o.Violating, Exchanges: o.Exchanges}, ReportEntryVisibilityFailureOrVerbose)
	if o.Rapid != "" && o.Failure == nil {
		Fail("a bug in the suite's generator, not in the gateway:\n" + o.RapidFull)
	}
	if o.Failure != nil {
		if why := cases.NotImplemented(o.Failure.Exchange, tgt.Token()); why != "" {
			Skip(why)
		}
		problems := make([]contract.Problem, len(o.Failure.Problems))
		for i, p := range o.Failure.Problems {
			if g := generate.Grades[p.Check]; g.Level == grade.Should {
				p.Grade = g
			}
			problems[i] = p
		}
		judge(problems, func() string { return o.Report(generatedSeed()) })
	}
	Expect(o.Examples).To(BeNumerically(">", 0), "no example of %s was generated", op.ID())
}
