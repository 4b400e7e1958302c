package profiles

import (
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/conformance/pki"
	"github.com/keptn-conformance/keptn-conformance/conformance/target"
	"github.com/keptn-conformance/keptn-conformance/conformance/tlsprobe"
)

// Check names of the TLS profiles.
const (
	CheckTLSListeners    = "tls-listeners"     // a listener does not answer as it should
	CheckTLSDefaultCert  = "tls-default-cert"  // the certificate served by default is not what a reviewer expects
	CheckTLSCertSwap     = "tls-cert-swap"     // a certificate put in place is not served, or handshakes fail meanwhile
	CheckTLSProtocols    = "tls-protocols"     // an old protocol accepted, or TLS 1.3 refused
	CheckTLSSNI          = "tls-sni"           // an unknown or missing server name breaks the handshake
	CheckTLSCipherSuites = "tls-cipher-suites" // a TLS 1.2 suite without forward secrecy or AEAD offered
	CheckTLSHSTS         = "tls-hsts"          // HTTPS answers without Strict-Transport-Security
	CheckTLSStrict       = "tls-strict"        // strict mode processes plain HTTP instead of redirecting
	CheckTLSRedirectTo   = "tls-redirect-to"   // strict mode redirects to another host or resource
)

// MaxValidity is the longest validity a server certificate may have (the CA/Browser Forum's limit).
const MaxValidity = 398 * 24 * time.Hour

// TLSCheck is one check of the TLS profiles.
type TLSCheck struct {
	// Title completes "the gateway MUST ..." (or SHOULD, by the grade).
	Title string
	// Grade is the check's level and source.
	Grade grade.Grade
	// Extended checks are reported, not required (a gateway can conform without them).
	Extended bool
	// Swap marks a check that changes the gateway's certificate (run alone).
	Swap bool
	Run  func(ctx context.Context, e *cases.Env) (cases.Result, error)
}

// Name is the check's spec text.
func (c TLSCheck) Name() string { return cases.Sentence("the gateway", c.Grade, c.Title) }

func httpsAddr(e *cases.Env) (string, error) {
	u, err := url.Parse(e.Target.Desc.HTTPS)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("the target has no HTTPS listener")
	}
	if u.Port() == "" {
		return net.JoinHostPort(u.Hostname(), "443"), nil
	}
	return u.Host, nil
}

// handshake dials the HTTPS listener with c and returns the connection's state.
func handshake(e *cases.Env, ctx context.Context, c *tls.Config) (*tls.ConnectionState, error) {
	addr, err := httpsAddr(e)
	if err != nil {
		return nil, err
	}
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: c}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	st := conn.(*tls.Conn).ConnectionState()
	return &st, nil
}

func fingerprint(c *x509.Certificate) string {
	d := sha256.Sum256(c.Raw)
	return hex.EncodeToString(d[:8])
}

// TLSChecks are the checks of the TLS profiles (core and extended).
func TLSChecks() []TLSCheck {
	return []TLSCheck{
		{Title: "answer on its HTTP and its HTTPS listener (plain HTTP redirecting to HTTPS with 308 in strict mode, without looking at credentials)",
			Grade: tlsDocs("public-gateway: HTTP on port 80 and HTTPS on port 443"), Run: checkListeners},
		{Title: "serve by default a certificate for its domain: self-signed or from its own CA, RSA ≥ 2048 or ECDSA P-256/P-384, valid at most 398 days, for server authentication, not expired",
			Grade: tlsDocs("a self-signed RSA-2048 certificate for the domain, server authentication, made at install"), Run: checkDefaultCert},
		{Title: "refuse TLS 1.0 and TLS 1.1 (and SHOULD accept TLS 1.3)",
			Grade: grade.Grade{Level: grade.Must, Source: grade.RFCSection("RFC 8996 §2, §3 (TLS 1.0 and 1.1 MUST NOT be used); RFC 7568 §3 (SSL 3.0)")}, Run: checkProtocols},
		{Title: "answer a handshake for an unknown server name, or none, with a certificate",
			Grade: grade.Grade{Level: grade.Should, Source: grade.Ours("clients reaching the gateway by address or another name (the keptn CLI does not verify certificates) still get one; RFC 6066 §3 permits refusing")}, Run: checkSNI},
		{Title: "serve a renewed certificate (the served one's names, a new key and CA) put in place through the target within the profile's maximum (and SHOULD fail no handshake during the swap)", Swap: true,
			Grade: tlsDocs("users replace the certificate in its secret; the gateway then serves the new one"), Run: checkCertSwap},
		{Title: "send no Strict-Transport-Security over plain HTTP",
			Grade: grade.Grade{Level: grade.Must, Source: grade.RFCSection("RFC 6797 §7.2: an HSTS host MUST NOT include the STS header field in HTTP responses conveyed over non-secure transport")}, Run: checkNoHSTSOverHTTP},
		{Title: "offer for TLS 1.2 only forward-secret AEAD cipher suites (Mozilla intermediate)", Extended: true,
			Grade: grade.Grade{Level: grade.Should, Source: grade.Guide("Mozilla Server Side TLS, intermediate configuration")}, Run: checkCipherSuites},
		{Title: "send Strict-Transport-Security with a max-age of at least 180 days on HTTPS", Extended: true,
			Grade: grade.Grade{Level: grade.Should, Source: grade.Guide("Mozilla Web Security Guidelines: HTTP Strict Transport Security (RFC 6797)")}, Run: checkHSTS},
		{Title: "redirect plain HTTP to HTTPS in strict mode, to the same host (an IPv6 literal too) and the same path and query", Extended: true,
			Grade: grade.Grade{Level: grade.Should, Source: grade.Guide("Mozilla Web Security Guidelines: HTTP redirections (port 80 only redirects, to the same resource on HTTPS)")}, Run: checkStrict},
	}
}

// tls13Grade is the grade of offering TLS 1.3: BCP 195 recommends it, nothing upstream requires it.
var tls13Grade = grade.Grade{Level: grade.Should, Source: grade.RFCSection("RFC 9325 §3.1.1 (implementations SHOULD support TLS 1.3)")}

// seamlessSwapGrade grades handshakes that fail while a certificate is put in place: upstream
// documents that the new certificate is served, not how the gateway gets there.
var seamlessSwapGrade = grade.Grade{Level: grade.Should, Source: grade.Ours("a certificate change should not break the handshakes of clients connecting meanwhile (upstream documents only that the new certificate is then served)")}

// tlsDocs is a MUST on the word of Keptn 0.6's TLS gateway (facts §4).
func tlsDocs(ref string) grade.Grade {
	return grade.Grade{Level: grade.Must, Source: grade.Docs("Keptn 0.6 TLS gateway: " + ref)}
}

func checkListeners(ctx context.Context, e *cases.Env) (cases.Result, error) {
	var res cases.Result
	d := e.Target.Desc
	if d.HTTPS != "" {
		ex, err := authOn(e, ctx, d.HTTPS, e.Target.Token())
		if err != nil {
			return res, err
		}
		res.Exchanges = append(res.Exchanges, ex)
		if ex.Status() != http.StatusOK {
			res.Problems = append(res.Problems, cases.Problem(CheckTLSListeners, "HTTPS: POST /api/v1/auth with the token answered %d (%v), want 200", ex.Status(), ex.Err))
		}
	}
	if d.HTTP == "" {
		return res, nil
	}
	ex, err := authOn(e, ctx, d.HTTP, "kc-not-the-token")
	if err != nil {
		return res, err
	}
	res.Exchanges = append(res.Exchanges, ex)
	switch {
	case ex.Response == nil:
		res.Problems = append(res.Problems, cases.Problem(CheckTLSListeners, "HTTP: no answer: %v", ex.Err))
	case d.StrictHTTPS:
		if ex.Status() != http.StatusPermanentRedirect || !strings.HasPrefix(ex.Response.Header.Get("Location"), "https://") {
			res.Problems = append(res.Problems, cases.Problem(CheckTLSStrict, "strict mode: HTTP answered %d (Location %q), want 308 to https:// before any credential check", ex.Status(), ex.Response.Header.Get("Location")))
		}
	case ex.Status() != http.StatusUnauthorized:
		res.Problems = append(res.Problems, cases.Problem(CheckTLSListeners, "HTTP: POST /api/v1/auth with a wrong token answered %d, want 401", ex.Status()))
	}
	return res, nil
}

func authOn(e *cases.Env, ctx context.Context, base, token string) (*contract.Exchange, error) {
	h := http.Header{}
	h.Set("x-token", token)
	return e.Target.Client(base).Do(ctx, contract.Request{Method: "POST", Path: "/api/v1/auth", Header: h})
}

// Mode describes the HTTP listener, for the report.
func Mode(d *target.Description) string {
	switch {
	case d.HTTP == "":
		return "no plain HTTP listener given"
	case d.StrictHTTPS:
		return "strict: plain HTTP redirects to HTTPS (308)"
	}
	return "plain HTTP serves the API (not strict)"
}

func checkDefaultCert(ctx context.Context, e *cases.Env) (cases.Result, error) {
	var res cases.Result
	d := e.Target.Desc
	st, err := handshake(e, ctx, &tls.Config{InsecureSkipVerify: true, ServerName: d.ServerName})
	if err != nil {
		res.Problems = append(res.Problems, cases.Problem(CheckTLSListeners, "no TLS handshake with the HTTPS listener: %v", err))
		return res, nil
	}
	leaf := st.PeerCertificates[0]
	bad := func(format string, args ...any) {
		res.Problems = append(res.Problems, cases.Problem(CheckTLSDefaultCert, format, args...))
	}
	now := time.Now()
	if now.After(leaf.NotAfter) || now.Before(leaf.NotBefore) {
		bad("the certificate is not valid now (valid %s to %s)", leaf.NotBefore.Format(time.RFC3339), leaf.NotAfter.Format(time.RFC3339))
	}
	if v := leaf.NotAfter.Sub(leaf.NotBefore); v > MaxValidity {
		bad("the certificate is valid for %d days, more than 398", int(v.Hours()/24))
	}
	switch k := leaf.PublicKey.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			bad("an RSA key of %d bits, want at least 2048", k.N.BitLen())
		}
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() {
			bad("an ECDSA key on %s, want P-256 or P-384", k.Curve.Params().Name)
		}
	default:
		bad("a %T key, want RSA ≥ 2048 or ECDSA P-256/P-384", leaf.PublicKey)
	}
	if len(leaf.ExtKeyUsage) > 0 && !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageServerAuth) && !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageAny) {
		bad("the certificate is not for server authentication (extended key usage)")
	}
	if len(leaf.ExtKeyUsage) == 0 {
		bad("the certificate names no extended key usage; want server authentication")
	}
	if d.Domain != "" {
		if err := leaf.VerifyHostname(d.Domain); err != nil {
			bad("the certificate is not for the gateway's domain %s: %v", d.Domain, err)
		}
		if leaf.Subject.CommonName != "" && leaf.Subject.CommonName != d.Domain {
			bad("the certificate's subject is %q, want CN=%s", leaf.Subject.CommonName, d.Domain)
		}
	}
	if roots := e.Target.Roots(); roots != nil {
		inter := x509.NewCertPool()
		for _, c := range st.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: d.Domain, CurrentTime: now})
		if err != nil {
			bad("the certificate does not verify against the target's CA: %v", err)
		}
	}
	return res, nil
}

func checkProtocols(ctx context.Context, e *cases.Env) (cases.Result, error) {
	var res cases.Result
	addr, err := httpsAddr(e)
	if err != nil {
		return res, err
	}
	name := e.Target.Desc.ServerName
	// Old protocols, offered with every cipher suite there is (not only those Go speaks).
	for _, v := range []uint16{tlsprobe.SSL30, tlsprobe.TLS10, tlsprobe.TLS11} {
		ok, suite, err := tlsprobe.AcceptsVersion(ctx, addr, name, v)
		if err != nil {
			return res, err
		}
		if ok {
			res.Problems = append(res.Problems, cases.Problem(CheckTLSProtocols, "%s is accepted (the server chose %s)", tlsprobe.VersionName(v), suite))
		}
	}
	if _, err := handshake(e, ctx, &tls.Config{InsecureSkipVerify: true, ServerName: name, MinVersion: tls.VersionTLS13}); err != nil {
		p := cases.Problem(CheckTLSProtocols, "TLS 1.3 is refused: %v", err)
		p.Grade = tls13Grade
		res.Problems = append(res.Problems, p)
	}
	return res, nil
}

func checkSNI(ctx context.Context, e *cases.Env) (cases.Result, error) {
	var res cases.Result
	for _, name := range []string{"unknown.keptn-conformance.invalid", ""} {
		st, err := handshake(e, ctx, &tls.Config{InsecureSkipVerify: true, ServerName: name})
		switch {
		case err != nil:
			res.Problems = append(res.Problems, cases.Problem(CheckTLSSNI, "a handshake for server name %q failed: %v", name, err))
		case len(st.PeerCertificates) == 0:
			res.Problems = append(res.Problems, cases.Problem(CheckTLSSNI, "a handshake for server name %q got no certificate", name))
		}
	}
	// And the gateway still answers afterwards.
	ex, err := authOn(e, ctx, e.Target.Desc.HTTPS, e.Target.Token())
	if err != nil {
		return res, err
	}
	if ex.Status() != http.StatusOK {
		res.Problems = append(res.Problems, cases.Problem(CheckTLSSNI, "after those handshakes, HTTPS answered %d (%v)", ex.Status(), ex.Err))
	}
	return res, nil
}

// certFirstPause is how long the certificate swap leaves a restored certificate beside the
// key it replaces before writing the key: several polls of a gateway that reads its files every
// 200 ms (the reference's default), so that one reloading only on the certificate sees the
// mismatched pair, and short enough to keep the check fast.
const certFirstPause = 500 * time.Millisecond

func checkCertSwap(ctx context.Context, e *cases.Env) (cases.Result, error) {
	var res cases.Result
	store := e.Target.Certs
	if store == nil {
		return cases.Result{Skip: e.Target.MissingReason(target.CapCertInstall)}, nil
	}
	origCert, origKey, err := store.Get()
	if err != nil {
		res.Problems = append(res.Problems, cases.Problem(CheckTLSCertSwap, "reading the installed certificate from %s: %v", store, err))
		return res, nil
	}
	before, err := handshake(e, ctx, &tls.Config{InsecureSkipVerify: true, ServerName: e.Target.Desc.ServerName})
	if err != nil {
		res.Problems = append(res.Problems, cases.Problem(CheckTLSListeners, "no handshake before the swap: %v", err))
		return res, nil
	}
	original := fingerprint(before.PeerCertificates[0])
	// A renewal: the served certificate's subject and names, a new key and CA (a gateway that
	// reloads only when the subject changes keeps the old one).
	leaf := before.PeerCertificates[0]
	domain := "custom.keptn-conformance.test"
	switch {
	case len(leaf.DNSNames) > 0:
		domain = leaf.DNSNames[0]
	case len(leaf.IPAddresses) > 0:
		domain = leaf.IPAddresses[0].String()
	}
	custom, err := pki.Renewal(leaf, domain)
	if err != nil {
		return res, err
	}
	customFP := fingerprint(custom.Leaf)

	// Handshakes all through the swap: none may fail.
	var failed, tried atomic.Int64
	var writing atomic.Bool        // the restore is being written (certificate first, key later)
	var failedWriting atomic.Int64 // failed handshakes meanwhile
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			tried.Add(1)
			if _, err := handshake(e, ctx, &tls.Config{InsecureSkipVerify: true, ServerName: domain}); err != nil {
				if writing.Load() {
					// The files on disk are no pair: a gateway that reads them at every
					// handshake (nginx) cannot but refuse; not held against the swap.
					failedWriting.Add(1)
					continue
				}
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
			}
		}
	}()
	served := func(fp string) (time.Duration, bool) {
		start := time.Now()
		for time.Since(start) < e.SwapMax && ctx.Err() == nil {
			st, err := handshake(e, ctx, &tls.Config{InsecureSkipVerify: true, ServerName: domain})
			if err == nil && fingerprint(st.PeerCertificates[0]) == fp {
				return time.Since(start), true
			}
			time.Sleep(20 * time.Millisecond) // polling a handshake: there is nothing else to await
		}
		return time.Since(start), false
	}
	if err := store.Put(custom.CertPEM, custom.KeyPEM); err != nil {
		close(stop)
		wg.Wait()
		res.Problems = append(res.Problems, cases.Problem(CheckTLSCertSwap, "installing the certificate through %s: %v", store, err))
		return res, nil
	}
	took, ok := served(customFP)
	res.Figures = append(res.Figures, cases.Figure{Name: "certificate swap (installed → served)", Value: took.Seconds(), Unit: "s", Limit: e.SwapMax.Seconds()})
	if !ok {
		res.Problems = append(res.Problems, cases.Problem(CheckTLSCertSwap, "the new certificate is not served %s after it was installed", e.SwapMax))
	} else {
		// It verifies against its CA, with the right server name, as a client would check it.
		if _, err := handshake(e, ctx, &tls.Config{RootCAs: custom.Roots, ServerName: domain}); err != nil {
			res.Problems = append(res.Problems, cases.Problem(CheckTLSCertSwap, "the new certificate does not verify against its CA for %s: %v", domain, err))
		}
	}
	// Restore the original the other way round, the certificate first and the key a moment later
	// (a gateway that reloads only when the certificate changes then tries it with the key it
	// replaces, refuses the pair, and never looks again), and see it served again once the key
	// is there. The handshakes refused meanwhile, while the files are no pair, are a figure, not
	// a finding: a gateway reading its files at every handshake (nginx) cannot serve them.
	writing.Store(true)
	order, err := store.PutCertFirst(origCert, origKey, certFirstPause)
	writing.Store(false)
	res.Figures = append(res.Figures, cases.Figure{Name: "handshakes refused while the certificate was written before its key", Value: float64(failedWriting.Load()), Unit: "handshakes"})
	if err != nil {
		res.Problems = append(res.Problems, cases.Problem(CheckTLSCertSwap, "restoring the original certificate (%s): %v", order, err))
	} else if _, ok := served(original); !ok {
		res.Problems = append(res.Problems, cases.Problem(CheckTLSCertSwap, "the original certificate %s is not served again within %s after it was restored", order, e.SwapMax))
	}
	close(stop)
	wg.Wait()
	if n := failed.Load(); n > 0 {
		p := cases.Problem(CheckTLSCertSwap, "%d of %d handshakes failed during the swap, e.g. %v", n, tried.Load(), firstErr.Load())
		p.Grade = seamlessSwapGrade
		res.Problems = append(res.Problems, p)
	}
	return res, nil
}

func checkCipherSuites(ctx context.Context, e *cases.Env) (cases.Result, error) {
	var res cases.Result
	addr, err := httpsAddr(e)
	if err != nil {
		return res, err
	}
	weak, err := tlsprobe.WeakSuites(ctx, addr, e.Target.Desc.ServerName)
	if err != nil {
		return res, err
	}
	if len(weak) > 0 {
		res.Problems = append(res.Problems, cases.Problem(CheckTLSCipherSuites, "TLS 1.2 accepts suites without forward secrecy or without AEAD: %s", strings.Join(weak, ", ")))
	}
	return res, nil
}

var maxAgeRE = regexp.MustCompile(`(?i)max-age\s*=\s*"?(\d+)`)

func checkHSTS(ctx context.Context, e *cases.Env) (cases.Result, error) {
	var res cases.Result
	ex, err := authOn(e, ctx, e.Target.Desc.HTTPS, e.Target.Token())
	if err != nil {
		return res, err
	}
	res.Exchanges = append(res.Exchanges, ex)
	if ex.Response == nil {
		res.Problems = append(res.Problems, cases.Problem(CheckTLSListeners, "no answer over HTTPS: %v", ex.Err))
		return res, nil
	}
	v := ex.Response.Header.Get("Strict-Transport-Security")
	m := maxAgeRE.FindStringSubmatch(v)
	if m == nil {
		res.Problems = append(res.Problems, cases.Problem(CheckTLSHSTS, "no Strict-Transport-Security with a max-age (got %q)", v))
		return res, nil
	}
	if age, _ := strconv.Atoi(m[1]); age < 180*24*3600 {
		res.Problems = append(res.Problems, cases.Problem(CheckTLSHSTS, "Strict-Transport-Security max-age=%d is less than 180 days", age))
	}
	return res, nil
}

// checkNoHSTSOverHTTP reads the plain HTTP listener's answer (a redirect in strict mode) for a
// Strict-Transport-Security header, which RFC 6797 reserves for secure transport.
func checkNoHSTSOverHTTP(ctx context.Context, e *cases.Env) (cases.Result, error) {
	var res cases.Result
	if e.Target.Desc.HTTP == "" {
		return cases.Result{Skip: Mode(&e.Target.Desc)}, nil
	}
	ex, err := authOn(e, ctx, e.Target.Desc.HTTP, e.Target.Token())
	if err != nil {
		return res, err
	}
	res.Exchanges = append(res.Exchanges, ex)
	if ex.Response == nil {
		res.Problems = append(res.Problems, cases.Problem(CheckTLSListeners, "HTTP: no answer: %v", ex.Err))
		return res, nil
	}
	if v := ex.Response.Header.Get("Strict-Transport-Security"); v != "" {
		res.Problems = append(res.Problems, cases.Problem(CheckTLSHSTS, "plain HTTP answered %d with Strict-Transport-Security %q", ex.Status(), v))
	}
	return res, nil
}

func checkStrict(ctx context.Context, e *cases.Env) (cases.Result, error) {
	if !e.Target.Desc.StrictHTTPS {
		return cases.Result{Skip: "the gateway is not in strict mode: " + Mode(&e.Target.Desc)}, nil
	}
	res, err := checkListeners(ctx, e)
	if err != nil {
		return res, err
	}
	u, err := url.Parse(e.Target.Desc.HTTP)
	if err != nil {
		return res, err
	}
	// The redirect names the same resource on HTTPS: the host the client asked for (its port may
	// differ: the gateway's HTTPS port, or none) and the request's path and query as sent, an
	// escaped segment included. The host once as the target's and once as an IPv6 literal, which
	// a gateway reached through an IPv6 address is asked for; a gateway that answers that one
	// otherwise (another virtual host, say) is not judged on it.
	const probe = "/api/v1/metadata/conformance%2Fredirect?probe=a%26b&x=1"
	for _, host := range []string{u.Host, "[::1]:" + cmp.Or(u.Port(), "80")} {
		h := http.Header{}
		h.Set("Host", host)
		ex, err := e.Target.Client(e.Target.Desc.HTTP).Do(ctx, contract.Request{Method: "GET", Path: probe, Header: h})
		if err != nil {
			return res, err
		}
		if ex.Response == nil && ex.Err != nil && strings.Contains(ex.Err.Error(), "Location header") {
			// Go's client reads a redirect's Location before it hands the answer back.
			res.Exchanges = append(res.Exchanges, ex)
			res.Problems = append(res.Problems, cases.Problem(CheckTLSRedirectTo, "strict mode: GET %s with Host %s: %v", probe, host, ex.Err))
			continue
		}
		if ex.Response == nil || ex.Status() != http.StatusPermanentRedirect {
			if host == u.Host {
				res.Exchanges = append(res.Exchanges, ex)
				res.Problems = append(res.Problems, cases.Problem(CheckTLSStrict, "strict mode: GET %s over HTTP answered %d, want 308 to https://", probe, ex.Status()))
			}
			continue
		}
		if msg := redirectTarget(ex.Response.Header.Get("Location"), host, ex.Request.URL.RequestURI()); msg != "" {
			res.Exchanges = append(res.Exchanges, ex)
			res.Problems = append(res.Problems, cases.Problem(CheckTLSRedirectTo, "strict mode: GET %s with Host %s redirected to %q: %s", probe, host, ex.Response.Header.Get("Location"), msg))
		}
	}
	return res, nil
}

// redirectTarget says what is wrong with a strict-mode redirect's Location for a request to host
// with the request URI uri, or "".
func redirectTarget(location, host, uri string) string {
	to, err := url.Parse(location)
	if err != nil {
		return "not a URL: " + err.Error()
	}
	want, _ := url.Parse("http://" + host)
	switch {
	case to.Scheme != "https":
		return "not https://"
	case want == nil || !strings.EqualFold(to.Hostname(), want.Hostname()):
		return "another host than " + host
	case to.RequestURI() != uri:
		return "another resource than " + uri
	}
	return ""
}

// RunRedirects sends an operation's request over plain HTTP once per variant (and once with the
// right token) to a gateway in strict mode: each must be redirected to HTTPS with 308, before the
// gateway looks at credentials or body.
func RunRedirects(e *cases.Env, ctx context.Context, a cases.AuthCase, w *cases.World, variants []cases.Variant) (cases.Result, error) {
	var res cases.Result
	keep := cases.Variant{Name: "the right token", Apply: func(*contract.Request, string) {}}
	for _, v := range append([]cases.Variant{keep}, variants...) {
		req, err := e.Request(a.Base, w)
		if err != nil {
			return res, err
		}
		v.Apply(&req, e.Target.Token())
		ex, err := e.Target.Client(e.Target.Desc.HTTP).Do(ctx, req)
		if err != nil {
			return res, err
		}
		if ex.Response == nil || ex.Status() != http.StatusPermanentRedirect || !strings.HasPrefix(ex.Response.Header.Get("Location"), "https://") {
			res.Exchanges = append(res.Exchanges, ex)
			res.Problems = append(res.Problems, cases.Problem(CheckTLSStrict, "plain HTTP with %s answered %d, want 308 to https:// (strict mode)", v.Name, ex.Status()))
		}
	}
	return res, nil
}
