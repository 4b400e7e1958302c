package profiles

import (
	"testing"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/target"
)

// An HTTPS endpoint given without a port is dialled on 443, as a browser would.
func TestHTTPSAddrDefaultsToPort443(t *testing.T) {
	for in, want := range map[string]string{"https://keptn.example.com": "keptn.example.com:443", "https://127.0.0.1:8443": "127.0.0.1:8443", "https://[::1]": "[::1]:443"} {
		e := &cases.Env{Target: &target.Target{Desc: target.Description{HTTPS: in}}}
		if got, err := httpsAddr(e); err != nil || got != want {
			t.Errorf("%s: %q %v, want %q", in, got, err, want)
		}
	}
}
