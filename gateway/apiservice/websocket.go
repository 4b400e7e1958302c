package apiservice

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/httpx"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/ids"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/state"
)

// The log websocket the keptn CLI opens after every call that answers an event context
// (`ws(s)://ENDPOINT/api/websocket`, headers Token and Keptn-Ws-Channel-Id). The reference gateway
// has no log stream of Keptn's services to relay: it tells the CLI what it did and ends the stream.

// wsTokenTTL is how long an event context's websocket token is good for.
const wsTokenTTL = 10 * time.Minute

// wsGrant is what a websocket token grants: the stream of a context, and its message.
type wsGrant struct {
	KeptnContext string    `json:"keptnContext"`
	Message      string    `json:"message"`
	Expires      time.Time `json:"expires"`
}

// grant makes a token for a context and the message its stream will carry, kept in the state
// store (the CLI's websocket may reach another replica than the request that answered it).
func (s *Service) grant(ctx context.Context, keptnContext, message string) (string, error) {
	tok := ids.Token(24)
	expires := s.now().Add(wsTokenTTL)
	g := wsGrant{KeptnContext: keptnContext, Message: message, Expires: expires}
	if err := s.st.Put(ctx, state.Websocket, state.Key(tok), g, expires); err != nil {
		return "", err
	}
	return tok, nil
}

// take returns and forgets a token's grant; ok is false for an unknown, used or expired token.
func (s *Service) take(ctx context.Context, tok string) (g wsGrant, ok bool, err error) {
	if tok == "" || len(tok) > 128 {
		return g, false, nil
	}
	err = s.st.Take(ctx, state.Websocket, state.Key(tok), &g)
	if errors.Is(err, state.ErrNotFound) {
		return g, false, nil
	}
	if err != nil {
		return g, false, err
	}
	return g, s.now().Before(g.Expires), nil
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
	g, ok, err := s.take(r.Context(), r.Header.Get("Token"))
	if err != nil {
		s.fail(w, "reading the websocket token", err)
		return
	}
	if !ok || (r.Header.Get("Keptn-Ws-Channel-Id") != "" && r.Header.Get("Keptn-Ws-Channel-Id") != g.KeptnContext) {
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
	m.Data.Message, m.Data.Terminate, m.Data.Loglevel = g.Message, true, "INFO"
	_ = conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := conn.WriteJSON(m); err != nil {
		return
	}
	_ = conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
}
