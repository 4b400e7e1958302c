package mutation

import (
	"cmp"
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/conformance/report"
)

// fixture exercises every operator with code on which each mutant compiles (no imports, so
// that the type check needs no importer).
const fixture = `package fixture

type logger struct{}

func (logger) Info(msg string, args ...any) {}

type item struct {
	Name  string ` + "`json:\"name,omitempty\"`" + `
	Count int    ` + "`json:\"count\"`" + `
}

type svc struct {
	log   logger
	items []item
	total int
}

func (s *svc) page(key, size int) ([]item, error) {
	if key < 0 || size <= 0 {
		return nil, nil
	}
	end := key + size
	if end > len(s.items) && size != 1 {
		end = len(s.items)
	}
	s.total += size * 2
	s.total++
	s.log.Info("paging", "key", key)
	s.touch()
	for i := 0; i < end; i++ {
		if s.items[i].Name == "" {
			s.total -= i % 3
		}
	}
	return s.items[key:end], nil
}

func (s *svc) touch() { s.total = s.total / 2 }

func ok(a, b bool) bool { return a && b || !a }

func sign(n int) string {
	switch {
	case n < 0:
		return "negative"
	}
	return "other"
}
`

func generateFixture(t *testing.T) []*Mutant {
	t.Helper()
	ms, err := Generate("fixture/fixture.go", []byte(fixture))
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func TestOperatorsMakeCompilableDistinctMutants(t *testing.T) {
	ms := generateFixture(t)
	byOp := map[string]int{}
	ids := map[string]bool{}
	sources := map[string]string{fixture: "the original"}
	for _, m := range ms {
		byOp[m.Operator]++
		if ids[m.ID] {
			t.Errorf("two mutants have the id %s", m.ID)
		}
		ids[m.ID] = true
		if other, ok := sources[string(m.Source())]; ok {
			t.Errorf("%s (%s line %d) is the same source as %s", m.ID, m.Operator, m.Line, other)
		}
		sources[string(m.Source())] = m.ID
		if err := typeCheck(m.Source()); err != nil {
			t.Errorf("%s %s line %d: %s → %s does not compile: %v", m.ID, m.Operator, m.Line, m.Original, m.Mutated, err)
		}
		if !strings.Contains(m.Diff, "-"+strings.Split(fixture, "\n")[m.Line-1]+"\n") {
			t.Errorf("%s: the diff does not show line %d:\n%s", m.ID, m.Line, m.Diff)
		}
	}
	for _, op := range Operators {
		if byOp[op] == 0 {
			t.Errorf("operator %s made no mutant of the fixture", op)
		}
	}
}

func typeCheck(src []byte) error {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "fixture.go", src, 0)
	if err != nil {
		return err
	}
	_, err = (&types.Config{}).Check("fixture", fset, []*ast.File{f}, nil)
	return err
}

func TestMutantsInLoggingAreSkipped(t *testing.T) {
	var skipped []string
	for _, m := range generateFixture(t) {
		if m.Skip != "" {
			skipped = append(skipped, m.Operator+": "+m.Mutated)
		}
	}
	want := []string{`remove-call: `, `constant: s.log.Info("", "key", key)`, `constant: s.log.Info("paging", "", key)`}
	slices.Sort(skipped)
	slices.Sort(want)
	if !slices.Equal(skipped, want) {
		t.Errorf("skipped %q, want the logging call's mutants %q", skipped, want)
	}
}

func TestMutantsHaveFunctionsAndStableIDs(t *testing.T) {
	a, b := generateFixture(t), generateFixture(t)
	for i := range a {
		if a[i].ID != b[i].ID {
			t.Fatalf("mutant %d: id %s, then %s", i, a[i].ID, b[i].ID)
		}
	}
	funcs := map[string]bool{}
	for _, m := range a {
		funcs[m.Func] = true
	}
	for _, f := range []string{"(*svc).page", "(*svc).touch", "ok", ""} {
		if !funcs[f] {
			t.Errorf("no mutant in function %q (have %v)", f, funcs)
		}
	}
}

// The gateway's own mutants have unique ids, and a sample of them parses.
func TestGatewayMutantsParse(t *testing.T) {
	root := moduleRoot(t)
	files, err := Files(root, "gateway")
	if err != nil {
		t.Fatal(err)
	}
	all, err := GenerateAll(root, files)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 1000 {
		t.Fatalf("%d mutants of %d files: too few", len(all), len(files))
	}
	ids := map[string]bool{}
	for _, m := range all {
		if strings.HasSuffix(m.File, "_test.go") {
			t.Errorf("%s: a test file is mutated", m.File)
		}
		if ids[m.ID] {
			t.Errorf("two mutants have the id %s", m.ID)
		}
		ids[m.ID] = true
	}
	for _, m := range Sample(all, 300, 1) {
		if _, err := parser.ParseFile(token.NewFileSet(), m.File, m.Source(), parser.SkipObjectResolution); err != nil {
			t.Errorf("%s %s:%d %s does not parse: %v", m.ID, m.File, m.Line, m.Operator, err)
		}
	}
}

func moduleRoot(t *testing.T) string {
	_, here, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(here), "..", "..")
}

func synthetic() []*Mutant {
	var all []*Mutant
	sizes := map[string]int{"a.go|boundary": 10, "a.go|constant": 30, "b.go|boundary": 5, "b.go|remove-call": 1, "c.go|constant": 54}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range sizes {
			if !yield(k) {
				return
			}
		}
	}) {
		file, op, _ := strings.Cut(k, "|")
		for i := range sizes[k] {
			all = append(all, &Mutant{ID: fmt.Sprintf("%s-%s-%d", file, op, i), File: file, Operator: op, Line: i + 1})
		}
	}
	all = append(all, &Mutant{ID: "skipped", File: "a.go", Operator: "constant", Skip: skipLogging})
	return all
}

func ids(ms []*Mutant) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

func TestSampleIsDeterministicStratifiedAndSized(t *testing.T) {
	all := synthetic()
	first := ids(Sample(all, 20, 7))
	if again := ids(Sample(all, 20, 7)); !slices.Equal(first, again) {
		t.Fatalf("seed 7 drew %v, then %v", first, again)
	}
	if len(first) != 20 {
		t.Fatalf("drew %d, want 20", len(first))
	}
	differs := false
	for seed := uint64(8); seed < 12; seed++ {
		differs = differs || !slices.Equal(first, ids(Sample(all, 20, seed)))
	}
	if !differs {
		t.Error("seeds 8 to 11 all drew seed 7's sample")
	}
	// By operator first: remove-call has one mutant, so boundary (15) and constant (84) share the
	// other 19 evenly; within an operator, files in proportion to their mutants, give or take one.
	byOp, byStratum := map[string]int{}, map[string]int{}
	for _, m := range Sample(all, 20, 7) {
		if m.Skip != "" {
			t.Errorf("drew the skipped mutant %s", m.ID)
		}
		byOp[m.Operator]++
		byStratum[m.File+"|"+m.Operator]++
	}
	if byOp["remove-call"] != 1 || byOp["boundary"] < 9 || byOp["boundary"] > 10 || byOp["constant"] < 9 || byOp["constant"] > 10 {
		t.Errorf("per operator %v, want remove-call 1, boundary and constant 9 or 10", byOp)
	}
	for k, size := range map[string]int{"a.go|boundary": 10, "b.go|boundary": 5, "a.go|constant": 30, "c.go|constant": 54} {
		file, op, _ := strings.Cut(k, "|")
		opSize := map[string]int{"boundary": 15, "constant": 84}[op]
		if lo := size * byOp[op] / opSize; byStratum[k] < lo || byStratum[k] > lo+1 {
			t.Errorf("%s of %s (%d of %d mutants) got %d of the operator's %d", file, op, size, opSize, byStratum[k], byOp[op])
		}
	}
	if n := len(Sample(all, 0, 7)); n != 100 {
		t.Errorf("n=0 drew %d, want every runnable mutant (100)", n)
	}
	if n := len(Sample(all, 500, 7)); n != 100 {
		t.Errorf("n=500 drew %d, want every runnable mutant (100)", n)
	}
}

func TestClassifyReadsTheConformanceReport(t *testing.T) {
	dir := t.TempDir()
	if st, _, _ := Classify(dir, true, ""); st != Survived {
		t.Errorf("a passed run: %s, want survived", st)
	}
	st, by, _ := Classify(dir, false, "panic: boom\n\nexit status 2\n")
	if st != Killed || len(by) != 1 || !strings.Contains(by[0], "exit status 2") {
		t.Errorf("a failed run without a report: %s %q, want killed with the output's last line", st, by)
	}
	rep := &report.ConformanceReport{Profiles: []report.Profile{
		{Name: "Core", Result: report.Success},
		{Name: "Session", Result: report.Failure, Failed: 2, FailedSpecs: []string{"cookie attributes", "logout"},
			FailedChecks: map[string]int{"session-cookie": 2}},
	}}
	if err := report.Write(dir, rep); err != nil {
		t.Fatal(err)
	}
	st, by, checks := Classify(dir, false, "")
	if st != Killed || !slices.Equal(by, []string{"Session: cookie attributes", "Session: logout"}) || checks["session-cookie"] != 2 {
		t.Errorf("got %s %q %v, want killed by the two Session specs", st, by, checks)
	}
	// A passed run with a failed SHOULD result: noticed (the reference fails no SHOULD).
	rep.Results = []report.Result{{Profile: "Core", Check: "getEvents SHOULD exclude invalidated evaluations", Level: grade.Should,
		Outcome: report.Failed, FailedChecks: []string{"behaviour"}}, {Profile: "Core", Check: "a passed one", Level: grade.Should, Outcome: report.Passed}}
	if err := report.Write(dir, rep); err != nil {
		t.Fatal(err)
	}
	if st, by, checks := Classify(dir, true, ""); st != Noticed || len(by) != 1 || !strings.Contains(by[0], "invalidated") || checks["behaviour"] != 1 {
		t.Errorf("a passed run with a SHOULD finding: %s %q %v, want noticed", st, by, checks)
	}
	rep.Results = nil
	rep.Profiles = nil
	rep.Run.Failure = "SynchronizedBeforeSuite: the target cannot be certified: listen\nmore"
	if err := report.Write(dir, rep); err != nil {
		t.Fatal(err)
	}
	if st, by, _ := Classify(dir, false, ""); st != Killed || !slices.Equal(by, []string{"run: SynchronizedBeforeSuite: the target cannot be certified: listen"}) {
		t.Errorf("a failed set-up: %s %q", st, by)
	}
	if err := os.WriteFile(filepath.Join(dir, report.FileJSON), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if st, by, _ := Classify(dir, false, ""); st != Killed || !strings.HasPrefix(by[0], "unreadable conformance report") {
		t.Errorf("a broken report: %s %q", st, by)
	}
}

func TestEquivalentList(t *testing.T) {
	if _, err := Equivalents(); err != nil {
		t.Fatal(err)
	}
	id := identity("gateway/x.go", "f", OpConstant, "a := 1", "a := 2")
	good := fmt.Sprintf("equivalent:\n- id: %s\n  file: gateway/x.go\n  func: f\n  operator: constant\n  original: a := 1\n  mutated: a := 2\n  reason: unread\n", id)
	if m, err := parseEquivalents([]byte(good)); err != nil || m[id].Reason != "unread" {
		t.Errorf("a good entry: %v %v", m, err)
	}
	if _, err := parseEquivalents([]byte(strings.Replace(good, "a := 2", "a := 3", 1))); err == nil {
		t.Error("an entry whose id does not match its lines was accepted")
	}
	if _, err := parseEquivalents([]byte(strings.Replace(good, "  reason: unread\n", "", 1))); err == nil {
		t.Error("an entry without a reason was accepted")
	}
	// The same line a second time in one function: the generator's id with -2.
	if m, err := parseEquivalents([]byte(strings.Replace(good, id, id+"-2", 1))); err != nil || m[id+"-2"].Reason != "unread" {
		t.Errorf("an entry of a repeated line (-2): %v %v", m, err)
	}
	for _, suffix := range []string{"-1", "-x", "-"} {
		if _, err := parseEquivalents([]byte(strings.Replace(good, id, id+suffix, 1))); err == nil {
			t.Errorf("an entry with the id suffix %q was accepted", suffix)
		}
	}
}

func TestTallyCountsKilledAndSurvivedOnly(t *testing.T) {
	var rs []Result
	for st, k := range map[string]int{Killed: 6, TimedOut: 2, Survived: 2, Equivalent: 3, BuildFailed: 4, Error: 1} {
		for range k {
			rs = append(rs, Result{Status: st})
		}
	}
	s := Tally(rs)
	if s.Killed != 8 || s.TimedOut != 2 || s.Survived != 2 || s.Equivalent != 3 || s.BuildFailed != 4 || s.Percent != 80 {
		t.Errorf("tally %+v, want 8 killed (2 timed out) of 10 counted: 80%%", s)
	}
}

func TestCoverageTellsReachedCode(t *testing.T) {
	// The fixture's page runs up to its loop; touch and ok never run; a struct tag has no block.
	profile := "mode: set\n" +
		"example.com/m/fixture/fixture.go:18.51,19.26 1 1\n" +
		"example.com/m/fixture/fixture.go:19.26,21.3 1 0\n" +
		"example.com/m/fixture/fixture.go:21.3,30.27 7 1\n" +
		"example.com/m/fixture/fixture.go:38.23,38.47 1 0\n" +
		"example.com/m/fixture/fixture.go:40.25,40.47 1 0\n" +
		"example.com/m/fixture/fixture.go:42.25,43.9 1 1\n" +
		"example.com/m/fixture/fixture.go:44.13,45.20 1 0\n" +
		"example.com/m/fixture/fixture.go:47.2,47.16 1 1\n" +
		"other.org/x/y.go:1.1,2.2 1 1\n"
	cov, err := ParseCoverage([]byte(profile), "example.com/m")
	if err != nil {
		t.Fatal(err)
	}
	if len(cov) != 1 {
		t.Errorf("blocks of %d files, want the module's one", len(cov))
	}
	got := map[string]string{}
	for _, m := range generateFixture(t) {
		reached, known := cov.Reached(m)
		got[fmt.Sprintf("%d %s", m.Line, m.Operator)] = map[bool]string{true: "reached", false: "not reached"}[reached]
		if !known {
			got[fmt.Sprintf("%d %s", m.Line, m.Operator)] = "unknown"
		}
	}
	for k, want := range map[string]string{
		"19 boundary": "reached", "18 early-return": "reached", "26 arithmetic": "reached",
		"38 remove-assignment": "not reached", "40 logical": "not reached", "8 json-name": "unknown",
		// A case clause's expression lies between blocks: reached where its function ran.
		"44 boundary": "reached",
	} {
		if got[k] != want {
			t.Errorf("%s: %s, want %s", k, got[k], want)
		}
	}
	if _, err := ParseCoverage([]byte("mode: set\nfile.go:1.1 1\n"), "m"); err == nil {
		t.Error("a malformed block was accepted")
	}
}

func TestFailedLinesOfATimedOutRun(t *testing.T) {
	out := "\x1b[38;5;9m• [FAILED] [30.4 seconds]\x1b[0m\n  \x1b[38;5;9m[FAILED] set-up: /x did not appear within 30s:\n  [FAILED] set-up: /x did not appear within 30s:\n[FAILED] b\n[FAILED] c\n"
	if got := failedLines(out, 3); !slices.Equal(got, []string{"set-up: /x did not appear within 30s:", "b", "c"}) {
		t.Errorf("failed lines %q", got)
	}
}

func TestReportRoundTrip(t *testing.T) {
	dir := t.TempDir()
	rep := &Report{Seed: 3, Sample: 2, Results: []Result{
		{Mutant: Mutant{ID: "b", File: "gateway/b.go", Line: 2, Operator: OpConstant}, Status: Survived, NotReached: true},
		{Mutant: Mutant{ID: "a", File: "gateway/a.go", Line: 9, Operator: OpBoundary}, Status: Killed, KilledBy: []string{"Core: x"}},
	}}
	rep.Score = Tally(rep.Results)
	if err := rep.Write(dir); err != nil {
		t.Fatal(err)
	}
	got, err := ReadReport(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Results) != 2 || got.Results[0].ID != "a" || !got.Results[1].NotReached || got.Score.Percent != 50 {
		t.Errorf("read back %+v", got)
	}
	md, err := os.ReadFile(filepath.Join(dir, FileMarkdown))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"mutation score 50.0%", "## Survived (1)", "not reached", "## Killed (1)", "by Core: x"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("the Markdown report lacks %q", want)
		}
	}
}

// Each mutant runs in the configurations whose baseline reached its code, in order; code no
// baseline ran is not reached; a struct tag (no block anywhere) runs in the first.
func TestReachingConfigurations(t *testing.T) {
	parse := func(profile string) Coverage {
		cov, err := ParseCoverage([]byte("mode: set\n"+profile), "example.com/m")
		if err != nil {
			t.Fatal(err)
		}
		return cov
	}
	// all runs the page up to its loop; split runs line 38 too; nothing runs line 40.
	// split alone runs sign (whose case expression no block holds).
	all := Configuration{Name: "all", Coverage: parse("example.com/m/fixture/fixture.go:18.51,19.26 1 1\n" +
		"example.com/m/fixture/fixture.go:38.23,38.47 1 0\nexample.com/m/fixture/fixture.go:40.25,40.47 1 0\n" +
		"example.com/m/fixture/fixture.go:42.25,43.9 1 0\nexample.com/m/fixture/fixture.go:47.2,47.16 1 0\n")}
	split := Configuration{Name: "split", Coverage: parse("example.com/m/fixture/fixture.go:18.51,19.26 1 1\n" +
		"example.com/m/fixture/fixture.go:38.23,38.47 1 1\nexample.com/m/fixture/fixture.go:40.25,40.47 1 0\n" +
		"example.com/m/fixture/fixture.go:42.25,43.9 1 1\nexample.com/m/fixture/fixture.go:47.2,47.16 1 1\n")}
	got := map[string]string{}
	for _, m := range generateFixture(t) {
		var names []string
		for _, c := range Reaching([]Configuration{all, split}, m) {
			names = append(names, c.Name)
		}
		got[fmt.Sprintf("%d %s", m.Line, m.Operator)] = cmp.Or(strings.Join(names, ","), "not reached")
	}
	for k, want := range map[string]string{
		"18 early-return": "all,split", "38 remove-assignment": "split", "40 logical": "not reached", "8 json-name": "all",
		"44 boundary": "split",
	} {
		if got[k] != want {
			t.Errorf("%s: %s, want %s", k, got[k], want)
		}
	}
	if _, err := ConfigurationFlags("no-such"); err == nil {
		t.Error("an unknown configuration has flags")
	}
}

// A mutant the first configuration's run does not notice is run in the next one, each run in a
// directory of its own; the first that notices it ends the judgement. The suite here is a script
// standing in for the ginkgo CLI: it fails in the split configuration only.
func TestJudgeTriesTheNextConfiguration(t *testing.T) {
	work := t.TempDir()
	ginkgo := filepath.Join(work, "ginkgo")
	script := "#!/bin/sh\necho \"$@\" > args.txt\ncase \"$*\" in *--embedded-topology=split*) echo '[FAILED] split noticed it'; exit 1;; esac\nexit 0\n"
	if err := os.WriteFile(ginkgo, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	r := &Runner{Ginkgo: ginkgo, Procs: 1, Timeout: time.Minute}
	cs := []Configuration{{Name: "all"}, {Name: "split"}, {Name: "strict"}}
	dir := filepath.Join(work, "mutant")
	var res Result
	r.judge(context.Background(), dir, "suite.test", cs, &res)
	if res.Status != Killed || res.Configuration != "all→split" {
		t.Fatalf("status %s in %q (killed by %v), want killed in all→split", res.Status, res.Configuration, res.KilledBy)
	}
	for _, d := range []string{dir, filepath.Join(dir, "split")} {
		if _, err := os.Stat(filepath.Join(d, "args.txt")); err != nil {
			t.Errorf("no run in %s: %v", d, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "strict")); err == nil {
		t.Error("ran in strict after split had noticed it")
	}
	res = Result{}
	r.judge(context.Background(), dir, "suite.test", []Configuration{{Name: "all"}, {Name: "strict"}}, &res)
	if res.Status != Survived || res.Configuration != "all→strict" {
		t.Fatalf("status %s in %q, want survived after all→strict", res.Status, res.Configuration)
	}
}
