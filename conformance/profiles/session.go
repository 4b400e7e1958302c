package profiles

import (
	"cmp"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
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
	CheckSessionTiming      = "session-timing"      // an unknown user is answered markedly sooner than a wrong password
	CheckSessionSecure      = "session-secure"      // the cookie of a login over HTTPS is not Secure
	CheckSessionLinkable    = "session-linkable"    // session ids of one user share parts, or are made of the user and the time
	CheckSessionRelogin     = "session-relogin"     // a login that sends an earlier session's cookie gets no working session
	CheckSessionUserFields  = "session-user-fields" // a documented field of the login's user is missing
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
	h := http.Header{}
	if len(cookies) > 0 {
		h.Set("Cookie", strings.Join(cookies, "; "))
	}
	return logInWith(e, ctx, base, username, password, h)
}

// logInWith logs in through base with the request headers h (besides its content type).
func logInWith(e *cases.Env, ctx context.Context, base, username, password string, h http.Header) (login, error) {
	h = h.Clone()
	h.Set("Content-Type", "application/json")
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
	return l, accepted(l, res), nil
}

// loggedInWith is loggedIn with request headers of its own.
func loggedInWith(e *cases.Env, ctx context.Context, base string, res *cases.Result, h http.Header) (login, bool, error) {
	c := creds(e)
	l, err := logInWith(e, ctx, base, c.Username, c.Password, h)
	if err != nil {
		return l, false, err
	}
	return l, accepted(l, res), nil
}

// accepted records a login with the right password and says whether it answered 200 with a cookie.
func accepted(l login, res *cases.Result) bool {
	res.Exchanges = append(res.Exchanges, l.ex)
	res.Problems = append(res.Problems, contract.ValidateResponse(l.ex)...)
	switch {
	case l.ex.Response == nil:
		return false
	case l.ex.Status() != http.StatusOK:
		res.Problems = append(res.Problems, contract.Problem{Check: CheckSessionLogin, Message: fmt.Sprintf("logging in with the right password answered %d, want 200", l.ex.Status())})
		return false
	case l.cookie == nil:
		res.Problems = append(res.Problems, contract.Problem{Check: CheckSessionLogin, Message: "logging in set no session cookie"})
		return false
	}
	return !res.Failed()
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

// clearedGrade: a logout that sets the session cookie again should expire it.
var clearedGrade = grade.Grade{Level: grade.Should, Source: grade.RFCSection("RFC 6265 §3.1: a server removes a cookie by setting it again with an expiration date in the past; " +
	"one set again without Max-Age or Expires stays in the browser for the rest of its session, sent with every request")}

// clearedCookie checks the Set-Cookie a logout answers for the session cookie, if any: it must
// expire the cookie (Max-Age=0 or less, or an Expires in the past).
func clearedCookie(ex *contract.Exchange, name string) []contract.Problem {
	if ex.Response == nil {
		return nil
	}
	for _, c := range ex.Response.Cookies() {
		if c.Name != name {
			continue
		}
		if c.MaxAge < 0 || !c.Expires.IsZero() && c.Expires.Before(time.Now()) {
			continue
		}
		return []contract.Problem{{Check: CheckSessionLogout, Grade: clearedGrade,
			Message: fmt.Sprintf("DELETE /api/auth sets the session cookie %s again without expiring it (no Max-Age=0, no Expires in the past): %q", name, c.String())}}
	}
	return nil
}

// expectStatus adds the exchange and a problem when its status is not want.
func expectStatus(res *cases.Result, ex *contract.Exchange, want int, check, what string) {
	res.Exchanges = append(res.Exchanges, ex)
	res.Problems = append(res.Problems, contract.ValidateResponse(ex)...)
	if ex.Response != nil && ex.Status() != want {
		res.Problems = append(res.Problems, contract.Problem{Check: check, Message: fmt.Sprintf("%s: status %d, want %d", what, ex.Status(), want)})
	}
}

// cookieStatus sends an operation's (or a path's) GET with a cookie and expects a status.
func cookieStatus(e *cases.Env, ctx context.Context, base string, res *cases.Result, opID, path, cookie string, want int, check, what string) error {
	ex, err := withCookie(e, ctx, base, opID, path, cookie)
	if err != nil {
		return err
	}
	expectStatus(res, ex, want, check, what)
	return nil
}

func cookieHeader(c *http.Cookie) string { return c.Name + "=" + c.Value }

// SessionChecks are the checks of the session profile.
func SessionChecks() []cases.Check {
	return []cases.Check{
		{Title: "refuse the control planes and logout without a session, and serve the control planes to a logged-in user", Grade: konnect("GET /api/control_planes: 401 without credentials, 200 with the session"), Run: func(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
			var res cases.Result
			if err := cookieStatus(e, ctx, base, &res, "listControlPlanes", "", "", 401, cases.CheckUnauthorized, "GET /api/control_planes without credentials"); err != nil {
				return res, err
			}
			if err := cookieStatus(e, ctx, base, &res, "logout", "", "", 401, cases.CheckUnauthorized, "DELETE /api/auth without a session"); err != nil {
				return res, err
			}
			l, ok, err := loggedIn(e, ctx, base, &res)
			if err != nil || !ok {
				return res, err
			}
			if err := cookieStatus(e, ctx, base, &res, "listControlPlanes", "", cookieHeader(l.cookie), 200, CheckSessionLogin, "GET /api/control_planes with the session cookie"); err != nil {
				return res, err
			}
			return res, nil
		}},
		{Title: "accept the session cookie on the Keptn API, in place of the token", Grade: grade.Grade{Level: grade.Should, Source: grade.Ours("the web UI's users reach the Keptn API through their session, without handling the token")}, Run: func(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
			var res cases.Result
			l, ok, err := loggedIn(e, ctx, base, &res)
			if err != nil || !ok {
				return res, err
			}
			for _, op := range []string{"getMetadata", "getProjects", "getEvents"} {
				if err := cookieStatus(e, ctx, base, &res, op, "", cookieHeader(l.cookie), 200, CheckSessionLogin, op+" with the session cookie and no token"); err != nil {
					return res, err
				}
			}
			return res, nil
		}},
		{Title: "set the session cookie HttpOnly, SameSite=Strict, Path=/, expiring at the user's expiration_date (and SHOULD set it without Domain)", Grade: konnect("POST /api/auth: Set-Cookie with Path=/, Expires, HttpOnly, SameSite=Strict (RFC 6265 §4.1.2)"), Run: func(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
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
		{Title: "answer an unknown user and a wrong password alike: 401 with the same body, and the unknown user not markedly sooner", Grade: grade.Grade{Level: grade.Should, Source: grade.Guide("OWASP Authentication Cheat Sheet: authentication and error messages, response times")}, Run: runEnumeration, Feature: "Enumeration"},
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
					if err := cookieStatus(e, ctx, base, &res, op, "", l.cookie.Name+"="+val, 401, CheckSessionTamper, op+" with "+what); err != nil {
						return res, err
					}
				}
			}
			return res, nil
		}},
		{Title: "end a session at logout: its cookie then gets 401 (and SHOULD expire the cookie when the answer sets it again)", Grade: konnect("DELETE /api/auth ends the session"), Run: func(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
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
			res.Problems = append(res.Problems, clearedCookie(ex, l.cookie.Name)...)
			for _, op := range []string{"listControlPlanes", "getMetadata"} {
				if err := cookieStatus(e, ctx, base, &res, op, "", cookieHeader(l.cookie), 401, CheckSessionLogout, op+" with the cookie of an ended session"); err != nil {
					return res, err
				}
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
			if err := cookieStatus(e, ctx, base, &res, "listControlPlanes", "", cookieHeader(l.cookie), 401, CheckSessionExpiry, "GET /api/control_planes after the session's expiration_date"); err != nil {
				return res, err
			}
			return res, nil
		}, Waits: true},
		{Title: "answer a login with every documented field of the user, an empty one too: id, email, org_id, org_name, first_name, last_name, expiration_date", Grade: konnect("POST /api/auth 200: the user {id, email, org_id, org_name, first_name, last_name, expiration_date}"), Run: runUserFields},
		{Title: "give a working new session at a login that sends an earlier session's cookie (the earlier one may go on or end)", Grade: konnect("POST /api/auth: a login answers 200 with a session cookie that GET /api/control_planes accepts"), Run: runRelogin},
		// Over plain HTTP nothing is required of X-Forwarded-Proto: a gateway behind a
		// TLS-terminating front may take its front's word, and the suite cannot tell whether it talks
		// to the front or past it (a Secure cookie over plain HTTP is dropped by the browser anyway).
		// Over HTTPS the connection itself says it, and no header may talk the gateway out of it.
		{Title: "set the session cookie Secure at a login over HTTPS, also when the client claims X-Forwarded-Proto: http", Grade: grade.Grade{Level: grade.Should, Source: grade.Guide("OWASP Session Management Cheat Sheet: the Secure cookie attribute (RFC 6265 §4.1.2.5); a client's X-Forwarded-Proto is not to be trusted")}, Run: runSecure},
		{Title: "make the session ids of one user's logins in the same second unlinkable: no long shared prefix or suffix, no hash or encoding of the user name and the time", Grade: grade.Grade{Level: grade.Should, Source: grade.Guide("OWASP Session Management Cheat Sheet: the session ID content must be meaningless")}, Run: runLinkable, Waits: true},
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

// cookieScopeGrade is the grade of a session cookie's scope: host-only.
var cookieScopeGrade = grade.Grade{Level: grade.Should, Source: grade.Guide("OWASP Session Management Cheat Sheet: cookie Domain attribute (RFC 6265 §4.1.2.3)")}

// The enumeration check's samples: logins with a wrong password for the session user, and as
// unknown users, interleaved. At most three wrong passwords: with the catalogue's own, four in a
// run, so that a gateway throttling the fifth wrong password of a minute never refuses the other
// checks' logins of that user.
const (
	enumerationWrong   = 3
	enumerationUnknown = 4
	// An unknown user answered, at the quickest, in under 1/timingRatio of a wrong password's
	// quickest answer, and timingGap sooner, tells who has an account. The quickest of each kind,
	// not the median: a loaded machine's scheduling only ever adds to a sample, and a hash a
	// gateway does for every wrong password is in each of them, the quickest too. Both margins
	// are wide: a gateway that does the same work for both (a password hash) is never that far
	// apart, since every one of its wrong-password answers would have to be delayed; one that
	// skips the hash for an unknown user is (a bcrypt comparison takes 50 ms and more).
	timingRatio = 5
	timingGap   = 20 * time.Millisecond
)

func runEnumeration(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
	var res cases.Result
	var wrong, unknown *contract.Exchange
	var tookWrong, tookUnknown []time.Duration
	for i := range enumerationWrong + enumerationUnknown {
		isUnknown := i%2 == 0
		user := creds(e).Username
		if isUnknown {
			user = cases.RandomName("nobody-")
		}
		start := time.Now()
		l, err := logIn(e, ctx, base, user, "wrong-"+cases.NewUUID())
		took := time.Since(start)
		if err != nil {
			return res, err
		}
		if l.ex.Status() == http.StatusTooManyRequests {
			break // throttled: judge what was gathered
		}
		if isUnknown {
			expectStatus(&res, l.ex, 401, CheckSessionEnumeration, "logging in as an unknown user")
			unknown = cmp.Or(unknown, l.ex)
		} else {
			expectStatus(&res, l.ex, 401, cases.CheckUnauthorized, "logging in with a wrong password")
			wrong = cmp.Or(wrong, l.ex)
		}
		if l.ex.Status() != http.StatusUnauthorized {
			return res, nil
		}
		if isUnknown {
			tookUnknown = append(tookUnknown, took)
		} else {
			tookWrong = append(tookWrong, took)
		}
	}
	if wrong != nil && unknown != nil && string(wrong.RespBody) != string(unknown.RespBody) {
		res.Problems = append(res.Problems, contract.Problem{Check: CheckSessionEnumeration,
			Message: fmt.Sprintf("the answers differ, which tells who has an account: %q vs %q", wrong.RespBody, unknown.RespBody)})
	}
	if len(tookWrong) >= 2 && len(tookUnknown) >= 2 {
		qw, qu := slices.Min(tookWrong), slices.Min(tookUnknown)
		if qw >= timingRatio*qu && qw-qu >= timingGap {
			res.Problems = append(res.Problems, contract.Problem{Check: CheckSessionTiming,
				Message: fmt.Sprintf("an unknown user is answered in %s at the quickest, a wrong password in no less than %s (%v vs %v, interleaved): the time tells who has an account",
					qu.Round(time.Millisecond), qw.Round(time.Millisecond), rounded(tookUnknown), rounded(tookWrong))})
		}
	}
	return res, nil
}

func rounded(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}

// userFields are the documented fields of the login's user (facts §9).
var userFields = []string{"id", "email", "org_id", "org_name", "first_name", "last_name", "expiration_date"}

func runUserFields(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
	var res cases.Result
	// Judged whatever else the answer's schema finds: a missing field is one of those findings too.
	l, _, err := loggedIn(e, ctx, base, &res)
	if err != nil || l.ex.Status() != http.StatusOK {
		return res, err
	}
	var user map[string]json.RawMessage
	if json.Unmarshal(l.ex.RespBody, &user) != nil {
		res.Problems = append(res.Problems, cases.Problem(CheckSessionUserFields, "the login's answer is no JSON object: %q", l.ex.RespBody))
		return res, nil
	}
	for _, f := range userFields {
		if _, ok := user[f]; !ok {
			res.Problems = append(res.Problems, cases.Problem(CheckSessionUserFields, "the login's user has no %s (an empty one is still answered, as \"\")", f))
		}
	}
	return res, nil
}

func runRelogin(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
	var res cases.Result
	first, ok, err := loggedIn(e, ctx, base, &res)
	if err != nil || !ok {
		return res, err
	}
	next, ok, err := loggedIn(e, ctx, base, &res, cookieHeader(first.cookie))
	if err != nil || !ok {
		return res, err
	}
	if err := cookieStatus(e, ctx, base, &res, "listControlPlanes", "", cookieHeader(next.cookie), 200, CheckSessionRelogin, "GET /api/control_planes with the session of a login that sent an earlier session's cookie"); err != nil {
		return res, err
	}
	// The earlier session: Konnect's documentation says nothing of it, so either answer will do.
	ex, err := withCookie(e, ctx, base, "listControlPlanes", "", cookieHeader(first.cookie))
	if err != nil {
		return res, err
	}
	res.Exchanges = append(res.Exchanges, ex)
	res.Problems = append(res.Problems, contract.ValidateResponse(ex)...)
	if s := ex.Status(); ex.Response != nil && s != http.StatusOK && s != http.StatusUnauthorized {
		res.Problems = append(res.Problems, cases.Problem(CheckSessionRelogin, "GET /api/control_planes with the earlier session's cookie after a new login: status %d, want 200 (it goes on) or 401 (it ended)", s))
	}
	return res, nil
}

func runSecure(ctx context.Context, e *cases.Env, _ string) (cases.Result, error) {
	var res cases.Result
	https := e.Target.Desc.HTTPS
	if https == "" {
		return cases.Result{Skip: e.Target.MissingReason(target.CapHTTPS)}, nil
	}
	for _, claim := range []string{"", "http"} {
		h, what := http.Header{}, "a login over HTTPS"
		if claim != "" {
			h.Set("X-Forwarded-Proto", claim)
			what += " with X-Forwarded-Proto: " + claim
		}
		l, ok, err := loggedInWith(e, ctx, https, &res, h)
		if err != nil || !ok {
			return res, err
		}
		if !l.cookie.Secure {
			res.Problems = append(res.Problems, cases.Problem(CheckSessionSecure, "the session cookie of %s is not Secure: a plain HTTP request would carry it", what))
		}
	}
	return res, nil
}

// linkLogins is how many logins the linkability check makes back to back (most in the same
// second), before one more in a later second.
const linkLogins = 6

// linkBits is the most a pair of ids may share at either end beyond what every id has (a fixed
// tag): two random ids share 32 bits there once in 2^31 pairs.
const linkBits = 32

type issuedID struct {
	id       string
	from, to time.Time // the login's request was sent and answered between these
}

func runLinkable(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
	var res cases.Result
	var ids []issuedID
	logInOnce := func() (bool, error) {
		from := time.Now()
		l, ok, err := loggedIn(e, ctx, base, &res)
		if err != nil || !ok {
			return false, err
		}
		ids = append(ids, issuedID{l.cookie.Value, from, time.Now()})
		return true, nil
	}
	for range linkLogins {
		if ok, err := logInOnce(); !ok {
			return res, err
		}
	}
	// One more in a later second, so that what every id shares is a fixed tag, not the time.
	select {
	case <-ctx.Done():
		return res, ctx.Err()
	case <-time.After(time.Until(ids[len(ids)-1].to.Truncate(time.Second).Add(time.Second))):
	}
	if ok, err := logInOnce(); !ok {
		return res, err
	}
	res.Exchanges = res.Exchanges[:1]
	user := creds(e).Username
	values := make([]string, len(ids))
	for i, id := range ids {
		values[i] = id.id
		if how := derivation(id, user); how != "" {
			res.Problems = append(res.Problems, cases.Problem(CheckSessionLinkable, "the session id %q is %s", id.id, how))
			return res, nil
		}
	}
	// What every id has at either end is a fixed tag (the last login was in another second).
	pre := len(commonPrefix(values))
	rest := make([]string, len(values))
	for i, v := range values {
		rest[i] = v[pre:]
	}
	suf := len(commonSuffix(rest))
	for i := range rest {
		rest[i] = rest[i][:len(rest[i])-suf]
	}
	perChar := math.Log2(float64(max(len(alphabet(values)), 2)))
	for i := range values {
		for j := i + 1; j < len(values); j++ {
			if values[i] == values[j] {
				res.Problems = append(res.Problems, cases.Problem(CheckSessionLinkable, "two logins got the same session id %q", values[i]))
				return res, nil
			}
			a, b := rest[i], rest[j]
			shared := max(len(commonPrefix([]string{a, b})), len(commonSuffix([]string{a, b})))
			if float64(shared)*perChar >= linkBits {
				res.Problems = append(res.Problems, cases.Problem(CheckSessionLinkable,
					"the session ids %q and %q of two logins share %d characters at one end (beyond what every id has): they can be linked", values[i], values[j], shared))
				return res, nil
			}
		}
	}
	return res, nil
}

// derivation says how a session id is made of the user name and the time of its login (a hash of
// them, or them in plain text), or "".
func derivation(id issuedID, user string) string {
	plains := decodings(id.id)
	for _, plain := range plains {
		if len(user) >= 4 && strings.Contains(plain, user) {
			return "the user name in plain text"
		}
	}
	hashes := map[string]func([]byte) []byte{
		"MD5":     func(b []byte) []byte { h := md5.Sum(b); return h[:] },
		"SHA-1":   func(b []byte) []byte { h := sha1.Sum(b); return h[:] },
		"SHA-256": func(b []byte) []byte { h := sha256.Sum256(b); return h[:] },
		"SHA-512": func(b []byte) []byte { h := sha512.Sum512(b); return h[:] },
	}
	for sec := id.from.Unix() - 1; sec <= id.to.Unix()+1; sec++ {
		times := []string{strconv.FormatInt(sec, 10), time.Unix(sec, 0).UTC().Format(time.RFC3339)}
		for _, plain := range plains {
			if strings.Contains(plain, times[0]) {
				return "the login's time in plain text"
			}
		}
		for _, t := range times {
			for _, sep := range []string{"", ":", "|", "-", "_", ".", " ", "/"} {
				for _, in := range []string{user + sep + t, t + sep + user} {
					for name, hash := range hashes {
						sum := hash([]byte(in))
						for _, enc := range encodings(sum) {
							if strings.Contains(id.id, enc[:16]) || (len(id.id) >= 16 && strings.Contains(enc, id.id)) {
								return fmt.Sprintf("the %s of %q: anyone who knows the user and the time can compute it", name, in)
							}
						}
					}
				}
			}
		}
	}
	return ""
}

// encodings are the usual text forms of a digest.
func encodings(b []byte) []string {
	h := hex.EncodeToString(b)
	return []string{h, strings.ToUpper(h), base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b)}
}

// decodings are an id as it is and decoded from hex or base64, where it decodes.
func decodings(id string) []string {
	out := []string{id}
	if b, err := hex.DecodeString(id); err == nil {
		out = append(out, string(b))
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(id); err == nil {
			out = append(out, string(b))
		}
	}
	return out
}

func alphabet(ids []string) map[rune]bool {
	out := map[rune]bool{}
	for _, id := range ids {
		for _, r := range id {
			out[r] = true
		}
	}
	return out
}

func commonPrefix(ss []string) string {
	p := ss[0]
	for _, s := range ss[1:] {
		for !strings.HasPrefix(s, p) {
			p = p[:len(p)-1]
		}
	}
	return p
}

func commonSuffix(ss []string) string {
	p := ss[0]
	for _, s := range ss[1:] {
		for !strings.HasSuffix(s, p) {
			p = p[1:]
		}
	}
	return p
}
