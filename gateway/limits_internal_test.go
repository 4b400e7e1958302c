package gateway

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A request whose body has arrived keeps its context however long its handler then takes: the
// stall deadline bounds the body's arrival, not the work after it. A body read whole before it
// reaches the gateway's handler (by a middleware in front of it) shows it: the connection's read
// deadline outlived the body, the server's read for the next request timed out under the handler
// and ended its request, whose answer then went out empty.
func TestWorkAfterTheBodyOutlastsTheStallDeadline(t *testing.T) {
	const stall = 20 * time.Millisecond
	h := limited(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case <-time.After(10 * stall):
			_, _ = io.WriteString(w, "done")
		case <-r.Context().Done():
			// What the gateway's handlers do when their request ends: no answer.
		}
	}), nil, Timeouts{BodyStall: stall, Read: time.Minute})
	for _, readFirst := range []bool{false, true} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if readFirst {
				b, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(b))
			}
			h.ServeHTTP(w, r)
		}))
		for _, body := range []string{`{"a":1}`, strings.Repeat("x", 64<<10)} {
			res, err := http.Post(srv.URL, "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || string(b) != "done" {
				t.Errorf("a %d-byte body (read before the handler: %v), then %s of work: %d %q, want 200 \"done\"", len(body), readFirst, 10*stall, res.StatusCode, b)
			}
		}
		srv.Close()
	}
}
