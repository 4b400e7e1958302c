// Package pki makes the certificates the suite needs: a CA with a server certificate (the TLS
// profile's custom certificate), and a self-signed server certificate (what an installer makes,
// as Keptn's did at install).
package pki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"time"
)

// Pair is a server certificate (PEM, with its CA after it when it has one) and its key (PEM).
type Pair struct {
	CertPEM, KeyPEM []byte
	// CAPEM is the certificate to trust: the CA, or the certificate itself when self-signed.
	CAPEM []byte
	Leaf  *x509.Certificate
	Roots *x509.CertPool
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n
}

func serverTemplate(domain string, validity time.Duration) *x509.Certificate {
	now := time.Now()
	t := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: domain, Organization: []string{"Keptn"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(validity),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if ip := net.ParseIP(domain); ip != nil {
		t.IPAddresses = []net.IP{ip}
	} else {
		t.DNSNames = []string{domain}
	}
	return t
}

func encode(der []byte, key *ecdsa.PrivateKey) (certPEM, keyPEM []byte, err error) {
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// SelfSigned makes a self-signed server certificate for domain: ECDSA P-256, CN = domain,
// O = Keptn, the domain as SAN, server authentication.
func SelfSigned(domain string, validity time.Duration) (*Pair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := serverTemplate(domain, validity)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	p := &Pair{Roots: x509.NewCertPool()}
	if p.CertPEM, p.KeyPEM, err = encode(der, key); err != nil {
		return nil, err
	}
	p.Leaf, _ = x509.ParseCertificate(der)
	p.CAPEM = p.CertPEM
	p.Roots.AddCert(p.Leaf)
	return p, nil
}

// WithCA makes a CA and a server certificate for domain signed by it (ECDSA P-256, 90 days).
func WithCA(domain string) (*Pair, error) { return withCA(serverTemplate(domain, 90*24*time.Hour)) }

// Renewal makes a CA and a server certificate signed by it with the subject and the names of leaf:
// what an operator renewing a gateway's certificate puts in place (the same names, a new key, a
// new serial). Leaf without a name gets domain.
func Renewal(leaf *x509.Certificate, domain string) (*Pair, error) {
	t := serverTemplate(domain, 90*24*time.Hour)
	if len(leaf.DNSNames) > 0 || len(leaf.IPAddresses) > 0 {
		t.Subject, t.DNSNames, t.IPAddresses = leaf.Subject, leaf.DNSNames, leaf.IPAddresses
	}
	return withCA(t)
}

// withCA makes a CA and the server certificate of tmpl signed by it (ECDSA P-256).
func withCA(tmpl *x509.Certificate) (*Pair, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "keptn-conformance test CA", Organization: []string{"keptn-conformance"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(90 * 24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	p := &Pair{Roots: x509.NewCertPool()}
	var leafPEM []byte
	if leafPEM, p.KeyPEM, err = encode(der, key); err != nil {
		return nil, err
	}
	p.CAPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	p.CertPEM = append(leafPEM, p.CAPEM...)
	p.Leaf, _ = x509.ParseCertificate(der)
	p.Roots.AddCert(ca)
	return p, nil
}
