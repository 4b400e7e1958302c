package selftest

import (
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/conformance/report"
)

// FailedAt lists the failed results of a run at a level: a failed MUST check, or a SHOULD
// finding (a SHOULD spec's, or one beside a MUST spec); each as "profile: check".
func (o Outcome) FailedAt(level grade.Level) []string {
	var out []string
	for _, r := range o.Report.Results {
		if r.Outcome == report.Failed && r.Level == level {
			out = append(out, r.Profile+": "+r.Check)
		}
	}
	return out
}
