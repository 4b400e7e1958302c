package cases

import (
	"fmt"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// derivedNegatives makes, for every operation with a JSON request body, the bad bodies its schema
// rules out: malformed JSON, no body, a body not declared as JSON, each required field missing or
// null, each field of the wrong type. A conformant gateway refuses each with a documented client error
// (MUST: a framework's 422 or 415 under default counts, facts §10), never a 5xx; an absent body
// may be taken as empty input, so where the schema requires nothing it need not be refused.
// Beside them, SHOULD checks recommend the specs' own 400 for a schema violation and a body of
// another media type. They are built on the operation's first successful case, so only the body
// is wrong.
func derivedNegatives(catalogue []Case) []Case {
	var out []Case
	done := map[string]bool{}
	for _, base := range catalogue {
		if done[base.Op] || base.Negative || base.Body == "" || len(base.Status) == 0 || base.Status[0] >= 300 {
			continue
		}
		op, err := Operation(base.Op)
		if err != nil || op.Operation.RequestBody == nil {
			continue
		}
		mt := op.Operation.RequestBody.Value.Content.Get("application/json")
		if mt == nil || mt.Schema == nil {
			continue
		}
		done[base.Op] = true
		neg := func(title string) Case {
			c := base
			c.Title, c.Status, c.Any4xx, c.Negative = title, nil, true, true
			c.Expect, c.Probes, c.Mutate, c.RawBody = nil, nil, nil, nil
			c.Grade = specGrade(op, "request body: a body its schema or media types rule out is a client error")
			c.Header = map[string]string{}
			for k, v := range base.Header {
				if k != "Content-Type" {
					c.Header[k] = v
				}
			}
			return c
		}
		c := neg("refuse a body that is not valid JSON with a client error")
		c.RawBody = []byte(`{"`)
		out = append(out, c)
		schema := mt.Schema.Value
		if len(schema.Required) > 0 {
			c = neg("refuse an empty body with a client error")
		} else {
			c = neg("answer an empty body without a server error, refusing it or taking it as empty input")
			c.Any4xx = false
		}
		c.RawBody = []byte{}
		out = append(out, c)
		c = neg("refuse a body sent as text/plain with a client error")
		c.Header["Content-Type"] = "text/plain"
		out = append(out, c)
		should := c
		should.Title, should.Any4xx, should.Status = "refuse a body sent as text/plain with 400", false, s(400)
		should.Grade = recommend(why400)
		if op.Operation.Responses.Value("400") != nil {
			out = append(out, should)
		}
		violation := c
		violation.Header = c.Header

		required := append([]string(nil), schema.Required...)
		sort.Strings(required)
		for _, field := range required {
			c := neg(fmt.Sprintf("refuse a body without the required field %q with a client error", field))
			f := field
			c.Mutate = func(m map[string]any) { delete(m, f) }
			if why, ok := upstreamOptional[op.ID()+"."+field]; ok {
				c.Grade = recommend(why)
			}
			out = append(out, c)
			if violation.Mutate == nil {
				violation = c
			}
			// JSON's null is no value of the field's type: a decoder that reads it as absent or as
			// the type's zero value must still find the field missing.
			if p := schema.Properties[field]; p != nil && p.Value != nil && !p.Value.Nullable {
				c := neg(fmt.Sprintf("refuse a body whose required field %q is null with a client error", field))
				c.Mutate = func(m map[string]any) { m[f] = nil }
				if why, ok := upstreamOptional[op.ID()+"."+field]; ok {
					c.Grade = recommend(why)
				}
				out = append(out, c)
			}
		}
		fields := make([]string, 0, len(schema.Properties))
		for name := range schema.Properties {
			fields = append(fields, name)
		}
		sort.Strings(fields)
		for _, field := range fields {
			wrong, kind := wrongValue(schema.Properties[field].Value)
			if wrong == nil {
				continue
			}
			c := neg(fmt.Sprintf("refuse a body whose field %q is %s with a client error", field, kind))
			f := field
			c.Mutate = func(m map[string]any) { m[f] = wrong }
			out = append(out, c)
			if violation.Mutate == nil {
				violation = c
			}
		}
		if violation.Mutate != nil && op.Operation.Responses.Value("400") != nil {
			violation.Title = "refuse a body that breaks its schema with 400 (" + strings.TrimPrefix(strings.TrimSuffix(violation.Title, " with a client error"), "refuse ") + ")"
			violation.Any4xx, violation.Status, violation.Grade = false, s(400), recommend(why400)
			out = append(out, violation)
		}
	}
	return out
}

// why400 is why the suite recommends 400 for a bad body where a framework's 422 or 415 is
// permitted under default.
const why400 = "the spec documents 400 with its error model for a bad request; one status lets a client handle every bad body alike"

// wrongValue returns a value of another JSON type than the schema allows, and its description.
func wrongValue(s *openapi3.Schema) (any, string) {
	if s == nil {
		return nil, ""
	}
	if len(s.AnyOf) > 0 || len(s.OneOf) > 0 {
		return 12345, "a number"
	}
	switch {
	case s.Type.Is("string"):
		return 12345, "a number"
	case s.Type.Is("integer"), s.Type.Is("number"):
		return "not a number", "a string"
	case s.Type.Is("boolean"):
		return "yes", "a string"
	case s.Type.Is("object"):
		return "not an object", "a string"
	case s.Type.Is("array"):
		return "not an array", "a string"
	}
	return nil, ""
}

// upstreamOptional are body fields the facts require that upstream 0.7.3's own service takes
// without (operation.field): refusing a body without one is our recommendation, not a MUST.
var upstreamOptional = map[string]string{
	"saveEventInternal.data": "api-service, the datastore's only writer, always sends data; upstream 0.7.3's datastore schema (CloudEvents 0.2) does not require it and stores an event without",
}
