package cases

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
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
	h := http.Header{}
	h.Set("x-token", token)
	ex, err := e.Target.Client(e.Base).Do(ctx, contract.Request{Method: "POST", Path: "/api/v1/auth", Header: h})
	if err != nil || ex.Response == nil {
		return 0
	}
	return ex.Status()
}

// Rotation is the outcome of one run of the documented reset procedure.
type Rotation struct {
	Old, New string
	// Latency is from the new secret's creation until the new token was accepted and the old one
	// refused (awaited, polled every 10ms).
	Latency time.Duration
	Result  Result
}

// Rotate runs the documented reset: retrieve the token, delete the secret, create it anew with
// token to, restart api-service unless the gateway reloads by itself, and await the change. The
// suite uses the new token from then on.
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
	for {
		newOK := e.authStatus(ctx, to) == http.StatusOK
		oldRefused := e.authStatus(ctx, rot.Old) == http.StatusUnauthorized
		if newOK && oldRefused {
			rot.Latency = time.Since(changed)
			e.Target.SetToken(to)
			return rot
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			e.Target.SetToken(to) // whatever the gateway does, the secret holds the new token now
			switch {
			case !newOK && !oldRefused:
				return fail(CheckRotationEffective, "%s after the secret changed, the gateway still takes the old token and refuses the new one", maxWait)
			case !newOK:
				return fail(CheckRotationEffective, "%s after the secret changed, the gateway still refuses the new token", maxWait)
			default:
				return fail(CheckRotationEffective, "%s after the secret changed, the gateway still accepts the old token", maxWait)
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Millisecond):
		}
	}
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

// LoadFigures are what a load run during a rotation measured.
type LoadFigures struct {
	Requests int
	// Failed are answers of 5xx and connection errors: there must be none.
	Failed int
	// NewRefused are 401s for the new token after it took effect: there must be none.
	NewRefused int
	// OldRefused are 401s for the old token in the moment before clients switched (expected).
	OldRefused int
	Rate       float64 // achieved requests per second
	Latency    time.Duration
	Examples   []string
}

// LoadDuringRotation keeps a steady load of rate requests per second on the gateway for d, from
// concurrent clients, and rotates the token a third of the way in; clients switch to the new token
// when the rotation says it took effect.
func (e *Env) LoadDuringRotation(ctx context.Context, store target.TokenStore, rate int, d, maxWait time.Duration) (LoadFigures, Rotation) {
	type token struct {
		value string
		fresh bool // the new token
	}
	var cur atomic.Pointer[token]
	cur.Store(&token{value: e.Target.Token()})
	var effective atomic.Int64 // unix nanos when the new token took effect
	var (
		mu  sync.Mutex
		fig LoadFigures
	)
	note := func(s string) {
		if len(fig.Examples) < 5 {
			fig.Examples = append(fig.Examples, s)
		}
	}
	jobs := make(chan struct{}, rate)
	var wg sync.WaitGroup
	client := e.Target.Client(e.Base)
	paths := []string{"/api/v1/auth", "/api/configuration-service/v1/project?pageSize=1", "/api/mongodb-datastore/event?pageSize=1"}
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
				ex, err := client.Do(ctx, contract.Request{Method: method, Path: p, RawQuery: q, Header: h})
				at := time.Now().UnixNano()
				mu.Lock()
				fig.Requests++
				switch {
				case err != nil || ex.Err != nil || ex.Response == nil:
					fig.Failed++
					note(fmt.Sprintf("%s %s: no answer", method, path))
				case ex.Status() >= 500:
					fig.Failed++
					note(fmt.Sprintf("%s %s: %d", method, path, ex.Status()))
				case ex.Status() == http.StatusUnauthorized && t.fresh && effective.Load() != 0 && at > effective.Load():
					fig.NewRefused++
					note(fmt.Sprintf("%s %s: 401 for the new token after it took effect", method, path))
				case ex.Status() == http.StatusUnauthorized && !t.fresh:
					fig.OldRefused++
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
		case <-time.After(d / 3):
		case <-ctx.Done():
			return
		}
		to := NewToken()
		rot = e.Rotate(ctx, store, to, maxWait)
		effective.Store(time.Now().UnixNano())
		cur.Store(&token{value: to, fresh: true})
	}()
	// Pace by the clock, not by a ticker (a coarse timer would lose ticks): each millisecond, send
	// what the rate owes by now.
	start, sent := time.Now(), 0
	for elapsed := time.Duration(0); elapsed < d && ctx.Err() == nil; elapsed = time.Since(start) {
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
