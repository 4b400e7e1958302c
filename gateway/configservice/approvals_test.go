package configservice_test

import (
	"bytes"
	"net/http"
	"regexp"
	"testing"
	"time"
)

const carts = "/v1/project/p/stage/dev/service/carts"

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestApprovals(t *testing.T) {
	e := newEnv(t)
	e.createProject(t, "p", []string{"dev", "prod"}, "carts")

	r := e.do(t, "GET", carts+"/approval", nil)
	want(t, r, http.StatusOK)
	if !bytes.Contains(r.body, []byte(`"approvals":[]`)) {
		t.Errorf("empty list: %s", r.body)
	}

	given := obj{"keptnContext": "ctx-1", "eventId": "ev-1", "time": "2020-05-01T10:00:00Z", "image": "registry.example/carts", "tag": "0.11.2"}
	r = e.do(t, "POST", carts+"/approval", given)
	want(t, r, http.StatusOK)
	if got := decode[obj](t, r); !sameObj(got, given) {
		t.Errorf("stored approval %v, want %v", got, given)
	}

	// eventId and time are made when missing.
	r = e.do(t, "POST", carts+"/approval", obj{"keptnContext": "ctx-2", "image": "i"})
	want(t, r, http.StatusOK)
	made := decode[obj](t, r)
	id, _ := made["eventId"].(string)
	if !uuidPattern.MatchString(id) {
		t.Errorf("made eventId %q is not a UUIDv4", id)
	}
	if _, err := time.Parse(time.RFC3339Nano, made["time"].(string)); err != nil {
		t.Errorf("made time: %v", err)
	}

	want(t, e.do(t, "POST", carts+"/approval", obj{"eventId": "ev-1"}), http.StatusBadRequest) // duplicate
	want(t, e.do(t, "POST", carts+"/approval", "{"), http.StatusBadRequest)
	want(t, e.do(t, "POST", carts+"/approval", obj{"eventId": 7}), http.StatusBadRequest)

	r = e.do(t, "GET", carts+"/approval", nil)
	want(t, r, http.StatusOK)
	equal(t, "approvals", names(items(t, r, "approvals"), "eventId"), []string{"ev-1", id})

	r = e.do(t, "GET", carts+"/approval/ev-1", nil)
	want(t, r, http.StatusOK)
	if got := decode[obj](t, r); !sameObj(got, given) {
		t.Errorf("approval %v, want %v", got, given)
	}
	// The service shows its open approvals, only in its stage.
	r = e.do(t, "GET", carts, nil)
	equal(t, "open approvals", names(anyList(decode[obj](t, r)["openApprovals"]), "eventId"), []string{"ev-1", id})
	r = e.do(t, "GET", "/v1/project/p/stage/prod/service/carts/approval", nil)
	if n := len(items(t, r, "approvals")); n != 0 {
		t.Errorf("prod has %d approvals of dev", n)
	}

	r = e.do(t, "DELETE", carts+"/approval/ev-1", nil)
	want(t, r, http.StatusOK)
	want(t, e.do(t, "GET", carts+"/approval/ev-1", nil), http.StatusNotFound)
	want(t, e.do(t, "DELETE", carts+"/approval/ev-1", nil), http.StatusNotFound)
	r = e.do(t, "GET", carts+"/approval", nil)
	equal(t, "approvals after close", names(items(t, r, "approvals"), "eventId"), []string{id})
	r = e.do(t, "GET", carts, nil)
	equal(t, "open approvals after close", names(anyList(decode[obj](t, r)["openApprovals"]), "eventId"), []string{id})
}

func TestApprovalsOfUnknownParents(t *testing.T) {
	e := newEnv(t)
	e.createProject(t, "p", []string{"dev"}, "carts")
	want(t, e.do(t, "POST", carts+"/approval", obj{"eventId": "a"}), http.StatusOK)
	for _, svc := range []string{"/v1/project/nope/stage/dev/service/carts", "/v1/project/p/stage/nope/service/carts", "/v1/project/p/stage/dev/service/nope"} {
		want(t, e.do(t, "POST", svc+"/approval", obj{"eventId": "b"}), http.StatusNotFound)
		want(t, e.do(t, "GET", svc+"/approval", nil), http.StatusNotFound)
		want(t, e.do(t, "GET", svc+"/approval/a", nil), http.StatusNotFound)
		want(t, e.do(t, "DELETE", svc+"/approval/a", nil), http.StatusNotFound)
	}
	want(t, e.do(t, "GET", carts+"/approval/nope", nil), http.StatusNotFound)
}

// sameObj compares two decoded JSON objects of strings.
func sameObj(a, b obj) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
