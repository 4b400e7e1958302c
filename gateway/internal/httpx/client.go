package httpx

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"
)

// InProcess is an http.RoundTripper that serves requests with a handler in this process. The
// all-in-one gateway wires its roles together with it, so that they talk HTTP to each other
// exactly as in the split topology, without a socket.
type InProcess struct{ Handler http.Handler }

// RoundTrip serves req with the handler.
func (t InProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	// The handler sees the request as a server would: a server-side URL and RequestURI.
	sreq := req.Clone(req.Context())
	sreq.RequestURI = req.URL.RequestURI()
	if sreq.Body == nil {
		sreq.Body = http.NoBody
	}
	t.Handler.ServeHTTP(rec, sreq)
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// Client calls another role of the gateway over HTTP (or in process) with JSON bodies.
type Client struct {
	// Base is the role's base URL, such as "http://configuration-service:8080".
	Base *url.URL
	HTTP *http.Client
}

// NewClient makes a client for a base URL over the given transport (nil: a real network
// transport with timeouts).
func NewClient(base string, rt http.RoundTripper) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http(s) URL", base)
	}
	if rt == nil {
		rt = http.DefaultTransport
	}
	return &Client{Base: u, HTTP: &http.Client{Transport: rt, Timeout: 30 * time.Second}}, nil
}

// Do sends a request with an optional JSON body and decodes a JSON answer into out (when not
// nil). An answer outside 2xx becomes a *StatusError carrying the upstream's status and message.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	u := *c.Base
	u.Path = strings.TrimRight(u.Path, "/") + path
	if p, err := url.PathUnescape(u.Path); err == nil && p != u.Path {
		u.RawPath = u.Path
		u.Path = p
	}
	u.RawQuery = query.Encode()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Errorf(http.StatusBadGateway, "%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes))
	if err != nil {
		return Errorf(http.StatusBadGateway, "%s %s: reading the answer: %v", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var e Error
		if json.Unmarshal(b, &e) == nil && e.Message != "" {
			return &StatusError{Status: resp.StatusCode, Message: e.Message}
		}
		return &StatusError{Status: resp.StatusCode, Message: fmt.Sprintf("%s %s answered %d", method, path, resp.StatusCode)}
	}
	if out != nil && len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return Errorf(http.StatusBadGateway, "%s %s: the answer is not the expected JSON: %v", method, path, err)
		}
	}
	return nil
}
