package apiservice

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway/configservice"
	"github.com/keptn-conformance/keptn-conformance/gateway/datastore"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/auth"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/httpx"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/store"
)

const testToken = "0123456789abcdef0123456789abcdef01234567"

var errCrash = errors.New("crash injected")

// roles are the three stores of a data directory, wired in process as the all-in-one gateway does.
type roles struct {
	api *Service
	cs  *configservice.Service
	ds  *datastore.Service
}

func open(t *testing.T, dir string) *roles {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	cs, err := configservice.Open(dir, log, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := datastore.Open(dir, log, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.TokenFromValue(testToken, "the test", log)
	if err != nil {
		t.Fatal(err)
	}
	csClient, _ := httpx.NewClient("http://configuration-service", httpx.InProcess{Handler: cs.Handler()})
	dsClient, _ := httpx.NewClient("http://mongodb-datastore", httpx.InProcess{Handler: ds.Handler()})
	api, err := Open(Options{DataDir: dir, Tokens: tokens, ConfigurationService: csClient, Datastore: dsClient, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	return &roles{api: api, cs: cs, ds: ds}
}

// restart closes the stores, as a crash would leave them, and opens them again.
func (r *roles) restart(t *testing.T, dir string) *roles {
	r.close()
	return open(t, dir)
}

func (r *roles) close() {
	r.api.Close()
	r.ds.Close()
	r.cs.Close()
}

func (r *roles) do(method, path string, body any) *httptest.ResponseRecorder {
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Token", testToken)
	rec := httptest.NewRecorder()
	h := r.api.Handler()
	if !strings.HasPrefix(path, "/v1/project") || method == http.MethodGet {
		h = r.cs.Handler()
	}
	if strings.HasPrefix(path, "/event") {
		h = r.ds.Handler()
	}
	h.ServeHTTP(rec, req)
	return rec
}

// state says how much of project p exists: "whole", "nothing", or what is missing.
func (r *roles) state(p string) string {
	project := r.cs.Handler()
	rec := httptest.NewRecorder()
	project.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/project/"+p, nil))
	hasProject := rec.Code == http.StatusOK
	rec = httptest.NewRecorder()
	project.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/project/"+p+"/resource/shipyard.yaml", nil))
	hasShipyard := rec.Code == http.StatusOK
	rec = httptest.NewRecorder()
	r.ds.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/event?project="+p+"&type="+eventProjectCreate, nil))
	var evs struct {
		Events []json.RawMessage `json:"events"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &evs)
	hasEvent := len(evs.Events) == 1
	switch {
	case hasProject && hasShipyard && hasEvent:
		return "whole"
	case !hasProject && !hasShipyard && !hasEvent:
		return "nothing"
	}
	return strings.Join([]string{"project " + map[bool]string{true: "there", false: "missing"}[hasProject],
		"shipyard " + map[bool]string{true: "there", false: "missing"}[hasShipyard],
		"create event " + map[bool]string{true: "there", false: "missing"}[hasEvent]}, ", ")
}

// journaled counts the plans in the journal.
func (r *roles) journaled() int {
	n := 0
	_ = r.api.db.View(func(tx *store.Tx) error {
		return store.ForEach(tx, bucketJournal, func(_, _ []byte) error { n++; return nil })
	})
	return n
}

// await polls until cond holds (the recovery runs in the background) or fails.
func await(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var createSteps = []string{"journaled", "project", "shipyard", "datastore event", "configuration-service event"}

func projectBody(name string) map[string]string {
	return map[string]string{"name": name, "shipyard": base64.StdEncoding.EncodeToString([]byte("stages:\n  - name: dev\n  - name: prod\n"))}
}

// A crash injected after each step of a project's creation leaves, after a restart, the whole
// project (the journaled plan is completed at start); a retry then finds it whole.
func TestCrashDuringProjectCreationAcrossRestart(t *testing.T) {
	for _, step := range createSteps {
		t.Run(step, func(t *testing.T) {
			dir := t.TempDir()
			r := open(t, dir)
			setCrash(r.api, func(s string) error {
				if s == step {
					return errCrash
				}
				return nil
			})
			if rec := r.do("POST", "/v1/project", projectBody("sockshop")); rec.Code != http.StatusInternalServerError {
				t.Fatalf("the crashed request answered %d %s", rec.Code, rec.Body)
			}
			r = r.restart(t, dir)
			defer r.close()
			await(t, "the project whole after the restart", func() bool { return r.state("sockshop") == "whole" && r.journaled() == 0 })
			if rec := r.do("POST", "/v1/project", projectBody("sockshop")); rec.Code != http.StatusConflict {
				t.Errorf("a retry after the recovery answered %d %s, want 409 (the project is whole)", rec.Code, rec.Body)
			}
			t.Logf("crash after %q, restart: %s", step, r.state("sockshop"))
		})
	}
}

// A crash before anything is journaled leaves nothing; a retry without a restart completes an
// interrupted creation and answers 200.
func TestCrashDuringProjectCreationRetry(t *testing.T) {
	dir := t.TempDir()
	r := open(t, dir)
	defer r.close()
	if rec := r.do("POST", "/v1/project", map[string]string{"name": "broken", "shipyard": "not base64!"}); rec.Code != http.StatusBadRequest {
		t.Fatalf("a bad shipyard answered %d", rec.Code)
	}
	if got := r.state("broken"); got != "nothing" {
		t.Fatalf("a refused creation left %s", got)
	}
	for _, step := range createSteps {
		name := "retry-" + strings.ReplaceAll(step, " ", "-")
		setCrash(r.api, func(s string) error {
			if s == step {
				return errCrash
			}
			return nil
		})
		if rec := r.do("POST", "/v1/project", projectBody(name)); rec.Code != http.StatusInternalServerError {
			t.Fatalf("crash after %q: the request answered %d", step, rec.Code)
		}
		r.api.crash.Store(nil)
		rec := r.do("POST", "/v1/project", projectBody(name))
		if rec.Code != http.StatusOK {
			t.Errorf("crash after %q: the retry answered %d %s, want 200", step, rec.Code, rec.Body)
		}
		if got := r.state(name); got != "whole" {
			t.Errorf("crash after %q, retry: %s", step, got)
		}
	}
}

// Deleting a project and creating and deleting a service are journaled too: a crash midway is
// completed at the next start.
func TestCrashDuringServiceAndDeletion(t *testing.T) {
	dir := t.TempDir()
	r := open(t, dir)
	if rec := r.do("POST", "/v1/project", projectBody("shop")); rec.Code != http.StatusOK {
		t.Fatalf("creating the project: %d %s", rec.Code, rec.Body)
	}
	services := func() int {
		rec := httptest.NewRecorder()
		r.cs.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/v1/project/shop/stage/prod/service", nil))
		var out struct {
			Services []json.RawMessage `json:"services"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		return len(out.Services)
	}
	setCrash(r.api, func(s string) error {
		if s == "stage dev" {
			return errCrash
		}
		return nil
	})
	if rec := r.do("POST", "/v1/project/shop/service", map[string]string{"serviceName": "carts"}); rec.Code != http.StatusInternalServerError {
		t.Fatalf("the crashed service creation answered %d", rec.Code)
	}
	if services() != 0 {
		t.Fatal("the crash came too late: prod already has the service")
	}
	r = r.restart(t, dir)
	await(t, "the service in every stage after the restart", func() bool { return services() == 1 })
	setCrash(r.api, func(s string) error {
		if s == "project" {
			return errCrash
		}
		return nil
	})
	if rec := r.do("DELETE", "/v1/project/shop", nil); rec.Code != http.StatusInternalServerError {
		t.Fatalf("the crashed deletion answered %d", rec.Code)
	}
	r = r.restart(t, dir)
	defer r.close()
	await(t, "the project and its events gone after the restart", func() bool { return r.state("shop") == "nothing" })
}

// setCrash sets the crash hook: a plan stops after the step for which it answers an error.
func setCrash(s *Service, crash func(step string) error) { s.crash.Store(&crash) }
