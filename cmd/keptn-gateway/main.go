// Command keptn-gateway is the reference Keptn API gateway of keptn-conformance.
//
//	keptn-gateway serve [flags]        serve the Keptn API (all roles, or one with --role)
//	keptn-gateway hash-password        read a password on stdin, print its bcrypt hash for a users file
//	keptn-gateway version              print the version
//
// Every serve flag has an environment variable; a flag given on the command line wins.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway"
	"github.com/keptn-conformance/keptn-conformance/gateway/edge"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "keptn-gateway:", err)
		os.Exit(2)
	}
}

const usage = `keptn-gateway: the reference Keptn API gateway

Usage:
  keptn-gateway serve [flags]     serve the Keptn API (see keptn-gateway serve -h)
  keptn-gateway hash-password     read a password on stdin, print its bcrypt hash
  keptn-gateway version           print the version
`

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stdout, stderr)
	case "hash-password":
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		h, err := gateway.HashPassword(strings.TrimRight(line, "\r\n"))
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, h)
		return nil
	case "version":
		fmt.Fprintln(stdout, "keptn-gateway", gateway.Version)
		return nil
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// setting is one serve flag and its environment variable.
type setting struct {
	flag, env, def, help string
}

var settings = []setting{
	{"role", "KEPTN_GATEWAY_ROLE", "all", "role of this process: all, gateway, api-service, configuration-service, mongodb-datastore, or echo (answers what it received, for the suite's Upstream profile)"},
	{"http", "KEPTN_GATEWAY_HTTP", "127.0.0.1:8080", "address of the HTTP listener"},
	{"https", "KEPTN_GATEWAY_HTTPS", "127.0.0.1:8443", "address of the HTTPS listener (empty: none; roles all and gateway only)"},
	{"data-dir", "KEPTN_GATEWAY_DATA_DIR", "keptn-gateway-data", "directory for the stores, the generated token and the self-signed certificate"},
	{"token-file", "KEPTN_GATEWAY_TOKEN_FILE", "", "API token file, watched for changes (default DATA_DIR/keptn-api-token; created when missing); KEPTN_API_TOKEN sets a fixed token instead"},
	{"domain", "KEPTN_GATEWAY_DOMAIN", "localhost", "domain (or IP address) of the self-signed certificate"},
	{"tls-cert", "KEPTN_GATEWAY_TLS_CERT", "", "TLS certificate file (PEM), reloaded on change; with --tls-key"},
	{"tls-key", "KEPTN_GATEWAY_TLS_KEY", "", "TLS private key file (PEM)"},
	{"https-redirect", "KEPTN_GATEWAY_HTTPS_REDIRECT", "false", "strict mode: the HTTP listener redirects everything to HTTPS (308)"},
	{"layout", "KEPTN_GATEWAY_LAYOUT", "0.7", "where the API is served (roles all and gateway): 0.7 (under /api, as api-gateway-nginx) or 0.6 (Keptn 0.6's paths: /v1, /configuration-service, /swagger-ui/; no mongodb-datastore route)"},
	{"users-file", "KEPTN_GATEWAY_USERS_FILE", "", "YAML file of users who may log in with a session (see README)"},
	{"session-ttl", "KEPTN_GATEWAY_SESSION_TTL", "12h", "lifetime of a login session"},
	{"api-service-url", "KEPTN_GATEWAY_API_SERVICE_URL", "", "base URL of api-service (roles gateway)"},
	{"configuration-service-url", "KEPTN_GATEWAY_CONFIGURATION_SERVICE_URL", "", "base URL of configuration-service (roles gateway, api-service)"},
	{"datastore-url", "KEPTN_GATEWAY_DATASTORE_URL", "", "base URL of mongodb-datastore (roles gateway, api-service)"},
	{"state-http", "KEPTN_GATEWAY_STATE_HTTP", "", "role configuration-service: address of the internal state listener, which keeps api-service's sessions, bridge credentials, websocket tokens and login throttle for all its replicas (empty: none; never expose it)"},
	{"state-url", "KEPTN_GATEWAY_STATE_URL", "", "role api-service: base URL of a configuration-service's state listener, shared by every replica (empty: the replica keeps that state in its own store)"},
	{"echo-url", "KEPTN_GATEWAY_ECHO_URL", "", "base URL of an echo role (roles all and gateway): served at /api/echo, prefix stripped, for the suite's Upstream profile"},
	{"reload-interval", "KEPTN_GATEWAY_RELOAD_INTERVAL", "200ms", "how often the token, users and TLS files are checked for changes"},
	{"shutdown-delay", "KEPTN_GATEWAY_SHUTDOWN_DELAY", "0s", "keep serving this long after SIGTERM (keep-alives off), so a load balancer stops sending first"},
	{"exit-delay", "KEPTN_GATEWAY_EXIT_DELAY", "0s", "after the listeners closed and the data was released, stay alive this long, so that the address refuses connections (retried by the gateway) rather than vanishing while a Service still forwards to it"},
	{"no-sync", "KEPTN_GATEWAY_NO_SYNC", "false", "commit to the stores without fsync: what was written survives a restart of the process, not a crash of the machine (for benchmarks and throwaway installations)"},
	{"store-lock-timeout", "KEPTN_GATEWAY_STORE_LOCK_TIMEOUT", "2s", "how long to wait for a data directory another process holds (a pod being replaced)"},
	{"upstream-patience", "KEPTN_GATEWAY_UPSTREAM_PATIENCE", "15s", "split topology: how long to retry a role that refuses connections (while it restarts)"},
	{"read-header-timeout", "KEPTN_GATEWAY_READ_HEADER_TIMEOUT", "10s", "the most reading a request's headers may take"},
	{"read-timeout", "KEPTN_GATEWAY_READ_TIMEOUT", "2m", "the most reading a whole request, body included, may take"},
	{"body-stall-timeout", "KEPTN_GATEWAY_BODY_STALL_TIMEOUT", "10s", "a request body that stalls (no byte arriving) this long is cut off and its connection closed"},
	{"write-timeout", "KEPTN_GATEWAY_WRITE_TIMEOUT", "2m", "the most writing an answer may take"},
	{"idle-timeout", "KEPTN_GATEWAY_IDLE_TIMEOUT", "30s", "a keep-alive connection idle this long is closed"},
	{"log-format", "KEPTN_GATEWAY_LOG_FORMAT", "text", "log format: text or json"},
	{"log-level", "KEPTN_GATEWAY_LOG_LEVEL", "info", "least level logged: debug, info, warn or error"},
}

// limitsHelp is the end of serve -h: what the flags do not say.
const limitsHelp = `
Limits (fixed):
  request bodies: 4 KiB for logins (/api/auth) and /api/v1/auth, 16 MiB for resources and
    services with a Helm chart, 1 MiB for the rest; a larger body is refused with 413, unread
  logins: 5 wrong passwords per user name and 20 per client address within a minute, then every
    login of that user (or address) is refused with 429 and Retry-After for 2 s, doubling with
    each further wrong password, never longer than 1 minute after the last one; right passwords
    are never counted, and a successful login clears its user's count
  concurrent logins: bcrypt runs a few at a time (the number of CPUs, at least 2); a login that
    waits more than 5 s for its turn is refused with 503 and Retry-After
`

func serve(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: keptn-gateway serve [flags]")
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), limitsHelp)
	}
	vals := map[string]*string{}
	for _, s := range settings {
		def := s.def
		if v, ok := os.LookupEnv(s.env); ok {
			def = v
		}
		vals[s.flag] = fs.String(s.flag, def, s.help+" ($"+s.env+")")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}
	v := func(name string) string { return *vals[name] }
	redirect, err := strconv.ParseBool(v("https-redirect"))
	if err != nil {
		return fmt.Errorf("--https-redirect: %q is not a boolean", v("https-redirect"))
	}
	noSync, err := strconv.ParseBool(v("no-sync"))
	if err != nil {
		return fmt.Errorf("--no-sync: %q is not a boolean", v("no-sync"))
	}
	ttl, err := time.ParseDuration(v("session-ttl"))
	if err != nil || ttl <= 0 {
		return fmt.Errorf("--session-ttl: %q is not a positive duration", v("session-ttl"))
	}
	durations := map[string]time.Duration{}
	for _, name := range []string{"reload-interval", "shutdown-delay", "exit-delay", "store-lock-timeout", "upstream-patience",
		"read-header-timeout", "read-timeout", "body-stall-timeout", "write-timeout", "idle-timeout"} {
		d, err := time.ParseDuration(v(name))
		if err != nil || d < 0 || (d == 0 && name != "shutdown-delay" && name != "exit-delay") {
			return fmt.Errorf("--%s: %q is not a positive duration", name, v(name))
		}
		durations[name] = d
	}
	level, ok := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}[v("log-level")]
	if !ok {
		return fmt.Errorf("--log-level: %q is none of debug, info, warn, error", v("log-level"))
	}
	opts := &slog.HandlerOptions{Level: level}
	var handler slog.Handler
	switch v("log-format") {
	case "text":
		handler = slog.NewTextHandler(stderr, opts)
	case "json":
		handler = slog.NewJSONHandler(stderr, opts)
	default:
		return fmt.Errorf("--log-format: %q is neither text nor json", v("log-format"))
	}
	log := slog.New(handler)
	role := gateway.Role(v("role"))
	httpsAddr := v("https")
	if role != gateway.RoleAll && role != gateway.RoleGateway {
		httpsAddr = "" // the internal roles serve plain HTTP inside the cluster
	}
	cfg := gateway.Config{
		Role: role, HTTPAddr: v("http"), HTTPSAddr: httpsAddr, DataDir: v("data-dir"),
		Token: os.Getenv("KEPTN_API_TOKEN"), TokenFile: v("token-file"), Domain: v("domain"),
		TLSCertFile: v("tls-cert"), TLSKeyFile: v("tls-key"), HTTPSRedirect: redirect, Layout: v("layout"),
		UsersFile: v("users-file"), SessionTTL: ttl, ReloadInterval: durations["reload-interval"],
		ShutdownDelay: durations["shutdown-delay"], StoreLockTimeout: durations["store-lock-timeout"], UpstreamPatience: durations["upstream-patience"],
		Timeouts: gateway.Timeouts{
			ReadHeader: durations["read-header-timeout"], Read: durations["read-timeout"], BodyStall: durations["body-stall-timeout"],
			Write: durations["write-timeout"], Idle: durations["idle-timeout"],
		},
		APIServiceURL: v("api-service-url"), ConfigurationServiceURL: v("configuration-service-url"), DatastoreURL: v("datastore-url"),
		StateAddr: v("state-http"), StateURL: v("state-url"), EchoURL: v("echo-url"), NoSync: noSync, Log: log,
	}
	g, err := gateway.New(cfg)
	if err != nil {
		return err
	}
	defer g.Close()
	httpL, httpsL, err := g.Listeners()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "keptn-gateway %s, role %s, data in %s\n", gateway.Version, role, cfg.DataDir)
	fmt.Fprintf(stdout, "  HTTP:  %s\n", baseURL("http", httpL))
	if httpsL != nil {
		fmt.Fprintf(stdout, "  HTTPS: %s\n", baseURL("https", httpsL))
	}
	if role == gateway.RoleAll || role == gateway.RoleGateway {
		layout, _ := edge.ParseLayout(cfg.Layout) // checked by gateway.New
		api, _ := layout.Public("/api/v1")
		ui, _ := layout.Public("/api/swagger-ui/")
		fmt.Fprintf(stdout, "  API:   %s%s   Swagger UI: %s%s   (layout %s)\n", baseURL("http", httpL), api, baseURL("http", httpL), ui, layout)
	}
	for _, n := range g.Notes() {
		fmt.Fprintf(stdout, "  %s\n", n)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = g.Serve(ctx, httpL, httpsL)
	if cerr := g.Close(); err == nil {
		err = cerr // the data is released: a successor waiting for it may start
	}
	if d := durations["exit-delay"]; d > 0 {
		// A pod's address lives as long as its process: gone, a Service's forwarding rules that
		// still name it send connections nowhere (or to whatever answers for unknown addresses);
		// kept, its kernel refuses them, which the gateway retries, until the rules are updated.
		log.Info("stopped serving; staying alive for the exit delay", "delay", d)
		time.Sleep(d)
	}
	log.Info("stopped")
	return err
}

func baseURL(scheme string, l net.Listener) string {
	host, port, _ := net.SplitHostPort(l.Addr().String())
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}
