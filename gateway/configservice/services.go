package configservice

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/httpx"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/store"
)

// getStageServices: GET /v1/project/{projectName}/stage/{stageName}/service, in creation order.
func (s *Service) getStageServices(w http.ResponseWriter, r *http.Request) {
	pg, err := parsePaging(r)
	if err != nil {
		s.fail(w, r, err, http.StatusNotFound)
		return
	}
	var out []expandedService
	err = s.db.View(func(tx *store.Tx) error {
		_, st, err := loadStage(tx, r.PathValue("projectName"), r.PathValue("stageName"))
		if err != nil {
			return err
		}
		out = expandStage(st).Services
		return nil
	})
	if err != nil {
		s.fail(w, r, err, http.StatusNotFound)
		return
	}
	writePage(w, pg, "services", out)
}

// getStageService: GET /v1/project/{projectName}/stage/{stageName}/service/{serviceName}.
func (s *Service) getStageService(w http.ResponseWriter, r *http.Request) {
	var out expandedService
	err := s.db.View(func(tx *store.Tx) error {
		_, svc, err := loadService(tx, r.PathValue("projectName"), r.PathValue("stageName"), r.PathValue("serviceName"))
		if err != nil {
			return err
		}
		out = expandService(svc)
		return nil
	})
	if err != nil {
		s.fail(w, r, err, http.StatusNotFound)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// createService: POST /v1/project/{projectName}/stage/{stageName}/service (internal).
func (s *Service) createService(w http.ResponseWriter, r *http.Request) {
	var body serviceBody
	if err := httpx.DecodeJSON(r, &body); err != nil {
		s.fail(w, r, err, http.StatusBadRequest)
		return
	}
	err := s.db.Update(func(tx *store.Tx) error {
		p, st, err := loadStage(tx, r.PathValue("projectName"), r.PathValue("stageName"))
		if err != nil {
			return err
		}
		svc, err := newService(st, body, nowNanos())
		if err != nil {
			return err
		}
		st.Services = append(st.Services, svc)
		return saveProject(tx, p)
	})
	if err != nil {
		s.fail(w, r, err, http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// updateService: PUT /v1/project/{projectName}/stage/{stageName}/service/{serviceName}
// (internal). A service has nothing to change but its name, and the name in the path wins: it
// checks the body and the service.
func (s *Service) updateService(w http.ResponseWriter, r *http.Request) {
	var body serviceBody
	if err := httpx.DecodeJSON(r, &body); err != nil {
		s.fail(w, r, err, http.StatusBadRequest)
		return
	}
	err := s.db.View(func(tx *store.Tx) error {
		_, _, err := loadService(tx, r.PathValue("projectName"), r.PathValue("stageName"), r.PathValue("serviceName"))
		return err
	})
	if err != nil {
		s.fail(w, r, err, http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// deleteService: DELETE /v1/project/{projectName}/stage/{stageName}/service/{serviceName}
// (internal), with its approvals, remediations and resources in that stage (and its default
// resources when no stage has the service any more).
func (s *Service) deleteService(w http.ResponseWriter, r *http.Request) {
	project, stage, service := r.PathValue("projectName"), r.PathValue("stageName"), r.PathValue("serviceName")
	err := s.db.Update(func(tx *store.Tx) error {
		p, st, err := loadStage(tx, project, stage)
		if err != nil {
			return err
		}
		svc := st.service(service)
		if svc == nil {
			return &missingError{fmt.Sprintf("service %q does not exist in stage %q of project %q", service, stage, project)}
		}
		st.Services = slices.DeleteFunc(st.Services, func(x *serviceRecord) bool { return x == svc })
		if err := saveProject(tx, p); err != nil {
			return err
		}
		if err := deleteResources(tx, level{project: project, stage: stage, service: service}); err != nil {
			return err
		}
		return deleteOrphanDefaults(tx, p, service)
	})
	if err != nil {
		s.fail(w, r, err, http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// getProjectServices: GET /v1/project/{projectName}/service, every service of the project with
// the stages that have it.
func (s *Service) getProjectServices(w http.ResponseWriter, r *http.Request) {
	pg, err := parsePaging(r)
	if err != nil {
		s.fail(w, r, err, http.StatusNotFound)
		return
	}
	var out []serviceWithStageInfo
	err = s.db.View(func(tx *store.Tx) error {
		p, err := loadProject(tx, r.PathValue("projectName"))
		if err != nil {
			return err
		}
		out = servicesWithStageInfo(p)
		return nil
	})
	if err != nil {
		s.fail(w, r, err, http.StatusNotFound)
		return
	}
	writePage(w, pg, "services", out)
}

// getProjectService: GET /v1/project/{projectName}/service/{serviceName}.
func (s *Service) getProjectService(w http.ResponseWriter, r *http.Request) {
	project, service := r.PathValue("projectName"), r.PathValue("serviceName")
	var out serviceWithStageInfo
	err := s.db.View(func(tx *store.Tx) error {
		p, err := loadProject(tx, project)
		if err != nil {
			return err
		}
		for _, x := range servicesWithStageInfo(p) {
			if x.ServiceName == service {
				out = x
				return nil
			}
		}
		return &missingError{fmt.Sprintf("service %q does not exist in project %q", service, project)}
	})
	if err != nil {
		s.fail(w, r, err, http.StatusNotFound)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

// servicesWithStageInfo gathers a project's services across its stages, in creation order
// (the earliest creation in any stage; ties in stage order). Stage infos follow stage order.
func servicesWithStageInfo(p *projectRecord) []serviceWithStageInfo {
	var out []serviceWithStageInfo
	index := map[string]int{}
	for _, st := range p.Stages {
		for _, svc := range st.Services {
			i, seen := index[svc.Name]
			if !seen {
				i = len(out)
				index[svc.Name] = i
				out = append(out, serviceWithStageInfo{ServiceName: svc.Name, CreationDate: svc.CreationDate, StageInfo: []stageInfo{}})
			}
			if nanos(svc.CreationDate) < nanos(out[i].CreationDate) {
				out[i].CreationDate = svc.CreationDate
			}
			out[i].StageInfo = append(out[i].StageInfo, stageInfo{
				StageName:      st.Name,
				DeployedImage:  svc.DeployedImage,
				LastEventTypes: lastEventTypes(svc),
			})
		}
	}
	slices.SortStableFunc(out, func(a, b serviceWithStageInfo) int {
		return cmp.Compare(nanos(a.CreationDate), nanos(b.CreationDate))
	})
	return out
}

// newService validates a service body for stage st and makes the service.
func newService(st *stageRecord, b serviceBody, now string) (*serviceRecord, error) {
	if err := checkName("serviceName", b.ServiceName); err != nil {
		return nil, err
	}
	if st.service(b.ServiceName) != nil {
		return nil, badRequest("service %q already exists in stage %q", b.ServiceName, st.Name)
	}
	return &serviceRecord{Name: b.ServiceName, CreationDate: now}, nil
}

// nanos reads a creation date (unix nanoseconds in decimal).
func nanos(date string) int64 {
	n, _ := strconv.ParseInt(date, 10, 64) // written by nowNanos, always valid
	return n
}
