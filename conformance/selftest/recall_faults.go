package selftest

import (
	"net/http"
	"strings"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
)

// recallFaults are bugs written inside real gateways that the suite once let through: a token
// compared loosely.
func recallFaults() []Fault {
	return looseTokenFaults()
}

// looseTokenFaults are gateways that take a near miss for the token: they compare a part of it,
// or what they were given after trimming it.
func looseTokenFaults() []Fault {
	const labels = "Profile:Auth && (Op:getMetadata || Op:getProjects)"
	loose := func(name string, takes func(presented, token string) bool) Fault {
		return Fault{Name: name, Check: cases.CheckUnauthorized, Labels: labels,
			Wrap: func(next http.Handler, h *Harness) http.Handler {
				return before(next, func(r *http.Request) {
					token, presented := h.currentToken(), r.Header.Get("x-token")
					if presented != "" && presented != token && takes(presented, token) {
						r.Header.Set("x-token", token)
					}
				})
			}}
	}
	return []Fault{
		loose("a token compared by its first 16 characters only", func(p, t string) bool {
			return len(p) >= 16 && len(t) >= 16 && p[:16] == t[:16]
		}),
		loose("a token compared without its last character", func(p, t string) bool {
			return len(p) == len(t) && p[:len(p)-1] == t[:len(t)-1]
		}),
		loose("a token taken when it starts with the valid one (strings.HasPrefix)", strings.HasPrefix),
		loose("a token taken when the valid one starts with it (a truncation accepted)", func(p, t string) bool { return strings.HasPrefix(t, p) }),
		loose("a token taken when it ends with the valid one (strings.HasSuffix)", strings.HasSuffix),
		loose("a token taken when it contains the valid one (strings.Contains)", strings.Contains),
		loose("a token compared with its base64 padding trimmed", func(p, t string) bool {
			return strings.TrimRight(p, "=") == strings.TrimRight(t, "=")
		}),
	}
}
