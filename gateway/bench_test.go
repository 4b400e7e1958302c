package gateway_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keptn-conformance/keptn-conformance/gateway"
)

// The gateway's cost per request, through its whole handler (edge, auth, role, store), in process:
//
//	go test -run '^$' -bench . -benchmem ./gateway/

type benchGateway struct {
	h     http.Handler
	token string
}

func newBench(b *testing.B) *benchGateway {
	b.Helper()
	dir := b.TempDir()
	g, err := gateway.New(gateway.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { g.Close() })
	tok, err := os.ReadFile(filepath.Join(dir, "keptn-api-token"))
	if err != nil {
		b.Fatal(err)
	}
	return &benchGateway{h: g.Handler(), token: strings.TrimSpace(string(tok))}
}

func (bg *benchGateway) do(b *testing.B, method, path string, body any) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("x-token", bg.token)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	bg.h.ServeHTTP(rec, req)
	if rec.Code >= 300 {
		b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
	return rec
}

func BenchmarkAuthenticatedMetadata(b *testing.B) {
	bg := newBench(b)
	for b.Loop() {
		bg.do(b, "GET", "/api/v1/metadata", nil)
	}
}

func BenchmarkGetProject(b *testing.B) {
	bg := newBench(b)
	bg.do(b, "POST", "/api/v1/project", map[string]string{"name": "bench", "shipyard": b64(shipyard)})
	bg.do(b, "POST", "/api/v1/project/bench/service", map[string]string{"serviceName": "carts"})
	for b.Loop() {
		bg.do(b, "GET", "/api/configuration-service/v1/project/bench", nil)
	}
}

func BenchmarkSendEvent(b *testing.B) {
	bg := newBench(b)
	ev := map[string]any{"type": "sh.keptn.event.bench", "source": "bench", "data": map[string]any{"project": "p"}}
	for b.Loop() {
		bg.do(b, "POST", "/api/v1/event", ev)
	}
}

// Event queries by context and by project go through indexes; 10 contexts share a project, so a
// project query matches 10 times as many events.
func BenchmarkEventQuery(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("%d events", n), func(b *testing.B) {
			bg := newBench(b)
			for i := range n {
				bg.do(b, "POST", "/api/mongodb-datastore/event", map[string]any{
					"type": "sh.keptn.event.bench", "source": "bench", "shkeptncontext": fmt.Sprintf("00000000-0000-4000-8000-%012d", i%100),
					"data": map[string]any{"project": fmt.Sprintf("p%d", i%10)},
				})
			}
			b.Run("by context", func(b *testing.B) {
				for b.Loop() {
					bg.do(b, "GET", "/api/mongodb-datastore/event?keptnContext=00000000-0000-4000-8000-000000000007&pageSize=20", nil)
				}
			})
			b.Run("by project", func(b *testing.B) {
				for b.Loop() {
					bg.do(b, "GET", "/api/mongodb-datastore/event?project=p7&pageSize=20", nil)
				}
			})
		})
	}
}
