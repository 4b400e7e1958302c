package auth

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/state"
)

// Login throttling: wrong passwords are counted per user name (known or not, so that the
// answers tell no one apart) and per client address, over a window. Past the limit, every login
// of that key is refused (429) for a backoff that starts at ThrottleBackoff and doubles with each
// further wrong password, never longer than ThrottleWindow after the last one. A successful login
// clears its user's count; right passwords are never counted.
const (
	ThrottleWindow   = time.Minute
	ThrottleBackoff  = 2 * time.Second
	UserFailureLimit = 5  // wrong passwords per user name and window
	AddrFailureLimit = 20 // wrong passwords per client address and window (addresses are shared)
	// throttleKeys bounds the memory the counts take; past it, new keys are not counted.
	throttleKeys = 10000
)

// Throttle counts wrong passwords per key.
type Throttle struct {
	mu    sync.Mutex
	limit int
	// backoff is the first refusal (ThrottleBackoff unless WithBackoff says).
	backoff time.Duration
	keys    map[[sha256.Size]byte]*strikes // by the key's digest: a long user name costs no more
	now     func() time.Time
	// st, when set (Shared), keeps the counts instead of keys, under name.
	st   state.Store
	name string
}

type strikes struct {
	failures int
	first    time.Time
	until    time.Time // refused until then
}

// NewThrottle refuses a key for a while once it has limit wrong passwords in a window.
func NewThrottle(limit int) *Throttle {
	return &Throttle{limit: limit, backoff: ThrottleBackoff, keys: map[[sha256.Size]byte]*strikes{}, now: time.Now}
}

// WithBackoff makes the first refusal last d instead of ThrottleBackoff (d <= 0: unchanged).
func (t *Throttle) WithBackoff(d time.Duration) *Throttle {
	if d > 0 {
		t.backoff = d
	}
	return t
}

// Wait is how long key is still refused (0: not refused).
func (t *Throttle) Wait(key string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.keys[sha256.Sum256([]byte(key))]
	if s == nil {
		return 0
	}
	return max(0, s.until.Sub(t.now()))
}

// Fail counts a wrong password for key.
func (t *Throttle) Fail(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	k := sha256.Sum256([]byte(key))
	s := t.keys[k]
	if s != nil && now.Sub(s.first) > ThrottleWindow {
		s = nil // the window has passed: start again
	}
	if s == nil {
		if len(t.keys) >= throttleKeys {
			t.prune(now)
			if len(t.keys) >= throttleKeys {
				return
			}
		}
		s = &strikes{first: now}
		t.keys[k] = s
	}
	t.strike(s, now)
}

// strike counts a wrong password in s, at now, and refuses for the backoff past the limit.
func (t *Throttle) strike(s *strikes, now time.Time) {
	s.failures++
	if over := s.failures - t.limit; over >= 0 {
		backoff := ThrottleWindow
		if over < 5 {
			backoff = min(ThrottleWindow, t.backoff<<over)
		}
		s.until = now.Add(backoff)
	}
}

// Shared makes the throttle count in st (bucket state.Throttle, keys prefixed by name): replicas
// of api-service sharing st count each wrong password once for all of them. Use CheckWait,
// CountFailure and Clear then.
func (t *Throttle) Shared(st state.Store, name string) *Throttle {
	t.st, t.name = st, name
	return t
}

// sharedStrikes are strikes as a shared store keeps them.
type sharedStrikes struct {
	Failures int       `json:"failures"`
	First    time.Time `json:"first"`
	Until    time.Time `json:"until"`
}

func (t *Throttle) sharedKey(key string) string { return state.Key(t.name + "\x00" + key) }

// CheckWait is Wait, in the shared store when there is one; err is a store that could not say.
func (t *Throttle) CheckWait(ctx context.Context, key string) (time.Duration, error) {
	if t.st == nil {
		return t.Wait(key), nil
	}
	var s sharedStrikes
	err := t.st.Get(ctx, state.Throttle, t.sharedKey(key), &s)
	if errors.Is(err, state.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return max(0, s.Until.Sub(t.now())), nil
}

// CountFailure is Fail, in the shared store when there is one.
func (t *Throttle) CountFailure(ctx context.Context, key string) error {
	if t.st == nil {
		t.Fail(key)
		return nil
	}
	return t.st.Update(ctx, state.Throttle, t.sharedKey(key), func(cur []byte) (any, time.Time, error) {
		now := t.now()
		var s sharedStrikes
		if cur != nil {
			if err := json.Unmarshal(cur, &s); err != nil {
				s = sharedStrikes{}
			}
		}
		if s.First.IsZero() || now.Sub(s.First) > ThrottleWindow {
			s = sharedStrikes{First: now} // the window has passed: start again
		}
		k := strikes{failures: s.Failures, first: s.First, until: s.Until}
		t.strike(&k, now)
		s = sharedStrikes{Failures: k.failures, First: k.first, Until: k.until}
		expires := s.First.Add(ThrottleWindow)
		if s.Until.After(expires) {
			expires = s.Until
		}
		return s, expires.Add(time.Second), nil
	})
}

// Clear is Reset, in the shared store when there is one.
func (t *Throttle) Clear(ctx context.Context, key string) error {
	if t.st == nil {
		t.Reset(key)
		return nil
	}
	return t.st.Delete(ctx, state.Throttle, t.sharedKey(key))
}

// Reset forgets key's wrong passwords (a successful login).
func (t *Throttle) Reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.keys, sha256.Sum256([]byte(key)))
}

// prune drops the keys whose window and refusal are over.
func (t *Throttle) prune(now time.Time) {
	for k, s := range t.keys {
		if now.Sub(s.first) > ThrottleWindow && !now.Before(s.until) {
			delete(t.keys, k)
		}
	}
}
