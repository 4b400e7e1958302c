// Package apiservice is the api-service role of the reference gateway: it owns the API token and
// the sessions, checks them on every operation, and serves metadata, events, the project and
// service lifecycle (through the configuration-service and the datastore, over HTTP as upstream),
// evaluations and the bridge configuration; plus the Konnect-style session login.
package apiservice

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/auth"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/httpx"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/ids"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/state"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/store"
)

// KeptnVersion is the Keptn API version this implementation serves.
const KeptnVersion = "0.7.3"

const source = "https://github.com/keptn/keptn/api"

// Options configure the role.
type Options struct {
	DataDir string
	// StoreLockTimeout is how long to wait for a store another process holds.
	StoreLockTimeout time.Duration
	Tokens           *auth.Tokens
	Users            *auth.Users
	SessionTTL       time.Duration
	// ConfigurationService and Datastore reach the other roles (over the network, or in process).
	ConfigurationService *httpx.Client
	Datastore            *httpx.Client
	Log                  *slog.Logger
	// Version is the implementation's version, reported in the metadata.
	Version string
	// Store are the options of the role's store (store.NoSync for tests).
	Store []store.Option
	// ThrottleBackoff is the first refusal after too many wrong passwords (default
	// auth.ThrottleBackoff).
	ThrottleBackoff time.Duration
	// State is where the state a client observes across requests is kept (sessions, bridge
	// credentials, installation id, websocket tokens, login throttle, project leases): a store
	// shared by every replica of api-service (state.Remote), or nil for the role's own store, as
	// a single replica keeps it. The lifecycle journal is each replica's own either way.
	State state.Store
}

// Service is the api-service role.
type Service struct {
	opts     Options
	db       *store.DB
	st       state.Store
	sessions *auth.Sessions
	log      *slog.Logger
	now      func() time.Time
	// byUser and byAddr throttle wrong passwords; bcryptSlots bounds concurrent comparisons.
	byUser, byAddr *auth.Throttle
	bcryptSlots    chan struct{}
	// lifecycle serialises the lifecycle plans (see journal.go); crash, set by tests, stops a plan
	// after a step; stop and recovered end the recovery of interrupted plans.
	lifecycle sync.Mutex
	crash     atomic.Pointer[func(step string) error]
	stop      chan struct{}
	recovered sync.WaitGroup
}

// Open opens (creating) the role's store in the data directory.
func Open(opts Options) (*Service, error) {
	if opts.Tokens == nil || opts.ConfigurationService == nil || opts.Datastore == nil || opts.Log == nil {
		return nil, errors.New("apiservice: tokens, the configuration-service, the datastore and a logger are required")
	}
	if opts.Users == nil {
		opts.Users = auth.NoUsers(opts.Log)
	}
	if opts.StoreLockTimeout <= 0 {
		opts.StoreLockTimeout = 2 * time.Second
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = 12 * time.Hour
	}
	db, err := store.OpenWith(opts.DataDir, "api-service.db", opts.StoreLockTimeout, opts.Store, append([]string{bucketJournal}, state.LocalBuckets...)...)
	if err != nil {
		return nil, err
	}
	st := opts.State
	if st == nil {
		st = state.NewLocal(db)
	}
	s := &Service{opts: opts, db: db, st: st, sessions: auth.NewSessions(st, opts.SessionTTL), log: opts.Log, now: time.Now,
		byUser: auth.NewThrottle(auth.UserFailureLimit).WithBackoff(opts.ThrottleBackoff), byAddr: auth.NewThrottle(auth.AddrFailureLimit).WithBackoff(opts.ThrottleBackoff),
		bcryptSlots: make(chan struct{}, max(2, runtime.GOMAXPROCS(0))), stop: make(chan struct{})}
	if opts.State != nil {
		// Wrong passwords count on every replica at once.
		s.byUser.Shared(opts.State, "user")
		s.byAddr.Shared(opts.State, "addr")
	} else {
		// A shared store may be starting too: its replicas seed it at the first read instead.
		var c bridgeCredentials
		if err := s.bridgeCredentials(context.Background(), &c); err != nil {
			db.Close()
			return nil, err
		}
	}
	s.recovered.Add(1)
	go func() { defer s.recovered.Done(); s.recover(s.stop) }()
	return s, nil
}

// bridgeCredentials reads the bridge credentials, making them first if there are none, as Keptn's
// installer did (user keptn, a random password): `keptn configure bridge --output` shows them.
// Replicas sharing a store agree on the first that was made.
func (s *Service) bridgeCredentials(ctx context.Context, c *bridgeCredentials) error {
	err := s.st.Get(ctx, state.Config, "bridge", c)
	if errors.Is(err, state.ErrNotFound) {
		*c = bridgeCredentials{User: "keptn", Password: ids.Token(15)}
		err = s.st.Add(ctx, state.Config, "bridge", c, time.Time{})
	}
	return err
}

// Close stops the recovery of interrupted plans and closes the store.
func (s *Service) Close() error {
	close(s.stop)
	s.recovered.Wait()
	return s.db.Close()
}

// Handler serves the role at the upstream paths: `/v1/...` (the gateway strips `/api`), and the
// session API at `/auth` and `/control_planes`. Credentials are checked before routing, so an
// unauthenticated caller learns nothing about paths, methods or bodies: it gets 401.
func (s *Service) Handler() http.Handler {
	v1 := httpx.NewRouter()
	v1.HandleFunc("POST /v1/auth", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })
	v1.HandleFunc("GET /v1/metadata", s.getMetadata)
	v1.HandleFunc("POST /v1/event", s.sendEvent)
	v1.HandleFunc("GET /v1/event", s.getEvent)
	v1.HandleFunc("POST /v1/project", s.createProject)
	v1.HandleFunc("DELETE /v1/project/{projectName}", s.deleteProject)
	v1.HandleFunc("POST /v1/project/{projectName}/service", s.createService)
	v1.HandleFunc("DELETE /v1/project/{projectName}/service/{serviceName}", s.deleteService)
	v1.HandleFunc("POST /v1/project/{projectName}/stage/{stageName}/service/{serviceName}/evaluation", s.triggerEvaluation)
	v1.HandleFunc("POST /v1/config/bridge", s.configureBridge)
	v1.HandleFunc("GET /v1/config/bridge", s.getBridgeConfig)

	planes := httpx.NewRouter()
	planes.HandleFunc("GET /control_planes", s.listControlPlanes)

	top := httpx.NewRouter()
	top.Handle("/v1", s.requireCredential(v1))
	top.Handle("/v1/", s.requireCredential(v1))
	top.HandleFunc("GET /websocket", s.websocket) // authenticated by its own token, from an event context
	top.HandleFunc("POST /auth", s.login)
	top.HandleFunc("DELETE /auth", s.logout)
	top.Handle("/control_planes", s.requireSession(planes))
	top.Handle("/control_planes/", s.requireSession(planes))
	return top
}

// authenticated reports whether the request carries the API token in exactly one x-token header,
// or a live session cookie; err is a state store that could not tell.
func (s *Service) authenticated(r *http.Request) (bool, error) {
	if v := r.Header.Values("X-Token"); len(v) == 1 && s.opts.Tokens.Check(v[0]) {
		return true, nil
	}
	_, ok, err := s.session(r)
	return ok, err
}

// session returns the user name of the request's live session; err is a state store that could
// not tell (a 503: the session may well be live).
func (s *Service) session(r *http.Request) (string, bool, error) {
	c, err := r.Cookie(auth.CookieName)
	if err != nil {
		return "", false, nil
	}
	user, _, ok, err := s.sessions.Lookup(r.Context(), c.Value)
	if !ok || err != nil {
		return "", false, err
	}
	if _, exists := s.opts.Users.Lookup(user); !exists {
		return "", false, nil // the user was removed from the users file
	}
	return user, true, nil
}

func (s *Service) requireCredential(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, err := s.authenticated(r)
		if err != nil {
			s.fail(w, "looking up the session", err)
			return
		}
		if !ok {
			httpx.WriteError(w, http.StatusUnauthorized, "missing or invalid API token")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Service) requireSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, ok, err := s.session(r)
		if err != nil {
			s.fail(w, "looking up the session", err)
			return
		}
		if !ok {
			httpx.WriteError(w, http.StatusUnauthorized, "not logged in")
			return
		}
		next.ServeHTTP(w, r)
	})
}
