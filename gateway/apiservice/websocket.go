package apiservice

import (
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/httpx"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/ids"
)

// The log websocket the keptn CLI opens after every call that answers an event context
// (`ws(s)://ENDPOINT/api/websocket`, headers Token and Keptn-Ws-Channel-Id). The reference gateway
// has no log stream of Keptn's services to relay: it tells the CLI what it did and ends the stream.

// wsTokenTTL is how long an event context's websocket token is good for.
const wsTokenTTL = 10 * time.Minute

// wsTokens are the websocket tokens handed out with event contexts.
type wsTokens struct {
	mu     sync.Mutex
	tokens map[string]wsGrant
}

type wsGrant struct {
	keptnContext, message string
	expires               time.Time
}

// grant makes a token for a context and the message its stream will carry.
func (t *wsTokens) grant(keptnContext, message string, now time.Time) string {
	tok := ids.Token(24)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tokens == nil {
		t.tokens = map[string]wsGrant{}
	}
	for k, g := range t.tokens {
		if now.After(g.expires) {
			delete(t.tokens, k)
		}
	}
	t.tokens[tok] = wsGrant{keptnContext: keptnContext, message: message, expires: now.Add(wsTokenTTL)}
	return tok
}

// take returns and forgets a token's grant.
func (t *wsTokens) take(tok string, now time.Time) (wsGrant, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	g, ok := t.tokens[tok]
	delete(t.tokens, tok)
	return g, ok && now.Before(g.expires)
}

// logMessage is a frame of the log stream as the CLI reads it.
type logMessage struct {
	Type string `json:"type"`
	Data struct {
		Message   string `json:"message"`
		Terminate bool   `json:"terminate"`
		Loglevel  string `json:"loglevel"`
	} `json:"data"`
}

var upgrader = websocket.Upgrader{HandshakeTimeout: 10 * time.Second}

// websocket upgrades a request that carries a token from an event context, sends the stream's
// one, terminating, message, and closes. A request without a valid token gets 401.
func (s *Service) websocket(w http.ResponseWriter, r *http.Request) {
	g, ok := s.ws.take(r.Header.Get("Token"), s.now())
	if !ok || (r.Header.Get("Keptn-Ws-Channel-Id") != "" && r.Header.Get("Keptn-Ws-Channel-Id") != g.keptnContext) {
		httpx.WriteError(w, http.StatusUnauthorized, "missing or invalid websocket token")
		return
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	defer conn.Close()
	var m logMessage
	m.Type = "sh.keptn.events.log"
	m.Data.Message, m.Data.Terminate, m.Data.Loglevel = g.message, true, "INFO"
	_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := conn.WriteJSON(m); err != nil {
		return
	}
	_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
}
