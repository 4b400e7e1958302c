package profiles

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/conformance/target"
	"github.com/keptn-conformance/keptn-conformance/gateway/echo"
)

// ProfileUpstream is the upstream-side profile: what the gateway forwards to a backend, seen by an
// echo backend (the reference gateway's echo role) that the target puts in a backend's place.
// Extended: reported, not required.
const ProfileUpstream = "Upstream"

// Check names of the Upstream profile.
const (
	CheckEchoPath         = "echo-path"            // the path or query forwarded otherwise than sent (a %2F decoded)
	CheckEchoMethodBody   = "echo-method-body"     // the method, the body or its media type changed on the way
	CheckEchoHopByHop     = "echo-hop-by-hop"      // a field the client's Connection named (or those options) forwarded
	CheckEchoHopKnown     = "echo-hop-known"       // Keep-Alive, Proxy-Connection, TE, Upgrade, Proxy-Authorization forwarded as sent
	CheckEchoForwardedFor = "echo-forwarded-for"   // X-Forwarded-For missing, or the client's own value passed as the client
	CheckEchoForwardProto = "echo-forwarded-proto" // X-Forwarded-Proto not the listener's scheme (the client's own passed)
	CheckEchoWebsocket    = "echo-websocket"       // a websocket upgrade not carried through to the backend
)

// EchoCheck is one check of the Upstream profile.
type EchoCheck struct {
	cases.Check
	// Feature is the check's label, Feature:<Feature>.
	Feature string
}

// EchoRaw is the suffix, after the echo prefix, of the path checks' request target: reserved
// characters percent-encoded (their decoding changes the path or the query), a space, a
// percent-encoded percent and UTF-8, and a query with encoded delimiters. Every hex digit is upper
// case, so that a proxy's normalization of percent-encodings (RFC 3986 §6.2.2.1) changes nothing.
const EchoRaw = "/conformance/helm%2Fchart.tgz/a%3Fb/c%23d/e%25f/g%20h/%C3%A9%2F..%2Fv1?q=%2F%26x&r=a+b&s=%3D%3F&t=%C3%A9"

// EchoChecks are the checks of the Upstream profile (extended), run where the target has an echo
// backend behind the gateway (target.CapEcho).
func EchoChecks() []EchoCheck {
	return []EchoCheck{
		{Check: cases.Check{Title: "forward the request target's path and query to the backend byte for byte, the route's prefix aside (an encoded %2F, %3F, %23 or %25 stays encoded)", Run: runEchoPath,
			Grade: grade.Grade{Level: grade.Must, Source: grade.RFCSection("RFC 3986 §2.2 (a percent-encoded reserved character is not the character) and RFC 9110 §7.7 (the path and query are not modified); facts §1 and §6: each route forwards the request URI with its prefix stripped, resourceURI holds %2F (upstream 0.7.3's decoding nginx is a defect, facts §10)")}},
			Feature: "EchoPath"},
		{Check: cases.Check{Title: "forward the method, the body (by its SHA-256 and length, with Content-Length or chunked) and its Content-Type unchanged to the backend", Run: runEchoMethodBody,
			Grade: grade.Grade{Level: grade.Must, Source: grade.RFCSection("RFC 9110 §7.7 (a proxy MUST NOT transform the content of a message carrying Cache-Control: no-transform, which these send); facts §1: each route is forwarded to its service, only /api/v1/auth as POST")}},
			Feature: "EchoBody"},
		{Check: cases.Check{Title: "remove the fields the client's Connection header names, and the client's Connection options, before forwarding", Run: runEchoHopByHop,
			// RFC 9110 makes this a MUST of intermediaries, but nginx, the gateway upstream Keptn
			// ships, replaces Connection without removing the fields it names (measured with
			// fixtures/nginx): a gateway built as upstream's must not fail, so it is reported.
			Grade: grade.Grade{Level: grade.Should, Source: grade.RFCSection("RFC 9110 §7.6.1 (intermediaries MUST remove the fields a received Connection names, and the Connection field itself or replace it with their own options); a SHOULD here: nginx, upstream Keptn's gateway, forwards the named fields")}},
			Feature: "EchoHopByHop"},
		{Check: cases.Check{Title: "remove or replace Keep-Alive, Proxy-Connection, TE, Upgrade (outside an upgrade) and Proxy-Authorization before forwarding, even when Connection does not name them", Run: runEchoHopKnown,
			Grade: grade.Grade{Level: grade.Should, Source: grade.RFCSection("RFC 9110 §7.6.1 (intermediaries SHOULD remove or replace Proxy-Connection, Keep-Alive, TE, Transfer-Encoding and Upgrade) and §11.7.2 (Proxy-Authorization is consumed by the proxy it is meant for)")}},
			Feature: "EchoHopByHop"},
		{Check: cases.Check{Title: "send the backend X-Forwarded-For ending in the client's address as the gateway saw it, never a value the client sent as the only one", Run: runEchoForwardedFor,
			Grade: grade.Grade{Level: grade.Should, Source: grade.Ours("X-Forwarded-For is no standard (RFC 7239's Forwarded for= is, and its §8.1 warns that clients forge it); common practice (nginx's $proxy_add_x_forwarded_for, Go's ReverseProxy) appends or sets the address the proxy saw, and a backend that throttles or logs by it, as the reference api-service throttles logins, is fooled by a client's own value")}},
			Feature: "EchoForwarded"},
		{Check: cases.Check{Title: "send the backend X-Forwarded-Proto with the scheme of the listener the request came in on, whatever the client sent", Run: runEchoForwardedProto,
			Grade: grade.Grade{Level: grade.Should, Source: grade.Ours("X-Forwarded-Proto is no standard (RFC 7239's Forwarded proto= is); a backend that builds URLs or marks cookies Secure by it, as the reference api-service marks its session cookie, is misled by the client's value or a wrong one")}},
			Feature: "EchoForwarded"},
		{Check: cases.Check{Title: "carry a websocket upgrade through to the backend (101 Switching Protocols from it, then its messages)", Run: runEchoWebsocket,
			Grade: grade.Grade{Level: grade.Must, Source: grade.CLI("keptn create project / create service: the CLI opens the log websocket on E/websocket, which upstream's nginx upgrades on api-service's route (facts §1, §8)")}},
			Feature: "EchoWebsocket"},
	}
}

// echoExchange is one request to the echo backend through the gateway and what the backend saw.
type echoExchange struct {
	Request string // the request head as sent (the token redacted)
	Status  int
	Report  echo.Report
	Answer  string // the start of an answer that is no echo report
}

// echoRequest is a request written by hand (so that its target and headers go on the wire exactly
// as given): the method, the target after the echo prefix, header lines, a body (chunked in
// pieces of 4 KiB when chunked is set).
type echoRequest struct {
	Method, Target string
	Header         []string
	Body           []byte
	Chunked        bool
}

// echoSend sends r through the gateway at base to the echo backend and reads what it saw. It is
// an error of the suite only when the connection cannot be made; an answer that is no echo report
// comes back with its status for the check to judge.
func echoSend(ctx context.Context, e *cases.Env, base string, r echoRequest) (*echoExchange, error) {
	spec := e.Target.Desc.Echo
	conn, host, err := dial(e, ctx, base)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	deadline := time.Now().Add(30 * time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = conn.SetDeadline(deadline)
	var head strings.Builder
	fmt.Fprintf(&head, "%s %s%s HTTP/1.1\r\nHost: %s\r\n", r.Method, spec.Prefix, r.Target, host)
	for _, h := range r.Header {
		head.WriteString(h + "\r\n")
	}
	shown := head.String() + "X-Token: (the API token)\r\n"
	head.WriteString("X-Token: " + e.Target.Token() + "\r\n")
	switch {
	case r.Chunked:
		head.WriteString("Transfer-Encoding: chunked\r\n")
		shown += "Transfer-Encoding: chunked\r\n"
	case r.Body != nil:
		head.WriteString("Content-Length: " + strconv.Itoa(len(r.Body)) + "\r\n")
		shown += "Content-Length: " + strconv.Itoa(len(r.Body)) + "\r\n"
	}
	head.WriteString("\r\n")
	var wire bytes.Buffer
	wire.WriteString(head.String())
	if r.Chunked {
		for b := r.Body; len(b) > 0; {
			n := min(len(b), 4096)
			fmt.Fprintf(&wire, "%x\r\n", n)
			wire.Write(b[:n])
			wire.WriteString("\r\n")
			b = b[n:]
		}
		wire.WriteString("0\r\n\r\n")
	} else {
		wire.Write(r.Body)
	}
	if _, err := conn.Write(wire.Bytes()); err != nil {
		return nil, fmt.Errorf("sending %s %s to the echo backend: %w", r.Method, r.Target, err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: r.Method})
	if err != nil {
		return nil, fmt.Errorf("reading the answer to %s %s: %w", r.Method, r.Target, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	x := &echoExchange{Request: shown, Status: resp.StatusCode}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &x.Report) != nil || x.Report.Method == "" {
		x.Answer = string(body[:min(len(body), 200)])
	}
	return x, nil
}

// echoed adds a problem when the answer is no echo report: the request did not reach the backend.
func echoed(res *cases.Result, check string, x *echoExchange) bool {
	if x.Answer != "" || x.Status != http.StatusOK {
		addProblem(res, check, "%s %s answered %d without the echo backend's report (%q): the gateway did not forward it", methodOf(x.Request), targetOf(x.Request), x.Status, x.Answer)
		return false
	}
	return true
}

func methodOf(head string) string { m, _, _ := strings.Cut(head, " "); return m }
func targetOf(head string) string {
	_, rest, _ := strings.Cut(head, " ")
	t, _, _ := strings.Cut(rest, " ")
	return t
}

// EchoSkip says why the Upstream profile does not apply to the target ("": it does).
func EchoSkip(e *cases.Env) string {
	if e.Target.Desc.Echo == nil {
		return e.Target.MissingReason(target.CapEcho)
	}
	return ""
}

func runEchoPath(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
	var res cases.Result
	spec := e.Target.Desc.Echo
	for _, m := range []string{"GET", "PUT"} {
		var body []byte
		if m == "PUT" {
			body = []byte(`{"resources":[]}`)
		}
		x, err := echoSend(ctx, e, base, echoRequest{Method: m, Target: EchoRaw, Header: []string{"Content-Type: application/json", "Connection: close"}, Body: body})
		if err != nil {
			return res, err
		}
		if !echoed(&res, CheckEchoPath, x) {
			continue
		}
		if want := spec.UpstreamPrefix + EchoRaw; x.Report.RequestURI != want {
			addProblem(&res, CheckEchoPath, "%s %s%s reached the backend as %q, want %q (byte for byte)", m, spec.Prefix, EchoRaw, x.Report.RequestURI, want)
		}
	}
	return res, nil
}

// echoBody is a body no transformation leaves alone: CRLFs and a bare LF, a NUL, bytes that are
// no UTF-8, trailing white space, JSON with odd spacing; longer than a proxy's in-memory buffer.
func echoBody() []byte {
	var b bytes.Buffer
	b.WriteString("{ \"a\" :\t1 ,\r\n \"b\":\"\u00e9\\u00e9\" }  \n")
	for i := 0; b.Len() < 70<<10; i++ {
		fmt.Fprintf(&b, "line %d\r\n\x00\xff\xfe \t\n", i)
	}
	b.WriteString("  ")
	return b.Bytes()
}

func runEchoMethodBody(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
	var res cases.Result
	body := echoBody()
	sum := sha256.Sum256(body)
	want := hex.EncodeToString(sum[:])
	for _, c := range []struct {
		method, ctype string
		body          []byte
		chunked       bool
	}{
		{"GET", "", nil, false},
		{"POST", "application/json", body, false},
		{"POST", "application/octet-stream", body, true},
		{"PUT", "application/octet-stream", body, false},
		{"PATCH", "application/json", body, false},
		{"DELETE", "", nil, false},
		{"OPTIONS", "", nil, false},
	} {
		h := []string{"Cache-Control: no-transform", "Connection: close"}
		if c.ctype != "" {
			h = append(h, "Content-Type: "+c.ctype)
		}
		x, err := echoSend(ctx, e, base, echoRequest{Method: c.method, Target: "/conformance/method", Header: h, Body: c.body, Chunked: c.chunked})
		if err != nil {
			return res, err
		}
		framing := map[bool]string{true: "chunked", false: "Content-Length"}[c.chunked]
		if !echoed(&res, CheckEchoMethodBody, x) {
			continue
		}
		if x.Report.Method != c.method {
			addProblem(&res, CheckEchoMethodBody, "%s reached the backend as %s", c.method, x.Report.Method)
		}
		if c.body == nil {
			if x.Report.Body.Length != 0 {
				addProblem(&res, CheckEchoMethodBody, "%s without a body reached the backend with %d bytes", c.method, x.Report.Body.Length)
			}
			continue
		}
		if x.Report.Body.Length != int64(len(body)) || x.Report.Body.SHA256 != want {
			addProblem(&res, CheckEchoMethodBody, "%s with a body of %d bytes (%s, Cache-Control: no-transform) reached the backend as %d bytes, sha256 %s (want %s)",
				c.method, len(body), framing, x.Report.Body.Length, x.Report.Body.SHA256, want)
		}
		if got := x.Report.Header.Values("Content-Type"); !slices.Equal(got, []string{c.ctype}) {
			addProblem(&res, CheckEchoMethodBody, "%s with Content-Type %s reached the backend with Content-Type %q", c.method, c.ctype, got)
		}
	}
	return res, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func runEchoHopByHop(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
	var res cases.Result
	// A field of a random name, so that no configuration can strip it by name: only by reading
	// Connection, as RFC 9110 requires.
	name := "X-Conformance-Hop-" + randomHex(4)
	x, err := echoSend(ctx, e, base, echoRequest{Method: "GET", Target: "/conformance/hop-by-hop",
		Header: []string{"Connection: close, " + name, name + ": secret-for-the-next-hop-only"}})
	if err != nil {
		return res, err
	}
	if !echoed(&res, CheckEchoHopByHop, x) {
		return res, nil
	}
	if v := x.Report.Header.Values(name); len(v) > 0 {
		addProblem(&res, CheckEchoHopByHop, "the client's Connection named %s, and the gateway forwarded it (%q) to the backend", name, v)
	}
	for _, v := range x.Report.Header.Values("Connection") {
		if strings.Contains(strings.ToLower(v), strings.ToLower(name)) {
			addProblem(&res, CheckEchoHopByHop, "the gateway forwarded the client's Connection options (Connection: %s) to the backend", v)
		}
	}
	return res, nil
}

func runEchoHopKnown(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
	var res cases.Result
	mark := randomHex(4)
	sent := map[string]string{
		"Keep-Alive":          "timeout=5, max=" + strconv.Itoa(100+int(mark[0])),
		"Proxy-Connection":    "keep-alive",
		"Te":                  "x-conformance-" + mark,
		"Upgrade":             "x-conformance/" + mark,
		"Proxy-Authorization": "Basic " + randomHex(12),
	}
	h := []string{"Connection: close"}
	for _, k := range []string{"Keep-Alive", "Proxy-Connection", "Te", "Upgrade", "Proxy-Authorization"} {
		h = append(h, k+": "+sent[k])
	}
	x, err := echoSend(ctx, e, base, echoRequest{Method: "GET", Target: "/conformance/hop-by-hop-known", Header: h})
	if err != nil {
		return res, err
	}
	if !echoed(&res, CheckEchoHopKnown, x) {
		return res, nil
	}
	for _, k := range []string{"Keep-Alive", "Proxy-Connection", "Te", "Upgrade", "Proxy-Authorization"} {
		if slices.Contains(x.Report.Header.Values(k), sent[k]) {
			addProblem(&res, CheckEchoHopKnown, "the gateway forwarded the client's %s (%q) to the backend as sent", k, redactBasic(k, sent[k]))
		}
	}
	return res, nil
}

func redactBasic(k, v string) string {
	if k == "Proxy-Authorization" {
		return "Basic (redacted)"
	}
	return v
}

// spoofedFor is the address a client claims in X-Forwarded-For (TEST-NET-3, RFC 5737).
const spoofedFor = "203.0.113.7"

func runEchoForwardedFor(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
	var res cases.Result
	for _, claim := range []string{"", spoofedFor} {
		h := []string{"Connection: close"}
		if claim != "" {
			h = append(h, "X-Forwarded-For: "+claim)
		}
		x, err := echoSend(ctx, e, base, echoRequest{Method: "GET", Target: "/conformance/forwarded-for", Header: h})
		if err != nil {
			return res, err
		}
		if !echoed(&res, CheckEchoForwardedFor, x) {
			continue
		}
		var hops []string
		for _, v := range x.Report.XForwardedFor {
			for _, a := range strings.Split(v, ",") {
				hops = append(hops, strings.TrimSpace(a))
			}
		}
		with := "without an X-Forwarded-For of its own"
		if claim != "" {
			with = "claiming X-Forwarded-For: " + claim
		}
		if len(hops) == 0 {
			addProblem(&res, CheckEchoForwardedFor, "a request %s reached the backend without X-Forwarded-For", with)
			continue
		}
		switch last := hops[len(hops)-1]; {
		case last == claim:
			addProblem(&res, CheckEchoForwardedFor, "a request %s reached the backend with X-Forwarded-For %q: the client's own value, as the client's address", with, x.Report.XForwardedFor)
		case net.ParseIP(last) == nil:
			addProblem(&res, CheckEchoForwardedFor, "a request %s reached the backend with X-Forwarded-For %q, whose last element is no address", with, x.Report.XForwardedFor)
		}
	}
	return res, nil
}

func runEchoForwardedProto(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
	var res cases.Result
	d := e.Target.Desc
	var bases []string
	if d.HTTP != "" && !d.StrictHTTPS {
		bases = append(bases, d.HTTP)
	}
	if d.HTTPS != "" {
		bases = append(bases, d.HTTPS)
	}
	for _, b := range bases {
		u, err := url.Parse(b)
		if err != nil {
			return res, err
		}
		other := map[string]string{"http": "https", "https": "http"}[u.Scheme]
		for _, claim := range []string{"", other} {
			h := []string{"Connection: close"}
			if claim != "" {
				h = append(h, "X-Forwarded-Proto: "+claim)
			}
			x, err := echoSend(ctx, e, b, echoRequest{Method: "GET", Target: "/conformance/forwarded-proto", Header: h})
			if err != nil {
				return res, err
			}
			if !echoed(&res, CheckEchoForwardProto, x) {
				continue
			}
			var got []string
			for _, v := range x.Report.XForwardedProto {
				for _, p := range strings.Split(v, ",") {
					got = append(got, strings.ToLower(strings.TrimSpace(p)))
				}
			}
			if len(got) == 0 || slices.ContainsFunc(got, func(p string) bool { return p != u.Scheme }) {
				with := "without an X-Forwarded-Proto of its own"
				if claim != "" {
					with = "claiming X-Forwarded-Proto: " + claim
				}
				addProblem(&res, CheckEchoForwardProto, "a request on the %s listener %s reached the backend with X-Forwarded-Proto %q, want %q", u.Scheme, with, x.Report.XForwardedProto, u.Scheme)
			}
		}
	}
	return res, nil
}

func runEchoWebsocket(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
	var res cases.Result
	if e.Target.Desc.Echo.Websocket == "" {
		res.Skip = "the target names no websocket route to its echo backend (--echo-websocket; upstream upgrades only api-service's /api/websocket)"
		return res, nil
	}
	u, err := url.Parse(base)
	if err != nil {
		return res, err
	}
	u.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
	u.Path = e.Target.Desc.Echo.Websocket
	u.RawQuery = "conformance=" + randomHex(4)
	d := websocket.Dialer{TLSClientConfig: e.Target.TLSConfig(), HandshakeTimeout: 15 * time.Second}
	c, resp, err := d.DialContext(ctx, u.String(), http.Header{"X-Token": {e.Target.Token()}})
	if err != nil {
		status := "no answer"
		if resp != nil {
			status = resp.Status
		}
		addProblem(&res, CheckEchoWebsocket, "a websocket upgrade of GET %s was not carried through (%s: %v)", u.Path, status, err)
		return res, nil
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
	var rep echo.Report
	if err := c.ReadJSON(&rep); err != nil {
		addProblem(&res, CheckEchoWebsocket, "the websocket of GET %s opened (101), but no message of the backend came through: %v", u.Path, err)
		return res, nil
	}
	if !rep.Websocket {
		addProblem(&res, CheckEchoWebsocket, "the websocket of GET %s opened, but the backend saw no upgrade (Upgrade %q, Connection %q)", u.Path, rep.Header.Values("Upgrade"), rep.Header.Values("Connection"))
	}
	return res, nil
}
