package selftest

import (
	"context"
	"testing"
	"time"
)

// What upstream permits of a route to a backend passes every check of the Upstream profile, SHOULDs
// included: an appended X-Forwarded-For, the gateway's own Connection and TE, the client's Host.
func TestEchoPermittedRoutePasses(t *testing.T) {
	t.Parallel()
	h, err := Start(t.TempDir(), &echoPermitted, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	o, err := RunSuite(ctx, suiteBinary, h, "Profile:Upstream", "reference gateway with a permitted route: "+echoPermitted.Name)
	if err != nil {
		t.Fatal(err)
	}
	if o.Report.Checks.Passed != 7 || o.Report.Checks.Failed != 0 {
		t.Fatalf("%d checks passed, %d failed (want 7 and 0): %v\n%s", o.Report.Checks.Passed, o.Report.Checks.Failed, o.FailedChecks(), tail(o.Output, 40))
	}
}
