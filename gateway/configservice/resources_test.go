package configservice_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"regexp"
	"testing"
)

// levels are the four resource levels of project p (stages dev, prod; service carts in both).
var levels = map[string]string{
	"project":         "/v1/project/p",
	"stage":           "/v1/project/p/stage/dev",
	"stage service":   "/v1/project/p/stage/dev/service/carts",
	"service default": "/v1/project/p/service/carts",
}

var versionPattern = regexp.MustCompile(`^[0-9a-f]{40}$`)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// versionOf checks a 201 answer and returns its version.
func versionOf(t testing.TB, r response) string {
	t.Helper()
	want(t, r, http.StatusCreated)
	v, _ := decode[obj](t, r)["version"].(string)
	if !versionPattern.MatchString(v) {
		t.Fatalf("version %q is not 40 hex characters", v)
	}
	return v
}

func TestResourcesAtEveryLevel(t *testing.T) {
	for name, level := range levels {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.createProject(t, "p", []string{"dev", "prod"}, "carts")
			versions := map[string]bool{}
			add := func(v string) {
				if versions[v] {
					t.Errorf("version %s repeats", v)
				}
				versions[v] = true
			}

			r := e.do(t, "GET", level+"/resource", nil)
			want(t, r, http.StatusOK)
			if !bytes.Contains(r.body, []byte(`"resources":[]`)) {
				t.Errorf("empty list: %s", r.body)
			}

			add(versionOf(t, e.do(t, "POST", level+"/resource", obj{"resources": []obj{
				{"resourceURI": "values.yaml", "resourceContent": b64("replicas: 1\n")},
				{"resourceURI": "/helm/chart.tgz", "resourceContent": b64("chart")},
			}})))
			add(versionOf(t, e.do(t, "PUT", level+"/resource", obj{"resources": []obj{
				{"resourceURI": "a.yaml", "resourceContent": b64("a")},
				{"resourceURI": "values.yaml", "resourceContent": b64("replicas: 2\n")},
			}})))

			r = e.do(t, "GET", level+"/resource", nil)
			want(t, r, http.StatusOK)
			list := items(t, r, "resources")
			equal(t, "resources", names(list, "resourceURI"), []string{"a.yaml", "helm/chart.tgz", "values.yaml"})
			for _, it := range list {
				if _, has := it["resourceContent"]; has {
					t.Errorf("the list carries content: %v", it)
				}
			}

			r = e.do(t, "GET", level+"/resource/helm%2Fchart.tgz", nil)
			want(t, r, http.StatusOK)
			res := decode[obj](t, r)
			if res["resourceURI"] != "helm/chart.tgz" || res["resourceContent"] != b64("chart") {
				t.Errorf("resource: %s", r.body)
			}
			r = e.do(t, "GET", level+"/resource/values.yaml", nil)
			if got := decode[obj](t, r)["resourceContent"]; got != b64("replicas: 2\n") {
				t.Errorf("values.yaml after PUT = %v", got)
			}

			// PUT of one: the path's URI wins over the body's.
			add(versionOf(t, e.do(t, "PUT", level+"/resource/helm%2Fchart.tgz", obj{"resourceURI": "other", "resourceContent": b64("chart v2")})))
			r = e.do(t, "GET", level+"/resource/helm%2Fchart.tgz", nil)
			if got := decode[obj](t, r)["resourceContent"]; got != b64("chart v2") {
				t.Errorf("chart after PUT = %v", got)
			}
			want(t, e.do(t, "GET", level+"/resource/other", nil), http.StatusNotFound)
			// PUT of one makes it when missing.
			add(versionOf(t, e.do(t, "PUT", level+"/resource/new.txt", obj{"resourceURI": "new.txt", "resourceContent": b64("n")})))

			want(t, e.do(t, "DELETE", level+"/resource/helm%2Fchart.tgz", nil), http.StatusNoContent)
			want(t, e.do(t, "GET", level+"/resource/helm%2Fchart.tgz", nil), http.StatusNotFound)
			want(t, e.do(t, "DELETE", level+"/resource/helm%2Fchart.tgz", nil), http.StatusBadRequest)
			add(versionOf(t, e.do(t, "POST", level+"/resource", obj{"resources": []obj{{"resourceURI": "b.yaml", "resourceContent": ""}}})))
			r = e.do(t, "GET", level+"/resource", nil)
			equal(t, "resources after delete", names(items(t, r, "resources"), "resourceURI"), []string{"a.yaml", "b.yaml", "new.txt", "values.yaml"})
			r = e.do(t, "GET", level+"/resource/b.yaml", nil)
			want(t, r, http.StatusOK)
			if got := decode[obj](t, r)["resourceContent"]; got != "" {
				t.Errorf("empty content = %v", got)
			}
		})
	}
}

func TestResourceLevelsAreSeparate(t *testing.T) {
	e := newEnv(t)
	e.createProject(t, "p", []string{"dev", "prod"}, "carts")
	want(t, e.do(t, "POST", "/v1/project/p/service/carts/resource", obj{"resources": []obj{{"resourceURI": "default.yaml", "resourceContent": b64("d")}}}), http.StatusCreated)
	want(t, e.do(t, "POST", "/v1/project/p/stage/dev/resource", obj{"resources": []obj{{"resourceURI": "stage.yaml", "resourceContent": b64("s")}}}), http.StatusCreated)
	want(t, e.do(t, "GET", "/v1/project/p/stage/dev/service/carts/resource/default.yaml", nil), http.StatusNotFound)
	want(t, e.do(t, "GET", "/v1/project/p/resource/stage.yaml", nil), http.StatusNotFound)
	want(t, e.do(t, "GET", "/v1/project/p/stage/prod/resource/stage.yaml", nil), http.StatusNotFound)
	want(t, e.do(t, "GET", "/v1/project/p/stage/dev/service/carts/resource/stage.yaml", nil), http.StatusNotFound)
	r := e.do(t, "GET", "/v1/project/p/resource", nil)
	if n := len(items(t, r, "resources")); n != 0 {
		t.Errorf("the project level lists %d resources of other levels", n)
	}
}

func TestResourceContentRoundTripsBytes(t *testing.T) {
	e := newEnv(t)
	e.createProject(t, "p", nil)
	content := make([]byte, 256)
	for i := range content {
		content[i] = byte(i)
	}
	enc := base64.StdEncoding.EncodeToString(content)
	want(t, e.do(t, "PUT", "/v1/project/p/resource/bin%2Fall.bytes", obj{"resourceURI": "bin/all.bytes", "resourceContent": enc}), http.StatusCreated)
	r := e.do(t, "GET", "/v1/project/p/resource/bin%2Fall.bytes", nil)
	if got := decode[obj](t, r)["resourceContent"]; got != enc {
		t.Errorf("content = %v, want %v", got, enc)
	}
}

func TestResourceURIValidation(t *testing.T) {
	e := newEnv(t)
	e.createProject(t, "p", []string{"dev"}, "carts")
	want(t, e.do(t, "POST", "/v1/project/p/resource", obj{"resources": []obj{{"resourceURI": "ok.yaml", "resourceContent": b64("x")}}}), http.StatusCreated)

	for _, enc := range []string{"..", "%2E%2E", "..%2Fetc%2Fpasswd", "a%2F..%2F..%2Fb", "a%2F%2Fb", "a%2F", "%2F", "%2F%2F", "%2F%2Fa", "a%5Cb", "..%5Cx", "a%00b", "a%0Ab", "%7F", "%FF"} {
		for name, level := range levels {
			want(t, e.do(t, "GET", level+"/resource/"+enc, nil), http.StatusNotFound)
			if name == "project" {
				want(t, e.do(t, "PUT", level+"/resource/"+enc, obj{"resourceURI": "x", "resourceContent": b64("x")}), http.StatusBadRequest)
				want(t, e.do(t, "DELETE", level+"/resource/"+enc, nil), http.StatusBadRequest)
			}
		}
	}
	for _, uri := range []string{"", "/", "..", "../x", "a/../b", "a//b", "a/", ".", "./", `a\b`, "a\x00b", "a\tb", "a\u007fb"} {
		want(t, e.do(t, "POST", "/v1/project/p/resource", obj{"resources": []obj{{"resourceURI": uri, "resourceContent": b64("x")}}}), http.StatusBadRequest)
		want(t, e.do(t, "PUT", "/v1/project/p/stage/dev/resource", obj{"resources": []obj{{"resourceURI": uri, "resourceContent": b64("x")}}}), http.StatusBadRequest)
	}
	// Nothing of the refused requests was written.
	r := e.do(t, "GET", "/v1/project/p/resource", nil)
	equal(t, "resources", names(items(t, r, "resources"), "resourceURI"), []string{"ok.yaml"})
}

// ServeMux would redirect a path with literal dot or empty segments to the cleaned path (another
// resource), and the router would take an encoded trailing "/" for a tolerated trailing slash;
// the role answers such paths itself instead.
func TestNonCanonicalPathsAreRefusedNotRedirected(t *testing.T) {
	e := newEnv(t)
	e.createProject(t, "p", nil)
	want(t, e.do(t, "PUT", "/v1/project/p/resource/secret.yaml", obj{"resourceURI": "secret.yaml", "resourceContent": b64("x")}), http.StatusCreated)
	for _, path := range []string{
		"/v1/project/p/resource/a/../secret.yaml", "/v1/project/p/resource/./secret.yaml", "/v1/project/p/resource//secret.yaml",
		"/v1//project/p", "//", "///", "/v1/project/%2F", "/v1/project/p%2F", "/v1/project/p/resource/secret.yaml%2F",
	} {
		want(t, e.do(t, "GET", path, nil), http.StatusNotFound)
		want(t, e.do(t, "DELETE", path, nil), http.StatusBadRequest)
	}
	want(t, e.do(t, "DELETE", "/v1/project/p/stage/s/service/x/approval/../a", nil), http.StatusNotFound)
	want(t, e.do(t, "GET", "/v1/project/p/resource/secret.yaml", nil), http.StatusOK)
}

// A "/" in the resourceURI of a path must be encoded: unencoded, the path is another (unknown) one.
func TestResourceURIInPathMustBeEncoded(t *testing.T) {
	e := newEnv(t)
	e.createProject(t, "p", nil)
	want(t, e.do(t, "PUT", "/v1/project/p/resource/helm%2Fchart.tgz", obj{"resourceURI": "helm/chart.tgz", "resourceContent": b64("c")}), http.StatusCreated)
	want(t, e.do(t, "GET", "/v1/project/p/resource/helm%2fchart.tgz", nil), http.StatusOK)
	want(t, e.do(t, "GET", "/v1/project/p/resource/helm/chart.tgz", nil), http.StatusNotFound)
}

func TestResourceBodyValidation(t *testing.T) {
	e := newEnv(t)
	e.createProject(t, "p", nil)
	for name, body := range map[string]any{
		"no resources":       obj{},
		"null resources":     obj{"resources": nil},
		"empty resources":    obj{"resources": []obj{}},
		"item without URI":   obj{"resources": []obj{{"resourceContent": b64("x")}}},
		"null item":          `{"resources":[null]}`,
		"invalid base64":     obj{"resources": []obj{{"resourceURI": "a", "resourceContent": "not base64!"}}},
		"url-safe base64":    obj{"resources": []obj{{"resourceURI": "a", "resourceContent": "-_-_"}}},
		"bad padding":        obj{"resources": []obj{{"resourceURI": "a", "resourceContent": "YQ="}}},
		"second item is bad": obj{"resources": []obj{{"resourceURI": "a", "resourceContent": "YQ=="}, {"resourceURI": "b", "resourceContent": "%%%"}}},
		"content not string": obj{"resources": []obj{{"resourceURI": "a", "resourceContent": 5}}},
		"malformed":          `{"resources":[`,
		"array":              `[]`,
	} {
		t.Run(name, func(t *testing.T) {
			for _, m := range []string{"POST", "PUT"} {
				want(t, e.doRaw(t, m, "/v1/project/p/resource", "application/json", marshal(t, body)), http.StatusBadRequest)
			}
		})
	}
	for name, body := range map[string]any{
		"invalid base64": obj{"resourceURI": "a", "resourceContent": "***"},
		"malformed":      `{`,
		"not an object":  `"x"`,
	} {
		t.Run("one/"+name, func(t *testing.T) {
			want(t, e.doRaw(t, "PUT", "/v1/project/p/resource/a", "application/json", marshal(t, body)), http.StatusBadRequest)
		})
	}
	r := e.do(t, "GET", "/v1/project/p/resource", nil)
	if n := len(items(t, r, "resources")); n != 0 {
		t.Errorf("refused bodies wrote %d resources", n)
	}
}

func TestResourcesOfUnknownParents(t *testing.T) {
	e := newEnv(t)
	e.createProject(t, "p", []string{"dev"}, "carts")
	want(t, e.do(t, "POST", "/v1/project/p/stage/dev/service", obj{"serviceName": "lonely"}), http.StatusNoContent)
	want(t, e.do(t, "DELETE", "/v1/project/p/stage/dev/service/lonely", nil), http.StatusNoContent)
	body := obj{"resources": []obj{{"resourceURI": "a", "resourceContent": b64("a")}}}
	for _, level := range []string{
		"/v1/project/nope", "/v1/project/p/stage/nope", "/v1/project/nope/stage/dev",
		"/v1/project/p/stage/dev/service/nope", "/v1/project/p/stage/nope/service/carts",
		"/v1/project/p/service/nope", "/v1/project/nope/service/carts",
		"/v1/project/p/service/lonely", // the service exists in no stage any more
	} {
		want(t, e.do(t, "GET", level+"/resource", nil), http.StatusNotFound)
		want(t, e.do(t, "GET", level+"/resource/a", nil), http.StatusNotFound)
		want(t, e.do(t, "POST", level+"/resource", body), http.StatusBadRequest)
		want(t, e.do(t, "PUT", level+"/resource", body), http.StatusBadRequest)
		want(t, e.do(t, "PUT", level+"/resource/a", obj{"resourceURI": "a", "resourceContent": b64("a")}), http.StatusBadRequest)
		want(t, e.do(t, "DELETE", level+"/resource/a", nil), http.StatusBadRequest)
	}
}

// Deleting a stage or service deletes its resources; a service's defaults go with its last stage.
func TestDeletingStagesAndServicesDeletesTheirResources(t *testing.T) {
	e := newEnv(t)
	e.createProject(t, "p", []string{"dev", "prod"}, "carts")
	body := obj{"resources": []obj{{"resourceURI": "a", "resourceContent": b64("a")}}}
	for _, level := range []string{"/v1/project/p/stage/dev", "/v1/project/p/stage/dev/service/carts", "/v1/project/p/stage/prod/service/carts", "/v1/project/p/service/carts"} {
		want(t, e.do(t, "POST", level+"/resource", body), http.StatusCreated)
	}
	want(t, e.do(t, "DELETE", "/v1/project/p/stage/dev", nil), http.StatusNoContent)
	want(t, e.do(t, "POST", "/v1/project/p/stage", obj{"stageName": "dev", "services": []obj{{"serviceName": "carts"}}}), http.StatusNoContent)
	want(t, e.do(t, "GET", "/v1/project/p/stage/dev/resource/a", nil), http.StatusNotFound)
	want(t, e.do(t, "GET", "/v1/project/p/stage/dev/service/carts/resource/a", nil), http.StatusNotFound)
	// carts still lives in prod: its defaults stay.
	want(t, e.do(t, "GET", "/v1/project/p/service/carts/resource/a", nil), http.StatusOK)
	want(t, e.do(t, "GET", "/v1/project/p/stage/prod/service/carts/resource/a", nil), http.StatusOK)

	want(t, e.do(t, "DELETE", "/v1/project/p/stage/prod/service/carts", nil), http.StatusNoContent)
	want(t, e.do(t, "GET", "/v1/project/p/service/carts/resource/a", nil), http.StatusOK) // still in dev
	want(t, e.do(t, "DELETE", "/v1/project/p/stage/dev/service/carts", nil), http.StatusNoContent)
	want(t, e.do(t, "POST", "/v1/project/p/stage/prod/service", obj{"serviceName": "carts"}), http.StatusNoContent)
	want(t, e.do(t, "GET", "/v1/project/p/service/carts/resource/a", nil), http.StatusNotFound)
	want(t, e.do(t, "GET", "/v1/project/p/stage/prod/service/carts/resource/a", nil), http.StatusNotFound)
}

func TestVersionsChangeOnEveryWrite(t *testing.T) {
	e := newEnv(t)
	e.createProject(t, "p", []string{"dev"})
	seen := map[string]bool{}
	same := obj{"resources": []obj{{"resourceURI": "a", "resourceContent": b64("a")}}}
	for range 5 {
		v := versionOf(t, e.do(t, "PUT", "/v1/project/p/resource", same))
		if seen[v] {
			t.Fatalf("version %s repeats for the same change", v)
		}
		seen[v] = true
		v = versionOf(t, e.do(t, "PUT", "/v1/project/p/stage/dev/resource/a", obj{"resourceURI": "a", "resourceContent": b64("a")}))
		if seen[v] {
			t.Fatalf("version %s repeats", v)
		}
		seen[v] = true
	}
}

// The keptn CLI sends a relative file's path as its URI when given no --resourceUri ("./slo.yaml"):
// "." segments are dropped, as upstream's file join does.
func TestResourceURIDotSegmentsAreDropped(t *testing.T) {
	e := newEnv(t)
	e.createProject(t, "p", []string{"dev"})
	want(t, e.do(t, "POST", "/v1/project/p/resource", obj{"resources": []obj{
		{"resourceURI": "./slo.yaml", "resourceContent": b64("x")},
		{"resourceURI": "helm/./chart.tgz", "resourceContent": b64("y")},
	}}), http.StatusCreated)
	r := e.do(t, "GET", "/v1/project/p/resource", nil)
	equal(t, "resources", names(items(t, r, "resources"), "resourceURI"), []string{"helm/chart.tgz", "slo.yaml"})
}
