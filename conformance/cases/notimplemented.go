package cases

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/specs"
)

// NotImplemented says why an exchange judges nothing: a valid request, with the API token, to an
// operation upstream Keptn 0.7.3 does not implement either (x-upstream-unimplemented in the
// specs), answered 501 Not Implemented. Such an operation is reported as not implemented, not as
// failed; "" for any other exchange: a 501 from an operation upstream implements, to a request
// without the token (upstream's front authenticates first), of another method or one its spec
// rules out (upstream's framework refuses those before the stub) is judged like any other answer.
func NotImplemented(ex *contract.Exchange, token string) string {
	if ex == nil || ex.Response == nil || ex.Request == nil || ex.Status() != http.StatusNotImplemented {
		return ""
	}
	op := ex.Op
	if op == nil {
		op = operationAt(ex.Request)
	} else if len(contract.ValidateRequest(ex)) > 0 {
		return ""
	}
	if op == nil || op.Method != ex.Request.Method || ex.Request.Header.Get("x-token") != token {
		return ""
	}
	if why := op.UnimplementedUpstream(); why != "" {
		return fmt.Sprintf("%s answers 501 Not Implemented, as upstream Keptn 0.7.3 does (%s): not checked", op.ID(), why)
	}
	return ""
}

// Unimplemented is NotImplemented for the exchange a result was decided by, its last: a case
// stops at its first failed exchange, so a case whose request or probe reached such an operation
// is not checked. Checks that read several operations and judge each (the scope and restart
// read-backs) leave such a read out instead.
func (r Result) Unimplemented(token string) string {
	if len(r.Exchanges) == 0 {
		return ""
	}
	return NotImplemented(r.Exchanges[len(r.Exchanges)-1], token)
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
