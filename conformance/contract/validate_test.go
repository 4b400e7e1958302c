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
