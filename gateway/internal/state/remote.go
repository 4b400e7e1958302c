package state

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/httpx"
)

// Remote is a Store served by a Server at a base URL (the configuration-service's state
// listener). A state store that cannot be reached, or fails, is a 503 for the api-service's
// client (*httpx.StatusError): never a 500, never a session taken for ended.
type Remote struct {
	base *url.URL
	http *http.Client
}

// RemoteTimeout bounds one call to the state store (retries of a refused connection included).
const RemoteTimeout = 10 * time.Second

// NewRemote reaches a Server at base (http or https URL) over rt (nil: the network).
func NewRemote(base string, rt http.RoundTripper) (*Remote, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q is not an http(s) base URL", base)
	}
	if rt == nil {
		rt = http.DefaultTransport
	}
	return &Remote{base: u, http: &http.Client{Transport: rt, Timeout: RemoteTimeout}}, nil
}

// Base is the store's base URL.
func (c *Remote) Base() string { return c.base.String() }

func expiry(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// call sends one request; out (when not nil) gets the answer's value. A 404 is ErrNotFound.
func (c *Remote) call(ctx context.Context, method, bucket, key, op string, in any, expires time.Time, out any) error {
	_, err := c.send(ctx, method, bucket, key, op, in, expires, nil, out)
	return err
}

// errChanged is a conditional put that came after another change.
var errChanged = errors.New(changedMessage)

// send is call with a revision a put is conditional on (nil: none), answering the entry's
// revision (a get's).
func (c *Remote) send(ctx context.Context, method, bucket, key, op string, in any, expires time.Time, ifRev *uint64, out any) (uint64, error) {
	what := method + " " + bucket
	if op != "" {
		what += " " + op
	}
	var rd io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return 0, err
		}
		b, err := json.Marshal(entry{Value: raw, Expires: expiry(expires), Rev: ifRev})
		if err != nil {
			return 0, err
		}
		if len(b) > MaxValueBytes {
			return 0, fmt.Errorf("state value of %d bytes for %s: the store takes at most %d", len(b), bucket, MaxValueBytes)
		}
		rd = bytes.NewReader(b)
	}
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + Prefix + url.PathEscape(bucket) + "/" + url.PathEscape(key)
	if op != "" {
		u.Path += "/" + op
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return 0, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err() // the client went away
		}
		return 0, unavailable(what, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxValueBytes+1024))
	if err != nil {
		return 0, unavailable(what, fmt.Errorf("reading the answer: %w", err))
	}
	switch {
	case resp.StatusCode == http.StatusNotFound && bucketKnown(b):
		return 0, ErrNotFound
	case resp.StatusCode == http.StatusNotFound:
		return 0, unavailable(what, fmt.Errorf("%s is no state store: it answered 404 %s", c.base, message(b)))
	case resp.StatusCode == http.StatusConflict && message(b) == changedMessage:
		return 0, errChanged
	case resp.StatusCode >= 500:
		return 0, unavailable(what, fmt.Errorf("it answered %d: %s", resp.StatusCode, message(b)))
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		// Not the client's doing: the api-service sent what the store refused.
		return 0, fmt.Errorf("the state store refused %s: %d %s", what, resp.StatusCode, message(b))
	}
	if out == nil {
		return 0, nil
	}
	var e entry
	if err := json.Unmarshal(b, &e); err != nil || len(e.Value) == 0 {
		return 0, unavailable(what, fmt.Errorf("the answer is not a state entry: %.200q", b))
	}
	return revOf(&e), json.Unmarshal(e.Value, out)
}

// bucketKnown tells a missing entry from a missing route (a base URL that is no state store):
// the server's 404 for an entry says so.
func bucketKnown(b []byte) bool { return message(b) == notFoundMessage }

const notFoundMessage = "no such state entry"

func message(b []byte) string {
	var e httpx.Error
	if json.Unmarshal(b, &e) == nil && e.Message != "" {
		return e.Message
	}
	return fmt.Sprintf("%.200q", b)
}

// Get implements Store.
func (c *Remote) Get(ctx context.Context, bucket, key string, v any) error {
	return c.call(ctx, http.MethodGet, bucket, key, "", nil, time.Time{}, v)
}

// Put implements Store.
func (c *Remote) Put(ctx context.Context, bucket, key string, v any, expires time.Time) error {
	return c.call(ctx, http.MethodPut, bucket, key, "", v, expires, nil)
}

// Add implements Store.
func (c *Remote) Add(ctx context.Context, bucket, key string, v any, expires time.Time) error {
	return c.call(ctx, http.MethodPost, bucket, key, "add", v, expires, v)
}

// Take implements Store.
func (c *Remote) Take(ctx context.Context, bucket, key string, v any) error {
	return c.call(ctx, http.MethodPost, bucket, key, "take", nil, time.Time{}, v)
}

// Delete implements Store.
func (c *Remote) Delete(ctx context.Context, bucket, key string) error {
	return c.call(ctx, http.MethodDelete, bucket, key, "", nil, time.Time{}, nil)
}

// Update implements Store: read, change, and put on the condition that nothing changed between;
// a put that came too late is tried again from a new read.
func (c *Remote) Update(ctx context.Context, bucket, key string, fn func(cur []byte) (any, time.Time, error)) error {
	for range 20 {
		var cur json.RawMessage
		rev, err := c.send(ctx, http.MethodGet, bucket, key, "", nil, time.Time{}, nil, &cur)
		if errors.Is(err, ErrNotFound) {
			cur, rev, err = nil, 0, nil
		}
		if err != nil {
			return err
		}
		next, expires, err := fn(cur)
		if err != nil {
			return err
		}
		_, err = c.send(ctx, http.MethodPut, bucket, key, "", next, expires, &rev, nil)
		if !errors.Is(err, errChanged) {
			return err
		}
	}
	return unavailable(http.MethodPut+" "+bucket, errors.New("it changed under every one of 20 tries"))
}
