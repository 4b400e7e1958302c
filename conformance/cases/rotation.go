package cases

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/conformance/target"
)

// Check names of the token rotation profile.
const (
	CheckRotationProcedure = "rotation-procedure"  // a step of the documented procedure failed
	CheckRotationEffective = "rotation-effective"  // the new token did not replace the old one in time
	CheckRotationBadSecret = "rotation-bad-secret" // an empty or malformed secret opened the API or locked it
	CheckRotationLoad      = "rotation-load"       // requests failed during the rotation
)

// NewToken makes a token the way the Keptn docs create one: 16 random bytes, base64.
func NewToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// authStatus is the status of POST /api/v1/auth with a token (0 on a transport error).
func (e *Env) authStatus(ctx context.Context, token string) int {
	return e.statusWith(ctx, rotationRoutes[0], token)
}

// rotationRoute is a request of one route class a rotation is watched on.
type rotationRoute struct{ class, method, path, query string }

// rotationRoutes are the gateway's route classes: api-service's own routes, where api-service
// checks the token, and the configuration-service and datastore routes, which the gateway guards
// with an auth subrequest (facts §1). A rotation has taken effect when it has on each.
var rotationRoutes = []rotationRoute{
	{"api-service", "POST", "/api/v1/auth", ""},
	{"configuration-service", "GET", "/api/configuration-service/v1/project", "pageSize=1"},
	{"mongodb-datastore", "GET", "/api/mongodb-datastore/event", "pageSize=1"},
}

// routeClasses are the route classes the target's layout has (Keptn 0.6 has no datastore).
func (e *Env) routeClasses() []rotationRoute {
	var out []rotationRoute
	for _, rr := range rotationRoutes {
		if _, err := e.Target.Layout().Path(rr.path); err == nil {
			out = append(out, rr)
		}
	}
	return out
}

// statusWith is the status of a route class's request with a token (0 on a transport error).
func (e *Env) statusWith(ctx context.Context, rr rotationRoute, token string) int {
	h := http.Header{}
	h.Set("x-token", token)
	ex, err := e.Target.Client(e.Base).Do(ctx, contract.Request{Method: rr.method, Path: rr.path, RawQuery: rr.query, Header: h})
	if err != nil || ex.Response == nil {
		return 0
	}
	return ex.Status()
}

// Names of a rotation's measurements in the report: from the secret's change until the new token
// was first accepted (2xx), and until the old one was first refused (401), on every route class.
// Each has the profile's rotation maximum as its limit; a value at the limit was not reached.
const (
	MeasureRotationAccepted = "rotation latency, acceptance (secret changed → the new token's first 2xx on every route class)"
	MeasureRotationRevoked  = "rotation latency, revocation (secret changed → the old token's first 401 on every route class)"
)

// Rotation is the outcome of one run of the documented reset procedure.
type Rotation struct {
	Old, New string
	// Accepted is from the new secret's creation until the new token had been accepted on every
	// route class, Revoked until the old one had been refused with 401 on every route class (each
	// polled every 10ms; the whole wait when it did not happen), Latency the later of the two.
	Accepted, Revoked, Latency time.Duration
	Result                     Result
}

// Figures are the rotation's acceptance and revocation latencies, with their limit.
func (rot Rotation) Figures(limit time.Duration) []Figure {
	return []Figure{
		{Name: MeasureRotationAccepted, Value: rot.Accepted.Seconds(), Unit: "s", Limit: limit.Seconds()},
		{Name: MeasureRotationRevoked, Value: rot.Revoked.Seconds(), Unit: "s", Limit: limit.Seconds()},
	}
}

// Rotate runs the documented reset: retrieve the token, delete the secret, create it anew with
// token to, restart api-service unless the gateway reloads by itself, and await the change on
// every route class: the new token accepted, and (measured on its own) the old one refused, each
// within maxWait of the secret's change. The suite uses the new token from then on.
func (e *Env) Rotate(ctx context.Context, store target.TokenStore, to string, maxWait time.Duration) Rotation {
	rot := Rotation{Old: e.Target.Token(), New: to}
	fail := func(check, format string, args ...any) Rotation {
		rot.Result.Problems = append(rot.Result.Problems, contract.Problem{Check: check, Message: fmt.Sprintf(format, args...)})
		return rot
	}
	got, err := store.Retrieve()
	switch {
	case err != nil:
		return fail(CheckRotationProcedure, "retrieving the token from %s: %v", store, err)
	case got != rot.Old:
		return fail(CheckRotationProcedure, "%s holds another token than the one the gateway accepts", store)
	}
	if err := store.Delete(); err != nil {
		return fail(CheckRotationProcedure, "deleting %s: %v", store, err)
	}
	if err := store.Create(to); err != nil {
		return fail(CheckRotationProcedure, "creating %s anew: %v", store, err)
	}
	changed := time.Now()
	if err := store.Restart(); err != nil {
		return fail(CheckRotationProcedure, "restarting api-service: %v", err)
	}
	deadline := changed.Add(maxWait)
	accepted, revoked := map[string]time.Duration{}, map[string]time.Duration{}
	classes := e.routeClasses()
	for {
		for _, rr := range classes {
			if _, ok := accepted[rr.class]; !ok {
				if s := e.statusWith(ctx, rr, to); s >= 200 && s < 300 {
					accepted[rr.class] = time.Since(changed)
				}
			}
			if _, ok := revoked[rr.class]; !ok && e.statusWith(ctx, rr, rot.Old) == http.StatusUnauthorized {
				revoked[rr.class] = time.Since(changed)
			}
		}
		done := len(accepted) == len(classes) && len(revoked) == len(classes)
		if done || time.Now().After(deadline) || ctx.Err() != nil {
			e.Target.SetToken(to) // whatever the gateway does, the secret holds the new token now
			waited := time.Since(changed)
			rot.Accepted, rot.Revoked = latest(accepted, len(classes), waited), latest(revoked, len(classes), waited)
			rot.Latency = max(rot.Accepted, rot.Revoked)
			if missing := classesWithout(classes, accepted); len(missing) > 0 {
				fail(CheckRotationEffective, "%s after the secret changed, the gateway still refuses the new token on the %s routes", maxWait, strings.Join(missing, ", "))
			}
			if missing := classesWithout(classes, revoked); len(missing) > 0 {
				fail(CheckRotationEffective, "%s after the secret changed, the gateway still does not refuse the old token with 401 on the %s routes", maxWait, strings.Join(missing, ", "))
			}
			return rot
		}
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// latest is when the last of n route classes had its change, or waited when one never had it.
func latest(at map[string]time.Duration, n int, waited time.Duration) time.Duration {
	if len(at) < n {
		return waited
	}
	var out time.Duration
	for _, d := range at {
		out = max(out, d)
	}
	return out
}

// classesWithout are the route classes a rotation's change was not seen on.
func classesWithout(classes []rotationRoute, at map[string]time.Duration) []string {
	var out []string
	for _, rr := range classes {
		if _, ok := at[rr.class]; !ok {
			out = append(out, rr.class)
		}
	}
	return out
}

// BadSecret writes a secret that is no valid token (empty, or malformed) and checks that the
// gateway neither opens the API nor drops the token it has; then it puts the secret back as it was.
func (e *Env) BadSecret(ctx context.Context, store target.TokenStore, content, what string, settle time.Duration) Result {
	var res Result
	good := e.Target.Token()
	add := func(format string, args ...any) {
		res.Problems = append(res.Problems, contract.Problem{Check: CheckRotationBadSecret, Message: fmt.Sprintf("after %s was written: "+format, append([]any{what}, args...)...)})
	}
	found, err := store.Retrieve()
	if err != nil {
		res.Problems = append(res.Problems, contract.Problem{Check: CheckRotationProcedure, Message: fmt.Sprintf("retrieving the token from %s: %v", store, err)})
		return res
	}
	if err := store.Delete(); err != nil {
		add("deleting the secret: %v", err)
		return res
	}
	if err := store.Create(content); err != nil {
		// Refusing such a secret outright is conformant too.
		_ = store.Create(found)
		return res
	}
	if err := store.Restart(); err != nil {
		add("restarting api-service: %v", err)
	}
	// Nothing to await here: the gateway must NOT change. Watch it for the time a reloading
	// gateway takes to notice a file, and see that it does not act on it.
	deadline := time.Now().Add(settle)
	for time.Now().Before(deadline) {
		if s := e.authStatus(ctx, content); s == http.StatusOK {
			add("the gateway accepts it as the token")
			break
		}
		if s := e.authStatus(ctx, "kc-any-token-at-all"); s == http.StatusOK {
			add("the gateway accepts any token: the API is open")
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if s := e.authStatus(ctx, good); s != http.StatusOK {
		res.Problems = append(res.Problems, contract.Problem{Check: CheckRotationBadSecret, Grade: keepTokenGrade,
			Message: fmt.Sprintf("after %s was written: the gateway no longer accepts the token it had (%d): a broken secret locked everyone out", what, s)})
	}
	_ = store.Delete()
	if err := store.Create(found); err != nil {
		add("restoring the secret: %v", err)
	}
	_ = store.Restart()
	return res
}

// How the load client's requests can be lost (LoadFigures.Lost): the kind of failure says whether
// the environment was slow (timed out on the client, after the per-request timeout) or the
// gateway failed (refused, reset, or answered 5xx, typically at once).
const (
	LostRefused  = "refused"                 // the connection to the gateway was refused
	LostReset    = "reset"                   // the connection was reset or closed before a whole answer
	Lost5xx      = "5xx"                     // the gateway answered with a server error
	LostStatus   = "another status"          // answered, but neither 2xx nor 401 (a 404 from a route the restart broke, say)
	LostTimedOut = "timed out on the client" // no answer within LoadRequestTimeout
	LostOther    = "other transport error"   // anything else (the example names it)
)

// LostKinds are the kinds of loss, in the order the report gives them.
var LostKinds = []string{LostRefused, LostReset, Lost5xx, LostStatus, LostTimedOut, LostOther}

// LoadRequestTimeout is the load client's per-request timeout: a request without a whole answer
// by then counts as lost (timed out on the client). It is the suite's HTTP client timeout, the
// patience of an ordinary API client, and longer than a patient gateway makes a client wait
// while the only api-service pod restarts on a loaded node (up to 15 s measured on kind), so that
// such a wait is not a loss, and a loss with its duration tells a slow environment (timed out
// after 30 s) from a defect (refused, reset or 5xx, typically at once).
const LoadRequestTimeout = 30 * time.Second

// Names of the load run's measurements in the report.
const (
	MeasureLoadRequests       = "load during rotation: requests"
	MeasureLoadRate           = "load during rotation: achieved rate"
	MeasureLoadTimeout        = "load during rotation: the load client's per-request timeout"
	MeasureLoadLost           = "load during rotation: lost (refused, reset, 5xx, another status than 2xx or 401, or timed out on the client), should be 0"
	MeasureLoadSlowest        = "load during rotation: slowest answered request"
	MeasureLoadNewRefused     = "load during rotation: 401 for the new token after it took effect, should be 0"
	MeasureLoadRotation       = "load during rotation: rotation latency"
	measureLoadLostKindPrefix = "load during rotation: lost, "
)

// MeasureLoadLostKind names the count of one kind of loss; MeasureLoadLostAfter how long the
// slowest of them took to fail.
func MeasureLoadLostKind(kind string) string { return measureLoadLostKindPrefix + kind }
func MeasureLoadLostAfter(kind string) string {
	return measureLoadLostKindPrefix + kind + ", failed after at most"
}

// LoadFigures are what a load run during a rotation measured.
type LoadFigures struct {
	Requests int
	// Lost are the requests without a good answer (5xx, or none), by kind (Lost*).
	Lost map[string]int
	// LostAfter is, per kind, the longest a lost request took to fail.
	LostAfter map[string]time.Duration
	// NewRefused are 401s for the new token after it took effect.
	NewRefused int
	// OldRefused are 401s for the old token in the moment before clients switched (expected).
	OldRefused int
	Rate       float64 // achieved requests per second
	// Slowest is the longest any answered request took.
	Slowest  time.Duration
	Latency  time.Duration
	Timeout  time.Duration // the per-request timeout the load client had
	Examples []string
}

// LostTotal is the number of lost requests of every kind.
func (f LoadFigures) LostTotal() int {
	n := 0
	for _, c := range f.Lost {
		n += c
	}
	return n
}

// lossOf says whether and how a request of the load run was lost ("" when it was answered 2xx,
// or 401: the old token refused, or the new one before it took effect, which the caller counts).
// Every load request is a valid read (or the token check) that a working gateway answers 2xx.
func lossOf(ex *contract.Exchange, err error) string {
	if err == nil && ex.Err == nil && ex.Response != nil {
		switch st := ex.Status(); {
		case st >= 500:
			return Lost5xx
		case st/100 == 2, st == http.StatusUnauthorized:
			return ""
		}
		return LostStatus
	}
	if err == nil {
		err = ex.Err
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return LostTimedOut
	case errors.Is(err, syscall.ECONNREFUSED):
		return LostRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return LostReset
	}
	return LostOther
}

// Load is a load run through a rotation: rate requests per second for Duration, the rotation a
// third of the way in, awaited for at most RotationMax.
type Load struct {
	Rate        int
	Duration    time.Duration
	RotationMax time.Duration
}

// RotationLoad is the check of a load run through the documented reset (Env.Load, on the target's
// token store). Losing requests while the only api-service pod restarts is what upstream Keptn
// does (one replica, restarted by the reset), so for an arbitrary installation the loss is a
// measured SHOULD; the reference gateway promises none, and its self-test holds it to 0
// (MeasureLoadLost).
var RotationLoad = Check{
	Title: "serve a steady load through a rotation without losing a request, and without refusing the new token once it took effect",
	Grade: grade.Grade{Level: grade.Should, Source: grade.Ours("the documented reset restarts api-service, which upstream runs as one replica; a gateway that bridges the restart keeps its clients working")},
	Run: func(ctx context.Context, e *Env, _ string) (Result, error) {
		fig, rot := e.LoadDuringRotation(ctx, e.Target.Tokens, e.Load)
		res := rot.Result
		res.Figures = fig.figures(e.Load)
		if lost := fig.LostTotal(); lost > 0 {
			var kinds []string
			for _, k := range LostKinds {
				if n := fig.Lost[k]; n > 0 {
					kinds = append(kinds, fmt.Sprintf("%d %s (after at most %.1fs)", n, k, fig.LostAfter[k].Seconds()))
				}
			}
			res.Problems = append(res.Problems, contract.Problem{Check: CheckRotationLoad,
				Message: fmt.Sprintf("%d of %d requests lost during the rotation (per-request timeout %s): %s; e.g. %v",
					lost, fig.Requests, fig.Timeout, strings.Join(kinds, ", "), fig.Examples)})
		}
		if fig.NewRefused > 0 {
			res.Problems = append(res.Problems, contract.Problem{Check: CheckRotationLoad,
				Message: fmt.Sprintf("%d requests with the new token were refused after it took effect, e.g. %v", fig.NewRefused, fig.Examples)})
		}
		return res, nil
	},
}

func (f LoadFigures) figures(load Load) []Figure {
	out := []Figure{
		{Name: MeasureLoadTimeout, Value: f.Timeout.Seconds(), Unit: "s"},
		{Name: MeasureLoadRequests, Value: float64(f.Requests), Unit: "requests"},
		{Name: MeasureLoadRate, Value: float64(int(f.Rate)), Unit: "requests/s"},
		{Name: MeasureLoadLost, Value: float64(f.LostTotal()), Unit: "requests"},
	}
	for _, k := range LostKinds {
		if n := f.Lost[k]; n > 0 {
			out = append(out, Figure{Name: MeasureLoadLostKind(k), Value: float64(n), Unit: "requests"},
				Figure{Name: MeasureLoadLostAfter(k), Value: f.LostAfter[k].Seconds(), Unit: "s"})
		}
	}
	return append(out,
		Figure{Name: MeasureLoadSlowest, Value: f.Slowest.Seconds(), Unit: "s"},
		Figure{Name: MeasureLoadNewRefused, Value: float64(f.NewRefused), Unit: "requests"},
		Figure{Name: MeasureLoadRotation, Value: f.Latency.Seconds(), Unit: "s", Limit: load.RotationMax.Seconds()})
}

// LoadDuringRotation keeps a steady load of load.Rate requests per second on the gateway for
// load.Duration, from concurrent clients each request bounded by LoadRequestTimeout, and rotates
// the token a third of the way in; clients switch to the new token when the rotation says it took
// effect.
func (e *Env) LoadDuringRotation(ctx context.Context, store target.TokenStore, load Load) (LoadFigures, Rotation) {
	type token struct {
		value string
		fresh bool // the new token
	}
	var cur atomic.Pointer[token]
	cur.Store(&token{value: e.Target.Token()})
	var effective atomic.Int64 // unix nanos when the new token took effect
	var (
		mu  sync.Mutex
		fig = LoadFigures{Lost: map[string]int{}, LostAfter: map[string]time.Duration{}, Timeout: LoadRequestTimeout}
	)
	note := func(s string) {
		if len(fig.Examples) < 5 {
			fig.Examples = append(fig.Examples, s)
		}
	}
	rate := load.Rate
	jobs := make(chan struct{}, rate)
	var wg sync.WaitGroup
	client := e.Target.Client(e.Base)
	paths := []string{"/api/v1/auth", "/api/configuration-service/v1/project?pageSize=1", "/api/mongodb-datastore/event?pageSize=1"}
	// Only the routes the target's layout has (Keptn 0.6: no datastore).
	served := paths[:0]
	for _, p := range paths {
		if _, err := e.Target.Layout().Path(strings.Split(p, "?")[0]); err == nil {
			served = append(served, p)
		}
	}
	paths = served
	workers := max(4, rate/25)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			n := i
			for range jobs {
				t := cur.Load()
				path := paths[n%len(paths)]
				n++
				method := "GET"
				if path == "/api/v1/auth" {
					method = "POST"
				}
				h := http.Header{}
				h.Set("x-token", t.value)
				p, q, _ := strings.Cut(path, "?")
				rctx, cancel := context.WithTimeout(ctx, LoadRequestTimeout)
				start := time.Now()
				ex, err := client.Do(rctx, contract.Request{Method: method, Path: p, RawQuery: q, Header: h})
				took := time.Since(start)
				cancel()
				at := time.Now().UnixNano()
				mu.Lock()
				fig.Requests++
				switch kind := lossOf(ex, err); {
				case kind == Lost5xx, kind == LostStatus:
					fig.Lost[kind]++
					fig.LostAfter[kind] = max(fig.LostAfter[kind], took)
					note(fmt.Sprintf("%s %s: answered %d after %.2fs", method, path, ex.Status(), took.Seconds()))
				case kind != "":
					fig.Lost[kind]++
					fig.LostAfter[kind] = max(fig.LostAfter[kind], took)
					cause := err
					if cause == nil {
						cause = ex.Err
					}
					note(fmt.Sprintf("%s %s: %s after %.2fs (%v)", method, path, kind, took.Seconds(), cause))
				case ex.Status() == http.StatusUnauthorized && t.fresh && effective.Load() != 0 && at > effective.Load():
					fig.NewRefused++
					note(fmt.Sprintf("%s %s: 401 for the new token after it took effect", method, path))
				case ex.Status() == http.StatusUnauthorized && !t.fresh:
					fig.OldRefused++
				}
				if ex != nil && ex.Response != nil {
					fig.Slowest = max(fig.Slowest, took)
				}
				mu.Unlock()
			}
		}(i)
	}
	var rot Rotation
	rotated := make(chan struct{})
	go func() {
		defer close(rotated)
		select {
		case <-time.After(load.Duration / 3):
		case <-ctx.Done():
			return
		}
		to := NewToken()
		rot = e.Rotate(ctx, store, to, load.RotationMax)
		effective.Store(time.Now().UnixNano())
		cur.Store(&token{value: to, fresh: true})
	}()
	// Pace by the clock, not by a ticker (a coarse timer would lose ticks): each millisecond, send
	// what the rate owes by now.
	start, sent := time.Now(), 0
	for elapsed := time.Duration(0); elapsed < load.Duration && ctx.Err() == nil; elapsed = time.Since(start) {
		for due := int(elapsed.Seconds() * float64(rate)); sent < due; sent++ {
			select {
			case jobs <- struct{}{}:
			default: // the clients are saturated; the achieved rate tells
			}
		}
		time.Sleep(time.Millisecond)
	}
	loaded := time.Since(start)
	<-rotated
	close(jobs)
	wg.Wait()
	fig.Rate = float64(fig.Requests) / loaded.Seconds()
	fig.Latency = rot.Latency
	return fig, rot
}
