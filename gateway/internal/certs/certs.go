// Package certs gives the HTTPS listener its certificate: a configured certificate and key, or
// else the pair in the data directory's tls/ folder, where a self-signed certificate for the
// configured domain is made on first start (as Keptn's installer made one at install). Either
// pair is reloaded when its files change, so replacing tls/tls.crt and tls/tls.key swaps the
// certificate without a restart.
package certs

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/watch"
)

// SelfSignedValidity is how long a generated certificate is valid (the CA/Browser limit is 398
// days; Keptn's installer used one year).
const SelfSignedValidity = 365 * 24 * time.Hour

// renewBefore: a kept self-signed certificate this close to expiry is made anew at start.
const renewBefore = 30 * 24 * time.Hour

// Manager holds the current certificate.
type Manager struct {
	cur      atomic.Pointer[tls.Certificate]
	certFile string
	keyFile  string
	source   string
	log      *slog.Logger
	loaded   [][]byte // the certificate and key as read, the watcher's baseline
}

// Config says where the certificate comes from.
type Config struct {
	CertFile, KeyFile string // a configured pair (both or neither)
	DataDir           string // where a self-signed pair is kept
	Domain            string // the name (or IP address) a self-signed certificate is for
}

// Load loads the configured pair, or the kept self-signed pair, making one when there is none,
// when it is for another domain, or when it expires within 30 days.
func Load(cfg Config, log *slog.Logger) (*Manager, error) {
	m := &Manager{log: log}
	switch {
	case cfg.CertFile != "" && cfg.KeyFile != "":
		m.certFile, m.keyFile = cfg.CertFile, cfg.KeyFile
		m.source = fmt.Sprintf("certificate %s, key %s (reloaded on change)", cfg.CertFile, cfg.KeyFile)
	case cfg.CertFile != "" || cfg.KeyFile != "":
		return nil, errors.New("a TLS certificate needs both --tls-cert and --tls-key")
	default:
		if cfg.Domain == "" {
			return nil, errors.New("a self-signed certificate needs a domain (--domain)")
		}
		dir := filepath.Join(cfg.DataDir, "tls")
		m.certFile, m.keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
		made, err := ensureSelfSigned(dir, cfg.Domain, log)
		if err != nil {
			return nil, err
		}
		if made {
			m.source = fmt.Sprintf("self-signed certificate for %s in %s (replace tls.crt and tls.key to serve your own)", cfg.Domain, dir)
		} else {
			m.source = fmt.Sprintf("certificate in %s (reloaded on change)", dir)
		}
	}
	certPEM, keyPEM, err := readPair(m.certFile, m.keyFile)
	if err != nil {
		return nil, err
	}
	c, err := parsePair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	m.cur.Store(c)
	m.loaded = [][]byte{certPEM, keyPEM}
	return m, nil
}

// Source describes where the certificate comes from.
func (m *Manager) Source() string { return m.source }

// GetCertificate serves the current certificate for every handshake, whatever the SNI name.
func (m *Manager) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return m.cur.Load(), nil
}

// Watch reloads the pair when either file changes, until ctx ends. A pair that does not load
// (half written, mismatched key) keeps the previous certificate, logged.
func (m *Manager) Watch(ctx context.Context, interval time.Duration) {
	watch.Files(ctx, interval, []string{m.certFile, m.keyFile}, m.loaded, func(contents [][]byte, err error) {
		if err != nil {
			m.log.Warn("the TLS files cannot be read; keeping the previous certificate", "err", err)
			return
		}
		c, err := parsePair(contents[0], contents[1])
		if err != nil {
			m.log.Warn("the TLS files hold no usable certificate; keeping the previous one", "err", err)
			return
		}
		m.cur.Store(c)
		m.log.Info("TLS certificate reloaded", "subject", c.Leaf.Subject.String(), "not_after", c.Leaf.NotAfter)
	})
}

// ServerTLSConfig is the HTTPS listener's posture: TLS 1.2 and 1.3 only; for 1.2, only the
// forward-secret AEAD suites of Mozilla's "intermediate" profile.
func ServerTLSConfig(getCert func(*tls.ClientHelloInfo) (*tls.Certificate, error)) *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: getCert,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
		NextProtos: []string{"h2", "http/1.1"},
	}
}

func readPair(certFile, keyFile string) (certPEM, keyPEM []byte, err error) {
	if certPEM, err = os.ReadFile(certFile); err != nil {
		return nil, nil, fmt.Errorf("loading the TLS certificate: %w", err)
	}
	if keyPEM, err = os.ReadFile(keyFile); err != nil {
		return nil, nil, fmt.Errorf("loading the TLS key: %w", err)
	}
	return certPEM, keyPEM, nil
}

// loadPair reads and parses a certificate and key.
func loadPair(certFile, keyFile string) (*tls.Certificate, error) {
	certPEM, keyPEM, err := readPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	return parsePair(certPEM, keyPEM)
}

func parsePair(certPEM, keyPEM []byte) (*tls.Certificate, error) {
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("loading the TLS certificate: %w", err)
	}
	if c.Leaf == nil {
		if c.Leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return nil, fmt.Errorf("parsing the TLS certificate: %w", err)
		}
	}
	return &c, nil
}

// generatedMarker records the fingerprint of the certificate the gateway made itself: only that
// one is ever replaced (for a new domain, or before it expires); a certificate put there by
// someone else is left alone.
const generatedMarker = ".generated-sha256"

// ensureSelfSigned makes sure dir holds a pair, making a self-signed one when there is none, or
// when the gateway's own is for another domain or expires within 30 days. made says whether the
// pair in use is the gateway's own.
func ensureSelfSigned(dir, domain string, log *slog.Logger) (made bool, err error) {
	certFile, keyFile, marker := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), filepath.Join(dir, generatedMarker)
	if c, err := loadPair(certFile, keyFile); err == nil {
		mark, _ := os.ReadFile(marker)
		own := strings.TrimSpace(string(mark)) == fingerprint(c.Leaf)
		if !own {
			return false, nil
		}
		if time.Until(c.Leaf.NotAfter) > renewBefore && c.Leaf.VerifyHostname(domain) == nil {
			return true, nil
		}
		log.Info("making a new self-signed certificate", "domain", domain, "reason", "the one made earlier is for another domain or expires soon")
	} else if _, statErr := os.Stat(certFile); statErr == nil {
		return false, fmt.Errorf("the TLS pair in %s does not load: %w", dir, err)
	}
	certPEM, keyPEM, err := SelfSigned(domain, time.Now(), SelfSignedValidity)
	if err != nil {
		return false, err
	}
	block, _ := pem.Decode(certPEM)
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, err
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		return false, err
	}
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		return false, err
	}
	return true, os.WriteFile(marker, []byte(fingerprint(leaf)+"\n"), 0o644)
}

func fingerprint(c *x509.Certificate) string {
	d := sha256.Sum256(c.Raw)
	return hex.EncodeToString(d[:])
}

// SelfSigned makes a self-signed server certificate for domain (a DNS name or an IP address):
// ECDSA P-256, subject CN = domain and O = Keptn, the domain as SAN, server-auth usage.
func SelfSigned(domain string, now time.Time, validity time.Duration) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: domain, Organization: []string{"Keptn"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	if ip := net.ParseIP(domain); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{domain}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}
