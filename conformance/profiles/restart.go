package profiles

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/conformance/target"
)

// CheckRestartPersistence is the check that what was written is there after the gateway restarts.
const CheckRestartPersistence = "restart-persistence"

// RestartCheck is the Core profile's restart check (label Feature:Restart), where the target can
// restart the gateway: what was written before is read back after. A MUST on the specs: a created
// project, stage, service and resource are answered by their GETs until they are deleted, and the
// bridge credentials by getBridgeConfig until they are set again; nothing upstream lets a restart
// (which the documented token reset itself makes) take them away. Sessions are not required to
// outlive a restart: Konnect's documentation says nothing of it.
type RestartCheck struct {
	Title string
	Grade grade.Grade
}

// Restart is the restart check.
var Restart = RestartCheck{
	Title: "keep across a restart of the gateway what was written before: a project with its stages and service, a resource at every level, the bridge credentials",
	Grade: grade.Grade{Level: grade.Must, Source: grade.Spec("configuration-service GET /v1/project/{projectName}[/stage/{stageName}[/service/{serviceName}]][/resource/{resourceURI}] 200 and api-service GET /v1/config/bridge 200: what was created or set is answered until it is deleted or set again")},
}

// Name is the check's spec text.
func (c RestartCheck) Name() string { return cases.Sentence("the gateway", c.Grade, c.Title) }

// RestartNeeds is what the restart check writes before the restart.
const RestartNeeds = cases.NeedsResources | cases.NeedsBridge

// ReadBack reads what a world of RestartNeeds wrote, saying when (before or after the restart)
// in each problem.
func ReadBack(ctx context.Context, e *cases.Env, w *cases.World, when string) (cases.Result, error) {
	var res cases.Result
	get := func(opID string, params map[string]string) (*contract.Exchange, error) {
		op, err := cases.Operation(opID)
		if err != nil {
			return nil, err
		}
		ex, err := e.Target.Client(e.Base).Do(ctx, contract.Request{Op: op, PathParams: params, Header: http.Header{"X-Token": {e.Target.Token()}}})
		if err != nil {
			return nil, err
		}
		res.Exchanges = append(res.Exchanges, ex)
		if cases.NotImplemented(ex, e.Target.Token()) != "" {
			return nil, nil // a level upstream does not implement either: not judged
		}
		res.Problems = append(res.Problems, contract.ValidateResponse(ex)...)
		if ex.Status() != http.StatusOK {
			res.Problems = append(res.Problems, cases.Problem(CheckRestartPersistence, "%s: %s answered %d, want 200", when, ex.Request.URL.Path, ex.Status()))
			return nil, nil
		}
		return ex, nil
	}
	with := func(kv ...string) map[string]string {
		m := map[string]string{"projectName": w.Project}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	if _, err := get("getProject", with()); err != nil {
		return res, err
	}
	for _, st := range w.Stages {
		if _, err := get("getStage", with("stageName", st)); err != nil {
			return res, err
		}
		if _, err := get("getStageService", with("stageName", st, "serviceName", w.Service)); err != nil {
			return res, err
		}
	}
	for _, op := range []string{"getProjectResource", "getStageResource", "getServiceResource", "getServiceDefaultResource"} {
		ex, err := get(op, with("stageName", w.Stage, "serviceName", w.Service, "resourceURI", w.ResourceURI))
		if err != nil {
			return res, err
		}
		if ex == nil {
			continue
		}
		var got struct {
			ResourceContent string `json:"resourceContent"`
		}
		_ = json.Unmarshal(ex.RespBody, &got)
		content, _ := base64.StdEncoding.DecodeString(got.ResourceContent)
		if string(content) != w.ResourceContent {
			res.Problems = append(res.Problems, cases.Problem(CheckRestartPersistence, "%s: %s holds %q, want %q", when, ex.Request.URL.Path, content, w.ResourceContent))
		}
	}
	ex, err := get("getBridgeConfig", nil)
	if err != nil || ex == nil {
		return res, err
	}
	var bridge struct{ User, Password string }
	if json.Unmarshal(ex.RespBody, &bridge) != nil || bridge.User != w.BridgeUser || bridge.Password != w.BridgePassword {
		res.Problems = append(res.Problems, cases.Problem(CheckRestartPersistence, "%s: the bridge credentials read are not those set before (user %q, want %q)", when, bridge.User, w.BridgeUser))
	}
	return res, nil
}

// CheckRestartInFlight is the check that a request in flight when the gateway stops is answered.
const CheckRestartInFlight = "restart-in-flight"

// RestartInFlight is the Core profile's graceful-stop check (label Feature:Restart): a request
// whose body is still arriving when the restart begins is answered, not cut, and what it wrote
// (answered 2xx) is there after the restart. A SHOULD: upstream promises nothing of restarts, but
// a client whose request was cut cannot tell whether it was done, and may retry it on its own only
// when it is idempotent (RFC 9110 §9.2.2); Kubernetes gives a terminating pod a grace period (30 s
// by default) after SIGTERM so that it finishes what is in flight.
var RestartInFlight = RestartCheck{
	Title: "answer a request in flight when it stops for a restart (its body still arriving), and keep what it wrote",
	Grade: grade.Grade{Level: grade.Should, Source: grade.Ours("a restart (the documented token reset makes one, so does every upgrade) should cost no request: HTTP gives a client whose request was cut no way to know whether it was done (RFC 9110 §9.2.2: only idempotent requests may be retried), and Kubernetes gives a terminating pod a grace period (30 s by default) to finish what is in flight")},
}

// The in-flight request: its body trickles (a byte every inFlightPace) from just before the restart
// begins until the window after (Env.InFlightWindow, default inFlightWindow), well within any
// body-stall bound.
const (
	inFlightURI    = "restart-in-flight.txt"
	inFlightLead   = 300 * time.Millisecond
	inFlightPace   = 100 * time.Millisecond
	inFlightWindow = 2 * time.Second
)

// InFlight sends a resource write to w's project whose body is still arriving when restart
// begins (a byte at a time), finishes the body while the gateway stops, and judges the answer;
// once the restart is done, it reads the resource back.
func InFlight(ctx context.Context, e *cases.Env, w *cases.World, restart func(context.Context) error) (cases.Result, error) {
	var res cases.Result
	op, err := cases.Operation("putProjectResources")
	if err != nil {
		return res, err
	}
	path, err := contract.Request{Op: op, PathParams: map[string]string{"projectName": w.Project}}.URLPath()
	if err != nil {
		return res, err
	}
	if path, err = e.Target.Layout().Path(path); err != nil {
		return res, err
	}
	content := "written while the gateway stopped: " + w.Project
	head := `{"resources":[{"resourceURI":"` + inFlightURI + `","resourceContent":"` + base64.StdEncoding.EncodeToString([]byte(content)) + `"}]`
	pr, pw := io.Pipe()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, strings.TrimRight(e.Base, "/")+path, pr)
	if err != nil {
		return res, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Token", e.Target.Token())
	// A connection of its own, opened for this request.
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: e.Target.TLSConfig(), DisableKeepAlives: true}, Timeout: target.RestartTimeout}
	ex := &contract.Exchange{Op: op, PathParams: map[string]string{"projectName": w.Project}, Request: req}
	answered := make(chan struct{})
	go func() {
		defer close(answered)
		start := time.Now()
		resp, err := hc.Do(req)
		ex.Duration = time.Since(start)
		if err != nil {
			ex.Err = err
			return
		}
		defer resp.Body.Close()
		ex.Response = resp
		ex.RespBody, ex.Err = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	}()
	sent := []byte(head)
	write := func(s string) bool {
		if _, err := pw.Write([]byte(s)); err != nil {
			return false
		}
		sent = append(sent, s...)
		return true
	}
	ok := write(head)
	time.Sleep(inFlightLead)
	restarted := make(chan error, 1)
	began := time.Now()
	go func() {
		rctx, cancel := context.WithTimeout(ctx, target.RestartTimeout)
		defer cancel()
		restarted <- restart(rctx)
	}()
	window := cmp.Or(e.InFlightWindow, inFlightWindow)
	for ok && time.Since(began) < window {
		time.Sleep(inFlightPace)
		ok = write(" ")
	}
	if ok {
		write("}")
	}
	pw.Close()
	<-answered
	ex.ReqBody = sent
	res.Exchanges = append(res.Exchanges, ex)
	rerr := <-restarted
	res.Figures = append(res.Figures, cases.Figure{Name: "restart with a request in flight (stopped → serving the API again)", Value: time.Since(began).Seconds(), Unit: "s", Limit: target.RestartTimeout.Seconds()})
	if rerr != nil {
		res.Problems = append(res.Problems, cases.Problem(CheckRestartInFlight, "restarting the gateway: %v", rerr))
		return res, nil
	}
	switch {
	case ex.Response == nil:
		res.Problems = append(res.Problems, cases.Problem(CheckRestartInFlight,
			"PUT %s, its body still arriving when the restart began: no answer (%v), want one (2xx)", ex.Request.URL.Path, ex.Err))
		return res, nil
	case ex.Status() < 200 || ex.Status() > 299:
		res.Problems = append(res.Problems, cases.Problem(CheckRestartInFlight,
			"PUT %s, its body still arriving when the restart began: answered %d, want 2xx", ex.Request.URL.Path, ex.Status()))
		return res, nil
	}
	// Answered 2xx: what it wrote is there after the restart.
	get, err := cases.Operation("getProjectResource")
	if err != nil {
		return res, err
	}
	back, err := e.Target.Client(e.Base).Do(ctx, contract.Request{Op: get, PathParams: map[string]string{"projectName": w.Project, "resourceURI": inFlightURI},
		Header: http.Header{"X-Token": {e.Target.Token()}}})
	if err != nil {
		return res, err
	}
	res.Exchanges = append(res.Exchanges, back)
	var got struct {
		ResourceContent string `json:"resourceContent"`
	}
	_ = json.Unmarshal(back.RespBody, &got)
	if b, _ := base64.StdEncoding.DecodeString(got.ResourceContent); back.Status() != http.StatusOK || string(b) != content {
		res.Problems = append(res.Problems, cases.Problem(CheckRestartInFlight,
			"PUT %s, answered %d while the gateway stopped: after the restart %s answered %d holding %q, want 200 with what was written", ex.Request.URL.Path, ex.Status(), back.Request.URL.Path, back.Status(), b))
	}
	return res, nil
}
