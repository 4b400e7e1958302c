package profiles

import (
	"net/http"
	"testing"
	"time"

	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/conformance/target"
)

// Every hardening check has a valid grade, a SHOULD (upstream documents none of it), and a feature.
func TestHardeningChecksAreGraded(t *testing.T) {
	for _, c := range HardeningChecks() {
		if err := c.Grade.Valid(); err != nil {
			t.Errorf("%s: %v", c.Name(), err)
		}
		if c.Grade.Level != grade.Should || c.Feature == "" {
			t.Errorf("%s: level %s, feature %q", c.Name(), c.Grade.Level, c.Feature)
		}
	}
}

func TestHardeningRunsOnlyWhenAsked(t *testing.T) {
	for _, c := range []struct {
		kind  string
		asked bool
		want  bool
	}{{target.KindEmbedded, false, true}, {target.KindExternal, false, false}, {target.KindKind, false, false}, {target.KindExternal, true, true}} {
		if ok, why := HardeningEnabled(&target.Description{Kind: c.kind}, c.asked); ok != c.want || (!ok && why == "") {
			t.Errorf("%s, asked %v: %v %q", c.kind, c.asked, ok, why)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	for v, want := range map[string]time.Duration{"2": 2 * time.Second, "0": 0} {
		if d, ok := retryAfter(http.Header{"Retry-After": {v}}); !ok || d != want {
			t.Errorf("Retry-After %q: %s %v", v, d, ok)
		}
	}
	if d, ok := retryAfter(http.Header{"Retry-After": {time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}}); !ok || d < 59*time.Minute {
		t.Errorf("an HTTP date: %s %v", d, ok)
	}
	for _, v := range []string{"", "soon", "-1"} {
		if _, ok := retryAfter(http.Header{"Retry-After": {v}}); ok {
			t.Errorf("Retry-After %q taken", v)
		}
	}
}
