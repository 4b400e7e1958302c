package configservice_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
)

func TestPagingOfProjects(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"e", "d", "c", "b", "a"} {
		e.createProject(t, name, nil)
	}
	type page struct {
		keys  []string
		next  string
		total float64
		size  float64
	}
	get := func(query string) page {
		t.Helper()
		r := e.do(t, "GET", "/v1/project"+query, nil)
		want(t, r, http.StatusOK)
		env := decode[obj](t, r)
		return page{names(items(t, r, "projects"), "projectName"), env["nextPageKey"].(string), env["totalCount"].(float64), env["pageSize"].(float64)}
	}

	p := get("")
	if !slices.Equal(p.keys, []string{"e", "d", "c", "b", "a"}) || p.next != "0" || p.total != 5 || p.size != 20 {
		t.Errorf("default page: %+v (want creation order)", p)
	}
	p = get("?pageSize=2")
	if !slices.Equal(p.keys, []string{"e", "d"}) || p.next != "2" || p.total != 5 || p.size != 2 {
		t.Errorf("page 1: %+v", p)
	}
	p = get("?pageSize=2&nextPageKey=2")
	if !slices.Equal(p.keys, []string{"c", "b"}) || p.next != "4" || p.total != 5 {
		t.Errorf("page 2: %+v", p)
	}
	p = get("?pageSize=2&nextPageKey=4&disableUpstreamSync=true")
	if !slices.Equal(p.keys, []string{"a"}) || p.next != "0" || p.total != 5 {
		t.Errorf("page 3: %+v", p)
	}
	for _, q := range []string{"?nextPageKey=5", "?nextPageKey=1000", "?nextPageKey=99999999999999999999999"} {
		if p = get(q); len(p.keys) != 0 || p.next != "0" || p.total != 5 {
			t.Errorf("%s: %+v", q, p)
		}
	}
	if p = get("?pageSize=50&nextPageKey=&disableUpstreamSync=false"); len(p.keys) != 5 || p.size != 50 {
		t.Errorf("pageSize=50: %+v", p)
	}
	if p = get("?pageSize=5"); p.next != "0" {
		t.Errorf("an exactly full last page: %+v", p)
	}
	for _, q := range []string{
		"pageSize=0", "pageSize=51", "pageSize=-1", "pageSize=abc", "pageSize=1.5", "pageSize=2e1",
		"nextPageKey=-1", "nextPageKey=abc", "nextPageKey=1.0", "nextPageKey=%20",
		"disableUpstreamSync=maybe", "disableUpstreamSync=2",
	} {
		want(t, e.do(t, "GET", "/v1/project?"+q, nil), http.StatusBadRequest)
	}
}

// Every list follows the same paging: chaining pageSize=1 pages yields the whole list, and bad
// parameters are 400.
func TestPagingOfEveryList(t *testing.T) {
	e := newEnv(t)
	e.createProject(t, "p", []string{"dev", "staging", "prod"}, "carts", "orders", "db")
	for i := range 3 {
		res := obj{"resources": []obj{{"resourceURI": fmt.Sprintf("r%d.yaml", i), "resourceContent": b64("x")}}}
		for _, level := range levels {
			want(t, e.do(t, "POST", level+"/resource", res), http.StatusCreated)
		}
		want(t, e.do(t, "POST", carts+"/approval", obj{"eventId": fmt.Sprint("a", i)}), http.StatusOK)
		want(t, e.do(t, "POST", carts+"/remediation", obj{"keptnContext": "ctx", "eventId": fmt.Sprint("r", i)}), http.StatusOK)
	}
	e.createProject(t, "q", nil)
	e.createProject(t, "r", nil)

	lists := map[string]string{
		"/v1/project":                          "projects",
		"/v1/project/p/stage":                  "stages",
		"/v1/project/p/stage/dev/service":      "services",
		"/v1/project/p/service":                "services",
		carts + "/approval":                    "approvals",
		carts + "/remediation":                 "remediations",
		carts + "/remediation/ctx":             "remediations",
		"/v1/project/p/resource":               "resources",
		"/v1/project/p/stage/dev/resource":     "resources",
		carts + "/resource":                    "resources",
		"/v1/project/p/service/carts/resource": "resources",
	}
	for path, key := range lists {
		t.Run(path, func(t *testing.T) {
			r := e.do(t, "GET", path, nil)
			want(t, r, http.StatusOK)
			all := rawItems(t, r, key)
			if len(all) != 3 {
				t.Fatalf("%d items, want 3", len(all))
			}
			var chained []string
			next := ""
			for range 10 {
				q := "?pageSize=1"
				if next != "" {
					q += "&nextPageKey=" + next
				}
				r := e.do(t, "GET", path+q, nil)
				want(t, r, http.StatusOK)
				chained = append(chained, rawItems(t, r, key)...)
				env := decode[obj](t, r)
				if env["totalCount"] != float64(3) || env["pageSize"] != float64(1) {
					t.Errorf("envelope %s", r.body)
				}
				if next = env["nextPageKey"].(string); next == "0" {
					break
				}
			}
			equal(t, "chained pages", chained, all)
			for _, q := range []string{"pageSize=0", "pageSize=x", "nextPageKey=-3", "disableUpstreamSync=x"} {
				want(t, e.do(t, "GET", path+"?"+q, nil), http.StatusBadRequest)
			}
		})
	}
}

// rawItems returns the items of a list answer as compact JSON texts.
func rawItems(t testing.TB, r response, key string) []string {
	t.Helper()
	var out []string
	for _, it := range items(t, r, key) {
		b, _ := json.Marshal(it)
		out = append(out, string(bytes.TrimSpace(b)))
	}
	return out
}
