package auth

import (
	"context"
	"errors"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/ids"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/state"
)

// CookieName is the session cookie's name.
const CookieName = "keptn_session"

// sessionIDBytes is the randomness in a session id: 256 bits.
const sessionIDBytes = 32

// Sessions are the logged-in sessions, kept in a state store by the SHA-256 of their id (a
// leaked store file does not hand out live sessions), so they survive a restart and, with a
// shared store, are the same on every replica of api-service.
type Sessions struct {
	st  state.Store
	ttl time.Duration
	now func() time.Time
}

type session struct {
	Username string    `json:"username"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires"`
}

// NewSessions keeps sessions in st for ttl each.
func NewSessions(st state.Store, ttl time.Duration) *Sessions {
	return &Sessions{st: st, ttl: ttl, now: time.Now}
}

// Create starts a session for a user and returns its new id and expiry (whole seconds, so the
// cookie's Expires and the user JSON's expiration_date are the same instant).
func (s *Sessions) Create(ctx context.Context, username string) (id string, expires time.Time, err error) {
	id = ids.Token(sessionIDBytes)
	now := s.now().UTC()
	expires = now.Add(s.ttl).Truncate(time.Second)
	err = s.st.Put(ctx, state.Sessions, state.Key(id), session{Username: username, Created: now, Expires: expires}, expires)
	return id, expires, err
}

// Lookup returns the user name of a live session; expired sessions are removed. ok is false
// for an unknown, ended or expired session; err is a store that could not say.
func (s *Sessions) Lookup(ctx context.Context, id string) (username string, expires time.Time, ok bool, err error) {
	if len(id) == 0 || len(id) > 128 {
		return "", time.Time{}, false, nil
	}
	var sess session
	err = s.st.Get(ctx, state.Sessions, state.Key(id), &sess)
	if errors.Is(err, state.ErrNotFound) {
		return "", time.Time{}, false, nil
	}
	if err != nil {
		return "", time.Time{}, false, err
	}
	if !s.now().Before(sess.Expires) {
		_ = s.Delete(ctx, id)
		return "", time.Time{}, false, nil
	}
	return sess.Username, sess.Expires, true, nil
}

// Delete ends a session.
func (s *Sessions) Delete(ctx context.Context, id string) error {
	if len(id) == 0 || len(id) > 128 {
		return nil // never a session
	}
	return s.st.Delete(ctx, state.Sessions, state.Key(id))
}
