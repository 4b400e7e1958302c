// Package gateway assembles the reference Keptn API gateway: all roles in one process (the
// default), or one role of the split topology that Keptn 0.7 deploys (gateway, api-service,
// configuration-service, mongodb-datastore), talking HTTP to each other as upstream does.
package gateway

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway/apiservice"
	"github.com/keptn-conformance/keptn-conformance/gateway/configservice"
	"github.com/keptn-conformance/keptn-conformance/gateway/datastore"
	"github.com/keptn-conformance/keptn-conformance/gateway/echo"
	"github.com/keptn-conformance/keptn-conformance/gateway/edge"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/auth"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/certs"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/httpx"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/state"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/store"
	"github.com/keptn-conformance/keptn-conformance/specs"
)

// Version is the implementation's version, set at build time with -ldflags.
var Version = "dev"

// Role is the part of the topology a process plays.
type Role string

// The roles.
const (
	RoleAll                  Role = "all"
	RoleGateway              Role = "gateway"
	RoleAPIService           Role = "api-service"
	RoleConfigurationService Role = "configuration-service"
	RoleDatastore            Role = "mongodb-datastore"
	// RoleEcho answers what it received (package echo), for the suite's Upstream profile.
	RoleEcho Role = "echo"
)

// Roles lists every role.
var Roles = []Role{RoleAll, RoleGateway, RoleAPIService, RoleConfigurationService, RoleDatastore, RoleEcho}

// Config configures a gateway process. The zero value of each field means its default.
type Config struct {
	Role Role
	// HTTPAddr and HTTPSAddr are the listeners' addresses; HTTPSAddr "" disables HTTPS (the
	// internal roles serve HTTP only).
	HTTPAddr, HTTPSAddr string
	// DataDir holds the stores, the generated token file and the self-signed certificate.
	DataDir string
	// Token is a fixed API token (from the environment); otherwise TokenFile is read and watched,
	// and created with a random token when missing (default DataDir/keptn-api-token).
	Token     string
	TokenFile string
	// Domain is the name the self-signed certificate is made for.
	Domain string
	// TLSCertFile and TLSKeyFile are a certificate to serve instead, reloaded on change.
	TLSCertFile, TLSKeyFile string
	// UsersFile lists who may log in with a session; none means no session logins.
	UsersFile  string
	SessionTTL time.Duration
	// HTTPSRedirect makes the HTTP listener answer 308 to HTTPS for everything (strict mode).
	HTTPSRedirect bool
	// Layout is where the gateway (roles all and gateway) serves the API: "0.7" (the default,
	// everything under /api) or "0.6" (Keptn 0.6's paths: no /api prefix, no mongodb-datastore).
	Layout string
	// The other roles' base URLs, for the split topology.
	APIServiceURL, ConfigurationServiceURL, DatastoreURL string
	// StateAddr (role configuration-service) is the address of the internal state listener: the
	// state of api-service (sessions, bridge credentials, installation id, websocket tokens)
	// served to every api-service replica, on a listener of its own that no gateway forwards to
	// (state.Prefix). Empty: none.
	StateAddr string
	// StateURL (role api-service) is the base URL of a configuration-service's state listener:
	// the replicas that name the same one are one installation (a session made through one is
	// valid on every other). Empty: the role keeps that state in its own store.
	StateURL string
	// EchoURL (roles all and gateway) routes edge.EchoPrefix to an echo role at this base URL,
	// through the same proxy as the split topology's routes (the suite's Upstream profile).
	EchoURL string
	// ReloadInterval is how often watched files are read (default 200ms).
	ReloadInterval time.Duration
	// ShutdownTimeout bounds a graceful shutdown (default 10s).
	ShutdownTimeout time.Duration
	// ShutdownDelay keeps serving this long after the stop signal, with keep-alives off, so that
	// load balancers (a Kubernetes Service) stop sending before the listeners close.
	ShutdownDelay time.Duration
	// StoreLockTimeout is how long to wait for a store another process holds (a pod being
	// replaced); default 2s.
	StoreLockTimeout time.Duration
	// UpstreamPatience is how long the split topology retries a role that refuses connections
	// (while it restarts); default 15s.
	UpstreamPatience time.Duration
	// Timeouts bound each connection (zero fields: their defaults).
	Timeouts Timeouts
	Log      *slog.Logger

	// Settings for tests and the conformance suite's embedded gateway, which trade an
	// installation's safety for speed; an installation keeps their zero values (the defaults).
	//
	// NoSync writes the stores' commits without syncing them to disk: they survive the process
	// and a restart in it, not a crash of the machine.
	NoSync bool
	// MinBcryptCost is the least bcrypt cost the users file may use and the cost an unknown
	// user's login compares at (default auth.MinBcryptCost, bcrypt's default 10; below it a login
	// costs a guesser next to nothing).
	MinBcryptCost int
	// ThrottleBackoff is the first refusal of a login after too many wrong passwords (default
	// 2s, doubling with each further one).
	ThrottleBackoff time.Duration
}

// Gateway is a configured gateway process, ready to serve.
type Gateway struct {
	cfg     Config
	log     *slog.Logger
	handler http.Handler // the role's handler, unlogged
	tokens  *auth.Tokens
	users   *auth.Users
	certs   *certs.Manager
	closers []io.Closer
	notes   []string
	// stateHandler serves the state routes (role configuration-service with StateAddr), on
	// stateL once Listeners has bound it.
	stateHandler http.Handler
	stateL       net.Listener
	// httpsPort is the HTTPS listener's port once bound (for the strict-mode redirect).
	httpsPort string
	layout    edge.Layout
	// stopping is set for the shutdown delay: the health path then fails, so that the Service
	// stops forwarding here before the listeners close.
	stopping atomic.Bool
}

func (c *Config) defaults() error {
	if c.Role == "" {
		c.Role = RoleAll
	}
	valid := false
	for _, r := range Roles {
		valid = valid || r == c.Role
	}
	if !valid {
		return fmt.Errorf("unknown role %q (want one of %v)", c.Role, Roles)
	}
	if c.Log == nil {
		c.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if c.DataDir == "" && c.Role != RoleEcho {
		return errors.New("a data directory is required (--data-dir)")
	}
	if c.HTTPAddr == "" {
		return errors.New("an HTTP address is required (--http)")
	}
	if c.Domain == "" {
		c.Domain = "localhost"
	}
	if c.TokenFile == "" {
		c.TokenFile = filepath.Join(c.DataDir, auth.SecretKey)
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
	if c.StoreLockTimeout <= 0 {
		c.StoreLockTimeout = 2 * time.Second
	}
	if c.UpstreamPatience <= 0 {
		c.UpstreamPatience = 15 * time.Second
	}
	c.Timeouts.defaults()
	if c.Role != RoleAll && c.Role != RoleGateway && c.HTTPSAddr != "" {
		return fmt.Errorf("role %s serves HTTP only; HTTPS is the gateway's", c.Role)
	}
	if c.HTTPSRedirect && c.HTTPSAddr == "" {
		return errors.New("redirecting HTTP to HTTPS needs an HTTPS listener (--https)")
	}
	layout, err := edge.ParseLayout(c.Layout)
	if err != nil {
		return fmt.Errorf("--layout: %w", err)
	}
	if layout.String() != edge.Layout07.String() && c.Role != RoleAll && c.Role != RoleGateway {
		return fmt.Errorf("role %s serves its own paths; --layout is the gateway's (roles all and gateway)", c.Role)
	}
	if c.StateAddr != "" && c.Role != RoleConfigurationService {
		return fmt.Errorf("role %s serves no state: --state-http is the configuration-service's", c.Role)
	}
	if c.StateURL != "" && c.Role != RoleAPIService {
		return fmt.Errorf("role %s reads no shared state: --state-url is for api-service replicas", c.Role)
	}
	need := map[Role][]struct{ name, v string }{
		RoleGateway:    {{"--api-service-url", c.APIServiceURL}, {"--configuration-service-url", c.ConfigurationServiceURL}, {"--datastore-url", c.DatastoreURL}},
		RoleAPIService: {{"--configuration-service-url", c.ConfigurationServiceURL}, {"--datastore-url", c.DatastoreURL}},
	}
	if layout.String() == edge.Layout06.String() {
		// Keptn 0.6's gateway has no datastore route: only api-service reaches the datastore.
		need[RoleGateway] = need[RoleGateway][:2]
	}
	for _, n := range need[c.Role] {
		if n.v == "" {
			return fmt.Errorf("role %s needs %s", c.Role, n.name)
		}
	}
	return nil
}

// New opens the stores and credentials of the configured role. Nothing listens yet.
func New(cfg Config) (_ *Gateway, err error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	g := &Gateway{cfg: cfg, log: cfg.Log}
	g.layout, _ = edge.ParseLayout(cfg.Layout) // checked by defaults
	var storeOpts []store.Option
	if cfg.NoSync {
		storeOpts = append(storeOpts, store.NoSync)
	}
	defer func() {
		if err != nil {
			g.Close() // whatever was opened before the failure
		}
	}()
	var echoProxy http.Handler
	if cfg.EchoURL != "" && (cfg.Role == RoleAll || cfg.Role == RoleGateway) {
		if echoProxy, err = proxy(cfg.EchoURL, g.log, cfg.UpstreamPatience); err != nil {
			return nil, fmt.Errorf("--echo-url: %w", err)
		}
	}
	switch cfg.Role {
	case RoleEcho:
		g.handler = echo.Handler()
	case RoleConfigurationService:
		cs, err := configservice.Open(cfg.DataDir, g.log, cfg.StoreLockTimeout, storeOpts...)
		if err != nil {
			return nil, err
		}
		g.closers = append(g.closers, cs)
		g.handler = cs.Handler()
		if cfg.StateAddr != "" {
			st, err := state.OpenServer(cfg.DataDir, "api-service-state.db", cfg.StoreLockTimeout, g.log, storeOpts...)
			if err != nil {
				return nil, err
			}
			g.closers = append(g.closers, st)
			g.stateHandler = httpx.Logged(g.log, "state", limited(st.Handler(), func(string) int64 { return state.MaxValueBytes }, cfg.Timeouts))
			g.notes = append(g.notes, "state of api-service: served on "+cfg.StateAddr+" (internal; "+state.Prefix+")")
		}
	case RoleDatastore:
		ds, err := datastore.Open(cfg.DataDir, g.log, cfg.StoreLockTimeout, storeOpts...)
		if err != nil {
			return nil, err
		}
		g.closers = append(g.closers, ds)
		g.handler = ds.Handler()
	case RoleAPIService:
		retry := httpx.Retrying{Patience: cfg.UpstreamPatience}
		csClient, err := httpx.NewClient(cfg.ConfigurationServiceURL, retry)
		if err != nil {
			return nil, fmt.Errorf("--configuration-service-url: %w", err)
		}
		dsClient, err := httpx.NewClient(cfg.DatastoreURL, retry)
		if err != nil {
			return nil, fmt.Errorf("--datastore-url: %w", err)
		}
		var shared state.Store
		if cfg.StateURL != "" {
			if shared, err = state.NewRemote(cfg.StateURL, retry); err != nil {
				return nil, fmt.Errorf("--state-url: %w", err)
			}
			g.notes = append(g.notes, "sessions, bridge credentials, websocket tokens: shared, at "+cfg.StateURL)
		}
		api, err := g.openAPIService(csClient, dsClient, storeOpts, shared)
		if err != nil {
			return nil, err
		}
		g.handler = api.Handler()
	case RoleGateway:
		up := edge.Upstreams{}
		for _, u := range []struct {
			flag, url string
			h         *http.Handler
		}{
			{"--api-service-url", cfg.APIServiceURL, &up.APIService},
			{"--configuration-service-url", cfg.ConfigurationServiceURL, &up.ConfigurationService},
			{"--datastore-url", cfg.DatastoreURL, &up.Datastore},
		} {
			if u.url == "" {
				continue // the datastore, in a layout without its route
			}
			p, err := proxy(u.url, g.log, cfg.UpstreamPatience)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", u.flag, err)
			}
			*u.h = p
		}
		if up.Auth, err = httpx.NewClient(cfg.APIServiceURL, httpx.Retrying{Patience: cfg.UpstreamPatience}); err != nil {
			return nil, err
		}
		up.Echo, up.Log = echoProxy, g.log
		g.handler = edge.New(up, g.layout)
	case RoleAll:
		cs, err := configservice.Open(cfg.DataDir, g.log, cfg.StoreLockTimeout, storeOpts...)
		if err != nil {
			return nil, err
		}
		g.closers = append(g.closers, cs)
		ds, err := datastore.Open(cfg.DataDir, g.log, cfg.StoreLockTimeout, storeOpts...)
		if err != nil {
			return nil, err
		}
		g.closers = append(g.closers, ds)
		csClient, _ := httpx.NewClient("http://configuration-service", httpx.InProcess{Handler: cs.Handler()})
		dsClient, _ := httpx.NewClient("http://mongodb-datastore", httpx.InProcess{Handler: ds.Handler()})
		api, err := g.openAPIService(csClient, dsClient, storeOpts, nil)
		if err != nil {
			return nil, err
		}
		authClient, _ := httpx.NewClient("http://api-service", httpx.InProcess{Handler: api.Handler()})
		g.handler = edge.New(edge.Upstreams{
			APIService: api.Handler(), ConfigurationService: cs.Handler(), Datastore: ds.Handler(), Auth: authClient, Echo: echoProxy,
		}, g.layout)
	}
	if cfg.Role != RoleAll && cfg.Role != RoleGateway && cfg.Role != RoleEcho {
		g.handler = withHealth(withOwnSpec(g.handler, roleSpecs[cfg.Role]), &g.stopping)
	}
	if cfg.HTTPSAddr != "" {
		g.certs, err = certs.Load(certs.Config{
			CertFile: cfg.TLSCertFile, KeyFile: cfg.TLSKeyFile, DataDir: cfg.DataDir, Domain: cfg.Domain,
		}, g.log)
		if err != nil {
			return nil, err
		}
		g.notes = append(g.notes, "TLS: "+g.certs.Source())
	}
	return g, nil
}

func (g *Gateway) openAPIService(cs, ds *httpx.Client, storeOpts []store.Option, shared state.Store) (*apiservice.Service, error) {
	var err error
	if g.cfg.Token != "" {
		g.tokens, err = auth.TokenFromValue(g.cfg.Token, "the environment (KEPTN_API_TOKEN)", g.log)
	} else {
		var created bool
		g.tokens, created, err = auth.TokenFromFile(g.cfg.TokenFile, filepath.Join(g.cfg.DataDir, "api-token.sha256"), g.log)
		if created {
			g.notes = append(g.notes, "API token: made a new random token in "+g.tokens.Path()+" (watched for changes)")
		} else if err == nil {
			g.notes = append(g.notes, "API token: from "+g.tokens.Origin()+" (watched for changes)")
		}
	}
	if err != nil {
		return nil, err
	}
	if g.cfg.Token != "" {
		g.notes = append(g.notes, "API token: from "+g.tokens.Origin())
	}
	if g.cfg.UsersFile == "" {
		g.users = auth.NoUsers(g.log)
	} else {
		if g.users, err = auth.LoadUsersWithCost(g.cfg.UsersFile, g.log, cmp.Or(g.cfg.MinBcryptCost, auth.MinBcryptCost)); err != nil {
			return nil, err
		}
		g.notes = append(g.notes, "session users: from "+g.cfg.UsersFile)
	}
	api, err := apiservice.Open(apiservice.Options{
		DataDir: g.cfg.DataDir, StoreLockTimeout: g.cfg.StoreLockTimeout, Tokens: g.tokens, Users: g.users, SessionTTL: g.cfg.SessionTTL,
		ConfigurationService: cs, Datastore: ds, Log: g.log, Version: Version, Store: storeOpts, ThrottleBackoff: g.cfg.ThrottleBackoff,
		State: shared,
	})
	if err != nil {
		return nil, err
	}
	g.closers = append(g.closers, api)
	return api, nil
}

// proxy forwards to a role's base URL, keeping the (already stripped) path and query.
func proxy(base string, log *slog.Logger, patience time.Duration) (http.Handler, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http(s) URL", base)
	}
	return &httputil.ReverseProxy{
		Transport: httpx.Retrying{Patience: patience},
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Header["X-Forwarded-Proto"] = pr.In.Header["X-Forwarded-Proto"]
			pr.Out.Header["X-Forwarded-For"] = pr.In.Header["X-Forwarded-For"]
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			// A chunked body cut at the gateway's limit while it was being forwarded is the
			// client's: 413, as the roles answer it, not the upstream's failure.
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				w.Header().Set("Connection", "close")
				httpx.WriteError(w, http.StatusRequestEntityTooLarge, "the request body is larger than the %d bytes allowed here", tooLarge.Limit)
				return
			}
			log.Error("forwarding failed", "upstream", u.Host, "path", r.URL.Path, "err", err)
			httpx.WriteError(w, http.StatusBadGateway, "the upstream service cannot be reached")
		},
	}, nil
}

// Handler is the role's handler for plain HTTP (logged; in strict mode a redirect to HTTPS, on
// the port the HTTPS listener got when Listeners was called, else the configured one).
func (g *Gateway) Handler() http.Handler {
	if g.cfg.HTTPSRedirect {
		port := g.httpsPort
		if port == "" {
			_, port, _ = net.SplitHostPort(g.cfg.HTTPSAddr)
		}
		return g.bounded(edge.RedirectToHTTPS(port))
	}
	return g.bounded(g.handler)
}

// HTTPSHandler is the handler of the HTTPS listener (logged, with Strict-Transport-Security).
func (g *Gateway) HTTPSHandler() http.Handler {
	return g.bounded(edge.HSTS(g.handler))
}

// bounded is a listener's handler: logged, its bodies limited and paced; at the edge (roles all
// and gateway) with the per-route limits and the security headers, by the 0.7 path of the route
// (the layout's table).
func (g *Gateway) bounded(h http.Handler) http.Handler {
	if g.cfg.Role == RoleAll || g.cfg.Role == RoleGateway {
		route := func(p string) string {
			if c, ok := g.layout.Canonical(p); ok {
				return c
			}
			return p
		}
		h = secured(route, limited(h, func(p string) int64 { return bodyLimit(route(p)) }, g.cfg.Timeouts))
	} else {
		h = limited(h, nil, g.cfg.Timeouts)
	}
	return httpx.Logged(g.log, string(g.cfg.Role), h)
}

// TLSConfig is the HTTPS listener's TLS configuration (nil without HTTPS).
func (g *Gateway) TLSConfig() *tls.Config {
	if g.certs == nil {
		return nil
	}
	return certs.ServerTLSConfig(g.certs.GetCertificate)
}

// Notes are the start-up facts worth telling the operator: where the token and the certificate
// come from.
func (g *Gateway) Notes() []string { return append([]string(nil), g.notes...) }

// Watch reloads the token file, the users file and the TLS files on change, until ctx ends.
func (g *Gateway) Watch(ctx context.Context) {
	var wg sync.WaitGroup
	start := func(f func(context.Context, time.Duration)) {
		wg.Add(1)
		go func() { defer wg.Done(); f(ctx, g.cfg.ReloadInterval) }()
	}
	if g.tokens != nil {
		start(g.tokens.Watch)
	}
	if g.users != nil {
		start(g.users.Watch)
	}
	if g.certs != nil {
		start(g.certs.Watch)
	}
	wg.Wait()
}

// Listeners binds the configured addresses (and the state listener, which Serve serves too;
// see StateListenerAddr).
func (g *Gateway) Listeners() (httpL, httpsL net.Listener, err error) {
	if httpL, err = net.Listen("tcp", g.cfg.HTTPAddr); err != nil {
		return nil, nil, fmt.Errorf("HTTP listener: %w", err)
	}
	if g.cfg.HTTPSAddr != "" {
		if httpsL, err = net.Listen("tcp", g.cfg.HTTPSAddr); err != nil {
			httpL.Close()
			return nil, nil, fmt.Errorf("HTTPS listener: %w", err)
		}
		_, g.httpsPort, _ = net.SplitHostPort(httpsL.Addr().String())
	}
	if g.stateHandler != nil && g.stateL == nil {
		if g.stateL, err = net.Listen("tcp", g.cfg.StateAddr); err != nil {
			httpL.Close()
			if httpsL != nil {
				httpsL.Close()
			}
			return nil, nil, fmt.Errorf("state listener (--state-http): %w", err)
		}
	}
	return httpL, httpsL, nil
}

// StateListenerAddr is the address the state listener got from Listeners ("" without one).
func (g *Gateway) StateListenerAddr() string {
	if g.stateL == nil {
		return ""
	}
	return g.stateL.Addr().String()
}

// Serve serves on the listeners (httpsL may be nil) and watches the files, until ctx ends; then
// it shuts down gracefully, letting requests in flight finish.
func (g *Gateway) Serve(ctx context.Context, httpL, httpsL net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	var servers []*http.Server
	serve := func(srv *http.Server, l net.Listener, tlsOn bool) {
		servers = append(servers, srv)
		go func() {
			var err error
			if tlsOn {
				err = srv.ServeTLS(l, "", "")
			} else {
				err = srv.Serve(l)
			}
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
	}
	errLog := slog.NewLogLogger(g.log.Handler(), slog.LevelWarn)
	plain := g.cfg.Timeouts.server(g.Handler())
	plain.ErrorLog = errLog
	serve(plain, httpL, false)
	if httpsL != nil {
		secure := g.cfg.Timeouts.server(g.HTTPSHandler())
		secure.TLSConfig, secure.ErrorLog = g.TLSConfig(), errLog
		serve(secure, httpsL, true)
	}
	if g.stateL != nil {
		st := g.cfg.Timeouts.server(g.stateHandler)
		st.ErrorLog = errLog
		serve(st, g.stateL, false)
	}
	watched := make(chan struct{})
	go func() { g.Watch(ctx); close(watched) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	cancel()
	if err == nil && g.cfg.ShutdownDelay > 0 {
		// Keep serving, but close each connection after its answer, until the load balancer has
		// stopped sending here.
		for _, s := range servers {
			s.SetKeepAlivesEnabled(false)
		}
		g.stopping.Store(true)
		g.log.Info("stopping: still serving for the shutdown delay", "delay", g.cfg.ShutdownDelay)
		time.Sleep(g.cfg.ShutdownDelay)
	}
	sctx, scancel := context.WithTimeout(context.Background(), g.cfg.ShutdownTimeout)
	defer scancel()
	for _, s := range servers {
		if serr := s.Shutdown(sctx); serr != nil && err == nil {
			err = serr
		}
	}
	<-watched
	return err
}

// Close closes the stores.
func (g *Gateway) Close() error {
	var errs []error
	for i := len(g.closers) - 1; i >= 0; i-- {
		errs = append(errs, g.closers[i].Close())
	}
	g.closers = nil
	return errors.Join(errs...)
}

// HashPassword makes the bcrypt hash a users file stores for a password.
func HashPassword(password string) (string, error) { return auth.HashPassword(password) }

// HashPasswordCost is HashPassword at another bcrypt cost: below the default only for a gateway
// whose MinBcryptCost allows it (tests).
func HashPasswordCost(password string, cost int) (string, error) {
	return auth.HashPasswordCost(password, cost)
}

// roleSpecs are the spec documents the split roles serve, as upstream's images do.
var roleSpecs = map[Role]string{
	RoleAPIService: specs.APIService, RoleConfigurationService: specs.ConfigurationService, RoleDatastore: specs.MongoDBDatastore,
}

// withOwnSpec serves the role's spec at /swagger-ui/swagger.yaml (for api-service, what a gateway
// forwarding /api/swagger-ui/* reaches), open like upstream's, and passes the rest on.
func withOwnSpec(next http.Handler, name string) http.Handler {
	spec := edge.SpecHandler(name)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/swagger-ui/swagger.yaml" {
			spec.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// withHealth answers GET /healthz (for readiness probes of the internal roles) and passes the rest on.
func withHealth(next http.Handler, stopping *atomic.Bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			if stopping.Load() {
				httpx.WriteError(w, http.StatusServiceUnavailable, "stopping")
				return
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = w.Write([]byte("ok"))
			return
		}
		next.ServeHTTP(w, r)
	})
}
