package configservice_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
)

func TestDataSurvivesCloseAndOpen(t *testing.T) {
	e := newEnv(t)
	want(t, e.do(t, "POST", "/v1/project", obj{"projectName": "p", "gitUser": "u", "gitToken": "t",
		"stages": []obj{{"stageName": "dev", "services": []obj{{"serviceName": "carts"}}}, {"stageName": "prod"}}}), http.StatusNoContent)
	e.createProject(t, "q", nil)
	for _, level := range levels {
		want(t, e.do(t, "POST", level+"/resource", obj{"resources": []obj{{"resourceURI": "helm/values.yaml", "resourceContent": b64(level)}}}), http.StatusCreated)
	}
	want(t, e.do(t, "POST", carts+"/approval", obj{"eventId": "a1", "keptnContext": "c"}), http.StatusOK)
	want(t, e.do(t, "POST", carts+"/remediation", obj{"eventId": "r1", "keptnContext": "c"}), http.StatusOK)
	want(t, e.do(t, "POST", "/v1/event", obj{"type": "sh.keptn.events.deployment-finished", "source": "s", "id": "e1",
		"data": obj{"project": "p", "stage": "dev", "service": "carts", "image": "carts", "tag": "1"}}), http.StatusOK)
	v1 := versionOf(t, e.do(t, "PUT", "/v1/project/p/resource/x", obj{"resourceURI": "x", "resourceContent": b64("x")}))

	paths := []string{"/v1/project", "/v1/project/p/service", carts + "/approval", carts + "/remediation/c"}
	for _, level := range levels {
		paths = append(paths, level+"/resource", level+"/resource/helm%2Fvalues.yaml")
	}
	before := map[string]string{}
	for _, path := range paths {
		before[path] = string(e.do(t, "GET", path, nil).body)
	}

	e.stop(t)
	e.start(t)
	for _, path := range paths {
		if got := string(e.do(t, "GET", path, nil).body); got != before[path] {
			t.Errorf("%s after reopening:\n%s\nwant\n%s", path, got, before[path])
		}
	}
	if v2 := versionOf(t, e.do(t, "PUT", "/v1/project/p/resource/x", obj{"resourceURI": "x", "resourceContent": b64("y")})); v2 == v1 {
		t.Errorf("the version did not change after reopening")
	}
}

func TestConcurrentWritesStayConsistent(t *testing.T) {
	e := newEnv(t)
	e.createProject(t, "p", []string{"dev"}, "carts")
	const n = 20
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		versions = map[string]bool{}
		created  int
	)
	check := func(r response, status int) {
		if r.status != status {
			t.Errorf("status %d, want %d: %s", r.status, status, r.body)
		}
	}
	for i := range n {
		wg.Go(func() {
			r := e.do(t, "POST", "/v1/project/p/resource", obj{"resources": []obj{{"resourceURI": fmt.Sprintf("dir/r%02d.yaml", i), "resourceContent": b64(fmt.Sprint(i))}}})
			check(r, http.StatusCreated)
			var v struct{ Version string }
			if err := json.Unmarshal(r.body, &v); err != nil || v.Version == "" {
				t.Errorf("version answer %s", r.body)
			}
			check(e.do(t, "POST", carts+"/approval", obj{"eventId": fmt.Sprint("a", i)}), http.StatusOK)
			check(e.do(t, "POST", "/v1/project/p/stage/dev/service", obj{"serviceName": fmt.Sprint("s", i)}), http.StatusNoContent)
			check(e.do(t, "POST", "/v1/event", obj{"type": fmt.Sprint("t", i), "source": "s", "data": obj{"project": "p", "stage": "dev", "service": "carts"}}), http.StatusOK)
			dup := e.do(t, "POST", "/v1/project", obj{"projectName": "dup"})
			mu.Lock()
			defer mu.Unlock()
			if versions[v.Version] {
				t.Errorf("version %s given twice", v.Version)
			}
			versions[v.Version] = true
			if dup.status == http.StatusNoContent {
				created++
			} else {
				check(dup, http.StatusBadRequest)
			}
		})
	}
	wg.Wait()
	if created != 1 {
		t.Errorf("project dup was created %d times", created)
	}
	r := e.do(t, "GET", "/v1/project/p/resource?pageSize=50", nil)
	if got := len(items(t, r, "resources")); got != n {
		t.Errorf("%d resources, want %d", got, n)
	}
	r = e.do(t, "GET", carts+"/approval?pageSize=50", nil)
	if got := len(items(t, r, "approvals")); got != n {
		t.Errorf("%d approvals, want %d", got, n)
	}
	r = e.do(t, "GET", "/v1/project/p/stage/dev/service?pageSize=50", nil)
	if got := len(items(t, r, "services")); got != n+1 {
		t.Errorf("%d services, want %d", got, n+1)
	}
	r = e.do(t, "GET", carts, nil)
	if types, _ := decode[obj](t, r)["lastEventTypes"].(obj); len(types) != n {
		t.Errorf("%d last event types, want %d", len(types), n)
	}
}
