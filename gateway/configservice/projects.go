package configservice

import (
	"net/http"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/httpx"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/store"
)

// getProjects: GET /v1/project, the projects in creation order.
func (s *Service) getProjects(w http.ResponseWriter, r *http.Request) {
	pg, err := parsePaging(r)
	if err != nil {
		s.fail(w, r, err, http.StatusNotFound)
		return
	}
	var out []expandedProject
	err = s.db.View(func(tx *store.Tx) error {
		all, err := allProjects(tx)
		if err != nil {
			return err
		}
		for _, p := range all {
			e, err := expandProject(tx, p)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, err, http.StatusNotFound)
		return
	}
	writePage(w, pg, "projects", out)
}

// getProject: GET /v1/project/{projectName}.
func (s *Service) getProject(w http.ResponseWriter, r *http.Request) {
	var out expandedProject
	err := s.db.View(func(tx *store.Tx) error {
		p, err := loadProject(tx, r.PathValue("projectName"))
		if err != nil {
			return err
		}
		out, err = expandProject(tx, p)
		return err
	})
	if err != nil {
		s.fail(w, r, err, http.StatusNotFound)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// createProject: POST /v1/project (internal), with optional stages and their services.
func (s *Service) createProject(w http.ResponseWriter, r *http.Request) {
	var body projectBody
	if err := httpx.DecodeJSON(r, &body); err != nil {
		s.fail(w, r, err, http.StatusBadRequest)
		return
	}
	if err := checkName("projectName", body.ProjectName); err != nil {
		s.fail(w, r, err, http.StatusBadRequest)
		return
	}
	now := nowNanos()
	p := &projectRecord{Name: body.ProjectName, CreationDate: now, Stages: []*stageRecord{}}
	body.applyGit(p)
	for _, sb := range body.Stages {
		st, err := newStage(p, sb, now)
		if err != nil {
			s.fail(w, r, err, http.StatusBadRequest)
			return
		}
		p.Stages = append(p.Stages, st)
	}
	err := s.db.Update(func(tx *store.Tx) error {
		if store.Exists(tx, bucketProjects, p.Name) {
			return badRequest("project %q already exists", p.Name)
		}
		seq, err := tx.Bucket([]byte(bucketProjects)).NextSequence()
		if err != nil {
			return err
		}
		p.Seq = seq
		return saveProject(tx, p)
	})
	if err != nil {
		s.fail(w, r, err, http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// updateProject: PUT /v1/project/{projectName} (internal). Only the git fields present in the
// body change; the name in the path wins over the body's.
func (s *Service) updateProject(w http.ResponseWriter, r *http.Request) {
	var body projectBody
	if err := httpx.DecodeJSON(r, &body); err != nil {
		s.fail(w, r, err, http.StatusBadRequest)
		return
	}
	err := s.db.Update(func(tx *store.Tx) error {
		p, err := loadProject(tx, r.PathValue("projectName"))
		if err != nil {
			return err
		}
		body.applyGit(p)
		return saveProject(tx, p)
	})
	if err != nil {
		s.fail(w, r, err, http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// deleteProject: DELETE /v1/project/{projectName} (internal), with everything it holds.
func (s *Service) deleteProject(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("projectName")
	err := s.db.Update(func(tx *store.Tx) error {
		if _, err := loadProject(tx, name); err != nil {
			return err
		}
		if err := store.Delete(tx, bucketProjects, name); err != nil {
			return err
		}
		if err := store.Delete(tx, bucketVersions, name); err != nil {
			return err
		}
		return deleteResources(tx, level{project: name})
	})
	if err != nil {
		s.fail(w, r, err, http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// applyGit copies the git fields present in the body to the project.
func (b *projectBody) applyGit(p *projectRecord) {
	if b.GitUser != nil {
		p.GitUser = *b.GitUser
	}
	if b.GitRemoteURI != nil {
		p.GitRemoteURI = *b.GitRemoteURI
	}
	if b.GitToken != nil {
		p.GitToken = *b.GitToken
	}
}
