// Package generate makes requests from the specs' schemas, property-based: for an operation it
// draws path, query and header parameters and a body from their schemas (types, formats, enums,
// patterns, bounds, required and optional members, nested objects and arrays), either valid or
// breaking the schema in exactly one named way, and aims valid requests at the suite's world (the
// names of real entities are drawn with some probability). Drawing goes through
// pgregory.net/rapid, so a failing input is shrunk to a minimal one and a seed replays a run.
package generate

import (
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"
	"pgregory.net/rapid"
)

// Known are values of the suite's world by name (a path or query parameter, a body property):
// valid requests draw them with some probability, so that they reach real entities.
type Known map[string][]string

// upstreamValues are the only values upstream takes for a map's members where the spec says just
// "a string": deploymentStrategies are direct or duplicate, and upstream answers anything else
// with a 500 that facts §10 lists as permitted.
var upstreamValues = map[string][]string{"deploymentStrategies": {"direct", "duplicate"}}

// upstreamRequires are the optional parameters upstream answers 500 without, as a client gives
// them: upstream 0.7.3's datastore refuses getEventsByType without a filter naming data.project
// or shkeptncontext ("must provide a filter containing ..."), so every drawn query gives one on a
// project (the world's, or any name), and the suite's own check without a filter is a SHOULD.
// Upstream 0.7.3's getEvent puts its keptnContext and type into its query to the datastore
// unescaped (a space or a "%" breaks that request, and it answers 500): they are drawn as clients
// send them, a Keptn context and an event type, of characters a URL takes as they are.
var upstreamRequires = map[string]func(t *rapid.T, label string, known Known) string{
	"getEvent.keptnContext": func(t *rapid.T, label string, _ Known) string { return urlSafe.Draw(t, label) },
	"getEvent.type":         func(t *rapid.T, label string, _ Known) string { return urlSafe.Draw(t, label) },
	"getEventsByType.filter": func(t *rapid.T, label string, known Known) string {
		project := identifier.Draw(t, label+"#project")
		if ps := known["project"]; len(ps) > 0 && rapid.Bool().Draw(t, label+"#known") {
			project = rapid.SampledFrom(ps).Draw(t, label+"#knownProject")
		}
		return "data.project:" + project
	},
}

// maxDepth bounds how deep nested objects and arrays are drawn.
const maxDepth = 4

// longMin and longMax bound the long strings drawn for a string without a maxLength: long enough
// to pass any sane name length, short enough to stay in a URL.
const (
	longMin = 64
	longMax = 1024
)

// urlSafe is a value of RFC 3986's unreserved characters, which a URL carries as they are.
var urlSafe = rapid.StringMatching(`[A-Za-z0-9._~-]{1,64}`)

// identifier is a plain name: what most upstream names look like.
var identifier = rapid.StringMatching(`[a-z][a-z0-9-]{0,15}`)

// plainRune is a letter, digit, punctuation, symbol or space of any script (no controls).
var plainRune = rapid.RuneFrom(nil, unicode.L, unicode.N, unicode.P, unicode.S, unicode.Zs)

// value draws a JSON value valid against s (nil: any value); label names it in rapid's log.
func value(t *rapid.T, s *openapi3.Schema, label string, known Known, depth int) any {
	if s == nil {
		return identifier.Draw(t, label)
	}
	if len(s.Enum) > 0 {
		return rapid.SampledFrom(s.Enum).Draw(t, label)
	}
	if alts := append(slices.Clone(s.OneOf), s.AnyOf...); len(alts) > 0 {
		i := rapid.IntRange(0, len(alts)-1).Draw(t, label+"#alternative")
		return value(t, alts[i].Value, label, known, depth)
	}
	switch typeOf(s) {
	case openapi3.TypeString:
		return stringValue(t, s, label, known)
	case openapi3.TypeInteger:
		// The bounds themselves half the time: that is where the off-by-one bugs are.
		lo, hi := intBounds(s)
		switch rapid.IntRange(0, 3).Draw(t, label+"#kind") {
		case 0, 1:
			return rapid.Int64Range(lo, hi).Draw(t, label)
		case 2:
			return lo
		default:
			return hi
		}
	case openapi3.TypeNumber:
		lo, hi := -1e9, 1e9
		if s.Min != nil {
			lo = *s.Min
		}
		if s.Max != nil {
			hi = *s.Max
		}
		return rapid.Float64Range(lo, hi).Draw(t, label)
	case openapi3.TypeBoolean:
		return rapid.Bool().Draw(t, label)
	case openapi3.TypeArray:
		n := 0
		if depth < maxDepth {
			lo, hi := int(s.MinItems), 3
			if s.MaxItems != nil {
				hi = min(hi, int(*s.MaxItems))
			}
			n = rapid.IntRange(lo, max(lo, hi)).Draw(t, label+"#items")
		}
		out := make([]any, n)
		for i := range out {
			out[i] = value(t, itemsOf(s), fmt.Sprintf("%s[%d]", label, i), known, depth+1)
		}
		return out
	default:
		return object(t, s, label, known, depth)
	}
}

// object draws an object: every required property, each optional one with even odds, and up to
// two free members where additionalProperties allows them.
func object(t *rapid.T, s *openapi3.Schema, label string, known Known, depth int) map[string]any {
	out := map[string]any{}
	for _, name := range propertyNames(s) {
		p := s.Properties[name].Value
		if !slices.Contains(s.Required, name) && (depth >= maxDepth || !rapid.Bool().Draw(t, label+"."+name+"#present")) {
			continue
		}
		if p.ReadOnly {
			continue
		}
		out[name] = value(t, p, label+"."+name, known, depth+1)
	}
	if ap := s.AdditionalProperties.Schema; ap != nil && depth < maxDepth {
		n := rapid.IntRange(0, 2).Draw(t, label+"#members")
		for i := range n {
			key := identifier.Draw(t, fmt.Sprintf("%s#member%d", label, i))
			if vs, ok := upstreamValues[lastName(label)]; ok {
				out[key] = rapid.SampledFrom(vs).Draw(t, label+"."+key)
				continue
			}
			out[key] = value(t, ap.Value, label+"."+key, known, depth+1)
		}
	}
	return out
}

// stringValue draws a string: the schema's format or pattern when it has one; otherwise a known
// name of the world, a plain identifier, a string from any script, or a long one.
func stringValue(t *rapid.T, s *openapi3.Schema, label string, known Known) string {
	switch s.Format {
	case "date-time":
		sec := rapid.Int64Range(0, 4102444800).Draw(t, label)
		return time.Unix(sec, 0).UTC().Format(time.RFC3339)
	case "byte":
		if k := known[lastName(label)]; len(k) > 0 && rapid.Bool().Draw(t, label+"#known") {
			return base64.StdEncoding.EncodeToString([]byte(rapid.SampledFrom(k).Draw(t, label)))
		}
		return base64.StdEncoding.EncodeToString(rapid.SliceOfN(rapid.Byte(), 0, 64).Draw(t, label))
	case "uri-reference":
		return "https://example.com/" + identifier.Draw(t, label)
	}
	lo, hi := int(s.MinLength), -1
	if s.MaxLength != nil {
		hi = int(*s.MaxLength)
	}
	if s.Pattern != "" {
		return rapid.StringMatching(s.Pattern).Filter(func(v string) bool { return lengthIn(v, lo, hi) }).Draw(t, label)
	}
	k := known[lastName(label)]
	kinds := 3
	if len(k) > 0 {
		kinds = 4
	}
	switch rapid.IntRange(0, kinds-1).Draw(t, label+"#kind") {
	case 0:
		return identifier.Filter(func(v string) bool { return lengthIn(v, lo, hi) }).Draw(t, label)
	case 1:
		return rapid.StringOfN(plainRune, max(lo, 1), boundedMax(hi, 24), -1).Draw(t, label)
	case 2:
		if hi >= 0 && hi < longMin {
			return rapid.StringOfN(rapid.RuneFrom([]rune("abcxyz0123456789-")), hi, hi, -1).Draw(t, label)
		}
		return rapid.StringOfN(rapid.RuneFrom([]rune("abcxyz0123456789-")), max(lo, longMin), boundedMax(hi, longMax), -1).Draw(t, label)
	default:
		return rapid.SampledFrom(k).Draw(t, label)
	}
}

func lengthIn(v string, lo, hi int) bool {
	n := len([]rune(v))
	return n >= lo && (hi < 0 || n <= hi)
}

func boundedMax(hi, limit int) int {
	if hi < 0 {
		return limit
	}
	return min(hi, limit)
}

// lastName is the last property or parameter name of a label ("body.resources[0].resourceURI").
func lastName(label string) string {
	for strings.HasSuffix(label, "]") {
		label = label[:strings.LastIndexByte(label, '[')]
	}
	return label[strings.LastIndexByte(label, '.')+1:]
}

// intBounds are an integer schema's bounds (exclusive ones made inclusive), within ±1e9 when open.
func intBounds(s *openapi3.Schema) (int64, int64) {
	lo, hi := int64(-1e9), int64(1e9)
	if s.Min != nil {
		lo = int64(math.Ceil(*s.Min))
		if s.ExclusiveMin.IsTrue() {
			lo++
		}
	}
	if s.Max != nil {
		hi = int64(math.Floor(*s.Max))
		if s.ExclusiveMax.IsTrue() {
			hi--
		}
	}
	return lo, hi
}

// typeOf is a schema's single type ("" for none given: an object when it has properties).
func typeOf(s *openapi3.Schema) string {
	if s.Type != nil && len(*s.Type) > 0 {
		return (*s.Type)[0]
	}
	if len(s.Properties) > 0 || s.AdditionalProperties.Schema != nil {
		return openapi3.TypeObject
	}
	return ""
}

func itemsOf(s *openapi3.Schema) *openapi3.Schema {
	if s.Items == nil {
		return nil
	}
	return s.Items.Value
}

func propertyNames(s *openapi3.Schema) []string {
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
