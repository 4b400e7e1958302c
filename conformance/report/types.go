// Package report is the conformance report: what was certified, against which spec documents,
// with what result per profile, and how much of the specs the run covered. Its types are
// versioned (APIVersion) so that tools can read reports of older runs.
package report

import "github.com/keptn-conformance/keptn-conformance/conformance/target"

// APIVersion and Kind identify the report format.
const (
	APIVersion = "keptn-conformance/v1alpha1"
	Kind       = "ConformanceReport"
)

// Results of a profile.
const (
	Success = "success" // every check passed
	Partial = "partial" // none failed, but some were skipped
	Failure = "failure" // at least one failed
)

// ConformanceReport is the report of one run.
type ConformanceReport struct {
	APIVersion     string                `json:"apiVersion"`
	Kind           string                `json:"kind"`
	Date           string                `json:"date"`
	Implementation target.Implementation `json:"implementation"`
	Specs          []Spec                `json:"specs"`
	Run            Run                   `json:"run"`
	Profiles       []Profile             `json:"profiles"`
	Coverage       Coverage              `json:"coverage"`
	Checks         Counts                `json:"checks"`
	Measurements   []Measurement         `json:"measurements"`
	// Notes are facts a profile found that are not numbers (the mode of the HTTP listener, say).
	Notes []Note `json:"notes"`
	// DurationSeconds is the run's wall time.
	DurationSeconds float64 `json:"durationSeconds"`
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
	// Failure is set when the run as a whole failed (a target that could not be set up, say).
	Failure string `json:"failure,omitempty"`
}

// Profile is the result of one profile (a label Profile:<name> on its specs).
type Profile struct {
	Name string `json:"name"`
	// Level is "core" (required to conform) or "extended" (reported, not required).
	Level        string   `json:"level"`
	Result       string   `json:"result"`
	Passed       int      `json:"passed"`
	Failed       int      `json:"failed"`
	Skipped      int      `json:"skipped"`
	FailedSpecs  []string `json:"failedSpecs"`
	SkippedSpecs []string `json:"skippedSpecs"`
	// SkipReasons counts the skipped specs by reason.
	SkipReasons map[string]int `json:"skipReasons,omitempty"`
	// FailedChecks counts the failures by the check that failed (body-schema, status-documented...).
	FailedChecks map[string]int `json:"failedChecks,omitempty"`
}

// Counts are passed and failed specs of the whole run (skipped ones excluded).
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
