package selftest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
)

// Answer is a captured response a fault may change before it is sent.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON edits the body as a JSON object (or does nothing when it is not one).
func (a *Answer) JSON(edit func(m map[string]any)) {
	var m map[string]any
	if json.Unmarshal(a.Body, &m) != nil {
		return
	}
	edit(m)
	a.Body, _ = json.Marshal(m)
}

// rewrite serves the request with next, then lets edit change the answer when match says so.
func rewrite(next http.Handler, match func(r *http.Request) bool, edit func(r *http.Request, a *Answer)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !match(r) {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		a := &Answer{Status: rec.Code, Header: rec.Header().Clone(), Body: rec.Body.Bytes()}
		edit(r, a)
		for k, v := range a.Header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(a.Body)))
		w.WriteHeader(a.Status)
		_, _ = w.Write(a.Body)
	})
}

// before changes a request before the gateway sees it.
func before(next http.Handler, change func(r *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		change(r)
		next.ServeHTTP(w, r)
	})
}

// ignoreQuery drops a query parameter from the requests that match, as a gateway that ignores it
// would.
func ignoreQuery(next http.Handler, match func(*http.Request) bool, key string) http.Handler {
	return before(next, func(r *http.Request) {
		if match(r) {
			q := r.URL.Query()
			q.Del(key)
			r.URL.RawQuery = q.Encode()
		}
	})
}

// route matches a method and a path: exact, or a prefix when it ends with "*".
func route(method, path string) func(r *http.Request) bool {
	return func(r *http.Request) bool {
		if method != "" && r.Method != method {
			return false
		}
		if strings.HasSuffix(path, "*") {
			return strings.HasPrefix(r.URL.Path, strings.TrimSuffix(path, "*"))
		}
		return r.URL.Path == path
	}
}

// segments is the number of "/"-separated segments of a path.
func segments(p string) int { return len(strings.Split(strings.Trim(p, "/"), "/")) }

// setJSONBody replaces a request's body with v as JSON.
func setJSONBody(r *http.Request, v any) {
	b, _ := json.Marshal(v)
	r.Body, r.ContentLength = readerOf(b), int64(len(b))
}

// readBody reads a request body and puts it back.
func readBody(r *http.Request) []byte {
	if r.Body == nil {
		return nil
	}
	b, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b
}
