package httpx

import (
	"context"
	"errors"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"
)

// blackhole is a loopback address whose kernel drops every SYN, as a vanished pod's address
// does: a listener with a full accept queue (backlog 0, one connection queued, never accepted).
func blackhole(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := (&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: sa.(*syscall.SockaddrInet4).Port}).String()
	filler, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { filler.Close() })
	return addr
}

// An upstream that never answers the connection attempt is given up after ConnectTimeout and
// tried anew, until the patience runs out: the caller gets the dial's timeout, never a request
// stuck until its own deadline.
func TestRetryingGivesUpUnansweredConnects(t *testing.T) {
	addr := blackhole(t)
	patience := 3 * ConnectTimeout
	ctx, cancel := context.WithTimeout(context.Background(), patience+15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/v1/auth", http.NoBody)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := Retrying{Patience: patience}.RoundTrip(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("a blackholed upstream answered %d", resp.StatusCode)
	}
	var op *net.OpError
	if !errors.As(err, &op) || op.Op != "dial" || !op.Timeout() {
		t.Fatalf("want the dial's timeout, got %v", err)
	}
	if ctx.Err() != nil {
		t.Fatalf("the request waited for its own deadline: the connection attempts were not bounded (%v)", err)
	}
}

// A role that refuses connections while it restarts is reached once it listens again.
func TestRetryingWaitsForARestartingRole(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // stopped: connections are refused
	up := make(chan net.Listener, 1)
	go func() {
		time.Sleep(300 * time.Millisecond)
		l, err := net.Listen("tcp", addr)
		if err != nil {
			close(up)
			return
		}
		up <- l
		_ = http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	}()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/healthz", http.NoBody)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := Retrying{Patience: 20 * time.Second}.RoundTrip(req)
	if l, ok := <-up; ok {
		defer l.Close()
	} else {
		t.Skip("the port was taken in between")
	}
	if err != nil {
		t.Fatalf("the restarted role was not reached: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("status %d", resp.StatusCode)
	}
}
