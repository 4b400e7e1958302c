package configservice_test

import (
	"net/http"
	"testing"
)

func TestEventsRecordLastEventsAndDeployedImage(t *testing.T) {
	e := newEnv(t)
	e.createProject(t, "p", []string{"dev", "prod"}, "carts")

	deployed := obj{
		"type": "sh.keptn.events.deployment-finished", "source": "helm-service", "specversion": "0.2", "contenttype": "application/json",
		"id": "ev-1", "shkeptncontext": "ctx-1", "time": "2020-05-01T10:00:00Z",
		"data": obj{"project": "p", "stage": "dev", "service": "carts", "image": "registry.example/keptnexamples/carts", "tag": "0.11.1"},
	}
	r := e.do(t, "POST", "/v1/event", deployed)
	want(t, r, http.StatusOK)
	tested := obj{
		"type": "sh.keptn.events.tests-finished", "source": "jmeter-service", "id": "ev-2", "shkeptncontext": "ctx-1", "time": "2020-05-01T10:05:00Z",
		"data": obj{"project": "p", "stage": "dev", "service": "carts", "image": "ignored"},
	}
	want(t, e.do(t, "POST", "/v1/event", tested), http.StatusOK)

	wantCtx := func(what string, got any, id, when string) {
		t.Helper()
		c, _ := got.(obj)
		if c["keptnContext"] != "ctx-1" || c["eventId"] != id || c["time"] != when {
			t.Errorf("%s = %v, want ctx-1/%s/%s", what, got, id, when)
		}
	}
	r = e.do(t, "GET", "/v1/project/p", nil)
	p := decode[obj](t, r)
	wantCtx("project lastEventContext", p["lastEventContext"], "ev-2", "2020-05-01T10:05:00Z")
	stages := anyList(p["stages"])
	wantCtx("dev lastEventContext", stages[0]["lastEventContext"], "ev-2", "2020-05-01T10:05:00Z")
	if _, has := stages[1]["lastEventContext"]; has {
		t.Errorf("prod has a last event: %v", stages[1])
	}

	r = e.do(t, "GET", "/v1/project/p/stage/dev/service/carts", nil)
	svc := decode[obj](t, r)
	if svc["deployedImage"] != "registry.example/keptnexamples/carts:0.11.1" {
		t.Errorf("deployedImage = %v", svc["deployedImage"])
	}
	types, _ := svc["lastEventTypes"].(obj)
	wantCtx("deployment-finished", types["sh.keptn.events.deployment-finished"], "ev-1", "2020-05-01T10:00:00Z")
	wantCtx("tests-finished", types["sh.keptn.events.tests-finished"], "ev-2", "2020-05-01T10:05:00Z")

	// A deployment without a tag sets the image as is.
	want(t, e.do(t, "POST", "/v1/event", obj{"type": "sh.keptn.event.deployment-finished", "source": "s", "data": obj{"project": "p", "stage": "prod", "service": "carts", "image": "carts:1"}}), http.StatusOK)
	r = e.do(t, "GET", "/v1/project/p/stage/prod/service/carts", nil)
	if got := decode[obj](t, r)["deployedImage"]; got != "carts:1" {
		t.Errorf("prod deployedImage = %v", got)
	}
}

func TestEventsAboutUnknownThingsAreAccepted(t *testing.T) {
	e := newEnv(t)
	e.createProject(t, "p", []string{"dev"}, "carts")
	for _, data := range []any{
		obj{"project": "nope", "stage": "dev", "service": "carts"},
		obj{"project": "p", "stage": "nope", "service": "carts"},
		obj{"project": 5},
		obj{},
		"a string payload",
	} {
		want(t, e.do(t, "POST", "/v1/event", obj{"type": "t", "source": "s", "data": data}), http.StatusOK)
	}
	want(t, e.do(t, "POST", "/v1/event", obj{"type": "t", "source": "s", "id": "x", "data": obj{"project": "p", "stage": "dev", "service": "nope"}}), http.StatusOK)
	r := e.do(t, "GET", "/v1/project/p", nil)
	p := decode[obj](t, r)
	if c, _ := p["lastEventContext"].(obj); c["eventId"] != "x" {
		t.Errorf("project lastEventContext = %v", p["lastEventContext"])
	}
	r = e.do(t, "GET", carts, nil)
	if types, _ := decode[obj](t, r)["lastEventTypes"].(obj); len(types) != 0 {
		t.Errorf("carts recorded %v", types)
	}
}

func TestEventRejects(t *testing.T) {
	e := newEnv(t)
	for name, body := range map[string]any{
		"no type":       obj{"source": "s", "data": obj{}},
		"empty type":    obj{"type": "", "source": "s", "data": obj{}},
		"no source":     obj{"type": "t", "data": obj{}},
		"no data":       obj{"type": "t", "source": "s"},
		"null data":     obj{"type": "t", "source": "s", "data": nil},
		"number data":   obj{"type": "t", "source": "s", "data": 5},
		"array data":    obj{"type": "t", "source": "s", "data": []int{1}},
		"type a number": obj{"type": 1, "source": "s", "data": obj{}},
		"malformed":     `{"type":`,
		"array":         `[]`,
	} {
		t.Run(name, func(t *testing.T) {
			want(t, e.doRaw(t, "POST", "/v1/event", "application/json", marshal(t, body)), http.StatusBadRequest)
		})
	}
}
