package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/ids"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/store"
)

// CookieName is the session cookie's name.
const CookieName = "keptn_session"

// sessionIDBytes is the randomness in a session id: 256 bits.
const sessionIDBytes = 32

const bucketSessions = "sessions"

// SessionBuckets are the store buckets Sessions needs.
var SessionBuckets = []string{bucketSessions}

// Sessions are the logged-in sessions, kept in the store by the SHA-256 of their id (a leaked
// store file does not hand out live sessions), so they survive a restart.
type Sessions struct {
	db  *store.DB
	ttl time.Duration
	now func() time.Time
}

type session struct {
	Username string    `json:"username"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires"`
}

// NewSessions keeps sessions in db (which must have SessionBuckets) for ttl each.
func NewSessions(db *store.DB, ttl time.Duration) *Sessions {
	return &Sessions{db: db, ttl: ttl, now: time.Now}
}

// Create starts a session for a user and returns its new id and expiry (whole seconds, so the
// cookie's Expires and the user JSON's expiration_date are the same instant).
func (s *Sessions) Create(username string) (id string, expires time.Time, err error) {
	id = ids.Token(sessionIDBytes)
	now := s.now().UTC()
	expires = now.Add(s.ttl).Truncate(time.Second)
	err = s.db.Update(func(tx *store.Tx) error {
		return store.Put(tx, bucketSessions, key(id), session{Username: username, Created: now, Expires: expires})
	})
	return id, expires, err
}

// Lookup returns the user name of a live session; expired sessions are removed.
func (s *Sessions) Lookup(id string) (username string, expires time.Time, ok bool) {
	if len(id) == 0 || len(id) > 128 {
		return "", time.Time{}, false
	}
	var sess session
	err := s.db.View(func(tx *store.Tx) error { return store.Get(tx, bucketSessions, key(id), &sess) })
	if err != nil {
		return "", time.Time{}, false
	}
	if !s.now().Before(sess.Expires) {
		_ = s.Delete(id)
		return "", time.Time{}, false
	}
	return sess.Username, sess.Expires, true
}

// Delete ends a session.
func (s *Sessions) Delete(id string) error {
	return s.db.Update(func(tx *store.Tx) error { return store.Delete(tx, bucketSessions, key(id)) })
}

func key(id string) string {
	d := sha256.Sum256([]byte(id))
	return hex.EncodeToString(d[:])
}
