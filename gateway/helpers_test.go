package gateway_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway"
)

// running is a gateway serving on loopback for one test.
type running struct {
	t      *testing.T
	cfg    gateway.Config
	g      *gateway.Gateway
	http   string // base URL
	https  string
	token  string
	stop   context.CancelFunc
	done   chan error
	client *http.Client
	logs   *logBuffer
}

// start runs a gateway with cfg (DataDir, addresses and logger filled in when empty).
func start(t *testing.T, cfg gateway.Config) *running {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.HTTPAddr == "" {
		cfg.HTTPAddr = "127.0.0.1:0"
	}
	if cfg.HTTPSAddr == "" && (cfg.Role == "" || cfg.Role == gateway.RoleAll || cfg.Role == gateway.RoleGateway) {
		cfg.HTTPSAddr = "127.0.0.1:0"
	}
	if cfg.ReloadInterval == 0 {
		cfg.ReloadInterval = 20 * time.Millisecond
	}
	logs := &logBuffer{}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewJSONHandler(logs, nil))
	}
	g, err := gateway.New(cfg)
	if err != nil {
		t.Fatalf("gateway.New: %v", err)
	}
	hl, sl, err := g.Listeners()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{t: t, cfg: cfg, g: g, stop: cancel, done: make(chan error, 1), logs: logs,
		http: "http://" + hl.Addr().String(),
		client: &http.Client{
			Transport:     &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Timeout:       10 * time.Second,
		},
	}
	if sl != nil {
		r.https = "https://" + sl.Addr().String()
	}
	go func() { r.done <- g.Serve(ctx, hl, sl) }()
	if cfg.Token != "" {
		r.token = cfg.Token
	} else if cfg.Role == "" || cfg.Role == gateway.RoleAll || cfg.Role == gateway.RoleAPIService {
		tf := cfg.TokenFile
		if tf == "" {
			tf = filepath.Join(cfg.DataDir, "keptn-api-token")
		}
		if fi, err := os.Stat(tf); err == nil && fi.IsDir() {
			tf = filepath.Join(tf, "keptn-api-token")
		}
		b, err := os.ReadFile(tf)
		if err != nil {
			t.Fatal(err)
		}
		r.token = strings.TrimSpace(string(b))
	}
	t.Cleanup(r.shutdown)
	return r
}

// logBuffer collects the gateway's log lines from many goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(b)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (r *running) shutdown() {
	if r.stop == nil {
		return
	}
	r.stop()
	if err := <-r.done; err != nil {
		r.t.Errorf("serve: %v", err)
	}
	if err := r.g.Close(); err != nil {
		r.t.Errorf("close: %v", err)
	}
	r.stop = nil
}

// restart stops the gateway and starts it again on the same data directory.
func (r *running) restart() *running {
	r.shutdown()
	cfg := r.cfg
	cfg.Log = nil
	return start(r.t, cfg)
}

type resp struct {
	status int
	header http.Header
	body   []byte
	closed bool // the server said Connection: close
}

func (p resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(p.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, p.body)
	}
	return m
}

// do sends a request to base+path with optional JSON body and headers ("k: v").
func (r *running) do(method, url string, body any, headers ...string) resp {
	r.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		r.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	res, err := r.client.Do(req)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: b, closed: res.Close}
}

// api sends an authenticated request to the HTTP listener.
func (r *running) api(method, path string, body any) resp {
	r.t.Helper()
	return r.do(method, r.http+path, body, "x-token: "+r.token)
}

func expect(t *testing.T, p resp, status int) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d; body: %s", p.status, status, p.body)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

const shipyard = `stages:
  - name: "dev"
    deployment_strategy: "direct"
  - name: "staging"
    deployment_strategy: "blue_green_service"
  - name: "production"
    deployment_strategy: "blue_green_service"
`

// freePort returns a loopback address nobody listens on (for the split topology's wiring).
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
