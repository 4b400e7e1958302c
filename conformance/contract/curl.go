package contract

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// ShowSecrets puts credentials into the curl commands of failure messages; by default a command
// reads them from the environment ($KEPTN_API_TOKEN, $KEPTN_SESSION_COOKIE) and other secrets are
// redacted.
var ShowSecrets bool

// Curl renders the exchange's request as a curl command that sends it again, byte for byte: the
// method, the URL as sent (escapes kept), every header, and the body. The token and cookies come
// from the environment variables unless showSecrets.
func (ex *Exchange) Curl(showSecrets bool) string {
	if ex.Request == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("curl -sS -i -g --path-as-is -X " + shellQuote(ex.Request.Method) + " " + shellQuote(ex.Request.URL.String()))
	keys := make([]string, 0, len(ex.Request.Header))
	for k := range ex.Request.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range ex.Request.Header[k] {
			b.WriteString(" -H " + headerArg(k, v, showSecrets))
		}
	}
	if ex.ReqBody != nil {
		if ex.Request.Header.Get("Content-Type") == "" {
			b.WriteString(" -H 'Content-Type:'") // curl would add a form's
		}
		b.WriteString(" --data-binary " + shellQuote(string(ex.ReqBody)))
	}
	if showSecrets {
		return b.String()
	}
	return ex.redact(b.String())
}

// headerArg is one -H argument; a credential is taken from the environment unless shown.
func headerArg(name, v string, show bool) string {
	if show {
		return shellQuote(name + ": " + v)
	}
	switch http.CanonicalHeaderKey(name) {
	case "X-Token":
		return `"` + name + `: $KEPTN_API_TOKEN"`
	case "Cookie":
		return `"` + name + `: $KEPTN_SESSION_COOKIE"`
	case "Authorization":
		return shellQuote(name + ": " + redactHeader(name, v))
	}
	return shellQuote(name + ": " + v)
}

// shellQuote quotes s for a POSIX shell (single quotes; a quote inside is closed, escaped, reopened).
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// curlLine is the reproducer line of a failure message.
func (ex *Exchange) curlLine() string {
	return fmt.Sprintf("reproduce: %s\n", ex.Curl(ShowSecrets))
}
