package specsource

import (
	"fmt"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/keptn-conformance/keptn-conformance/specs"
)

// The aspects a change is about.
const (
	AspectStatus      = "status"       // a response documented in one document only
	AspectMediaType   = "media-type"   // a response's media types differ
	AspectRequired    = "required"     // a response body's required fields differ
	AspectType        = "type"         // a response body field's type differs
	AspectProperty    = "property"     // a response body field documented in one document only
	AspectSecurity    = "security"     // the operation's security requirement differs
	AspectRequestBody = "request-body" // the request body (required, media types) differs
	AspectOperationID = "operation-id" // the operationId differs
)

// DocRef names a document a run used.
type DocRef struct {
	Name     string    `json:"name"`
	Format   string    `json:"format"`
	SHA256   string    `json:"sha256"`
	Files    []File    `json:"files"`
	Findings []Finding `json:"findings,omitempty"`
}

// Operation is an operation in a drift report.
type Operation struct {
	Key      string `json:"key"` // OpKey: method and path behind the gateway
	Document string `json:"document"`
	ID       string `json:"operationId"`
}

// Change is one difference of an operation both documents have.
type Change struct {
	Op     string `json:"operation"` // OpKey
	ID     string `json:"operationId"`
	Aspect string `json:"aspect"`
	// Where is the part of the operation, such as "response 200 application/json /data".
	Where   string `json:"where"`
	Bundled string `json:"bundled"`
	InUse   string `json:"inUse"`
	// ChangesVerdict says a check can pass by one document and fail by the other; Why says which.
	ChangesVerdict bool   `json:"changesVerdict"`
	Why            string `json:"why"`
}

// Drift is how the documents in use differ from the bundled ones, as data for the report.
// Descriptions and examples are not compared: no verdict depends on them.
type Drift struct {
	Source  string   `json:"source"`
	Bundled []DocRef `json:"bundled"`
	InUse   []DocRef `json:"inUse"`
	// Added are operations only the documents in use have; Missing those only the bundled have.
	Added   []Operation `json:"added"`
	Missing []Operation `json:"missing"`
	Changes []Change    `json:"changes"`
	// Uncovered are operations of the documents in use the suite has no case for (every added
	// one among them): they are certified by nothing, and said so.
	Uncovered []Operation `json:"uncovered"`
}

// None says the documents describe the same operations the same way (as far as compared).
func (d Drift) None() bool { return len(d.Added)+len(d.Missing)+len(d.Changes) == 0 }

// VerdictChanges counts the changes that change a verdict.
func (d Drift) VerdictChanges() int {
	n := 0
	for _, c := range d.Changes {
		if c.ChangesVerdict {
			n++
		}
	}
	return n
}

// Refs describes a set's documents.
func (s *Set) Refs() []DocRef {
	var out []DocRef
	for _, d := range s.Docs {
		out = append(out, DocRef{Name: d.Name, Format: d.Format, SHA256: d.SHA256, Files: d.Files, Findings: d.Findings})
	}
	return out
}

// Compare is the drift of inUse from bundled. covered says whether the suite has a case for a
// bundled operationId.
func Compare(bundled, inUse *Set, covered func(operationID string) bool) Drift {
	d := Drift{Source: inUse.Source.String(), Bundled: bundled.Refs(), InUse: inUse.Refs()}
	a, b := bundled.Operations(), inUse.Operations()
	for _, k := range sortedKeys(b) {
		op := b[k]
		if _, ok := a[k]; !ok {
			o := opOf(k, op)
			d.Added = append(d.Added, o)
			d.Uncovered = append(d.Uncovered, o)
		}
	}
	for _, k := range sortedKeys(a) {
		op := a[k]
		other, ok := b[k]
		if !ok {
			d.Missing = append(d.Missing, opOf(k, op))
			continue
		}
		if !covered(op.ID()) {
			d.Uncovered = append(d.Uncovered, opOf(k, other))
		}
		d.Changes = append(d.Changes, compareOperation(k, op, other)...)
	}
	return d
}

func opOf(k string, op *specs.Operation) Operation {
	return Operation{Key: k, Document: op.Doc.Name, ID: op.ID()}
}

func compareOperation(k string, a, b *specs.Operation) []Change {
	var out []Change
	add := func(aspect, where, x, y string, verdict bool, why string) {
		out = append(out, Change{Op: k, ID: a.ID(), Aspect: aspect, Where: where, Bundled: x, InUse: y, ChangesVerdict: verdict, Why: why})
	}
	if a.ID() != b.ID() {
		add(AspectOperationID, "operationId", a.ID(), b.ID(), false, "reports name operations by the bundled operationId")
	}
	if x, y := opSecurity(a), opSecurity(b); x != y {
		add(AspectSecurity, "security", x, y, true, "Profile:Auth: an answer without the token passes by the document that leaves the operation open and fails by the other")
	}
	x, y := requestBody(a.Operation), requestBody(b.Operation)
	if x != y {
		add(AspectRequestBody, "request body", x, y, false, "requests are judged by the bundled documents only (the suite's own requests)")
	}
	ra, rb := a.Operation.Responses.Map(), b.Operation.Responses.Map()
	for _, code := range union(sortedKeys(ra), sortedKeys(rb)) {
		r1, r2 := ra[code], rb[code]
		where := "response " + code
		switch {
		case r1 == nil:
			add(AspectStatus, where, "not documented", "documented", true, "status-documented: an answer with this status fails by the bundled document and passes by the one in use")
			continue
		case r2 == nil:
			add(AspectStatus, where, "documented", "not documented", true, "status-documented: an answer with this status passes by the bundled document and fails by the one in use")
			continue
		}
		c1, c2 := r1.Value.Content, r2.Value.Content
		if m1, m2 := strings.Join(sortedKeys(c1), ", "), strings.Join(sortedKeys(c2), ", "); m1 != m2 {
			add(AspectMediaType, where, orNone(m1), orNone(m2), true, "content-type: an answer of a media type documented in one only")
		}
		for _, mt := range sortedKeys(c1) {
			if c2[mt] == nil || c1[mt].Schema == nil || c2[mt].Schema == nil {
				continue
			}
			cmp := schemaCompare{add: func(aspect, at, x, y string, verdict bool, why string) {
				add(aspect, where+" "+mt+" "+at, x, y, verdict, why)
			}, seen: map[[2]*openapi3.Schema]bool{}}
			cmp.walk("/", c1[mt].Schema.Value, c2[mt].Schema.Value, 0)
		}
	}
	return out
}

type schemaCompare struct {
	add  func(aspect, where, x, y string, verdict bool, why string)
	seen map[[2]*openapi3.Schema]bool
}

func (c schemaCompare) walk(at string, a, b *openapi3.Schema, depth int) {
	if a == nil || b == nil || depth > 16 || c.seen[[2]*openapi3.Schema{a, b}] {
		return
	}
	c.seen[[2]*openapi3.Schema{a, b}] = true
	if x, y := typeOf(a), typeOf(b); x != y {
		c.add(AspectType, at, x, y, true, "body-schema: a value of one type passes by one document and fails by the other")
		return
	}
	pa, ra, adda := flatten(a)
	pb, rb, addb := flatten(b)
	if x, y := strings.Join(ra, ", "), strings.Join(rb, ", "); x != y {
		c.add(AspectRequired, at, orNone(x), orNone(y), true, "body-schema: an answer without a field required by one document only")
	}
	for _, name := range union(sortedKeys(pa), sortedKeys(pb)) {
		p := strings.TrimSuffix(at, "/") + "/" + name
		switch {
		case pa[name] == nil:
			c.add(AspectProperty, p, "not documented", "documented", !adda, propertyWhy(!adda, "bundled"))
		case pb[name] == nil:
			c.add(AspectProperty, p, "documented", "not documented", !addb, propertyWhy(!addb, "in use"))
		default:
			c.walk(p, pa[name].Value, pb[name].Value, depth+1)
		}
	}
	if a.Items != nil && b.Items != nil {
		c.walk(strings.TrimSuffix(at, "/")+"/[]", a.Items.Value, b.Items.Value, depth+1)
	}
}

func propertyWhy(verdict bool, doc string) string {
	if verdict {
		return "body-schema: the " + doc + " document forbids properties it does not list (additionalProperties: false)"
	}
	return "no check fails on an undocumented property while additional properties are allowed"
}

// flatten merges a schema's allOf members: properties, required fields, and whether additional
// properties are allowed.
func flatten(s *openapi3.Schema) (map[string]*openapi3.SchemaRef, []string, bool) {
	props := map[string]*openapi3.SchemaRef{}
	req := map[string]bool{}
	additional := s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has
	var add func(*openapi3.Schema, int)
	add = func(s *openapi3.Schema, depth int) {
		if s == nil || depth > 8 {
			return
		}
		for k, v := range s.Properties {
			props[k] = v
		}
		for _, r := range s.Required {
			req[r] = true
		}
		for _, x := range s.AllOf {
			add(x.Value, depth+1)
		}
	}
	add(s, 0)
	return props, sortedKeys(req), additional
}

func typeOf(s *openapi3.Schema) string {
	var alts []string
	for _, x := range s.OneOf {
		if x.Value != nil {
			alts = append(alts, typeOf(x.Value))
		}
	}
	for _, x := range s.AnyOf {
		if x.Value != nil {
			alts = append(alts, typeOf(x.Value))
		}
	}
	t := typesString(s.Type)
	if len(alts) > 0 {
		sort.Strings(alts)
		return t + " one of (" + strings.Join(alts, " | ") + ")"
	}
	if s.Nullable {
		t += ", nullable"
	}
	return t
}

func opSecurity(op *specs.Operation) string {
	reqs := op.Doc.Spec.Security
	if op.Operation.Security != nil {
		reqs = *op.Operation.Security
	}
	if len(reqs) == 0 {
		return "open"
	}
	var alts []string
	for _, r := range reqs {
		var schemes []string
		for _, name := range sortedKeys(r) {
			schemes = append(schemes, describeRequirement(op.Doc.Spec, name))
		}
		alts = append(alts, strings.Join(schemes, " and "))
	}
	sort.Strings(alts)
	return strings.Join(alts, " or ")
}

// describeRequirement names a security scheme by what it asks for, not by its name in the document.
func describeRequirement(spec *openapi3.T, name string) string {
	if spec.Components != nil {
		if s := spec.Components.SecuritySchemes[name]; s != nil && s.Value != nil {
			return describeScheme(s.Value)
		}
	}
	return name + " (undefined)"
}

func requestBody(op *openapi3.Operation) string {
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return "none"
	}
	rb := op.RequestBody.Value
	s := "optional"
	if rb.Required {
		s = "required"
	}
	return fmt.Sprintf("%s, %s", s, strings.Join(sortedKeys(rb.Content), ", "))
}

func union(a, b []string) []string {
	m := map[string]bool{}
	for _, x := range append(append([]string{}, a...), b...) {
		m[x] = true
	}
	return sortedKeys(m)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
