// Package echo is the echo role of the reference gateway: a backend that answers, as JSON, what
// it received, for the suite's Upstream profile (as the Gateway API conformance suite has its echo
// backend). A gateway put in front of it in place of a Keptn service shows what it forwards: the
// method, the request URI exactly as it was on the wire, the Host and forwarding headers, the
// hop-by-hop headers that reached it, the body's SHA-256 and length, and whether a websocket
// upgrade arrived (then the handshake is completed and the report is sent as one text message).
package echo

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gorilla/websocket"
)

// Report is what the echo role answers: what it received.
type Report struct {
	Method string `json:"method"`
	// RequestURI is the request target as it was on the wire (no decoding, no normalization).
	RequestURI string `json:"requestURI"`
	Proto      string `json:"proto"`
	Host       string `json:"host"`
	RemoteAddr string `json:"remoteAddr"`
	// XForwarded holds X-Forwarded-For, -Proto and -Host as received (every field line).
	XForwardedFor   []string `json:"xForwardedFor"`
	XForwardedProto []string `json:"xForwardedProto"`
	XForwardedHost  []string `json:"xForwardedHost"`
	Forwarded       []string `json:"forwarded"`
	// HopByHop holds the hop-by-hop headers that arrived: Connection, Keep-Alive, TE, Upgrade,
	// Trailer, every Proxy-* header, and the fields Connection names.
	HopByHop map[string][]string `json:"hopByHop"`
	// TransferEncoding is the request's transfer coding as received (chunked, ...).
	TransferEncoding []string `json:"transferEncoding"`
	// Header is every header received (Go's canonical names), for what the fields above leave out.
	Header http.Header `json:"header"`
	Body   Body        `json:"body"`
	// Websocket says whether a websocket upgrade arrived (Upgrade: websocket with Connection:
	// upgrade).
	Websocket bool `json:"websocket"`
}

// Body is the received body's digest and length.
type Body struct {
	SHA256 string `json:"sha256"`
	Length int64  `json:"length"`
}

// hopByHop are the fields RFC 9110 §7.6.1 names (and RFC 7230's Trailer), besides Proxy-*.
var hopByHop = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Upgrade"}

// MaxBody is the most of a body the role reads (a larger one is refused with 413).
const MaxBody = 32 << 20

var errTooLarge = errors.New("the body is larger than the echo role reads")

// Handler is the echo role.
func Handler() http.Handler {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep, err := Describe(r)
		switch {
		case errors.Is(err, errTooLarge):
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			_, _ = w.Write([]byte(`{"code":413,"message":"the echo role reads at most 32 MiB"}`))
			return
		case err != nil:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"code":400,"message":"the body could not be read"}`))
			return
		}
		if rep.Websocket {
			c, err := up.Upgrade(w, r, nil)
			if err != nil {
				return // the upgrader answered the error
			}
			defer c.Close()
			_ = c.WriteJSON(rep)
			_ = c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
			return
		}
		b, _ := json.Marshal(rep)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(b)
	})
}

// Describe reads the request's body and says what arrived.
func Describe(r *http.Request) (Report, error) {
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return Report{}, err
	}
	if n > MaxBody {
		return Report{}, errTooLarge
	}
	rep := Report{
		Method: r.Method, RequestURI: r.RequestURI, Proto: r.Proto, Host: r.Host, RemoteAddr: r.RemoteAddr,
		XForwardedFor: r.Header.Values("X-Forwarded-For"), XForwardedProto: r.Header.Values("X-Forwarded-Proto"),
		XForwardedHost: r.Header.Values("X-Forwarded-Host"), Forwarded: r.Header.Values("Forwarded"),
		HopByHop: map[string][]string{}, TransferEncoding: r.TransferEncoding, Header: r.Header,
		Body:      Body{SHA256: hex.EncodeToString(h.Sum(nil)), Length: n},
		Websocket: tokenIn(r.Header, "Upgrade", "websocket") && tokenIn(r.Header, "Connection", "upgrade"),
	}
	names := append([]string(nil), hopByHop...)
	for _, v := range r.Header.Values("Connection") {
		for _, opt := range strings.Split(v, ",") {
			if opt = strings.TrimSpace(opt); opt != "" {
				names = append(names, http.CanonicalHeaderKey(opt))
			}
		}
	}
	for name := range r.Header {
		if strings.HasPrefix(name, "Proxy-") {
			names = append(names, name)
		}
	}
	for _, name := range names {
		if v := r.Header.Values(name); len(v) > 0 {
			rep.HopByHop[name] = v
		}
	}
	return rep, nil
}

// tokenIn says whether a comma-separated header holds the token (case-insensitively).
func tokenIn(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
