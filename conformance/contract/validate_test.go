package contract

import (
	"net/http"
	"slices"
	"testing"

	"github.com/keptn-conformance/keptn-conformance/specs"
)

func answer(t *testing.T, opID string, status int, body string) *Exchange {
	t.Helper()
	ops, err := specs.AllOperations()
	if err != nil {
		t.Fatal(err)
	}
	for i := range ops {
		if ops[i].ID() == opID {
			return &Exchange{Op: &ops[i], Response: &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}}}, RespBody: []byte(body)}
		}
	}
	t.Fatalf("no operation %s", opID)
	return nil
}

// A property its schema does not declare is reported where it is, at SHOULD; what the schema
// leaves open (a free object, a map, alternatives such as keptnservices' object or string, an
// event's data) is not.
func TestUndeclaredProperties(t *testing.T) {
	for _, c := range []struct {
		op, body string
		want     []string
	}{
		{"getMetadata", `{"namespace":"keptn","keptnservices":{"anything":"goes","nested":{"x":1}}}`, nil},
		{"getMetadata", `{"namespace":"keptn","keptnservices":"api-service,configuration-service"}`, nil},
		{"getMetadata", `{"namespace":"keptn","keptnVersion":"0.7.3"}`, []string{"/keptnVersion"}},
		{"getProjects", `{"totalCount":1,"projects":[{"projectName":"p","creationTime":"1","stages":[{"stageName":"dev","services":[{"serviceName":"s","lastEventTypes":{"sh.keptn.x":{"keptnContext":"c","color":"red"}}}]}]}]}`,
			[]string{"/projects/0/creationTime", "/projects/0/stages/0/services/0/lastEventTypes/sh.keptn.x/color"}},
		{"getEvents", `{"events":[{"data":{"free":true},"extensions":{"any":1},"source":"s","type":"t","a/b":1}]}`, []string{"/events/0/a~1b"}},
	} {
		var got []string
		for _, p := range UndeclaredProperties(answer(t, c.op, 200, c.body)) {
			if p.Check != CheckBodyUndeclared || p.Grade != UndeclaredGrade {
				t.Errorf("%s: %v: wrong check or grade", c.op, p)
			}
			got = append(got, p.Where)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s %s: undeclared at %v, want %v", c.op, c.body, got, c.want)
		}
	}
}

// An empty list written as null, as upstream's go-swagger services write one, is a finding at
// SHOULD where the schema documents an array, read as [] by the rest of the schema check: a null
// that is not an empty list's (an object documented) is still a schema failure.
func TestNullArraysAreFindings(t *testing.T) {
	for _, c := range []struct {
		op, body string
		should   []string // where the SHOULD findings are
		must     bool     // a MUST problem besides
	}{
		{"getEvents", `{"events":null,"totalCount":0}`, []string{"/events"}, false},
		{"getEvents", `{"events":[{"data":{},"source":"s","type":"t","extensions":null}]}`, nil, true},
		{"getProject", `{"projectName":"p","stages":[{"stageName":"dev","services":[{"serviceName":"s","openApprovals":null,"openRemediations":null}]}]}`,
			[]string{"/stages/0/services/0/openApprovals", "/stages/0/services/0/openRemediations"}, false},
		{"getProject", `{"projectName":"p","stages":null}`, []string{"/stages"}, false},
		{"getEvents", `{"events":[]}`, nil, false},
	} {
		ex := answer(t, c.op, 200, c.body)
		ex.Request, _ = http.NewRequest(http.MethodGet, "http://gateway.example/", nil)
		var should []string
		must := false
		for _, p := range ValidateResponse(ex) {
			if p.Grade == NullArrayGrade {
				should = append(should, p.Where)
			} else {
				must = true
			}
		}
		if !slices.Equal(should, c.should) || must != c.must {
			t.Errorf("%s %s: findings at %v and a MUST problem %v, want %v and %v: %v", c.op, c.body, should, must, c.should, c.must, ValidateResponse(ex))
		}
	}
}
