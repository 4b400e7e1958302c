package cases

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
)

// Made again: a project or a service deleted and then made again under its name. What it held
// (resources at every level) went with it, so the new one starts with none of them: a gateway that
// deletes the project's or service's record and leaves its resources behind (a delete that does
// not cascade) passes every check of the delete itself, and shows the deleted one's files as the
// new one's. Upstream's configuration-service keeps a project's resources in the project's git
// repository and a service's in its directory of each stage, and deletes those with them.

// RecreateCheck deletes what Deletes names in a world with a service in every stage and a
// resource at every level, makes it again, and reads each level's resource.
type RecreateCheck struct {
	// Op is the delete; Deletes "project" or "service".
	Op, Deletes string
	// Gone are the levels whose resource must be gone once it is made again (404), Kept those
	// whose resource must still be there (200): the levels are those of World.Levels.
	Gone, Kept []string
	// Grades weakens a level's problem from the check's MUST (its reason), where upstream is
	// silent.
	Grades map[string]grade.Grade
}

var recreateGrade = grade.Grade{Level: grade.Must, Source: grade.Spec("api-service DELETE /project/{projectName} and DELETE /project/{projectName}/service/{serviceName}: " +
	"what is deleted is gone, its resources with it (upstream deletes the project's git repository, the service's directory in every stage)")}

// serviceDefaultsGrade: upstream documents a service's default resources (used in all stages)
// without saying what becomes of them when the service goes.
var serviceDefaultsGrade = recommend("a service's default resources belong to it: a service made again under its name would take the deleted one's defaults in every stage")

// Name is the check's spec text.
func (c RecreateCheck) Name() string {
	kept := ""
	if len(c.Kept) > 0 {
		kept = ", and keep the " + strings.Join(c.Kept, " and ") + " resources"
	}
	return Sentence(c.Op, recreateGrade, fmt.Sprintf("delete the %s's resources with it: a %s made again under its name has none of the %s resources%s",
		c.Deletes, c.Deletes, strings.Join(c.Gone, ", "), kept))
}

// RecreateChecks are the deletes whose resources must go with them.
func RecreateChecks() []RecreateCheck {
	return []RecreateCheck{
		{Op: "deleteProject", Deletes: "project", Gone: []string{"project", "stage", "service", "service default"}},
		{Op: "deleteService", Deletes: "service", Gone: []string{"service", "service default"}, Kept: []string{"project", "stage"},
			Grades: map[string]grade.Grade{"service default": serviceDefaultsGrade}},
	}
}

// resourceOps are the resource operations of each level.
var resourceOps = map[string]string{
	"project": "getProjectResource", "stage": "getStageResource", "service": "getServiceResource", "service default": "getServiceDefaultResource",
}

// RunRecreate runs the check.
func (e *Env) RunRecreate(ctx context.Context, c RecreateCheck) (Result, error) {
	var res Result
	w, cleanup, err := e.Build(ctx, NeedsService)
	if err != nil {
		return res, err
	}
	defer cleanup()
	api, cs := "/api/v1/project/"+w.Project, "/api/configuration-service/v1/project/"+w.Project
	if err := e.writeNewResource(ctx, w, cs, cs+"/stage/"+w.Stage, cs+"/stage/"+w.Stage+"/service/"+w.Service, cs+"/service/"+w.Service); err != nil {
		return res, err
	}
	if c.Deletes == "project" {
		if err := e.setup(ctx, "DELETE", api, nil); err != nil {
			return res, err
		}
		if err := e.awaitStatus(ctx, cs, http.StatusNotFound); err != nil {
			return res, err
		}
		if err := e.setup(ctx, "POST", "/api/v1/project", map[string]string{"name": w.Project, "shipyard": B64(w.Shipyard)}); err != nil {
			return res, err
		}
		if err := e.await(ctx, "GET", cs+"/stage/"+w.OtherStage); err != nil {
			return res, err
		}
	} else {
		if err := e.setup(ctx, "DELETE", api+"/service/"+w.Service, nil); err != nil {
			return res, err
		}
		for _, st := range w.Stages {
			if err := e.awaitStatus(ctx, cs+"/stage/"+st+"/service/"+w.Service, http.StatusNotFound); err != nil {
				return res, err
			}
		}
	}
	if err := e.setup(ctx, "POST", api+"/service", map[string]string{"serviceName": w.Service}); err != nil {
		return res, err
	}
	for _, st := range w.Stages {
		if err := e.await(ctx, "GET", cs+"/stage/"+st+"/service/"+w.Service); err != nil {
			return res, err
		}
	}
	for _, levels := range []struct {
		names  []string
		status int
	}{{c.Gone, http.StatusNotFound}, {c.Kept, http.StatusOK}} {
		for _, level := range levels.names {
			wrong := "" // a kept resource gone is a status problem
			if levels.status == http.StatusNotFound {
				wrong = fmt.Sprintf("the %s resource %s of the deleted %s is there again (200) now that a %s of its name was made again", level, w.NewResourceURI, c.Deletes, c.Deletes)
			}
			if err := e.readNewResource(ctx, w, &res, resourceOps[level], nil, levels.status, c.Grades[level], wrong); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// writeNewResource writes the world's NewResourceURI at each level (a path of configuration-
// service's). The URI holds no /: a front that decodes %2F (upstream's nginx) fails the by-URI
// checks, not the checks that read these back as well.
func (e *Env) writeNewResource(ctx context.Context, w *World, levels ...string) error {
	body := map[string]any{"resources": []map[string]string{{"resourceURI": w.NewResourceURI, "resourceContent": B64(w.ResourceContent)}}}
	for _, level := range levels {
		if err := e.setup(ctx, "POST", level+"/resource", body); err != nil {
			return err
		}
	}
	return nil
}

// readNewResource reads the world's NewResourceURI with op (params beside the world's) into res,
// which must answer want: 200 (it is still there) or 404 (it is gone). The other of the two is a
// behaviour problem that wrong explains (when given; else a status problem); every problem gets
// grade g (zero: the check's).
func (e *Env) readNewResource(ctx context.Context, w *World, res *Result, op string, params map[string]string, want int, g grade.Grade, wrong string) error {
	p := map[string]string{"resourceURI": w.NewResourceURI}
	for k, v := range params {
		p[k] = v
	}
	ex, err := e.send(ctx, Case{Op: op, Auth: AuthToken, Params: p}, w)
	if err != nil {
		return err
	}
	res.Exchanges = append(res.Exchanges, ex)
	if NotImplemented(ex, e.Target.Token()) != "" {
		return nil // a level upstream does not implement either: not judged
	}
	problems := append(contract.ValidateResponse(ex), statusProblems(ex, []int{want}, false)...)
	other := map[int]int{http.StatusOK: http.StatusNotFound, http.StatusNotFound: http.StatusOK}[want]
	if wrong != "" && ex.Err == nil && ex.Status() == other {
		problems = []contract.Problem{{Check: contract.CheckBehaviour, Message: wrong}}
	}
	for i := range problems {
		problems[i].Grade = g
	}
	res.Problems = append(res.Problems, problems...)
	return nil
}
