package configservice_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
)

func TestUnknownPathsAndMethods(t *testing.T) {
	e := newEnv(t)
	e.createProject(t, "p", nil)
	for _, path := range []string{"/nope", "/v1", "/v1/nope", "/v1/project/p/nope", "/api/configuration-service/v1/project"} {
		r := e.do(t, "GET", path, nil)
		want(t, r, http.StatusNotFound)
	}
	r := e.do(t, "DELETE", "/v1/project", nil)
	want(t, r, http.StatusMethodNotAllowed)
	if allow := r.header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
		t.Errorf("Allow = %q", allow)
	}
	want(t, e.do(t, "PATCH", "/v1/project/p", obj{}), http.StatusMethodNotAllowed)
	want(t, e.do(t, "POST", "/v1/project/p/resource/a", obj{}), http.StatusMethodNotAllowed)
	want(t, e.do(t, "GET", "/v1/event", nil), http.StatusMethodNotAllowed)
	// Methods of the item route on the list route, with and without a trailing slash.
	want(t, e.do(t, "DELETE", "/v1/project/p/resource", nil), http.StatusMethodNotAllowed)
	want(t, e.do(t, "DELETE", "/v1/project/p/resource/", nil), http.StatusMethodNotAllowed)
	want(t, e.do(t, "DELETE", "/v1/project/p/stage/s/service/x/approval", nil), http.StatusMethodNotAllowed)
}

// The keptn CLI asks for "/v1/project/" with a trailing slash.
func TestTrailingSlashIsTolerated(t *testing.T) {
	e := newEnv(t)
	e.createProject(t, "p", []string{"dev"})
	r := e.do(t, "GET", "/v1/project/", nil)
	want(t, r, http.StatusOK)
	equal(t, "projects", names(items(t, r, "projects"), "projectName"), []string{"p"})
	want(t, e.do(t, "GET", "/v1/project/p/stage/dev/", nil), http.StatusOK)
}

// Bodies must be declared JSON: 400 otherwise (the spec documents 400, not 415).
func TestBodiesMustBeJSON(t *testing.T) {
	e := newEnv(t)
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded"} {
		want(t, e.doRaw(t, "POST", "/v1/project", ct, []byte(`{"projectName":"q"}`)), http.StatusBadRequest)
	}
	want(t, e.doRaw(t, "POST", "/v1/project", "application/json; charset=utf-8", []byte(`{"projectName":"q"}`)), http.StatusNoContent)
	want(t, e.doRaw(t, "POST", "/v1/project", "application/vnd.keptn+json", []byte(`{"projectName":"r"}`)), http.StatusNoContent)
}

// Every operation of the spec is routed: none answers the router's 404 or 405.
func TestEveryOperationIsRouted(t *testing.T) {
	e := newEnv(t)
	values := strings.NewReplacer("{projectName}", "p", "{stageName}", "dev", "{serviceName}", "carts",
		"{resourceURI}", "helm%2Fx.yaml", "{approvalID}", "a", "{keptnContext}", "c")
	for _, op := range e.doc.Operations() {
		path := "/v1" + values.Replace(op.Path)
		var body any
		if op.Operation.RequestBody != nil {
			body = obj{}
		}
		r := e.do(t, op.Method, path, body)
		if r.status == http.StatusMethodNotAllowed || bytes.Contains(r.body, []byte("no such path")) {
			t.Errorf("%s %s (%s) is not routed: %d %s", op.Method, path, op.ID(), r.status, r.body)
		}
	}
}
