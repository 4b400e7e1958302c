package report

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/generate"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/conformance/profiles"
	"github.com/keptn-conformance/keptn-conformance/conformance/target"
	"github.com/keptn-conformance/keptn-conformance/specs"
)

// Report entries the suite attaches to its specs, read back here (they cross process borders as
// JSON).
const (
	EntryExercised   = "keptn-conformance/exercised"   // []cases.Pair
	EntryOutcome     = "keptn-conformance/outcome"     // Outcome
	EntryMeasurement = "keptn-conformance/measurement" // Measurement
)

// ProfileLabel is the label prefix naming a spec's profile.
const ProfileLabel = "Profile:"

// Build makes the conformance report of a finished run, on target d with the certifier's metadata m.
func Build(r types.Report, d *target.Description, m Metadata) (*ConformanceReport, error) {
	docs, err := specs.All()
	if err != nil {
		return nil, err
	}
	ops, err := specs.AllOperations()
	if err != nil {
		return nil, err
	}
	rep := &ConformanceReport{
		APIVersion: APIVersion, Kind: Kind,
		Date:            r.StartTime.UTC().Format(time.RFC3339),
		DurationSeconds: r.RunTime.Seconds(),
		Run: Run{
			RandomSeed: r.SuiteConfig.RandomSeed, LabelFilter: r.SuiteConfig.LabelFilter,
			Processes: r.SuiteConfig.ParallelTotal, Succeeded: r.SuiteSucceeded,
		},
		Measurements: []Measurement{},
		Notes:        []Note{},
	}
	if d != nil {
		im := d.Implementation
		rep.Implementation = Implementation{Name: im.Name, Version: im.Version, Endpoint: im.Endpoint, Target: im.Target}
	}
	m.Apply(&rep.Implementation)
	for _, doc := range docs {
		rep.Specs = append(rep.Specs, Spec{Name: doc.Name, SHA256: doc.SHA256})
	}

	byProfile := map[string]*Profile{}
	exercised := map[cases.Pair]bool{}
	rep.Results = []Result{}
	firstProcess := false
	for _, sr := range r.SpecReports {
		if sr.LeafNodeType != types.NodeTypeIt {
			// The cause is the first process's failure (the others only say that it failed).
			if sr.State.Is(types.SpecStateFailureStates) && (rep.Run.Failure == "" || sr.ParallelProcess == 1 && !firstProcess) {
				rep.Run.Failure, firstProcess = plain(sr.Failure.Message), sr.ParallelProcess == 1
			}
			continue
		}
		var outcomes []Outcome
		for _, e := range sr.ReportEntries {
			switch e.Name {
			case EntryExercised:
				var pairs []cases.Pair
				if decodeEntry(e, &pairs) == nil {
					for _, p := range pairs {
						exercised[p] = true
					}
				}
			case EntryMeasurement:
				var m Measurement
				if decodeEntry(e, &m) == nil {
					rep.Measurements = append(rep.Measurements, m)
				}
			case EntryOutcome:
				var o Outcome
				if decodeEntry(e, &o) == nil {
					outcomes = append(outcomes, o)
				}
			case generate.EntryName:
				var g generate.Entry
				if decodeEntry(e, &g) == nil {
					if rep.Generated == nil {
						rep.Generated = &Generated{Seed: g.Seed}
					}
					rep.Generated.Examples += g.Examples
					rep.Generated.Exchanges += g.Exchanges
					rep.Generated.Operations = append(rep.Generated.Operations, g)
				}
			}
		}
		name := profileOf(sr.Labels())
		if name == "" {
			continue
		}
		// A spec left out by a label filter was not part of this run.
		if sr.State == types.SpecStateSkipped && sr.Failure.Message == "" {
			continue
		}
		results, err := resultsOf(name, sr, outcomes)
		if err != nil {
			return nil, err
		}
		p := byProfile[name]
		if p == nil {
			p = &Profile{Name: name, Level: levelOf(name), FailedSpecs: []string{}, SkippedSpecs: []string{}}
			byProfile[name] = p
		}
		for _, res := range results {
			p.count(res)
			switch {
			case res.Outcome == Skipped:
				p.SkippedSpecs = append(p.SkippedSpecs, sr.FullText())
			case res.Outcome == Failed && res.Level == grade.Must:
				p.FailedSpecs = append(p.FailedSpecs, sr.FullText())
			}
		}
		rep.Results = append(rep.Results, results...)
	}
	for _, p := range byProfile {
		switch {
		case p.Must.Failed > 0:
			p.Result = Failure
		case p.Must.Skipped > 0:
			p.Result = Partial
		default:
			p.Result = Success
		}
		sort.Strings(p.FailedSpecs)
		sort.Strings(p.SkippedSpecs)
		rep.Profiles = append(rep.Profiles, *p)
		rep.Checks.Passed += p.Passed
		rep.Checks.Failed += p.Failed
	}
	sort.Slice(rep.Results, func(i, j int) bool {
		a, b := rep.Results[i], rep.Results[j]
		if a.Profile != b.Profile {
			return profileOrder(a.Profile) < profileOrder(b.Profile)
		}
		return a.ID < b.ID
	})
	rep.Checks.Total = rep.Checks.Passed + rep.Checks.Failed
	// Facts about the run rather than checks of the gateway.
	if byProfile[cases.ProfileAuth] != nil {
		if n, err := cases.MatrixSize(); err == nil {
			rep.Measurements = append(rep.Measurements, Measurement{Profile: cases.ProfileAuth, Name: "token matrix (operations × credential variants)", Value: float64(n), Unit: "requests"})
		}
	}
	if byProfile[cases.ProfileTLS] != nil && d != nil {
		rep.Notes = append(rep.Notes, Note{Profile: cases.ProfileTLS, Name: "HTTP listener", Value: profiles.Mode(d)})
	}
	sort.Slice(rep.Profiles, func(i, j int) bool { return profileOrder(rep.Profiles[i].Name) < profileOrder(rep.Profiles[j].Name) })
	if g := rep.Generated; g != nil {
		sort.Slice(g.Operations, func(i, j int) bool { return g.Operations[i].Operation < g.Operations[j].Operation })
	}

	rep.Coverage = coverage(ops, exercised)
	return rep, nil
}

// resultsOf are a spec's results: its own, at its declared grade, and one per finding of a weaker
// grade it reported beside it.
func resultsOf(profile string, sr types.SpecReport, outcomes []Outcome) ([]Result, error) {
	text := sr.LeafNodeText
	g, ok, err := profiles.GradeOf(profile, text)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("the spec %q of profile %s is not declared (profiles.Declarations): it has no grade", text, profile)
	}
	own := Result{ID: cases.ResultID(profile, text, grade.Grade{}), Profile: profile, Check: text, Level: g.Level, Source: g.Source}
	// A spec may judge several results (a rotation, then the load through it): outcomes of one
	// grade make one result.
	out := []*Result{&own}
	byID := map[string]*Result{own.ID: &own}
	for _, o := range outcomes {
		id := cases.ResultID(profile, text, o.Grade)
		r := byID[id]
		if r == nil {
			r = &Result{ID: id, Profile: profile, Check: text, Level: o.Grade.Level, Source: o.Grade.Source}
			byID[id] = r
			out = append(out, r)
		}
		r.Outcome = Failed
		r.Message = strings.TrimSpace(r.Message + "\n" + o.Message)
		for _, c := range o.Checks {
			if !slices.Contains(r.FailedChecks, c) {
				r.FailedChecks = append(r.FailedChecks, c)
			}
		}
	}
	if own.Outcome == "" {
		own.Outcome = Passed
	}
	switch {
	case sr.State == types.SpecStatePassed:
	case sr.State == types.SpecStateSkipped || sr.State == types.SpecStatePending:
		own.Outcome, own.Message = Skipped, firstLine(plain(sr.Failure.Message))
	default:
		own.Outcome = Failed
		if own.Message == "" {
			own.Message = plain(sr.Failure.Message)
		}
		if len(own.FailedChecks) == 0 {
			own.FailedChecks = []string{"other"}
		}
	}
	results := make([]Result, len(out))
	for i, r := range out {
		results[i] = *r
	}
	return results, nil
}

// count adds a result to the profile's counts.
func (p *Profile) count(r Result) {
	lc := &p.Must
	if r.Level == grade.Should {
		lc = &p.Should
	}
	switch r.Outcome {
	case Passed:
		p.Passed++
		lc.Passed++
	case Skipped:
		p.Skipped++
		lc.Skipped++
		if p.SkipReasons == nil {
			p.SkipReasons = map[string]int{}
		}
		p.SkipReasons[r.Message]++
	default:
		p.Failed++
		lc.Failed++
		if p.FailedChecks == nil {
			p.FailedChecks = map[string]int{}
		}
		for _, c := range r.FailedChecks {
			p.FailedChecks[c]++
		}
	}
}

// ansi matches terminal colour and cursor sequences.
var ansi = regexp.MustCompile("\x1b\\[[0-9;?]*[A-Za-z]")

// plain is a message without terminal escapes, trimmed.
func plain(s string) string { return strings.TrimSpace(ansi.ReplaceAllString(s, "")) }

func coverage(ops []specs.Operation, exercised map[cases.Pair]bool) Coverage {
	c := Coverage{Exemptions: []Exemption{}}
	covered := map[string]bool{}
	for p := range exercised {
		covered[p.Op] = true
	}
	c.Operations.Uncovered = []string{}
	for _, op := range ops {
		c.Operations.Total++
		if covered[op.ID()] {
			c.Operations.Covered++
		} else {
			c.Operations.Uncovered = append(c.Operations.Uncovered, op.ID())
		}
	}
	c.Statuses.Unexercised = []string{}
	exempt := map[cases.Pair]bool{}
	for _, e := range cases.Exemptions() {
		exempt[cases.Pair{Op: e.Op, Status: e.Status}] = true
		c.Exemptions = append(c.Exemptions, Exemption{Operation: e.Op, Status: e.Status, Reason: e.Reason})
	}
	for _, p := range cases.PairsOf(ops) {
		c.Statuses.Total++
		switch {
		case exercised[p]:
			c.Statuses.Exercised++
		case !exempt[p]:
			c.Statuses.Unexercised = append(c.Statuses.Unexercised, p.Op+" "+p.Status)
		}
	}
	return c
}

func profileOf(labels []string) string {
	for _, l := range labels {
		if strings.HasPrefix(l, ProfileLabel) {
			return strings.TrimPrefix(l, ProfileLabel)
		}
	}
	return ""
}

// Extended profiles are reported, not required: a gateway can conform without them.
var extended = map[string]bool{cases.ProfileTLSExtended: true, cases.ProfileKeptnCLI: true, cases.ProfileHardening: true, profiles.ProfileUpstream: true}

func levelOf(profile string) string {
	if extended[profile] {
		return "extended"
	}
	return "core"
}

var order = []string{cases.ProfileCore, cases.ProfileAuth, cases.ProfileSession, cases.ProfileTokenRotation, cases.ProfileTLS,
	cases.ProfileTLSExtended, cases.ProfileKeptnCLI, cases.ProfileHardening, profiles.ProfileUpstream}

func profileOrder(name string) int {
	for i, n := range order {
		if n == name {
			return i
		}
	}
	return len(order)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if s == "" {
		return "(no reason given)"
	}
	return s
}

// decodeEntry reads a report entry's value: as JSON when it came from another process, else from
// the value itself (Ginkgo fills AsJSON only when it sends an entry across processes).
func decodeEntry(e types.ReportEntry, v any) error {
	raw := e.Value.AsJSON
	if raw == "" {
		b, err := json.Marshal(e.Value.GetRawValue())
		if err != nil {
			return err
		}
		raw = string(b)
	}
	return json.Unmarshal([]byte(raw), v)
}
