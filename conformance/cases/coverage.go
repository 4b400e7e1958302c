package cases

import (
	"fmt"
	"slices"
	"sort"

	"github.com/keptn-conformance/keptn-conformance/specs"
)

// Exemption is a documented response no case provokes, and why.
type Exemption struct {
	Op     string `json:"operation"`
	Status string `json:"status"`
	Reason string `json:"reason"`
}

// exemptions are the documented responses the suite does not provoke on purpose.
var exemptions = []Exemption{
	{"getBridgeConfig", "400", "the operation takes no input a client could get wrong"},
	{"getBridgeConfig", "default", "the only other error (credentials not configured) needs an installation in a state the suite must not force on a shared gateway"},
}

// Exemptions returns the exemptions.
func Exemptions() []Exemption { return append([]Exemption(nil), exemptions...) }

// PairsOf lists every documented response of every operation, in report order.
func PairsOf(ops []specs.Operation) []Pair {
	var out []Pair
	for _, op := range ops {
		codes := make([]string, 0)
		for code := range op.Operation.Responses.Map() {
			codes = append(codes, code)
		}
		sort.Strings(codes)
		for _, c := range codes {
			out = append(out, Pair{Op: op.ID(), Status: c})
		}
	}
	return out
}

// Gaps checks the catalogue against the specs, closed: every operation must have a case, and
// every documented response a case that provokes it or an exemption (401s, or default where no
// 401 is documented, are provoked by the auth and session profiles for every protected operation). It returns what is missing.
func Gaps(catalogue []Case) ([]string, error) {
	ops, err := specs.AllOperations()
	if err != nil {
		return nil, err
	}
	targeted := map[Pair]bool{}
	hasCase := map[string]bool{}
	for _, c := range catalogue {
		op, err := Operation(c.Op)
		if err != nil {
			return nil, fmt.Errorf("case %q: %w", c.Name(), err)
		}
		hasCase[c.Op] = true
		codes := c.Status
		if c.Any4xx {
			targeted[Pair{c.Op, "default"}] = true
		}
		for _, code := range codes {
			key := fmt.Sprint(code)
			if op.Operation.Responses.Value(key) == nil {
				key = "default"
			}
			targeted[Pair{c.Op, key}] = true
		}
		// A derived negative provokes the documented 400 when the operation has one.
		if c.Any4xx && op.Operation.Responses.Value("400") != nil {
			targeted[Pair{c.Op, "400"}] = true
		}
	}
	exempt := map[Pair]bool{}
	for _, e := range exemptions {
		exempt[Pair{e.Op, e.Status}] = true
	}
	var gaps []string
	for _, op := range ops {
		if !hasCase[op.ID()] {
			gaps = append(gaps, fmt.Sprintf("operation %s (%s %s in %s) has no case", op.ID(), op.Method, op.FullPath(), op.Doc.Name))
		}
	}
	for _, p := range PairsOf(ops) {
		if targeted[p] || exempt[p] {
			continue
		}
		op, _ := Operation(p.Op)
		if p.Status == "401" && op.Protected() {
			continue
		}
		// Where a protected operation documents no 401 (configuration-service and datastore, as
		// upstream), its 401 falls under default: the auth profile provokes that.
		if p.Status == "default" && op.Protected() && op.Operation.Responses.Value("401") == nil {
			continue
		}
		gaps = append(gaps, fmt.Sprintf("response %s of %s is neither provoked by a case nor exempted", p.Status, p.Op))
	}
	for _, e := range exemptions {
		if !slices.Contains(PairsOf(ops), Pair{e.Op, e.Status}) {
			gaps = append(gaps, fmt.Sprintf("exemption of %s %s names no documented response", e.Op, e.Status))
		}
	}
	return gaps, nil
}
