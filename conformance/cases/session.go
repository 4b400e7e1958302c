package cases

import (
	"context"
	"encoding/json"
	"fmt"
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

// Check is one check of a profile that is procedure rather than one request (session, CLI).
type Check struct {
	// Title completes "the gateway MUST ...".
	Title string
	Run   func(ctx context.Context, e *Env, base string) (Result, error)
	// Grade is how strongly the check is required (zero: MUST on the upstream spec).
	Grade grade.Grade
}

// Name is the check's spec text, with its level.
func (c Check) Name() string {
	level := grade.Must
	if c.Grade.Level != "" {
		level = c.Grade.Level
	}
	return "the gateway " + string(level) + " " + c.Title
}

type login struct {
	ex     *contract.Exchange
	cookie *http.Cookie
	user   map[string]any
}

func (e *Env) creds() *target.Credentials { return e.Target.Desc.Session }

// login logs the target's session user in (or whoever creds names) through base, sending the
// given cookies too.
func (e *Env) login(ctx context.Context, base, username, password string, cookies ...string) (login, error) {
	h := http.Header{"Content-Type": {"application/json"}}
	if len(cookies) > 0 {
		h.Set("Cookie", strings.Join(cookies, "; "))
	}
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	op, _ := Operation("login")
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
func (e *Env) loggedIn(ctx context.Context, base string, res *Result, cookies ...string) (login, bool, error) {
	c := e.creds()
	l, err := e.login(ctx, base, c.Username, c.Password, cookies...)
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
func (e *Env) withCookie(ctx context.Context, base, opID, path, cookie string) (*contract.Exchange, error) {
	h := http.Header{}
	if cookie != "" {
		h.Set("Cookie", cookie)
	}
	req := contract.Request{Method: "GET", Path: path, Header: h}
	if opID != "" {
		op, err := Operation(opID)
		if err != nil {
			return nil, err
		}
		req = contract.Request{Op: op, Header: h, PathParams: map[string]string{}}
	}
	return e.Target.Client(base).Do(ctx, req)
}

// expectStatus adds the exchange and a problem when its status is not want.
func expectStatus(res *Result, ex *contract.Exchange, want int, check, what string) {
	res.Exchanges = append(res.Exchanges, ex)
	res.Problems = append(res.Problems, contract.ValidateResponse(ex)...)
	if ex.Response != nil && ex.Status() != want {
		res.Problems = append(res.Problems, contract.Problem{Check: check, Message: fmt.Sprintf("%s: status %d, want %d", what, ex.Status(), want)})
	}
}

func cookieHeader(c *http.Cookie) string { return c.Name + "=" + c.Value }

// SessionChecks are the checks of the session profile.
func SessionChecks() []Check {
	return []Check{
		{Title: "refuse the control planes and logout without a session, and serve the control planes to a logged-in user", Run: func(ctx context.Context, e *Env, base string) (Result, error) {
			var res Result
			ex, err := e.withCookie(ctx, base, "listControlPlanes", "", "")
			if err != nil {
				return res, err
			}
			expectStatus(&res, ex, 401, CheckUnauthorized, "GET /api/control_planes without credentials")
			ex, err = e.withCookie(ctx, base, "logout", "", "")
			if err != nil {
				return res, err
			}
			expectStatus(&res, ex, 401, CheckUnauthorized, "DELETE /api/auth without a session")
			l, ok, err := e.loggedIn(ctx, base, &res)
			if err != nil || !ok {
				return res, err
			}
			ex, err = e.withCookie(ctx, base, "listControlPlanes", "", cookieHeader(l.cookie))
			if err != nil {
				return res, err
			}
			expectStatus(&res, ex, 200, CheckSessionLogin, "GET /api/control_planes with the session cookie")
			return res, nil
		}},
		{Title: "accept the session cookie on the Keptn API, in place of the token", Run: func(ctx context.Context, e *Env, base string) (Result, error) {
			var res Result
			l, ok, err := e.loggedIn(ctx, base, &res)
			if err != nil || !ok {
				return res, err
			}
			for _, op := range []string{"getMetadata", "getProjects", "getEvents"} {
				ex, err := e.withCookie(ctx, base, op, "", cookieHeader(l.cookie))
				if err != nil {
					return res, err
				}
				expectStatus(&res, ex, 200, CheckSessionLogin, op+" with the session cookie and no token")
			}
			return res, nil
		}},
		{Title: "set the session cookie HttpOnly, SameSite=Strict, Path=/, without Domain, expiring at the user's expiration_date (and Secure over HTTPS)", Run: func(ctx context.Context, e *Env, base string) (Result, error) {
			var res Result
			l, ok, err := e.loggedIn(ctx, base, &res)
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
				bad("the cookie has a Domain (%s): it must stay with the host that set it", c.Domain)
			}
			if strings.HasPrefix(base, "https://") && !c.Secure {
				bad("the cookie set over HTTPS is not Secure")
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
		{Title: "answer an unknown user and a wrong password alike: 401 with the same body", Run: func(ctx context.Context, e *Env, base string) (Result, error) {
			var res Result
			wrong, err := e.login(ctx, base, e.creds().Username, "wrong-"+newUUID())
			if err != nil {
				return res, err
			}
			unknown, err := e.login(ctx, base, randomName("nobody-"), "wrong-"+newUUID())
			if err != nil {
				return res, err
			}
			expectStatus(&res, wrong.ex, 401, CheckUnauthorized, "logging in with a wrong password")
			expectStatus(&res, unknown.ex, 401, CheckSessionEnumeration, "logging in as an unknown user")
			if !res.Failed() && string(wrong.ex.RespBody) != string(unknown.ex.RespBody) {
				res.Problems = append(res.Problems, contract.Problem{Check: CheckSessionEnumeration,
					Message: fmt.Sprintf("the answers differ, which tells who has an account: %q vs %q", wrong.ex.RespBody, unknown.ex.RespBody)})
			}
			return res, nil
		}},
		{Title: "refuse a tampered or forged session cookie with 401", Run: func(ctx context.Context, e *Env, base string) (Result, error) {
			var res Result
			l, ok, err := e.loggedIn(ctx, base, &res)
			if err != nil || !ok {
				return res, err
			}
			v := l.cookie.Value
			flipped := []byte(v)
			flipped[len(flipped)/2] ^= 0x01
			for what, val := range map[string]string{
				"the cookie with one character changed": string(flipped),
				"the cookie cut short":                  v[:len(v)/2],
				"a forged cookie":                       "forged-" + newUUID(),
			} {
				for _, op := range []string{"listControlPlanes", "getMetadata"} {
					ex, err := e.withCookie(ctx, base, op, "", l.cookie.Name+"="+val)
					if err != nil {
						return res, err
					}
					expectStatus(&res, ex, 401, CheckSessionTamper, op+" with "+what)
				}
			}
			return res, nil
		}},
		{Title: "end a session at logout: its cookie then gets 401", Run: func(ctx context.Context, e *Env, base string) (Result, error) {
			var res Result
			l, ok, err := e.loggedIn(ctx, base, &res)
			if err != nil || !ok {
				return res, err
			}
			op, _ := Operation("logout")
			ex, err := e.Target.Client(base).Do(ctx, contract.Request{Op: op, Header: http.Header{"Cookie": {cookieHeader(l.cookie)}}})
			if err != nil {
				return res, err
			}
			expectStatus(&res, ex, 204, CheckSessionLogout, "DELETE /api/auth")
			for _, op := range []string{"listControlPlanes", "getMetadata"} {
				ex, err := e.withCookie(ctx, base, op, "", cookieHeader(l.cookie))
				if err != nil {
					return res, err
				}
				expectStatus(&res, ex, 401, CheckSessionLogout, op+" with the cookie of an ended session")
			}
			return res, nil
		}},
		{Title: "issue a new session id at every login, whatever session cookie the client sends", Run: func(ctx context.Context, e *Env, base string) (Result, error) {
			var res Result
			first, ok, err := e.loggedIn(ctx, base, &res)
			if err != nil || !ok {
				return res, err
			}
			planted := first.cookie.Name + "=planted-by-an-attacker-" + newUUID()
			for _, sent := range []string{cookieHeader(first.cookie), planted} {
				next, ok, err := e.loggedIn(ctx, base, &res, sent)
				if err != nil || !ok {
					return res, err
				}
				if cookieHeader(next.cookie) == sent {
					res.Problems = append(res.Problems, contract.Problem{Check: CheckSessionFixation, Message: "a login kept the session id the client sent"})
				}
			}
			return res, nil
		}},
		{Title: "make session ids of at least 128 bits of randomness, never twice the same", Run: func(ctx context.Context, e *Env, base string) (Result, error) {
			var res Result
			seen := map[string]bool{}
			var ids []string
			for i := 0; i < 12; i++ {
				l, ok, err := e.loggedIn(ctx, base, &res)
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
		{Title: "answer an undocumented method on its session paths with 405 and an Allow header (with a session where one is needed)", Run: func(ctx context.Context, e *Env, base string) (Result, error) {
			var res Result
			l, ok, err := e.loggedIn(ctx, base, &res)
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
					res.Problems = append(res.Problems, problem(contract.CheckStatusExpected, "PATCH %s answered %d, want 405", c.path, ex.Status()))
					continue
				}
				res.Problems = append(res.Problems, allowProblems(ex.Response.Header, c.allow, "PATCH")...)
			}
			return res, nil
		}},
		{Title: "refuse a session after its expiration_date (checked when it expires within a minute)", Run: func(ctx context.Context, e *Env, base string) (Result, error) {
			var res Result
			l, ok, err := e.loggedIn(ctx, base, &res)
			if err != nil || !ok {
				return res, err
			}
			exp, _ := l.user["expiration_date"].(string)
			when, err := time.Parse(time.RFC3339Nano, exp)
			if err != nil {
				return res, nil // the cookie check reports it
			}
			if time.Until(when) > time.Minute {
				return Result{Skip: fmt.Sprintf("sessions last until %s: too long to wait for in a run", exp)}, nil
			}
			// Wait for the expiry to pass (one second of margin for clocks rounding down).
			select {
			case <-ctx.Done():
				return res, ctx.Err()
			case <-time.After(time.Until(when) + time.Second):
			}
			ex, err := e.withCookie(ctx, base, "listControlPlanes", "", cookieHeader(l.cookie))
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
