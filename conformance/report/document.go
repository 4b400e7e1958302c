package report

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/conformance/profiles"
)

// DocumentFile is the conformance document, at the repository's root.
const DocumentFile = "CONFORMANCE.md"

// Document is CONFORMANCE.md: every check of the suite with its sentence, level, source and
// profile, made from the declarations the suite declares its specs from (profiles.Declarations), so
// it lists exactly the specs a run shows.
func Document() ([]byte, error) {
	all, err := profiles.Declarations()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(`# Keptn API gateway conformance: the checks

<!-- Generated from the suite's declarations (conformance/profiles, profiles.Declarations): do not edit.
     Regenerate with "make conformance-doc"; "go test ./conformance/report" fails when it is stale. -->

Every check is one spec of the suite; its text is its requirement, in the words of RFC 2119.
**MUST** checks decide a profile's result (success, partial, failure); a failed **SHOULD** check is
a finding, listed with its reason, never a failed certification. A MUST rests on an upstream or
standards source (the upstream spec of a service, an upstream documentation page, an RFC, what
the keptn CLI 0.7.x relies on); a SHOULD on published guidance (OWASP, Mozilla) or this project's
recommendation with its reason. The id is the one the conformance report's ` + "`results`" + ` use.

Where upstream Keptn 0.7.3 itself falls short of its spec, the specs say so and the suite holds an
installation to upstream's word, not further: an operation marked ` + "`x-upstream-unimplemented`" + `
that the installation answers 501 Not Implemented is reported as not implemented (its checks
skipped, saying so; the profile partial, not failed), and a response marked
` + "`x-upstream-empty-body`" + ` may come without its body (a SHOULD finding; what the request stored is
still checked at MUST). A 501 from any other operation is a server error like any other.

`)
	type counts struct{ must, should int }
	per := map[string]*counts{}
	var profiles []string
	for _, d := range all {
		c := per[d.Profile]
		if c == nil {
			c = &counts{}
			per[d.Profile] = c
			profiles = append(profiles, d.Profile)
		}
		if d.Grade.Level == grade.Should {
			c.should++
		} else {
			c.must++
		}
	}
	slices.SortStableFunc(profiles, func(a, b string) int { return profileOrder(a) - profileOrder(b) })
	b.WriteString("| profile | level | MUST checks | SHOULD checks |\n|---|---|---:|---:|\n")
	for _, p := range profiles {
		fmt.Fprintf(&b, "| [%s](#%s) | %s | %d | %d |\n", p, strings.ToLower(p), levelOf(p), per[p].must, per[p].should)
	}
	for _, p := range profiles {
		fmt.Fprintf(&b, "\n## %s\n\n| id | check | level | source |\n|---|---|---|---|\n", p)
		for _, d := range all {
			if d.Profile == p {
				fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", d.ID(), cell(d.Text), d.Grade.Level, cell(why(d.Grade.Source)))
			}
		}
	}
	variants, err := variantNames()
	if err != nil {
		return nil, err
	}
	b.WriteString("\n## The token matrix's variants\n\nEach check of the token matrix (Auth, and TLS on both listeners) sends its operation's request\n" +
		"once per variant below (the last three only to operations with a request body or path parameters\n" +
		"where they apply). Every variant carries its matrix's grade; on the configuration-service and\n" +
		"mongodb-datastore routes the JSON error model of the 401 is a SHOULD (the keptn CLI cannot parse\n" +
		"HTML; upstream's front answers an HTML 401 there).\n\n")
	for _, v := range variants {
		fmt.Fprintf(&b, "- %s\n", v)
	}
	return b.Bytes(), nil
}

// variantNames are the token matrix's variants, in the order the matrix sends them.
func variantNames() ([]string, error) {
	matrix, err := cases.TokenMatrix()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, v := range cases.TokenVariants() {
		out = append(out, v.Name)
	}
	for _, a := range matrix {
		op, err := cases.Operation(a.Op)
		if err != nil {
			return nil, err
		}
		for _, v := range cases.AuthFirstVariants(op) {
			if !slices.Contains(out, v.Name) {
				out = append(out, v.Name)
			}
		}
	}
	return out, nil
}

// cell makes text safe in a Markdown table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
