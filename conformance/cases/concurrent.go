package cases

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
)

// Writes at the same time: several items of one list written at once, each by its own request,
// then the list read back. Keptn's services write one project at the same time (a service's
// resources while another's are created, approvals and events of one context); a gateway that
// reads a project, changes it and writes it back without holding it (a lost update) answers
// every write with its success and keeps only some. What holds for any conforming gateway: a
// write answered with its documented success is stored, whatever else was in flight. A gateway
// that refuses some of the writes at that moment (a client error, a busy answer) loses nothing:
// that is a finding (concurrentRefusedGrade), and those writes are not looked for in the list.

// CheckConcurrent is the concurrent writes' check: a write answered with success, lost.
const CheckConcurrent = "concurrent-writes"

// concurrentWrites is how many writes go at the same time: enough that a gateway which reads a
// project in one transaction and writes it back in another loses some of them on loopback too
// (with 6, such a configuration-service kept all of them run after run; with 16 it lost 1 to 10
// in every run).
const concurrentWrites = 16

// concurrentRounds is how many times they do, one after the other: on a loaded machine one
// burst's writes may still arrive one by one (in a full run on two cores, a lost update showed in
// one round of 16 in about half of the runs).
const concurrentRounds = 3

// ConcurrentCheck writes concurrentWrites items of one list at the same time.
type ConcurrentCheck struct {
	// Write is the operation each request calls, Status its documented success.
	Write  string
	Status int
	// List is the list the items must then be in (its Make is not used).
	List PagingCheck
	// Item is the i-th write's body (JSON) and the key its item has in the list.
	Item func(w *World, i int) (body, key string)
	// Beside, if set, is sent with each write, at the same time: another write to the same
	// project (an event about the service while its approvals are written), which must lose none.
	Beside *BesideWrite
}

// BesideWrite is a write sent beside each of a concurrent check's writes.
type BesideWrite struct {
	Op, What string
	Body     func(w *World, i int) string
}

var concurrentGrade = grade.Grade{Level: grade.Must, Source: grade.Spec("a write answered with its documented success stores its item, whatever else is in flight: Keptn's services write one project at the same time")}

// concurrentRefusedGrade: a write refused because others were in flight.
var concurrentRefusedGrade = recommend("a few writes to one project at the same time are ordinary for Keptn's services, which do not retry: each should succeed")

// Name is the check's spec text.
func (c ConcurrentCheck) Name() string {
	beside := ""
	if c.Beside != nil {
		beside = ", with " + c.Beside.What + " at the same time"
	}
	return Sentence(c.Write, concurrentGrade, fmt.Sprintf("keep every one of %d writes sent at the same time (%d times)%s, each answered %d: %s then lists them all", concurrentWrites, concurrentRounds, beside, c.Status, c.List.Op))
}

// ConcurrentChecks are the lists written to at the same time.
func ConcurrentChecks() []ConcurrentCheck {
	return []ConcurrentCheck{
		{Write: "createServiceInternal", Status: 204, List: PagingCheck{Op: "getStageServices", Needs: NeedsService, Items: "services", Key: "serviceName"},
			Item: func(_ *World, i int) (string, string) {
				n := fmt.Sprintf("concurrent%d", i)
				return fmt.Sprintf(`{"serviceName": %q}`, n), n
			}},
		{Write: "postProjectResources", Status: 201, List: PagingCheck{Op: "getProjectResources", Needs: NeedsProject, Items: "resources", Key: "resourceURI"},
			Item: func(_ *World, i int) (string, string) {
				u := fmt.Sprintf("conformance/concurrent-%d.txt", i)
				return fmt.Sprintf(`{"resources": [{"resourceURI": %q, "resourceContent": %q}]}`, u, B64(u)), u
			}},
		{Write: "createApproval", Status: 200, List: PagingCheck{Op: "getApprovals", Needs: NeedsService, Items: "approvals", Key: "eventId"},
			Item: func(_ *World, _ int) (string, string) {
				id := NewUUID()
				return fmt.Sprintf(`{"keptnContext": %q, "eventId": %q, "image": "registry.example/carts", "tag": "1"}`, NewUUID(), id), id
			}},
		// Approvals of a service while events about it are handled: both change the service's
		// record (its approvals, its lastEventTypes), so a gateway that reads the record in one
		// transaction and writes it in another loses approvals.
		{Write: "createApproval", Status: 200, List: PagingCheck{Op: "getApprovals", Needs: NeedsService, Items: "approvals", Key: "eventId"},
			Item: func(_ *World, _ int) (string, string) {
				id := NewUUID()
				return fmt.Sprintf(`{"keptnContext": %q, "eventId": %q, "image": "registry.example/carts", "tag": "1"}`, NewUUID(), id), id
			},
			Beside: &BesideWrite{Op: "handleEventInternal", What: "an event about the service handed to configuration-service beside each",
				Body: func(w *World, i int) string {
					return fmt.Sprintf(`{"type": "sh.keptn.event.conformance-%d.finished", "source": "https://github.com/keptn-conformance/suite", "specversion": "0.2", "shkeptncontext": %q, "id": %q, "data": {"project": %q, "stage": %q, "service": %q}}`,
						i, NewUUID(), NewUUID(), w.Project, w.Stage, w.Service)
				}}},
		{Write: "saveEventInternal", Status: 201, List: PagingCheck{Op: "getEvents", Needs: NeedsProject, Items: "events", Key: "id",
			Query: map[string]string{"keptnContext": "{{.EventContext}}", "project": "{{.Project}}"}},
			Item: func(w *World, i int) (string, string) {
				id := NewUUID()
				return fmt.Sprintf(`{"type": %q, "source": "https://github.com/keptn-conformance/suite", "specversion": "0.2", "shkeptncontext": %q, "id": %q, "time": "2020-08-01T10:00:%02dZ", "data": {"project": %q}}`,
					w.EventType, w.EventContext, id, i, w.Project), id
			}},
	}
}

// RunConcurrent sends the writes at the same time, checks each answer, and reads the list back
// page by page: every item written with success must be in it.
func (e *Env) RunConcurrent(ctx context.Context, c ConcurrentCheck) (Result, error) {
	var res Result
	w, cleanup, err := e.Build(ctx, c.List.Needs)
	if err != nil {
		return res, err
	}
	defer cleanup()
	var stored []string
	for round := range concurrentRounds {
		exs, keys, besides, err := e.burst(ctx, c, w, round*concurrentWrites)
		if err != nil {
			return res, err
		}
		// A write beside is judged by what it leaves of the list; its own answer by the contract
		// (a refusal of it is a finding, as one of the check's own writes is).
		for _, ex := range besides {
			if ex == nil {
				continue
			}
			res.Exchanges = append(res.Exchanges, ex)
			res.Problems = append(res.Problems, contract.ValidateResponse(ex)...)
			if ex.Err == nil && (ex.Status() < 200 || ex.Status() > 299) {
				p := Problem(CheckConcurrent, "%s beside the writes answered %d", c.Beside.Op, ex.Status())
				p.Grade = concurrentRefusedGrade
				res.Problems = append(res.Problems, p)
			}
		}
		for i, ex := range exs {
			res.Exchanges = append(res.Exchanges, ex)
			res.Problems = append(res.Problems, contract.ValidateResponse(ex)...)
			for _, p := range statusProblems(ex, []int{c.Status}, false) {
				p.Grade = concurrentRefusedGrade
				res.Problems = append(res.Problems, p)
			}
			if ex.Err == nil && ex.Status() == c.Status {
				stored = append(stored, keys[i])
			}
		}
	}
	if res.Failed() {
		return res, nil
	}
	// The list, page by page (a large page size: the walk's invariants are the paging check's).
	seen := map[string]bool{}
	key := ""
	for pages := 0; pages <= concurrentWrites+20; pages++ {
		ex, doc, err := e.page(ctx, c.List, w, 50, key)
		if err != nil {
			return res, err
		}
		res.Exchanges = append(res.Exchanges, ex)
		answer := append(contract.ValidateResponse(ex), statusProblems(ex, []int{200}, false)...)
		res.Problems = append(res.Problems, answer...)
		if (Result{Problems: answer}).Failed() {
			return res, nil
		}
		items, _ := doc[c.List.Items].([]any)
		for _, it := range items {
			m, _ := it.(map[string]any)
			seen[itemKey(c.List.Key, m)] = true
		}
		next, _ := doc["nextPageKey"].(string)
		if next == "" || next == "0" || next == key {
			break
		}
		key = next
	}
	var lost []string
	for _, k := range stored {
		if !seen[k] {
			lost = append(lost, k)
		}
	}
	if len(lost) > 0 {
		slices.Sort(lost)
		res.Problems = append(res.Problems, contract.Problem{Check: CheckConcurrent,
			Message: fmt.Sprintf("%d writes of %s, sent %d at the same time, were each answered %d, but %s lists only %d of them: lost %s",
				len(stored), c.Write, concurrentWrites, c.Status, c.List.Op, len(stored)-len(lost), strings.Join(lost, ", "))})
	}
	return res, nil
}

// burst sends concurrentWrites writes at the same time, items first to first+concurrentWrites-1.
// The writes beside (nil without) are answered in besides.
func (e *Env) burst(ctx context.Context, c ConcurrentCheck, w *World, first int) (exs []*contract.Exchange, keys []string, besides []*contract.Exchange, err error) {
	// As many connections as writes, open before the writes start (the list read at once by
	// each), so that the writes reach the gateway together rather than one connection set-up
	// after another.
	var warm sync.WaitGroup
	for range concurrentWrites {
		warm.Go(func() { _, _, _ = e.page(ctx, c.List, w, 1, "") })
	}
	warm.Wait()
	exs = make([]*contract.Exchange, concurrentWrites)
	keys = make([]string, concurrentWrites)
	errs := make([]error, concurrentWrites)
	start := make(chan struct{})
	var wg sync.WaitGroup
	besides = make([]*contract.Exchange, concurrentWrites)
	besideErrs := make([]error, concurrentWrites)
	for i := range concurrentWrites {
		body, key := c.Item(w, first+i)
		keys[i] = key
		wg.Go(func() {
			<-start
			exs[i], errs[i] = e.send(ctx, Case{Op: c.Write, Auth: AuthToken, Body: body}, w)
		})
		if c.Beside != nil {
			besideBody := c.Beside.Body(w, first+i)
			wg.Go(func() {
				<-start
				besides[i], besideErrs[i] = e.send(ctx, Case{Op: c.Beside.Op, Auth: AuthToken, Body: besideBody}, w)
			})
		}
	}
	close(start)
	wg.Wait()
	return exs, keys, besides, errors.Join(append(errs, besideErrs...)...)
}
