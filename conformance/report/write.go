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
	fmt.Fprintf(&b, "\nKeptn API gateway conformance: %s %s at %s (target %s)\n", rep.Implementation.Name, rep.Implementation.Version, rep.Implementation.Endpoint, rep.Implementation.Target)
	if rep.Run.Failure != "" {
		fmt.Fprintf(&b, "  THE RUN FAILED: %s\n", rep.Run.Failure)
	}
	for _, p := range rep.Profiles {
		mark := map[string]string{Success: "PASS", Partial: "PART", Failure: "FAIL"}[p.Result]
		fmt.Fprintf(&b, "  %s  %-14s %-8s %3d passed, %d failed, %d skipped\n", mark, p.Name, "("+p.Level+")", p.Passed, p.Failed, p.Skipped)
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
	c := rep.Coverage
	fmt.Fprintf(&b, "  coverage: %d/%d operations, %d/%d documented responses exercised, %d exempted\n",
		c.Operations.Covered, c.Operations.Total, c.Statuses.Exercised, c.Statuses.Total, len(c.Exemptions))
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
	fmt.Fprintf(&b, "  checks: %d passed, %d failed, in %.1fs\n", rep.Checks.Passed, rep.Checks.Failed, rep.DurationSeconds)
	if dir != "" {
		fmt.Fprintf(&b, "  reports: %s, %s, %s, junit.xml, ginkgo-report.json in %s\n", FileYAML, FileJSON, FileCoverage, dir)
	}
	return b.String()
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
Operations covered: <b>{{.Report.Coverage.Operations.Covered}}/{{.Report.Coverage.Operations.Total}}</b>;
documented responses exercised: <b>{{.Report.Coverage.Statuses.Exercised}}/{{.Report.Coverage.Statuses.Total}}</b>
({{len .Report.Coverage.Exemptions}} exempted).</p>
<p><span class="cell ok">200</span> exercised <span class="cell missing">404</span> not exercised <span class="cell exempt">400</span> exempted (hover for the reason)</p>
<table><tr><th>document</th><th>operation</th><th>request</th><th>documented responses</th></tr>
{{range .Rows}}<tr><td class="doc">{{.Doc}}</td><td><code>{{.Op}}</code></td><td class="req"><code>{{.Method}} {{.Path}}</code></td>
<td class="cells">{{range .Cells}}<span class="cell {{.Class}}" title="{{.Title}}">{{.Status}}</span>{{end}}</td></tr>
{{end}}</table></body></html>
`))
