package conformance

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/profiles"
	"github.com/keptn-conformance/keptn-conformance/conformance/report"
	"github.com/keptn-conformance/keptn-conformance/conformance/specsource"
	"github.com/keptn-conformance/keptn-conformance/conformance/target"
)

func measure(name string, value float64, unit string, limit float64) {
	measureIn(cases.ProfileTokenRotation, name, value, unit, limit)
}

// The documented API token procedures (retrieve, create, reset), automated and measured. The specs
// are disruptive: each runs alone and leaves the original token in place, or on a gateway of its own.
var _ = Describe("Token rotation", Label(report.ProfileLabel+cases.ProfileTokenRotation), func() {
	var (
		t        *target.Target
		e        *cases.Env
		store    target.TokenStore
		original string
	)
	BeforeEach(func(ctx SpecContext) {
		if tgt.Tokens == nil {
			Skip(tgt.MissingReason(target.CapTokenRotation))
		}
		t, e = own(ctx)
		store, original = t.Tokens, t.Token()
		if t != tgt {
			return // a gateway of the spec's own, removed after it
		}
		DeferCleanup(func(ctx SpecContext) {
			if t.Token() != original {
				rot := e.Rotate(ctx, store, original, cfg.RotationMax)
				Expect(rot.Result.Problems).To(BeEmpty(), "restoring the original token: %s", rot.Result.Report())
			}
		})
	})

	checks := cases.RotationChecks
	It(checks.Reset.Name(), disruptive(), func(ctx SpecContext) {
		rot := e.Rotate(ctx, store, cases.NewToken(), cfg.RotationMax)
		measure("rotation latency (secret changed → new token accepted, old refused)", rot.Latency.Seconds(), "s", cfg.RotationMax.Seconds())
		for _, f := range rot.Figures(cfg.RotationMax) {
			measure(f.Name, f.Value, f.Unit, f.Limit)
		}
		check(rot.Result)

		matrix, err := cases.TokenMatrix()
		Expect(err).NotTo(HaveOccurred())
		var res cases.Result
		for _, a := range matrix {
			// An operation the target's layout has no route for (Keptn 0.6: the datastore's), or
			// whose world is built through one, is left out.
			w, cleanup, err := e.Build(ctx, a.Base.Needs)
			if specsource.Absent(err) != "" {
				continue
			}
			if err != nil {
				setupFailed(fmt.Errorf("with the new token: %w", err))
			}
			ok, err := e.Run(ctx, a.Base, w)
			if specsource.Absent(err) != "" {
				cleanup()
				continue
			}
			Expect(err).NotTo(HaveOccurred())
			refused, _, err := e.RunAuth(ctx, e.Base, a, w, []cases.Variant{cases.OldTokenVariant(rot.Old)})
			Expect(err).NotTo(HaveOccurred())
			cleanup()
			for _, part := range []cases.Result{ok, refused} {
				res.Problems = append(res.Problems, part.Problems...)
				if part.Failed() {
					res.Exchanges = append(res.Exchanges, part.Exchanges...)
				}
			}
		}
		check(res)
	})

	It(checks.Sessions.Name(), disruptive(), func(ctx SpecContext) {
		requireSession()
		rot := e.Rotate(ctx, store, cases.NewToken(), cfg.RotationMax)
		check(rot.Result)
		res, err := profiles.SessionChecks()[0].Run(ctx, e, e.Base)
		Expect(err).NotTo(HaveOccurred())
		check(res)
	})

	It(checks.Twice.Name(), disruptive(), func(ctx SpecContext) {
		var res cases.Result
		for i, to := range []string{cases.NewToken(), original, cases.NewToken(), original} {
			rot := e.Rotate(ctx, store, to, cfg.RotationMax)
			for _, p := range rot.Result.Problems {
				p.Message = fmt.Sprintf("rotation %d of 4: %s", i+1, p.Message)
				res.Problems = append(res.Problems, p)
			}
			if rot.Result.Failed() {
				break
			}
		}
		check(res)
	})

	for _, bad := range []struct {
		check         cases.RotationCheck
		content, what string
	}{
		{checks.EmptySecret, "", "an empty secret"},
		{checks.MalformedSecret, "not a token\n\twith spaces and a \x00 byte", "a malformed secret"},
	} {
		It(bad.check.Name(), disruptive(), func(ctx SpecContext) {
			check(e.BadSecret(ctx, store, bad.content, bad.what, cfg.BadSecretWatch))
		})
	}

	It(checks.Load.Name(), disruptive(), func(ctx SpecContext) {
		res, err := cases.RotationLoad.Run(ctx, e, e.Base)
		Expect(err).NotTo(HaveOccurred())
		check(res)
	})
})
