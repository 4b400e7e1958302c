package generate

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/specs"
)

// NeedsOf is the world an operation's generated requests aim at: what its path parameters name,
// and an event for the event queries.
func NeedsOf(op *specs.Operation) cases.Needs {
	var n cases.Needs
	for _, p := range parameters(op) {
		switch p.Name {
		case "projectName", "stageName":
			n |= cases.NeedsProject
		case "serviceName":
			n |= cases.NeedsService
		case "resourceURI":
			n |= cases.NeedsResources
		case "approvalID":
			n |= cases.NeedsApproval
		case "keptnContext":
			if p.In == "path" {
				n |= cases.NeedsRemediation
			} else {
				n |= cases.NeedsEvent
			}
		case "eventType":
			n |= cases.NeedsEvent
		}
	}
	return n
}

// KnownOf are a world's names, by the parameters and properties that take them.
func KnownOf(w *cases.World) Known {
	return Known{
		"projectName": {w.Project}, "project": {w.Project},
		"stageName": {w.Stage, w.OtherStage}, "stage": {w.Stage, w.OtherStage},
		"serviceName": {w.Service}, "service": {w.Service},
		"resourceURI": {w.ResourceURI}, "approvalID": {w.ApprovalID},
		"keptnContext": {w.EventContext, w.RemediationContext}, "eventID": {w.EventID},
		"eventType": {w.EventType}, "type": {w.EventType},
		"shipyard": {w.Shipyard},
	}
}

// Chain is a create → read → delete chain of the specs: the POST on a collection, the GET and
// the DELETE on its item (in any document with the same path below its base).
type Chain struct {
	Create, Read, Delete *specs.Operation
	// Param is the item's path parameter.
	Param string
}

// ChainOf is the chain op creates into, if any.
func ChainOf(op *specs.Operation, ops []specs.Operation) (Chain, bool) {
	if op.Method != http.MethodPost {
		return Chain{}, false
	}
	find := func(method, rel string) *specs.Operation {
		var found *specs.Operation
		for i := range ops {
			o := &ops[i]
			if o.Method == method && o.Path == rel && (found == nil || o.Doc == op.Doc) {
				found = o
			}
		}
		return found
	}
	for i := range ops {
		d := &ops[i]
		if d.Method != http.MethodDelete || d.Doc != op.Doc || path.Dir(d.Path) != op.Path {
			continue
		}
		last := path.Base(d.Path)
		if !strings.HasPrefix(last, "{") {
			continue
		}
		if r := find(http.MethodGet, d.Path); r != nil {
			return Chain{Create: op, Read: r, Delete: d, Param: strings.Trim(last, "{}")}, true
		}
	}
	return Chain{}, false
}

// aliases are the body properties that name an item, by path parameter, where the names differ.
var aliases = map[string][]string{"projectName": {"name", "projectName"}, "approvalID": {"eventId"}, "stageName": {"stageName"}}

// itemID finds the created item's name in the create request's body.
func itemID(body any, param string) (string, bool) {
	names := append([]string{param}, aliases[param]...)
	var walk func(v any) (string, bool)
	walk = func(v any) (string, bool) {
		switch x := v.(type) {
		case map[string]any:
			for _, n := range names {
				if s, ok := x[n].(string); ok && s != "" {
					return s, true
				}
			}
			for _, k := range propertyNamesOf(x) {
				if s, ok := walk(x[k]); ok {
					return s, true
				}
			}
		case []any:
			if len(x) > 0 {
				return walk(x[0])
			}
		}
		return "", false
	}
	return walk(body)
}

func propertyNamesOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Stateful follows a successful create along its chain: the item is readable (within patience),
// is deleted, and is gone afterwards.
type Stateful struct {
	Chain    Chain
	Send     Send
	Token    string
	Known    Known
	Patience time.Duration
	Interval time.Duration
}

// After is a Config.After for the chain's create operation.
func (s Stateful) After(ctx context.Context, in Input, ex *contract.Exchange) ([]*contract.Exchange, []contract.Problem) {
	if in.Violation != "" || ex.Status() < 200 || ex.Status() > 299 {
		return nil, nil
	}
	var body any
	if json.Unmarshal(in.Body, &body) != nil {
		return nil, nil
	}
	id, ok := itemID(body, s.Chain.Param)
	if !ok || slices.Contains(s.Known[s.Chain.Param], id) || id == "." || id == ".." {
		return nil, nil // only what the run made itself is deleted
	}
	if strings.Contains(id, "/") {
		// A "/" in a path parameter is %2F, which fronts may decode (upstream's nginx, facts §10)
		// and a gateway may refuse at the end of a segment: the by-URI checks judge it, not a
		// read-back of a generated name.
		return nil, nil
	}
	params := map[string]string{s.Chain.Param: id}
	for k, v := range in.PathParams {
		params[k] = v
	}
	req := func(op *specs.Operation) contract.Request {
		return Input{Op: op, PathParams: params}.Request(s.Token)
	}
	var seen []*contract.Exchange
	read, gotIt, err := s.await(ctx, req(s.Chain.Read), func(st int) bool { return st >= 200 && st <= 299 })
	if err != nil {
		return seen, []contract.Problem{{Check: contract.CheckTransport, Message: err.Error()}}
	}
	seen = append(seen, read)
	if p := contract.ValidateResponse(read); len(p) > 0 {
		return seen, p
	}
	if !gotIt {
		p := contract.Problem{Check: contract.CheckBehaviour, Message: fmt.Sprintf(
			"%s answered %d for %s %q, but %s does not find it (still %d after %s)", s.Chain.Create.ID(), ex.Status(), s.Chain.Param, id, s.Chain.Read.ID(), read.Status(), s.Patience)}
		if asynchronous(s.Chain.Create) {
			p.Grade = asyncCreateGrade
		}
		return seen, []contract.Problem{p}
	}
	del, err := s.Send(ctx, req(s.Chain.Delete))
	if err != nil {
		return seen, []contract.Problem{{Check: contract.CheckTransport, Message: err.Error()}}
	}
	seen = append(seen, del)
	if p := contract.ValidateResponse(del); len(p) > 0 || del.Status() < 200 || del.Status() > 299 {
		return seen, p // a refused delete is the delete's own check's business
	}
	after, gone, err := s.await(ctx, req(s.Chain.Read), func(st int) bool { return st == http.StatusNotFound })
	if err != nil {
		return seen, []contract.Problem{{Check: contract.CheckTransport, Message: err.Error()}}
	}
	seen = append(seen, after)
	if p := contract.ValidateResponse(after); len(p) > 0 {
		return seen, p
	}
	if !gone {
		return seen, []contract.Problem{{Check: contract.CheckBehaviour, Message: fmt.Sprintf(
			"use after free: %s answered %d for %s %q, yet %s still answers %d after %s, not 404", s.Chain.Delete.ID(), del.Status(), s.Chain.Param, id, s.Chain.Read.ID(), after.Status(), s.Patience)}}
	}
	return seen, nil
}

// await polls a read until done says so or patience ends, and returns the last answer.
func (s Stateful) await(ctx context.Context, r contract.Request, done func(status int) bool) (*contract.Exchange, bool, error) {
	deadline := time.Now().Add(s.Patience)
	for {
		ex, err := s.Send(ctx, r)
		if err != nil {
			return nil, false, err
		}
		if ex.Response != nil && done(ex.Status()) {
			return ex, true, nil
		}
		if ex.Response == nil || ex.Status() >= 500 || time.Now().After(deadline) || ctx.Err() != nil {
			return ex, false, nil
		}
		select {
		case <-ctx.Done():
		case <-time.After(s.Interval):
		}
	}
}

// Made lists the projects a run's exchanges may have made (a 2xx to a write naming a project
// that is not the world's), for the suite to delete afterwards.
func Made(in Input, ex *contract.Exchange, known Known) []string {
	if in.Op.Method == http.MethodGet || ex.Status() < 200 || ex.Status() > 299 {
		return nil
	}
	var out []string
	if p, ok := in.PathParams["projectName"]; ok {
		out = append(out, p)
	}
	if in.Op.Path == "/project" {
		var body any
		if json.Unmarshal(in.Body, &body) == nil {
			if id, ok := itemID(body, "projectName"); ok {
				out = append(out, id)
			}
		}
	}
	return slices.DeleteFunc(out, func(p string) bool { return slices.Contains(known["projectName"], p) })
}

// asyncCreateGrade weakens "created, so readable" where upstream creates asynchronously:
// api-service answers 200 before it checks anything, and a request it refuses later (a helm chart
// that is no chart, say) is never made (facts §5, §10).
var asyncCreateGrade = grade.Grade{Level: grade.Should, Source: grade.Ours(
	"a create answered 200 should take effect; upstream's asynchronous lifecycle may still drop a request it refuses later")}

// asynchronous says an operation is one of api-service's asynchronous creates.
func asynchronous(op *specs.Operation) bool {
	return op.Doc.Name == specs.APIService && op.Method == http.MethodPost && (op.ID() == "createProject" || op.ID() == "createService")
}
