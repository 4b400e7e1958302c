package generate

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/specs"
)

// exchangeOf sends a generated input to a server that answers 204 and returns the exchange, so
// that kin-openapi can judge the request as sent.
func exchangeOf(t *rapid.T, c *contract.Client, in Input) *contract.Exchange {
	ex, err := c.Do(context.Background(), in.Request("token-0123456789"))
	if err != nil {
		t.Fatalf("building the request: %v", err)
	}
	return ex
}

// The generator is judged by the specs themselves: a schema-valid input passes kin-openapi's
// request validation, and a violating one fails it, for every operation.
func TestGeneratedRequestsAreWhatTheySay(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer srv.Close()
	c := &contract.Client{HTTP: srv.Client(), Base: srv.URL}
	ops, err := specs.AllOperations()
	if err != nil {
		t.Fatal(err)
	}
	known := Known{"projectName": {"sockshop"}, "shipyard": {"stages:\n  - name: dev\n"}}
	for i := range ops {
		op := &ops[i]
		t.Run(op.ID()+"/valid", rapid.MakeCheck(func(t *rapid.T) {
			in := Draw(t, op, known, false)
			if p := contract.ValidateRequest(exchangeOf(t, c, in)); len(p) > 0 {
				t.Fatalf("a schema-valid input breaks the spec: %v", p)
			}
		}))
		if len(Violations(op)) == 0 {
			continue
		}
		t.Run(op.ID()+"/violating", rapid.MakeCheck(func(t *rapid.T) {
			in := Draw(t, op, known, true)
			if in.Violation == "" {
				t.Fatal("a violating input without its violation's name")
			}
			if p := contract.ValidateRequest(exchangeOf(t, c, in)); len(p) == 0 {
				t.Fatalf("the input is meant to break the spec (%s), but passes it: %s", in.Violation, in.Body)
			}
		}))
	}
}

// recorder is a gateway stand-in: it answers with answer and records what it was sent.
func recorder(answer func(r *http.Request) int) (*httptest.Server, *[]string) {
	var sent []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent = append(sent, r.Method+" "+r.URL.String())
		w.Header().Set("Content-Type", "application/json")
		st := answer(r)
		w.WriteHeader(st)
		if st == http.StatusOK {
			_, _ = w.Write([]byte(`{"totalCount":0,"pageSize":1,"nextPageKey":"0","projects":[]}`))
		} else {
			_, _ = w.Write([]byte(`{"code":1,"message":"no"}`))
		}
	}))
	return srv, &sent
}

func badRequestUnlessValid(r *http.Request) int {
	if v := r.URL.Query().Get("pageSize"); v != "" {
		if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 50 {
			return http.StatusBadRequest
		}
	}
	if v := r.URL.Query().Get("disableUpstreamSync"); v != "" && v != "true" && v != "false" {
		return http.StatusBadRequest
	}
	return http.StatusOK
}

// The same seed sends the same requests, in the same order; another seed others.
func TestSeedReplaysARun(t *testing.T) {
	op := operation(t, "getProjects")
	run := func(seed uint64) []string {
		srv, sent := recorder(badRequestUnlessValid)
		defer srv.Close()
		c := &contract.Client{HTTP: srv.Client(), Base: srv.URL}
		o := Run(context.Background(), op, c.Do, Config{Seed: seed, Examples: 30, ValidAllowed: true})
		if o.Failure != nil || o.Rapid != "" {
			t.Fatalf("a conforming stand-in failed: %s %s", o.Rapid, o.Report(seed))
		}
		return *sent
	}
	a, b, other := run(7), run(7), run(8)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Fatalf("seed 7 sent different requests:\n%v\n%v", a, b)
	}
	if strings.Join(a, "\n") == strings.Join(other, "\n") {
		t.Fatalf("seeds 7 and 8 sent the same requests")
	}
}

// A 500 at a numeric boundary (pageSize at its maximum) is found and shrunk to it, with nothing else.
func TestFailureIsShrunk(t *testing.T) {
	op := operation(t, "getProjects")
	srv, _ := recorder(func(r *http.Request) int {
		if n, err := strconv.Atoi(r.URL.Query().Get("pageSize")); err == nil && n == 50 {
			return http.StatusInternalServerError
		}
		return badRequestUnlessValid(r)
	})
	defer srv.Close()
	c := &contract.Client{HTTP: srv.Client(), Base: srv.URL}
	o := Run(context.Background(), op, c.Do, Config{Seed: 1, Examples: 100, ValidAllowed: true})
	if o.Failure == nil {
		t.Fatalf("not found in %d examples", o.Examples)
	}
	if got := o.Failure.Exchange.Request.URL.RawQuery; got != "pageSize=50" {
		t.Fatalf("shrunk to %q, want pageSize=50 alone", got)
	}
	if !strings.Contains(o.Report(1), "curl ") || !strings.Contains(o.Report(1), "--seed=1") {
		t.Fatalf("the report lacks the reproducer or the seed:\n%s", o.Report(1))
	}
}

func operation(t *testing.T, id string) *specs.Operation {
	ops, err := specs.AllOperations()
	if err != nil {
		t.Fatal(err)
	}
	for i := range ops {
		if ops[i].ID() == id {
			return &ops[i]
		}
	}
	t.Fatalf("no operation %s", id)
	return nil
}
