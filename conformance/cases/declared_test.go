package cases

import (
	"testing"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
)

// The grades problems carry beside their check's are valid SHOULDs: a problem's grade only weakens.
func TestProblemGradesAreValidShoulds(t *testing.T) {
	op, err := Operation("getProject")
	if err != nil {
		t.Fatal(err)
	}
	for name, g := range map[string]grade.Grade{
		"error model": errorModelGrade(op), "keep the token": keepTokenGrade, "specs in use": inUseGrade,
	} {
		if err := g.Valid(); err != nil || g.Level != grade.Should {
			t.Errorf("%s: %v (%s)", name, err, g.Level)
		}
	}
	api, err := Operation("getMetadata")
	if err != nil {
		t.Fatal(err)
	}
	if g := errorModelGrade(api); g.Level != "" {
		t.Errorf("api-service's 401 error model is its upstream's (a MUST of the matrix), got %v", g)
	}
}

// A result's id depends on its profile and text only, and a finding's on its grade as well.
func TestResultIDsAreStable(t *testing.T) {
	a := ResultID(ProfileCore, "getProject MUST answer 200", grade.Grade{})
	if a != ResultID(ProfileCore, "getProject MUST answer 200", grade.Grade{}) || a == ResultID(ProfileAuth, "getProject MUST answer 200", grade.Grade{}) {
		t.Fatalf("ids are not a function of profile and text: %s", a)
	}
	g := grade.Grade{Level: grade.Should, Source: grade.Ours("a reason")}
	if f := ResultID(ProfileCore, "getProject MUST answer 200", g); f == a {
		t.Fatalf("a finding shares its check's id %s", a)
	}
}

// A SHOULD finding does not stop a case: only a problem at the check's own grade does.
func TestFindingsDoNotStopACase(t *testing.T) {
	finding := Result{Problems: []contract.Problem{{Check: CheckErrorModel, Grade: keepTokenGrade}}}
	if finding.Failed() {
		t.Error("a SHOULD problem counts as a failure of its case")
	}
	finding.Problems = append(finding.Problems, contract.Problem{Check: CheckUnauthorized})
	if !finding.Failed() {
		t.Error("a problem at the check's grade does not fail its case")
	}
}
