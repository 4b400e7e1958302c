package profiles

import (
	"testing"

	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
)

// Every check the suite declares carries a valid grade, and a profile's checks have distinct texts
// (a report result is found by its profile and text).
func TestEveryCheckIsGradedAndSourced(t *testing.T) {
	all, err := Declarations()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[[2]string]bool{}
	for _, d := range all {
		if err := d.Grade.Valid(); err != nil {
			t.Errorf("%s %q: %v", d.Profile, d.Text, err)
		}
		key := [2]string{d.Profile, d.Text}
		if seen[key] {
			t.Errorf("%s: two checks say %q", d.Profile, d.Text)
		}
		seen[key] = true
		if g, ok, err := GradeOf(d.Profile, d.Text); err != nil || !ok || g != d.Grade {
			t.Errorf("%s %q: GradeOf gives %v, %v, %v", d.Profile, d.Text, g, ok, err)
		}
	}
}

// The grades problems of the procedure profiles carry beside their check's are valid SHOULDs.
func TestProblemGradesAreValidShoulds(t *testing.T) {
	for name, g := range map[string]grade.Grade{"cookie scope": cookieScopeGrade, "TLS 1.3": tls13Grade, "seamless certificate swap": seamlessSwapGrade} {
		if err := g.Valid(); err != nil || g.Level != grade.Should {
			t.Errorf("%s: %v (%s)", name, err, g.Level)
		}
	}
}
