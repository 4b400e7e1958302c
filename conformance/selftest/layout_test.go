package selftest

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keptn-conformance/keptn-conformance/conformance/specsource"
)

// under0_7 serves 0.6's routes at 0.7's paths only: a request under /api (but the session API,
// the same in both) goes to the 0.6 gateway without /api, and a 0.6 path of prefix gets 404.
func under0_7(prefix string) func(next http.Handler, _ *Harness) http.Handler {
	return func(next http.Handler, _ *Harness) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := r.URL.Path
			switch {
			case p == "/api/auth" || strings.HasPrefix(p, "/api/control_planes"):
			case strings.HasPrefix(p, "/api"+prefix):
				r = r.Clone(r.Context())
				r.URL.Path = strings.TrimPrefix(p, "/api")
				r.URL.RawPath = strings.TrimPrefix(r.URL.RawPath, "/api")
			case strings.HasPrefix(p, prefix):
				http.NotFound(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// The suite certifies Keptn 0.6's layout: the reference gateway in 0.6 passes a 0.6 run, each
// skip naming the route 0.6 lacks; a 0.6 run fails a 0.6 gateway that serves 0.7's paths instead,
// wholly (the run stops at once, saying so) or for configuration-service (its checks fail).
func TestLayout06(t *testing.T) {
	noCLI := "the keptn CLI 0.7.x speaks Keptn 0.7's layout: it puts /api on an endpoint given without a path (facts §8)"
	for _, c := range []struct {
		name   string
		fault  *Fault
		labels string
		judge  func(t *testing.T, o Outcome)
	}{
		{"the reference gateway in 0.6 passes", nil, "", func(t *testing.T, o Outcome) {
			if !o.Report.Run.Succeeded || o.Report.Checks.Failed > 0 {
				t.Fatalf("the suite fails the reference gateway in 0.6: %v\n%s", o.FailedChecks(), tail(o.Output, 80))
			}
			skipped := 0
			for _, p := range o.Report.Profiles {
				for why, n := range p.SkipReasons {
					notStrict := p.Name == "TLSExtended" && strings.HasPrefix(why, "the gateway is not in strict mode")
					if why != specsource.NoDatastore06 && why != specsource.NoNginx06 && why != noCLI && !notStrict {
						t.Errorf("profile %s: %d skipped for %q, a reason that is not 0.6's", p.Name, n, why)
					}
					skipped += n
				}
			}
			if skipped == 0 || o.Report.Checks.Passed < 400 {
				t.Errorf("%d checks passed, %d skipped: the 0.6 run did not certify the gateway", o.Report.Checks.Passed, skipped)
			}
			t.Logf("%d checks passed, %d skipped, in %.1fs", o.Report.Checks.Passed, skipped, o.Report.DurationSeconds)
		}},
		{"a 0.6 gateway serving 0.7's paths stops the run", &Fault{Wrap: under0_7("/")}, "Profile:Core", func(t *testing.T, o Outcome) {
			if o.Report.Run.Succeeded || !strings.Contains(o.Report.Run.Failure, "does not serve the Keptn API in layout 0.6 (POST /v1/auth answered 404)") {
				t.Errorf("run failure %q, want the run stopped naming the layout", o.Report.Run.Failure)
			}
		}},
		{"a 0.6 gateway serving configuration-service at its 0.7 path fails its checks", &Fault{Wrap: under0_7("/configuration-service")},
			"(Op:getProjects || Op:getStages || Op:getMetadata) && !Feature:Generated", func(t *testing.T, o Outcome) {
				if o.Report.Run.Failure != "" {
					t.Fatalf("the run stopped: %s", o.Report.Run.Failure)
				}
				failed := map[string]bool{}
				for _, r := range o.Report.Results {
					if r.Outcome == "failed" {
						failed[r.Check] = true
					}
				}
				for _, must := range []string{"getProjects MUST answer 401 to every wrong way of presenting the token", "getStages MUST list the project's stages in shipyard order"} {
					if !failed[must] {
						t.Errorf("%q did not fail; failed: %v", must, failed)
					}
				}
				for check := range failed {
					if strings.HasPrefix(check, "getMetadata") {
						t.Errorf("%q failed: api-service is served at 0.6's paths", check)
					}
				}
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			procs := 1
			if c.labels == "" {
				procs = 2 // the whole suite
			}
			defer runs.take(expectedSeconds(c.labels, procs), mostlyWaiting(c.labels))()
			h, err := Start(t.TempDir(), c.fault, Options{Layout: "0.6", Procs: procs})
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			o, err := RunSuite(ctx, suiteBinary, h, c.labels, "reference gateway, layout 0.6: "+c.name)
			if err != nil {
				t.Fatal(err)
			}
			c.judge(t, o)
		})
	}
}
