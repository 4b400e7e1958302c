package target

import (
	"net/http"
	"time"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
)

func requestNoOp(method, path string) contract.Request {
	return contract.Request{Method: method, Path: path, Header: http.Header{}}
}

func withToken(r contract.Request, token string) contract.Request {
	r.Header.Set("x-token", token)
	return r
}

func timeAfter(ms int) <-chan time.Time { return time.After(time.Duration(ms) * time.Millisecond) }
