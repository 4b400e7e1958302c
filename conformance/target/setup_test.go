package target

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// keptnStandIn answers the preflight's requests as a gateway that takes the token "t".
func keptnStandIn() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-token") != "t" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"keptnversion":"0.7.3"}`))
	})
}

// An HTTPS endpoint whose certificate is not trusted stops the run up front, with one plain
// message naming the two ways out; the same endpoint with --insecure is used.
func TestPreflightNamesTheWayOutOfAnUntrustedCertificate(t *testing.T) {
	tlsSrv := httptest.NewUnstartedServer(keptnStandIn())
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the point
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	plain := httptest.NewServer(keptnStandIn())
	defer plain.Close()
	for _, c := range []struct {
		name string
		cfg  Config
	}{
		{"the endpoint itself is HTTPS", Config{Target: KindExternal, Endpoint: tlsSrv.URL, Token: "t"}},
		{"a second, HTTPS endpoint", Config{Target: KindExternal, Endpoint: plain.URL, HTTPSEndpoint: tlsSrv.URL, Token: "t"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, teardown, err := Setup(context.Background(), c.cfg)
			teardown()
			if err == nil {
				t.Fatal("an untrusted certificate passed the preflight")
			}
			msg := err.Error()
			t.Log(msg)
			for _, want := range []string{tlsSrv.URL, "--ca-file", "CA_FILE", "--insecure", "INSECURE", "certificate"} {
				if !strings.Contains(msg, want) {
					t.Errorf("the message does not name %q: %s", want, msg)
				}
			}
			if strings.ContainsAny(msg, "\x1b\n") {
				t.Errorf("the message is not one plain line: %q", msg)
			}
			insecure := c.cfg
			insecure.Insecure = true
			d, teardown, err := Setup(context.Background(), insecure)
			teardown()
			if err != nil {
				t.Fatalf("with --insecure: %v", err)
			}
			if d.Implementation.Version != "0.7.3" {
				t.Errorf("version %q, want the metadata's 0.7.3", d.Implementation.Version)
			}
		})
	}
}

// A wrong token is one plain message naming the flag.
func TestPreflightNamesAWrongToken(t *testing.T) {
	plain := httptest.NewServer(keptnStandIn())
	defer plain.Close()
	_, teardown, err := Setup(context.Background(), Config{Target: KindExternal, Endpoint: plain.URL, Token: "wrong"})
	teardown()
	if err == nil || !strings.Contains(err.Error(), "--token") || strings.ContainsAny(err.Error(), "\x1b\n") {
		t.Fatalf("a wrong token gave %v", err)
	}
}

// An HTTPS listener that accepts connections and never answers does not stop the run, nor make
// each TLS check wait out its timeout: the preflight marks the capability broken, once, naming
// the listener.
func TestPreflightMarksADeadHTTPSListenerBroken(t *testing.T) {
	httpsPatience = 200 * time.Millisecond
	defer func() { httpsPatience = 10 * time.Second }()
	dead, err := net.Listen("tcp", "127.0.0.1:0") // the kernel accepts; nothing ever answers
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	plain := httptest.NewServer(keptnStandIn())
	defer plain.Close()
	https := "https://" + dead.Addr().String()
	d, teardown, err := Setup(context.Background(), Config{Target: KindExternal, Endpoint: plain.URL, HTTPSEndpoint: https, Token: "t", Insecure: true})
	teardown()
	if err != nil {
		t.Fatalf("a dead HTTPS listener stopped the run: %v", err)
	}
	if msg := d.Broken[CapHTTPS]; !strings.Contains(msg, https) || strings.Contains(msg, "\n") {
		t.Errorf("the HTTPS capability is not marked broken in one line naming %s: %q", https, msg)
	}
}

// A gateway that answers, but not as a Keptn API gateway (404 on POST /api/v1/auth), ends the
// wait for readiness with that message, not after the whole set-up timeout.
func TestReadyEndsOnAWrongAnswer(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := Ready(ctx, &Description{Kind: KindEmbedded, HTTP: srv.URL, Token: "t"})
	if err == nil || !strings.Contains(err.Error(), "does not serve the Keptn API") {
		t.Fatalf("Ready gave %v", err)
	}
	if ctx.Err() != nil {
		t.Fatal("Ready waited out the set-up timeout")
	}
}
