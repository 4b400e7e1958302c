package selftest

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/conformance/profiles"
	"github.com/keptn-conformance/keptn-conformance/gateway/echo"
	"github.com/keptn-conformance/keptn-conformance/gateway/edge"
)

// startEchoBackend serves the echo role on a loopback port for a harness: its base URL and stop.
func startEchoBackend() (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: echo.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	return "http://" + l.Addr().String(), func() { srv.Close() }, nil
}

// echoRoute is a fault of the gateway's route to the echo backend: in front of the gateway, the
// requests under edge.EchoPrefix go through a proxy of the fault's own, which does what the
// reference's does (prefix stripped, X-Forwarded-For and -Proto set by the gateway, hop-by-hop
// headers removed) but for the defect: change edits the outbound request.
func echoRoute(change func(pr *httputil.ProxyRequest)) func(next http.Handler, h *Harness) http.Handler {
	return func(next http.Handler, h *Harness) http.Handler {
		base, _ := url.Parse(h.EchoURL)
		p := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(base)
			pr.Out.URL.Path = strings.TrimPrefix(pr.Out.URL.Path, edge.EchoPrefix)
			pr.Out.URL.RawPath = strings.TrimPrefix(pr.Out.URL.RawPath, edge.EchoPrefix)
			scheme := "http"
			if pr.In.TLS != nil {
				scheme = "https"
			}
			pr.Out.Header.Set("X-Forwarded-Proto", scheme)
			if host, _, err := net.SplitHostPort(pr.In.RemoteAddr); err == nil {
				pr.Out.Header.Set("X-Forwarded-For", host)
			}
			change(pr)
		}}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == edge.EchoPrefix || strings.HasPrefix(r.URL.Path, edge.EchoPrefix+"/") {
				p.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// echoFaults break the Upstream profile: what the gateway forwards to a backend.
func echoFaults() []Fault {
	return []Fault{
		{Name: "a %2F decoded on the way to the backend (upstream 0.7.3's rewrite ... break)", Check: profiles.CheckEchoPath, Labels: "Profile:Upstream && Feature:EchoPath",
			Wrap: echoRoute(func(pr *httputil.ProxyRequest) { pr.Out.URL.RawPath = "" })},
		{Name: "the body altered on the way to the backend (CRLF turned into LF)", Check: profiles.CheckEchoMethodBody, Labels: "Profile:Upstream && Feature:EchoBody",
			Wrap: echoRoute(func(pr *httputil.ProxyRequest) {
				if pr.Out.Body == nil || pr.Out.Body == http.NoBody {
					return
				}
				b, _ := io.ReadAll(pr.Out.Body)
				b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
				pr.Out.Body, pr.Out.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
			})},
		{Name: "PATCH forwarded to the backend as POST", Check: profiles.CheckEchoMethodBody, Labels: "Profile:Upstream && Feature:EchoBody",
			Wrap: echoRoute(func(pr *httputil.ProxyRequest) {
				if pr.Out.Method == http.MethodPatch {
					pr.Out.Method = http.MethodPost
				}
			})},
		{Name: "a header the client's Connection names forwarded to the backend", Check: profiles.CheckEchoHopByHop, Labels: "Profile:Upstream && Feature:EchoHopByHop",
			Level: grade.Should,
			Wrap: echoRoute(func(pr *httputil.ProxyRequest) {
				for _, v := range pr.In.Header.Values("Connection") {
					for _, opt := range strings.Split(v, ",") {
						if opt = strings.TrimSpace(opt); opt != "" && !strings.EqualFold(opt, "close") {
							pr.Out.Header[http.CanonicalHeaderKey(opt)] = pr.In.Header.Values(opt)
						}
					}
				}
			})},
		{Name: "Keep-Alive, Proxy-Connection, TE, Upgrade and Proxy-Authorization forwarded to the backend as sent", Check: profiles.CheckEchoHopKnown, Labels: "Profile:Upstream && Feature:EchoHopByHop",
			Level: grade.Should,
			Wrap: echoRoute(func(pr *httputil.ProxyRequest) {
				if pr.In.Header.Get("Upgrade") == "websocket" {
					return
				}
				for _, k := range []string{"Keep-Alive", "Proxy-Connection", "Te", "Upgrade", "Proxy-Authorization"} {
					if v := pr.In.Header.Values(k); len(v) > 0 {
						pr.Out.Header[k] = v
					}
				}
			})},
		{Name: "a client's X-Forwarded-For passed to the backend as it came (spoofed, as the client's address)", Check: profiles.CheckEchoForwardedFor, Labels: "Profile:Upstream && Feature:EchoForwarded",
			Level: grade.Should,
			Wrap: echoRoute(func(pr *httputil.ProxyRequest) {
				if v := pr.In.Header.Values("X-Forwarded-For"); len(v) > 0 {
					pr.Out.Header["X-Forwarded-For"] = v
				}
			})},
		{Name: "a client's X-Forwarded-Proto passed to the backend as it came", Check: profiles.CheckEchoForwardProto, Labels: "Profile:Upstream && Feature:EchoForwarded",
			Level: grade.Should,
			Wrap: echoRoute(func(pr *httputil.ProxyRequest) {
				if v := pr.In.Header.Values("X-Forwarded-Proto"); len(v) > 0 {
					pr.Out.Header["X-Forwarded-Proto"] = v
				}
			})},
		{Name: "a websocket upgrade not carried through to the backend (Upgrade dropped)", Check: profiles.CheckEchoWebsocket, Labels: "Profile:Upstream && Feature:EchoWebsocket",
			Wrap: echoRoute(func(pr *httputil.ProxyRequest) {
				pr.Out.Header.Del("Upgrade")
				pr.Out.Header.Del("Connection")
			})},
	}
}

// echoPermitted is a route to the echo backend that does what upstream permits and the
// reference does otherwise, as nginx's common configuration does: the client's X-Forwarded-For
// kept with the address the gateway saw appended, its own Connection: close, the client's Host
// kept, TE: trailers of its own. Every check of the Upstream profile must pass it.
var echoPermitted = Fault{Name: "an nginx-like route to the echo backend (X-Forwarded-For appended, own Connection, Host kept)",
	Wrap: echoRoute(func(pr *httputil.ProxyRequest) {
		if v := pr.In.Header.Values("X-Forwarded-For"); len(v) > 0 {
			pr.Out.Header.Set("X-Forwarded-For", strings.Join(v, ", ")+", "+pr.Out.Header.Get("X-Forwarded-For"))
		}
		if pr.In.Header.Get("Upgrade") == "" {
			pr.Out.Header.Set("Connection", "close")
			pr.Out.Header.Set("Te", "trailers")
		}
		pr.Out.Host = pr.In.Host
	})}
