package cases

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/specs"
)

var (
	opsOnce sync.Once
	opsByID map[string]*specs.Operation
	opsErr  error
)

// Operation returns a spec operation by its operationId.
func Operation(id string) (*specs.Operation, error) {
	ops, err := operations()
	if err != nil {
		return nil, err
	}
	op, ok := ops[id]
	if !ok {
		return nil, fmt.Errorf("no operation %q in the specs", id)
	}
	return op, nil
}

// operations are the specs' operations by operationId.
func operations() (map[string]*specs.Operation, error) {
	opsOnce.Do(func() {
		all, err := specs.AllOperations()
		if err != nil {
			opsErr = err
			return
		}
		opsByID = map[string]*specs.Operation{}
		for i := range all {
			opsByID[all[i].ID()] = &all[i]
		}
	})
	return opsByID, opsErr
}

// Result is what a case saw.
type Result struct {
	// Exchanges are the case's request and then its probes' (the last try of each).
	Exchanges []*contract.Exchange
	Problems  []contract.Problem
	// Skip says why the check does not apply to this target.
	Skip string
	// Figures are what the check measured, for the report.
	Figures []Figure
}

// Figure is a measured value.
type Figure struct {
	Name  string
	Value float64
	Unit  string
	Limit float64
}

// Failed reports whether the case found a problem at its check's own grade. A problem graded
// SHOULD beside it (a finding) does not stop a case: what it must do is still checked.
func (r Result) Failed() bool {
	for _, p := range r.Problems {
		if p.Grade.Level != grade.Should {
			return true
		}
	}
	return false
}

// Report is the failure message: every problem, then every exchange.
func (r Result) Report() string {
	var b strings.Builder
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "  %s\n", p)
	}
	for i, ex := range r.Exchanges {
		if i == 0 {
			b.WriteString("\n")
		} else {
			b.WriteString("\nthen, probing the effect:\n")
		}
		b.WriteString(ex.String())
	}
	return b.String()
}

// Exercised lists the (operationId, status) pairs the exchanges showed, with the documented
// response each matched ("default" for the catch-all).
func (r Result) Exercised() []Pair {
	var out []Pair
	for _, ex := range r.Exchanges {
		if p, ok := PairOf(ex); ok {
			out = append(out, p)
		}
	}
	return out
}

// Pair is an operation and one of its documented responses.
type Pair struct {
	Op     string `json:"operation"`
	Status string `json:"status"`
}

// PairOf is the documented response an exchange matched, if any.
func PairOf(ex *contract.Exchange) (Pair, bool) {
	if ex == nil || ex.Op == nil || ex.Response == nil {
		return Pair{}, false
	}
	code := fmt.Sprint(ex.Status())
	if ex.Op.Operation.Responses.Value(code) != nil {
		return Pair{Op: ex.Op.ID(), Status: code}, true
	}
	if ex.Op.Operation.Responses.Default() != nil {
		return Pair{Op: ex.Op.ID(), Status: "default"}, true
	}
	return Pair{}, false
}

// Request builds a case's (or probe's) request.
func (e *Env) Request(c Case, w *World) (contract.Request, error) {
	op, err := Operation(c.Op)
	if err != nil {
		return contract.Request{}, err
	}
	params := defaultParams(w)
	over, err := renderMap(c.Params, w)
	if err != nil {
		return contract.Request{}, err
	}
	for k, v := range over {
		params[k] = v
	}
	pp := map[string]string{}
	for _, p := range op.Operation.Parameters {
		if p.Value.In == "path" {
			pp[p.Value.Name] = params[p.Value.Name]
		}
	}
	for _, p := range op.PathItem.Parameters {
		if p.Value.In == "path" {
			pp[p.Value.Name] = params[p.Value.Name]
		}
	}
	q, err := renderMap(c.Query, w)
	if err != nil {
		return contract.Request{}, err
	}
	query := map[string][]string{}
	for k, v := range q {
		query[k] = []string{v}
	}
	body, err := c.body(w)
	if err != nil {
		return contract.Request{}, err
	}
	hdr, err := renderMap(c.Header, w)
	if err != nil {
		return contract.Request{}, err
	}
	h := headerOf(hdr)
	if body != nil && h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	switch c.Auth {
	case AuthToken:
		h.Set("x-token", e.Target.Token())
	case AuthSession:
		if w.Session != "" {
			h.Set("Cookie", w.Session)
		}
	}
	return contract.Request{Op: op, PathParams: pp, Query: query, Header: h, Body: body}, nil
}

// Run sends a case's request to a world and checks the answer; then its probes. The error is for
// a case the suite cannot even build (a suite bug); the gateway's faults are in the Result.
func (e *Env) Run(ctx context.Context, c Case, w *World) (Result, error) {
	res, err := e.run(ctx, c, w)
	if err != nil {
		return res, err
	}
	for _, ex := range res.Exchanges {
		res.Problems = append(res.Problems, contract.UndeclaredProperties(ex)...)
	}
	inUse, err := e.inUseProblems(ctx, res.Exchanges)
	res.Problems = append(res.Problems, inUse...)
	return res, err
}

// inUseGrade is the grade of what the documents of --specs (served by the installation, or a
// user's) say beside the bundled specs: a finding, never a failed certification, since the
// certification is against upstream's facts.
var inUseGrade = grade.Grade{Level: grade.Should, Source: grade.Ours("an installation should answer as the API documents it serves (or its user supplies) say")}

// inUseProblems validates exchanges against the documents of --specs, if any: each problem names
// the document and its digest, so a verdict says which document it used.
func (e *Env) inUseProblems(ctx context.Context, exs []*contract.Exchange) ([]contract.Problem, error) {
	_, v, err := e.Target.InUse(ctx)
	if err != nil || v == nil {
		return nil, err
	}
	var out []contract.Problem
	for _, ex := range exs {
		vd := v.Validate(ex)
		if vd == nil {
			continue
		}
		for _, p := range vd.Problems {
			p.Message = fmt.Sprintf("by %s (sha256 %.12s, %s): %s", vd.Document, vd.SHA256, vd.Operation, p.Message)
			p.Grade = inUseGrade
			out = append(out, p)
		}
	}
	return out, nil
}

// send builds a case's request for the world and sends it to the case's listener.
func (e *Env) send(ctx context.Context, c Case, w *World) (*contract.Exchange, error) {
	req, err := e.Request(c, w)
	if err != nil {
		return nil, err
	}
	return e.Target.Client(e.Base).Do(ctx, req)
}

func (e *Env) run(ctx context.Context, c Case, w *World) (Result, error) {
	var res Result
	ex, err := e.send(ctx, c, w)
	if err != nil {
		return res, err
	}
	res.Exchanges = append(res.Exchanges, ex)
	if !c.Negative {
		res.Problems = append(res.Problems, contract.ValidateRequest(ex)...)
	}
	answered := contract.ValidateResponse(ex)
	if c.ServerRefusal != nil && ex.Response != nil && ex.Status() == http.StatusInternalServerError {
		for i := range answered {
			if answered[i].Check == contract.CheckServerError {
				answered[i].Grade = *c.ServerRefusal
			}
		}
	} else {
		answered = append(answered, statusProblems(ex, c.Status, c.Any4xx)...)
	}
	res.Problems = append(res.Problems, answered...)
	if res.Failed() {
		return res, nil
	}
	var doc any
	if len(bytes.TrimSpace(ex.RespBody)) > 0 && contract.ContentTypeIsJSON(ex.Response.Header) {
		dec := json.NewDecoder(bytes.NewReader(ex.RespBody))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			res.Problems = append(res.Problems, contract.Problem{Check: contract.CheckBodySchema, Message: "the body is not JSON: " + err.Error()})
			return res, nil
		}
	}
	if m, ok := doc.(map[string]any); ok {
		w.Response = m
	}
	// An answer without the body upstream also leaves out holds nothing to expect: its finding
	// (ValidateResponse's) stands for the expectations, and the probes still judge the effect.
	expect := c.Expect
	if contract.PermitsEmptyBody(ex) {
		expect = nil
	}
	for _, x := range expect {
		msg, err := x.check(doc, w)
		if p, ok := answerProblem(err); ok {
			res.Problems = append(res.Problems, p)
			return res, nil
		}
		if err != nil {
			return res, err
		}
		if msg != "" {
			res.Problems = append(res.Problems, contract.Problem{Check: contract.CheckBehaviour, Message: msg})
		}
	}
	if res.Failed() {
		return res, nil
	}
	for _, p := range c.Given {
		pex, problems, err := e.probe(ctx, p, w)
		if err != nil {
			return res, err
		}
		res.Exchanges = append(res.Exchanges, pex)
		for _, pr := range problems {
			if pr.Grade.Level != grade.Should {
				res.Skip = "does not apply here: the optional behaviour it builds on is not shown: " + pr.Message
				return res, nil
			}
		}
	}
	for _, p := range c.Probes {
		pex, problems, err := e.probe(ctx, p, w)
		if ap, ok := answerProblem(err); ok {
			res.Problems = append(res.Problems, ap)
			return res, nil
		}
		if err != nil {
			return res, err
		}
		res.Exchanges = append(res.Exchanges, pex)
		res.Problems = append(res.Problems, problems...)
		if (Result{Problems: problems}).Failed() {
			return res, nil
		}
	}
	return res, nil
}

// probe retries a probe until it holds or the suite's patience ends, and returns its last try.
func (e *Env) probe(ctx context.Context, p Probe, w *World) (*contract.Exchange, []contract.Problem, error) {
	deadline := time.Now().Add(e.Timeout)
	for {
		ex, err := e.send(ctx, Case{Op: p.Op, Auth: p.Auth, Params: p.Params, Query: p.Query, Body: p.Body}, w)
		if err != nil {
			return nil, nil, err
		}
		problems := contract.ValidateResponse(ex)
		// A conformance problem of the answer itself is final; a not-yet-visible effect is retried.
		// A finding (a SHOULD problem of the answer) is kept, and the effect still judged.
		if (Result{Problems: problems}).Failed() {
			return ex, problems, nil
		}
		findings := problems
		pending := statusProblems(ex, p.Status, false)
		if len(pending) == 0 {
			var doc any
			dec := json.NewDecoder(bytes.NewReader(ex.RespBody))
			dec.UseNumber()
			_ = dec.Decode(&doc)
			for _, x := range p.Expect {
				msg, err := x.check(doc, w)
				if err != nil {
					return nil, nil, err
				}
				if msg != "" {
					pending = append(pending, contract.Problem{Check: contract.CheckBehaviour, Message: "after the request, " + p.Op + ": " + msg})
				}
			}
		} else {
			for i := range pending {
				pending[i].Check = contract.CheckBehaviour
				pending[i].Message = "after the request, " + p.Op + ": " + pending[i].Message
			}
		}
		if len(pending) == 0 {
			return ex, findings, nil
		}
		if p.Body != "" {
			return ex, append(findings, pending...), nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			for i := range pending {
				pending[i].Message += fmt.Sprintf(" (still so after %s)", e.Timeout)
			}
			return ex, append(findings, pending...), nil
		}
		select {
		case <-ctx.Done():
		case <-time.After(e.Interval):
		}
	}
}

// statusProblems says whether the status is the one due.
func statusProblems(ex *contract.Exchange, want []int, any4xx bool) []contract.Problem {
	if ex.Response == nil {
		return nil
	}
	got := ex.Status()
	if any4xx {
		if got >= 400 && got <= 499 {
			return nil
		}
		return []contract.Problem{{Check: contract.CheckStatusExpected, Message: fmt.Sprintf("status %d, want a client error (4xx)", got)}}
	}
	if len(want) == 0 || slices.Contains(want, got) {
		return nil
	}
	ws := make([]string, len(want))
	for i, s := range want {
		ws[i] = fmt.Sprintf("%d %s", s, http.StatusText(s))
	}
	return []contract.Problem{{Check: contract.CheckStatusExpected, Message: fmt.Sprintf("status %d, want %s", got, strings.Join(ws, " or "))}}
}

// Problem is a problem of a check, its message formatted.
func Problem(check, format string, args ...any) contract.Problem {
	return contract.Problem{Check: check, Message: fmt.Sprintf(format, args...)}
}
