package specsource

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
)

// Markdown renders the drift for a person: the documents compared, then added, missing and
// uncovered operations, then the changes, those that change a verdict first.
func (d Drift) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Spec drift: bundled vs %s\n\n", d.Source)
	fmt.Fprintf(&b, "%d added, %d missing, %d uncovered operations; %d changes, %d of them changing a verdict.\n\n",
		len(d.Added), len(d.Missing), len(d.Uncovered), len(d.Changes), d.VerdictChanges())
	for _, r := range d.InUse {
		fmt.Fprintf(&b, "- %s (%s) sha256 `%s`, %d file(s)\n", r.Name, r.Format, r.SHA256, len(r.Files))
		for _, f := range r.Findings {
			fmt.Fprintf(&b, "  - invalid, left out: %s\n", f)
		}
	}
	if d.None() {
		b.WriteString("\nNo drift: the documents in use describe the bundled operations the same way.\n")
	}
	for _, l := range []struct {
		title string
		ops   []Operation
	}{{"Added (in use only)", d.Added}, {"Missing (bundled only)", d.Missing}, {"Uncovered (no case in the suite)", d.Uncovered}} {
		if len(l.ops) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s:\n\n", l.title)
		for _, o := range l.ops {
			fmt.Fprintf(&b, "- `%s` %s (%s)\n", o.Key, o.ID, o.Document)
		}
	}
	if len(d.Changes) > 0 {
		b.WriteString("\n| operation | aspect | where | bundled | in use | changes a verdict |\n|---|---|---|---|---|---|\n")
		for _, c := range d.ordered() {
			v := "no"
			if c.ChangesVerdict {
				v = "**yes**"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s: %s |\n", c.ID, c.Aspect, md(c.Where), md(c.Bundled), md(c.InUse), v, md(c.Why))
		}
	}
	return b.String()
}

// ordered is the changes with those that change a verdict first, otherwise in report order.
func (d Drift) ordered() []Change {
	var yes, no []Change
	for _, c := range d.Changes {
		if c.ChangesVerdict {
			yes = append(yes, c)
		} else {
			no = append(no, c)
		}
	}
	return append(yes, no...)
}

func md(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

var htmlFragment = template.Must(template.New("drift").Parse(`<section class="spec-drift">
<h2>Spec drift: bundled vs {{.Source}}</h2>
<ul>{{range .InUse}}<li>{{.Name}} ({{.Format}}) <code>{{.SHA256}}</code>{{range .Findings}}<br>invalid, left out: {{.File}}:{{.Line}}: {{.Reason}}{{end}}</li>{{end}}</ul>
{{if .None}}<p>No drift: the documents in use describe the bundled operations the same way.</p>{{end}}
{{with .Added}}<h3>Added (in use only)</h3><ul>{{range .}}<li><code>{{.Key}}</code> {{.ID}}</li>{{end}}</ul>{{end}}
{{with .Missing}}<h3>Missing (bundled only)</h3><ul>{{range .}}<li><code>{{.Key}}</code> {{.ID}}</li>{{end}}</ul>{{end}}
{{with .Uncovered}}<h3>Uncovered (no case in the suite)</h3><ul>{{range .}}<li><code>{{.Key}}</code> {{.ID}}</li>{{end}}</ul>{{end}}
{{with .Ordered}}<table><tr><th>operation</th><th>aspect</th><th>where</th><th>bundled</th><th>in use</th><th>changes a verdict</th></tr>
{{range .}}<tr{{if .ChangesVerdict}} class="verdict"{{end}}><td>{{.ID}}</td><td>{{.Aspect}}</td><td>{{.Where}}</td><td>{{.Bundled}}</td><td>{{.InUse}}</td><td>{{if .ChangesVerdict}}yes{{else}}no{{end}}: {{.Why}}</td></tr>
{{end}}</table>{{end}}
</section>
`))

// HTML renders the drift as a fragment (a <section>) for the report's HTML page.
func (d Drift) HTML() template.HTML {
	var b bytes.Buffer
	view := struct {
		Drift
		Ordered []Change
	}{d, d.ordered()}
	if err := htmlFragment.Execute(&b, view); err != nil {
		// The template is fixed and its data plain: an error here is a bug.
		panic(err)
	}
	return template.HTML(b.String())
}
