package configservice_test

import (
	"net/http"
	"testing"
)

func TestStages(t *testing.T) {
	e := newEnv(t)
	e.createProject(t, "p", []string{"dev", "staging"}, "carts")

	want(t, e.do(t, "POST", "/v1/project/p/stage", obj{"stageName": "prod", "services": []obj{{"serviceName": "db"}}}), http.StatusNoContent)
	want(t, e.do(t, "POST", "/v1/project/p/stage", obj{"stageName": "hardening"}), http.StatusNoContent)

	r := e.do(t, "GET", "/v1/project/p/stage", nil)
	want(t, r, http.StatusOK)
	stages := items(t, r, "stages")
	equal(t, "stages", names(stages, "stageName"), []string{"dev", "staging", "prod", "hardening"})
	equal(t, "prod services", names(anyList(stages[2]["services"]), "serviceName"), []string{"db"})
	if got := anyList(stages[3]["services"]); got == nil {
		t.Errorf("a stage without services must list [] : %v", stages[3])
	}

	r = e.do(t, "GET", "/v1/project/p/stage/dev", nil)
	want(t, r, http.StatusOK)
	st := decode[obj](t, r)
	if st["stageName"] != "dev" {
		t.Errorf("stage: %s", r.body)
	}
	equal(t, "dev services", names(anyList(st["services"]), "serviceName"), []string{"carts"})

	// Update: the path's name wins, nothing changes.
	want(t, e.do(t, "PUT", "/v1/project/p/stage/dev", obj{"stageName": "renamed"}), http.StatusNoContent)
	want(t, e.do(t, "GET", "/v1/project/p/stage/dev", nil), http.StatusOK)
	want(t, e.do(t, "GET", "/v1/project/p/stage/renamed", nil), http.StatusNotFound)

	want(t, e.do(t, "DELETE", "/v1/project/p/stage/staging", nil), http.StatusNoContent)
	r = e.do(t, "GET", "/v1/project/p/stage", nil)
	equal(t, "stages after delete", names(items(t, r, "stages"), "stageName"), []string{"dev", "prod", "hardening"})
	want(t, e.do(t, "GET", "/v1/project/p/stage/staging", nil), http.StatusNotFound)
	// A stage may be made again: it goes last.
	want(t, e.do(t, "POST", "/v1/project/p/stage", obj{"stageName": "staging"}), http.StatusNoContent)
	r = e.do(t, "GET", "/v1/project/p/stage", nil)
	equal(t, "stages after re-create", names(items(t, r, "stages"), "stageName"), []string{"dev", "prod", "hardening", "staging"})
}

func TestStageErrors(t *testing.T) {
	e := newEnv(t)
	e.createProject(t, "p", []string{"dev"})

	for name, body := range map[string]any{
		"no name":           obj{},
		"bad name":          obj{"stageName": "Dev"},
		"exists":            obj{"stageName": "dev"},
		"bad service":       obj{"stageName": "qa", "services": []obj{{"serviceName": ""}}},
		"duplicate service": obj{"stageName": "qa", "services": []obj{{"serviceName": "a"}, {"serviceName": "a"}}},
		"malformed":         `{"stageName"`,
	} {
		t.Run(name, func(t *testing.T) {
			want(t, e.doRaw(t, "POST", "/v1/project/p/stage", "application/json", marshal(t, body)), http.StatusBadRequest)
		})
	}
	want(t, e.do(t, "POST", "/v1/project/nope/stage", obj{"stageName": "qa"}), http.StatusBadRequest)

	want(t, e.do(t, "GET", "/v1/project/nope/stage", nil), http.StatusNotFound)
	want(t, e.do(t, "GET", "/v1/project/nope/stage/dev", nil), http.StatusNotFound)
	want(t, e.do(t, "GET", "/v1/project/p/stage/nope", nil), http.StatusNotFound)
	want(t, e.do(t, "GET", "/v1/project/p/stage/BAD", nil), http.StatusNotFound)

	want(t, e.do(t, "PUT", "/v1/project/p/stage/nope", obj{}), http.StatusBadRequest)
	want(t, e.do(t, "PUT", "/v1/project/nope/stage/dev", obj{}), http.StatusBadRequest)
	want(t, e.do(t, "PUT", "/v1/project/p/stage/dev", "not json"), http.StatusBadRequest)
	want(t, e.do(t, "DELETE", "/v1/project/p/stage/nope", nil), http.StatusBadRequest)
	want(t, e.do(t, "DELETE", "/v1/project/nope/stage/dev", nil), http.StatusBadRequest)
}

// anyList turns a decoded JSON array of objects into []obj (nil when it is not an array).
func anyList(v any) []obj {
	list, ok := v.([]any)
	if !ok {
		return nil
	}
	out := []obj{}
	for _, x := range list {
		o, _ := x.(obj)
		out = append(out, o)
	}
	return out
}
