package generate

import (
	"context"
	"flag"
	"fmt"
	"hash/fnv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"pgregory.net/rapid"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/specs"
)

// CheckValidRefused is the check of a schema-valid request refused for its shape (415 or 422).
const CheckValidRefused = "generated-valid-refused"

// Grades are the levels and sources of what every generated exchange is held to, by check.
var Grades = map[string]grade.Grade{
	contract.CheckServerError: {Level: grade.Must, Source: grade.RFCSection("RFC 9110 §15.6 (a 5xx is the server's fault); upstream: a missing field is a client error, never a 5xx")},
	contract.CheckStatusExpected: {Level: grade.Must, Source: grade.Spec("every operation: a request breaking its schema is refused with a documented 4xx " +
		"(upstream's framework answers 422 under default)")},
	contract.CheckStatusDocumented: {Level: grade.Must, Source: grade.Spec("every operation: its documented responses")},
	contract.CheckBodySchema:       {Level: grade.Must, Source: grade.Spec("every operation: its documented response schemas")},
	contract.CheckContentType:      {Level: grade.Must, Source: grade.Spec("every operation: its documented media types")},
	contract.CheckBehaviour:        {Level: grade.Must, Source: grade.RFCSection("RFC 9110 §9.3.5 (after a successful DELETE the resource is gone); the specs' create and read operations")},
	CheckValidRefused: {Level: grade.Should, Source: grade.Ours("a schema-valid request may be refused for what it means (400, 404), " +
		"not for its shape: 415 and 422 say the shape is wrong")},
}

// Send sends a request (the suite's client).
type Send func(ctx context.Context, r contract.Request) (*contract.Exchange, error)

// Config is one operation's generated run.
type Config struct {
	Seed     uint64 // the run's seed; each operation's is derived from it and its id
	Examples int
	Known    Known
	Token    string
	// ValidAllowed says whether schema-valid requests may be sent (not for shared state).
	ValidAllowed bool
	// After runs after every exchange that passed (the stateful checks): the exchanges it made
	// and the problems it found.
	After func(ctx context.Context, in Input, ex *contract.Exchange) ([]*contract.Exchange, []contract.Problem)
}

// Failure is the minimal failing example rapid shrank a failure to.
type Failure struct {
	Input    Input
	Exchange *contract.Exchange
	Problems []contract.Problem
	// More are the exchanges the stateful checks made after it.
	More []*contract.Exchange
}

// Outcome is what an operation's run did.
type Outcome struct {
	Op        string
	Seed      uint64 // the operation's seed
	Examples  int    // examples tried until the first failure (or all)
	Valid     int    // of those, schema-valid
	Violating int    // and schema-violating
	Exchanges int    // every request sent, shrinking included
	Failure   *Failure
	// Made are the projects the run may have made (to delete afterwards).
	Made []string
	// Rapid is rapid's own verdict on a failure (its first line); RapidFull all of it (a panic's
	// traceback: a bug in the generator).
	Rapid, RapidFull string
}

// shrinkTime bounds the shrinking of a failure: every step is an exchange (or a wait for an
// effect), and a minimal example is usually found well within it.
const shrinkTime = 3 * time.Second

// OpSeed is an operation's seed, derived from the run's: never 0, which rapid reads as "random".
func OpSeed(run uint64, op string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(op))
	s := run ^ h.Sum64()
	if s == 0 {
		s = 1
	}
	return s
}

// Run generates examples for op, sends each and checks the answer; a failure is shrunk to a
// minimal example. Runs must not overlap (rapid is configured through its global flags).
func Run(ctx context.Context, op *specs.Operation, send Send, c Config) Outcome {
	out := Outcome{Op: op.ID(), Seed: OpSeed(c.Seed, op.ID())}
	for name, v := range map[string]string{
		"rapid.checks": strconv.Itoa(c.Examples), "rapid.seed": strconv.FormatUint(out.Seed, 10),
		"rapid.nofailfile": "true", "rapid.failfile": "", "rapid.shrinktime": shrinkTime.String(),
	} {
		if err := flag.Set(name, v); err != nil {
			panic("generate: rapid's flags are not registered: " + err.Error())
		}
	}
	canViolate := len(Violations(op)) > 0
	failing := false
	tb := &adapter{name: "generated/" + op.ID()}
	rapid.Check(tb, func(t *rapid.T) {
		violate := !c.ValidAllowed || (canViolate && rapid.Bool().Draw(t, "violate"))
		if violate && !canViolate {
			t.Skip("only schema-violating requests may be sent, and there are none")
		}
		in := Draw(t, op, c.Known, violate)
		ex, err := send(ctx, in.Request(c.Token))
		if err != nil {
			panic(fmt.Sprintf("generate: building the request: %v", err))
		}
		out.Exchanges++
		if !failing {
			out.Examples++
			if violate {
				out.Violating++
			} else {
				out.Valid++
			}
		}
		for _, p := range Made(in, ex, c.Known) {
			if !slices.Contains(out.Made, p) {
				out.Made = append(out.Made, p)
			}
		}
		problems := Check(in, ex)
		var more []*contract.Exchange
		if len(problems) == 0 && c.After != nil {
			more, problems = c.After(ctx, in, ex)
			out.Exchanges += len(more)
		}
		if len(problems) > 0 {
			failing = true
			out.Failure = &Failure{Input: in, Exchange: ex, Problems: problems, More: more}
			t.Fatalf("%s", problems[0])
		}
	})
	if tb.failed {
		out.Rapid, out.RapidFull = tb.firstError, tb.errors
	} else {
		out.Failure = nil
	}
	return out
}

// Check holds one generated exchange to the contract: an answer that is not a 5xx and conforms to
// the spec; a documented 4xx for a request breaking its schema; no 415 or 422 for a valid one.
func Check(in Input, ex *contract.Exchange) []contract.Problem {
	problems := contract.ValidateResponse(ex)
	if ex.Response == nil {
		return problems
	}
	status := ex.Status()
	switch {
	case in.Violation != "" && (status < 400 || status > 499):
		problems = append(problems, contract.Problem{Check: contract.CheckStatusExpected,
			Message: fmt.Sprintf("the request breaks its schema (%s), and the answer is %d, not a client error (4xx)", in.Violation, status)})
	case in.Violation == "":
		if rp := contract.ValidateRequest(ex); len(rp) > 0 {
			panic(fmt.Sprintf("generate: a bug in the generator: a schema-valid request breaks the spec: %v\n%s", rp, ex))
		}
		if status == http.StatusUnsupportedMediaType || status == http.StatusUnprocessableEntity {
			problems = append(problems, contract.Problem{Check: CheckValidRefused,
				Message: fmt.Sprintf("a schema-valid request was refused for its shape (%d)", status)})
		}
	}
	return problems
}

// Report describes a failure: its problems with their grades, the minimal example, the exchange
// (which ends with its curl reproducer), and how to replay the run.
func (o Outcome) Report(runSeed uint64) string {
	f := o.Failure
	if f == nil {
		return ""
	}
	var b strings.Builder
	for _, p := range f.Problems {
		g := Grades[p.Check]
		fmt.Fprintf(&b, "  %s (%s, %s)\n", p, g.Level, g.Source)
	}
	kind := "schema-valid"
	if f.Input.Violation != "" {
		kind = "breaking its schema: " + f.Input.Violation
	}
	fmt.Fprintf(&b, "\nthe minimal failing request (%s), shrunk from a failure after %d examples (%d exchanges in all; %s):\n",
		kind, o.Examples, o.Exchanges, o.Rapid)
	b.WriteString(f.Exchange.String())
	for _, ex := range f.More {
		b.WriteString("\nthen:\n" + ex.String())
	}
	fmt.Fprintf(&b, "\nreplay the run: --seed=%d (operation seed %d)\n", runSeed, o.Seed)
	return b.String()
}

// adapter is the rapid.TB the checks run under: rapid needs a *testing.T-like value, and a
// Ginkgo spec has none; the adapter records the verdict for the spec to report.
type adapter struct {
	name       string
	failed     bool
	firstError string
	errors     string
}

func (a *adapter) Helper()              {}
func (a *adapter) Name() string         { return a.name }
func (a *adapter) Logf(string, ...any)  {}
func (a *adapter) Log(...any)           {}
func (a *adapter) Skipf(string, ...any) {}
func (a *adapter) Skip(...any)          {}
func (a *adapter) SkipNow()             {}
func (a *adapter) Errorf(format string, args ...any) {
	a.fail(fmt.Sprintf(format, args...))
}
func (a *adapter) Error(args ...any)                 { a.fail(fmt.Sprint(args...)) }
func (a *adapter) Fatalf(format string, args ...any) { a.fail(fmt.Sprintf(format, args...)) }
func (a *adapter) Fatal(args ...any)                 { a.fail(fmt.Sprint(args...)) }
func (a *adapter) FailNow()                          { a.failed = true }
func (a *adapter) Fail()                             { a.failed = true }
func (a *adapter) Failed() bool                      { return a.failed }

func (a *adapter) fail(msg string) {
	if !a.failed {
		first, _, _ := strings.Cut(msg, "\n")
		a.firstError = first
	}
	a.errors += msg + "\n"
	a.failed = true
}

// EntryName is the report entry of an operation's generated run (an Entry).
const EntryName = "keptn-conformance/generated"

// Entry is what a run reports: its seeds and how many requests it generated and sent.
type Entry struct {
	Operation     string `json:"operation"`
	Seed          uint64 `json:"seed"`
	OperationSeed uint64 `json:"operationSeed"`
	Examples      int    `json:"examples"`
	Valid         int    `json:"valid"`
	Violating     int    `json:"violating"`
	Exchanges     int    `json:"exchanges"`
}
