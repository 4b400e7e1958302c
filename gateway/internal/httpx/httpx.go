// Package httpx holds the HTTP plumbing every role of the reference gateway shares: the JSON
// error model, strict-but-tolerant JSON bodies, a router whose 404 and 405 answers are JSON
// too, request logging that never records secrets, and in-process HTTP clients.
package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"
)

// MaxBodyBytes bounds every request body the gateway reads (resources can be Helm charts).
const MaxBodyBytes = 32 << 20

// Error is the JSON error model of the Keptn API: `{"code": 400, "message": "..."}`.
type Error struct {
	Code    int64  `json:"code"`
	Message string `json:"message"`
}

// WriteError answers with the JSON error model.
func WriteError(w http.ResponseWriter, status int, format string, args ...any) {
	WriteJSON(w, status, Error{Code: int64(status), Message: fmt.Sprintf(format, args...)})
}

// WriteJSON answers with v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only a programming error gets here: every value written is a plain struct or map.
		status, b = http.StatusInternalServerError, []byte(`{"code":500,"message":"encoding the answer failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// StatusError is an error that knows its HTTP status; handlers return it from helpers.
type StatusError struct {
	Status  int
	Message string
}

func (e *StatusError) Error() string { return e.Message }

// Errorf makes a StatusError.
func Errorf(status int, format string, args ...any) error {
	return &StatusError{Status: status, Message: fmt.Sprintf(format, args...)}
}

// WriteErr answers with err's status when it has one, otherwise 500 with a generic message
// (the detail goes to the log through the caller, never to the client).
func WriteErr(w http.ResponseWriter, err error) {
	var se *StatusError
	if errors.As(err, &se) {
		WriteError(w, se.Status, "%s", se.Message)
		return
	}
	WriteError(w, http.StatusInternalServerError, "internal error")
}

// IsJSONContentType reports whether a Content-Type names JSON (application/json or any +json).
func IsJSONContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// DecodeJSON reads the request body as one JSON value into v. It answers 400 for a body that is
// not declared as JSON (the specs document 400, not 415, for every bad body), empty, malformed or
// mistyped; 413 for a body larger than its limit (the gateway's per-route limit, or MaxBodyBytes),
// and 408 for one that stalled. Unknown fields are ignored, as the upstream services do.
func DecodeJSON(r *http.Request, v any) error {
	if !IsJSONContentType(r.Header.Get("Content-Type")) {
		return Errorf(http.StatusBadRequest, "the request body must be JSON (Content-Type: application/json), got %q", r.Header.Get("Content-Type"))
	}
	body := http.MaxBytesReader(nil, r.Body, MaxBodyBytes)
	dec := json.NewDecoder(body)
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &mbe):
			return Errorf(http.StatusRequestEntityTooLarge, "the request body is larger than the %d bytes allowed here", mbe.Limit)
		case errors.Is(err, os.ErrDeadlineExceeded):
			return Errorf(http.StatusRequestTimeout, "the request body stalled")
		case errors.Is(err, io.EOF):
			return Errorf(http.StatusBadRequest, "the request body is empty")
		case errors.As(err, &te):
			if te.Field != "" {
				return Errorf(http.StatusBadRequest, "field %q must be %s, got %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
			}
			return Errorf(http.StatusBadRequest, "the request body must be a JSON %s, got %s", jsonKind(te.Type.Kind().String()), te.Value)
		case errors.As(err, &se):
			return Errorf(http.StatusBadRequest, "the request body is not valid JSON: %v", err)
		default:
			return Errorf(http.StatusBadRequest, "the request body is not valid JSON: %v", err)
		}
	}
	if dec.More() {
		return Errorf(http.StatusBadRequest, "the request body must hold exactly one JSON value")
	}
	return nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "a number"
	}
	return goKind
}
