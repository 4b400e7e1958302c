package apiservice

import (
	"context"
	"errors"
	"math"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/auth"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/httpx"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/ids"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/state"
)

type credentials struct {
	Username *string `json:"username"`
	Password *string `json:"password"`
}

type userJSON struct {
	ID             string `json:"id"`
	Email          string `json:"email"`
	OrgID          string `json:"org_id"`
	OrgName        string `json:"org_name"`
	FirstName      string `json:"first_name"`
	LastName       string `json:"last_name"`
	ExpirationDate string `json:"expiration_date"`
}

// secure reports whether the client reached the gateway over HTTPS (the gateway in front sets
// X-Forwarded-Proto and drops any value a client sent).
func secure(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}

func (s *Service) login(w http.ResponseWriter, r *http.Request) {
	var c credentials
	if err := httpx.DecodeJSON(r, &c); err != nil {
		httpx.WriteErr(w, err)
		return
	}
	if c.Username == nil || *c.Username == "" || c.Password == nil || *c.Password == "" {
		httpx.WriteError(w, http.StatusBadRequest, "username and password are required")
		return
	}
	userKey, addrKey := "user:"+*c.Username, "addr:"+clientAddr(r)
	waitUser, err := s.byUser.CheckWait(r.Context(), userKey)
	if err != nil {
		s.fail(w, "reading the login throttle", err)
		return
	}
	waitAddr, err := s.byAddr.CheckWait(r.Context(), addrKey)
	if err != nil {
		s.fail(w, "reading the login throttle", err)
		return
	}
	if wait := max(waitUser, waitAddr); wait > 0 {
		httpx.WriteError(w, http.StatusTooManyRequests, "too many wrong passwords: try again in %ss", retryAfter(w, wait))
		return
	}
	// bcrypt is expensive: a few comparisons at a time, the others wait a little or are refused.
	select {
	case s.bcryptSlots <- struct{}{}:
	case <-time.After(loginQueueWait):
		retryAfter(w, time.Second)
		httpx.WriteError(w, http.StatusServiceUnavailable, "too many logins at once: try again shortly")
		return
	case <-r.Context().Done():
		return
	}
	user, ok := s.opts.Users.Authenticate(*c.Username, *c.Password)
	<-s.bcryptSlots
	if !ok {
		// The same answer for an unknown user and a wrong password (a throttle that could not
		// count it is logged: the answer stays the same).
		for _, count := range []struct {
			t   *auth.Throttle
			key string
		}{{s.byUser, userKey}, {s.byAddr, addrKey}} {
			if err := count.t.CountFailure(r.Context(), count.key); err != nil {
				s.log.Warn("counting a wrong password failed", "err", err)
			}
		}
		httpx.WriteError(w, http.StatusUnauthorized, "invalid username or password")
		return
	}
	if err := s.byUser.Clear(r.Context(), userKey); err != nil {
		s.log.Warn("clearing the login throttle failed", "err", err)
	}
	// A new session id on every login; a session cookie the client already had is ended.
	if old, err := r.Cookie(auth.CookieName); err == nil {
		if err := s.sessions.Delete(r.Context(), old.Value); err != nil {
			s.fail(w, "ending the earlier session", err)
			return
		}
	}
	id, expires, err := s.sessions.Create(r.Context(), user.Username)
	if err != nil {
		s.fail(w, "creating a session", err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: auth.CookieName, Value: id, Path: "/", Expires: expires,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(r),
	})
	s.log.Info("user logged in", "user", user.Username)
	httpx.WriteJSON(w, http.StatusOK, userJSON{
		ID: user.ID, Email: user.Email, OrgID: user.OrgID, OrgName: user.OrgName,
		FirstName: user.FirstName, LastName: user.LastName,
		ExpirationDate: expires.UTC().Format(time.RFC3339),
	})
}

// loginQueueWait is how long a login waits for a bcrypt slot before it is refused (503).
const loginQueueWait = 5 * time.Second

// retryAfter says, in whole seconds (at least 1), when to try again, and returns the seconds.
func retryAfter(w http.ResponseWriter, d time.Duration) string {
	secs := strconv.Itoa(int(max(1, math.Ceil(d.Seconds()))))
	w.Header().Set("Retry-After", secs)
	return secs
}

// clientAddr is the address the client called from: the gateway in front says it
// (X-Forwarded-For, set by the gateway and never taken from the client), else the connection's.
func clientAddr(r *http.Request) string {
	if v := r.Header.Get("X-Forwarded-For"); v != "" {
		return v
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Service) logout(w http.ResponseWriter, r *http.Request) {
	user, ok, err := s.session(r)
	if err != nil {
		s.fail(w, "looking up the session", err)
		return
	}
	if !ok {
		httpx.WriteError(w, http.StatusUnauthorized, "not logged in")
		return
	}
	c, _ := r.Cookie(auth.CookieName)
	if err := s.sessions.Delete(r.Context(), c.Value); err != nil {
		s.fail(w, "ending a session", err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: auth.CookieName, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(r),
	})
	s.log.Info("user logged out", "user", user)
	w.WriteHeader(http.StatusNoContent)
}

type controlPlane struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Config      map[string]string `json:"config"`
}

type page struct {
	Number int `json:"number"`
	Size   int `json:"size"`
	Total  int `json:"total"`
}

type controlPlanes struct {
	Data []controlPlane `json:"data"`
	Meta struct {
		Page page `json:"page"`
	} `json:"meta"`
}

// listControlPlanes lists the one control plane a reference gateway has: this Keptn installation.
func (s *Service) listControlPlanes(w http.ResponseWriter, r *http.Request) {
	id, err := s.installationID(r.Context())
	if err != nil {
		s.fail(w, "reading the installation id", err)
		return
	}
	scheme := "http"
	if secure(r) {
		scheme = "https"
	}
	var out controlPlanes
	out.Data = []controlPlane{{
		ID: id, Name: "keptn", Description: "Keptn " + KeptnVersion + " control plane behind this gateway",
		Config: map[string]string{"control_plane_endpoint": scheme + "://" + r.Host + "/api", "cluster_type": "keptn"},
	}}
	out.Meta.Page = page{Number: 1, Size: 100, Total: len(out.Data)}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// installationID is a random id made once and kept in the state store (the first replica's,
// when they share one).
func (s *Service) installationID(ctx context.Context) (string, error) {
	var id string
	err := s.st.Get(ctx, state.Config, "installation-id", &id)
	if errors.Is(err, state.ErrNotFound) {
		id = ids.NewUUID()
		err = s.st.Add(ctx, state.Config, "installation-id", &id, time.Time{})
	}
	return id, err
}
