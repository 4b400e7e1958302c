package configservice_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestProjectListIsEmptyArrayNotNull(t *testing.T) {
	e := newEnv(t)
	r := e.do(t, "GET", "/v1/project", nil)
	want(t, r, http.StatusOK)
	if !bytes.Contains(r.body, []byte(`"projects":[]`)) {
		t.Errorf("empty list: %s", r.body)
	}
	page := decode[obj](t, r)
	if page["nextPageKey"] != "0" || page["totalCount"] != float64(0) || page["pageSize"] != float64(20) {
		t.Errorf("envelope: %s", r.body)
	}
}

func TestProjectLifecycle(t *testing.T) {
	e := newEnv(t)
	r := e.do(t, "POST", "/v1/project", obj{
		"projectName": "sockshop", "gitUser": "alice", "gitRemoteURI": "https://git.example/sockshop.git", "gitToken": "s3cr3t-token",
		"stages": []obj{
			{"stageName": "dev", "services": []obj{{"serviceName": "carts"}, {"serviceName": "orders"}}},
			{"stageName": "prod", "services": []obj{{"serviceName": "carts"}}},
		},
	})
	want(t, r, http.StatusNoContent)

	r = e.do(t, "GET", "/v1/project/sockshop", nil)
	want(t, r, http.StatusOK)
	if bytes.Contains(r.body, []byte("s3cr3t-token")) || bytes.Contains(r.body, []byte("gitToken")) {
		t.Errorf("the git token leaks: %s", r.body)
	}
	p := decode[obj](t, r)
	if p["projectName"] != "sockshop" || p["gitUser"] != "alice" || p["gitRemoteURI"] != "https://git.example/sockshop.git" {
		t.Errorf("project: %s", r.body)
	}
	if _, err := strconv.ParseInt(p["creationDate"].(string), 10, 64); err != nil {
		t.Errorf("creationDate %v is not unix nanoseconds", p["creationDate"])
	}
	stages := p["stages"].([]any)
	if len(stages) != 2 || stages[0].(obj)["stageName"] != "dev" || stages[1].(obj)["stageName"] != "prod" {
		t.Fatalf("stages: %v", stages)
	}
	dev := stages[0].(obj)["services"].([]any)
	if len(dev) != 2 || dev[0].(obj)["serviceName"] != "carts" || dev[1].(obj)["serviceName"] != "orders" {
		t.Errorf("dev services: %v", dev)
	}
	carts := dev[0].(obj)
	if !bytes.Contains(r.body, []byte(`"openApprovals":[]`)) || !bytes.Contains(r.body, []byte(`"openRemediations":[]`)) ||
		!bytes.Contains(r.body, []byte(`"lastEventTypes":{}`)) {
		t.Errorf("service lists must be [] and {}: %v", carts)
	}

	r = e.do(t, "GET", "/v1/project", nil)
	want(t, r, http.StatusOK)
	equal(t, "projects", names(items(t, r, "projects"), "projectName"), []string{"sockshop"})
	if bytes.Contains(r.body, []byte("s3cr3t-token")) {
		t.Errorf("the git token leaks in the list: %s", r.body)
	}

	// Update: git fields present change, the path's name wins over the body's.
	want(t, e.do(t, "PUT", "/v1/project/sockshop", obj{"projectName": "other", "gitUser": "bob", "gitToken": "new-token"}), http.StatusNoContent)
	r = e.do(t, "GET", "/v1/project/sockshop", nil)
	want(t, r, http.StatusOK)
	p = decode[obj](t, r)
	if p["gitUser"] != "bob" || p["gitRemoteURI"] != "https://git.example/sockshop.git" || bytes.Contains(r.body, []byte("new-token")) {
		t.Errorf("after update: %s", r.body)
	}
	want(t, e.do(t, "GET", "/v1/project/other", nil), http.StatusNotFound)

	want(t, e.do(t, "DELETE", "/v1/project/sockshop", nil), http.StatusNoContent)
	want(t, e.do(t, "GET", "/v1/project/sockshop", nil), http.StatusNotFound)
	want(t, e.do(t, "DELETE", "/v1/project/sockshop", nil), http.StatusBadRequest)
	want(t, e.do(t, "PUT", "/v1/project/sockshop", obj{"gitUser": "x"}), http.StatusBadRequest)
}

func TestCreateProjectRejects(t *testing.T) {
	e := newEnv(t)
	e.createProject(t, "taken", nil)
	long := "a" + strings.Repeat("b", 199)
	want(t, e.do(t, "POST", "/v1/project", obj{"projectName": long}), http.StatusNoContent) // 200 characters
	for name, body := range map[string]any{
		"no name":           obj{"gitUser": "x"},
		"empty name":        obj{"projectName": ""},
		"upper case":        obj{"projectName": "Sockshop"},
		"leading digit":     obj{"projectName": "1shop"},
		"underscore":        obj{"projectName": "sock_shop"},
		"201 characters":    obj{"projectName": long + "c"},
		"exists":            obj{"projectName": "taken"},
		"name not a string": obj{"projectName": 5},
		"bad stage name":    obj{"projectName": "p1", "stages": []obj{{"stageName": "Dev"}}},
		"no stage name":     obj{"projectName": "p2", "stages": []obj{{}}},
		"duplicate stage":   obj{"projectName": "p3", "stages": []obj{{"stageName": "dev"}, {"stageName": "dev"}}},
		"bad service name":  obj{"projectName": "p4", "stages": []obj{{"stageName": "dev", "services": []obj{{"serviceName": "a/b"}}}}},
		"duplicate service": obj{"projectName": "p5", "stages": []obj{{"stageName": "dev", "services": []obj{{"serviceName": "a"}, {"serviceName": "a"}}}}},
		"malformed JSON":    `{"projectName":`,
		"array":             `[{"projectName":"p6"}]`,
		"two values":        `{"projectName":"p7"} {}`,
		"empty body":        "",
	} {
		t.Run(name, func(t *testing.T) {
			r := e.doRaw(t, "POST", "/v1/project", "application/json", marshal(t, body))
			want(t, r, http.StatusBadRequest)
			if name == "exists" && !strings.Contains(string(r.body), "already exists") {
				t.Errorf("message: %s", r.body)
			}
		})
	}
	// Nothing of the refused bodies was created.
	r := e.do(t, "GET", "/v1/project", nil)
	equal(t, "projects", names(items(t, r, "projects"), "projectName"), []string{"taken", long})
}

func TestGetProjectUnknownOrBadNameIs404(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"nope", "Bad", "a%20b", strings.Repeat("a", 201), "%E2%9C%93"} {
		want(t, e.do(t, "GET", "/v1/project/"+name, nil), http.StatusNotFound)
	}
}

func TestProjectShipyardIsTheShipyardResource(t *testing.T) {
	e := newEnv(t)
	e.createProject(t, "p", []string{"dev"})
	r := e.do(t, "GET", "/v1/project/p", nil)
	if s, ok := decode[obj](t, r)["shipyard"]; ok && s != "" {
		t.Errorf("shipyard without the resource: %v", s)
	}
	shipyard := "stages:\n  - name: dev\n"
	want(t, e.do(t, "POST", "/v1/project/p/resource", obj{"resources": []obj{
		{"resourceURI": "shipyard.yaml", "resourceContent": base64.StdEncoding.EncodeToString([]byte(shipyard))},
	}}), http.StatusCreated)
	r = e.do(t, "GET", "/v1/project/p", nil)
	if got := decode[obj](t, r)["shipyard"]; got != shipyard {
		t.Errorf("shipyard = %q, want %q", got, shipyard)
	}
	r = e.do(t, "GET", "/v1/project", nil)
	if got := items(t, r, "projects")[0]["shipyard"]; got != shipyard {
		t.Errorf("shipyard in the list = %q, want %q", got, shipyard)
	}
}

func TestDeleteProjectDeletesEverything(t *testing.T) {
	e := newEnv(t)
	e.createProject(t, "p", []string{"dev"}, "carts")
	res := obj{"resources": []obj{{"resourceURI": "a.yaml", "resourceContent": "YQ=="}}}
	for _, level := range []string{"/v1/project/p", "/v1/project/p/stage/dev", "/v1/project/p/stage/dev/service/carts", "/v1/project/p/service/carts"} {
		want(t, e.do(t, "POST", level+"/resource", res), http.StatusCreated)
	}
	want(t, e.do(t, "POST", "/v1/project/p/stage/dev/service/carts/approval", obj{"eventId": "a1"}), http.StatusOK)
	want(t, e.do(t, "POST", "/v1/project/p/stage/dev/service/carts/remediation", obj{"keptnContext": "c1"}), http.StatusOK)

	want(t, e.do(t, "DELETE", "/v1/project/p", nil), http.StatusNoContent)
	e.createProject(t, "p", []string{"dev"}, "carts")
	for _, level := range []string{"/v1/project/p", "/v1/project/p/stage/dev", "/v1/project/p/stage/dev/service/carts", "/v1/project/p/service/carts"} {
		r := e.do(t, "GET", level+"/resource", nil)
		want(t, r, http.StatusOK)
		if n := len(items(t, r, "resources")); n != 0 {
			t.Errorf("%s: %d resources survived the project", level, n)
		}
	}
	want(t, e.do(t, "GET", "/v1/project/p/stage/dev/service/carts/approval/a1", nil), http.StatusNotFound)
	want(t, e.do(t, "GET", "/v1/project/p/stage/dev/service/carts/remediation/c1", nil), http.StatusNotFound)
}
