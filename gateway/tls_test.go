package gateway_test

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/certs"
)

func writePair(t *testing.T, dir, domain string) (certFile, keyFile string) {
	t.Helper()
	c, k, err := certs.SelfSigned(domain, time.Now(), 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	// Key first, then certificate: a watcher may see a mismatched pair in between, and must cope.
	if err := os.WriteFile(keyFile, k, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, c, 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func servedCert(t *testing.T, g *running, sni string) *x509.Certificate {
	t.Helper()
	c, err := tls.Dial("tcp", strings.TrimPrefix(g.https, "https://"), &tls.Config{InsecureSkipVerify: true, ServerName: sni})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0]
}

func TestConfiguredCertificateIsReloaded(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writePair(t, dir, "one.example.test")
	g := start(t, gateway.Config{TLSCertFile: certFile, TLSKeyFile: keyFile})
	if cn := servedCert(t, g, "one.example.test").Subject.CommonName; cn != "one.example.test" {
		t.Fatalf("serving %q", cn)
	}
	writePair(t, dir, "two.example.test")
	eventually(t, func() bool { return servedCert(t, g, "two.example.test").Subject.CommonName == "two.example.test" })
	// A broken pair keeps the current certificate.
	if err := os.WriteFile(certFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	kept(t, g, 0)
	if cn := servedCert(t, g, "two.example.test").Subject.CommonName; cn != "two.example.test" {
		t.Errorf("serving %q after a broken update", cn)
	}
}

func TestCertificateNeedsBothFiles(t *testing.T) {
	_, err := gateway.New(gateway.Config{TLSCertFile: "x.crt", DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", HTTPSAddr: "127.0.0.1:0"})
	if err == nil || !strings.Contains(err.Error(), "--tls-key") {
		t.Fatalf("err = %v", err)
	}
}

// Replacing the pair the gateway made at install swaps the certificate, and a restart keeps the
// replacement: the gateway only ever renews a certificate it made itself.
func TestInstalledCertificateCanBeReplaced(t *testing.T) {
	g := start(t, gateway.Config{Domain: "keptn.example.test"})
	if cn := servedCert(t, g, "").Subject.CommonName; cn != "keptn.example.test" {
		t.Fatalf("serving %q", cn)
	}
	tlsDir := filepath.Join(g.cfg.DataDir, "tls")
	writePair(t, tlsDir, "custom.example.test")
	eventually(t, func() bool { return servedCert(t, g, "").Subject.CommonName == "custom.example.test" })
	g = g.restart()
	if cn := servedCert(t, g, "").Subject.CommonName; cn != "custom.example.test" {
		t.Errorf("after a restart serving %q", cn)
	}
}
