// Package report is the conformance report: what was certified, against which spec documents,
// with what result per profile, and how much of the specs the run covered. Its types are
// versioned (APIVersion) so that tools can read reports of older runs.
package report

import (
	"github.com/keptn-conformance/keptn-conformance/conformance/generate"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/conformance/specsource"
)

// APIVersion and Kind identify the report format.
const (
	APIVersion = "keptn-conformance/v1alpha2"
	Kind       = "ConformanceReport"
)

// Results of a profile, decided by its MUST checks alone: a failed SHOULD check is a finding.
const (
	Success = "success" // every MUST check passed
	Partial = "partial" // no MUST check failed, but some were skipped
	Failure = "failure" // at least one MUST check failed
)

// Outcomes of a check.
const (
	Passed  = "passed"
	Failed  = "failed"
	Skipped = "skipped"
)

// ConformanceReport is the report of one run.
type ConformanceReport struct {
	APIVersion     string         `json:"apiVersion"`
	Kind           string         `json:"kind"`
	Date           string         `json:"date"`
	Implementation Implementation `json:"implementation"`
	Specs          []Spec         `json:"specs"`
	Run            Run            `json:"run"`
	Profiles       []Profile      `json:"profiles"`
	// Results are one entry per check of the run (and one per SHOULD finding of a MUST check).
	Results      []Result      `json:"results"`
	Coverage     Coverage      `json:"coverage"`
	Checks       Counts        `json:"checks"`
	Measurements []Measurement `json:"measurements"`
	// Notes are facts a profile found that are not numbers (the mode of the HTTP listener, say).
	Notes []Note `json:"notes"`
	// Generated is what the generated requests (Feature:Generated) drew and sent, with the seed
	// that replays them (--seed); absent when none ran.
	Generated *Generated `json:"generated,omitempty"`
	// Drift is how the documents of --specs (served by the installation, or a user's) differ from
	// the bundled specs the verdicts use; absent with the bundled documents alone.
	Drift *specsource.Drift `json:"drift,omitempty"`
	// DurationSeconds is the run's wall time.
	DurationSeconds float64 `json:"durationSeconds"`
}

// Implementation is what was certified: what the run found (name, version, endpoint, target)
// and what the certifier declared (Metadata: organization, url, contact, and a version that
// replaces the reported one). Name is the Gateway API report's project.
type Implementation struct {
	Name         string   `json:"name"`
	Version      string   `json:"version"`
	Organization string   `json:"organization,omitempty"`
	URL          string   `json:"url,omitempty"`
	Contact      []string `json:"contact,omitempty"`
	Endpoint     string   `json:"endpoint"`
	Target       string   `json:"target"`
}

// Spec is a spec document the run checked against.
type Spec struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// Run says how the suite ran.
type Run struct {
	RandomSeed  int64  `json:"randomSeed"`
	LabelFilter string `json:"labelFilter,omitempty"`
	Processes   int    `json:"processes"`
	Succeeded   bool   `json:"succeeded"`
	// Failure is set when the run as a whole failed (a target that could not be set up, say),
	// as plain text.
	Failure string `json:"failure,omitempty"`
}

// Profile is the result of one profile (a label Profile:<name> on its specs).
type Profile struct {
	Name string `json:"name"`
	// Level is "core" (required to conform) or "extended" (reported, not required).
	Level string `json:"level"`
	// Result is decided by the MUST checks (see Success, Partial, Failure).
	Result string `json:"result"`
	// Passed, Failed and Skipped count every result, of both levels.
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
	// Must and Should split them by level.
	Must   LevelCounts `json:"must"`
	Should LevelCounts `json:"should"`
	// FailedSpecs are the failed MUST checks (the SHOULD findings are in the results).
	FailedSpecs  []string `json:"failedSpecs"`
	SkippedSpecs []string `json:"skippedSpecs"`
	// SkipReasons counts the skipped specs by reason.
	SkipReasons map[string]int `json:"skipReasons,omitempty"`
	// FailedChecks counts the failed results of both levels by the check that failed
	// (body-schema, status-documented...).
	FailedChecks map[string]int `json:"failedChecks,omitempty"`
}

// LevelCounts are a profile's results of one level.
type LevelCounts struct {
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
}

// Result is the outcome of one check.
type Result struct {
	// ID is stable across runs: made from the profile and the check's text (and, for a finding
	// beside a MUST check, its grade), never from the order or seed of a run.
	ID      string `json:"id"`
	Profile string `json:"profile"`
	// Check is the check's sentence (its spec text, RFC 2119 keywords included).
	Check   string       `json:"check"`
	Level   grade.Level  `json:"level"`
	Source  grade.Source `json:"source"`
	Outcome string       `json:"outcome"`
	// Message says why it failed (every problem, one a line) or why it was skipped.
	Message string `json:"message"`
	// FailedChecks name what failed (body-schema, auth-401, ...).
	FailedChecks []string `json:"failedChecks,omitempty"`
}

// Outcome is what a spec reports of its problems (report entry EntryOutcome): the problems of
// its own grade (Grade zero), or findings of a weaker grade beside it.
type Outcome struct {
	Grade   grade.Grade `json:"grade"`
	Checks  []string    `json:"checks"`
	Message string      `json:"message"`
}

// Counts are passed and failed results of the whole run, of both levels (skipped ones excluded).
type Counts struct {
	Total  int `json:"total"`
	Passed int `json:"passed"`
	Failed int `json:"failed"`
}

// Coverage is how much of the specs the run exercised.
type Coverage struct {
	Operations OperationCoverage `json:"operations"`
	Statuses   StatusCoverage    `json:"statuses"`
	Exemptions []Exemption       `json:"exemptions"`
}

// OperationCoverage counts operations with at least one answer checked.
type OperationCoverage struct {
	Total     int      `json:"total"`
	Covered   int      `json:"covered"`
	Uncovered []string `json:"uncovered"`
}

// StatusCoverage counts operation × documented response pairs the run saw.
type StatusCoverage struct {
	Total       int      `json:"total"`
	Exercised   int      `json:"exercised"`
	Unexercised []string `json:"unexercised"`
}

// Exemption is a documented response the suite does not provoke, and why.
type Exemption struct {
	Operation string `json:"operation"`
	Status    string `json:"status"`
	Reason    string `json:"reason"`
}

// Measurement is a figure a profile measured, such as a token rotation's latency.
type Measurement struct {
	Profile string  `json:"profile"`
	Name    string  `json:"name"`
	Value   float64 `json:"value"`
	Unit    string  `json:"unit"`
	// Limit is the most the profile allows (0: none).
	Limit float64 `json:"limit,omitempty"`
}

// Note is a fact a profile found about the implementation.
type Note struct {
	Profile string `json:"profile"`
	Name    string `json:"name"`
	Value   string `json:"value"`
}

// Generated sums up the run's generated requests: the seed, and per operation how many examples
// were drawn (schema-valid and schema-violating) and how many exchanges they made.
type Generated struct {
	Seed       uint64           `json:"seed"`
	Examples   int              `json:"examples"`
	Exchanges  int              `json:"exchanges"`
	Operations []generate.Entry `json:"operations"`
}
