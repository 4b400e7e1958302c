package generate

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"pgregory.net/rapid"

	"github.com/keptn-conformance/keptn-conformance/specs"
)

// Violation is one named way to break an operation's request schema.
type Violation struct {
	// Name says where and how: "body.name: wrong type", "query.pageSize: above maximum".
	Name  string
	apply func(t *rapid.T, in *Input, known Known)
}

// Violations lists the ways to break op's request schema that the upstream services refuse
// (their framework validates types, required members, enums, bounds and lengths, and answers 422
// under `default`). Two kinds are left out because upstream's framework accepts them: booleans in
// the query (it reads any word as a boolean) and string formats (byte, uri-reference are not
// validated upstream, facts §10).
func Violations(op *specs.Operation) []Violation {
	var out []Violation
	for _, p := range parameters(op) {
		if p.In != openapi3.ParameterInQuery && p.In != openapi3.ParameterInHeader {
			continue
		}
		p := p
		where := p.In + "." + p.Name
		if p.Required {
			out = append(out, Violation{Name: where + ": missing (required)", apply: func(_ *rapid.T, in *Input, _ Known) { in.unset(p) }})
		}
		s := schemaOf(p)
		if s == nil {
			continue
		}
		for _, b := range breaks(s) {
			out = append(out, Violation{Name: where + ": " + b.name, apply: func(t *rapid.T, in *Input, _ Known) {
				in.set(p, formatParam(b.value(t, where)))
			}})
		}
	}
	if _, s := bodySchema(op); s != nil {
		if typeOf(s) == openapi3.TypeObject {
			out = append(out, Violation{Name: "body: not an object", apply: func(t *rapid.T, in *Input, _ Known) {
				in.body, in.hasBody = rapid.SampledFrom([]any{[]any{}, "text", int64(42)}).Draw(t, "body"), true
			}})
			out = append(out, Violation{Name: "body: not JSON", apply: func(t *rapid.T, in *Input, _ Known) {
				in.body, in.hasBody = rawJSON(rapid.SampledFrom([]string{"{", `{"a":}`, "not json"}).Draw(t, "body")), true
			}})
		}
		out = append(out, bodyViolations(s, nil, 0)...)
	}
	return out
}

// step is one step into a body: a property name, or (index) the first item of an array.
type step struct {
	name   string
	index  bool
	schema *openapi3.Schema // the schema of what the step reaches
}

func pathName(steps []step) string {
	var b strings.Builder
	b.WriteString("body")
	for _, s := range steps {
		if s.index {
			b.WriteString("[0]")
		} else {
			b.WriteString("." + s.name)
		}
	}
	return b.String()
}

// bodyViolations lists the violations inside an object or array schema reached by steps.
func bodyViolations(s *openapi3.Schema, steps []step, depth int) []Violation {
	if depth >= maxDepth-1 {
		return nil
	}
	var out []Violation
	switch typeOf(s) {
	case openapi3.TypeObject:
		for _, name := range propertyNames(s) {
			p := s.Properties[name].Value
			if p.ReadOnly {
				continue
			}
			here := append(slices.Clone(steps), step{name: name, schema: p})
			where := pathName(here)
			if slices.Contains(s.Required, name) {
				out = append(out, Violation{Name: where + ": missing (required)", apply: func(t *rapid.T, in *Input, known Known) {
					parent := reach(t, in, here[:len(here)-1], known)
					delete(parent.(map[string]any), name)
				}})
			}
			if wrong := wrongType(p); wrong != nil {
				out = append(out, Violation{Name: where + ": wrong type", apply: func(t *rapid.T, in *Input, known Known) {
					parent := reach(t, in, here[:len(here)-1], known)
					parent.(map[string]any)[name] = wrong
				}})
			}
			for _, b := range breaks(p) {
				out = append(out, Violation{Name: where + ": " + b.name, apply: func(t *rapid.T, in *Input, known Known) {
					parent := reach(t, in, here[:len(here)-1], known)
					parent.(map[string]any)[name] = b.value(t, where)
				}})
			}
			out = append(out, bodyViolations(p, here, depth+1)...)
		}
	case openapi3.TypeArray:
		if items := itemsOf(s); items != nil {
			here := append(slices.Clone(steps), step{index: true, schema: items})
			if wrong := wrongType(items); wrong != nil {
				where := pathName(here)
				out = append(out, Violation{Name: where + ": wrong type", apply: func(t *rapid.T, in *Input, known Known) {
					reach(t, in, here, known) // the array has a first item
					reach(t, in, here[:len(here)-1], known).([]any)[0] = wrong
				}})
			}
			out = append(out, bodyViolations(items, here, depth+1)...)
		}
	}
	return out
}

// reach walks the body along steps, making (valid) what is missing on the way: a property the
// draw left out, the first item of an empty array. It returns the value reached.
func reach(t *rapid.T, in *Input, steps []step, known Known) any {
	if !in.hasBody {
		_, s := bodySchema(in.Op)
		in.body, in.hasBody = value(t, s, "body", known, 0), true
	}
	cur := in.body
	for i, st := range steps {
		label := pathName(steps[:i+1])
		if st.index {
			arr := cur.([]any)
			if len(arr) == 0 {
				arr = append(arr, value(t, st.schema, label, known, i+1))
				if err := setAt(in, steps[:i], arr); err != nil {
					panic(err)
				}
			}
			cur = arr[0]
			continue
		}
		obj := cur.(map[string]any)
		next, ok := obj[st.name]
		if !ok {
			next = value(t, st.schema, label, known, i+1)
			obj[st.name] = next
		}
		cur = next
	}
	return cur
}

// setAt replaces the value at steps (an array grown by reach).
func setAt(in *Input, steps []step, v any) error {
	if len(steps) == 0 {
		in.body = v
		return nil
	}
	parent := in.body
	for _, st := range steps[:len(steps)-1] {
		if st.index {
			parent = parent.([]any)[0]
		} else {
			parent = parent.(map[string]any)[st.name]
		}
	}
	last := steps[len(steps)-1]
	if last.index {
		parent.([]any)[0] = v
		return nil
	}
	m, ok := parent.(map[string]any)
	if !ok {
		return fmt.Errorf("generate: %s is not an object", pathName(steps))
	}
	m[last.name] = v
	return nil
}

// wrongType is a value of another JSON type than s allows (nil when s allows any).
func wrongType(s *openapi3.Schema) any {
	switch typeOf(s) {
	case openapi3.TypeString:
		return int64(42)
	case openapi3.TypeInteger, openapi3.TypeNumber, openapi3.TypeBoolean, openapi3.TypeArray, openapi3.TypeObject:
		return "text"
	}
	if len(s.AnyOf) > 0 || len(s.OneOf) > 0 {
		// An object or a string (data): a number is neither.
		for _, alt := range append(slices.Clone(s.AnyOf), s.OneOf...) {
			if k := typeOf(alt.Value); k == openapi3.TypeNumber || k == openapi3.TypeInteger || k == "" {
				return nil
			}
		}
		return int64(42)
	}
	return nil
}

// breakage is a way to break a scalar schema's constraint with a drawn value.
type breakage struct {
	name  string
	value func(t *rapid.T, label string) any
}

// breaks lists how a scalar schema's constraints can be broken: a non-integer for an integer,
// each bound, each length, the enum, the pattern.
func breaks(s *openapi3.Schema) []breakage {
	var out []breakage
	switch typeOf(s) {
	case openapi3.TypeInteger:
		out = append(out, breakage{"not an integer", func(t *rapid.T, label string) any {
			return rapid.SampledFrom([]string{"x", "1.5", "ten"}).Draw(t, label)
		}})
		lo, hi := intBounds(s)
		if s.Min != nil {
			out = append(out, breakage{"below minimum", func(t *rapid.T, label string) any {
				return rapid.Int64Range(lo-1000, lo-1).Draw(t, label)
			}})
		}
		if s.Max != nil {
			out = append(out, breakage{"above maximum", func(t *rapid.T, label string) any {
				return rapid.Int64Range(hi+1, hi+1000).Draw(t, label)
			}})
		}
	case openapi3.TypeString:
		if len(s.Enum) > 0 {
			out = append(out, breakage{"not one of the enum", func(t *rapid.T, label string) any {
				return identifier.Filter(func(v string) bool { return !slices.Contains(s.Enum, any(v)) }).Draw(t, label)
			}})
		}
		if s.MaxLength != nil {
			n := int(*s.MaxLength)
			out = append(out, breakage{"longer than maxLength", func(t *rapid.T, label string) any {
				return rapid.StringOfN(rapid.RuneFrom([]rune("abcxyz0123456789")), n+1, n+1000, -1).Draw(t, label)
			}})
		}
		if s.MinLength > 0 {
			n := int(s.MinLength)
			out = append(out, breakage{"shorter than minLength", func(t *rapid.T, label string) any {
				return rapid.StringOfN(rapid.RuneFrom([]rune("abcxyz0123456789")), 0, n-1, -1).Draw(t, label)
			}})
		}
		if s.Pattern != "" {
			re, err := regexp.Compile(s.Pattern)
			if err == nil {
				out = append(out, breakage{"not matching the pattern", func(t *rapid.T, label string) any {
					return rapid.String().Filter(func(v string) bool { return !re.MatchString(v) }).Draw(t, label)
				}})
			}
		}
	}
	return out
}
