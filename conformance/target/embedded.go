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
	"sync/atomic"

	"github.com/keptn-conformance/keptn-conformance/gateway"
)

// setupEmbedded starts the reference gateway in this process on loopback (random ports), with
// its own data directory, token file, session user and self-signed certificate. Its log goes to
// the artifacts directory.
func setupEmbedded(ctx context.Context, cfg Config) (*Description, func(), error) {
	dir, err := os.MkdirTemp("", "keptn-conformance-embedded-")
	if err != nil {
		return nil, nil, err
	}
	cleanup := []func(){func() { os.RemoveAll(dir) }}
	teardown := func() {
		for i := len(cleanup) - 1; i >= 0; i-- {
			cleanup[i]()
		}
	}
	fail := func(err error) (*Description, func(), error) { return nil, teardown, err }

	password := randomString(18)
	hash, err := gateway.HashPasswordCost(password, embeddedBcryptCost)
	if err != nil {
		return fail(err)
	}
	usersFile := filepath.Join(dir, "users.yaml")
	users := "users:\n  - username: conformance\n    password_hash: \"" + hash + "\"\n    email: conformance@example.com\n    first_name: Conformance\n    last_name: Suite\n"
	if err := os.WriteFile(usersFile, []byte(users), 0o600); err != nil {
		return fail(err)
	}
	log, closeLog, err := gatewayLog(cfg.ArtifactsDir)
	if err != nil {
		return fail(err)
	}
	cleanup = append(cleanup, closeLog)
	tokenFile := filepath.Join(dir, "secret", "keptn-api-token")
	dataDir := filepath.Join(dir, "data")
	echoURL, echoSpec, stopEcho, err := startEcho() // the Upstream profile's backend, at /api/echo
	if err != nil {
		return fail(err)
	}
	cleanup = append(cleanup, stopEcho)
	eg := &embeddedGateway{cfg: embeddedConfig(gateway.Config{
		HTTPAddr: "127.0.0.1:0", HTTPSAddr: "127.0.0.1:0", DataDir: dataDir, TokenFile: tokenFile,
		UsersFile: usersFile, Domain: "localhost", Log: log, Layout: cfg.Layout, EchoURL: echoURL,
		HTTPSRedirect: cfg.EmbeddedStrict,
	}), split: cfg.EmbeddedTopology == TopologySplit}
	if cfg.EmbeddedTopology != TopologyAll && cfg.EmbeddedTopology != TopologySplit && cfg.EmbeddedTopology != "" {
		return fail(fmt.Errorf("--embedded-topology %q: use %s or %s", cfg.EmbeddedTopology, TopologyAll, TopologySplit))
	}
	if err := eg.start(); err != nil {
		return fail(fmt.Errorf("starting the reference gateway: %w", err))
	}
	running.Store(eg)
	cleanup = append(cleanup, func() { running.Store(nil); eg.stop() })

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
	return d, teardown, nil
}

// running is the reference gateway this process serves: set in the process that set the
// embedded target up (Ginkgo's first, where Serial specs run), nil in the others.
var running atomic.Pointer[embeddedGateway]

// embeddedGateway is the reference gateway in process, which a restart stops and starts again on
// the same addresses and data directory.
type embeddedGateway struct {
	cfg  gateway.Config
	stop func() // ends serving and closes the stores
	// split runs the four roles on their own listeners (split.go), at addrs once bound.
	split bool
	addrs map[gateway.Role]string
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

// embeddedRestart stops the reference gateway of this process and starts it again.
type embeddedRestart struct{ d Description }

func (embeddedRestart) String() string {
	return "the reference gateway, stopped and started in process"
}

func (r embeddedRestart) Restart(ctx context.Context) error {
	eg := running.Load()
	if eg == nil {
		return errors.New("the embedded gateway runs in the process that set it up: a restart must run there (a Serial spec)")
	}
	eg.stop()
	if err := eg.start(); err != nil {
		return fmt.Errorf("starting the reference gateway again: %w", err)
	}
	return Ready(ctx, &r.d)
}

// gatewayLog writes the embedded gateway's log to ARTIFACTS/gateway.log.
func gatewayLog(artifacts string) (*slog.Logger, func(), error) {
	if artifacts == "" {
		return slog.New(slog.DiscardHandler), func() {}, nil
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		return nil, nil, err
	}
	f, err := os.Create(filepath.Join(artifacts, "gateway.log"))
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
