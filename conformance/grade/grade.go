// Package grade is how strongly the suite requires a thing, and on whose word: every check
// carries a Level (RFC 2119: MUST or SHOULD) and a Source. A MUST needs an upstream or a standards
// source (the upstream spec, an upstream doc page, an RFC, keptn CLI compatibility); a SHOULD is
// guidance or this project's recommendation, with a one-line reason. A profile's result is decided
// by its MUST checks alone; a failed SHOULD check is a finding, never a failed certification.
package grade

import "fmt"

// Level is the strength of a requirement (RFC 2119).
type Level string

const (
	Must   Level = "MUST"
	Should Level = "SHOULD"
)

// Kind is where a requirement comes from.
type Kind string

const (
	// UpstreamSpec: the upstream Swagger document of the service (Ref: "api-service POST /v1/project 400").
	UpstreamSpec Kind = "upstream-spec"
	// UpstreamDocs: an upstream documentation page or an operator procedure (Ref names it).
	UpstreamDocs Kind = "upstream-docs"
	// RFC: an RFC section (Ref: "RFC 9110 §15.5.6").
	RFC Kind = "rfc"
	// KeptnCLI: what the keptn CLI 0.7.x relies on (Ref: the command).
	KeptnCLI Kind = "keptn-cli"
	// Guidance: OWASP, Mozilla or similar published guidance (Ref names the document).
	Guidance Kind = "guidance"
	// Project: this project's own recommendation; Reason says why.
	Project Kind = "project"
)

// Source is the word a requirement rests on.
type Source struct {
	Kind Kind `json:"kind"`
	// Ref names the document and place: an operation and response, a section, a page.
	Ref string `json:"ref,omitempty"`
	// Reason is the one-line why, required for Project sources.
	Reason string `json:"reason,omitempty"`
}

func (s Source) String() string {
	out := string(s.Kind)
	if s.Ref != "" {
		out += ": " + s.Ref
	}
	if s.Reason != "" {
		out += " (" + s.Reason + ")"
	}
	return out
}

// Spec is the upstream spec of a service (its document, method and path, and response).
func Spec(ref string) Source { return Source{Kind: UpstreamSpec, Ref: ref} }

// Docs is an upstream documentation page or procedure.
func Docs(ref string) Source { return Source{Kind: UpstreamDocs, Ref: ref} }

// RFCSection is an RFC section.
func RFCSection(ref string) Source { return Source{Kind: RFC, Ref: ref} }

// CLI is keptn CLI 0.7.x compatibility.
func CLI(ref string) Source { return Source{Kind: KeptnCLI, Ref: ref} }

// Guide is published guidance (OWASP, Mozilla).
func Guide(ref string) Source { return Source{Kind: Guidance, Ref: ref} }

// Ours is this project's recommendation, with its reason.
func Ours(reason string) Source { return Source{Kind: Project, Reason: reason} }

// Grade is a level with its source.
type Grade struct {
	Level  Level  `json:"level"`
	Source Source `json:"source"`
}

// Valid reports why a grade is not acceptable: a MUST needs an upstream or standards source, a
// project recommendation needs a reason.
func (g Grade) Valid() error {
	switch g.Level {
	case Must, Should:
	default:
		return fmt.Errorf("level %q is neither MUST nor SHOULD", g.Level)
	}
	if g.Source.Kind == "" {
		return fmt.Errorf("no source")
	}
	if g.Level == Must && (g.Source.Kind == Project || g.Source.Kind == Guidance) {
		return fmt.Errorf("a MUST needs an upstream or standards source, not %s", g.Source.Kind)
	}
	if g.Source.Kind == Project && g.Source.Reason == "" {
		return fmt.Errorf("a project recommendation needs its reason")
	}
	if g.Source.Kind != Project && g.Source.Ref == "" {
		return fmt.Errorf("a %s source needs a reference", g.Source.Kind)
	}
	return nil
}
