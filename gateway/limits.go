package gateway

import (
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/httpx"
)

// Request body limits per route of the gateway, enforced before a body is read: a declared
// Content-Length above the limit is answered 413 at once, unread; a chunked body is cut at the
// limit and answered 413 too.
const (
	// LoginBodyLimit bounds a session login (two short strings) and /api/v1/auth (body dropped).
	LoginBodyLimit = 4 << 10
	// ResourceBodyLimit bounds a resource upload or a service with its Helm chart (base64 JSON).
	ResourceBodyLimit = 16 << 20
	// BodyLimit bounds every other body (events, projects with their shipyard, approvals).
	BodyLimit = 1 << 20
)

// bodyLimit is the most a request to path may send (the 0.7 paths of the gateway's routes).
func bodyLimit(path string) int64 {
	switch {
	case path == "/api/auth", path == "/api/v1/auth", path == "/api/v1/auth/":
		return LoginBodyLimit
	case strings.HasPrefix(path, "/api/configuration-service/") && strings.Contains(path, "/resource"),
		strings.HasPrefix(path, "/api/v1/project/") && strings.HasSuffix(path, "/service"):
		return ResourceBodyLimit
	}
	return BodyLimit
}

// Timeouts bound the time a connection may hold the gateway.
type Timeouts struct {
	// ReadHeader bounds reading a request's headers.
	ReadHeader time.Duration
	// Read bounds reading a whole request, body included.
	Read time.Duration
	// BodyStall is the longest a request body may stall (no byte arriving) before the connection
	// is closed.
	BodyStall time.Duration
	// Write bounds writing an answer, from the end of reading the request headers.
	Write time.Duration
	// Idle closes a keep-alive connection that sends no new request for this long.
	Idle time.Duration
}

func (t *Timeouts) defaults() {
	for _, d := range []struct {
		p   *time.Duration
		def time.Duration
	}{{&t.ReadHeader, 10 * time.Second}, {&t.Read, 2 * time.Minute}, {&t.BodyStall, 10 * time.Second}, {&t.Write, 2 * time.Minute}, {&t.Idle, 30 * time.Second}} {
		if *d.p <= 0 {
			*d.p = d.def
		}
	}
}

// server is an http.Server with the timeouts.
func (t Timeouts) server(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read, WriteTimeout: t.Write, IdleTimeout: t.Idle}
}

// limited bounds each request's body: its size (limit of its path; nil: httpx.MaxBodyBytes, for
// the internal roles) and its pace (a body that stalls for t.BodyStall, or takes longer than
// t.Read, ends with a read error and the connection is closed). It works at the handler, so it
// holds whatever server serves the handler.
func limited(next http.Handler, limit func(path string) int64, t Timeouts) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		max := int64(httpx.MaxBodyBytes)
		if limit != nil {
			max = limit(r.URL.Path)
		}
		if r.ContentLength > max {
			// Refused unread: the connection is closed after the answer rather than drained.
			w.Header().Set("Connection", "close")
			httpx.WriteError(w, http.StatusRequestEntityTooLarge, "the request body (%d bytes) is larger than the %d bytes allowed here", r.ContentLength, max)
			return
		}
		// The body must start arriving within the stall timeout, read or not (a handler that answers
		// without reading it leaves the server to drain it), and keep arriving.
		b := &pacedBody{body: http.MaxBytesReader(w, r.Body, max), rc: http.NewResponseController(w), stall: t.BodyStall, until: time.Now().Add(t.Read)}
		b.extend()
		r.Body = b
		next.ServeHTTP(w, r)
	})
}

// pacedBody moves the connection's read deadline forward as the body arrives: each read may wait
// up to stall for its bytes, never past until. Once the body has arrived whole, the deadline is
// lifted: it bounds the body, not the work after it (the server's read for the next request,
// which starts at the body's end, would otherwise time out under the handler and end its request).
type pacedBody struct {
	body  io.ReadCloser
	rc    *http.ResponseController
	stall time.Duration
	until time.Time
}

func (b *pacedBody) Read(p []byte) (int, error) {
	b.extend()
	n, err := b.body.Read(p)
	if err == io.EOF {
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// extend lets the next read wait up to the stall timeout (never past until).
func (b *pacedBody) extend() {
	deadline := time.Now().Add(b.stall)
	if deadline.After(b.until) {
		deadline = b.until
	}
	// A writer that cannot set deadlines (a test recorder) reads without one.
	_ = b.rc.SetReadDeadline(deadline)
}

func (b *pacedBody) Close() error { return b.body.Close() }

// secured adds the security headers the gateway's answers carry: no content sniffing, no framing
// (the Swagger UI and the bridge page may not be put in a frame), and no caching of the API's
// answers, which are credentials' business. route is the 0.7 path of a request's route.
func secured(route func(string) string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "frame-ancestors 'none'")
		if p := route(r.URL.Path); strings.HasPrefix(p, "/api") && !strings.Contains(p, "/swagger-ui") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}
