package profiles

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
)

// CheckKeptnCLI is the check of what the keptn CLI 0.7.x relies on beyond the OpenAPI contract.
const CheckKeptnCLI = "keptn-cli"

// CLIChecks are the KeptnCLI profile (extended): what the keptn CLI 0.7.x relies on that the
// specs do not say, from the facts of its requests and of the upstream gateway. A gateway can
// conform without them; the report says whether the CLI will be at home.
func CLIChecks() []cases.Check {
	return []cases.Check{
		{Title: "accept POST /api/v1/auth with an empty JSON body, as `keptn auth` sends it", Grade: cli("keptn auth: POST /api/v1/auth with an empty body"), Run: func(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
			var res cases.Result
			h := http.Header{"X-Token": {e.Target.Token()}, "Content-Type": {"application/json"}}
			ex, err := e.Target.Client(base).Do(ctx, contract.Request{Method: "POST", Path: "/api/v1/auth", Header: h, Body: []byte{}})
			if err != nil {
				return res, err
			}
			res.Exchanges = append(res.Exchanges, ex)
			if ex.Status() != http.StatusOK {
				res.Problems = append(res.Problems, cases.Problem(CheckKeptnCLI, "POST /api/v1/auth with the token and an empty body answered %d, want 200", ex.Status()))
			}
			return res, nil
		}},
		{Title: "serve the project list with a trailing slash, as `keptn get projects` asks for it", Grade: cli("keptn get projects: GET /api/configuration-service/v1/project/ (trailing slash)"), Run: func(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
			var res cases.Result
			h := http.Header{"X-Token": {e.Target.Token()}, "Content-Type": {"application/json"}}
			ex, err := e.Target.Client(base).Do(ctx, contract.Request{Method: "GET", Path: "/api/configuration-service/v1/project/", Header: h})
			if err != nil {
				return res, err
			}
			res.Exchanges = append(res.Exchanges, ex)
			var page struct {
				Projects    []any  `json:"projects"`
				NextPageKey string `json:"nextPageKey"`
			}
			if ex.Status() != http.StatusOK || json.Unmarshal(ex.RespBody, &page) != nil || page.Projects == nil {
				res.Problems = append(res.Problems, cases.Problem(CheckKeptnCLI, "GET /api/configuration-service/v1/project/ answered %d without a project list", ex.Status()))
			}
			return res, nil
		}},
		{Title: "take in an event the CLI sends with its zero time at the time it receives it (`keptn get event` sorts by time)", Grade: cli("keptn send event: the CLI sends a zero time; keptn get event sorts by time"), Run: func(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
			var res cases.Result
			kctx := cases.NewUUID()
			ev := map[string]any{"type": "sh.keptn.event." + cases.RandomName("kc") + ".triggered", "source": "https://github.com/keptn/keptn/cli",
				"specversion": "0.2", "shkeptncontext": kctx, "time": "0001-01-01T00:00:00.000Z", "data": map[string]any{"project": cases.RandomName("kc-")}}
			stored, err := sendStored(ctx, e, base, ev, &res)
			if err != nil || stored == nil {
				return res, err
			}
			var page struct {
				Events []struct {
					Time string `json:"time"`
				} `json:"events"`
			}
			_ = json.Unmarshal(stored.RespBody, &page)
			if len(page.Events) != 1 {
				res.Problems = append(res.Problems, cases.Problem(CheckKeptnCLI, "the event is not stored once (%d found)", len(page.Events)))
				return res, nil
			}
			if t, err := time.Parse(time.RFC3339Nano, page.Events[0].Time); err != nil || time.Since(t).Abs() > time.Hour {
				res.Problems = append(res.Problems, cases.Problem(CheckKeptnCLI, "the event is stored with the time %q, not the time it was received", page.Events[0].Time))
			}
			return res, nil
		}},
		{Title: "answer `keptn get event TYPE --project=P` as the CLI asks for it (an empty keptnContext=, pageSize=1, following nextPageKey): every event of the type in the project, once", Grade: cli("keptn get event TYPE --project=P: GET /api/mongodb-datastore/event?keptnContext=&pageSize=1&project=P&type=TYPE, following nextPageKey"), Run: checkCLIGetEvent},
		{Title: "open the CLI's log websocket (/api/websocket with the event context's token) after a create, send its log messages in text frames, close it only after a log message with terminate: true (SHOULD: with a Close frame), and refuse it without that token (SHOULD: with 401, before the upgrade)", Grade: cli("keptn create project: the log websocket /api/websocket with the event context's token"), Run: func(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
			var res cases.Result
			w, cleanup, err := e.Build(ctx, cases.MakesProject)
			if err != nil {
				return res, err
			}
			defer cleanup()
			body, _ := json.Marshal(map[string]string{"name": w.Project, "shipyard": cases.B64(w.Shipyard)})
			h := http.Header{"X-Token": {e.Target.Token()}, "Content-Type": {"application/json"}}
			ex, err := e.Target.Client(base).Do(ctx, contract.Request{Method: "POST", Path: "/api/v1/project", Header: h, Body: body})
			if err != nil {
				return res, err
			}
			res.Exchanges = append(res.Exchanges, ex)
			var ec struct{ KeptnContext, Token string }
			if ex.Status() != http.StatusOK || json.Unmarshal(ex.RespBody, &ec) != nil {
				res.Problems = append(res.Problems, cases.Problem(CheckKeptnCLI, "creating a project answered %d", ex.Status()))
				return res, nil
			}
			switch upgraded, p := logSocket(e, ctx, base, http.Header{"X-Token": {e.Target.Token()}}, nil); {
			case p == "":
				res.Problems = append(res.Problems, cases.Problem(CheckKeptnCLI, "the log websocket opened without an event context's token"))
			case upgraded:
				refusal := cases.Problem(CheckKeptnCLI, "the log websocket without an event context's token was upgraded (101) and then ended (%s), not refused with 401", p)
				refusal.Grade = refuseBeforeUpgrade
				res.Problems = append(res.Problems, refusal)
			}
			var closing string
			if _, p := logSocket(e, ctx, base, http.Header{"Token": {ec.Token}, "Keptn-Ws-Channel-Id": {ec.KeptnContext}}, &closing); p != "" {
				res.Problems = append(res.Problems, cases.Problem(CheckKeptnCLI, "the log websocket: %s", p))
			}
			if closing != "" {
				p := cases.Problem(CheckKeptnCLI, "the log websocket, after its log message with terminate: true: %s", closing)
				p.Grade = closingHandshake
				res.Problems = append(res.Problems, p)
			}
			return res, nil
		}},
	}
}

// refuseBeforeUpgrade: a websocket without its token is refused before the upgrade.
var refuseBeforeUpgrade = grade.Grade{Level: grade.Should, Source: grade.Ours("upstream's api-service checks the websocket's token before it upgrades and answers 401 (RFC 6455 §4.2.2: a server that does not accept the handshake answers an HTTP error); an upgrade followed by a close tells a client no reason")}

// closingHandshake: a stream that ends is closed with a Close frame.
var closingHandshake = grade.Grade{Level: grade.Should, Source: grade.RFCSection("RFC 6455 §7.1.2: an endpoint starts the closing handshake with a Close frame (upstream's api-service sends one " +
	"when the stream ends); a connection dropped without it reads as an abnormal closure (1006), an error to a client")}

// logSocket opens the log websocket with headers and reads what comes, as the CLI does; it says
// whether the connection was upgraded, and what went wrong, or "". With closing, it reads on after
// the terminating message and says there how the stream then ended, if not by a Close frame (a
// stream left open is no finding).
func logSocket(e *cases.Env, ctx context.Context, base string, h http.Header, closing *string) (bool, string) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, TLSClientConfig: e.Target.TLSConfig()}
	u := "ws" + strings.TrimPrefix(base, "http") + "/api/websocket"
	conn, resp, err := d.DialContext(ctx, u, h)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		return false, fmt.Sprintf("no upgrade (status %d): %v", status, err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		kind, r, err := conn.NextReader()
		if err != nil {
			if websocket.IsCloseError(err, websocket.CloseNormalClosure) {
				// The CLI reads until a log message says terminate: a close before it is the
				// error `keptn create project` ends with.
				return true, "the stream closed (1000) before a log message with terminate: true, which the keptn CLI reads to the end of; the CLI then fails with the close"
			}
			if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
				return true, "" // a stream that keeps logging is what Keptn's services do
			}
			return true, fmt.Sprintf("reading the stream: %v", err)
		}
		if kind != websocket.TextMessage {
			// The CLI decodes text frames only and passes over any other (upstream writes text).
			return true, fmt.Sprintf("a log message in a frame of type %d, not a text frame (1), which the keptn CLI passes over", kind)
		}
		var m struct {
			Type string `json:"type"`
			Data struct {
				Terminate bool `json:"terminate"`
			} `json:"data"`
		}
		if err := json.NewDecoder(r).Decode(&m); err != nil {
			return true, fmt.Sprintf("a log message that is no JSON: %v", err)
		}
		if m.Type != "sh.keptn.events.log" {
			return true, fmt.Sprintf("a message of type %q, want sh.keptn.events.log", m.Type)
		}
		if m.Data.Terminate {
			if closing != nil {
				*closing = afterTerminate(conn)
			}
			return true, ""
		}
	}
}

// afterTerminate reads a stream on after its terminating message: "" for a Close frame (any code)
// or a stream still open a moment later, else how it ended.
func afterTerminate(conn *websocket.Conn) string {
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		_, _, err := conn.NextReader()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		switch {
		case errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure:
			return ""
		case errors.As(err, &ce):
			return "the connection ended without a Close frame (1006, an abnormal closure)"
		}
		if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
			return ""
		}
		return fmt.Sprintf("the connection ended without a Close frame (%v)", err)
	}
}

// cli is a MUST on the word of the keptn CLI 0.7.x: what its commands send and expect (facts §8).
func cli(ref string) grade.Grade { return grade.Grade{Level: grade.Must, Source: grade.CLI(ref)} }

// checkCLIGetEvent sends two events of one type and one of another to a project, awaits them
// stored, and reads them back as `keptn get event` does: an empty keptnContext (the CLI sends the
// parameter whether or not a context is given: an empty value is no filter), a page size of 1, the
// pages followed by nextPageKey until it is empty or "0".
func checkCLIGetEvent(ctx context.Context, e *cases.Env, base string) (cases.Result, error) {
	var res cases.Result
	project, typ := cases.RandomName("kc-"), "sh.keptn.event."+cases.RandomName("kc")+".finished"
	h := http.Header{"X-Token": {e.Target.Token()}, "Content-Type": {"application/json"}}
	var want []string
	for i, t := range []string{typ, typ, typ + ".other"} {
		kctx := cases.NewUUID()
		ev := map[string]any{"type": t, "source": "https://github.com/keptn/keptn/cli", "specversion": "0.2", "shkeptncontext": kctx,
			"data": map[string]any{"project": project, "marker": fmt.Sprint(i)}}
		if stored, err := sendStored(ctx, e, base, ev, &res); err != nil || stored == nil {
			return res, err
		}
		if t == typ {
			want = append(want, kctx)
		}
	}
	seen := map[string]int{}
	key := ""
	for pages := 0; pages < len(want)+3; pages++ {
		path := "/api/mongodb-datastore/event?keptnContext=&pageSize=1&project=" + project + "&type=" + typ
		if key != "" {
			path += "&nextPageKey=" + key
		}
		ex, err := e.Target.Client(base).Do(ctx, contract.Request{Method: "GET", Path: path, Header: h})
		if err != nil {
			return res, err
		}
		res.Exchanges = append(res.Exchanges, ex)
		var page struct {
			NextPageKey string `json:"nextPageKey"`
			Events      []struct {
				Context string `json:"shkeptncontext"`
				Type    string `json:"type"`
			} `json:"events"`
		}
		if ex.Status() != http.StatusOK || json.Unmarshal(ex.RespBody, &page) != nil {
			res.Problems = append(res.Problems, cases.Problem(CheckKeptnCLI, "GET %s answered %d without a list of events", path, ex.Status()))
			return res, nil
		}
		for _, ev := range page.Events {
			if ev.Type != typ {
				res.Problems = append(res.Problems, cases.Problem(CheckKeptnCLI, "GET %s answered an event of type %q", path, ev.Type))
				return res, nil
			}
			seen[ev.Context]++
		}
		if page.NextPageKey == "" || page.NextPageKey == "0" {
			break
		}
		key = page.NextPageKey
	}
	var got []string
	for k, n := range seen {
		got = append(got, fmt.Sprintf("%s ×%d", k, n))
	}
	for _, k := range want {
		if seen[k] != 1 {
			res.Problems = append(res.Problems, cases.Problem(CheckKeptnCLI, "`keptn get event` of the project's %d events of type %s (contexts %s) read %v: each must come once (an empty keptnContext= is no filter)",
				len(want), typ, strings.Join(want, ", "), got))
			break
		}
	}
	return res, nil
}

// sendStored sends an event as the keptn CLI does (POST /api/v1/event) and awaits it in the
// datastore under its Keptn context; the exchanges go into res. A refusal is a problem in res and
// a nil answer.
func sendStored(ctx context.Context, e *cases.Env, base string, ev map[string]any, res *cases.Result) (*contract.Exchange, error) {
	body, _ := json.Marshal(ev)
	h := http.Header{"X-Token": {e.Target.Token()}, "Content-Type": {"application/json"}}
	ex, err := e.Target.Client(base).Do(ctx, contract.Request{Method: "POST", Path: "/api/v1/event", Header: h, Body: body})
	if err != nil {
		return nil, err
	}
	res.Exchanges = append(res.Exchanges, ex)
	if ex.Status() != http.StatusOK {
		res.Problems = append(res.Problems, cases.Problem(CheckKeptnCLI, "POST /api/v1/event answered %d", ex.Status()))
		return nil, nil
	}
	stored, err := e.AwaitAnswer(ctx, "GET", "/api/mongodb-datastore/event?keptnContext="+fmt.Sprint(ev["shkeptncontext"]))
	if err != nil {
		return nil, err
	}
	res.Exchanges = append(res.Exchanges, stored)
	return stored, nil
}
