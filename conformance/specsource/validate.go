package specsource

import (
	"regexp"
	"strings"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/specs"
)

var pathParam = regexp.MustCompile(`\{[^}]*\}`)

// OpKey is an operation's identity across documents: its method and its path behind the gateway
// with the parameters' names left out, such as "GET /api/v1/project/{}". Two documents describe
// the same operation when their keys are equal, whatever its operationId.
func OpKey(method, fullPath string) string {
	return strings.ToUpper(method) + " " + pathParam.ReplaceAllString(fullPath, "{}")
}

// Operations returns every operation of the set's documents, by OpKey.
func (s *Set) Operations() map[string]*specs.Operation {
	out := map[string]*specs.Operation{}
	for _, d := range s.Docs {
		for _, op := range d.Operations() {
			out[OpKey(op.Method, op.FullPath())] = &op
		}
	}
	return out
}

// Verdict is an exchange checked against one document of a set.
type Verdict struct {
	Document string `json:"document"`
	SHA256   string `json:"sha256"`
	// Operation is the operationId in the document; empty when the document has no such operation
	// (Undocumented), which the drift report lists as missing.
	Operation    string             `json:"operation,omitempty"`
	Undocumented bool               `json:"undocumented,omitempty"`
	Problems     []contract.Problem `json:"problems,omitempty"`
}

// Validator checks exchanges against a set's documents. Build it once per run; it is safe for
// concurrent use.
type Validator struct {
	set *Set
	ops map[string]*specs.Operation
}

// NewValidator indexes a set's operations.
func NewValidator(s *Set) *Validator { return &Validator{set: s, ops: s.Operations()} }

// Validate checks the answer of an exchange for a bundled operation against the set's document of
// that service, as contract.ValidateResponse does against the bundled one. It is nil for an
// exchange outside the set's services (no operation, or the session document).
func (v *Validator) Validate(ex *contract.Exchange) *Verdict {
	if ex.Op == nil {
		return nil
	}
	doc := v.set.Get(ex.Op.Doc.Name)
	if doc == nil {
		return nil
	}
	vd := &Verdict{Document: doc.Name, SHA256: doc.SHA256}
	op := v.ops[OpKey(ex.Op.Method, ex.Op.FullPath())]
	if op == nil {
		vd.Undocumented = true
		return vd
	}
	vd.Operation = op.ID()
	in := *ex
	in.Op = op
	in.PathParams = renameParams(ex.Op.Path, op.Path, ex.PathParams)
	vd.Problems = contract.ValidateResponse(&in)
	return vd
}

// renameParams gives path parameter values the names the other document uses, by position.
func renameParams(from, to string, params map[string]string) map[string]string {
	a, b := pathParam.FindAllString(from, -1), pathParam.FindAllString(to, -1)
	out := make(map[string]string, len(params))
	for k, v := range params {
		out[k] = v
	}
	for i := range a {
		if i < len(b) {
			if v, ok := params[strings.Trim(a[i], "{}")]; ok {
				out[strings.Trim(b[i], "{}")] = v
			}
		}
	}
	return out
}
