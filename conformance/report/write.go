package report

import (
	"encoding/json"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/specs"
)

// Files the report is written to, in the artifacts directory.
const (
	FileYAML     = "conformance-report.yaml"
	FileJSON     = "conformance-report.json"
	FileCoverage = "coverage.html"
)

// Write writes the report as YAML and JSON, and the coverage page.
func Write(dir string, rep *ConformanceReport) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	j, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, FileJSON), append(j, '\n'), 0o644); err != nil {
		return err
	}
	y, err := yaml.JSONToYAML(j)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, FileYAML), y, 0o644); err != nil {
		return err
	}
	return writeCoverage(filepath.Join(dir, FileCoverage), rep)
}

// Read reads a report written by Write (JSON).
func Read(path string) (*ConformanceReport, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rep ConformanceReport
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &rep, nil
}

// Summary is the report for a person at a terminal.
func Summary(rep *ConformanceReport, dir string) string {
	var b strings.Builder
	if rep.Run.Failure != "" {
		fmt.Fprintf(&b, "\nTHE RUN FAILED: %s\n", rep.Run.Failure)
	}
	im := rep.Implementation
	fmt.Fprintf(&b, "\nKeptn API gateway conformance: %s at %s (target %s)\n", strings.TrimSpace(im.Name+" "+im.Version), im.Endpoint, im.Target)
	if by := im.By(); by != "" {
		fmt.Fprintf(&b, "  by %s\n", by)
	}
	for _, p := range rep.Profiles {
		mark := map[string]string{Success: "PASS", Partial: "PART", Failure: "FAIL"}[p.Result]
		fmt.Fprintf(&b, "  %s  %-14s %-11s MUST %3d passed, %d failed, %d skipped · SHOULD %2d passed, %d failed, %d skipped\n", mark, p.Name, "("+p.Level+")",
			p.Must.Passed, p.Must.Failed, p.Must.Skipped, p.Should.Passed, p.Should.Failed, p.Should.Skipped)
		checks := make([]string, 0, len(p.FailedChecks))
		for c, n := range p.FailedChecks {
			checks = append(checks, fmt.Sprintf("%s ×%d", c, n))
		}
		sort.Strings(checks)
		if len(checks) > 0 {
			fmt.Fprintf(&b, "        failed checks: %s\n", strings.Join(checks, ", "))
		}
		for reason, n := range p.SkipReasons {
			fmt.Fprintf(&b, "        skipped ×%d: %s\n", n, reason)
		}
	}
	writeFindings(&b, rep.Results)
	c := rep.Coverage
	fmt.Fprintf(&b, "  coverage: %d/%d operations, %d/%d documented responses exercised, %d exempted\n",
		c.Operations.Covered, c.Operations.Total, c.Statuses.Exercised, c.Statuses.Total, len(c.Exemptions))
	if g := rep.Generated; g != nil {
		fmt.Fprintf(&b, "  generated: %d examples (%d exchanges) over %d operations, seed %d (replay: --seed=%d)\n",
			g.Examples, g.Exchanges, len(g.Operations), g.Seed, g.Seed)
	}
	if d := rep.Drift; d != nil {
		fmt.Fprintf(&b, "  specs in use (--specs %s): %d operations added, %d missing, %d changed (%d change a verdict), %d uncovered\n",
			d.Source, len(d.Added), len(d.Missing), len(d.Changes), d.VerdictChanges(), len(d.Uncovered))
	}
	for _, m := range rep.Measurements {
		limit := ""
		if m.Limit > 0 {
			limit = fmt.Sprintf(" (limit %g %s)", m.Limit, m.Unit)
		}
		fmt.Fprintf(&b, "  measured: %s %s: %g %s%s\n", m.Profile, m.Name, m.Value, m.Unit, limit)
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(&b, "  noted: %s %s: %s\n", n.Profile, n.Name, n.Value)
	}
	fmt.Fprintf(&b, "  checks: %d passed, %d failed (MUST and SHOULD), in %.1fs\n", rep.Checks.Passed, rep.Checks.Failed, rep.DurationSeconds)
	if dir != "" {
		fmt.Fprintf(&b, "  reports: %s, %s, %s, junit.xml, ginkgo-report.json in %s\n", FileYAML, FileJSON, FileCoverage, dir)
	}
	return b.String()
}

// By is who declares the implementation, for a person: organization, URL and contacts, those
// given ("" when none).
func (im Implementation) By() string {
	var parts []string
	for _, p := range []string{im.Organization, im.URL} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(im.Contact) > 0 {
		parts = append(parts, "contact: "+strings.Join(im.Contact, ", "))
	}
	return strings.Join(parts, " · ")
}

// maxFindings is how many kinds of SHOULD finding the summary spells out; the report has them all.
const maxFindings = 20

// writeFindings lists the failed SHOULD results, alike ones together (same profile, first problem
// and source): the problem, an example check, and the reason.
func writeFindings(b *strings.Builder, results []Result) {
	type group struct {
		first   Result
		problem string
		n       int
	}
	var groups []*group
	index := map[string]*group{}
	total := 0
	for _, r := range results {
		if r.Level != grade.Should || r.Outcome != Failed {
			continue
		}
		total++
		problem, _, _ := strings.Cut(r.Message, "\n")
		key := r.Profile + "\x00" + problem + "\x00" + r.Source.String()
		if g := index[key]; g != nil {
			g.n++
			continue
		}
		g := &group{first: r, problem: problem, n: 1}
		index[key] = g
		groups = append(groups, g)
	}
	if total == 0 {
		return
	}
	fmt.Fprintf(b, "  SHOULD findings (recommendations, not a failed certification): %d\n", total)
	for i, g := range groups {
		if i == maxFindings {
			fmt.Fprintf(b, "    ... and %d more kinds: the results in %s\n", len(groups)-maxFindings, FileJSON)
			break
		}
		fmt.Fprintf(b, "    %s ×%d: %s\n", g.first.Profile, g.n, g.problem)
		fmt.Fprintf(b, "      in: %s (%s)\n      why: %s\n", g.first.Check, g.first.ID, why(g.first.Source))
	}
}

// why is a source for a person: its kind, then its reference or reason.
func why(s grade.Source) string {
	if s.Ref == "" {
		return string(s.Kind) + ": " + s.Reason
	}
	return s.String()
}

type coverageRow struct {
	Doc, Op, Method, Path string
	Cells                 []coverageCell
}

type coverageCell struct {
	Status, Class, Title string
}

func writeCoverage(path string, rep *ConformanceReport) error {
	ops, err := specs.AllOperations()
	if err != nil {
		return err
	}
	unexercised := map[string]bool{}
	for _, u := range rep.Coverage.Statuses.Unexercised {
		unexercised[u] = true
	}
	exempt := map[string]string{}
	for _, e := range rep.Coverage.Exemptions {
		exempt[e.Operation+" "+e.Status] = e.Reason
	}
	var rows []coverageRow
	for _, op := range ops {
		row := coverageRow{Doc: op.Doc.Name, Op: op.ID(), Method: op.Method, Path: op.FullPath()}
		for _, p := range cases.PairsOf([]specs.Operation{op}) {
			key := p.Op + " " + p.Status
			cell := coverageCell{Status: p.Status, Class: "ok", Title: "exercised"}
			switch {
			case exempt[key] != "":
				cell.Class, cell.Title = "exempt", "exempted: "+exempt[key]
			case unexercised[key]:
				cell.Class, cell.Title = "missing", "not exercised in this run"
			}
			row.Cells = append(row.Cells, cell)
		}
		rows = append(rows, row)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return coverageTemplate.Execute(f, map[string]any{"Report": rep, "Rows": rows})
}

var coverageTemplate = template.Must(template.New("coverage").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Keptn API coverage</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; }
td, th { padding: 3px 8px; border-bottom: 1px solid #ddd; text-align: left; font-size: 14px; }
th { background: #f4f4f4; }
.cell { display: inline-block; min-width: 3.6em; margin: 1px; padding: 1px 4px; border-radius: 3px; text-align: center; font-family: monospace; }
.ok { background: #2e7d32; color: white; } .missing { background: #c62828; color: white; } .exempt { background: #9e9e9e; color: white; }
.doc { color: #666; white-space: nowrap; } code { font-size: 13px; } td.cells { white-space: nowrap; }
td.req code { word-break: break-all; }
</style></head><body>
<h1>Keptn API coverage</h1>
<p>{{.Report.Implementation.Name}} {{.Report.Implementation.Version}} at {{.Report.Implementation.Endpoint}} (target {{.Report.Implementation.Target}}), {{.Report.Date}}.<br>
{{with .Report.Implementation.By}}By {{.}}.<br>{{end}}
Operations covered: <b>{{.Report.Coverage.Operations.Covered}}/{{.Report.Coverage.Operations.Total}}</b>;
documented responses exercised: <b>{{.Report.Coverage.Statuses.Exercised}}/{{.Report.Coverage.Statuses.Total}}</b>
({{len .Report.Coverage.Exemptions}} exempted).</p>
<p><span class="cell ok">200</span> exercised <span class="cell missing">404</span> not exercised <span class="cell exempt">400</span> exempted (hover for the reason)</p>
<table><tr><th>document</th><th>operation</th><th>request</th><th>documented responses</th></tr>
{{range .Rows}}<tr><td class="doc">{{.Doc}}</td><td><code>{{.Op}}</code></td><td class="req"><code>{{.Method}} {{.Path}}</code></td>
<td class="cells">{{range .Cells}}<span class="cell {{.Class}}" title="{{.Title}}">{{.Status}}</span>{{end}}</td></tr>
{{end}}</table>
{{with .Report.Drift}}{{.HTML}}{{end}}</body></html>
`))
