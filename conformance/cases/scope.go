package cases

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
)

// A delete takes what it names and nothing else: configuration-service's internal deletes of a
// project, a stage and a service of a stage, each beside resources it must leave alone, those of
// the levels above it and of a neighbour whose name begins with the deleted one's name (a gateway
// that deletes a key prefix without its separator takes "carts-db" with "carts"). The deletes are
// the synchronous internal ones, so what is left is read at once.

// ScopeCheck deletes what Deletes names and reads the resources that must stay.
type ScopeCheck struct {
	// Op is the delete (a configuration-service internal one); Deletes "project", "stage" or
	// "service".
	Op, Deletes string
	// Kept are the levels whose resource must still be there (200), in the words of the check.
	Kept []string
}

// neighbourSuffix makes a neighbour's name: the deleted one's name, then more.
const neighbourSuffix = "-b"

var scopeGrade = grade.Grade{Level: grade.Must, Source: grade.Spec("configuration-service DELETE /project/{projectName}, /stage/{stageName} and /stage/{stageName}/service/{serviceName}: " +
	"each deletes the project, stage or service it names (with what it holds), nothing of another")}

// serviceElsewhereGrade: upstream does not say what becomes of a service's default resources
// when it leaves one of its stages.
var serviceElsewhereGrade = recommend("a service's default resources are used in every stage that has it: while another stage still has the service, they are still in use")

// Name is the check's spec text.
func (c ScopeCheck) Name() string {
	return Sentence(c.Op, scopeGrade, fmt.Sprintf("delete only the %s it names: the resources of %s stay", c.Deletes, strings.Join(c.Kept, ", ")))
}

// ScopeChecks are the deletes that must leave their neighbours alone.
func ScopeChecks() []ScopeCheck {
	neighbour := func(what string) string {
		return fmt.Sprintf("a %s whose name begins with the deleted one's name", what)
	}
	return []ScopeCheck{
		{Op: "deleteProjectInternal", Deletes: "project", Kept: []string{neighbour("project")}},
		{Op: "deleteStageInternal", Deletes: "stage", Kept: []string{"the project", "another stage", neighbour("stage")}},
		{Op: "deleteServiceInternal", Deletes: "service", Kept: []string{"the project", "the stage", "the service in another stage",
			neighbour("service of the stage"), "and, as a SHOULD, the service's defaults while another stage has it"}},
	}
}

// scopeLevel is a resource level the check writes before the delete and reads after it.
type scopeLevel struct {
	op     string            // the resource GET
	params map[string]string // its path parameters
	write  string            // the path the resource is written at
	grade  grade.Grade       // zero: the check's
}

// RunScope runs the check.
func (e *Env) RunScope(ctx context.Context, c ScopeCheck) (Result, error) {
	var res Result
	needs := NeedsProject
	if c.Deletes == "service" {
		needs = NeedsService
	}
	w, cleanup, err := e.Build(ctx, needs)
	if err != nil {
		return res, err
	}
	defer cleanup()
	csRoot := "/api/configuration-service/v1/project"
	cs := csRoot + "/" + w.Project
	var levels []scopeLevel
	var deleted map[string]string // the delete's path parameters beside the world's
	switch c.Deletes {
	case "project":
		// The neighbour is made by configuration-service's internal create: a bare project.
		other := w.Project + neighbourSuffix
		if err := e.setup(ctx, "POST", csRoot, map[string]string{"projectName": other}); err != nil {
			return res, err
		}
		defer e.tidy(csRoot + "/" + other)
		levels = []scopeLevel{{op: "getProjectResource", params: map[string]string{"projectName": other}, write: csRoot + "/" + other}}
	case "stage":
		other := w.OtherStage + neighbourSuffix
		if err := e.setup(ctx, "POST", cs+"/stage", map[string]string{"stageName": other}); err != nil {
			return res, err
		}
		levels = []scopeLevel{
			{op: "getProjectResource", write: cs},
			{op: "getStageResource", write: cs + "/stage/" + w.Stage},
			{op: "getStageResource", params: map[string]string{"stageName": other}, write: cs + "/stage/" + other},
		}
		deleted = map[string]string{"stageName": w.OtherStage}
	default:
		other := w.Service + neighbourSuffix
		if err := e.setup(ctx, "POST", cs+"/stage/"+w.Stage+"/service", map[string]string{"serviceName": other}); err != nil {
			return res, err
		}
		levels = []scopeLevel{
			{op: "getProjectResource", write: cs},
			{op: "getStageResource", write: cs + "/stage/" + w.Stage},
			{op: "getServiceResource", params: map[string]string{"stageName": w.OtherStage}, write: cs + "/stage/" + w.OtherStage + "/service/" + w.Service},
			{op: "getServiceResource", params: map[string]string{"serviceName": other}, write: cs + "/stage/" + w.Stage + "/service/" + other},
			{op: "getServiceDefaultResource", write: cs + "/service/" + w.Service, grade: serviceElsewhereGrade},
		}
	}
	writes := make([]string, len(levels))
	for i, l := range levels {
		writes[i] = l.write
	}
	if err := e.writeNewResource(ctx, w, writes...); err != nil {
		return res, err
	}
	ex, err := e.send(ctx, Case{Op: c.Op, Auth: AuthToken, Params: deleted}, w)
	if err != nil {
		return res, err
	}
	res.Exchanges = append(res.Exchanges, ex)
	res.Problems = append(append(contract.ValidateResponse(ex), contract.ValidateRequest(ex)...), statusProblems(ex, []int{http.StatusNoContent}, false)...)
	if res.Failed() {
		return res, nil
	}
	for _, l := range levels {
		wrong := fmt.Sprintf("the resource %s written at %s is gone (404) after %s deleted another %s", w.NewResourceURI, l.write, c.Op, c.Deletes)
		if err := e.readNewResource(ctx, w, &res, l.op, l.params, http.StatusOK, l.grade, wrong); err != nil {
			return res, err
		}
	}
	return res, nil
}
