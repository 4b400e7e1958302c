package configservice

import (
	"net/http"
	"slices"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/httpx"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/store"
)

// getStages: GET /v1/project/{projectName}/stage, the stages in shipyard order.
func (s *Service) getStages(w http.ResponseWriter, r *http.Request) {
	pg, err := parsePaging(r)
	if err != nil {
		s.fail(w, r, err, http.StatusNotFound)
		return
	}
	var out []expandedStage
	err = s.db.View(func(tx *store.Tx) error {
		p, err := loadProject(tx, r.PathValue("projectName"))
		if err != nil {
			return err
		}
		for _, st := range p.Stages {
			out = append(out, expandStage(st))
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, err, http.StatusNotFound)
		return
	}
	writePage(w, pg, "stages", out)
}

// getStage: GET /v1/project/{projectName}/stage/{stageName}.
func (s *Service) getStage(w http.ResponseWriter, r *http.Request) {
	var out expandedStage
	err := s.db.View(func(tx *store.Tx) error {
		_, st, err := loadStage(tx, r.PathValue("projectName"), r.PathValue("stageName"))
		if err != nil {
			return err
		}
		out = expandStage(st)
		return nil
	})
	if err != nil {
		s.fail(w, r, err, http.StatusNotFound)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// createStage: POST /v1/project/{projectName}/stage (internal), appended after the existing
// stages, with optional services.
func (s *Service) createStage(w http.ResponseWriter, r *http.Request) {
	var body stageBody
	if err := httpx.DecodeJSON(r, &body); err != nil {
		s.fail(w, r, err, http.StatusBadRequest)
		return
	}
	err := s.db.Update(func(tx *store.Tx) error {
		p, err := loadProject(tx, r.PathValue("projectName"))
		if err != nil {
			return err
		}
		st, err := newStage(p, body, nowNanos())
		if err != nil {
			return err
		}
		p.Stages = append(p.Stages, st)
		return saveProject(tx, p)
	})
	if err != nil {
		s.fail(w, r, err, http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// updateStage: PUT /v1/project/{projectName}/stage/{stageName} (internal). A stage has nothing
// to change but its name, and the name in the path wins: it checks the body and the stage.
func (s *Service) updateStage(w http.ResponseWriter, r *http.Request) {
	var body stageBody
	if err := httpx.DecodeJSON(r, &body); err != nil {
		s.fail(w, r, err, http.StatusBadRequest)
		return
	}
	err := s.db.View(func(tx *store.Tx) error {
		_, _, err := loadStage(tx, r.PathValue("projectName"), r.PathValue("stageName"))
		return err
	})
	if err != nil {
		s.fail(w, r, err, http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// deleteStage: DELETE /v1/project/{projectName}/stage/{stageName} (internal), with its
// services, their approvals, remediations and resources.
func (s *Service) deleteStage(w http.ResponseWriter, r *http.Request) {
	project, stage := r.PathValue("projectName"), r.PathValue("stageName")
	err := s.db.Update(func(tx *store.Tx) error {
		p, st, err := loadStage(tx, project, stage)
		if err != nil {
			return err
		}
		p.Stages = slices.DeleteFunc(p.Stages, func(x *stageRecord) bool { return x == st })
		if err := saveProject(tx, p); err != nil {
			return err
		}
		if err := deleteResources(tx, level{project: project, stage: stage}); err != nil {
			return err
		}
		for _, svc := range st.Services {
			if err := deleteOrphanDefaults(tx, p, svc.Name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, err, http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// newStage validates a stage body for project p and makes the stage with its services.
func newStage(p *projectRecord, b stageBody, now string) (*stageRecord, error) {
	if err := checkName("stageName", b.StageName); err != nil {
		return nil, err
	}
	if p.stage(b.StageName) != nil {
		return nil, badRequest("stage %q already exists in project %q", b.StageName, p.Name)
	}
	st := &stageRecord{Name: b.StageName, Services: []*serviceRecord{}}
	for _, sb := range b.Services {
		svc, err := newService(st, sb, now)
		if err != nil {
			return nil, err
		}
		st.Services = append(st.Services, svc)
	}
	return st, nil
}
