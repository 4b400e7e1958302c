package httpx

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"
)

// Retrying is a transport that retries a request its upstream never received: the connection
// was refused, or could not be made in time, as while a role restarts. It keeps trying, with
// backoff, until Patience runs out or the caller gives up; requests the upstream may have seen are
// never repeated. Bodies are buffered (up to MaxBodyBytes) so that a retry can send them again.
//
// Without a Base it opens a connection per request: a pooled connection to a role that is being
// replaced can fail after the request was written, when nobody can tell whether it was applied;
// a fresh connection to a stopped role is refused, which is safe to retry. A connection that is
// not made within ConnectTimeout is given up and tried anew, for the same reason.
type Retrying struct {
	Base     http.RoundTripper
	Patience time.Duration
}

// ConnectTimeout bounds each attempt to connect to a role. Inside a cluster a connection is made
// in milliseconds even on a loaded node (the kernel answers the SYN), or refused at once; a
// connection attempt that gets no answer went to an address that is gone: a restarted pod's,
// still in a Service's forwarding rules, or pinned by the connection-tracking entry of the
// attempt's first SYN, which the kernel's own retransmissions reuse. Only a new attempt, from a
// new port, is forwarded by the rules as they are now, so waiting longer on the first never helps.
const ConnectTimeout = time.Second

var unpooled = func() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DisableKeepAlives = true
	t.DialContext = (&net.Dialer{Timeout: ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext
	return t
}()

// RoundTrip sends req, retrying undelivered attempts.
func (t Retrying) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = unpooled
	}
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(io.LimitReader(req.Body, MaxBodyBytes+1))
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	deadline := time.Now().Add(t.Patience)
	wait := 50 * time.Millisecond
	for {
		r := req.Clone(req.Context())
		if body != nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		}
		resp, err := base.RoundTrip(r)
		if err == nil || !undelivered(err) || time.Now().Add(wait).After(deadline) {
			return resp, err
		}
		select {
		case <-req.Context().Done():
			return nil, req.Context().Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, time.Second)
	}
}

// undelivered reports whether err shows that the request never reached the upstream.
func undelivered(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}
