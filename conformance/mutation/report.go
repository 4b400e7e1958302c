package mutation

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Report is a mutation run: how the sample was drawn, what it cost, what it showed.
type Report struct {
	Date string `json:"date"`
	// Generated counts every mutant of the tree by operator; SkippedBy counts those not run, by reason.
	Generated map[string]int `json:"generated"`
	SkippedBy map[string]int `json:"skippedBy"`
	Runnable  int            `json:"runnable"`
	Sample    int            `json:"sample"`
	Seed      uint64         `json:"seed"`
	Jobs      int            `json:"jobs"`
	Procs     int            `json:"procs"`
	// Configurations are the embedded target's configurations the baseline ran in, in order.
	Configurations []string `json:"configurations,omitempty"`
	// TimeoutSeconds is each mutant's run limit.
	TimeoutSeconds float64 `json:"timeoutSeconds"`
	// Baseline: the unmutated suite's build and run.
	BaselineBuildSeconds float64 `json:"baselineBuildSeconds"`
	BaselineRunSeconds   float64 `json:"baselineRunSeconds"`
	// WallSeconds is the whole run; PerMutantSeconds the wall time per sampled mutant.
	WallSeconds      float64  `json:"wallSeconds"`
	PerMutantSeconds float64  `json:"perMutantSeconds"`
	Conditions       string   `json:"conditions,omitempty"` // the machine's load, as the runner saw it
	Score            Score    `json:"score"`
	Results          []Result `json:"results"`
}

// Files of the report in the output directory.
const (
	FileJSON     = "mutation-report.json"
	FileMarkdown = "mutation-report.md"
)

// Write writes the report as JSON and Markdown into dir.
func (rep *Report) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	sortResults(rep.Results)
	j, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, FileJSON), append(j, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, FileMarkdown), []byte(rep.Markdown()), 0o644)
}

// ReadReport reads the JSON report Write wrote into dir.
func ReadReport(dir string) (*Report, error) {
	b, err := os.ReadFile(filepath.Join(dir, FileJSON))
	if err != nil {
		return nil, err
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, FileJSON), err)
	}
	return &rep, nil
}

// Summary is the score in a line.
func (rep *Report) Summary() string {
	s := rep.Score
	return fmt.Sprintf("mutation score %.1f%%: %d killed (%d by the time limit, %d by a SHOULD finding only), %d survived (%d in code the suite never ran), %d equivalent, %d did not build; sample %d of %d runnable mutants (seed %d), %.0f s a mutant",
		s.Percent, s.Killed, s.TimedOut, s.Noticed, s.Survived, s.NotReached, s.Equivalent, s.BuildFailed, rep.Sample, rep.Runnable, rep.Seed, rep.PerMutantSeconds)
}

// Markdown is the report for a person.
func (rep *Report) Markdown() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("# Mutation testing of the reference gateway\n\n%s\n\n", rep.Summary())
	w("Run %s: %d jobs, the suite on %d processes, %.0f s limit a mutant; baseline build %.0f s, run %.0f s; wall %.0f s.", rep.Date,
		rep.Jobs, rep.Procs, rep.TimeoutSeconds, rep.BaselineBuildSeconds, rep.BaselineRunSeconds, rep.WallSeconds)
	if rep.Conditions != "" {
		w(" Conditions: %s.", rep.Conditions)
	}
	w("\n\nScore = killed / (killed + survived); equivalent mutants (equivalent.yaml), those that do not build and skipped ones are not counted. ")
	w("A mutant in code the unmutated suite never ran (its coverage) survives without a run.")
	if len(rep.Configurations) > 1 {
		w(" The unmutated suite ran in the embedded target's configurations %s; each mutant ran in those whose run reached its code, in this order, until one noticed it.", strings.Join(rep.Configurations, ", "))
	}
	w("\n\n")

	w("## Mutants generated\n\n| operator | generated | sampled | killed | survived | equivalent | build-failed |\n|---|---:|---:|---:|---:|---:|---:|\n")
	by := map[string]map[string]int{}
	for _, r := range rep.Results {
		if by[r.Operator] == nil {
			by[r.Operator] = map[string]int{}
		}
		by[r.Operator][r.Status]++
		by[r.Operator]["sampled"]++
	}
	for _, op := range Operators {
		c := by[op]
		w("| %s | %d | %d | %d | %d | %d | %d |\n", op, rep.Generated[op], c["sampled"], c[Killed]+c[TimedOut]+c[Noticed], c[Survived], c[Equivalent], c[BuildFailed])
	}
	reasons := slices.Sorted(maps.Keys(rep.SkippedBy))
	for _, why := range reasons {
		w("\nNot run (%d): %s.\n", rep.SkippedBy[why], why)
	}

	section := func(title string, keep func(Result) bool, body func(Result)) {
		var rs []Result
		for _, r := range rep.Results {
			if keep(r) {
				rs = append(rs, r)
			}
		}
		w("\n## %s (%d)\n\n", title, len(rs))
		for _, r := range rs {
			fn := r.Func
			if fn == "" {
				fn = "package level"
			}
			top := ""
			if r.Configuration != "" && len(rep.Configurations) > 1 {
				top = " (" + r.Configuration + ")"
			}
			w("- `%s` %s:%d `%s` %s%s\n", r.ID, r.File, r.Line, fn, r.Operator, top)
			body(r)
		}
	}
	diffBlock := func(r Result) {
		if r.NotReached {
			w("  - not reached: the unmutated suite never runs this code\n")
		}
		w("\n  ```diff\n%s  ```\n", indent(r.Diff, "  "))
	}
	section("Survived", func(r Result) bool { return r.Status == Survived }, diffBlock)
	section("Killed", func(r Result) bool { return r.Status == Killed || r.Status == TimedOut || r.Status == Noticed }, func(r Result) {
		n := len(r.KilledBy)
		shown := r.KilledBy[:min(n, 3)]
		w("  - `%s` → `%s`; by %s", r.Original, r.Mutated, strings.Join(shown, "; "))
		if n > 3 {
			w(" and %d more", n-3)
		}
		w("\n")
	})
	section("Equivalent", func(r Result) bool { return r.Status == Equivalent }, func(r Result) {
		w("  - `%s` → `%s`: %s\n", r.Original, r.Mutated, r.Equivalence)
	})
	section("Did not build or could not run", func(r Result) bool { return r.Status == BuildFailed || r.Status == Error }, func(r Result) {
		w("  - `%s` → `%s`: %s\n", r.Original, r.Mutated, firstLine(r.BuildOutput+strings.Join(r.KilledBy, "; ")))
	})
	return b.String()
}

func indent(s, p string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return p + strings.Join(lines, "\n"+p) + "\n"
}
