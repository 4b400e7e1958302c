package echo

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// The report says what arrived, as it arrived: the raw request URI, the hop-by-hop fields (those
// Connection names too), the forwarding headers, the body's digest and length.
func TestReportIsWhatArrived(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := "a\r\nb\x00"
	_, _ = io.WriteString(conn, "PATCH /x/a%2Fb?q=%2F HTTP/1.1\r\nHost: keptn.example\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\n"+
		"Keep-Alive: timeout=5\r\nProxy-Authorization: Basic eA==\r\nX-Forwarded-For: 192.0.2.1\r\nX-Forwarded-Proto: https\r\n"+
		"Transfer-Encoding: chunked\r\n\r\n5\r\n"+body+"\r\n0\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rep Report
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	switch {
	case rep.Method != "PATCH" || rep.RequestURI != "/x/a%2Fb?q=%2F" || rep.Host != "keptn.example":
		t.Errorf("method, URI, host: %q %q %q", rep.Method, rep.RequestURI, rep.Host)
	case rep.Body.Length != int64(len(body)) || rep.Body.SHA256 != hex.EncodeToString(sum[:]):
		t.Errorf("body: %+v", rep.Body)
	case rep.HopByHop["X-Hop"] == nil || rep.HopByHop["Keep-Alive"] == nil || rep.HopByHop["Proxy-Authorization"] == nil || rep.HopByHop["Connection"] == nil:
		t.Errorf("hop-by-hop: %v", rep.HopByHop)
	case len(rep.TransferEncoding) != 1 || rep.TransferEncoding[0] != "chunked":
		t.Errorf("transfer encoding: %v", rep.TransferEncoding)
	case rep.XForwardedFor[0] != "192.0.2.1" || rep.XForwardedProto[0] != "https" || rep.Websocket:
		t.Errorf("forwarding: %v %v %v", rep.XForwardedFor, rep.XForwardedProto, rep.Websocket)
	}
}

// A websocket upgrade is completed, and the report sent as its first message.
func TestWebsocketUpgradeIsReported(t *testing.T) {
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/websocket?x=%2F", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var rep Report
	if err := c.ReadJSON(&rep); err != nil {
		t.Fatal(err)
	}
	if !rep.Websocket || rep.RequestURI != "/websocket?x=%2F" {
		t.Errorf("websocket %v, URI %q", rep.Websocket, rep.RequestURI)
	}
}
