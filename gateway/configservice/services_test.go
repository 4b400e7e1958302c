package configservice_test

import (
	"bytes"
	"net/http"
	"testing"
)

func TestStageServices(t *testing.T) {
	e := newEnv(t)
	e.createProject(t, "p", []string{"dev", "prod"})
	const dev = "/v1/project/p/stage/dev/service"

	r := e.do(t, "GET", dev, nil)
	want(t, r, http.StatusOK)
	if !bytes.Contains(r.body, []byte(`"services":[]`)) {
		t.Errorf("empty list: %s", r.body)
	}
	for _, name := range []string{"carts", "orders", "db"} {
		want(t, e.do(t, "POST", dev, obj{"serviceName": name}), http.StatusNoContent)
	}
	r = e.do(t, "GET", dev, nil)
	want(t, r, http.StatusOK)
	equal(t, "services", names(items(t, r, "services"), "serviceName"), []string{"carts", "orders", "db"})

	r = e.do(t, "GET", dev+"/orders", nil)
	want(t, r, http.StatusOK)
	svc := decode[obj](t, r)
	if svc["serviceName"] != "orders" || svc["creationDate"] == "" {
		t.Errorf("service: %s", r.body)
	}
	want(t, e.do(t, "PUT", dev+"/orders", obj{"serviceName": "renamed"}), http.StatusNoContent)
	want(t, e.do(t, "GET", dev+"/orders", nil), http.StatusOK)
	want(t, e.do(t, "GET", dev+"/renamed", nil), http.StatusNotFound)

	want(t, e.do(t, "DELETE", dev+"/orders", nil), http.StatusNoContent)
	want(t, e.do(t, "GET", dev+"/orders", nil), http.StatusNotFound)
	r = e.do(t, "GET", dev, nil)
	equal(t, "services after delete", names(items(t, r, "services"), "serviceName"), []string{"carts", "db"})
	// The service lives per stage.
	want(t, e.do(t, "GET", "/v1/project/p/stage/prod/service/carts", nil), http.StatusNotFound)
}

func TestStageServiceErrors(t *testing.T) {
	e := newEnv(t)
	e.createProject(t, "p", []string{"dev"}, "carts")
	const dev = "/v1/project/p/stage/dev/service"
	for name, body := range map[string]any{
		"no name":    obj{},
		"bad name":   obj{"serviceName": "-carts"},
		"exists":     obj{"serviceName": "carts"},
		"malformed":  `{`,
		"wrong type": obj{"serviceName": []string{"a"}},
	} {
		t.Run(name, func(t *testing.T) {
			want(t, e.doRaw(t, "POST", dev, "application/json", marshal(t, body)), http.StatusBadRequest)
		})
	}
	want(t, e.do(t, "POST", "/v1/project/p/stage/nope/service", obj{"serviceName": "x"}), http.StatusBadRequest)
	want(t, e.do(t, "POST", "/v1/project/nope/stage/dev/service", obj{"serviceName": "x"}), http.StatusBadRequest)

	want(t, e.do(t, "GET", "/v1/project/p/stage/nope/service", nil), http.StatusNotFound)
	want(t, e.do(t, "GET", "/v1/project/nope/stage/dev/service", nil), http.StatusNotFound)
	want(t, e.do(t, "GET", dev+"/nope", nil), http.StatusNotFound)
	want(t, e.do(t, "PUT", dev+"/nope", obj{}), http.StatusBadRequest)
	want(t, e.do(t, "PUT", "/v1/project/p/stage/nope/service/carts", obj{}), http.StatusBadRequest)
	want(t, e.do(t, "DELETE", dev+"/nope", nil), http.StatusBadRequest)
	want(t, e.do(t, "DELETE", "/v1/project/nope/stage/dev/service/carts", nil), http.StatusBadRequest)
}

func TestProjectServices(t *testing.T) {
	e := newEnv(t)
	e.createProject(t, "p", []string{"dev", "staging", "prod"})
	// carts is made first in prod, then in dev; orders only in staging, after carts.
	want(t, e.do(t, "POST", "/v1/project/p/stage/prod/service", obj{"serviceName": "carts"}), http.StatusNoContent)
	want(t, e.do(t, "POST", "/v1/project/p/stage/staging/service", obj{"serviceName": "orders"}), http.StatusNoContent)
	want(t, e.do(t, "POST", "/v1/project/p/stage/dev/service", obj{"serviceName": "carts"}), http.StatusNoContent)
	want(t, e.do(t, "POST", "/v1/event", obj{
		"type": "sh.keptn.events.deployment-finished", "source": "helm-service", "id": "e1", "shkeptncontext": "ctx1",
		"time": "2020-01-01T00:00:00Z",
		"data": obj{"project": "p", "stage": "prod", "service": "carts", "image": "registry.example/carts", "tag": "0.11.1"},
	}), http.StatusOK)

	r := e.do(t, "GET", "/v1/project/p/service", nil)
	want(t, r, http.StatusOK)
	list := items(t, r, "services")
	equal(t, "services", names(list, "serviceName"), []string{"carts", "orders"})
	carts := list[0]
	equal(t, "carts stages", names(anyList(carts["stageInfo"]), "stageName"), []string{"dev", "prod"})
	prod := anyList(carts["stageInfo"])[1]
	if prod["deployedImage"] != "registry.example/carts:0.11.1" {
		t.Errorf("prod stage info: %v", prod)
	}
	if ev, _ := prod["lastEventTypes"].(obj)["sh.keptn.events.deployment-finished"].(obj); ev["eventId"] != "e1" || ev["keptnContext"] != "ctx1" {
		t.Errorf("prod last events: %v", prod["lastEventTypes"])
	}

	r = e.do(t, "GET", "/v1/project/p/service/orders", nil)
	want(t, r, http.StatusOK)
	orders := decode[obj](t, r)
	equal(t, "orders stages", names(anyList(orders["stageInfo"]), "stageName"), []string{"staging"})

	want(t, e.do(t, "GET", "/v1/project/p/service/nope", nil), http.StatusNotFound)
	want(t, e.do(t, "GET", "/v1/project/nope/service/carts", nil), http.StatusNotFound)
	want(t, e.do(t, "GET", "/v1/project/nope/service", nil), http.StatusNotFound)

	e.createProject(t, "empty", nil)
	r = e.do(t, "GET", "/v1/project/empty/service", nil)
	want(t, r, http.StatusOK)
	if !bytes.Contains(r.body, []byte(`"services":[]`)) {
		t.Errorf("empty list: %s", r.body)
	}
}
