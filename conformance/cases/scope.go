package cases

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
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

// A list answers its own level's resources and nothing of a neighbour's: a level whose name
// begins with the listed one's (project "carts" and "carts-b") is another level, and a resource
// written there leaves the list as it was (a store that lists by the key prefix "p/carts" without
// its separator lists "carts-b"'s as well). The list is compared with itself before the write, so
// whatever else a gateway lists at the level (upstream lists a stage's service files too) is kept
// out of the judgement.

// ListScopeCheck lists one level's resources before and after a neighbour's resource is written.
type ListScopeCheck struct {
	// Op is the list; Level "project", "stage", "service" (of a stage) or "service defaults".
	Op, Level string
}

var listScopeGrade = grade.Grade{Level: grade.Must, Source: grade.Spec("configuration-service GET /project/{projectName}[/stage/{stageName}][/service/{serviceName}]/resource: " +
	"the resources of the project, stage or service the path names; another's are not among them")}

// Name is the check's spec text.
func (c ListScopeCheck) Name() string {
	return Sentence(c.Op, listScopeGrade, "list only the resources of the level it names: a resource written to "+c.neighbour()+" leaves the list as it was")
}

// neighbour names the neighbour level in the check's words.
func (c ListScopeCheck) neighbour() string {
	switch c.Level {
	case "project", "stage":
		return fmt.Sprintf("a %s whose name begins with the %s's name", c.Level, c.Level)
	case "service":
		return "a service of the stage whose name begins with the service's name"
	}
	return "the defaults of a service whose name begins with the service's name"
}

// ListScopeChecks are the resource lists of the four levels.
func ListScopeChecks() []ListScopeCheck {
	return []ListScopeCheck{
		{Op: "getProjectResources", Level: "project"},
		{Op: "getStageResources", Level: "stage"},
		{Op: "getServiceResources", Level: "service"},
		{Op: "getServiceDefaultResources", Level: "service defaults"},
	}
}

// RunListScope runs the check.
func (e *Env) RunListScope(ctx context.Context, c ListScopeCheck) (Result, error) {
	var res Result
	w, cleanup, err := e.Build(ctx, NeedsService)
	if err != nil {
		return res, err
	}
	defer cleanup()
	csRoot := "/api/configuration-service/v1/project"
	cs := csRoot + "/" + w.Project
	var neighbour string // the neighbour level's path
	switch c.Level {
	case "project":
		other := w.Project + neighbourSuffix
		if err := e.setup(ctx, "POST", csRoot, map[string]string{"projectName": other}); err != nil {
			return res, err
		}
		defer e.tidy(csRoot + "/" + other)
		neighbour = csRoot + "/" + other
	case "stage":
		other := w.Stage + neighbourSuffix
		if err := e.setup(ctx, "POST", cs+"/stage", map[string]string{"stageName": other}); err != nil {
			return res, err
		}
		neighbour = cs + "/stage/" + other
	default:
		other := w.Service + neighbourSuffix
		if err := e.setup(ctx, "POST", cs+"/stage/"+w.Stage+"/service", map[string]string{"serviceName": other}); err != nil {
			return res, err
		}
		neighbour = cs + "/stage/" + w.Stage + "/service/" + other
		if c.Level == "service defaults" {
			neighbour = cs + "/service/" + other
		}
	}
	list := func() (map[string]bool, int, bool, error) {
		ex, err := e.send(ctx, Case{Op: c.Op, Auth: AuthToken}, w)
		if err != nil {
			return nil, 0, false, err
		}
		res.Exchanges = append(res.Exchanges, ex)
		problems := append(contract.ValidateResponse(ex), statusProblems(ex, []int{http.StatusOK}, false)...)
		res.Problems = append(res.Problems, problems...)
		if (Result{Problems: problems}).Failed() {
			return nil, 0, false, nil
		}
		var doc struct {
			TotalCount int              `json:"totalCount"`
			Resources  []map[string]any `json:"resources"`
		}
		_ = json.Unmarshal(ex.RespBody, &doc)
		uris := map[string]bool{}
		for _, r := range doc.Resources {
			uris[itemKey("resourceURI", r)] = true
		}
		return uris, doc.TotalCount, true, nil
	}
	before, beforeTotal, ok, err := list()
	if err != nil || !ok {
		return res, err
	}
	if err := e.writeNewResource(ctx, w, neighbour); err != nil {
		return res, err
	}
	after, afterTotal, ok, err := list()
	if err != nil || !ok {
		return res, err
	}
	var added []string
	for u := range after {
		if !before[u] {
			added = append(added, fmt.Sprintf("%q", u))
		}
	}
	slices.Sort(added)
	if len(added) > 0 || afterTotal != beforeTotal {
		res.Problems = append(res.Problems, contract.Problem{Check: contract.CheckBehaviour, Message: fmt.Sprintf(
			"%s listed %d resources (totalCount %d) before %s was written at %s, and %d (totalCount %d) after it; new in the list: [%s]",
			c.Op, len(before), beforeTotal, w.NewResourceURI, neighbour, len(after), afterTotal, strings.Join(added, ", "))})
	}
	return res, nil
}

// A stage and a service named as the stage (both valid names) are two levels: a resource of the
// service's defaults is no resource of the stage, even under the same URI (upstream keeps the
// service's files in a directory of its name, the stage's at the top). A store that keys both
// levels by the name overwrites one with the other.

// NamesakeCheck writes one URI at a stage and at the defaults of a service named as the stage.
type NamesakeCheck struct{}

var namesakeGrade = grade.Grade{Level: grade.Must, Source: grade.Spec("configuration-service /project/{projectName}/stage/{stageName}/resource/{resourceURI} and " +
	"/project/{projectName}/service/{serviceName}/resource/{resourceURI}: a stage's resources and a service's default resources are separate levels")}

// Name is the check's spec text.
func (NamesakeCheck) Name() string {
	return Sentence("getStageResource", namesakeGrade, "answer the stage's own resource after the defaults of a service named as the stage got one under the same URI, and the service's its own")
}

// RunNamesake runs the check.
func (e *Env) RunNamesake(ctx context.Context) (Result, error) {
	var res Result
	w, cleanup, err := e.Build(ctx, NeedsProject)
	if err != nil {
		return res, err
	}
	defer cleanup()
	cs := "/api/configuration-service/v1/project/" + w.Project
	if err := e.setup(ctx, "POST", cs+"/stage/"+w.Stage+"/service", map[string]string{"serviceName": w.Stage}); err != nil {
		return res, err
	}
	levels := []struct{ op, write, content string }{
		{"getStageResource", cs + "/stage/" + w.Stage, "the stage's own"},
		{"getServiceDefaultResource", cs + "/service/" + w.Stage, "the defaults of the service named as the stage"},
	}
	for _, l := range levels {
		body := map[string]any{"resources": []map[string]string{{"resourceURI": w.NewResourceURI, "resourceContent": B64(l.content)}}}
		if err := e.setup(ctx, "POST", l.write+"/resource", body); err != nil {
			return res, err
		}
	}
	for _, l := range levels {
		ex, err := e.send(ctx, Case{Op: l.op, Auth: AuthToken, Params: map[string]string{"serviceName": w.Stage, "resourceURI": w.NewResourceURI}}, w)
		if err != nil {
			return res, err
		}
		res.Exchanges = append(res.Exchanges, ex)
		problems := append(contract.ValidateResponse(ex), statusProblems(ex, []int{http.StatusOK}, false)...)
		res.Problems = append(res.Problems, problems...)
		if (Result{Problems: problems}).Failed() {
			return res, nil
		}
		var got struct{ ResourceContent string }
		_ = json.Unmarshal(ex.RespBody, &got)
		if got.ResourceContent != B64(l.content) {
			res.Problems = append(res.Problems, contract.Problem{Check: contract.CheckBehaviour, Message: fmt.Sprintf(
				"%s answered %s with content %q, want %q (%s): the stage %s and the service %s are kept as one level", l.op, w.NewResourceURI, got.ResourceContent, B64(l.content), l.content, w.Stage, w.Stage)})
		}
	}
	return res, nil
}
