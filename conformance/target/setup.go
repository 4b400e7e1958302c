package target

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/specsource"
)

// Setup makes the target ready for a run and describes it; teardown undoes it (it is never nil).
// A target that cannot be used gives one error saying what to fix.
func Setup(ctx context.Context, cfg Config) (d *Description, teardown func(), err error) {
	if _, err := specsource.Parse(cfg.Specs); err != nil {
		return nil, func() {}, err
	}
	layout, err := specsource.ParseLayout(cfg.Layout)
	if err != nil {
		return nil, func() {}, err
	}
	if cfg.Target == KindKind && layout.Name != specsource.Layout07.Name {
		return nil, func() {}, fmt.Errorf("--layout %s: the kind target installs Keptn 0.7's layout (fixtures/kind/manifests); certify 0.6 on the embedded or an external target", layout.Name)
	}
	switch cfg.Target {
	case KindEmbedded:
		d, teardown, err = setupEmbedded(ctx, cfg)
	case KindExternal:
		d, err = describeExternal(cfg)
		if d != nil {
			d.Layout = layout.Name
		}
		teardown = func() {}
	case KindKind:
		d, teardown, err = setupKind(ctx, cfg)
	default:
		return nil, func() {}, fmt.Errorf("unknown target %q: use embedded, external or kind", cfg.Target)
	}
	if teardown == nil {
		teardown = func() {}
	}
	if err != nil {
		teardown()
		return nil, func() {}, err
	}
	if err := preflight(ctx, d); err != nil {
		teardown()
		return nil, func() {}, err
	}
	if err := checkSpecs(ctx, d, cfg.Specs); err != nil {
		teardown()
		return nil, func() {}, err
	}
	return d, teardown, nil
}

func describeExternal(cfg Config) (*Description, error) {
	if cfg.Endpoint == "" && cfg.HTTPSEndpoint == "" {
		return nil, errors.New("the external target needs the gateway's endpoint: --endpoint or $KEPTN_CONFORMANCE_ENDPOINT")
	}
	if cfg.Token == "" {
		return nil, errors.New("the external target needs the API token: --token or $KEPTN_CONFORMANCE_TOKEN")
	}
	d := &Description{Kind: KindExternal, Token: cfg.Token, Insecure: cfg.Insecure, HotReload: cfg.HotReload, Missing: map[string]string{}}
	for _, e := range []struct {
		flag, v string
		scheme  string
		dst     *string
	}{{"--endpoint", cfg.Endpoint, "", &d.HTTP}, {"--https-endpoint", cfg.HTTPSEndpoint, "https", &d.HTTPS}} {
		if e.v == "" {
			continue
		}
		u, err := url.Parse(e.v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%s %q is not an http(s) URL such as http://keptn.example.com", e.flag, e.v)
		}
		if e.scheme != "" && u.Scheme != e.scheme {
			return nil, fmt.Errorf("%s %q must be an https URL", e.flag, e.v)
		}
		if p := strings.TrimRight(u.Path, "/"); p != "" {
			return nil, fmt.Errorf("%s %q has a path (%s): give the gateway's base URL; the suite adds /api/... itself", e.flag, e.v, p)
		}
		base := u.Scheme + "://" + u.Host
		if u.Scheme == "https" && e.flag == "--endpoint" {
			d.HTTPS = base
			continue
		}
		*e.dst = base
	}
	if d.HTTPS != "" {
		u, _ := url.Parse(d.HTTPS)
		d.ServerName = cfg.ServerName
		if d.ServerName == "" {
			d.ServerName = u.Hostname()
		}
		d.Domain = d.ServerName
	}
	if cfg.CAFile != "" {
		b, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--ca-file: %w", err)
		}
		if !strings.Contains(string(b), "BEGIN CERTIFICATE") {
			return nil, fmt.Errorf("--ca-file %s holds no PEM certificate", cfg.CAFile)
		}
		d.CAPEM = string(b)
	}
	if d.HTTPS == "" {
		d.Missing[CapHTTPS] = "no HTTPS listener given (--https-endpoint)"
	}
	if cfg.SessionUser != "" && cfg.SessionPassword != "" {
		d.Session = &Credentials{Username: cfg.SessionUser, Password: cfg.SessionPassword}
	} else {
		d.Missing[CapSession] = "no session user given (--session-user and --session-password)"
	}
	switch {
	case cfg.TokenFile != "":
		d.TokenStore = &StoreSpec{File: cfg.TokenFile}
	case cfg.Kubeconfig != "":
		d.TokenStore = &StoreSpec{Kubeconfig: cfg.Kubeconfig, Namespace: cfg.Namespace, Secret: "keptn-api-token", Key: "keptn-api-token"}
	default:
		d.Missing[CapTokenRotation] = "the token cannot be rotated: give --token-file (a gateway on this machine) or --kubeconfig (the gateway's cluster)"
	}
	switch {
	case cfg.TLSCertFile != "" && cfg.TLSKeyFile != "":
		d.CertStore = &StoreSpec{File: cfg.TLSCertFile, KeyFile: cfg.TLSKeyFile}
	case cfg.TLSCertFile != "" || cfg.TLSKeyFile != "":
		return nil, errors.New("--tls-cert-file and --tls-key-file go together")
	case cfg.Kubeconfig != "":
		d.CertStore = &StoreSpec{Kubeconfig: cfg.Kubeconfig, Namespace: cfg.Namespace, Secret: "api-gateway-tls"}
	default:
		d.Missing[CapCertInstall] = "certificates cannot be installed: give --tls-cert-file and --tls-key-file, or --kubeconfig"
	}
	switch {
	case cfg.RestartCommand != "":
		d.Restart = &RestartSpec{Command: cfg.RestartCommand}
	case cfg.Kubeconfig != "":
		d.Restart = &RestartSpec{Kubeconfig: cfg.Kubeconfig, Namespace: cfg.Namespace}
	default:
		d.Missing[CapRestart] = "the gateway cannot be restarted: give --restart-command (a gateway on this machine) or --kubeconfig (the gateway's cluster)"
	}
	var why string
	var err error
	if d.Echo, why, err = echoSpec(cfg); err != nil {
		return nil, err
	} else if why != "" {
		d.Missing[CapEcho] = why
	}
	d.Implementation = Implementation{Name: cfg.Implementation, Endpoint: firstOf(d.HTTP, d.HTTPS), Target: KindExternal}
	if d.Implementation.Name == "" {
		d.Implementation.Name = "unnamed Keptn API gateway"
	}
	return d, nil
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// preflight checks, once and up front, that the endpoint serves the Keptn API and takes the
// token, so a wrong endpoint or token is one clear error instead of hundreds of failures. It
// also reads the installation's version and whether HTTP only redirects to HTTPS.
// silent says a request got no answer in its time: the listener accepted, or did not refuse, and
// never spoke.
func silent(err error) bool {
	var ne net.Error
	return err != nil && (errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout())
}

// httpsPatience is how long the preflight waits for the HTTPS listener's first answer.
var httpsPatience = 10 * time.Second

func preflight(ctx context.Context, d *Description) error {
	t, err := Connect(d)
	if err != nil {
		return err
	}
	defer t.CloseIdleConnections()
	if d.HTTP != "" {
		ex, err := t.Client(d.HTTP).Do(ctx, contract.Request{Method: "GET", Path: "/api/v1/metadata"})
		if err == nil && ex.Err == nil && ex.Status() == http.StatusPermanentRedirect && strings.HasPrefix(ex.Response.Header.Get("Location"), "https://") && d.HTTPS != "" {
			d.StrictHTTPS, t.Desc.StrictHTTPS = true, true
		}
	}
	base := t.Base()
	if base == "" {
		return errors.New("the target has neither an HTTP nor a usable HTTPS listener")
	}
	if d.HTTPS != "" && base != d.HTTPS {
		// The HTTPS listener is only the TLS profile's, but an untrusted certificate there would
		// fail every one of its checks: say it once, up front.
		hctx, cancel := context.WithTimeout(ctx, httpsPatience)
		ex, err := t.Client(d.HTTPS).Do(hctx, contract.Request{Method: "GET", Path: "/api/v1/metadata"})
		cancel()
		if err != nil {
			return err
		}
		if untrusted(ex.Err) {
			return untrustedError(d, ex.Err)
		}
		// Only silence is broken: a listener that answers, even with a bad certificate or a
		// refused handshake, is for the TLS profile's checks to judge.
		if silent(ex.Err) && ctx.Err() == nil {
			if d.Broken == nil {
				d.Broken = map[string]string{}
			}
			d.Broken[CapHTTPS] = fmt.Sprintf("the HTTPS listener at %s gave no answer to GET /api/v1/metadata (within %s): %v", d.HTTPS, httpsPatience, ex.Err)
		} else {
			delete(d.Broken, CapHTTPS)
		}
	}
	c := t.Client(base)
	withToken := http.Header{"X-Token": {d.Token}}
	ex, err := c.Do(ctx, contract.Request{Method: "POST", Path: "/api/v1/auth", Header: withToken})
	if err != nil {
		return err
	}
	auth := "POST " + ex.Request.URL.Path // in the target's layout
	switch {
	case untrusted(ex.Err):
		return untrustedError(d, ex.Err)
	case ex.Err != nil:
		return fmt.Errorf("cannot reach the gateway at %s: %v", base, ex.Err)
	case ex.Status() == http.StatusUnauthorized:
		return answeredWrongly{fmt.Sprintf("the gateway at %s refuses the token (%s answered 401): check --token / $KEPTN_CONFORMANCE_TOKEN", base, auth)}
	case ex.Status() == http.StatusNotFound:
		return answeredWrongly{fmt.Sprintf("%s does not serve the Keptn API in layout %s (%s answered 404): give the gateway's base URL, without /api, and its layout (--layout 0.7 or 0.6)", base, t.Layout().Name, auth)}
	case ex.Status() == http.StatusBadGateway || ex.Status() == http.StatusServiceUnavailable || ex.Status() == http.StatusGatewayTimeout:
		return fmt.Errorf("the gateway at %s answered %s with %d: it is not ready yet", base, auth, ex.Status())
	case ex.Status() != http.StatusOK:
		return answeredWrongly{fmt.Sprintf("the gateway at %s answered %s with %d, not 200: it is not ready, or not a Keptn API gateway", base, auth, ex.Status())}
	}
	ex, err = c.Do(ctx, contract.Request{Method: "GET", Path: "/api/v1/metadata", Header: withToken})
	if err == nil && ex.Err == nil && ex.Status() == http.StatusOK {
		var m struct {
			Keptnversion string `json:"keptnversion"`
		}
		if json.Unmarshal(ex.RespBody, &m) == nil && d.Implementation.Version == "" {
			d.Implementation.Version = m.Keptnversion
		}
	}
	return nil
}

// untrusted says an error is a certificate the run was not told to trust: signed by an authority
// it does not know, or for another name. (An expired certificate is the gateway's defect, which
// the TLS profile reports; it does not stop the run.)
func untrusted(err error) bool {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	return err != nil && (errors.As(err, &unknown) || errors.As(err, &host))
}

// untrustedError is the one message for an HTTPS endpoint whose certificate is not trusted.
func untrustedError(d *Description, err error) error {
	var verify *tls.CertificateVerificationError
	cause := err
	if errors.As(err, &verify) {
		cause = verify.Err
	}
	return fmt.Errorf("the HTTPS endpoint %s presents a certificate this run does not trust (%v): "+
		"give the CA that signed it with --ca-file (CA_FILE=ca.pem for make certify, $KEPTN_CONFORMANCE_CA_FILE), "+
		"or accept any certificate with --insecure (INSECURE=true, $KEPTN_CONFORMANCE_INSECURE); "+
		"the TLS server name asked for is %q (--server-name)", d.HTTPS, cause, d.ServerName)
}

// Ready polls until POST /api/v1/auth with the token answers 200, or ctx ends. A gateway that
// answers, but wrongly (the token refused, not the Keptn API, another status), is given a while
// to settle (an installation still coming up) and then ends the wait with that one message,
// rather than the whole set-up timeout: at once for the embedded gateway, which serves as soon
// as it listens.
func Ready(ctx context.Context, d *Description) error {
	settle := 30 * time.Second
	if d.Kind == KindEmbedded {
		settle = time.Second
	}
	var last error
	var answeredSince time.Time
	for {
		if last = preflight(ctx, d); last == nil {
			return nil
		}
		var wrong answeredWrongly
		switch {
		case !errors.As(last, &wrong):
			answeredSince = time.Time{}
		case answeredSince.IsZero():
			answeredSince = time.Now()
		case time.Since(answeredSince) >= settle:
			return last
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the gateway did not become ready: %w", last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// answeredWrongly is a preflight failure where the gateway answered, but not as a Keptn API
// gateway that takes the token does.
type answeredWrongly struct{ msg string }

func (a answeredWrongly) Error() string { return a.msg }
