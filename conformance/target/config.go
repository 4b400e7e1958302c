// Package target is what the suites certify: a gateway's endpoints, the credentials to use, and
// the optional capabilities a profile needs (rotating the API token, installing a certificate).
// A target is set up once per run (embedded: the reference gateway started in process; external:
// any installation; kind: a cluster the suite makes), described in a serialisable Description,
// and connected to from every parallel process.
package target

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/keptn-conformance/keptn-conformance/conformance/specsource"
)

// The kinds of target.
const (
	KindEmbedded = "embedded"
	KindExternal = "external"
	KindKind     = "kind"
)

// Config is how a run is told what to certify: flags, each with an environment variable.
type Config struct {
	Target string

	// external
	Endpoint        string // base URL of the gateway (http or https), without /api
	HTTPSEndpoint   string // a second, HTTPS listener, for the TLS profile
	Token           string
	CAFile          string // CA to trust for HTTPS
	Insecure        bool   // trust any certificate
	ServerName      string // TLS server name (SNI) to ask for; default the endpoint's host
	TokenFile       string // capability: rotate by rewriting this file (a gateway on this machine)
	TLSCertFile     string // capability: install certificates by rewriting these files
	TLSKeyFile      string
	HotReload       bool   // the gateway applies a new token without restarts
	Kubeconfig      string // capability: rotate the token through the Kubernetes Secret
	RestartCommand  string // capability: restart the gateway with this command (a gateway on this machine)
	Namespace       string
	SessionUser     string // credentials for the session profile
	SessionPassword string
	Implementation  string // name of the implementation, for the report
	// An echo backend behind the gateway, for the Upstream profile (echo.go).
	EchoPrefix, EchoUpstreamPrefix, EchoWebsocket string

	// kind
	KindCluster    string
	KindNodeImage  string
	KeepCluster    bool
	GatewayImage   string
	KindConfigFile string
	// A user's installation instead of the reference gateway (kind.go, "A user's installation").
	Install            string // a directory of manifests, applied with server-side apply
	LoadImages         string // images (comma-separated) loaded into the cluster for it
	ReferenceBackends  bool   // install the reference backends behind it (api-service, ...)
	TokenSecret        string // the API token's Secret (key: the same name)
	TLSSecret          string // the gateway's TLS Secret
	APIServiceSelector string // label selector of api-service's pods, restarted by a token rotation
	APIServiceReplicas int    // replicas of the reference api-service (more than 1: a StatefulSet sharing its state)

	// every target
	Specs              string // --specs: bundled, served, a directory or a base URL (package specsource)
	Layout             string // --layout: where the target serves the API, 0.7 or 0.6 (package specsource)
	ArtifactsDir       string
	RotationMax        time.Duration // the most a token rotation may take to be effective
	CertSwapMax        time.Duration // the most a certificate swap may take
	LoadRate           int           // requests per second during the rotation load test
	LoadDuration       time.Duration
	BadSecretWatch     time.Duration // how long a bad secret is watched for the gateway acting on it
	InFlightWindow     time.Duration // how long the restart check's request body keeps arriving once the restart began
	SetupTimeout       time.Duration
	EventuallyTimeout  time.Duration // how long the suite awaits an asynchronous effect
	EventuallyInterval time.Duration
	Seed               int  // the seed of the generated requests (0: a new one, printed)
	Examples           int  // generated requests per operation
	ShowSecrets        bool // credentials in the curl reproducers of failures
	Hardening          bool // run the hardening profile on an external or kind target
	// EmbeddedTopology is how the embedded target runs the reference gateway: all (one process's
	// handlers) or split (its four roles, each on its own loopback listener, as on kind).
	EmbeddedTopology string
	// EmbeddedStrict runs the embedded target's gateway in strict mode: its HTTP listener
	// redirects everything to HTTPS (keptn-gateway serve --https-redirect).
	EmbeddedStrict bool

	fromEnv map[string]bool // settings whose value came from their environment variable
	flags   *flag.FlagSet   // where the settings were registered
}

type setting struct {
	name, env, help string
	p               any
	def             string
}

func (c *Config) settings() []setting {
	return []setting{
		{"target", "KEPTN_CONFORMANCE_TARGET", "what to certify: embedded (the reference gateway, in process), external (any endpoint) or kind (a cluster the suite makes)", &c.Target, KindEmbedded},
		{"endpoint", "KEPTN_CONFORMANCE_ENDPOINT", "external: base URL of the gateway, such as http://keptn.example.com (without /api)", &c.Endpoint, ""},
		{"https-endpoint", "KEPTN_CONFORMANCE_HTTPS_ENDPOINT", "external: base URL of the gateway's HTTPS listener, for the TLS profile", &c.HTTPSEndpoint, ""},
		{"token", "KEPTN_CONFORMANCE_TOKEN", "external: the API token", &c.Token, ""},
		{"ca-file", "KEPTN_CONFORMANCE_CA_FILE", "external: PEM file of the CA to trust for HTTPS", &c.CAFile, ""},
		{"insecure", "KEPTN_CONFORMANCE_INSECURE", "external: accept any HTTPS certificate (the TLS profile's certificate checks are then skipped)", &c.Insecure, "false"},
		{"server-name", "KEPTN_CONFORMANCE_SERVER_NAME", "external: the TLS server name (SNI) to ask for", &c.ServerName, ""},
		{"token-file", "KEPTN_CONFORMANCE_TOKEN_FILE", "external: the token file a gateway on this machine watches (enables the token rotation profile)", &c.TokenFile, ""},
		{"tls-cert-file", "KEPTN_CONFORMANCE_TLS_CERT_FILE", "external: the certificate file a gateway on this machine watches (enables the certificate swap)", &c.TLSCertFile, ""},
		{"tls-key-file", "KEPTN_CONFORMANCE_TLS_KEY_FILE", "external: the key file that goes with --tls-cert-file", &c.TLSKeyFile, ""},
		{"hot-reload", "KEPTN_CONFORMANCE_HOT_RELOAD", "external: the gateway applies a new token without restarting api-service", &c.HotReload, "false"},
		{"kubeconfig", "KEPTN_CONFORMANCE_KUBECONFIG", "external: kubeconfig of the gateway's cluster (enables token rotation through the Secret); in-cluster: the service account of the pod the suite runs in", &c.Kubeconfig, ""},
		{"restart-command", "KEPTN_CONFORMANCE_RESTART_COMMAND", "external: a command that restarts the gateway on this machine, run with sh -c, returning once it has stopped, such as 'systemctl restart keptn-gateway' (enables the restart check; --kubeconfig does too, deleting the gateway's pods)", &c.RestartCommand, ""},
		{"namespace", "KEPTN_CONFORMANCE_NAMESPACE", "namespace of the Keptn installation", &c.Namespace, "keptn"},
		{"session-user", "KEPTN_CONFORMANCE_SESSION_USER", "external: a user who may log in with a session (enables the session profile)", &c.SessionUser, ""},
		{"session-password", "KEPTN_CONFORMANCE_SESSION_PASSWORD", "external: that user's password", &c.SessionPassword, ""},
		{"implementation", "KEPTN_CONFORMANCE_IMPLEMENTATION", "name of the implementation under test, for the report", &c.Implementation, ""},
		{"echo-prefix", "KEPTN_CONFORMANCE_ECHO_PREFIX", "external, and kind with --install: the path the gateway routes to an echo backend (keptn-gateway serve --role echo) in place of a Keptn service, such as /api/echo, or /api/v1 for api-service's route (enables the Upstream profile; the kind target's reference gateway has one at /api/echo)", &c.EchoPrefix, ""},
		{"echo-upstream-prefix", "KEPTN_CONFORMANCE_ECHO_UPSTREAM_PREFIX", "external, and kind with --install: what the echo backend receives in place of --echo-prefix (empty: stripped; /v1 for api-service's route)", &c.EchoUpstreamPrefix, ""},
		{"echo-websocket", "KEPTN_CONFORMANCE_ECHO_WEBSOCKET", "external, and kind with --install: the path where the gateway forwards websocket upgrades to the echo backend, such as /api/websocket when it stands in for api-service (default: none, and the websocket check is skipped)", &c.EchoWebsocket, ""},
		{"embedded-topology", "KEPTN_CONFORMANCE_EMBEDDED_TOPOLOGY", "embedded: all (the reference gateway's roles in one server), split (gateway, api-service, configuration-service and mongodb-datastore each on its own loopback listener, talking HTTP as the kind manifests deploy them) or replicas (split, with two api-service replicas behind a round-robin balancer, sharing their state through configuration-service's state listener)", &c.EmbeddedTopology, TopologyAll},
		{"embedded-strict", "KEPTN_CONFORMANCE_EMBEDDED_STRICT", "embedded: run the reference gateway in strict mode (plain HTTP redirects to HTTPS with 308, as keptn-gateway serve --https-redirect), to certify that configuration", &c.EmbeddedStrict, "false"},
		{"kind-cluster", "KEPTN_CONFORMANCE_KIND_CLUSTER", "kind: name of the cluster to make (or reuse)", &c.KindCluster, "keptn-conformance"},
		{"kind-node-image", "KEPTN_CONFORMANCE_KIND_NODE_IMAGE", "kind: node image (default: kind's own)", &c.KindNodeImage, ""},
		{"keep-cluster", "KEPTN_CONFORMANCE_KEEP_CLUSTER", "kind: keep the cluster after the run, and reuse a kept one", &c.KeepCluster, "false"},
		{"gateway-image", "KEPTN_CONFORMANCE_GATEWAY_IMAGE", "kind: image of the reference gateway to install", &c.GatewayImage, ""},
		{"kind-config", "KEPTN_CONFORMANCE_KIND_CONFIG", "kind: cluster configuration file", &c.KindConfigFile, "fixtures/kind/cluster.yaml"},
		{"install", "KEPTN_CONFORMANCE_INSTALL", "kind: a directory of manifests (*.yaml, *.yml, *.json) to install instead of the reference gateway, with server-side apply, after the Secrets; its Service must map NodePorts 30080 (HTTP) and 30443 (HTTPS) in namespace keptn", &c.Install, ""},
		{"load-image", "KEPTN_CONFORMANCE_LOAD_IMAGE", "kind: images (comma-separated) to load into the cluster for --install", &c.LoadImages, ""},
		{"reference-backends", "KEPTN_CONFORMANCE_REFERENCE_BACKENDS", "kind, with --install: install the reference api-service, configuration-service and mongodb-datastore too (--gateway-image), for a gateway of your own in front of them", &c.ReferenceBackends, "true"},
		{"token-secret", "KEPTN_CONFORMANCE_TOKEN_SECRET", "kind: the API token's Secret, made at install and rotated (its key has the same name)", &c.TokenSecret, "keptn-api-token"},
		{"tls-secret", "KEPTN_CONFORMANCE_TLS_SECRET", "kind: the gateway's TLS Secret (tls.crt, tls.key), made at install and swapped by the TLS profile", &c.TLSSecret, "api-gateway-tls"},
		{"api-service-selector", "KEPTN_CONFORMANCE_API_SERVICE_SELECTOR", "kind: label selector of the pods a token rotation restarts (default: api-service's documented labels, app.kubernetes.io/name=api-service, else run=api-service)", &c.APIServiceSelector, ""},
		{"api-service-replicas", "KEPTN_CONFORMANCE_API_SERVICE_REPLICAS", "kind: replicas of the reference api-service; more than 1 makes them one installation (sessions, bridge credentials, installation id and websocket tokens shared through configuration-service's internal state listener) and a StatefulSet, each replica with a volume for its own lifecycle journal", &c.APIServiceReplicas, "1"},
		{"specs", "KEPTN_CONFORMANCE_SPECS", "the documents to certify against besides the bundled ones: bundled (only those), served (the target's own), or a directory or base URL holding api-service.yaml, configuration-service.yaml, mongodb-datastore.yaml (Swagger 2.0 or OpenAPI 3)", &c.Specs, "bundled"},
		{"layout", "KEPTN_CONFORMANCE_LAYOUT", "where the target serves the Keptn API: 0.7 (under /api, api-gateway-nginx) or 0.6 (Keptn 0.6: /v1, /configuration-service, /swagger-ui/; no mongodb-datastore, whose checks are then skipped)", &c.Layout, "0.7"},
		{"artifacts", "KEPTN_CONFORMANCE_ARTIFACTS", "directory for the reports", &c.ArtifactsDir, "_artifacts"},
		{"rotation-max", "KEPTN_CONFORMANCE_ROTATION_MAX", "the most a token rotation may take to become effective", &c.RotationMax, "60s"},
		{"cert-swap-max", "KEPTN_CONFORMANCE_CERT_SWAP_MAX", "the most a certificate swap may take to be served", &c.CertSwapMax, "60s"},
		{"load-rate", "KEPTN_CONFORMANCE_LOAD_RATE", "requests per second during the rotation load test", &c.LoadRate, "200"},
		{"load-duration", "KEPTN_CONFORMANCE_LOAD_DURATION", "length of the rotation load test", &c.LoadDuration, "3s"},
		{"bad-secret-watch", "KEPTN_CONFORMANCE_BAD_SECRET_WATCH", "how long an empty or malformed token secret is watched for the gateway taking it (at least the time the gateway takes to notice a changed secret)", &c.BadSecretWatch, "1s"},
		{"in-flight-window", "KEPTN_CONFORMANCE_IN_FLIGHT_WINDOW", "how long the restart check's request keeps sending its body once the restart began (the gateway must still answer it)", &c.InFlightWindow, "2s"},
		{"setup-timeout", "KEPTN_CONFORMANCE_SETUP_TIMEOUT", "the most setting up the target may take", &c.SetupTimeout, "20m"},
		{"eventually-timeout", "KEPTN_CONFORMANCE_EVENTUALLY_TIMEOUT", "how long the suite awaits an asynchronous effect (a project's creation, say)", &c.EventuallyTimeout, "30s"},
		{"hardening", "KEPTN_CONFORMANCE_HARDENING", "run the hardening profile (oversized and stalled bodies, wrong passwords, headers) on an external or kind target; the embedded target always runs it", &c.Hardening, "false"},
		{"eventually-interval", "KEPTN_CONFORMANCE_EVENTUALLY_INTERVAL", "how often the suite polls for such an effect", &c.EventuallyInterval, "20ms"},
		{"seed", "KEPTN_CONFORMANCE_SEED", "seed of the generated requests: the same seed replays a run exactly (0: a new one, printed)", &c.Seed, "0"},
		{"examples", "KEPTN_CONFORMANCE_EXAMPLES", "generated requests per operation (Feature:Generated)", &c.Examples, "20"},
		{"show-secrets", "KEPTN_CONFORMANCE_SHOW_SECRETS", "put the token into the curl reproducers of failures (by default they read $KEPTN_API_TOKEN)", &c.ShowSecrets, "false"},
	}
}

// RegisterFlags adds the settings to fs; each flag's default is its environment variable when
// set, else the built-in default. It returns an error for an environment value that does not parse.
func (c *Config) RegisterFlags(fs *flag.FlagSet) error {
	c.flags, c.fromEnv = fs, map[string]bool{}
	for _, s := range c.settings() {
		def := s.def
		if v, ok := os.LookupEnv(s.env); ok && v != "" {
			def = v
			c.fromEnv[s.name] = true
		}
		help := fmt.Sprintf("%s ($%s)", s.help, s.env)
		if e, ok := embeddedDefaults[s.name]; ok {
			help = fmt.Sprintf("%s ($%s; default on the embedded target: %s)", s.help, s.env, e)
		}
		switch p := s.p.(type) {
		case *string:
			fs.StringVar(p, s.name, def, help)
		case *bool:
			b, err := strconv.ParseBool(def)
			if err != nil {
				return fmt.Errorf("$%s: %q is not a boolean", s.env, def)
			}
			fs.BoolVar(p, s.name, b, help)
		case *int:
			n, err := strconv.Atoi(def)
			if err != nil {
				return fmt.Errorf("$%s: %q is not a number", s.env, def)
			}
			fs.IntVar(p, s.name, n, help)
		case *time.Duration:
			d, err := time.ParseDuration(def)
			if err != nil {
				return fmt.Errorf("$%s: %q is not a duration", s.env, def)
			}
			fs.DurationVar(p, s.name, d, help)
		}
	}
	return nil
}

// Resolve gives the embedded target its own defaults (for the settings set neither by flag nor by
// environment), and makes relative paths of the configuration (artifacts, kind config) relative
// to the module root when the suite runs inside this repository, so reports land in one place
// whether the suite runs from `make`, `ginkgo` or `go test` (which runs in the package directory).
// It is called once the flags are parsed, in every process.
func (c *Config) Resolve() {
	if c.Target == KindEmbedded && c.flags != nil {
		given := map[string]bool{}
		c.flags.Visit(func(f *flag.Flag) { given[f.Name] = true })
		for name, v := range embeddedDefaults {
			if !given[name] && !c.fromEnv[name] {
				_ = c.flags.Set(name, v) // a built-in default: it parses
			}
		}
	}
	root := moduleRoot()
	if root == "" {
		return
	}
	for _, p := range []*string{&c.ArtifactsDir, &c.KindConfigFile, &c.Install} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(root, *p)
		}
	}
	// --specs names a directory unless it is a keyword or a URL.
	if s := c.Specs; s != "" && s != specsource.Bundled && s != specsource.Served && !strings.Contains(s, "://") && !filepath.IsAbs(s) {
		c.Specs = filepath.Join(root, s)
	}
}

// moduleRoot is the directory of the nearest go.mod above the working directory that belongs to
// this module, or "".
func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/keptn-conformance/keptn-conformance\n") {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
