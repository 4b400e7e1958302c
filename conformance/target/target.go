package target

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/specsource"
)

// Description is everything the parallel processes of a run need to reach the target. Process
// one makes it when it sets the target up; the others receive it as JSON.
type Description struct {
	Kind           string         `json:"kind"`
	Implementation Implementation `json:"implementation"`
	// HTTP and HTTPS are the base URLs of the listeners ("" when absent).
	HTTP  string `json:"http,omitempty"`
	HTTPS string `json:"https,omitempty"`
	// ServerName is the name to ask for in TLS handshakes; Domain the name the gateway's
	// default certificate is for (when known).
	ServerName string `json:"serverName,omitempty"`
	Domain     string `json:"domain,omitempty"`
	CAPEM      string `json:"caPEM,omitempty"`
	Insecure   bool   `json:"insecure,omitempty"`
	// StrictHTTPS says the HTTP listener redirects everything to HTTPS.
	StrictHTTPS bool   `json:"strictHTTPS,omitempty"`
	Token       string `json:"token"`

	Session *Credentials `json:"session,omitempty"`
	// Capabilities, when the target has them.
	TokenStore *StoreSpec   `json:"tokenStore,omitempty"`
	CertStore  *StoreSpec   `json:"certStore,omitempty"`
	HotReload  bool         `json:"hotReload,omitempty"`
	Restart    *RestartSpec `json:"restart,omitempty"`
	Echo       *EchoSpec    `json:"echo,omitempty"`
	// Kubeconfig reaches the cluster the gateway runs in (kind), for diagnostics.
	Kubeconfig string `json:"kubeconfig,omitempty"`
	// Missing says why a capability is absent, for skip messages.
	Missing map[string]string `json:"missing,omitempty"`
	// Broken says why a capability that was given does not work (an HTTPS listener that never
	// answers): its checks fail at once with this, instead of each waiting out its timeout.
	Broken map[string]string `json:"broken,omitempty"`
	// Specs is the --specs value: documents to validate against besides the bundled ones.
	Specs string `json:"specs,omitempty"`
	// Layout is the --layout value: where the target serves the API ("" is 0.7).
	Layout string `json:"layout,omitempty"`
}

// Implementation names what is certified, for the report.
type Implementation struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Endpoint string `json:"endpoint"`
	Target   string `json:"target"`
}

// Credentials are a session user's.
type Credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// StoreSpec says where a capability acts: files on this machine, or a Kubernetes Secret.
type StoreSpec struct {
	// Files
	File    string `json:"file,omitempty"`
	KeyFile string `json:"keyFile,omitempty"`
	// Kubernetes
	Kubeconfig string `json:"kubeconfig,omitempty"`
	Namespace  string `json:"namespace,omitempty"`
	Secret     string `json:"secret,omitempty"`
	Key        string `json:"key,omitempty"`
	// Selectors pick the pods a token rotation restarts, the first that has any (default
	// APIServiceLabels).
	Selectors []string `json:"selectors,omitempty"`
}

// Capability names, for Require and the report's skip reasons.
const (
	CapTokenRotation = "token rotation"
	CapCertInstall   = "certificate installation"
	CapSession       = "session login"
	CapHTTPS         = "HTTPS listener"
	CapRestart       = "gateway restart"
)

// TokenStore is the documented token procedure's medium: retrieve, delete and create the
// secret, and restart api-service so that it reads it.
type TokenStore interface {
	Retrieve() (string, error)
	Delete() error
	Create(token string) error
	// Restart makes api-service take the new token (a no-op for a hot-reloading gateway).
	Restart() error
	String() string
}

// CertStore holds the gateway's TLS certificate and key.
type CertStore interface {
	Get() (certPEM, keyPEM []byte, err error)
	Put(certPEM, keyPEM []byte) error
	// PutCertFirst puts a pair in place the other way round, as an operator replacing the files
	// by hand may: the certificate, then after pause the key (meanwhile the pair is mismatched).
	// A store that writes both at once (a Secret) just writes them. order says how it was done.
	PutCertFirst(certPEM, keyPEM []byte, pause time.Duration) (order string, err error)
	String() string
}

// Target is a connected target, in one process.
type Target struct {
	Desc Description

	mu    sync.RWMutex
	token string

	httpClient  *http.Client
	httpsClient *http.Client
	roots       *x509.CertPool

	Tokens   TokenStore
	Certs    CertStore
	Restarts Restarter

	layout specsource.Layout
	inUse  inUseSpecs
}

// Encode serialises a description for the other processes.
func (d *Description) Encode() []byte {
	b, _ := json.Marshal(d)
	return b
}

// Decode reads a description made by Encode.
func Decode(b []byte) (*Description, error) {
	var d Description
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("target description: %w", err)
	}
	return &d, nil
}

// Connect makes the HTTP clients and capabilities for a description.
func Connect(d *Description) (*Target, error) {
	t := &Target{Desc: *d, token: d.Token}
	var err error
	if t.layout, err = specsource.ParseLayout(d.Layout); err != nil {
		return nil, err
	}
	t.httpClient = newClient(nil)
	if d.HTTPS != "" {
		tc := &tls.Config{ServerName: d.ServerName, MinVersion: tls.VersionTLS12}
		switch {
		case d.Insecure:
			tc.InsecureSkipVerify = true
		case d.CAPEM != "":
			t.roots = x509.NewCertPool()
			if !t.roots.AppendCertsFromPEM([]byte(d.CAPEM)) {
				return nil, errors.New("the target's CA is not PEM")
			}
			tc.RootCAs = t.roots
		}
		t.httpsClient = newClient(tc)
	}
	if d.TokenStore != nil {
		if t.Tokens, err = openTokenStore(d.TokenStore, d.HotReload); err != nil {
			return nil, err
		}
	}
	if d.CertStore != nil {
		if t.Certs, err = openCertStore(d.CertStore); err != nil {
			return nil, err
		}
	}
	if d.Restart != nil {
		if t.Restarts, err = openRestarter(d.Restart, *d); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func newClient(tc *tls.Config) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	tr.MaxIdleConnsPerHost = 64
	// A kept-alive connection is dropped by the suite after 4 s idle, before a server's keep-alive
	// timeout closes it (nginx's default 75 s, the reference's and the nginx fixture's 30 s,
	// Node's 5 s): a request sent on a connection the server is closing at that moment gets EOF,
	// and a POST is not sent again (it may not be idempotent), which showed as a lost login
	// through nginx (Go's default is 90 s, longer than any of these).
	tr.IdleConnTimeout = 4 * time.Second
	return &http.Client{
		Transport: tr,
		// The suite checks redirects itself.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
}

// CloseIdleConnections closes the idle connections of the target's clients. A gateway stopping
// gracefully waits for its HTTP/2 connections to be closed by their clients (a second, in Go's
// server), so the suite closes its own before it stops one, and when it is done with a Target.
func (t *Target) CloseIdleConnections() {
	for _, c := range []*http.Client{t.httpClient, t.httpsClient} {
		if c != nil {
			c.CloseIdleConnections()
		}
	}
}

// Token is the API token the suite uses now (it changes when a profile rotates it).
func (t *Target) Token() string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.token
}

// SetToken records a new current token.
func (t *Target) SetToken(tok string) {
	t.mu.Lock()
	t.token = tok
	t.mu.Unlock()
}

// Base returns the base URL the suite talks to by default: HTTP unless the gateway only
// redirects there, else HTTPS.
func (t *Target) Base() string {
	if t.Desc.HTTP != "" && !t.Desc.StrictHTTPS {
		return t.Desc.HTTP
	}
	return t.Desc.HTTPS
}

// Client returns a contract client for a base URL (one of the listeners), with every secret the
// suite knows redacted from its messages.
func (t *Target) Client(base string, extraSecrets ...string) *contract.Client {
	hc := t.httpClient
	if u, err := url.Parse(base); err == nil && u.Scheme == "https" {
		hc = t.httpsClient
		if hc == nil {
			hc = newClient(&tls.Config{InsecureSkipVerify: true})
		}
	}
	secrets := append([]string{t.Token(), t.Desc.Token}, extraSecrets...)
	if t.Desc.Session != nil {
		secrets = append(secrets, t.Desc.Session.Password)
	}
	return &contract.Client{HTTP: hc, Base: base, Secrets: secrets, Paths: t.layout.Path}
}

// Layout is where the target serves the API: every request's path is mapped by it (Client).
func (t *Target) Layout() specsource.Layout { return t.layout }

// TLSConfig is the client TLS configuration the suite uses for the target's HTTPS, for a
// connection of a check's own: without the ALPN protocols net/http adds to it (h2), which a
// websocket or a hand-written HTTP/1.1 exchange must not offer.
func (t *Target) TLSConfig() *tls.Config {
	if t.httpsClient == nil {
		return &tls.Config{InsecureSkipVerify: true}
	}
	c := t.httpsClient.Transport.(*http.Transport).TLSClientConfig.Clone()
	c.NextProtos = nil
	return c
}

// Roots is the CA pool the suite trusts for the target's HTTPS (nil: insecure or none).
func (t *Target) Roots() *x509.CertPool { return t.roots }

// MissingReason says why a capability is absent.
func (t *Target) MissingReason(capability string) string {
	if r := t.Desc.Missing[capability]; r != "" {
		return r
	}
	return fmt.Sprintf("the %s target has no %s capability", t.Desc.Kind, capability)
}
