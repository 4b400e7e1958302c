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
	// A resource without a / at every level: a front that decodes %2F (upstream's nginx) fails the
	// by-URI checks, not this one as well.
	body := map[string]any{"resources": []map[string]string{{"resourceURI": w.NewResourceURI, "resourceContent": B64(w.ResourceContent)}}}
	for _, level := range []string{cs, cs + "/stage/" + w.Stage, cs + "/stage/" + w.Stage + "/service/" + w.Service, cs + "/service/" + w.Service} {
		if err := e.setup(ctx, "POST", level+"/resource", body); err != nil {
			return res, err
		}
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
	params := map[string]string{"resourceURI": w.NewResourceURI}
	for _, levels := range []struct {
		names  []string
		status int
	}{{c.Gone, http.StatusNotFound}, {c.Kept, http.StatusOK}} {
		for _, level := range levels.names {
			ex, err := e.send(ctx, Case{Op: resourceOps[level], Auth: AuthToken, Params: params}, w)
			if err != nil {
				return res, err
			}
			res.Exchanges = append(res.Exchanges, ex)
			g := c.Grades[level]
			problems := append(contract.ValidateResponse(ex), statusProblems(ex, []int{levels.status}, false)...)
			if levels.status == http.StatusNotFound && ex.Err == nil && ex.Status() == http.StatusOK {
				problems = []contract.Problem{{Check: contract.CheckBehaviour, Message: fmt.Sprintf(
					"the %s resource %s of the deleted %s is there again (200) now that a %s of its name was made again", level, w.NewResourceURI, c.Deletes, c.Deletes)}}
			}
			for i := range problems {
				problems[i].Grade = g
			}
			res.Problems = append(res.Problems, problems...)
		}
	}
	return res, nil
}
