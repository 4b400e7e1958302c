package cases

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
	"github.com/keptn-conformance/keptn-conformance/specs"
)

// The profiles: each spec of the suite carries the label Profile:<name>.
const (
	ProfileCore          = "Core"
	ProfileAuth          = "Auth"
	ProfileSession       = "Session"
	ProfileTokenRotation = "TokenRotation"
	ProfileTLS           = "TLS"
	ProfileTLSExtended   = "TLSExtended"
	ProfileKeptnCLI      = "KeptnCLI"
	ProfileHardening     = "Hardening"
)

// Declared is one check as the suite declares it: a Ginkgo spec whose text is the check's RFC 2119
// sentence, in one profile, with one grade. The suite's specs, the report's results and
// CONFORMANCE.md are made from the same lists (Declarations), and the suite refuses to run a spec
// that is not declared here.
//
// The rule of levels: one spec, one level. A spec of level MUST fails (a red Ginkgo run, a failed
// profile) when it finds a problem; a spec of level SHOULD never fails the run: what it finds is a
// finding, in the report with its reason. A MUST spec may also find problems of a weaker grade (a
// contract.Problem with its own Grade, such as the JSON 401 error model on the routes whose upstream
// spec documents no 401): those are findings too, reported as a second result of that spec at
// level SHOULD, while the spec itself passes unless it found a MUST problem as well.
type Declared struct {
	Profile string
	Text    string
	Grade   grade.Grade
}

// ID is the check's stable identity in reports: from its profile and text, never from the order
// or the seed of a run.
func (d Declared) ID() string { return ResultID(d.Profile, d.Text, grade.Grade{}) }

// ResultID identifies a result: a check's own (g zero), or a finding of grade g beside it.
func ResultID(profile, text string, g grade.Grade) string {
	key := profile + "\x00" + text
	if g.Level != "" {
		key += "\x00" + string(g.Level) + "\x00" + g.Source.String()
	}
	sum := sha256.Sum256([]byte(key))
	id := strings.ToLower(profile) + "-" + hex.EncodeToString(sum[:6])
	if g.Level != "" {
		id += "-" + strings.ToLower(string(g.Level))
	}
	return id
}

// Sentence is a check's spec text: its subject, its level, and what it requires.
func Sentence(subject string, g grade.Grade, title string) string {
	level := g.Level
	if level == "" {
		level = grade.Must
	}
	return strings.TrimSpace(subject + " " + string(level) + " " + title)
}

// upstreamRef names an operation as its upstream service serves it: the gateway strips /api
// (api-service) or /api/<service> (the others) before it forwards (facts §1), so api-service's
// /api/v1/project is upstream's /v1/project and mongodb-datastore's /api/mongodb-datastore/event
// its /event.
func upstreamRef(op *specs.Operation) string {
	base := strings.TrimPrefix(op.Doc.BasePath, "/api")
	base = strings.TrimPrefix(base, "/"+op.Doc.Name)
	return op.Doc.Name + " " + op.Method + " " + base + op.Path
}

// specGrade is a MUST on the upstream spec of an operation, at one of its responses or parts. The
// session API is Konnect's admin API: its word is that API's documentation (facts §9).
func specGrade(op *specs.Operation, what string) grade.Grade {
	if op.Doc.Name == specs.Session {
		return grade.Grade{Level: grade.Must, Source: grade.Docs("Konnect admin API: " + op.Method + " " + op.FullPath() + " " + what)}
	}
	return grade.Grade{Level: grade.Must, Source: grade.Spec(upstreamRef(op) + " " + what)}
}

// Graded is the case's grade: its own, or MUST on the upstream spec of its operation and status.
func (c Case) Graded() grade.Grade {
	if c.Grade.Level != "" {
		return c.Grade
	}
	op, err := Operation(c.Op)
	if err != nil {
		return grade.Grade{} // not Valid: the catalogue's tests name the unknown operation
	}
	status := "4xx"
	if !c.Any4xx {
		s := make([]string, len(c.Status))
		for i, code := range c.Status {
			s[i] = fmt.Sprint(code)
		}
		status = strings.Join(s, "/")
	}
	return specGrade(op, status)
}

// Graded is the route check's grade: its own, or by its group: the open routes and redirects are
// upstream's gateway configuration (facts §1), a 405 with Allow is RFC 9110's, and a path no spec
// has is a 404 (RFC 9110; the gateway may authenticate first).
func (rc RouteCheck) Graded() grade.Grade {
	if rc.Grade.Level != "" {
		return rc.Grade
	}
	var src grade.Source
	switch rc.Group {
	case "Routes":
		src = grade.Docs(fmt.Sprintf("Keptn 0.7 api-gateway-nginx routes: %s %s %v", rc.Method, rc.Path, rc.Status))
	case "Methods":
		src = grade.RFCSection("RFC 9110 §15.5.6 (405 Method Not Allowed with Allow), as upstream's go-swagger services answer")
	case "UnknownPaths":
		src = grade.RFCSection("RFC 9110 §15.5.5 (404 Not Found); the gateway may authenticate first (401)")
	}
	return grade.Grade{Level: grade.Must, Source: src}
}

// authGrade is the token matrix's: upstream refuses a missing or wrong token with 401 on every
// operation of the three services, and takes the token from the x-token header only (facts §2).
var authGrade = grade.Grade{Level: grade.Must, Source: grade.Docs("Keptn 0.7 API authentication: x-token header only; a missing or wrong token gets 401 on every operation")}

// errorModelGrade is the grade of a 401's JSON error model on an operation: MUST where upstream
// answers it (api-service), a SHOULD elsewhere, where upstream's front answers HTML (facts §2, §10).
func errorModelGrade(op *specs.Operation) grade.Grade {
	if op != nil && op.Doc.Name != specs.APIService && op.Doc.Name != specs.Session {
		return grade.Grade{Level: grade.Should, Source: grade.Ours("a JSON 401 on every route: the keptn CLI cannot parse HTML (upstream's front answers an HTML 401 here)")}
	}
	return grade.Grade{}
}

// Graded is the grade of an operation's token matrix: its own, or MUST on upstream's
// authentication (a 401 for every wrong token).
func (a AuthCase) Graded() grade.Grade {
	if a.Grade.Level != "" {
		return a.Grade
	}
	return authGrade
}

// ListenersName is the spec text of the matrix over both listeners (TLS profile).
func (a AuthCase) ListenersName() string {
	return a.Name() + " on both listeners (in strict mode: redirect plain HTTP unread)"
}

// coverageCheck is the Core spec that demands a case for every operation and documented response.
var coverageCheck = Declared{Profile: ProfileCore, Text: "MUST be checked by a case for every operation and documented response of the specs",
	Grade: grade.Grade{Level: grade.Must, Source: grade.Spec("api-service, configuration-service, mongodb-datastore: every operation and documented response")}}

// CoverageCheck is the text of the Core spec that demands a case for every operation and response.
func CoverageCheck() string { return coverageCheck.Text }

// RotationCheck is a check of the token rotation profile: its procedure is the suite's spec
// (suites/conformance/rotation_test.go), its sentence and grade are here.
type RotationCheck struct {
	Title string
	Grade grade.Grade
}

// Name is the check's spec text.
func (r RotationCheck) Name() string { return Sentence("", r.Grade, r.Title) }

var rotationDocs = grade.Docs("Keptn API token reset: delete and create secret keptn-api-token, restart api-service; then the old token gets 401 and the new one 2xx")

// RotationChecks are the checks of the token rotation profile.
var RotationChecks = struct {
	Reset, Sessions, Twice, EmptySecret, MalformedSecret, Load RotationCheck
}{
	Reset: RotationCheck{Title: "take a new token by the documented reset and refuse the old one with 401, each within the profile's maximum on every route class, then on every protected operation",
		Grade: grade.Grade{Level: grade.Must, Source: rotationDocs}},
	Sessions: RotationCheck{Title: "keep session logins working after a rotation",
		Grade: grade.Grade{Level: grade.Should, Source: grade.Ours("the session login does not depend on the API token: a reset must not log web users out")}},
	Twice: RotationCheck{Title: "stay healthy through rotating back and forth twice",
		Grade: grade.Grade{Level: grade.Must, Source: rotationDocs}},
	EmptySecret: RotationCheck{Title: "refuse an empty secret: never open the API (and SHOULD keep the token it had)",
		Grade: grade.Grade{Level: grade.Must, Source: grade.Docs("Keptn 0.7 API authentication: every operation requires the token (an empty one is no token)")}},
	MalformedSecret: RotationCheck{Title: "refuse a malformed secret: never open the API, never drop the working token",
		Grade: grade.Grade{Level: grade.Should, Source: grade.Ours("a secret that is no token (spaces, a control byte) is a mistake: it should neither become the token nor lock clients out")}},
	Load: RotationCheck{Title: RotationLoad.Title, Grade: RotationLoad.Grade},
}

func (r RotationCheck) declared() Declared {
	return Declared{Profile: ProfileTokenRotation, Text: r.Name(), Grade: r.Grade}
}

// Declarations lists the checks of the case engine, profile by profile, in the order the suite
// declares them: the catalogue's cases, the gateway's route checks, the generated requests, the
// token matrix (over HTTP and over both listeners), the session API's cases and the rotation
// checks. The procedure profiles add theirs (profiles.Declarations: the whole suite).
func Declarations() ([]Declared, error) {
	var out []Declared
	cs := All()
	out = append(out, coverageCheck)
	for _, c := range cs {
		if p := c.Profile(); p == ProfileCore {
			out = append(out, Declared{Profile: p, Text: c.Name(), Grade: c.Graded()})
		}
	}
	for _, rc := range RouteChecks() {
		out = append(out, Declared{Profile: ProfileCore, Text: rc.Name(), Grade: rc.Graded()})
	}
	for _, f := range EventFilters() {
		out = append(out, Declared{Profile: ProfileCore, Text: f.Name(), Grade: f.Graded()})
	}
	for _, pc := range PagingChecks() {
		out = append(out, Declared{Profile: ProfileCore, Text: pc.Name(), Grade: pagingGrade})
	}
	for _, cc := range ConcurrentChecks() {
		out = append(out, Declared{Profile: ProfileCore, Text: cc.Name(), Grade: concurrentGrade})
	}
	for _, rc := range RecreateChecks() {
		out = append(out, Declared{Profile: ProfileCore, Text: rc.Name(), Grade: recreateGrade})
	}
	for _, sc := range ScopeChecks() {
		out = append(out, Declared{Profile: ProfileCore, Text: sc.Name(), Grade: scopeGrade})
	}
	for _, lc := range ListScopeChecks() {
		out = append(out, Declared{Profile: ProfileCore, Text: lc.Name(), Grade: listScopeGrade})
	}
	out = append(out, Declared{Profile: ProfileCore, Text: NamesakeCheck{}.Name(), Grade: namesakeGrade})
	ops, err := specs.AllOperations()
	if err != nil {
		return nil, err
	}
	for i := range ops {
		out = append(out, GeneratedCheck(&ops[i]))
	}
	matrix, err := TokenMatrix()
	if err != nil {
		return nil, err
	}
	for _, a := range matrix {
		out = append(out, Declared{Profile: ProfileAuth, Text: a.Name(), Grade: a.Graded()})
	}
	for _, c := range cs {
		if p := c.Profile(); p == ProfileSession {
			out = append(out, Declared{Profile: p, Text: c.Name(), Grade: c.Graded()})
		}
	}
	r := RotationChecks
	for _, rc := range []RotationCheck{r.Reset, r.Sessions, r.Twice, r.EmptySecret, r.MalformedSecret, r.Load} {
		out = append(out, rc.declared())
	}
	for _, a := range matrix {
		out = append(out, Declared{Profile: ProfileTLS, Text: a.ListenersName(), Grade: a.Graded()})
	}
	return out, nil
}

// GeneratedCheck is the Core check of an operation's generated requests (suites/conformance,
// Feature:Generated): inputs drawn from its schemas, valid and violating, answered as its spec
// says. Its problems carry their own grades (generate.Grades).
func GeneratedCheck(op *specs.Operation) Declared {
	return Declared{Profile: ProfileCore, Text: op.ID() + " MUST answer generated requests as its spec says",
		Grade: specGrade(op, "responses, for requests drawn from its schemas")}
}

// Profile is the profile of a catalogue case: Session for the session API, Core for the rest.
func (c Case) Profile() string {
	if op, err := Operation(c.Op); err == nil && op.Doc.Name == specs.Session {
		return ProfileSession
	}
	return ProfileCore
}

// keepTokenGrade is the grade of keeping the working token when the secret turns bad: upstream's
// api-service would take whatever the secret holds.
var keepTokenGrade = grade.Grade{Level: grade.Should, Source: grade.Ours("a broken secret must not lock every client out; keeping the last valid token is the safe reading")}
