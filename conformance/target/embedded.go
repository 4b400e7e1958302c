package target

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/keptn-conformance/keptn-conformance/gateway"
)

// setupEmbedded starts the reference gateway in this process on loopback (random ports), with
// its own data directory, token file, session user and self-signed certificate. Its log goes to
// the artifacts directory.
func setupEmbedded(ctx context.Context, cfg Config) (*Description, func(), error) {
	d, eg, teardown, err := startEmbedded(ctx, cfg, "gateway.log", true)
	if err != nil {
		return nil, teardown, err
	}
	running.Store(eg)
	return d, func() { running.Store(nil); teardown() }, nil
}

// Isolates says whether the target can start a gateway of its own for one spec (Isolated): the
// embedded target can, so the specs that disturb the gateway for every other (a restart, a token
// rotation, a certificate swap, a locked-out user) run there beside the others, not alone.
func (c Config) Isolates() bool { return c.Target == KindEmbedded }

// isolated numbers the gateways Isolated starts in this process, for their log files.
var isolated atomic.Int64

// Isolated starts a reference gateway of its own in this process, configured as the embedded
// target's (topology, layout, strict mode, timings), and connects to it: a spec that disturbs
// the gateway runs on it, and stop removes it. Its log is ARTIFACTS/isolated/gateway-PID-N.log;
// it has no echo backend (the Upstream profile disturbs nothing).
func Isolated(ctx context.Context, cfg Config) (t *Target, stop func(), err error) {
	name := filepath.Join("isolated", fmt.Sprintf("gateway-%d-%d.log", os.Getpid(), isolated.Add(1)))
	d, eg, teardown, err := startEmbedded(ctx, cfg, name, false)
	if err != nil {
		teardown()
		return nil, nil, fmt.Errorf("a gateway of its own for the spec: %w", err)
	}
	if t, err = Connect(d); err != nil {
		teardown()
		return nil, nil, err
	}
	t.Restarts = embeddedRestart{d: *d, eg: eg}
	return t, func() { t.CloseIdleConnections(); teardown() }, nil
}

// startEmbedded starts the reference gateway in this process and describes it; its log goes to
// ARTIFACTS/logName, and with echo it serves an echo backend at /api/echo. teardown is never nil.
func startEmbedded(ctx context.Context, cfg Config, logName string, echo bool) (*Description, *embeddedGateway, func(), error) {
	dir, err := os.MkdirTemp("", "keptn-conformance-embedded-")
	if err != nil {
		return nil, nil, func() {}, err
	}
	cleanup := []func(){func() { os.RemoveAll(dir) }}
	teardown := func() {
		for i := len(cleanup) - 1; i >= 0; i-- {
			cleanup[i]()
		}
	}
	fail := func(err error) (*Description, *embeddedGateway, func(), error) { return nil, nil, teardown, err }

	su, err := sessionUser()
	if err != nil {
		return fail(err)
	}
	password, hash := su.password, su.hash
	usersFile := filepath.Join(dir, "users.yaml")
	users := "users:\n  - username: conformance\n    password_hash: \"" + hash + "\"\n    email: conformance@example.com\n    first_name: Conformance\n    last_name: Suite\n"
	if err := os.WriteFile(usersFile, []byte(users), 0o600); err != nil {
		return fail(err)
	}
	log, closeLog, err := gatewayLog(cfg.ArtifactsDir, logName)
	if err != nil {
		return fail(err)
	}
	cleanup = append(cleanup, closeLog)
	tokenFile := filepath.Join(dir, "secret", "keptn-api-token")
	dataDir := filepath.Join(dir, "data")
	var echoURL string
	var echoSpec *EchoSpec
	if echo {
		var stopEcho func()
		if echoURL, echoSpec, stopEcho, err = startEcho(); err != nil { // the Upstream profile's backend
			return fail(err)
		}
		cleanup = append(cleanup, stopEcho)
	}
	eg := &embeddedGateway{cfg: embeddedConfig(gateway.Config{
		HTTPAddr: "127.0.0.1:0", HTTPSAddr: "127.0.0.1:0", DataDir: dataDir, TokenFile: tokenFile,
		UsersFile: usersFile, Domain: "localhost", Log: log, Layout: cfg.Layout, EchoURL: echoURL,
		HTTPSRedirect: cfg.EmbeddedStrict,
	}), split: cfg.EmbeddedTopology == TopologySplit || cfg.EmbeddedTopology == TopologyReplicas, replicas: cfg.EmbeddedTopology == TopologyReplicas}
	if cfg.EmbeddedTopology != TopologyAll && cfg.EmbeddedTopology != TopologySplit && cfg.EmbeddedTopology != TopologyReplicas && cfg.EmbeddedTopology != "" {
		return fail(fmt.Errorf("--embedded-topology %q: use %s, %s or %s", cfg.EmbeddedTopology, TopologyAll, TopologySplit, TopologyReplicas))
	}
	if err := eg.start(); err != nil {
		return fail(fmt.Errorf("starting the reference gateway: %w", err))
	}
	cleanup = append(cleanup, func() { eg.stop() })

	token, err := os.ReadFile(tokenFile)
	if err != nil {
		return fail(err)
	}
	certFile, keyFile := filepath.Join(dataDir, "tls", "tls.crt"), filepath.Join(dataDir, "tls", "tls.key")
	ca, err := os.ReadFile(certFile)
	if err != nil {
		return fail(err)
	}
	d := &Description{
		Kind:           KindEmbedded,
		Implementation: Implementation{Name: "keptn-gateway (reference implementation)", Version: gateway.Version, Target: KindEmbedded},
		HTTP:           "http://" + eg.cfg.HTTPAddr,
		HTTPS:          "https://" + eg.cfg.HTTPSAddr,
		ServerName:     "localhost",
		Domain:         "localhost",
		CAPEM:          string(ca),
		Token:          strings.TrimSpace(string(token)),
		Session:        &Credentials{Username: "conformance", Password: password},
		TokenStore:     &StoreSpec{File: tokenFile},
		CertStore:      &StoreSpec{File: certFile, KeyFile: keyFile},
		HotReload:      true,
		Layout:         cfg.Layout,
		Restart:        &RestartSpec{Embedded: true},
		Echo:           echoSpec,
	}
	d.Implementation.Endpoint = d.HTTP
	if err := Ready(ctx, d); err != nil {
		return fail(err)
	}
	return d, eg, teardown, nil
}

// sessionUser is the embedded gateways' session user: one random password per process, hashed
// once (a bcrypt hash is the most CPU a gateway's start takes, and a run starts many isolated ones).
var sessionUser = sync.OnceValues(func() (embeddedUser, error) {
	password := randomString(18)
	hash, err := gateway.HashPasswordCost(password, embeddedBcryptCost)
	return embeddedUser{password, hash}, err
})

type embeddedUser struct{ password, hash string }

// running is the reference gateway this process serves: set in the process that set the
// embedded target up (Ginkgo's first, where Serial specs run), nil in the others.
var running atomic.Pointer[embeddedGateway]

// embeddedGateway is the reference gateway in process, which a restart stops and starts again on
// the same addresses and data directory.
type embeddedGateway struct {
	cfg  gateway.Config
	stop func() // ends serving and closes the stores
	// split runs the four roles on their own listeners (split.go), at addrs once bound;
	// replicas runs api-service twice behind a balancer, sharing its state (split.go).
	split, replicas bool
	addrs           map[gateway.Role]string
	replicaAddrs    []string // the api-service replicas' (the balancer's is api-service's), once bound
	stateAddr       string   // configuration-service's state listener, once bound
}

// start opens the gateway and serves it; the first start binds random ports, which every later
// one binds again.
func (eg *embeddedGateway) start() error {
	if eg.split {
		return eg.startSplit()
	}
	g, err := gateway.New(eg.cfg)
	if err != nil {
		return err
	}
	httpL, httpsL, err := g.Listeners()
	if err != nil {
		g.Close()
		return err
	}
	eg.cfg.HTTPAddr, eg.cfg.HTTPSAddr = httpL.Addr().String(), httpsL.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = g.Serve(ctx, httpL, httpsL); close(done) }()
	eg.stop = func() { cancel(); <-done; g.Close() }
	return nil
}

// embeddedRestart stops a reference gateway of this process and starts it again: eg, or (nil)
// the one the set-up started.
type embeddedRestart struct {
	d  Description
	eg *embeddedGateway
}

func (embeddedRestart) String() string {
	return "the reference gateway, stopped and started in process"
}

func (r embeddedRestart) Restart(ctx context.Context) error {
	eg := r.eg
	if eg == nil {
		eg = running.Load()
	}
	if eg == nil {
		return errors.New("the embedded gateway runs in the process that set it up: a restart must run there (a Serial spec)")
	}
	eg.stop()
	if err := eg.start(); err != nil {
		return fmt.Errorf("starting the reference gateway again: %w", err)
	}
	return Ready(ctx, &r.d)
}

// gatewayLog writes an embedded gateway's log to ARTIFACTS/name.
func gatewayLog(artifacts, name string) (*slog.Logger, func(), error) {
	if artifacts == "" {
		return slog.New(slog.DiscardHandler), func() {}, nil
	}
	path := filepath.Join(artifacts, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, nil, err
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	return slog.New(slog.NewJSONHandler(f, nil)), func() { f.Close() }, nil
}

// randomString returns n random bytes, URL-safe base64.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
