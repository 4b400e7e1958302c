package target

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway/echo"
	"github.com/keptn-conformance/keptn-conformance/gateway/edge"
)

// CapEcho is the capability of the Upstream profile: an echo backend behind the gateway.
const CapEcho = "echo backend"

// EchoSpec says where the gateway forwards to an echo backend (the reference gateway's echo role,
// keptn-gateway serve --role echo) standing in for one of the Keptn services.
type EchoSpec struct {
	// Prefix is the public path the gateway routes to the echo backend (/api/echo on the
	// reference gateway; /api/v1 when the echo role stands in for api-service, ...).
	Prefix string `json:"prefix"`
	// UpstreamPrefix is what the backend receives in the prefix's place ("": the prefix is
	// stripped; /v1 for api-service's route).
	UpstreamPrefix string `json:"upstreamPrefix,omitempty"`
	// Websocket is the public path where the gateway forwards websocket upgrades to the echo
	// backend (/api/websocket for api-service's route, the only one upstream upgrades; "": none,
	// and the websocket check is skipped).
	Websocket string `json:"websocket,omitempty"`
}

// echoSpec is the external target's echo backend from its flags (nil, with the reason, without).
func echoSpec(cfg Config) (*EchoSpec, string, error) {
	if cfg.EchoPrefix == "" {
		return nil, "no echo backend behind the gateway (--echo-prefix, with keptn-gateway serve --role echo in place of a backend)", nil
	}
	for _, p := range []string{cfg.EchoPrefix, cfg.EchoUpstreamPrefix, cfg.EchoWebsocket} {
		if p != "" && !strings.HasPrefix(p, "/") {
			return nil, "", errors.New("--echo-prefix, --echo-upstream-prefix and --echo-websocket are paths starting with /")
		}
	}
	return &EchoSpec{Prefix: strings.TrimRight(cfg.EchoPrefix, "/"), UpstreamPrefix: strings.TrimRight(cfg.EchoUpstreamPrefix, "/"), Websocket: cfg.EchoWebsocket}, "", nil
}

// startEcho serves the echo role on a loopback port for the embedded gateway: its base URL, the
// spec of the route the gateway gives it, and its stop.
func startEcho() (string, *EchoSpec, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, nil, err
	}
	srv := &http.Server{Handler: echo.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	return "http://" + l.Addr().String(), &EchoSpec{Prefix: edge.EchoPrefix, Websocket: edge.EchoPrefix + "/websocket"}, func() { srv.Close() }, nil
}
