package auth

import (
	"crypto/sha256"
	"sync"
	"time"
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
	s.failures++
	if over := s.failures - t.limit; over >= 0 {
		backoff := ThrottleWindow
		if over < 5 {
			backoff = min(ThrottleWindow, t.backoff<<over)
		}
		s.until = now.Add(backoff)
	}
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
