package gateway_test

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway"
)

// rawPost sends a request head and the start of a body on a new connection, and returns the
// connection for the test to read the answer from.
func rawPost(t *testing.T, base, path, framing, start string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	head := "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + framing + "\r\n\r\n"
	if _, err := io.WriteString(conn, head+start); err != nil {
		t.Fatal(err)
	}
	return conn
}

func TestOversizedBodiesAreRefusedUnread(t *testing.T) {
	g := start(t, gateway.Config{UsersFile: usersFile(t, "ada", "pw-123456")})
	for _, c := range []struct{ path, length string }{
		{"/api/auth", strconv.Itoa(gateway.LoginBodyLimit + 1)},
		{"/api/v1/auth", "1000000"},
		{"/api/v1/event", strconv.Itoa(gateway.BodyLimit + 1)},
		{"/api/configuration-service/v1/project/p/resource", strconv.Itoa(gateway.ResourceBodyLimit + 1)},
	} {
		// Only the headers are sent: the answer must not wait for the body.
		conn := rawPost(t, g.http, c.path, "Content-Length: "+c.length+"\r\nX-Token: "+g.token, "")
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), `"code":413`) || !res.Close {
			t.Errorf("%s with Content-Length %s: %d %s (close %v), want a JSON 413 and the connection closed", c.path, c.length, res.StatusCode, b, res.Close)
		}
	}
	// A chunked login is cut at the limit.
	body := `{"username":"ada","password":"` + strings.Repeat("x", gateway.LoginBodyLimit) + `"}`
	req, _ := http.NewRequest("POST", g.http+"/api/auth", io.MultiReader(strings.NewReader(body))) // no length: chunked
	req.Header.Set("Content-Type", "application/json")
	res, err := g.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a chunked login of %d bytes: %d, want 413", len(body), res.StatusCode)
	}
	// Within the limits, nothing changes.
	expect(t, g.do("POST", g.http+"/api/auth", map[string]string{"username": "ada", "password": "pw-123456"}), http.StatusOK)
}

func TestStalledBodiesAndIdleConnectionsAreClosed(t *testing.T) {
	g := start(t, gateway.Config{Timeouts: gateway.Timeouts{BodyStall: 200 * time.Millisecond, Idle: 300 * time.Millisecond}})
	conn := rawPost(t, g.http, "/api/v1/event", "Content-Length: 1000\r\nX-Token: "+g.token, `{"type":"x`)
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("a stalled body got no answer before the connection ended: %v", err)
	}
	if res.StatusCode != http.StatusRequestTimeout {
		t.Errorf("a stalled body: status %d, want 408", res.StatusCode)
	}
	if _, err := io.Copy(io.Discard, conn); err != nil {
		t.Errorf("the connection of a stalled body was not closed: %v", err)
	}
	// Without a token the body is never read: the connection is closed all the same.
	conn = rawPost(t, g.http, "/api/v1/event", "Content-Length: 1000", `{"type":"x`)
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.Copy(io.Discard, conn); err != nil {
		t.Errorf("the connection of a stalled body without a token was not closed: %v", err)
	}

	idle, err := net.Dial("tcp", strings.TrimPrefix(g.http, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	_, _ = io.WriteString(idle, "GET /nginx-health HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(idle)
	if res, err := http.ReadResponse(br, nil); err != nil || res.StatusCode != 200 {
		t.Fatalf("health: %v", err)
	} else {
		_, _ = io.Copy(io.Discard, res.Body)
	}
	_ = idle.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("an idle keep-alive connection: %v, want it closed by the gateway", err)
	}
}

func TestWrongPasswordsAreThrottled(t *testing.T) {
	g := start(t, gateway.Config{UsersFile: usersFile(t, "ada", "pw-123456")})
	login := func(user, pw string) resp {
		return g.do("POST", g.http+"/api/auth", map[string]string{"username": user, "password": pw})
	}
	// Right passwords are never counted.
	for range 8 {
		expect(t, login("ada", "pw-123456"), http.StatusOK)
	}
	var got []int
	for range 6 {
		got = append(got, login("ada", "wrong").status)
	}
	if fmt.Sprint(got) != "[401 401 401 401 401 429]" {
		t.Fatalf("six wrong passwords: %v, want the 6th refused with 429", got)
	}
	p := login("ada", "pw-123456")
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") != "2" || !strings.Contains(string(p.body), `"code":429`) {
		t.Fatalf("the right password while throttled: %d %v %s, want a JSON 429 with Retry-After: 2", p.status, p.header.Values("Retry-After"), p.body)
	}
	// An unknown user is throttled alike (the answers tell no one apart).
	got = got[:0]
	for range 6 {
		got = append(got, login("nobody", "wrong").status)
	}
	if fmt.Sprint(got) != "[401 401 401 401 401 429]" {
		t.Errorf("six wrong passwords for an unknown user: %v", got)
	}
	// Once Retry-After has passed, the user is let in.
	deadline := time.Now().Add(10 * time.Second)
	for login("ada", "pw-123456").status != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("the user was still locked out 10s after a Retry-After of 2s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestSecurityHeaders(t *testing.T) {
	g := start(t, gateway.Config{})
	for _, c := range []struct {
		path, token string
		noStore     bool
	}{
		{"/api/v1/metadata", g.token, true},
		{"/api/v1/metadata", "", true},
		{"/api/configuration-service/v1/project", g.token, true},
		{"/api/swagger-ui/", "", false},
		{"/bridge/", "", false},
	} {
		p := g.do("GET", g.http+c.path, nil, "x-token: "+c.token)
		h := p.header
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" || h.Get("Content-Security-Policy") != "frame-ancestors 'none'" {
			t.Errorf("GET %s: %v", c.path, h)
		}
		if got := h.Get("Cache-Control") == "no-store"; got != c.noStore {
			t.Errorf("GET %s: Cache-Control %q", c.path, h.Get("Cache-Control"))
		}
	}
	if h := g.do("GET", g.https+"/api/v1/metadata", nil, "x-token: "+g.token).header; h.Get("Strict-Transport-Security") == "" || h.Get("Cache-Control") != "no-store" {
		t.Errorf("HTTPS: %v", h)
	}
}

var figures = flag.Bool("hardening-figures", false, "measure the gateway's hardening figures (by hand: go test ./gateway/ -run TestHardeningFigures -v -args -hardening-figures)")

// TestHardeningFigures measures, on a gateway process of its own: its memory under 16 concurrent
// 40 MB logins, how long a stalled body and an idle connection stay open (defaults), and what the
// 6th wrong password gets. It prints figures; it asserts nothing about time.
func TestHardeningFigures(t *testing.T) {
	if !*figures {
		t.Skip("by hand: -args -hardening-figures")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "keptn-gateway")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/keptn-gateway").CombinedOutput(); err != nil {
		t.Fatalf("building: %v\n%s", err, out)
	}
	addr := freePort(t)
	cmd := exec.Command(bin, "serve", "--data-dir", filepath.Join(dir, "data"), "--http", addr, "--https", "",
		"--users-file", usersFile(t, "ada", "pw-123456"), "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	base := "http://" + addr
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if res, err := http.Get(base + "/nginx-health"); err == nil {
			res.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the gateway did not start")
		}
	}
	status := func(key string) int {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, key+":") {
				kb, _ := strconv.Atoi(strings.Fields(l)[1])
				return kb / 1024
			}
		}
		return -1
	}
	t.Logf("RSS at rest: %d MB", status("VmRSS"))
	const size = 40 << 20
	for _, chunked := range []bool{false, true} {
		var wg sync.WaitGroup
		codes := make([]string, 16)
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := io.MultiReader(strings.NewReader(`{"username":"ada","password":"`), io.LimitReader(zeros{}, size), strings.NewReader(`"}`))
				req, _ := http.NewRequest("POST", base+"/api/auth", body)
				if !chunked {
					req.ContentLength = size + 34
				}
				req.Header.Set("Content-Type", "application/json")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					codes[i] = "error"
					return
				}
				res.Body.Close()
				codes[i] = strconv.Itoa(res.StatusCode)
			}()
		}
		wg.Wait()
		t.Logf("16 concurrent 40 MB logins (chunked %v): answers %v; RSS now %d MB, peak %d MB", chunked, codes, status("VmRSS"), status("VmHWM"))
	}

	token, err := os.ReadFile(filepath.Join(dir, "data", "keptn-api-token"))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"", "\r\nX-Token: " + strings.TrimSpace(string(token))} {
		started := time.Now()
		conn := rawPost(t, base, "/api/v1/event", "Content-Length: 1000"+h, `{"type":"x`)
		_, _ = io.Copy(io.Discard, conn)
		t.Logf("stalled body (1000 bytes declared, 10 sent, token %v): connection closed after %.1f s", h != "", time.Since(started).Seconds())
	}

	idle, _ := net.Dial("tcp", addr)
	_, _ = io.WriteString(idle, "GET /nginx-health HTTP/1.1\r\nHost: x\r\n\r\n")
	started := time.Now()
	_, _ = io.Copy(io.Discard, idle)
	t.Logf("idle keep-alive connection closed after %.1f s", time.Since(started).Seconds())

	// Metadata latency, alone and under a 16-way flood of right-password logins.
	metadata := func(n int) time.Duration {
		var d []time.Duration
		for range n {
			req, _ := http.NewRequest("GET", base+"/api/v1/metadata", nil)
			req.Header.Set("x-token", strings.TrimSpace(string(token)))
			t0 := time.Now()
			if res, err := http.DefaultClient.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
			d = append(d, time.Since(t0))
			time.Sleep(20 * time.Millisecond) // spread over the flood
		}
		slices.Sort(d)
		return d[len(d)/2]
	}
	metadata(10) // warm
	quiet := metadata(50)
	stop := make(chan struct{})
	var flood sync.WaitGroup
	var logins, refused atomic.Int64 // refused: 503, waited more than 5 s for a bcrypt slot
	for range 16 {
		flood.Add(1)
		go func() {
			defer flood.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				res, err := http.Post(base+"/api/auth", "application/json", strings.NewReader(`{"username":"ada","password":"pw-123456"}`))
				if err == nil {
					res.Body.Close()
					logins.Add(1)
					if res.StatusCode != http.StatusOK {
						refused.Add(1)
					}
				}
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	busy := metadata(50)
	close(stop)
	flood.Wait()
	t.Logf("metadata median latency: %.1f ms alone, %.1f ms under a 16-way login flood (%d logins, %d refused)",
		float64(quiet.Microseconds())/1000, float64(busy.Microseconds())/1000, logins.Load(), refused.Load())

	var got []string
	for range 6 {
		res, err := http.Post(base+"/api/auth", "application/json", strings.NewReader(`{"username":"ada","password":"wrong"}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		got = append(got, res.Status+" "+res.Header.Get("Retry-After"))
	}
	t.Logf("6 wrong passwords in a row: %q", got)
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}
