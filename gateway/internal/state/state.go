// Package state is the api-service's state a client can observe across requests: the sessions,
// the bridge credentials, the installation id, the websocket tokens and the login throttle. One api-service keeps it
// in its own store (Local). Several replicas of api-service are one installation only if they
// share it: then each reaches the same store, served by the configuration-service role (the role
// that owns the installation's persistent storage) on an internal listener of its own (Server),
// through a Remote.
//
// The internal routes are not part of the Keptn API: they are served on a listener the gateway
// never forwards to (so neither the reference gateway nor nginx in front can expose them), and
// are authenticated by the network (only the cluster reaches that port). They carry no secret in
// the clear: session ids and websocket tokens arrive as their SHA-256 (Key).
package state

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/httpx"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/store"
)

// The buckets of shared state.
const (
	// Sessions maps Key(session id) to the session.
	Sessions = "sessions"
	// Config holds the bridge credentials ("bridge") and the installation id ("installation-id").
	Config = "config"
	// Websocket maps Key(websocket token) to its grant; each is taken once.
	Websocket = "websocket"
	// Throttle maps Key(user or address) to its wrong passwords (the login throttle).
	Throttle = "throttle"
	// Lease maps Key(project) to the replica changing it (a lifecycle plan), for minutes.
	Lease = "lease"
)

// Buckets are the buckets a Store serves.
var Buckets = []string{Sessions, Config, Websocket, Throttle, Lease}

// ErrNotFound is a key the store does not hold (or holds no longer: it expired).
var ErrNotFound = store.ErrNotFound

// Store is where an api-service keeps its shared state. The methods' errors other than
// ErrNotFound are *httpx.StatusError when a client should see them (503: the state store cannot
// be reached).
type Store interface {
	// Get decodes the value of key into v.
	Get(ctx context.Context, bucket, key string, v any) error
	// Put stores v under key; a non-zero expires lets the store forget it after that instant.
	Put(ctx context.Context, bucket, key string, v any, expires time.Time) error
	// Add stores v under key unless the key holds a value already; either way v is then the
	// value the store holds (the first writer wins, for values made once, such as ids).
	Add(ctx context.Context, bucket, key string, v any, expires time.Time) error
	// Take decodes the value of key into v and removes it, at once: only one taker gets it.
	Take(ctx context.Context, bucket, key string, v any) error
	// Delete removes key (no error when it is missing).
	Delete(ctx context.Context, bucket, key string) error
	// Update replaces the value of key by what fn makes of the current one (cur nil: none), as
	// one change: no other change comes between fn's read and its write (fn may run more than
	// once for that).
	Update(ctx context.Context, bucket, key string, fn func(cur []byte) (next any, expires time.Time, err error)) error
}

// Key is the key a secret (a session id, a websocket token) is kept under: its SHA-256, so that
// neither a store file nor the state routes hand out live secrets.
func Key(secret string) string {
	d := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(d[:])
}

// Limits of the state routes' input.
const (
	// MaxValueBytes bounds a request body of the state routes (a value and its expiry).
	MaxValueBytes = 64 << 10
	maxKeyLen     = 200
)

var keyRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// checkName reports a bucket or key the state routes do not serve.
func checkName(bucket, key string) error {
	if !slices.Contains(Buckets, bucket) {
		return httpx.Errorf(http.StatusNotFound, "no state bucket %q (there are %v)", bucket, Buckets)
	}
	if key == "" || len(key) > maxKeyLen || !keyRE.MatchString(key) {
		return httpx.Errorf(http.StatusBadRequest, "state key %q is invalid: 1 to %d letters, digits, '.', '_' or '-'", key, maxKeyLen)
	}
	return nil
}

// --- Local ---

// Local keeps the state in the api-service's own store (the buckets Sessions and Config, with
// the values as they always were there, so an existing store is read as before), and the
// rest (websocket tokens, the login throttle) in memory, as a single api-service always kept them:
// they live for minutes and concern only the process that made them.
type Local struct {
	DB  *store.DB
	Now func() time.Time

	mu  sync.Mutex
	mem map[string]memEntry // Websocket and Throttle, by bucket and key
}

type memEntry struct {
	raw     []byte
	expires time.Time
}

// LocalBuckets are the store buckets a Local needs.
var LocalBuckets = []string{Sessions, Config}

// NewLocal keeps state in db, which must have LocalBuckets.
func NewLocal(db *store.DB) *Local { return &Local{DB: db, Now: time.Now} }

func (l *Local) inMemory(bucket string) bool { return bucket != Sessions && bucket != Config }

// purge drops expired in-memory entries; l.mu is held.
func (l *Local) purge() {
	now := l.Now()
	for k, e := range l.mem {
		if !e.expires.IsZero() && !now.Before(e.expires) {
			delete(l.mem, k)
		}
	}
}

// setMem keeps an in-memory bucket's entry; l.mu is held.
func (l *Local) setMem(bucket, key string, raw []byte, expires time.Time) {
	if l.mem == nil {
		l.mem = map[string]memEntry{}
	}
	l.mem[bucket+"/"+key] = memEntry{raw: raw, expires: expires}
}

// Get implements Store.
func (l *Local) Get(_ context.Context, bucket, key string, v any) error {
	if l.inMemory(bucket) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.purge()
		e, ok := l.mem[bucket+"/"+key]
		if !ok {
			return ErrNotFound
		}
		return json.Unmarshal(e.raw, v)
	}
	return l.DB.View(func(tx *store.Tx) error { return store.Get(tx, bucket, key, v) })
}

// Put implements Store.
func (l *Local) Put(_ context.Context, bucket, key string, v any, expires time.Time) error {
	if l.inMemory(bucket) {
		raw, err := json.Marshal(v)
		if err != nil {
			return err
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		l.purge()
		l.setMem(bucket, key, raw, expires)
		return nil
	}
	return l.DB.Update(func(tx *store.Tx) error { return store.Put(tx, bucket, key, v) })
}

// Add implements Store.
func (l *Local) Add(_ context.Context, bucket, key string, v any, expires time.Time) error {
	if l.inMemory(bucket) {
		raw, err := json.Marshal(v)
		if err != nil {
			return err
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		l.purge()
		if e, ok := l.mem[bucket+"/"+key]; ok {
			return json.Unmarshal(e.raw, v)
		}
		l.setMem(bucket, key, raw, expires)
		return nil
	}
	return l.DB.Update(func(tx *store.Tx) error {
		if err := store.Get(tx, bucket, key, v); !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return store.Put(tx, bucket, key, v)
	})
}

// Take implements Store.
func (l *Local) Take(_ context.Context, bucket, key string, v any) error {
	if l.inMemory(bucket) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.purge()
		e, ok := l.mem[bucket+"/"+key]
		if !ok {
			return ErrNotFound
		}
		delete(l.mem, bucket+"/"+key)
		return json.Unmarshal(e.raw, v)
	}
	return l.DB.Update(func(tx *store.Tx) error {
		if err := store.Get(tx, bucket, key, v); err != nil {
			return err
		}
		return store.Delete(tx, bucket, key)
	})
}

// Delete implements Store.
func (l *Local) Delete(_ context.Context, bucket, key string) error {
	if l.inMemory(bucket) {
		l.mu.Lock()
		defer l.mu.Unlock()
		delete(l.mem, bucket+"/"+key)
		return nil
	}
	return l.DB.Update(func(tx *store.Tx) error { return store.Delete(tx, bucket, key) })
}

// Update implements Store.
func (l *Local) Update(_ context.Context, bucket, key string, fn func(cur []byte) (any, time.Time, error)) error {
	if l.inMemory(bucket) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.purge()
		var cur []byte
		if e, ok := l.mem[bucket+"/"+key]; ok {
			cur = e.raw
		}
		next, expires, err := fn(cur)
		if err != nil {
			return err
		}
		raw, err := json.Marshal(next)
		if err != nil {
			return err
		}
		l.setMem(bucket, key, raw, expires)
		return nil
	}
	return l.DB.Update(func(tx *store.Tx) error {
		var cur json.RawMessage
		if err := store.Get(tx, bucket, key, &cur); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		next, _, err := fn(cur)
		if err != nil {
			return err
		}
		return store.Put(tx, bucket, key, next)
	})
}

// unavailable is the error a client sees when the state store cannot be used.
func unavailable(op string, err error) error {
	return httpx.Errorf(http.StatusServiceUnavailable, "the state store cannot be reached (%s): %v", op, err)
}

// the implementations are Stores.
var (
	_ Store = (*Local)(nil)
	_ Store = (*Remote)(nil)
)
