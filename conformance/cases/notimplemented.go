package cases

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/specs"
)

// NotImplemented says why a check does not apply to the installation: one of its exchanges was
// answered 501 Not Implemented by an operation that upstream Keptn 0.7.3 does not implement either
// (x-upstream-unimplemented in the specs). Such an operation is reported as not implemented (its
// checks skipped, saying so, and its profile partial), not as failed; a 501 from any other
// operation is a server error like any other. "" when no exchange says so.
func NotImplemented(exs ...*contract.Exchange) string {
	for _, ex := range exs {
		if ex == nil || ex.Response == nil || ex.Status() != http.StatusNotImplemented {
			continue
		}
		op := ex.Op
		if op == nil {
			op = operationAt(ex.Request)
		}
		if op == nil {
			continue
		}
		if why := op.UnimplementedUpstream(); why != "" {
			return fmt.Sprintf("%s answers 501 Not Implemented, as upstream Keptn 0.7.3 does (%s): not checked", op.ID(), why)
		}
	}
	return ""
}

// operationAt is the spec operation a request (one the suite built by path) is for, if any.
func operationAt(r *http.Request) *specs.Operation {
	if r == nil || r.URL == nil {
		return nil
	}
	path := strings.Split(strings.TrimSuffix(r.URL.EscapedPath(), "/"), "/")
	ops, err := operations()
	if err != nil {
		return nil
	}
	for _, op := range ops {
		if op.Method != r.Method {
			continue
		}
		tmpl := strings.Split(op.FullPath(), "/")
		if len(tmpl) != len(path) {
			continue
		}
		match := true
		for i, seg := range tmpl {
			if !strings.HasPrefix(seg, "{") && seg != path[i] {
				match = false
				break
			}
		}
		if match {
			return op
		}
	}
	return nil
}
