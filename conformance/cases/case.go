// Package cases is the conformance suite's engine for the Keptn API contract: every operation of
// every spec document has cases (a case is data: the state it needs, the request, the status due,
// what the answer must say, and probes that show the effect), plus checks derived from the specs
// themselves (bad bodies, undocumented methods, unknown paths). Run executes a case against a
// target and returns every problem, each naming the check it breaks.
package cases

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"text/template"
	"time"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/fixtures"
)

// Auth is how a case authenticates.
type Auth int

const (
	// AuthToken sends the API token in x-token (the default).
	AuthToken Auth = iota
	// AuthNone sends no credentials.
	AuthNone
	// AuthSession sends the world's session cookie.
	AuthSession
)

// Case is one request to one operation, and what a conformant gateway must answer.
type Case struct {
	Op string // operationId
	// Title completes "<Op> MUST ..." (or SHOULD, by the grade): it says what is required, e.g. "answer 404 for an unknown project".
	Title string
	Needs Needs
	Auth  Auth
	// Params override the path parameters the world gives (templates over the World).
	Params map[string]string
	Query  map[string]string
	// Body is a fixture path ("requests/createProject.json") or inline JSON; a template.
	Body string
	// Header is sent as well (templates); a Content-Type here replaces application/json.
	Header map[string]string
	// Status is what is due; Any4xx accepts any documented 4xx.
	Status []int
	Any4xx bool
	// ServerRefusal, with Any4xx, takes a 500 for the refusal due as well: its no-server-error
	// problem is then a finding of this grade (upstream refuses some bad input 500; any other 5xx,
	// a crash's 502 too, stays a failure).
	ServerRefusal *grade.Grade
	Expect        []Expectation
	// Given run after the case's request, before its probes, as probes do: they show an optional
	// behaviour the requirement builds on (a SHOULD of its own); when one does not hold within the
	// suite's patience the case does not apply, and is skipped with the reason.
	Given []Probe
	// Probes run after the case's request, until they pass or the suite's patience ends: they
	// show the request's effect (an asynchronous gateway may take a moment).
	Probes []Probe
	// Negative marks a request that breaks the spec on purpose (it is not validated as a request).
	Negative bool
	// Serial cases touch state shared by every case (the bridge credentials).
	Serial bool
	// Feature, if set, labels the case's spec Feature:<Feature> as well, for a run of a kind of
	// case across operations.
	Feature string
	// Mutate changes the JSON body after rendering (for derived negative cases).
	Mutate func(body map[string]any)
	// RawBody replaces the body as sent (for malformed bodies).
	RawBody []byte
	// Grade is the requirement's level and source; the zero value means MUST, on the word of the
	// upstream spec of the operation and the status due.
	Grade grade.Grade
}

// Probe is a follow-up request showing a case's effect.
type Probe struct {
	Op     string
	Auth   Auth
	Params map[string]string
	Query  map[string]string
	// Body is sent as a case's is, for a probe that writes again; such a probe is judged on its
	// first answer (a write's own answer is no effect to await, and a retry would write again).
	Body   string
	Status []int
	Expect []Expectation
}

// Name is the case's spec text: "<operationId> MUST <title>" (or SHOULD, by its grade).
func (c Case) Name() string { return Sentence(c.Op, c.Graded(), c.Title) }

var funcs = template.FuncMap{
	"b64": func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) },
	// large is a text of LargeBody bytes (lines of a Helm values file), for requests larger than
	// the small bodies of the fixtures: a gateway's body limits must let what clients send through.
	"large": func() string { return largeText },
	// json quotes a string for use inside a JSON document.
	"json":  func(s string) string { b, _ := json.Marshal(s); return string(b[1 : len(b)-1]) },
	"upper": strings.ToUpper,
	// now is the time of the request, for an event that is the latest of its kind.
	"now": func() string { return time.Now().UTC().Format(time.RFC3339Nano) },
}

// LargeBody is the size of the large template text: 96 KiB, a small Helm chart (the keptn CLI
// uploads charts and other files as resources of any size).
const LargeBody = 96 << 10

var largeText = func() string {
	var b strings.Builder
	for i := 0; b.Len() < LargeBody; i++ {
		fmt.Fprintf(&b, "replica-%05d: {image: \"registry.example/keptn-conformance/carts:%d\", port: %d}\n", i, i%97, 8000+i%1000)
	}
	return b.String()[:LargeBody]
}()

// render executes a template over the world.
func render(tmpl string, w *World) (string, error) {
	if !strings.Contains(tmpl, "{{") {
		return tmpl, nil
	}
	t, err := template.New("").Funcs(funcs).Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return "", fmt.Errorf("template %q: %w", tmpl, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, w); err != nil {
		if strings.Contains(tmpl, ".Response") {
			return "", answerLacks{tmpl, err}
		}
		return "", fmt.Errorf("template %q: %w", tmpl, err)
	}
	return b.String(), nil
}

// answerLacks is a template over the gateway's last answer that the answer cannot fill (a
// property the next request needs is missing or of another shape): the gateway's failure, not
// the suite's.
type answerLacks struct {
	tmpl string
	err  error
}

func (a answerLacks) Error() string {
	return fmt.Sprintf("the answer lacks what the next request takes from it (%s): %v", a.tmpl, a.err)
}

// answerProblem turns an error that is the answer's fault into a behaviour problem.
func answerProblem(err error) (contract.Problem, bool) {
	var a answerLacks
	if errors.As(err, &a) {
		return contract.Problem{Check: contract.CheckBehaviour, Message: a.Error()}, true
	}
	return contract.Problem{}, false
}

func renderMap(m map[string]string, w *World) (map[string]string, error) {
	out := make(map[string]string, len(m))
	for k, v := range m {
		r, err := render(v, w)
		if err != nil {
			return nil, err
		}
		out[k] = r
	}
	return out, nil
}

// body renders a case's body: a fixture file or inline JSON, then Mutate.
func (c Case) body(w *World) ([]byte, error) {
	if c.RawBody != nil {
		return c.RawBody, nil
	}
	if c.Body == "" {
		return nil, nil
	}
	src := c.Body
	if !strings.HasPrefix(strings.TrimSpace(src), "{") && !strings.HasPrefix(strings.TrimSpace(src), "[") {
		b, err := fixtures.Read(src)
		if err != nil {
			return nil, err
		}
		src = string(b)
	}
	out, err := render(src, w)
	if err != nil {
		return nil, err
	}
	if c.Mutate == nil {
		return []byte(out), nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		return nil, fmt.Errorf("%s: the body of %s is not a JSON object: %w", c.Name(), c.Body, err)
	}
	c.Mutate(m)
	return json.Marshal(m)
}

// defaultParams are the path parameters a world gives, by name.
func defaultParams(w *World) map[string]string {
	return map[string]string{
		"projectName": w.Project, "stageName": w.Stage, "serviceName": w.Service,
		"resourceURI": w.ResourceURI, "approvalID": w.ApprovalID, "keptnContext": w.RemediationContext,
		"eventType": w.EventType,
	}
}

func headerOf(m map[string]string) http.Header {
	h := http.Header{}
	for k, v := range m {
		h.Set(k, v)
	}
	return h
}

// Check is one check of a profile that is a procedure rather than one request (the session,
// rotation, TLS, keptn CLI and hardening profiles).
type Check struct {
	// Title completes "the gateway MUST ..." (or SHOULD, by the grade).
	Title string
	// Grade is the check's level and source.
	Grade grade.Grade
	Run   func(ctx context.Context, e *Env, base string) (Result, error)
	// Waits says the check waits out a delay whatever the target does (a session's expiry, the
	// next second): its spec starts before the others, so that the wait overlaps them.
	Waits bool
	// Feature, if set, labels the check's spec Feature:<Feature>, for a run of it alone.
	Feature string
}

// Name is the check's spec text.
func (c Check) Name() string { return Sentence("the gateway", c.Grade, c.Title) }
