// Package selftest proves that the conformance suite catches broken gateways: it runs the
// reference gateway with a fault wrapped around its handler (never a switch in the gateway
// itself), runs the suite against it as an external target, and reads which checks failed.
package selftest

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/keptn-conformance/keptn-conformance/conformance/profiles"
	"github.com/keptn-conformance/keptn-conformance/conformance/report"
	"github.com/keptn-conformance/keptn-conformance/gateway"
)

// Harness is a reference gateway on loopback whose handlers a fault may wrap.
type Harness struct {
	Dir                          string
	HTTP, HTTPS                  string
	Token, TokenFile             string
	CertFile, KeyFile            string
	SessionUser, SessionPassword string
	EchoURL                      string // the echo backend the gateway serves at /api/echo (echo_faults.go)

	opts   Options
	g      *gateway.Gateway
	stop   context.CancelFunc
	done   chan struct{}
	errLog *os.File

	fault    *Fault
	users    string
	cost     int           // the least bcrypt cost of the users file
	restarts chan struct{} // closed when the harness closes: ends the restart watch
	stopEcho func()
	closers  []func() // what the fault started for the harness, ended by Close
}

// OnClose has Close run f once the gateway has stopped (for what a fault starts beside it).
func (h *Harness) OnClose(f func()) { h.closers = append(h.closers, f) }

// Options vary the reference gateway a harness runs.
type Options struct {
	// Strict makes the HTTP listener redirect everything to HTTPS.
	Strict bool
	// DefaultPatience runs the suite with its default waits (the self-test shortens them).
	DefaultPatience bool
	// Layout serves the API in that layout and certifies it so (--layout; "": 0.7).
	Layout string
	// Procs is the number of the suite's parallel processes (0: one).
	Procs int
}

// The harness's timings: short, so that the suite's deliberate waits (a session's expiry, a
// changed token or certificate noticed, a stalled body cut off, a throttled login let in again)
// are short too. A session lasts long enough for the session profile's longest spec under load;
// the gateway reads its watched files often. A stop waits up to 5 s for requests in flight, as
// the gateway's own default does (the restart check sends one, which must be answered).
const (
	sessionTTL      = 3 * time.Second
	reloadInterval  = 50 * time.Millisecond
	bodyStall       = 500 * time.Millisecond
	throttleBackoff = time.Second
	shutdownTimeout = 5 * time.Second
)

// The harness's costs: the session user's password hashed at bcrypt's least cost (which the
// gateway then compares unknown users at too), and the stores' commits written unsynced (they
// survive a restart of the harness's gateway, not a crash of the machine): most of a suite run's
// CPU and disk were bcrypt and fsync.
const (
	bcryptCost = bcrypt.MinCost
	noSync     = true
)

// sessionPassword is the session user's password; its bcrypt hash is made once for every harness.
const sessionPassword = "selftest-password-0123"

var sessionHash = sync.OnceValues(func() (string, error) { return gateway.HashPasswordCost(sessionPassword, bcryptCost) })

// The session-timing check tells an unknown user answered without a hash by the time a hash
// takes. The unmodified gateway hashes at the embedded target's cost, 6 (both answers then take
// a few milliseconds alike), as a certification of it runs; the faults of that check at the
// default cost, so that the hash a fault skips is far above the check's 20 ms margin.
const (
	referenceCost = bcrypt.DefaultCost - 4
	timingCost    = bcrypt.DefaultCost
)

var (
	referenceHash = sync.OnceValues(func() (string, error) { return gateway.HashPasswordCost(sessionPassword, referenceCost) })
	timingHash    = sync.OnceValues(func() (string, error) { return gateway.HashPassword(sessionPassword) })
)

// costOf is the bcrypt cost the fault's gateway runs at (nil: the unmodified gateway), and its
// session user's hash.
func costOf(f *Fault) (int, func() (string, error)) {
	switch {
	case f == nil:
		return referenceCost, referenceHash
	case f.Check == profiles.CheckSessionTiming:
		return timingCost, timingHash
	}
	return bcryptCost, sessionHash
}

// Start runs a reference gateway in dir with the fault applied (nil: none).
func Start(dir string, f *Fault, opts Options) (*Harness, error) {
	if f != nil && f.Strict {
		opts.Strict = true
	}
	h := &Harness{Dir: dir, opts: opts, SessionUser: "conformance", SessionPassword: sessionPassword}
	cost, hashOf := costOf(f)
	hash, err := hashOf()
	if err != nil {
		return nil, err
	}
	users := filepath.Join(dir, "users.yaml")
	if err := os.WriteFile(users, []byte("users:\n  - username: conformance\n    password_hash: \""+hash+"\"\n    email: c@example.com\n    first_name: C\n    last_name: S\n"), 0o600); err != nil {
		return nil, err
	}
	h.TokenFile = filepath.Join(dir, "secret", "keptn-api-token")
	data := filepath.Join(dir, "data")
	h.CertFile, h.KeyFile = filepath.Join(data, "tls", "tls.crt"), filepath.Join(data, "tls", "tls.key")
	if h.errLog, err = os.Create(filepath.Join(dir, "gateway.log")); err != nil {
		return nil, err
	}
	h.fault, h.users, h.cost = f, users, cost
	if h.EchoURL, h.stopEcho, err = startEchoBackend(); err != nil {
		return nil, err
	}
	if err := h.serve("127.0.0.1:0", "127.0.0.1:0"); err != nil {
		return nil, err
	}
	h.restarts = make(chan struct{})
	go h.watchRestarts()
	if f != nil && f.OnStart != nil {
		if err := f.OnStart(h); err != nil {
			h.Close()
			return nil, fmt.Errorf("starting the fault: %w", err)
		}
	}
	return h, nil
}

// serve opens the gateway on the addresses and serves it with the fault applied.
func (h *Harness) serve(httpAddr, httpsAddr string) error {
	f, opts := h.fault, h.opts
	g, err := gateway.New(gateway.Config{
		HTTPAddr: httpAddr, HTTPSAddr: httpsAddr, DataDir: filepath.Join(h.Dir, "data"), TokenFile: h.TokenFile, UsersFile: h.users,
		Domain: "localhost", SessionTTL: sessionTTL, ReloadInterval: reloadInterval, Log: slog.New(slog.NewJSONHandler(h.errLog, nil)),
		HTTPSRedirect: opts.Strict, Layout: opts.Layout, EchoURL: h.EchoURL, Timeouts: gateway.Timeouts{BodyStall: bodyStall},
		ThrottleBackoff: throttleBackoff, MinBcryptCost: h.cost, NoSync: noSync,
	})
	if err != nil {
		return err
	}
	if h.Token == "" {
		// The first start made the token file; faults wrap with the token known.
		tok, err := os.ReadFile(h.TokenFile)
		if err != nil {
			g.Close()
			return err
		}
		h.Token = strings.TrimSpace(string(tok))
	}
	httpL, httpsL, err := g.Listeners()
	if err != nil {
		g.Close()
		return err
	}
	h.g = g
	h.HTTP, h.HTTPS = "http://"+httpL.Addr().String(), "https://"+httpsL.Addr().String()
	plain, secure, tlsConf := h.g.Handler(), h.g.HTTPSHandler(), h.g.TLSConfig()
	if f != nil {
		if f.Wrap != nil {
			if f.Listener != "http" {
				secure = f.Wrap(secure, h)
			}
			if f.Listener != "https" {
				plain = f.Wrap(plain, h)
			}
		}
		if f.TLS != nil {
			f.TLS(tlsConf, h)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.stop, h.done = cancel, make(chan struct{})
	errLog := log.New(h.errLog, "http: ", 0)
	s1 := &http.Server{Handler: plain, ReadHeaderTimeout: 5 * time.Second, ErrorLog: errLog}
	s2 := &http.Server{Handler: secure, TLSConfig: tlsConf, ReadHeaderTimeout: 5 * time.Second, ErrorLog: errLog}
	go func() { _ = s1.Serve(httpL) }()
	go func() { _ = s2.ServeTLS(httpsL, "", "") }()
	go func() {
		h.g.Watch(ctx)
		sctx, scancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer scancel()
		_ = s1.Shutdown(sctx)
		_ = s2.Shutdown(sctx)
		close(h.done)
	}()
	return nil
}

// awaitToken waits until the gateway takes token (it reloads its token file).
func (h *Harness) awaitToken(token string) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		req, _ := http.NewRequest("POST", h.HTTP+"/api/v1/auth", nil)
		req.Header.Set("x-token", token)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return errors.New("the gateway did not take the token within 5s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Close stops the gateway.
func (h *Harness) Close() {
	close(h.restarts)
	h.stop()
	<-h.done
	h.g.Close()
	h.errLog.Close()
	h.stopEcho()
	for _, f := range h.closers {
		f()
	}
}

// SelfTestSeed is the seed of the generated requests in every suite run of the self-test.
const SelfTestSeed = 20261201

// Args are the suite's flags for certifying this gateway as an external target, with every
// capability it has on this machine.
func (h *Harness) Args(artifacts, name string) []string {
	args := []string{
		"--target=external", "--endpoint=" + h.HTTP, "--https-endpoint=" + h.HTTPS, "--ca-file=" + h.CertFile,
		"--server-name=localhost", "--token=" + h.Token, "--token-file=" + h.TokenFile,
		"--tls-cert-file=" + h.CertFile, "--tls-key-file=" + h.KeyFile, "--hot-reload",
		"--session-user=" + h.SessionUser, "--session-password=" + h.SessionPassword,
		"--implementation=" + name, "--artifacts=" + artifacts, "--echo-prefix=/api/echo", "--echo-websocket=/api/echo/websocket", "--hardening", "--restart-command=" + h.restartCommand(),
		// One seed for the generated requests, so that every run of the self-test draws the same
		// inputs (a fault only generation finds is then found every time, not by luck).
		"--seed=" + strconv.Itoa(SelfTestSeed),
	}
	if h.opts.Layout != "" {
		args = append(args, "--layout="+h.opts.Layout)
	}
	if h.opts.DefaultPatience {
		return args
	}
	// Waits the gateway's timings bound: what it does, it does within a few reloads; the load
	// spans a rotation (at a third of it) and most of a second after it.
	return append(args, "--eventually-timeout=2s", "--rotation-max=2s", "--load-duration=1s", "--cert-swap-max=3s",
		"--bad-secret-watch="+(6*reloadInterval).String())
}

// Outcome is what a suite run reported.
type Outcome struct {
	Report *report.ConformanceReport
	Output string // the suite's console output
	// CPU is the suite's processes' CPU time (user and system; the gateway's is this process's).
	CPU time.Duration
}

// FailedChecks counts the failed checks over every profile.
func (o Outcome) FailedChecks() map[string]int {
	out := map[string]int{}
	for _, p := range o.Report.Profiles {
		for c, n := range p.FailedChecks {
			out[c] += n
		}
	}
	return out
}

// RunSuite runs the suite (a keptn-conformance binary) with a label filter (empty: everything),
// the harness's flags and its number of processes, and reads the report it wrote.
func RunSuite(ctx context.Context, suiteBinary string, h *Harness, labels, name string) (Outcome, error) {
	artifacts := filepath.Join(h.Dir, "artifacts")
	args := []string{"--no-color", "--randomize-all", "--procs=" + strconv.Itoa(max(1, h.opts.Procs))}
	if labels != "" {
		args = append(args, "--label-filter="+labels)
	}
	args = append(args, h.Args(artifacts, name)...)
	cmd := exec.CommandContext(ctx, suiteBinary, args...)
	out, err := cmd.CombinedOutput()
	o := Outcome{Output: string(out)}
	if ps := cmd.ProcessState; ps != nil {
		o.CPU = ps.UserTime() + ps.SystemTime()
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return o, fmt.Errorf("running the suite: %w", err)
	}
	o.Report, err = report.Read(filepath.Join(artifacts, report.FileJSON))
	if err != nil {
		return o, fmt.Errorf("the suite wrote no report (%w); its output:\n%s", err, out)
	}
	return o, nil
}

// currentToken reads the token file as it is now ("" when it is missing or empty).
func (h *Harness) currentToken() string {
	b, err := os.ReadFile(h.TokenFile)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// --- restarts, for the restart check (its --restart-command): the command asks for one through
// a file and returns once the harness has removed it, with the gateway serving again. ---

func (h *Harness) restartRequest() string { return filepath.Join(h.Dir, "restart-request") }

func (h *Harness) restartCommand() string {
	return fmt.Sprintf("touch '%[1]s' && while [ -e '%[1]s' ]; do sleep 0.05; done", h.restartRequest())
}

// watchRestarts restarts the gateway whenever a restart is asked for, until the harness closes.
func (h *Harness) watchRestarts() {
	for {
		select {
		case <-h.restarts:
			return
		case <-time.After(50 * time.Millisecond):
		}
		if _, err := os.Stat(h.restartRequest()); err != nil {
			continue
		}
		if err := h.restart(); err != nil {
			fmt.Fprintf(h.errLog, "restarting the gateway: %v\n", err)
		}
		_ = os.Remove(h.restartRequest())
	}
}

// restart stops the gateway, runs the fault's Restart, and serves again on the same addresses.
func (h *Harness) restart() error {
	h.stop()
	<-h.done
	h.g.Close()
	if h.fault != nil && h.fault.Restart != nil {
		if err := h.fault.Restart(h); err != nil {
			return err
		}
	}
	return h.serve(strings.TrimPrefix(h.HTTP, "http://"), strings.TrimPrefix(h.HTTPS, "https://"))
}
