package cases

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
)

// Each documented filter of the datastore's getEvents, one at a time, over three events the check
// stores in a project of its own that differ in every filtered field: the answer is exactly the
// matching ones. The project is always given (upstream keeps a project's events apart and looks
// among them when the query names the project), so what is checked is each filter's own effect,
// with the other stored events as the controls.

// EventFilter is one filter of getEvents and the events (of a, b, c) it must answer.
type EventFilter struct {
	Param string
	// Value picks the filter's value from the stored events.
	Value func(evs [3]storedEvent) string
	// With and WithValue are a second filter given together with the first (the answer: the
	// events matching both), for a gateway that applies only one of the filters it is given.
	With      string
	WithValue func(evs [3]storedEvent) string
	// Want are the indexes of the events the filter answers.
	Want []int
	// Grade, when not the documented filters' MUST.
	Grade grade.Grade
}

// Graded is the filter check's grade.
func (f EventFilter) Graded() grade.Grade { return cmp.Or(f.Grade, eventFilterGrade) }

// rootGrade: the datastore documents root as a filter without saying what a root event is.
var rootGrade = grade.Grade{Level: grade.Should, Source: grade.Ours("root=true should answer only the events that started a Keptn context (its first event): upstream names the filter without defining it")}

type storedEvent struct{ id, ctx, typ, source, stage, service string }

var eventFilterGrade = grade.Grade{Level: grade.Must, Source: grade.Spec("mongodb-datastore GET /event: the filters keptnContext, type, project, stage, service, eventID and source")}

// Name is the filter check's spec text.
func (f EventFilter) Name() string {
	if f.Param == "project" {
		return Sentence("getEvents", f.Graded(), "answer, filtered by project alone, exactly the stored events of that project")
	}
	if f.Param == "root" {
		return Sentence("getEvents", f.Graded(), "answer, filtered by project and root=true, exactly the first event of each of the project's Keptn contexts")
	}
	if f.With != "" {
		return Sentence("getEvents", f.Graded(), "answer, filtered by project, "+f.Param+" and "+f.With+" together, exactly the project's stored events that match both")
	}
	return Sentence("getEvents", f.Graded(), "answer, filtered by project and by "+f.Param+", exactly the project's stored events whose "+f.Param+" matches")
}

// EventFilters are getEvents' filters: a and b share a Keptn context (a stored first); the others
// differ as shown. Two pairs of filters given together (the keptn CLI's query names several):
// each pair's answer differs from either filter's alone, so a gateway that applies only one of
// the filters it is given (an if-else chain) answers too much.
func EventFilters() []EventFilter {
	return []EventFilter{
		{Param: "project", Value: func([3]storedEvent) string { return "" }, Want: []int{0, 1, 2}},
		{Param: "keptnContext", Value: func(e [3]storedEvent) string { return e[0].ctx }, Want: []int{0, 1}},
		{Param: "type", Value: func(e [3]storedEvent) string { return e[0].typ }, Want: []int{0}},
		{Param: "source", Value: func(e [3]storedEvent) string { return e[0].source }, Want: []int{0, 2}},
		{Param: "eventID", Value: func(e [3]storedEvent) string { return e[1].id }, Want: []int{1}},
		{Param: "stage", Value: func(e [3]storedEvent) string { return e[0].stage }, Want: []int{0, 2}},
		{Param: "service", Value: func(e [3]storedEvent) string { return e[1].service }, Want: []int{1, 2}},
		{Param: "root", Value: func([3]storedEvent) string { return "true" }, Want: []int{0, 2}, Grade: rootGrade},
		{Param: "keptnContext", Value: func(e [3]storedEvent) string { return e[0].ctx },
			With: "type", WithValue: func(e [3]storedEvent) string { return e[1].typ }, Want: []int{1}},
		{Param: "stage", Value: func(e [3]storedEvent) string { return e[0].stage },
			With: "service", WithValue: func(e [3]storedEvent) string { return e[1].service }, Want: []int{2}},
	}
}

// RunEventFilter stores the three events and queries with the filter.
func (e *Env) RunEventFilter(ctx context.Context, f EventFilter) (Result, error) {
	var res Result
	project := RandomName("kc-events-")
	ctxA, ctxC := NewUUID(), NewUUID()
	typ := func() string { return "sh.keptn.event." + RandomName("kc") + ".triggered" }
	src := func() string { return "https://github.com/keptn-conformance/" + RandomName("source-") }
	s1, st1 := src(), RandomName("stage-")
	evs := [3]storedEvent{
		{id: NewUUID(), ctx: ctxA, typ: typ(), source: s1, stage: st1, service: RandomName("svc-")},
		{id: NewUUID(), ctx: ctxA, typ: typ(), source: src(), stage: RandomName("stage-"), service: RandomName("svc-")},
		{id: NewUUID(), ctx: ctxC, typ: typ(), source: s1, stage: st1},
	}
	evs[2].service = evs[1].service
	evs[2].typ = evs[1].typ // b and c: one type, two Keptn contexts
	for i, ev := range evs {
		body := map[string]any{"type": ev.typ, "source": ev.source, "specversion": "0.2", "shkeptncontext": ev.ctx, "id": ev.id,
			"time": fmt.Sprintf("2020-08-01T10:00:0%dZ", i), "data": map[string]any{"project": project, "stage": ev.stage, "service": ev.service}}
		if err := e.setup(ctx, "POST", "/api/mongodb-datastore/event", body); err != nil {
			return res, err
		}
	}
	q := map[string]string{"project": project}
	if v := f.Value(evs); v != "" {
		q[f.Param] = v
	}
	if f.With != "" {
		q[f.With] = f.WithValue(evs)
	}
	ex, err := e.send(ctx, Case{Op: "getEvents", Auth: AuthToken, Query: q}, NewWorld())
	if err != nil {
		return res, err
	}
	res.Exchanges = append(res.Exchanges, ex)
	res.Problems = append(contract.ValidateResponse(ex), statusProblems(ex, []int{200}, false)...)
	if res.Failed() {
		return res, nil
	}
	var doc struct {
		Events []struct {
			ID string `json:"id"`
		} `json:"events"`
	}
	if err := json.Unmarshal(ex.RespBody, &doc); err != nil {
		res.Problems = append(res.Problems, contract.Problem{Check: contract.CheckBodySchema, Message: "the body is not JSON: " + err.Error()})
		return res, nil
	}
	var got, want []string
	for _, ev := range doc.Events {
		got = append(got, ev.ID)
	}
	for _, i := range f.Want {
		want = append(want, evs[i].id)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		name := map[string]string{evs[0].id: "a", evs[1].id: "b", evs[2].id: "c"}
		letters := func(ids []string) string {
			var out []string
			for _, id := range ids {
				out = append(out, cmp.Or(name[id], id))
			}
			return "[" + strings.Join(out, " ") + "]"
		}
		res.Problems = append(res.Problems, contract.Problem{Check: contract.CheckBehaviour, Message: fmt.Sprintf(
			"of three stored events a, b, c (a and b of one Keptn context; a and c of one source and stage; b and c of one service and type), the filter %s answered %s, not %s",
			strings.Join(slices.DeleteFunc([]string{f.Param, f.With}, func(p string) bool { return p == "" }), " with "), letters(got), letters(want))})
	}
	return res, nil
}
