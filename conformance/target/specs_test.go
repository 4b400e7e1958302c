package target

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The embedded target with --specs: served documents and a user's directory load at set-up, and
// an unusable value stops the set-up with one message naming it.
func TestSetupLoadsSpecs(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, c := range []struct{ specs, err string }{
		{"served", ""},
		{"../../fixtures/swagger2/drifted", ""},
		{"no/such/dir", `--specs "no/such/dir" is neither bundled, served`},
		{t.TempDir(), "api-service: no file"},
	} {
		d, teardown, err := Setup(ctx, Config{Target: KindEmbedded, Specs: c.specs})
		teardown()
		switch {
		case c.err == "" && err != nil:
			t.Errorf("--specs %s: %v", c.specs, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("--specs %s: error %v, want one containing %q", c.specs, err, c.err)
		case c.err == "" && d.Specs != c.specs:
			t.Errorf("--specs %s: the description says %q", c.specs, d.Specs)
		}
	}
}
