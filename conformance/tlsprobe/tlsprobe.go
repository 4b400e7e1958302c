// Package tlsprobe is a TLS probe that speaks only the first flight: it sends a ClientHello
// built by hand, offering any protocol version and any cipher suites (also those Go's crypto/tls
// cannot speak: DHE, CCM, CAMELLIA, ARIA, RSA key exchange, anonymous, NULL, export), and reads
// which the server picks from its ServerHello. So the TLS profile judges any gateway, not only what a Go client can see.
package tlsprobe

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"
)

// Protocol versions on the wire.
const (
	SSL30 uint16 = 0x0300
	TLS10 uint16 = 0x0301
	TLS11 uint16 = 0x0302
	TLS12 uint16 = 0x0303
)

// suite is a TLS cipher suite (IANA registry).
type suite struct {
	id   uint16
	name string
}

// suites are the TLS 1.2-and-older cipher suites the probe offers.
var suites = []suite{
	// ECDHE
	{0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}, {0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
	{0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"}, {0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
	{0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"}, {0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
	{0xc0ac, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"}, {0xc0ad, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"},
	{0xc0ae, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"}, {0xc0af, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8"},
	{0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"}, {0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"},
	{0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"}, {0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"},
	{0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"}, {0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
	{0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"}, {0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"},
	{0xc008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"}, {0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0xc007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"}, {0xc011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"},
	{0xc072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256"}, {0xc073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xc076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"}, {0xc077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384"},
	{0xc05c, "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256"}, {0xc060, "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256"},
	{0xc006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA"}, {0xc010, "TLS_ECDHE_RSA_WITH_NULL_SHA"},
	// DHE
	{0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"}, {0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"},
	{0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"}, {0xc09e, "TLS_DHE_RSA_WITH_AES_128_CCM"},
	{0xc09f, "TLS_DHE_RSA_WITH_AES_256_CCM"}, {0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"},
	{0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"}, {0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"},
	{0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"}, {0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"},
	{0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA"}, {0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA"},
	{0x009a, "TLS_DHE_RSA_WITH_SEED_CBC_SHA"}, {0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA"},
	{0x00a2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256"}, {0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA"},
	{0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA"}, {0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA"},
	// RSA key exchange (no forward secrecy)
	{0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256"}, {0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384"},
	{0xc09c, "TLS_RSA_WITH_AES_128_CCM"}, {0xc09d, "TLS_RSA_WITH_AES_256_CCM"},
	{0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"}, {0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"},
	{0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256"}, {0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256"},
	{0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"}, {0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"},
	{0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"}, {0x0096, "TLS_RSA_WITH_SEED_CBC_SHA"},
	{0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA"}, {0xc050, "TLS_RSA_WITH_ARIA_128_GCM_SHA256"},
	{0x0005, "TLS_RSA_WITH_RC4_128_SHA"}, {0x0004, "TLS_RSA_WITH_RC4_128_MD5"},
	{0x0009, "TLS_RSA_WITH_DES_CBC_SHA"}, {0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5"},
	{0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA"}, {0x0001, "TLS_RSA_WITH_NULL_MD5"},
	{0x0002, "TLS_RSA_WITH_NULL_SHA"}, {0x003b, "TLS_RSA_WITH_NULL_SHA256"},
	// static ECDH, and anonymous
	{0xc02d, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256"}, {0xc031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256"},
	{0xc004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA"}, {0xc00e, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA"},
	{0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA"}, {0x00a6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256"},
	{0x0018, "TLS_DH_anon_WITH_RC4_128_MD5"}, {0xc018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"},
}

// forwardSecretAEAD says whether a suite is what Mozilla's intermediate profile allows for TLS 1.2:
// ephemeral (EC)DH key exchange with an authenticated encryption cipher.
func forwardSecretAEAD(name string) bool {
	ephemeral := strings.HasPrefix(name, "TLS_ECDHE_") || strings.HasPrefix(name, "TLS_DHE_")
	aead := strings.Contains(name, "_GCM_") || strings.Contains(name, "CHACHA20_POLY1305") ||
		(strings.Contains(name, "_CCM") && !strings.Contains(name, "_CCM_8"))
	return ephemeral && aead && !strings.Contains(name, "_anon_")
}

func suiteName(id uint16) string {
	for _, s := range suites {
		if s.id == id {
			return s.name
		}
	}
	return fmt.Sprintf("0x%04x", id)
}

// VersionName is a protocol version as people write it (TLS 1.2).
func VersionName(v uint16) string {
	switch v {
	case SSL30:
		return "SSL 3.0"
	case TLS10:
		return "TLS 1.0"
	case TLS11:
		return "TLS 1.1"
	case TLS12:
		return "TLS 1.2"
	}
	return fmt.Sprintf("0x%04x", v)
}

// clientHello builds a TLS record with a ClientHello offering version and ids.
func clientHello(version uint16, ids []uint16, serverName string) []byte {
	body := binary.BigEndian.AppendUint16(nil, version)
	random := make([]byte, 32)
	_, _ = rand.Read(random)
	body = append(body, random...)
	body = append(body, 0) // no session id
	cs := binary.BigEndian.AppendUint16(nil, uint16(2*(len(ids)+1)))
	for _, id := range ids {
		cs = binary.BigEndian.AppendUint16(cs, id)
	}
	cs = binary.BigEndian.AppendUint16(cs, 0x00ff) // TLS_EMPTY_RENEGOTIATION_INFO_SCSV
	body = append(body, cs...)
	body = append(body, 1, 0) // compression: null only
	if version > SSL30 {
		var ext []byte
		add := func(typ uint16, data []byte) {
			ext = binary.BigEndian.AppendUint16(ext, typ)
			ext = binary.BigEndian.AppendUint16(ext, uint16(len(data)))
			ext = append(ext, data...)
		}
		if serverName != "" && net.ParseIP(serverName) == nil {
			name := []byte(serverName)
			sni := binary.BigEndian.AppendUint16(nil, uint16(len(name)+3))
			sni = append(sni, 0)
			sni = binary.BigEndian.AppendUint16(sni, uint16(len(name)))
			add(0x0000, append(sni, name...))
		}
		groups := []uint16{0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101}
		g := binary.BigEndian.AppendUint16(nil, uint16(2*len(groups)))
		for _, x := range groups {
			g = binary.BigEndian.AppendUint16(g, x)
		}
		add(0x000a, g)            // supported_groups
		add(0x000b, []byte{1, 0}) // ec_point_formats: uncompressed
		sigs := []uint16{0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201, 0x0402, 0x0202}
		sa := binary.BigEndian.AppendUint16(nil, uint16(2*len(sigs)))
		for _, x := range sigs {
			sa = binary.BigEndian.AppendUint16(sa, x)
		}
		add(0x000d, sa)        // signature_algorithms
		add(0x0017, nil)       // extended_master_secret
		add(0xff01, []byte{0}) // renegotiation_info
		body = append(body, binary.BigEndian.AppendUint16(nil, uint16(len(ext)))...)
		body = append(body, ext...)
	}
	hs := append([]byte{1, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
	recordVersion := min(version, TLS10)
	rec := []byte{0x16}
	rec = binary.BigEndian.AppendUint16(rec, recordVersion)
	rec = binary.BigEndian.AppendUint16(rec, uint16(len(hs)))
	return append(rec, hs...)
}

// errRefused says the server answered the hello with an alert or by closing the connection.
var errRefused = errors.New("refused")

// hello sends one ClientHello and returns the version and suite the server chose.
func hello(ctx context.Context, addr, serverName string, version uint16, ids []uint16) (uint16, uint16, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write(clientHello(version, ids, serverName)); err != nil {
		return 0, 0, errRefused
	}
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(conn, hdr); err != nil {
		return 0, 0, errRefused // closed without a word
	}
	if hdr[0] != 0x16 {
		return 0, 0, errRefused // an alert
	}
	n := int(binary.BigEndian.Uint16(hdr[3:5]))
	rec := make([]byte, n)
	if _, err := io.ReadFull(conn, rec); err != nil || n < 4+2+32+1 || rec[0] != 2 {
		return 0, 0, errRefused
	}
	msg := rec[4:]
	chosen := binary.BigEndian.Uint16(msg[0:2])
	sidLen := int(msg[34])
	if len(msg) < 35+sidLen+2 {
		return 0, 0, errRefused
	}
	return chosen, binary.BigEndian.Uint16(msg[35+sidLen : 37+sidLen]), nil
}

// AcceptsVersion reports whether the server takes a handshake at version (offering every suite),
// and with which suite.
func AcceptsVersion(ctx context.Context, addr, serverName string, version uint16) (bool, string, error) {
	ids := make([]uint16, len(suites))
	for i, s := range suites {
		ids[i] = s.id
	}
	got, id, err := hello(ctx, addr, serverName, version, ids)
	if errors.Is(err, errRefused) {
		return false, "", nil
	}
	if err != nil {
		return false, "", err
	}
	return got == version, suiteName(id), nil
}

// WeakSuites lists the TLS 1.2 suites a server takes that are not forward-secret AEAD: it offers
// every such suite, and again without each one the server picks, until the server refuses.
func WeakSuites(ctx context.Context, addr, serverName string) ([]string, error) {
	var offer []uint16
	for _, s := range suites {
		if !forwardSecretAEAD(s.name) {
			offer = append(offer, s.id)
		}
	}
	var taken []string
	for len(offer) > 0 {
		v, id, err := hello(ctx, addr, serverName, TLS12, offer)
		if errors.Is(err, errRefused) || (err == nil && v != TLS12) {
			return taken, nil
		}
		if err != nil {
			return taken, err
		}
		if !slices.Contains(offer, id) {
			return append(taken, fmt.Sprintf("%s (not offered!)", suiteName(id))), nil
		}
		taken = append(taken, suiteName(id))
		offer = slices.DeleteFunc(offer, func(x uint16) bool { return x == id })
	}
	return taken, nil
}
