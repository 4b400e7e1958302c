package mutation

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/conformance/report"
)

// Statuses of a mutant after its run.
const (
	Killed      = "killed"       // the suite failed
	Noticed     = "noticed"      // the suite passed, with a SHOULD finding the reference never has (counted as killed)
	TimedOut    = "timed-out"    // the run passed its time limit (counted as killed)
	Survived    = "survived"     // the suite passed
	Equivalent  = "equivalent"   // survived, and argued equivalent in equivalent.yaml (not counted)
	BuildFailed = "build-failed" // the mutant does not compile (not counted)
	Skipped     = "skipped"      // not run: code the suite cannot see by design (not counted)
	Error       = "error"        // the runner could not run the suite (not counted)
)

// Result is a mutant and what its run showed.
type Result struct {
	Mutant
	Status string `json:"status"`
	// NotReached: the unmutated suite never ran the mutated code, so the mutant survived unrun.
	NotReached bool `json:"notReached,omitempty"`
	// Configuration is the embedded target's configuration the mutant ran in ("" its default),
	// or the configurations it ran in one after the other ("all→split") until one noticed it.
	Configuration string `json:"configuration,omitempty"`
	// KilledBy are the failed specs (profile: spec), or what ended the run without a report.
	KilledBy []string `json:"killedBy,omitempty"`
	// Checks counts the failures by check (from the conformance report).
	Checks map[string]int `json:"checks,omitempty"`
	// Equivalence is the argument of equivalent.yaml for an equivalent mutant.
	Equivalence string  `json:"equivalence,omitempty"`
	BuildOutput string  `json:"buildOutput,omitempty"`
	BuildSecs   float64 `json:"buildSeconds"`
	RunSecs     float64 `json:"runSeconds"`
}

// Classify reads a mutant's run: the suite's exit (passed) and the artifacts it left in dir.
// A failed run without a conformance report (a crash of the gateway's process) is killed by that.
//
// A passed run whose report holds a failed SHOULD result is noticed: the reference gateway
// fails no SHOULD (its self-test holds it to every one), so the finding is the mutant's.
func Classify(dir string, passed bool, output string) (status string, killedBy []string, checks map[string]int) {
	rep, err := report.Read(filepath.Join(dir, report.FileJSON))
	if passed {
		if err != nil {
			return Survived, nil, nil
		}
		for _, r := range rep.Results {
			if r.Outcome == report.Failed && r.Level == grade.Should {
				killedBy = append(killedBy, "SHOULD "+r.Profile+": "+r.Check)
				if checks == nil {
					checks = map[string]int{}
				}
				for _, c := range r.FailedChecks {
					checks[c]++
				}
			}
		}
		if len(killedBy) > 0 {
			return Noticed, killedBy, checks
		}
		return Survived, nil, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return Killed, []string{"no conformance report: " + lastLine(output)}, nil
	}
	if err != nil {
		return Killed, []string{"unreadable conformance report: " + err.Error()}, nil
	}
	if rep.Run.Failure != "" {
		killedBy = append(killedBy, "run: "+firstLine(rep.Run.Failure))
	}
	for _, p := range rep.Profiles {
		for _, s := range p.FailedSpecs {
			killedBy = append(killedBy, p.Name+": "+s)
		}
		for c, k := range p.FailedChecks {
			if checks == nil {
				checks = map[string]int{}
			}
			checks[c] += k
		}
	}
	if len(killedBy) == 0 {
		killedBy = []string{"the suite failed with no failed check: " + lastLine(output)}
	}
	return Killed, killedBy, checks
}

// ansi matches a terminal's colour codes (ginkgo's failure messages carry them).
var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(ansi.ReplaceAllString(s, "")), "\n")
	return l
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(ansi.ReplaceAllString(s, "")), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l
		}
	}
	return "no output"
}

//go:embed equivalent.yaml
var equivalentYAML []byte

// EquivalentEntry is a mutant argued equivalent: no conforming observation tells it from the
// original, so the score does not count it.
type EquivalentEntry struct {
	ID       string `json:"id"`
	File     string `json:"file"`
	Func     string `json:"func"`
	Operator string `json:"operator"`
	Original string `json:"original"`
	Mutated  string `json:"mutated"`
	Reason   string `json:"reason"`
}

// Equivalents reads the list kept in equivalent.yaml, keyed by mutant ID.
func Equivalents() (map[string]EquivalentEntry, error) {
	return parseEquivalents(equivalentYAML)
}

func parseEquivalents(b []byte) (map[string]EquivalentEntry, error) {
	var doc struct {
		Equivalent []EquivalentEntry `json:"equivalent"`
	}
	if err := yaml.UnmarshalStrict(b, &doc); err != nil {
		return nil, fmt.Errorf("equivalent.yaml: %w", err)
	}
	out := map[string]EquivalentEntry{}
	for _, e := range doc.Equivalent {
		if hashOf(e.ID) != identity(e.File, e.Func, e.Operator, e.Original, e.Mutated) {
			return nil, fmt.Errorf("equivalent.yaml: %s (%s %s): the id is not the hash of its file, func, operator, original and mutated", e.ID, e.File, e.Operator)
		}
		if strings.TrimSpace(e.Reason) == "" {
			return nil, fmt.Errorf("equivalent.yaml: %s has no reason", e.ID)
		}
		out[e.ID] = e
	}
	return out, nil
}

// Score is the killed share of the counted mutants.
type Score struct {
	Killed      int     `json:"killed"` // timed-out and noticed included
	TimedOut    int     `json:"timedOut"`
	Noticed     int     `json:"noticed"` // by a SHOULD finding only
	Survived    int     `json:"survived"`
	NotReached  int     `json:"notReached"` // of the survivors: code the suite never ran
	Equivalent  int     `json:"equivalent"`
	BuildFailed int     `json:"buildFailed"`
	Percent     float64 `json:"percent"` // killed / (killed + survived); equivalent ones not counted
}

// Tally is the score of results.
func Tally(rs []Result) Score {
	var s Score
	for _, r := range rs {
		switch r.Status {
		case Killed:
			s.Killed++
		case TimedOut:
			s.Killed++
			s.TimedOut++
		case Noticed:
			s.Killed++
			s.Noticed++
		case Survived:
			s.Survived++
			if r.NotReached {
				s.NotReached++
			}
		case Equivalent:
			s.Equivalent++
		case BuildFailed:
			s.BuildFailed++
		}
	}
	if n := s.Killed + s.Survived; n > 0 {
		s.Percent = 100 * float64(s.Killed) / float64(n)
	}
	return s
}

// sortResults orders results by file and line.
func sortResults(rs []Result) {
	slices.SortStableFunc(rs, func(a, b Result) int {
		if a.File != b.File {
			return strings.Compare(a.File, b.File)
		}
		return a.Line - b.Line
	})
}

// hashOf is a mutant id's hash: the id itself, or without the -2, -3, … the generator appends
// when the same line comes twice in one function ("" for any other suffix).
func hashOf(id string) string {
	hash, k, dup := strings.Cut(id, "-")
	if n, err := strconv.Atoi(k); dup && (err != nil || n < 2) {
		return ""
	}
	return hash
}
