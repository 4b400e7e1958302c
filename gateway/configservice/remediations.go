package configservice

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/httpx"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/ids"
)

// The remediations of a service in a stage, under
// /v1/project/{projectName}/stage/{stageName}/service/{serviceName}/remediation. They are
// addressed by their keptnContext; closing a context removes all its remediations.

// createRemediation: POST .../remediation. The keptnContext is required; the eventId (a UUID)
// and time (now) are filled in when missing; a second remediation with the same eventId is
// refused.
func (s *Service) createRemediation(w http.ResponseWriter, r *http.Request) {
	var rem remediation
	if err := httpx.DecodeJSON(r, &rem); err != nil {
		s.fail(w, r, err, http.StatusBadRequest)
		return
	}
	if rem.KeptnContext == "" {
		s.fail(w, r, badRequest("keptnContext is required"), http.StatusBadRequest)
		return
	}
	if rem.EventID == "" {
		rem.EventID = ids.NewUUID()
	}
	if rem.Time == "" {
		rem.Time = nowRFC3339()
	}
	err := s.changeService(r, func(svc *serviceRecord) error {
		if slices.ContainsFunc(svc.Remediations, func(x remediation) bool { return x.EventID == rem.EventID }) {
			return badRequest("remediation %q already exists", rem.EventID)
		}
		svc.Remediations = append(svc.Remediations, rem)
		return nil
	})
	if err != nil {
		s.fail(w, r, err, http.StatusNotFound)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, rem)
}

// getRemediations: GET .../remediation, the open remediations in creation order.
func (s *Service) getRemediations(w http.ResponseWriter, r *http.Request) {
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
	writePage(w, pg, "remediations", svc.Remediations)
}

// getRemediationsForContext: GET .../remediation/{keptnContext}; 404 when the context has none.
func (s *Service) getRemediationsForContext(w http.ResponseWriter, r *http.Request) {
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
	ctx := r.PathValue("keptnContext")
	var out []remediation
	for _, x := range svc.Remediations {
		if x.KeptnContext == ctx {
			out = append(out, x)
		}
	}
	if len(out) == 0 {
		httpx.WriteError(w, http.StatusNotFound, "no open remediation has the keptnContext %q", ctx)
		return
	}
	writePage(w, pg, "remediations", out)
}

// closeRemediations: DELETE .../remediation/{keptnContext}, closing all remediations of the
// context; 200 without a body.
func (s *Service) closeRemediations(w http.ResponseWriter, r *http.Request) {
	ctx := r.PathValue("keptnContext")
	err := s.changeService(r, func(svc *serviceRecord) error {
		n := len(svc.Remediations)
		svc.Remediations = slices.DeleteFunc(svc.Remediations, func(x remediation) bool { return x.KeptnContext == ctx })
		if len(svc.Remediations) == n {
			return &missingError{fmt.Sprintf("no open remediation has the keptnContext %q", ctx)}
		}
		return nil
	})
	if err != nil {
		s.fail(w, r, err, http.StatusNotFound)
		return
	}
	w.WriteHeader(http.StatusOK)
}
