package selftest

import (
	"slices"

	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/conformance/report"
)

// FailedAt lists the failed results of a run at a level (as the report grades them), as
// "<profile>: <check>".
func (o Outcome) FailedAt(level grade.Level) []string {
	var out []string
	for _, r := range o.failed(level, "") {
		out = append(out, r.Profile+": "+r.Check)
	}
	return out
}

// CaughtBy lists the levels at which a named check failed in a run (MUST, SHOULD or both).
func (o Outcome) CaughtBy(check string) []grade.Level {
	var out []grade.Level
	for _, l := range []grade.Level{grade.Must, grade.Should} {
		if len(o.failed(l, check)) > 0 {
			out = append(out, l)
		}
	}
	return out
}

// failed are the failed results at a level, those naming check only when check is set.
func (o Outcome) failed(level grade.Level, check string) []report.Result {
	var out []report.Result
	for _, r := range o.Report.Results {
		if r.Outcome == report.Failed && r.Level == level && (check == "" || slices.Contains(r.FailedChecks, check)) {
			out = append(out, r)
		}
	}
	return out
}
