package tlsprobe

import (
	"context"
	"crypto/tls"
	"slices"
	"testing"
	"time"

	"github.com/keptn-conformance/keptn-conformance/conformance/pki"
)

// tlsServer accepts handshakes with c on loopback until the test ends.
func tlsServer(t *testing.T, c *tls.Config) string {
	t.Helper()
	pair, err := pki.SelfSigned("localhost", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(pair.CertPEM, pair.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	c.Certificates = []tls.Certificate{cert}
	l, err := tls.Listen("tcp", "127.0.0.1:0", c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				_ = conn.(*tls.Conn).Handshake()
				conn.Close()
			}()
		}
	}()
	return l.Addr().String()
}

// The hand-made ClientHello sees what a server accepts, beyond what Go's own client can offer.
func TestHelloProbe(t *testing.T) {
	ctx := context.Background()
	modern := tlsServer(t, &tls.Config{MinVersion: tls.VersionTLS12, CipherSuites: []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}})
	weak := tlsServer(t, &tls.Config{MinVersion: tls.VersionTLS10, CipherSuites: []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}})

	for _, v := range []uint16{SSL30, TLS10, TLS11} {
		if ok, s, err := AcceptsVersion(ctx, modern, "localhost", v); err != nil || ok {
			t.Errorf("modern server: %s accepted=%v (%s), err %v", VersionName(v), ok, s, err)
		}
	}
	if ok, s, err := AcceptsVersion(ctx, modern, "localhost", TLS12); err != nil || !ok || !forwardSecretAEAD(s) {
		t.Errorf("modern server: TLS 1.2 accepted=%v with %s, err %v", ok, s, err)
	}
	if w, err := WeakSuites(ctx, modern, "localhost"); err != nil || len(w) > 0 {
		t.Errorf("modern server: weak suites %v, err %v", w, err)
	}

	if ok, s, err := AcceptsVersion(ctx, weak, "localhost", TLS10); err != nil || !ok || s != "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA" {
		t.Errorf("weak server: TLS 1.0 accepted=%v with %s, err %v", ok, s, err)
	}
	w, err := WeakSuites(ctx, weak, "localhost")
	if err != nil || !slices.Equal(w, []string{"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"}) {
		t.Errorf("weak server: weak suites %v, err %v", w, err)
	}
	if _, _, err := hello(ctx, "127.0.0.1:1", "localhost", TLS12, nil); err == nil {
		t.Error("no error from a closed port")
	}
}

func TestForwardSecretAEAD(t *testing.T) {
	for name, want := range map[string]bool{
		"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": true, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256": true,
		"TLS_ECDHE_ECDSA_WITH_AES_128_CCM": true, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8": false,
		"TLS_RSA_WITH_AES_128_GCM_SHA256": false, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": false,
		"TLS_DH_anon_WITH_AES_128_GCM_SHA256": false, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256": false,
	} {
		if got := forwardSecretAEAD(name); got != want {
			t.Errorf("forwardSecretAEAD(%s) = %v, want %v", name, got, want)
		}
	}
}
