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

// A strict-mode redirect names the same resource on HTTPS: what gateways do that keeps it passes
// (a port or none, the host's case, an IPv6 literal), what loses the host or the resource fails.
func TestRedirectTarget(t *testing.T) {
	const uri = "/api/v1/metadata/conformance%2Fredirect?probe=a%26b&x=1"
	for _, c := range []struct {
		location, host string
		ok             bool
	}{
		{"https://gw.example.com:8443" + uri, "gw.example.com:8080", true},
		{"https://gw.example.com" + uri, "gw.example.com:80", true}, // nginx: https://$host$request_uri
		{"https://gw.example.com:443" + uri, "gw.example.com", true},
		{"https://GW.example.com" + uri, "gw.example.com", true},
		{"https://[::1]:8443" + uri, "[::1]:8080", true},
		{"https://[::1]" + uri, "[::1]:80", true},
		{"http://gw.example.com" + uri, "gw.example.com", false},                                                 // not HTTPS
		{"https://keptn.example.com" + uri, "gw.example.com", false},                                             // a canonical host of its own
		{"https://gw.example.com/", "gw.example.com", false},                                                     // the resource dropped
		{"https://gw.example.com/api/v1/metadata/conformance/redirect?probe=a%26b&x=1", "gw.example.com", false}, // %2F decoded
		{"https://gw.example.com/api/v1/metadata/conformance%2Fredirect", "gw.example.com", false},               // the query dropped
		{"https://[:8443" + uri, "[::1]:8080", false},                                                            // an IPv6 literal cut at its first colon
	} {
		if msg := redirectTarget(c.location, c.host, uri); (msg == "") != c.ok {
			t.Errorf("Location %s for Host %s: %q, want ok=%v", c.location, c.host, msg, c.ok)
		}
	}
}
