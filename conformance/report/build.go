package report

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/target"
	"github.com/keptn-conformance/keptn-conformance/specs"
)

// Report entries the suite attaches to its specs, read back here (they cross process borders as
// JSON).
const (
	EntryExercised   = "keptn-conformance/exercised"     // []cases.Pair
	EntryChecks      = "keptn-conformance/failed-checks" // []string
	EntryMeasurement = "keptn-conformance/measurement"   // Measurement
)

// ProfileLabel is the label prefix naming a spec's profile.
const ProfileLabel = "Profile:"

// Build makes the conformance report of a finished run.
func Build(r types.Report, d *target.Description) (*ConformanceReport, error) {
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
		rep.Implementation = d.Implementation
	}
	for _, doc := range docs {
		rep.Specs = append(rep.Specs, Spec{Name: doc.Name, SHA256: doc.SHA256})
	}

	profiles := map[string]*Profile{}
	exercised := map[cases.Pair]bool{}
	for _, sr := range r.SpecReports {
		if sr.LeafNodeType != types.NodeTypeIt {
			if sr.State.Is(types.SpecStateFailureStates) {
				rep.Run.Failure = strings.TrimSpace(fmt.Sprintf("%s: %s", sr.LeafNodeType, sr.Failure.Message))
			}
			continue
		}
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
		p := profiles[name]
		if p == nil {
			p = &Profile{Name: name, Level: levelOf(name), FailedSpecs: []string{}, SkippedSpecs: []string{}}
			profiles[name] = p
		}
		switch {
		case sr.State == types.SpecStatePassed:
			p.Passed++
		case sr.State == types.SpecStateSkipped || sr.State == types.SpecStatePending:
			p.Skipped++
			p.SkippedSpecs = append(p.SkippedSpecs, sr.FullText())
			if p.SkipReasons == nil {
				p.SkipReasons = map[string]int{}
			}
			p.SkipReasons[firstLine(sr.Failure.Message)]++
		default:
			p.Failed++
			p.FailedSpecs = append(p.FailedSpecs, sr.FullText())
			if p.FailedChecks == nil {
				p.FailedChecks = map[string]int{}
			}
			checks := []string{}
			for _, e := range sr.ReportEntries {
				if e.Name == EntryChecks {
					_ = decodeEntry(e, &checks)
				}
			}
			if len(checks) == 0 {
				checks = []string{"other"}
			}
			for _, c := range checks {
				p.FailedChecks[c]++
			}
		}
	}
	for _, p := range profiles {
		switch {
		case p.Failed > 0:
			p.Result = Failure
		case p.Skipped > 0:
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
	rep.Checks.Total = rep.Checks.Passed + rep.Checks.Failed
	// Facts about the run rather than checks of the gateway.
	if profiles["Auth"] != nil {
		if n, err := cases.MatrixSize(); err == nil {
			rep.Measurements = append(rep.Measurements, Measurement{Profile: "Auth", Name: "token matrix (operations × credential variants)", Value: float64(n), Unit: "requests"})
		}
	}
	if profiles["TLS"] != nil && d != nil {
		rep.Notes = append(rep.Notes, Note{Profile: "TLS", Name: "HTTP listener", Value: cases.Mode(d)})
	}
	sort.Slice(rep.Profiles, func(i, j int) bool { return profileOrder(rep.Profiles[i].Name) < profileOrder(rep.Profiles[j].Name) })

	rep.Coverage = coverage(ops, exercised)
	return rep, nil
}

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
var extended = map[string]bool{"TLSExtended": true, "KeptnCLI": true, "Hardening": true}

func levelOf(profile string) string {
	if extended[profile] {
		return "extended"
	}
	return "core"
}

var order = []string{"Core", "Auth", "Session", "TokenRotation", "TLS", "TLSExtended", "KeptnCLI", "Hardening"}

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
