package cases

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
)

// A paged list walked to its end: every list operation's items, made by the check in its own
// world, read page by page by the keys the gateway answers, with page sizes 1, 2 and the default.
// What holds for any conforming gateway (facts §2: the list envelope {nextPageKey, totalCount,
// pageSize, <items>}, nextPageKey "0" or absent on the last page; the keptn CLI follows
// nextPageKey, §8): each walk gives every item once, never one twice; a page holds at most the
// page size asked for; totalCount is the number of items walked; a walk ends. The list of
// projects is left out: it is the installation's, which other checks change during any walk
// (and upstream pages by offset, so a project made or deleted meanwhile shifts the pages).

// CheckPaging is the paging invariants' check.
const CheckPaging = "paging"

// PagingCheck walks one list operation.
type PagingCheck struct {
	Op    string
	Needs Needs
	// Items is the list's array property, Key the property that names an item.
	Items, Key string
	// Query narrows the list (templates over the world).
	Query map[string]string
	// Make creates the items the walk must find, and returns their keys.
	Make func(ctx context.Context, e *Env, w *World) ([]string, error)
}

// pagingGrade: the list envelope and its paging are upstream's documented contract.
var pagingGrade = grade.Grade{Level: grade.Must, Source: grade.Spec("the list envelope {nextPageKey, totalCount, pageSize, <items>}: nextPageKey pages through the list, \"0\" on the last page; the keptn CLI follows it")}

// pastTheEndGrade: a key the gateway never answered is not documented; answering it with items
// again would make a client that guesses offsets loop.
var pastTheEndGrade = grade.Grade{Level: grade.Should, Source: grade.Ours("a numeric key past the end of a list should give an empty page or a client error, never items again: a client that computes offsets would repeat them")}

// Name is the check's spec text.
func (p PagingCheck) Name() string {
	return Sentence(p.Op, pagingGrade, "page: walking the list by the keys it answers, with page sizes 1, 2 and the default, gives every item once and ends, with at most the page size on a page and totalCount items in all (and SHOULD answer a numeric key past the end with no item or a client error)")
}

const csProject = "/api/configuration-service/v1/project/"

// moreThanADefaultPage is how many resources and events a walk makes: one more than the
// documented default page size (20), so that the walk without a page size must page.
const moreThanADefaultPage = 21

// shortPageGrade: a page before the last with fewer items than asked for.
var shortPageGrade = grade.Grade{Level: grade.Should, Source: grade.Spec("pageSize: the number of items per page")}

// makeResources posts n resources to a level of the world's project.
func makeResources(level func(w *World) string) func(context.Context, *Env, *World) ([]string, error) {
	return func(ctx context.Context, e *Env, w *World) ([]string, error) {
		var uris []string
		var rs []map[string]string
		for i := range moreThanADefaultPage {
			u := fmt.Sprintf("conformance/paging-%02d.txt", i)
			uris = append(uris, u)
			rs = append(rs, map[string]string{"resourceURI": u, "resourceContent": B64("page " + strconv.Itoa(i))})
		}
		err := e.setup(ctx, "POST", csProject+w.Project+level(w)+"/resource", map[string]any{"resources": rs})
		return append(uris, w.ResourceURI), err
	}
}

// makeServices adds two services to the world's stage (it has the world's service already).
func makeServices(ctx context.Context, e *Env, w *World) ([]string, error) {
	names := []string{w.Service}
	for i := range 2 {
		n := fmt.Sprintf("paging%d", i)
		for _, st := range w.Stages {
			if err := e.setup(ctx, "POST", csProject+w.Project+"/stage/"+st+"/service", map[string]string{"serviceName": n}); err != nil {
				return nil, err
			}
		}
		names = append(names, n)
	}
	return names, nil
}

// PagingChecks are the list operations and how their items are made.
func PagingChecks() []PagingCheck {
	svcPath := func(w *World) string { return "/stage/" + w.Stage + "/service/" + w.Service }
	return []PagingCheck{
		{Op: "getStages", Needs: NeedsProject, Items: "stages", Key: "stageName",
			Make: func(_ context.Context, _ *Env, w *World) ([]string, error) { return w.Stages, nil }},
		{Op: "getStageServices", Needs: NeedsService, Items: "services", Key: "serviceName", Make: makeServices},
		{Op: "getProjectServices", Needs: NeedsService, Items: "services", Key: "serviceName", Make: makeServices},
		{Op: "getProjectResources", Needs: NeedsResources, Items: "resources", Key: "resourceURI",
			Make: makeResources(func(*World) string { return "" })},
		{Op: "getStageResources", Needs: NeedsResources, Items: "resources", Key: "resourceURI",
			Make: makeResources(func(w *World) string { return "/stage/" + w.Stage })},
		{Op: "getServiceResources", Needs: NeedsResources, Items: "resources", Key: "resourceURI",
			Make: makeResources(svcPath)},
		{Op: "getServiceDefaultResources", Needs: NeedsResources, Items: "resources", Key: "resourceURI",
			Make: makeResources(func(w *World) string { return "/service/" + w.Service })},
		{Op: "getApprovals", Needs: NeedsService, Items: "approvals", Key: "eventId",
			Make: func(ctx context.Context, e *Env, w *World) ([]string, error) {
				var ids []string
				for range 3 {
					id := NewUUID()
					if err := e.setup(ctx, "POST", csProject+w.Project+svcPath(w)+"/approval", map[string]string{"keptnContext": NewUUID(), "eventId": id, "image": "registry.example/carts", "tag": "1"}); err != nil {
						return nil, err
					}
					ids = append(ids, id)
				}
				return ids, nil
			}},
		{Op: "getRemediations", Needs: NeedsService, Items: "remediations", Key: "eventId", Make: makeRemediations(false)},
		{Op: "getRemediationsForContext", Needs: NeedsService, Items: "remediations", Key: "eventId", Make: makeRemediations(true)},
		{Op: "getEvents", Items: "events", Key: "id", Query: map[string]string{"keptnContext": "{{.EventContext}}"},
			Make: func(ctx context.Context, e *Env, w *World) ([]string, error) {
				var ids []string
				for i := range moreThanADefaultPage {
					id := NewUUID()
					ev := map[string]any{"type": w.EventType, "source": "https://github.com/keptn-conformance/suite", "specversion": "0.2",
						"shkeptncontext": w.EventContext, "id": id, "time": fmt.Sprintf("2020-08-01T10:00:%02dZ", i),
						"data": map[string]any{"project": w.Project, "marker": strconv.Itoa(i)}}
					if err := e.setup(ctx, "POST", "/api/mongodb-datastore/event", ev); err != nil {
						return nil, err
					}
					ids = append(ids, id)
				}
				return ids, nil
			}},
	}
}

// makeRemediations adds three remediations to the world's service: of one Keptn context (the
// world's, which getRemediationsForContext reads), or each of its own.
func makeRemediations(oneContext bool) func(context.Context, *Env, *World) ([]string, error) {
	return func(ctx context.Context, e *Env, w *World) ([]string, error) {
		var ids []string
		for range 3 {
			id, kctx := NewUUID(), NewUUID()
			if oneContext {
				kctx = w.RemediationContext
			}
			if err := e.setup(ctx, "POST", csProject+w.Project+"/stage/"+w.Stage+"/service/"+w.Service+"/remediation",
				map[string]string{"keptnContext": kctx, "eventId": id, "type": "sh.keptn.event.remediation.triggered", "action": "scale"}); err != nil {
				return nil, err
			}
			ids = append(ids, id)
		}
		return ids, nil
	}
}

// RunPaging makes the items, walks the list with each page size, and checks the invariants;
// then, where the keys are numbers, a key past the end (a SHOULD).
func (e *Env) RunPaging(ctx context.Context, p PagingCheck) (Result, error) {
	var res Result
	w, cleanup, err := e.Build(ctx, p.Needs)
	if err != nil {
		return res, err
	}
	defer cleanup()
	want, err := p.Make(ctx, e, w)
	if err != nil {
		return res, err
	}
	numericKeys := false
	for _, size := range []int{1, 2, 0} {
		keys, walked, problems, err := e.walk(ctx, p, w, size, want)
		if err != nil {
			return res, err
		}
		res.Exchanges = append(res.Exchanges, walked...)
		res.Problems = append(res.Problems, problems...)
		numericKeys = numericKeys || keys
	}
	if res.Failed() || !numericKeys {
		return res, nil
	}
	// Past the end: a numeric key beyond every item.
	end := strconv.Itoa(len(want) + 100)
	ex, doc, err := e.page(ctx, p, w, 1, end)
	if err != nil {
		return res, err
	}
	res.Exchanges = append(res.Exchanges, ex)
	if ex.Err == nil && ex.Status() == 200 {
		if items, ok := doc[p.Items].([]any); ok && len(items) > 0 {
			res.Problems = append(res.Problems, contract.Problem{Check: CheckPaging, Grade: pastTheEndGrade,
				Message: fmt.Sprintf("%s with nextPageKey %s (past the %d items) answered %d items again", p.Op, end, len(want), len(items))})
		}
	} else if ex.Err == nil && ex.Status() >= 500 {
		res.Problems = append(res.Problems, contract.Problem{Check: contract.CheckServerError, Grade: pastTheEndGrade,
			Message: fmt.Sprintf("%s with nextPageKey %s answered %d", p.Op, end, ex.Status())})
	}
	return res, nil
}

// page reads one page (size 0: the default page size; key "": the first page).
func (e *Env) page(ctx context.Context, p PagingCheck, w *World, size int, key string) (*contract.Exchange, map[string]any, error) {
	q := map[string]string{}
	for k, v := range p.Query {
		q[k] = v
	}
	if size > 0 {
		q["pageSize"] = strconv.Itoa(size)
	}
	if key != "" {
		q["nextPageKey"] = key
	}
	ex, err := e.send(ctx, Case{Op: p.Op, Auth: AuthToken, Query: q}, w)
	if err != nil {
		return nil, nil, err
	}
	var doc map[string]any
	if ex.Err == nil {
		dec := json.NewDecoder(bytes.NewReader(ex.RespBody))
		dec.UseNumber()
		_ = dec.Decode(&doc)
	}
	return ex, doc, nil
}

// walk reads the list from its first page to its last with one page size and checks the walk:
// it says whether a key answered was a number (for the past-the-end check).
func (e *Env) walk(ctx context.Context, p PagingCheck, w *World, size int, want []string) (bool, []*contract.Exchange, []contract.Problem, error) {
	sizeName := "the default page size"
	if size > 0 {
		sizeName = "page size " + strconv.Itoa(size)
	}
	fail := func(format string, args ...any) []contract.Problem {
		return []contract.Problem{{Check: CheckPaging, Message: fmt.Sprintf("%s, walked with %s: ", p.Op, sizeName) + fmt.Sprintf(format, args...)}}
	}
	var exs []*contract.Exchange
	numeric := false
	limit := size
	if limit == 0 {
		limit = defaultPageSize(p.Op)
	}
	var problems []contract.Problem
	seen := map[string]int{}
	var order []string
	key := ""
	total := -1
	// Enough pages for every item one at a time, and two more: a longer walk does not end.
	for pages := 0; ; pages++ {
		if pages > len(want)+20 {
			return numeric, exs, append(problems, fail("the walk did not end after %d pages (items seen: %s)", pages, strings.Join(order, ", "))...), nil
		}
		ex, doc, err := e.page(ctx, p, w, size, key)
		if err != nil {
			return numeric, exs, nil, err
		}
		exs = append(exs, ex)
		answer := append(contract.ValidateResponse(ex), statusProblems(ex, []int{200}, false)...)
		if (Result{Problems: answer}).Failed() {
			return numeric, exs, answer, nil
		}
		problems = append(problems, answer...) // findings only: the walk goes on
		items, _ := doc[p.Items].([]any)
		if limit > 0 && len(items) > limit {
			return numeric, exs, fail("a page holds %d items, more than the page size (%d)", len(items), limit), nil
		}
		next, _ := doc["nextPageKey"].(string)
		if limit > 0 && len(items) < limit && next != "" && next != "0" {
			short := fail("a page before the last holds %d items, fewer than the page size (%d)", len(items), limit)
			short[0].Grade = shortPageGrade
			problems = append(problems, short...)
		}
		for _, it := range items {
			m, _ := it.(map[string]any)
			k := itemKey(p.Key, m)
			seen[k]++
			order = append(order, k)
		}
		if n, ok := doc["totalCount"].(json.Number); ok {
			if t, err := n.Int64(); err == nil {
				total = int(t)
			}
		}
		if next == "" || next == "0" {
			break
		}
		if _, err := strconv.Atoi(next); err == nil {
			numeric = true
		}
		if next == key {
			return numeric, exs, fail("the page with key %q answers the same key as the next", key), nil
		}
		key = next
	}
	var twice, missing []string
	for k, n := range seen {
		if n > 1 {
			twice = append(twice, fmt.Sprintf("%s (%d times)", k, n))
		}
	}
	for _, k := range want {
		if seen[k] == 0 {
			missing = append(missing, k)
		}
	}
	slices.Sort(twice)
	if len(twice) > 0 {
		problems = append(problems, fail("items answered more than once: %s (walk: %s)", strings.Join(twice, ", "), strings.Join(order, ", "))...)
	}
	if len(missing) > 0 {
		problems = append(problems, fail("items never answered: %s (walk: %s)", strings.Join(missing, ", "), strings.Join(order, ", "))...)
	}
	if total >= 0 && total != len(order) {
		problems = append(problems, fail("totalCount is %d, but the walk answered %d items", total, len(order))...)
	}
	return numeric, exs, problems, nil
}

// itemKey is the name of a listed item by its key property. A resource's URI is compared without
// one leading slash: upstream 0.7.3's configuration-service lists the files it walks as "/name"
// (it cuts the directory's path, less its own leading slash, out of each file's path), and reads
// "/name" and "name" as the same file.
func itemKey(key string, item map[string]any) string {
	k := fmt.Sprint(item[key])
	if key == "resourceURI" {
		k = strings.TrimPrefix(k, "/")
	}
	return k
}

// defaultPageSize is the default of an operation's pageSize parameter in the specs (0: none).
func defaultPageSize(opID string) int {
	op, err := Operation(opID)
	if err != nil {
		return 0
	}
	for _, p := range op.Operation.Parameters {
		if p.Value != nil && p.Value.Name == "pageSize" && p.Value.Schema != nil && p.Value.Schema.Value != nil {
			if d, ok := p.Value.Schema.Value.Default.(float64); ok {
				return int(d)
			}
		}
	}
	return 0
}

// paramMaximum is the maximum of an operation's integer query parameter in the specs (0: none).
func paramMaximum(opID, name string) int {
	op, err := Operation(opID)
	if err != nil {
		return 0
	}
	for _, p := range op.Operation.Parameters {
		if p.Value != nil && p.Value.Name == name && p.Value.Schema != nil && p.Value.Schema.Value != nil && p.Value.Schema.Value.Max != nil {
			return int(*p.Value.Schema.Value.Max)
		}
	}
	return 0
}
