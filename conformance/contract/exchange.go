// Package contract checks what a gateway answers against the OpenAPI documents in specs/: the
// status must be documented, the body must match its schema (every error, with the schema path),
// the content type and the documented headers must be right; and the suite's own requests are
// checked too, so that a broken fixture shows up as a suite bug rather than a gateway failure.
package contract

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/keptn-conformance/keptn-conformance/specs"
)

// Exchange is one request the suite sent and the answer it got.
type Exchange struct {
	// Op is the spec operation the request is for (nil for paths outside the specs).
	Op *specs.Operation
	// PathParams are the values of the operation's path parameters (unescaped).
	PathParams map[string]string

	Request  *http.Request
	ReqBody  []byte
	Response *http.Response
	RespBody []byte
	Duration time.Duration
	// Err is a transport error (no response).
	Err error

	secrets []string
}

// Status is the response status, or 0 without a response.
func (ex *Exchange) Status() int {
	if ex.Response == nil {
		return 0
	}
	return ex.Response.StatusCode
}

// Client sends requests to a gateway.
type Client struct {
	HTTP *http.Client
	// Base is the gateway's base URL, such as "http://127.0.0.1:8080".
	Base string
	// Secrets are redacted from every description (tokens, passwords, session ids).
	Secrets []string
	// Paths maps a request's path, as the specs and cases write it (Keptn 0.7's layout), to the
	// gateway's; its error is returned by Do (a route the gateway's layout does not have). Nil
	// sends every path as it is.
	Paths func(path string) (string, error)
}

// Request is what to send. For an operation, Path is filled from the operation's path and
// PathParams; otherwise Path is used as given.
type Request struct {
	Op         *specs.Operation
	Method     string // defaults to the operation's method
	Path       string // used when Op is nil, or to override the path
	PathParams map[string]string
	Query      url.Values
	// RawQuery is used as-is when set (for malformed queries).
	RawQuery string
	Header   http.Header
	Body     []byte
}

// URLPath returns the escaped path of a request: the operation's full path with each parameter
// escaped as one segment (a resourceURI with "/" becomes "%2F").
func (r Request) URLPath() (string, error) {
	if r.Op == nil || r.Path != "" {
		return r.Path, nil
	}
	p := r.Op.FullPath()
	for {
		i := strings.IndexByte(p, '{')
		if i < 0 {
			return p, nil
		}
		j := strings.IndexByte(p[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("malformed path template %q", r.Op.FullPath())
		}
		name := p[i+1 : i+j]
		v, ok := r.PathParams[name]
		if !ok {
			return "", fmt.Errorf("%s: no value for path parameter %q", r.Op.ID(), name)
		}
		p = p[:i] + url.PathEscape(v) + p[i+j+1:]
	}
}

// Do sends the request and reads the whole answer. A transport error is returned in the
// Exchange (Err), never as a panic; err is only for a request the suite could not build.
func (c *Client) Do(ctx context.Context, r Request) (*Exchange, error) {
	path, err := r.URLPath()
	if err != nil {
		return nil, err
	}
	if c.Paths != nil {
		if path, err = c.Paths(path); err != nil {
			return nil, err
		}
	}
	method := r.Method
	if method == "" && r.Op != nil {
		method = r.Op.Method
	}
	u := strings.TrimRight(c.Base, "/") + path
	if r.RawQuery != "" {
		u += "?" + r.RawQuery
	} else if len(r.Query) > 0 {
		u += "?" + r.Query.Encode()
	}
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("building %s %s: %w", method, u, err)
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if h := req.Header.Get("Host"); h != "" {
		// Go's client sends req.Host, not a Host field.
		req.Host = h
		req.Header.Del("Host")
	}
	ex := &Exchange{Op: r.Op, PathParams: r.PathParams, Request: req, ReqBody: r.Body, secrets: c.Secrets}
	start := time.Now()
	resp, err := c.HTTP.Do(req)
	ex.Duration = time.Since(start)
	if err != nil {
		ex.Err = err
		return ex, nil
	}
	defer resp.Body.Close()
	ex.Response = resp
	ex.RespBody, ex.Err = io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	return ex, nil
}

// excerpt is how much of a body a description shows.
const excerpt = 2048

// String describes the exchange for a failure message: the operation, the request with
// secrets redacted, and the answer's status, headers and body excerpt.
func (ex *Exchange) String() string {
	var b strings.Builder
	if ex.Op != nil {
		fmt.Fprintf(&b, "operation: %s (%s %s in %s)\n", ex.Op.ID(), ex.Op.Method, ex.Op.FullPath(), ex.Op.Doc.Name)
	}
	fmt.Fprintf(&b, "request:   %s %s\n", ex.Request.Method, ex.redact(ex.Request.URL.String()))
	writeHeaders(&b, ex.Request.Header, ex.redact)
	if len(ex.ReqBody) > 0 {
		fmt.Fprintf(&b, "           body: %s\n", ex.redact(clip(ex.ReqBody)))
	}
	switch {
	case ex.Response == nil:
		fmt.Fprintf(&b, "response:  none: %v\n", ex.Err)
	default:
		fmt.Fprintf(&b, "response:  %s (after %s)\n", ex.Response.Status, ex.Duration.Round(time.Microsecond))
		writeHeaders(&b, ex.Response.Header, ex.redact)
		if len(ex.RespBody) > 0 {
			fmt.Fprintf(&b, "           body: %s\n", ex.redact(clip(ex.RespBody)))
		} else {
			fmt.Fprintf(&b, "           body: (empty)\n")
		}
	}
	b.WriteString(ex.curlLine())
	return b.String()
}

func clip(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > excerpt {
		return s[:excerpt] + fmt.Sprintf("... (%d bytes in all)", len(b))
	}
	return s
}

var sensitiveHeaders = map[string]bool{"X-Token": true, "Cookie": true, "Authorization": true, "Set-Cookie": true}

func writeHeaders(b *strings.Builder, h http.Header, redact func(string) string) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			if sensitiveHeaders[http.CanonicalHeaderKey(k)] {
				v = redactHeader(k, v)
			}
			fmt.Fprintf(b, "           %s: %s\n", k, redact(v))
		}
	}
}

// redactHeader keeps a header's shape (cookie names and attributes) but hides secret values.
func redactHeader(name, v string) string {
	switch http.CanonicalHeaderKey(name) {
	case "Set-Cookie", "Cookie":
		parts := strings.Split(v, ";")
		for i, p := range parts {
			if k, _, ok := strings.Cut(p, "="); ok && (i == 0 || http.CanonicalHeaderKey(name) == "Cookie") {
				parts[i] = k + "=<redacted>"
			}
		}
		return strings.Join(parts, ";")
	case "Authorization":
		if scheme, _, ok := strings.Cut(v, " "); ok {
			return scheme + " <redacted>"
		}
	}
	if v == "" {
		return "(empty)"
	}
	return fmt.Sprintf("<redacted, %d characters>", len(v))
}

func (ex *Exchange) redact(s string) string {
	for _, sec := range ex.secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "<redacted>")
			s = strings.ReplaceAll(s, url.QueryEscape(sec), "<redacted>")
		}
	}
	return s
}
