package selftest

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/conformance/profiles"
)

// restartFaults are gateways that stop badly: one that cuts the requests in flight when it stops
// (no graceful shutdown: the process exits, or its server closes every connection at once).
func restartFaults() []Fault {
	return []Fault{{Name: "requests in flight cut when the gateway stops (no graceful shutdown)", Check: profiles.CheckRestartInFlight,
		Labels: "Feature:Restart", Level: grade.Should,
		Wrap: func(next http.Handler, h *Harness) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
					next.ServeHTTP(w, r)
					return
				}
				// The body is read here, watching for a stop: one asked for while it still arrives
				// drops the connection, unanswered.
				type read struct {
					b   []byte
					err error
				}
				done := make(chan read, 1)
				go func() { b, err := io.ReadAll(r.Body); done <- read{b, err} }()
				tick := time.NewTicker(10 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case got := <-done:
						r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(got.b), errorReader{got.err}))
						next.ServeHTTP(w, r)
						return
					case <-tick.C:
						if _, err := os.Stat(h.restartRequest()); err == nil {
							_ = http.NewResponseController(w).SetReadDeadline(time.Now())
							<-done
							panic(http.ErrAbortHandler)
						}
					}
				}
			})
		}}}
}

// errorReader ends a body with the error its read ended with (none: EOF).
type errorReader struct{ err error }

func (e errorReader) Read([]byte) (int, error) {
	if e.err == nil {
		return 0, io.EOF
	}
	return 0, e.err
}
