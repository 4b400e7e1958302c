package configservice_test

import (
	"bytes"
	"net/http"
	"testing"
)

func TestRemediations(t *testing.T) {
	e := newEnv(t)
	e.createProject(t, "p", []string{"dev"}, "carts")

	r := e.do(t, "GET", carts+"/remediation", nil)
	want(t, r, http.StatusOK)
	if !bytes.Contains(r.body, []byte(`"remediations":[]`)) {
		t.Errorf("empty list: %s", r.body)
	}

	first := obj{"keptnContext": "ctx-1", "eventId": "r1", "time": "2020-05-01T10:00:00Z", "type": "sh.keptn.event.remediation.triggered", "action": "scale"}
	r = e.do(t, "POST", carts+"/remediation", first)
	want(t, r, http.StatusOK)
	if got := decode[obj](t, r); !sameObj(got, first) {
		t.Errorf("stored %v, want %v", got, first)
	}
	r = e.do(t, "POST", carts+"/remediation", obj{"keptnContext": "ctx-1", "type": "sh.keptn.event.remediation.status.changed"})
	want(t, r, http.StatusOK)
	second := decode[obj](t, r)
	if !uuidPattern.MatchString(second["eventId"].(string)) || second["time"] == "" {
		t.Errorf("made fields: %v", second)
	}
	want(t, e.do(t, "POST", carts+"/remediation", obj{"keptnContext": "ctx-2", "eventId": "r3"}), http.StatusOK)

	want(t, e.do(t, "POST", carts+"/remediation", obj{"eventId": "r4"}), http.StatusBadRequest) // no keptnContext
	want(t, e.do(t, "POST", carts+"/remediation", obj{"keptnContext": "ctx-9", "eventId": "r1"}), http.StatusBadRequest)
	want(t, e.do(t, "POST", carts+"/remediation", `[]`), http.StatusBadRequest)

	r = e.do(t, "GET", carts+"/remediation", nil)
	equal(t, "remediations", names(items(t, r, "remediations"), "eventId"), []string{"r1", second["eventId"].(string), "r3"})
	r = e.do(t, "GET", carts+"/remediation/ctx-1", nil)
	want(t, r, http.StatusOK)
	equal(t, "ctx-1", names(items(t, r, "remediations"), "eventId"), []string{"r1", second["eventId"].(string)})
	r = e.do(t, "GET", carts+"/remediation/ctx-1?pageSize=1", nil)
	want(t, r, http.StatusOK)
	if p := decode[obj](t, r); p["nextPageKey"] != "1" || p["totalCount"] != float64(2) {
		t.Errorf("page: %s", r.body)
	}
	want(t, e.do(t, "GET", carts+"/remediation/ctx-1?pageSize=x", nil), http.StatusBadRequest)
	want(t, e.do(t, "GET", carts+"/remediation/nope", nil), http.StatusNotFound)
	r = e.do(t, "GET", carts, nil)
	equal(t, "open remediations", names(anyList(decode[obj](t, r)["openRemediations"]), "eventId"), []string{"r1", second["eventId"].(string), "r3"})

	want(t, e.do(t, "DELETE", carts+"/remediation/ctx-1", nil), http.StatusOK)
	want(t, e.do(t, "GET", carts+"/remediation/ctx-1", nil), http.StatusNotFound)
	want(t, e.do(t, "DELETE", carts+"/remediation/ctx-1", nil), http.StatusNotFound)
	r = e.do(t, "GET", carts+"/remediation", nil)
	equal(t, "remediations after close", names(items(t, r, "remediations"), "eventId"), []string{"r3"})
	r = e.do(t, "GET", carts, nil)
	equal(t, "open remediations after close", names(anyList(decode[obj](t, r)["openRemediations"]), "eventId"), []string{"r3"})
}

func TestRemediationsOfUnknownParents(t *testing.T) {
	e := newEnv(t)
	e.createProject(t, "p", []string{"dev"}, "carts")
	want(t, e.do(t, "POST", carts+"/remediation", obj{"keptnContext": "c"}), http.StatusOK)
	for _, svc := range []string{"/v1/project/nope/stage/dev/service/carts", "/v1/project/p/stage/nope/service/carts", "/v1/project/p/stage/dev/service/nope"} {
		want(t, e.do(t, "POST", svc+"/remediation", obj{"keptnContext": "c"}), http.StatusNotFound)
		want(t, e.do(t, "GET", svc+"/remediation", nil), http.StatusNotFound)
		want(t, e.do(t, "GET", svc+"/remediation/c", nil), http.StatusNotFound)
		want(t, e.do(t, "DELETE", svc+"/remediation/c", nil), http.StatusNotFound)
	}
}
