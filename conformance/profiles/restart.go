package profiles

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
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
