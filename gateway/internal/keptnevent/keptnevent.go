// Package keptnevent validates and completes Keptn events (CloudEvents 0.2 with Keptn's
// extensions), the `keptnContextExtendedCE` of the specs. Events are kept as JSON objects so
// that fields a client adds survive storage untouched.
package keptnevent

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/httpx"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/ids"
)

// Event is a Keptn event as a JSON object.
type Event map[string]any

// Decode reads a request body that must be one JSON object and validates it as an event.
func Decode(r *http.Request) (Event, error) {
	var raw json.RawMessage
	if err := httpx.DecodeJSON(r, &raw); err != nil {
		return nil, err
	}
	return Parse(raw)
}

// Parse decodes and validates one event.
func Parse(raw []byte) (Event, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, httpx.Errorf(http.StatusBadRequest, "the event is not valid JSON: %v", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, httpx.Errorf(http.StatusBadRequest, "the event must be a JSON object")
	}
	e := Event(obj)
	return e, e.Validate()
}

// Validate checks the fields the spec types and requires: type, source and data are required;
// source is a URI reference; time is an RFC 3339 date-time; the other CloudEvents attributes
// are strings and extensions an object.
func (e Event) Validate() error {
	for _, k := range []string{"type", "source"} {
		v, present := e[k]
		s, isString := v.(string)
		switch {
		case !present:
			return httpx.Errorf(http.StatusBadRequest, "the event has no %q", k)
		case !isString:
			return httpx.Errorf(http.StatusBadRequest, "the event's %q must be a string", k)
		case s == "":
			return httpx.Errorf(http.StatusBadRequest, "the event's %q is empty", k)
		}
	}
	if _, err := url.Parse(e.Str("source")); err != nil {
		return httpx.Errorf(http.StatusBadRequest, "the event's source is not a URI reference: %v", err)
	}
	data, present := e["data"]
	if !present || data == nil {
		return httpx.Errorf(http.StatusBadRequest, "the event has no \"data\"")
	}
	switch data.(type) {
	case map[string]any, string:
	default:
		return httpx.Errorf(http.StatusBadRequest, "the event's \"data\" must be an object or a string")
	}
	for _, k := range []string{"shkeptncontext", "triggeredid", "specversion", "contenttype", "id", "time"} {
		if v, present := e[k]; present && v != nil {
			if _, ok := v.(string); !ok {
				return httpx.Errorf(http.StatusBadRequest, "the event's %q must be a string", k)
			}
		}
	}
	if t := e.Str("time"); t != "" {
		if _, err := time.Parse(time.RFC3339Nano, t); err != nil {
			return httpx.Errorf(http.StatusBadRequest, "the event's time %q is not an RFC 3339 date-time", t)
		}
	}
	if v, present := e["extensions"]; present && v != nil {
		if _, ok := v.(map[string]any); !ok {
			return httpx.Errorf(http.StatusBadRequest, "the event's \"extensions\" must be an object")
		}
	}
	return nil
}

// Complete fills in what Keptn assigns on receipt: an id, a time and the spec version when
// missing, and a UUID Keptn context unless the event carries one. It returns the context.
func (e Event) Complete(now time.Time) string {
	if e.Str("id") == "" {
		e["id"] = ids.NewUUID()
	}
	if e.Str("time") == "" {
		e["time"] = now.UTC().Format(time.RFC3339Nano)
	}
	if e.Str("specversion") == "" {
		e["specversion"] = "0.2"
	}
	if e.Str("contenttype") == "" {
		e["contenttype"] = "application/json"
	}
	if !ids.IsUUID(e.Str("shkeptncontext")) {
		e["shkeptncontext"] = ids.NewUUID()
	}
	return e.Str("shkeptncontext")
}

// Receive completes an event the way api-service takes it in from a client: a new id, the time
// of receipt (the keptn CLI sends a zero time when its file has none), and the Keptn context it
// carries when that is a UUID, a UUID derived from it when it is some other string, or a new one.
// It returns the context.
func (e Event) Receive(now time.Time) string {
	e["id"] = ids.NewUUID()
	e["time"] = now.UTC().Format(time.RFC3339Nano)
	if c := e.Str("shkeptncontext"); c != "" && !ids.IsUUID(c) {
		e["shkeptncontext"] = ids.FromName(c)
	}
	return e.Complete(now)
}

// New makes an event of Keptn's own.
func New(eventType, source, keptnContext string, data map[string]any, now time.Time) Event {
	e := Event{"type": eventType, "source": source, "data": data, "shkeptncontext": keptnContext}
	e.Complete(now)
	return e
}

// Str returns a string attribute, or "".
func (e Event) Str(key string) string {
	s, _ := e[key].(string)
	return s
}

// Data returns the data object, or nil when data is a string.
func (e Event) Data() map[string]any {
	d, _ := e["data"].(map[string]any)
	return d
}

// DataStr returns a string field of the data object, or "".
func (e Event) DataStr(key string) string {
	s, _ := e.Data()[key].(string)
	return s
}

// Time returns the event's time (zero when missing or invalid).
func (e Event) Time() time.Time {
	t, _ := time.Parse(time.RFC3339Nano, e.Str("time"))
	return t
}

// Lookup follows a dotted path ("data.project") through nested objects and returns the value
// there as a string, with ok false when the path leads nowhere or to a non-scalar.
func (e Event) Lookup(path string) (string, bool) {
	var cur any = map[string]any(e)
	start := 0
	for i := 0; i <= len(path); i++ {
		if i < len(path) && path[i] != '.' {
			continue
		}
		obj, ok := cur.(map[string]any)
		if !ok {
			return "", false
		}
		cur, ok = obj[path[start:i]]
		if !ok {
			return "", false
		}
		start = i + 1
	}
	switch v := cur.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		if v {
			return "true", true
		}
		return "false", true
	}
	return "", false
}
