package profiles

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/conformance/target"
)

// Check names of the session profile.
const (
	CheckSessionLogin       = "session-login"       // the login flow itself
	CheckSessionCookie      = "session-cookie"      // the cookie's attributes
	CheckSessionEnumeration = "session-enumeration" // an unknown user and a wrong password are told apart
	CheckSessionFixation    = "session-fixation"    // a session id is reused or kept from the client
	CheckSessionEntropy     = "session-entropy"     // session ids too predictable
	CheckSessionLogout      = "session-logout"      // a session outlives its logout
	CheckSessionTamper      = "session-tamper"      // a forged or altered cookie is accepted
	CheckSessionExpiry      = "session-expiry"      // a session outlives its expiration
)

type login struct {
	ex     *contract.Exchange
	cookie *http.Cookie
	user   map[string]any
}

func creds(e *cases.Env) *target.Credentials { return e.Target.Desc.Session }

// login logs the target's session user in (or whoever creds names) through base, sending the
// given cookies too.
func logIn(e *cases.Env, ctx context.Context, base, username, password string, cookies ...string) (login, error) {
	h := http.Header{"Content-Type": {"application/json"}}
	if len(cookies) > 0 {
		h.Set("Cookie", strings.Join(cookies, "; "))
	}
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	op, _ := cases.Operation("login")
	ex, err := e.Target.Client(base).Do(ctx, contract.Request{Op: op, Header: h, Body: body})
	if err != nil {
		return login{}, err
	}
	l := login{ex: ex}
	if ex.Response != nil && ex.Status() == http.StatusOK {
		for _, c := range ex.Response.Cookies() {
			if c.Value != "" {
				l.cookie = c
			}
		}
		_ = json.Unmarshal(ex.RespBody, &l.user)
	}
	return l, nil
}

// loggedIn logs the session user in and demands a 200 with a cookie.
func loggedIn(e *cases.Env, ctx context.Context, base string, res *cases.Result, cookies ...string) (login, bool, error) {
	c := creds(e)
	l, err := logIn(e, ctx, base, c.Username, c.Password, cookies...)
	if err != nil {
		return l, false, err
	}
	res.Exchanges = append(res.Exchanges, l.ex)
	res.Problems = append(res.Problems, contract.ValidateResponse(l.ex)...)
	switch {
	case l.ex.Response == nil:
		return l, false, nil
	case l.ex.Status() != http.StatusOK:
		res.Problems = append(res.Problems, contract.Problem{Check: CheckSessionLogin, Message: fmt.Sprintf("logging in with the right password answered %d, want 200", l.ex.Status())})
		return l, false, nil
	case l.cookie == nil:
		res.Problems = append(res.Problems, contract.Problem{Check: CheckSessionLogin, Message: "logging in set no session cookie"})
		return l, false, nil
	}
	return l, !res.Failed(), nil
}

// withCookie sends an operation's request (or a path's GET) with a cookie and no token.
func withCookie(e *cases.Env, ctx context.Context, base, opID, path, cookie string) (*contract.Exchange, error) {
	h := http.Header{}
	if cookie != "" {
		h.Set("Cookie", cookie)
	}
	req := contract.Request{Method: "GET", Path: path, Header: h}
	if opID != "" {
		op, err := cases.Operation(opID)
		if err != nil {
			return nil, err
		}
		req = contract.Request{Op: op, Header: h, PathParams: map[string]string{}}
	}
	return e.Target.Client(base).Do(ctx, req)
}

// expectStatus adds the exchange and a problem when its status is not want.
func expectStatus(res *cases.Result, ex *contract.Exchange, want int, check, what string) {
	res.Exchanges = append(res.Exchanges, ex)
	res.Problems = append(res.Problems, contract.ValidateResponse(ex)...)
	if ex.Response != nil && ex.Status() != want {
		res.Problems = append(res.Problems, contract.Problem{Check: check, Message: fmt.Sprintf("%s: status %d, want %d", what, ex.Status(), want)})
	}
}

func cookieHeader(c *http.Cookie) string { return c.Name + "=" + c.Value }

// SessionChecks are the checks of the session profile.
func SessionChecks() []cases.Check {
	return []cases.Check{
		{Title: "refuse the control planes and logout without a session, and serve the control planes to a logged-in user", Grade: konnect("GET /api/control_planes: 401 without credentials, 200 with the session"), Run: func(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
			var res cases.Result
			ex, err := withCookie(e, ctx, base, "listControlPlanes", "", "")
			if err != nil {
				return res, err
			}
			expectStatus(&res, ex, 401, cases.CheckUnauthorized, "GET /api/control_planes without credentials")
			ex, err = withCookie(e, ctx, base, "logout", "", "")
			if err != nil {
				return res, err
			}
			expectStatus(&res, ex, 401, cases.CheckUnauthorized, "DELETE /api/auth without a session")
			l, ok, err := loggedIn(e, ctx, base, &res)
			if err != nil || !ok {
				return res, err
			}
			ex, err = withCookie(e, ctx, base, "listControlPlanes", "", cookieHeader(l.cookie))
			if err != nil {
				return res, err
			}
			expectStatus(&res, ex, 200, CheckSessionLogin, "GET /api/control_planes with the session cookie")
			return res, nil
		}},
		{Title: "accept the session cookie on the Keptn API, in place of the token", Grade: grade.Grade{Level: grade.Should, Source: grade.Ours("the web UI's users reach the Keptn API through their session, without handling the token")}, Run: func(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
			var res cases.Result
			l, ok, err := loggedIn(e, ctx, base, &res)
			if err != nil || !ok {
				return res, err
			}
			for _, op := range []string{"getMetadata", "getProjects", "getEvents"} {
				ex, err := withCookie(e, ctx, base, op, "", cookieHeader(l.cookie))
				if err != nil {
					return res, err
				}
				expectStatus(&res, ex, 200, CheckSessionLogin, op+" with the session cookie and no token")
			}
			return res, nil
		}},
		{Title: "set the session cookie HttpOnly, SameSite=Strict, Path=/, expiring at the user's expiration_date (and SHOULD set it without Domain, and Secure over HTTPS)", Grade: konnect("POST /api/auth: Set-Cookie with Path=/, Expires, HttpOnly, SameSite=Strict (RFC 6265 §4.1.2)"), Run: func(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
			var res cases.Result
			l, ok, err := loggedIn(e, ctx, base, &res)
			if err != nil || !ok {
				return res, err
			}
			c := l.cookie
			bad := func(format string, args ...any) {
				res.Problems = append(res.Problems, contract.Problem{Check: CheckSessionCookie, Message: fmt.Sprintf(format, args...)})
			}
			if !c.HttpOnly {
				bad("the cookie is not HttpOnly")
			}
			if c.SameSite != http.SameSiteStrictMode {
				bad("the cookie is not SameSite=Strict")
			}
			if c.Path != "/" {
				bad("the cookie's Path is %q, want /", c.Path)
			}
			if c.Domain != "" {
				res.Problems = append(res.Problems, contract.Problem{Check: CheckSessionCookie, Grade: cookieScopeGrade,
					Message: fmt.Sprintf("the cookie has a Domain (%s): it should stay with the host that set it", c.Domain)})
			}
			if strings.HasPrefix(base, "https://") && !c.Secure {
				res.Problems = append(res.Problems, contract.Problem{Check: CheckSessionCookie, Grade: cookieScopeGrade,
					Message: "the cookie set over HTTPS is not Secure"})
			}
			exp, _ := l.user["expiration_date"].(string)
			when, err := time.Parse(time.RFC3339Nano, exp)
			switch {
			case err != nil:
				bad("the user's expiration_date %q is not a date-time", exp)
			case c.Expires.IsZero():
				bad("the cookie has no Expires")
			case c.Expires.Sub(when).Abs() > time.Second:
				bad("the cookie expires at %s, the user's expiration_date says %s", c.Expires.UTC().Format(time.RFC3339), exp)
			}
			return res, nil
		}},
		{Title: "answer an unknown user and a wrong password alike: 401 with the same body", Grade: grade.Grade{Level: grade.Should, Source: grade.Guide("OWASP Authentication Cheat Sheet: authentication and error messages")}, Run: func(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
			var res cases.Result
			wrong, err := logIn(e, ctx, base, creds(e).Username, "wrong-"+cases.NewUUID())
			if err != nil {
				return res, err
			}
			unknown, err := logIn(e, ctx, base, cases.RandomName("nobody-"), "wrong-"+cases.NewUUID())
			if err != nil {
				return res, err
			}
			expectStatus(&res, wrong.ex, 401, cases.CheckUnauthorized, "logging in with a wrong password")
			expectStatus(&res, unknown.ex, 401, CheckSessionEnumeration, "logging in as an unknown user")
			if !res.Failed() && string(wrong.ex.RespBody) != string(unknown.ex.RespBody) {
				res.Problems = append(res.Problems, contract.Problem{Check: CheckSessionEnumeration,
					Message: fmt.Sprintf("the answers differ, which tells who has an account: %q vs %q", wrong.ex.RespBody, unknown.ex.RespBody)})
			}
			return res, nil
		}},
		{Title: "refuse a tampered or forged session cookie with 401", Grade: konnect("a request without a valid session gets 401 (a forged or altered cookie is none)"), Run: func(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
			var res cases.Result
			l, ok, err := loggedIn(e, ctx, base, &res)
			if err != nil || !ok {
				return res, err
			}
			v := l.cookie.Value
			flipped := []byte(v)
			flipped[len(flipped)/2] ^= 0x01
			for what, val := range map[string]string{
				"the cookie with one character changed": string(flipped),
				"the cookie cut short":                  v[:len(v)/2],
				"a forged cookie":                       "forged-" + cases.NewUUID(),
			} {
				for _, op := range []string{"listControlPlanes", "getMetadata"} {
					ex, err := withCookie(e, ctx, base, op, "", l.cookie.Name+"="+val)
					if err != nil {
						return res, err
					}
					expectStatus(&res, ex, 401, CheckSessionTamper, op+" with "+what)
				}
			}
			return res, nil
		}},
		{Title: "end a session at logout: its cookie then gets 401", Grade: konnect("DELETE /api/auth ends the session"), Run: func(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
			var res cases.Result
			l, ok, err := loggedIn(e, ctx, base, &res)
			if err != nil || !ok {
				return res, err
			}
			op, _ := cases.Operation("logout")
			ex, err := e.Target.Client(base).Do(ctx, contract.Request{Op: op, Header: http.Header{"Cookie": {cookieHeader(l.cookie)}}})
			if err != nil {
				return res, err
			}
			expectStatus(&res, ex, 204, CheckSessionLogout, "DELETE /api/auth")
			for _, op := range []string{"listControlPlanes", "getMetadata"} {
				ex, err := withCookie(e, ctx, base, op, "", cookieHeader(l.cookie))
				if err != nil {
					return res, err
				}
				expectStatus(&res, ex, 401, CheckSessionLogout, op+" with the cookie of an ended session")
			}
			return res, nil
		}},
		{Title: "issue a new session id at every login, whatever session cookie the client sends", Grade: grade.Grade{Level: grade.Should, Source: grade.Guide("OWASP Session Management Cheat Sheet: renew the session ID on authentication")}, Run: func(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
			var res cases.Result
			first, ok, err := loggedIn(e, ctx, base, &res)
			if err != nil || !ok {
				return res, err
			}
			planted := first.cookie.Name + "=planted-by-an-attacker-" + cases.NewUUID()
			for _, sent := range []string{cookieHeader(first.cookie), planted} {
				next, ok, err := loggedIn(e, ctx, base, &res, sent)
				if err != nil || !ok {
					return res, err
				}
				if cookieHeader(next.cookie) == sent {
					res.Problems = append(res.Problems, contract.Problem{Check: CheckSessionFixation, Message: "a login kept the session id the client sent"})
				}
			}
			return res, nil
		}},
		{Title: "make session ids of at least 128 bits of randomness, never twice the same", Grade: grade.Grade{Level: grade.Should, Source: grade.Guide("OWASP Session Management Cheat Sheet: session ID entropy (at least 64 bits; 128 here)")}, Run: func(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
			var res cases.Result
			seen := map[string]bool{}
			var ids []string
			for i := 0; i < 12; i++ {
				l, ok, err := loggedIn(e, ctx, base, &res)
				if err != nil || !ok {
					return res, err
				}
				if seen[l.cookie.Value] {
					res.Problems = append(res.Problems, contract.Problem{Check: CheckSessionEntropy, Message: "the same session id came twice"})
					return res, nil
				}
				seen[l.cookie.Value] = true
				ids = append(ids, l.cookie.Value)
			}
			res.Exchanges = res.Exchanges[:1]
			if bits := estimateBits(ids); bits < 128 {
				res.Problems = append(res.Problems, contract.Problem{Check: CheckSessionEntropy,
					Message: fmt.Sprintf("session ids carry about %.0f bits of randomness, want at least 128 (ids like %q)", bits, ids[0])})
			}
			return res, nil
		}},
		{Title: "answer an undocumented method on its session paths with 405 and an Allow header (with a session where one is needed)", Grade: grade.Grade{Level: grade.Must, Source: grade.RFCSection("RFC 9110 §15.5.6 (405 Method Not Allowed with Allow)")}, Run: func(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
			var res cases.Result
			l, ok, err := loggedIn(e, ctx, base, &res)
			if err != nil || !ok {
				return res, err
			}
			for _, c := range []struct {
				path   string
				allow  []string
				cookie string
			}{
				{"/api/auth", []string{"POST", "DELETE"}, ""},
				{"/api/control_planes", []string{"GET"}, cookieHeader(l.cookie)},
			} {
				h := http.Header{}
				if c.cookie != "" {
					h.Set("Cookie", c.cookie)
				}
				ex, err := e.Target.Client(base).Do(ctx, contract.Request{Method: "PATCH", Path: c.path, Header: h})
				if err != nil {
					return res, err
				}
				res.Exchanges = append(res.Exchanges, ex)
				if ex.Status() != http.StatusMethodNotAllowed {
					res.Problems = append(res.Problems, cases.Problem(contract.CheckStatusExpected, "PATCH %s answered %d, want 405", c.path, ex.Status()))
					continue
				}
				res.Problems = append(res.Problems, cases.AllowProblems(ex.Response.Header, c.allow, "PATCH")...)
			}
			return res, nil
		}},
		{Title: "refuse a session after its expiration_date (checked when it expires within a minute)", Grade: konnect("POST /api/auth: the session lasts until the user's expiration_date"), Run: func(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
			var res cases.Result
			l, ok, err := loggedIn(e, ctx, base, &res)
			if err != nil || !ok {
				return res, err
			}
			exp, _ := l.user["expiration_date"].(string)
			when, err := time.Parse(time.RFC3339Nano, exp)
			if err != nil {
				return res, nil // the cookie check reports it
			}
			if time.Until(when) > time.Minute {
				return cases.Result{Skip: fmt.Sprintf("sessions last until %s: too long to wait for in a run", exp)}, nil
			}
			// Wait for the expiry to pass (one second of margin for clocks rounding down).
			select {
			case <-ctx.Done():
				return res, ctx.Err()
			case <-time.After(time.Until(when) + time.Second):
			}
			ex, err := withCookie(e, ctx, base, "listControlPlanes", "", cookieHeader(l.cookie))
			if err != nil {
				return res, err
			}
			expectStatus(&res, ex, 401, CheckSessionExpiry, "GET /api/control_planes after the session's expiration_date")
			return res, nil
		}},
	}
}

// estimateBits estimates the randomness of a set of ids: per character position, log2 of the
// number of distinct characters seen there (capped by what the sample can show), summed. Counters
// and timestamps score low; random tokens score their length times bits per character.
func estimateBits(ids []string) float64 {
	if len(ids) == 0 {
		return 0
	}
	alphabet := map[rune]bool{}
	minLen := len(ids[0])
	for _, id := range ids {
		for _, r := range id {
			alphabet[r] = true
		}
		minLen = min(minLen, len(id))
	}
	perChar := math.Log2(float64(max(len(alphabet), 2)))
	bits := 0.0
	for i := 0; i < minLen; i++ {
		distinct := map[byte]bool{}
		for _, id := range ids {
			distinct[id[i]] = true
		}
		// A position that never changes in the sample carries no randomness; one that changes
		// is credited with the alphabet's bits per character.
		if len(distinct) > 1 {
			bits += perChar
		}
	}
	return bits
}

// konnect is a MUST on the word of the Konnect admin API's documentation (facts §9).
func konnect(ref string) grade.Grade {
	return grade.Grade{Level: grade.Must, Source: grade.Docs("Konnect admin API: " + ref)}
}

// cookieScopeGrade is the grade of a session cookie's scope: host-only and Secure over HTTPS.
var cookieScopeGrade = grade.Grade{Level: grade.Should, Source: grade.Guide("OWASP Session Management Cheat Sheet: cookie Domain and Secure attributes (RFC 6265 §4.1.2.3, §4.1.2.5)")}
