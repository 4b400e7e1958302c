package profiles

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/conformance/specsource"
	"github.com/keptn-conformance/keptn-conformance/conformance/target"
)

// Check names of the hardening profile.
const (
	CheckHardeningBodyLimit = "hardening-body-limit" // an oversized body is read (or waited for) instead of refused at once
	CheckHardeningStall     = "hardening-stall"      // a stalled body holds its connection open
	CheckHardeningThrottle  = "hardening-throttle"   // wrong passwords are not throttled (429 with Retry-After)
	CheckHardeningLockout   = "hardening-lockout"    // a throttled user is kept out past the announced time
	CheckHardeningNoSniff   = "hardening-nosniff"    // an answer without X-Content-Type-Options: nosniff
	CheckHardeningFraming   = "hardening-framing"    // the Swagger UI may be put in a frame
	CheckHardeningNoStore   = "hardening-no-store"   // an authenticated JSON answer may be cached
)

// The bounds of the hardening profile: it loads the target a little, never for long.
const (
	// OversizedDeclared is the body size an oversized request declares; it sends OversizedSent of
	// it and waits OversizedWait for the refusal.
	OversizedDeclared = 1 << 30
	OversizedSent     = 64 << 10
	OversizedWait     = 10 * time.Second
	// OversizedChunked is how much a chunked oversized body may send before it must be refused
	// (within OversizedWait too).
	OversizedChunked = 32 << 20
	// StallBound is how long a stalled body may hold its connection.
	StallBound = 30 * time.Second
	// ThrottleAttempts is how many wrong passwords in a row may go by before one is throttled.
	ThrottleAttempts = 10
	// LockoutBound is the longest lockout the suite accepts (and waits out).
	LockoutBound = time.Minute
)

// HardeningCheck is one check of the hardening profile (extended: reported, not required).
type HardeningCheck struct {
	cases.Check
	// Feature is the check's label, Feature:<Feature>.
	Feature string
	// Session marks a check that needs the session user.
	Session bool
}

var (
	owaspDoS     = grade.Guide("OWASP Denial of Service Cheat Sheet (limit request size and time)")
	owaspAuthn   = grade.Guide("OWASP Authentication Cheat Sheet, Protect Against Automated Attacks (login throttling)")
	owaspHeaders = grade.Guide("OWASP HTTP Headers Cheat Sheet")
	owaspREST    = grade.Guide("OWASP REST Security Cheat Sheet, Security Headers")
)

// HardeningChecks are the checks of the hardening profile. Upstream Keptn documents none of this:
// every check is a SHOULD, on published guidance or an RFC's permission.
func HardeningChecks() []HardeningCheck {
	return []HardeningCheck{
		{Check: cases.Check{Title: "refuse a body larger than it accepts with 413 before it has arrived (declared by Content-Length, or chunked)", Run: runOversized,
			Grade: grade.Grade{Level: grade.Should, Source: grade.RFCSection("RFC 9110 §15.5.14 (413 Content Too Large)")}},
			Feature: "BodyLimit"},
		{Check: cases.Check{Title: "close a connection whose request body stalls, within 30 s", Run: runStall,
			Grade: grade.Grade{Level: grade.Should, Source: owaspDoS}},
			Feature: "Stall"},
		{Check: cases.Check{Title: "throttle wrong passwords at login (429 with Retry-After within 10 in a row, the right one too while throttled), and let the user in again once Retry-After has passed (at most a minute)", Run: runThrottle,
			Grade: grade.Grade{Level: grade.Should, Source: owaspAuthn}},
			Feature: "Throttle", Session: true},
		{Check: cases.Check{Title: "send X-Content-Type-Options: nosniff on its answers (JSON, errors, the Swagger UI)", Run: runNoSniff,
			Grade: grade.Grade{Level: grade.Should, Source: owaspHeaders}},
			Feature: "Headers"},
		{Check: cases.Check{Title: "forbid framing the Swagger UI (X-Frame-Options or CSP frame-ancestors)", Run: runFraming,
			Grade: grade.Grade{Level: grade.Should, Source: owaspHeaders}},
			Feature: "Headers"},
		{Check: cases.Check{Title: "send Cache-Control: no-store on authenticated JSON answers", Run: runNoStore,
			Grade: grade.Grade{Level: grade.Should, Source: owaspREST}},
			Feature: "Headers"},
	}
}

func addProblem(res *cases.Result, check, format string, args ...any) {
	res.Problems = append(res.Problems, contract.Problem{Check: check, Message: fmt.Sprintf(format, args...)})
}

// dial opens a raw connection to base (TLS for https), for requests the HTTP client cannot make.
func dial(e *cases.Env, ctx context.Context, base string) (net.Conn, string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, "", err
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), map[bool]string{true: "443", false: "80"}[u.Scheme == "https"])
	}
	d := &net.Dialer{Timeout: 10 * time.Second}
	if u.Scheme == "https" {
		cfg := e.Target.TLSConfig()
		cfg.NextProtos = []string{"http/1.1"} // the requests are written by hand, in HTTP/1.1
		c, err := (&tls.Dialer{NetDialer: d, Config: cfg}).DialContext(ctx, "tcp", host)
		return c, u.Host, err
	}
	c, err := d.DialContext(ctx, "tcp", host)
	return c, u.Host, err
}

// rawRequest is a request head for sendEvent (at its path in the target's layout), with a token
// ("": none) and the given framing header.
func rawRequest(e *cases.Env, host, token, framing string) string {
	path, _ := e.Target.Layout().Path("/api/v1/event") // every layout has api-service
	head := "POST " + path + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\n"
	if token != "" {
		head += "X-Token: " + token + "\r\n"
	}
	return head + framing + "\r\n\r\n"
}

// eventPrefix starts a JSON event whose data goes on with padding (never a complete body).
const eventPrefix = `{"type":"sh.keptn.event.hardening","source":"conformance","data":{"padding":"`

func runOversized(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
	var res cases.Result
	// Declared: 1 GiB announced, 64 KiB sent, then the answer awaited.
	conn, host, err := dial(e, ctx, base)
	if err != nil {
		return res, err
	}
	defer conn.Close()
	head := rawRequest(e, host, e.Target.Token(), "Content-Length: "+strconv.Itoa(OversizedDeclared))
	body := eventPrefix + strings.Repeat("a", OversizedSent-len(eventPrefix))
	_ = conn.SetDeadline(time.Now().Add(OversizedWait))
	start := time.Now()
	if _, err := io.WriteString(conn, head+body); err != nil {
		addProblem(&res, CheckHardeningBodyLimit, "sending the first %d bytes of a declared %d: %v", OversizedSent, OversizedDeclared, err)
		return res, nil
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	switch {
	case err != nil && isTimeout(err):
		addProblem(&res, CheckHardeningBodyLimit, "POST /api/v1/event declaring Content-Length %d (1 GiB), %d bytes sent: no answer within %s; the gateway waits for a body it should refuse", OversizedDeclared, OversizedSent, OversizedWait)
	case err != nil:
		addProblem(&res, CheckHardeningBodyLimit, "POST /api/v1/event declaring Content-Length %d: the connection ended without an answer (%v)", OversizedDeclared, err)
	default:
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			addProblem(&res, CheckHardeningBodyLimit, "POST /api/v1/event declaring Content-Length %d: status %d, want 413", OversizedDeclared, resp.StatusCode)
		}
		res.Figures = append(res.Figures, cases.Figure{Name: "oversized body (1 GiB declared) refused after", Value: time.Since(start).Seconds(), Unit: "s", Limit: OversizedWait.Seconds()})
	}
	conn.Close()

	// Chunked: no length announced; the gateway must stop reading at its limit.
	conn, host, err = dial(e, ctx, base)
	if err != nil {
		return res, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(OversizedWait))
	sent := make(chan int, 1)
	go func() {
		n := 0
		w := bufio.NewWriter(conn)
		_, err := io.WriteString(w, rawRequest(e, host, e.Target.Token(), "Transfer-Encoding: chunked")+fmt.Sprintf("%x\r\n%s\r\n", len(eventPrefix), eventPrefix))
		chunk := fmt.Sprintf("%x\r\n%s\r\n", 64<<10, strings.Repeat("a", 64<<10))
		for ; err == nil && n < OversizedChunked; n += 64 << 10 {
			_, err = io.WriteString(w, chunk)
		}
		if err == nil {
			err = w.Flush()
		}
		sent <- n
	}()
	resp, err = http.ReadResponse(bufio.NewReader(conn), nil)
	switch {
	case err != nil && isTimeout(err):
		addProblem(&res, CheckHardeningBodyLimit, "POST /api/v1/event with a chunked body of %d MiB and more: no answer within %s", OversizedChunked>>20, OversizedWait)
	case err != nil:
		addProblem(&res, CheckHardeningBodyLimit, "POST /api/v1/event with a chunked body of %d MiB: the connection ended without an answer (%v)", OversizedChunked>>20, err)
	default:
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			addProblem(&res, CheckHardeningBodyLimit, "POST /api/v1/event with a chunked body of %d MiB: status %d, want 413", OversizedChunked>>20, resp.StatusCode)
		}
	}
	conn.Close()
	<-sent
	return res, nil
}

func runStall(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
	var res cases.Result
	// With the token (the body is read) and without (it is not, and must not be waited for), at once.
	type outcome struct {
		took time.Duration
		err  error
	}
	variants := []string{"with the token", "without a token"}
	out := make([]outcome, len(variants))
	var wg sync.WaitGroup
	for i, what := range variants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, host, err := dial(e, ctx, base)
			if err != nil {
				out[i].err = err
				return
			}
			defer conn.Close()
			token := e.Target.Token()
			if what != variants[0] {
				token = ""
			}
			head := rawRequest(e, host, token, "Content-Length: 1000")
			start := time.Now()
			_ = conn.SetDeadline(start.Add(StallBound + 2*time.Second))
			if _, err := io.WriteString(conn, head+eventPrefix); err != nil {
				out[i].err = err
				return
			}
			// Whatever comes (an answer, the end of the connection) shows the gateway let go.
			_, err = io.Copy(io.Discard, conn)
			out[i].took = time.Since(start)
			if err != nil && isTimeout(err) {
				out[i].took = StallBound + 2*time.Second
			}
		}()
	}
	wg.Wait()
	for i, what := range variants {
		switch o := out[i]; {
		case o.err != nil:
			return res, o.err
		case o.took > StallBound:
			addProblem(&res, CheckHardeningStall, "POST /api/v1/event %s, declaring 1000 bytes, %d sent, then nothing: the connection was still open after %s", what, len(eventPrefix), o.took.Round(time.Second))
		default:
			res.Figures = append(res.Figures, cases.Figure{Name: "stalled body " + what + ": connection closed after", Value: o.took.Seconds(), Unit: "s", Limit: StallBound.Seconds()})
		}
	}
	return res, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(h http.Header) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t)), true
	}
	return 0, false
}

func runThrottle(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
	var res cases.Result
	c := creds(e)
	var statuses []int
	var throttled *contract.Exchange
	var throttledAt time.Time
	for range ThrottleAttempts {
		l, err := logIn(e, ctx, base, c.Username, "wrong-"+cases.NewUUID())
		if err != nil {
			return res, err
		}
		if l.ex.Response == nil {
			res.Exchanges = append(res.Exchanges, l.ex)
			addProblem(&res, CheckHardeningThrottle, "a login with a wrong password got no answer")
			return res, nil
		}
		statuses = append(statuses, l.ex.Status())
		if l.ex.Status() == http.StatusTooManyRequests {
			throttled, throttledAt = l.ex, time.Now()
			break
		}
	}
	if throttled == nil {
		addProblem(&res, CheckHardeningThrottle, "%d wrong passwords in a row for user %s were answered %v: none throttled (429)", ThrottleAttempts, c.Username, statuses)
		return res, nil
	}
	res.Figures = append(res.Figures, cases.Figure{Name: "wrong passwords before the first 429", Value: float64(len(statuses) - 1), Unit: "logins", Limit: ThrottleAttempts - 1})
	wait, ok := retryAfter(throttled.Response.Header)
	if !ok {
		res.Exchanges = append(res.Exchanges, throttled)
		addProblem(&res, CheckHardeningThrottle, "the 429 after %d wrong passwords says no Retry-After (%q)", len(statuses)-1, throttled.Response.Header.Get("Retry-After"))
		wait = LockoutBound
	}
	if wait > LockoutBound {
		res.Exchanges = append(res.Exchanges, throttled)
		addProblem(&res, CheckHardeningLockout, "Retry-After %s after %d wrong passwords: anyone who knows a user name can lock that user out for longer than %s", wait, len(statuses)-1, LockoutBound)
		return res, nil
	}
	// While throttled, the right password is throttled too: a throttle that lets it through lets
	// a guesser go on at full speed and watch for the one answer that is not 429.
	if l, err := logIn(e, ctx, base, c.Username, c.Password); err != nil {
		return res, err
	} else if l.ex.Response != nil && l.ex.Status() != http.StatusTooManyRequests && time.Since(throttledAt) < wait {
		res.Exchanges = append(res.Exchanges, throttled, l.ex)
		addProblem(&res, CheckHardeningThrottle, "the right password, sent while the user is throttled (Retry-After %s), was answered %d, not 429: the throttle does not stop a guesser, who only watches for an answer other than 429", wait, l.ex.Status())
		return res, nil
	}
	// The user gets in again once the announced time has passed (a little later at most).
	deadline := time.Now().Add(wait + 5*time.Second)
	select {
	case <-time.After(wait):
	case <-ctx.Done():
		return res, ctx.Err()
	}
	for {
		l, err := logIn(e, ctx, base, c.Username, c.Password)
		if err != nil {
			return res, err
		}
		if l.ex.Response != nil && l.ex.Status() == http.StatusOK {
			return res, nil
		}
		if time.Now().After(deadline) {
			res.Exchanges = append(res.Exchanges, l.ex)
			addProblem(&res, CheckHardeningLockout, "the right password, %s after a Retry-After of %s, was answered %d: the user is kept out longer than announced", (wait + 5*time.Second).Round(time.Second), wait, l.ex.Status())
			return res, nil
		}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}
}

// probe is one answer a header check looks at.
type probe struct {
	what   string
	method string
	path   string
	token  bool
}

func probeHeaders(e *cases.Env, ctx context.Context, res *cases.Result, check string, probes []probe, ok func(h http.Header) bool, want string) error {
	for _, p := range probes {
		ex, err := e.Do(ctx, p.method, p.path, nil, p.token, "")
		if specsource.Absent(err) != "" {
			continue // a route the target's layout does not have
		}
		if err != nil {
			return err
		}
		if ex.Response == nil {
			res.Exchanges = append(res.Exchanges, ex)
			addProblem(res, check, "%s: no answer", p.what)
			continue
		}
		if !ok(ex.Response.Header) {
			res.Exchanges = append(res.Exchanges, ex)
			addProblem(res, check, "%s (status %d) has no %s", p.what, ex.Status(), want)
		}
	}
	return nil
}

// swaggerUI is the Swagger UI page upstream's gateway serves; "" when the target has none.
func swaggerUI(e *cases.Env, ctx context.Context) (string, error) {
	ex, err := e.Do(ctx, "GET", "/api/swagger-ui/", nil, false, "")
	if err != nil || ex.Response == nil || ex.Status() != http.StatusOK {
		return "", err
	}
	return "/api/swagger-ui/", nil
}

func runNoSniff(ctx context.Context, e *cases.Env, _ string) (cases.Result, error) {
	var res cases.Result
	probes := []probe{
		{"GET /api/v1/metadata with the token", "GET", "/api/v1/metadata", true},
		{"GET /api/v1/metadata without a token", "GET", "/api/v1/metadata", false},
		{"GET /api/configuration-service/v1/project with the token", "GET", "/api/configuration-service/v1/project", true},
	}
	if ui, err := swaggerUI(e, ctx); err != nil {
		return res, err
	} else if ui != "" {
		probes = append(probes, probe{"GET " + ui, "GET", ui, false})
	}
	err := probeHeaders(e, ctx, &res, CheckHardeningNoSniff, probes, func(h http.Header) bool {
		return strings.EqualFold(strings.TrimSpace(h.Get("X-Content-Type-Options")), "nosniff")
	}, "X-Content-Type-Options: nosniff")
	return res, err
}

func runFraming(ctx context.Context, e *cases.Env, _ string) (cases.Result, error) {
	var res cases.Result
	ui, err := swaggerUI(e, ctx)
	if err != nil {
		return res, err
	}
	if ui == "" {
		res.Skip = "the target serves no Swagger UI at /api/swagger-ui/"
		return res, nil
	}
	err = probeHeaders(e, ctx, &res, CheckHardeningFraming, []probe{{"GET " + ui, "GET", ui, false}}, func(h http.Header) bool {
		xfo := strings.ToUpper(strings.TrimSpace(h.Get("X-Frame-Options")))
		if xfo == "DENY" || xfo == "SAMEORIGIN" {
			return true
		}
		for _, csp := range h.Values("Content-Security-Policy") {
			for _, d := range strings.Split(csp, ";") {
				if f := strings.Fields(d); len(f) > 1 && strings.EqualFold(f[0], "frame-ancestors") && (f[1] == "'none'" || f[1] == "'self'") {
					return true
				}
			}
		}
		return false
	}, "X-Frame-Options: DENY (or SAMEORIGIN) nor Content-Security-Policy frame-ancestors 'none' (or 'self')")
	return res, err
}

func runNoStore(ctx context.Context, e *cases.Env, _ string) (cases.Result, error) {
	var res cases.Result
	err := probeHeaders(e, ctx, &res, CheckHardeningNoStore, []probe{
		{"GET /api/v1/metadata with the token", "GET", "/api/v1/metadata", true},
		{"GET /api/configuration-service/v1/project with the token", "GET", "/api/configuration-service/v1/project", true},
		{"GET /api/mongodb-datastore/event with the token", "GET", "/api/mongodb-datastore/event?pageSize=1", true},
	}, func(h http.Header) bool {
		for _, v := range h.Values("Cache-Control") {
			for _, d := range strings.Split(v, ",") {
				if strings.EqualFold(strings.TrimSpace(d), "no-store") {
					return true
				}
			}
		}
		return false
	}, "Cache-Control: no-store")
	return res, err
}

// HardeningEnabled says whether the hardening profile runs on a target: by default on the
// embedded reference gateway, elsewhere only when asked (it loads the target), and why not.
func HardeningEnabled(d *target.Description, asked bool) (bool, string) {
	if asked || d.Kind == target.KindEmbedded {
		return true, ""
	}
	return false, "the hardening profile loads the target (oversized and stalled bodies, wrong passwords): run it with --hardening"
}
