package report

import (
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/conformance/profiles"
)

func spec(profile, text string, state types.SpecState, failure string, outcomes ...Outcome) types.SpecReport {
	sr := types.SpecReport{LeafNodeType: types.NodeTypeIt, LeafNodeText: text, LeafNodeLabels: []string{ProfileLabel + profile},
		State: state, Failure: types.Failure{Message: failure}}
	for _, o := range outcomes {
		sr.ReportEntries = append(sr.ReportEntries, types.ReportEntry{Name: EntryOutcome, Value: types.WrapEntryValue(o)})
	}
	return sr
}

// A profile's result is its MUST checks'; a failed SHOULD check, and a SHOULD finding beside a
// passing MUST check, are results of level SHOULD that leave it a success.
func TestResultsAreJudgedByLevel(t *testing.T) {
	tls := profiles.TLSChecks()
	var hsts, protocols profiles.TLSCheck
	for _, c := range tls {
		switch {
		case strings.Contains(c.Title, "Strict-Transport-Security"):
			hsts = c
		case strings.Contains(c.Title, "TLS 1.0"):
			protocols = c
		}
	}
	finding := grade.Grade{Level: grade.Should, Source: grade.RFCSection("RFC 9325 §3.1.1")}
	r := types.Report{SuiteSucceeded: true, SpecReports: []types.SpecReport{
		spec(cases.ProfileTLSExtended, hsts.Name(), types.SpecStatePassed, "", Outcome{Checks: []string{profiles.CheckTLSHSTS}, Message: "[tls-hsts] no HSTS"}),
		spec(cases.ProfileTLS, protocols.Name(), types.SpecStatePassed, "", Outcome{Grade: finding, Checks: []string{profiles.CheckTLSProtocols}, Message: "[tls-protocols SHOULD] TLS 1.3 is refused"}),
		{LeafNodeType: types.NodeTypeSynchronizedBeforeSuite, State: types.SpecStateFailed, ParallelProcess: 2, Failure: types.Failure{Message: "process #1 failed"}},
		{LeafNodeType: types.NodeTypeSynchronizedBeforeSuite, State: types.SpecStateFailed, ParallelProcess: 1, Failure: types.Failure{Message: "\x1b[1mthe target cannot be certified\x1b[0m: wrong token"}},
	}}
	rep, err := Build(r, nil, Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Run.Failure != "the target cannot be certified: wrong token" {
		t.Errorf("run.failure %q: want the first process's cause, as plain text", rep.Run.Failure)
	}
	for _, p := range rep.Profiles {
		if p.Result != Success {
			t.Errorf("profile %s: %s, want success (no MUST check failed)", p.Name, p.Result)
		}
	}
	if len(rep.Results) != 3 {
		t.Fatalf("%d results, want 3 (HSTS, protocols, and its finding): %+v", len(rep.Results), rep.Results)
	}
	byID := map[string]Result{}
	for _, res := range rep.Results {
		byID[res.ID] = res
	}
	h := byID[cases.ResultID(cases.ProfileTLSExtended, hsts.Name(), grade.Grade{})]
	if h.Level != grade.Should || h.Outcome != Failed || h.Message != "[tls-hsts] no HSTS" {
		t.Errorf("HSTS result %+v", h)
	}
	p := byID[cases.ResultID(cases.ProfileTLS, protocols.Name(), grade.Grade{})]
	f := byID[cases.ResultID(cases.ProfileTLS, protocols.Name(), finding)]
	if p.Level != grade.Must || p.Outcome != Passed || f.Level != grade.Should || f.Outcome != Failed || f.Source != finding.Source {
		t.Errorf("protocols %+v, its finding %+v", p, f)
	}
	for _, pr := range rep.Profiles {
		if pr.Name == cases.ProfileTLS && (pr.Must != LevelCounts{Passed: 1} || pr.Should != LevelCounts{Failed: 1} || pr.FailedChecks[profiles.CheckTLSProtocols] != 1) {
			t.Errorf("TLS counts: must %+v should %+v failed checks %v", pr.Must, pr.Should, pr.FailedChecks)
		}
	}
	sum := Summary(rep, "")
	if !strings.HasPrefix(strings.TrimSpace(sum), "THE RUN FAILED: the target cannot be certified") {
		t.Errorf("the run's failure is not the summary's headline:\n%s", sum)
	}
	if !strings.Contains(sum, "SHOULD findings") || !strings.Contains(sum, "why: rfc: RFC 9325 §3.1.1") {
		t.Errorf("the summary does not list the findings with their reasons:\n%s", sum)
	}
}

// A spec the suite does not declare has no grade: the report refuses to guess one.
func TestUndeclaredSpecIsAnError(t *testing.T) {
	r := types.Report{SpecReports: []types.SpecReport{spec(cases.ProfileCore, "getProject MUST do something nobody declared", types.SpecStatePassed, "")}}
	if _, err := Build(r, nil, Metadata{}); err == nil {
		t.Fatal("an undeclared spec was given a grade")
	}
}
