package selftest

import (
	"net/http"
	"strings"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
)

// upstreamGapFaults keep the suite's allowances for upstream 0.7.3's gaps (an operation it leaves
// unimplemented, an answer it writes without its body) to those gaps: a 501 from an operation
// upstream implements is a server error, and an answer left without its body is still a finding.
func upstreamGapFaults() []Fault {
	return []Fault{
		{Name: "an operation upstream implements answered 501 Not Implemented (getStageResources)", Check: contract.CheckServerError, Labels: "Op:getStageResources",
			Wrap: func(next http.Handler, h *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/resource") && strings.Contains(r.URL.Path, "/stage/") && !strings.Contains(r.URL.Path, "/service/") && r.Header.Get("x-token") == h.currentToken() {
						writeJSON(w, http.StatusNotImplemented, map[string]any{"code": http.StatusNotImplemented, "message": "operation getStageResources has not yet been implemented"})
						return
					}
					next.ServeHTTP(w, r)
				})
			}},
		// Behind upstream's answers (its stubs' 501 among them), a check that reads a stub beside
		// implemented operations still judges those: the stub's level is left out, not the check.
		{Name: "behind upstream 0.7.3's answers, a delete taking its neighbours' resources", Check: contract.CheckBehaviour, Labels: "Feature:DeleteScope",
			Wrap: func(next http.Handler, h *Harness) http.Handler {
				return goSwaggerAnswers(neighboursTaken.Wrap(next, h), h)
			}},
		{Name: "behind upstream 0.7.3's answers, a deleted project's or service's resources left behind", Check: contract.CheckBehaviour, Labels: "Feature:Recreate",
			Wrap: func(next http.Handler, h *Harness) http.Handler { return goSwaggerAnswers(leftBehind.Wrap(next, h), h) }},
		// A stub answers a valid request with the token: without one, upstream's front answers 401.
		{Name: "an operation upstream leaves unimplemented answered 501 without a token, not 401", Check: cases.CheckUnauthorized, Labels: "Profile:Auth && Op:deleteStageResource",
			Wrap: func(next http.Handler, h *Harness) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if unimplemented(r) != "" && r.Header.Get("x-token") != h.currentToken() {
						writeJSON(w, http.StatusNotImplemented, map[string]any{"code": http.StatusNotImplemented, "message": "operation " + unimplemented(r) + " has not yet been implemented"})
						return
					}
					next.ServeHTTP(w, r)
				})
			}},
		{Name: "a new approval answered with no body", Check: contract.CheckBodySchema, Labels: "Op:createApproval", Level: grade.Should,
			Wrap: func(next http.Handler, _ *Harness) http.Handler {
				return rewrite(next, func(r *http.Request) bool {
					return r.Method == http.MethodPost && createdForService.MatchString(r.URL.Path)
				},
					func(_ *http.Request, a *Answer) {
						if a.Status == http.StatusOK {
							noBody(a, http.StatusOK)
						}
					})
			}},
	}
}
