package configservice

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/httpx"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/ids"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/store"
)

// The approvals of a service in a stage, under
// /v1/project/{projectName}/stage/{stageName}/service/{serviceName}/approval. An approval is
// identified by its eventId; closing one removes it.

// createApproval: POST .../approval. The eventId (a UUID) and time (now) are filled in when
// missing; a second approval with the same eventId is refused.
func (s *Service) createApproval(w http.ResponseWriter, r *http.Request) {
	var a approval
	if err := httpx.DecodeJSON(r, &a); err != nil {
		s.fail(w, r, err, http.StatusBadRequest)
		return
	}
	if a.EventID == "" {
		a.EventID = ids.NewUUID()
	}
	if a.Time == "" {
		a.Time = nowRFC3339()
	}
	err := s.changeService(r, func(svc *serviceRecord) error {
		if slices.ContainsFunc(svc.Approvals, func(x approval) bool { return x.EventID == a.EventID }) {
			return badRequest("approval %q already exists", a.EventID)
		}
		svc.Approvals = append(svc.Approvals, a)
		return nil
	})
	if err != nil {
		s.fail(w, r, err, http.StatusNotFound)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, a)
}

// getApprovals: GET .../approval, the open approvals in creation order.
func (s *Service) getApprovals(w http.ResponseWriter, r *http.Request) {
	pg, err := parsePaging(r)
	if err != nil {
		s.fail(w, r, err, http.StatusNotFound)
		return
	}
	svc, err := s.readService(r)
	if err != nil {
		s.fail(w, r, err, http.StatusNotFound)
		return
	}
	writePage(w, pg, "approvals", svc.Approvals)
}

// getApproval: GET .../approval/{approvalID}.
func (s *Service) getApproval(w http.ResponseWriter, r *http.Request) {
	svc, err := s.readService(r)
	if err != nil {
		s.fail(w, r, err, http.StatusNotFound)
		return
	}
	id := r.PathValue("approvalID")
	i := slices.IndexFunc(svc.Approvals, func(x approval) bool { return x.EventID == id })
	if i < 0 {
		httpx.WriteError(w, http.StatusNotFound, "approval %q does not exist", id)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, svc.Approvals[i])
}

// closeApproval: DELETE .../approval/{approvalID}, 200 without a body.
func (s *Service) closeApproval(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("approvalID")
	err := s.changeService(r, func(svc *serviceRecord) error {
		n := len(svc.Approvals)
		svc.Approvals = slices.DeleteFunc(svc.Approvals, func(x approval) bool { return x.EventID == id })
		if len(svc.Approvals) == n {
			return &missingError{fmt.Sprintf("approval %q does not exist", id)}
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, err, http.StatusNotFound)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// readService reads the service of the request's path (project, stage, service).
func (s *Service) readService(r *http.Request) (*serviceRecord, error) {
	var svc *serviceRecord
	err := s.db.View(func(tx *store.Tx) error {
		var err error
		_, svc, err = loadService(tx, r.PathValue("projectName"), r.PathValue("stageName"), r.PathValue("serviceName"))
		return err
	})
	return svc, err
}

// changeService changes the service of the request's path with fn in one transaction; the
// change is stored when fn returns nil.
func (s *Service) changeService(r *http.Request, fn func(*serviceRecord) error) error {
	return s.db.Update(func(tx *store.Tx) error {
		p, svc, err := loadService(tx, r.PathValue("projectName"), r.PathValue("stageName"), r.PathValue("serviceName"))
		if err != nil {
			return err
		}
		if err := fn(svc); err != nil {
			return err
		}
		return saveProject(tx, p)
	})
}

// nowRFC3339 is the time of an approval or remediation made without one.
func nowRFC3339() string { return time.Now().UTC().Format(time.RFC3339Nano) }
