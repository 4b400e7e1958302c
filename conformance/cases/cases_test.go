package cases

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/conformance/target"
)

func TestCatalogueCoversTheSpecs(t *testing.T) {
	gaps, err := Gaps(All())
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range gaps {
		t.Error(g)
	}
}

func TestCaseNamesAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range All() {
		if seen[c.Name()] {
			t.Errorf("two cases named %q", c.Name())
		}
		seen[c.Name()] = true
	}
	for _, rc := range RouteChecks() {
		if seen[rc.Name()] {
			t.Errorf("two checks named %q", rc.Name())
		}
		seen[rc.Name()] = true
	}
}

// answer is a transport that answers every request with 200 and no body, so the suite's requests
// can be built and checked without a gateway.
type answer struct{ got []*http.Request }

func (a *answer) RoundTrip(r *http.Request) (*http.Response, error) {
	a.got = append(a.got, r)
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
}

// Every request the catalogue sends, except the deliberately broken ones, is valid by the spec:
// a broken fixture would blame the gateway for the suite's mistake.
func TestEveryRequestIsValidByTheSpec(t *testing.T) {
	tgt, err := target.Connect(&target.Description{Kind: "test", HTTP: "http://gateway.test", Token: "token-0123456789",
		Session: &target.Credentials{Username: "u", Password: "p"}})
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{Target: tgt, Base: "http://gateway.test"}
	for _, c := range All() {
		w := NewWorld()
		w.Session, w.SessionUser, w.SessionPassword = "keptn_session=x", "u", "p"
		w.Response = map[string]any{"keptnContext": "c"}
		req, err := env.Request(c, w)
		if err != nil {
			t.Errorf("%s: %v", c.Name(), err)
			continue
		}
		client := &contract.Client{HTTP: &http.Client{Transport: &answer{}}, Base: env.Base}
		ex, err := client.Do(context.Background(), req)
		if err != nil {
			t.Errorf("%s: %v", c.Name(), err)
			continue
		}
		problems := contract.ValidateRequest(ex)
		if c.Negative && len(problems) == 0 && c.RawBody == nil && c.Header["Content-Type"] == "" && c.Mutate == nil {
			// Negative cases that are valid requests must not be marked negative without reason.
			if len(c.Query) == 0 {
				t.Errorf("%s: marked negative, but its request is valid", c.Name())
			}
		}
		if !c.Negative {
			for _, p := range problems {
				t.Errorf("%s: %s", c.Name(), p)
			}
		}
	}
}

// Every explicit grade of the catalogue, the derived checks and the token matrix is acceptable
// (a MUST on an upstream or standards source, a SHOULD of ours with its reason); where the JSON
// 401 is a SHOULD, the 401 itself is still a MUST check of the operation.
func TestExplicitGradesAreValid(t *testing.T) {
	for _, c := range All() {
		if c.Grade != (grade.Grade{}) {
			if err := c.Grade.Valid(); err != nil {
				t.Errorf("%s: %v", c.Name(), err)
			}
		}
	}
	matrix, err := TokenMatrix()
	if err != nil {
		t.Fatal(err)
	}
	levels := map[string][]grade.Level{}
	for _, a := range matrix {
		if a.Grade != (grade.Grade{}) {
			if err := a.Grade.Valid(); err != nil {
				t.Errorf("%s: %v", a.Name(), err)
			}
		}
		levels[a.Op] = append(levels[a.Op], a.Grade.Level)
	}
	for op, ls := range levels {
		if slices.Contains(ls, grade.Should) && len(ls) != 2 {
			t.Errorf("%s: a SHOULD JSON 401 without its MUST 401 check", op)
		}
	}
}

// A template over the gateway's answer that the answer cannot fill is the gateway's failure (a
// behaviour problem), while a broken template of the suite's own stays an error.
func TestAnAnswerLackingWhatTheNextRequestNeedsIsAProblem(t *testing.T) {
	w := &World{Response: map[string]any{"totalCount": 3}}
	_, err := render("{{.Response.nextPageKey}}", w)
	if p, ok := answerProblem(err); !ok || p.Check != contract.CheckBehaviour || !strings.Contains(p.Message, "nextPageKey") {
		t.Errorf("a missing nextPageKey: %v (problem %+v, %v)", err, p, ok)
	}
	_, err = render("{{.NoSuchField}}", w)
	if _, ok := answerProblem(err); ok || err == nil {
		t.Errorf("a template bug of the suite's own became a gateway problem: %v", err)
	}
}

// The walks read the documented default page size from the specs.
func TestPagingReadsTheDocumentedDefaultPageSize(t *testing.T) {
	for _, p := range PagingChecks() {
		if d := defaultPageSize(p.Op); d != 20 {
			t.Errorf("%s: default page size %d, want the specs' 20", p.Op, d)
		}
	}
}

// A redirect may name its target relative or absolute (RFC 9110 §10.2.2).
func TestLocationRelativeOrAbsolute(t *testing.T) {
	req, _ := url.Parse("http://127.0.0.1:30080/")
	for loc, ok := range map[string]bool{"/bridge/": true, "http://127.0.0.1:30080/bridge/": true, "http://127.0.0.1/bridge/": true,
		"https://keptn.example.com/bridge/": true, "/bridge": false, "/api/swagger-ui/": false, "": false, "/bridge/?x=1": false} {
		if got := locates(req, loc, "/bridge/"); got != ok {
			t.Errorf("Location %q: %v, want %v", loc, got, ok)
		}
	}
}

// A case at a list's documented maximum page size asks for a maximum the spec gives: one whose
// spec lost its maximum would ask for 0 and prove nothing.
func TestPageBoundsAskForTheSpecsMaximum(t *testing.T) {
	n := 0
	for _, c := range All() {
		if c.Feature != FeaturePageBounds {
			continue
		}
		n++
		if c.Query["pageSize"] == "0" || c.Query["limit"] == "0" {
			t.Errorf("%s asks for a maximum of 0: its spec gives none", c.Name())
		}
	}
	if n == 0 {
		t.Error("no case asks for a documented maximum page size")
	}
}
