package specsource

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// bundler makes one self-contained Swagger 2.0 document of a document and the model files it
// refers to by relative $ref: each referred definition, parameter or response is copied into the
// document's own section of that kind and the $ref pointed at the copy. On the way it lints every
// schema (Lint); line numbers stay those of the file a node came from.
type bundler struct {
	r        reader
	main     *yaml.Node
	mainLoc  string
	roots    map[string]*yaml.Node
	imported map[string]string // location#pointer -> local $ref
	files    []File
	findings []Finding
	fatal    []string
}

var methods = []string{"get", "put", "post", "delete", "options", "head", "patch"}

func (b *bundler) bundle() error {
	// The document's own definitions, parameters and responses; imports are walked where made.
	type entry struct {
		section string
		node    *yaml.Node
	}
	var own []entry
	for _, sec := range []string{"definitions", "parameters", "responses"} {
		if m := get(b.main, sec); m != nil && m.Kind == yaml.MappingNode {
			for i := 1; i < len(m.Content); i += 2 {
				own = append(own, entry{sec, m.Content[i]})
			}
		}
	}
	if paths := get(b.main, "paths"); paths != nil {
		for i := 0; i+1 < len(paths.Content); i += 2 {
			item := paths.Content[i+1]
			if get(item, "$ref") != nil {
				b.fail(b.mainLoc, item, "a path item by $ref is not supported")
				continue
			}
			b.params(get(item, "parameters"), b.mainLoc)
			for _, m := range methods {
				if op := get(item, m); op != nil {
					b.inheritProduces(op)
					b.params(get(op, "parameters"), b.mainLoc)
					if rs := get(op, "responses"); rs != nil && rs.Kind == yaml.MappingNode {
						for j := 1; j < len(rs.Content); j += 2 {
							b.response(rs.Content[j], b.mainLoc)
						}
					}
				}
			}
		}
	}
	for _, e := range own {
		b.walk(e.section, e.node, b.mainLoc)
	}
	if len(b.fatal) > 0 {
		return fmt.Errorf("not usable: %s", strings.Join(b.fatal, "; "))
	}
	return nil
}

// inheritProduces gives an operation without produces the document's, as Swagger 2.0 says it
// has: openapi2conv converts an operation's responses with the operation's own produces only,
// and would lose the document's media types (CheckConversion would then refuse the document).
func (b *bundler) inheritProduces(op *yaml.Node) {
	if g := get(b.main, "produces"); g != nil && get(op, "produces") == nil && op.Kind == yaml.MappingNode {
		op.Content = append(op.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "produces"}, deepCopy(g))
	}
}

func (b *bundler) fail(file string, n *yaml.Node, reason string) {
	b.fatal = append(b.fatal, Finding{File: file, Line: n.Line, Reason: reason}.String())
}

func (b *bundler) walk(section string, n *yaml.Node, file string) {
	switch section {
	case "definitions":
		b.schema(n, file)
	case "parameters":
		b.param(n, file)
	case "responses":
		b.response(n, file)
	}
}

func (b *bundler) params(seq *yaml.Node, file string) {
	if seq == nil {
		return
	}
	for _, p := range seq.Content {
		b.param(p, file)
	}
}

func (b *bundler) param(p *yaml.Node, file string) {
	if get(p, "$ref") != nil {
		b.ref(p, file, "parameters")
		return
	}
	// A body parameter's schema; other parameters' items are Items Objects, not schemas.
	if s := get(p, "schema"); s != nil {
		b.schema(s, file)
	}
}

func (b *bundler) response(r *yaml.Node, file string) {
	if get(r, "$ref") != nil {
		b.ref(r, file, "responses")
		return
	}
	if s := get(r, "schema"); s != nil {
		b.schema(s, file)
	}
}

// schemaKeywords are the keys of a Swagger 2.0 Schema Object (besides x- extensions).
var schemaKeywords = map[string]bool{
	"$ref": true, "format": true, "title": true, "description": true, "default": true,
	"multipleOf": true, "maximum": true, "exclusiveMaximum": true, "minimum": true,
	"exclusiveMinimum": true, "maxLength": true, "minLength": true, "pattern": true,
	"maxItems": true, "minItems": true, "uniqueItems": true, "maxProperties": true,
	"minProperties": true, "required": true, "enum": true, "type": true, "items": true,
	"allOf": true, "properties": true, "additionalProperties": true, "discriminator": true,
	"readOnly": true, "xml": true, "externalDocs": true, "example": true,
}

// schema lints and bundles a schema. Lint, the rule for what is still used: a key that is not a
// Swagger 2.0 schema keyword (upstream's `name:` inside a property) is reported and left out,
// and a property whose value is not a schema is reported and replaced by the empty schema (any
// value). Both only loosen validation, so no verdict can come from the invalid part. Anything
// else invalid (a schema that is not a mapping where one is needed, a $ref that does not resolve,
// an operation or response that does not convert) fails the document.
func (b *bundler) schema(s *yaml.Node, file string) {
	if s.Kind != yaml.MappingNode {
		b.fail(file, s, fmt.Sprintf("a schema must be a mapping, found %s", kindName(s)))
		return
	}
	if get(s, "$ref") != nil {
		b.ref(s, file, "definitions")
		return
	}
	kept := s.Content[:0]
	for i := 0; i+1 < len(s.Content); i += 2 {
		k := s.Content[i]
		if !schemaKeywords[k.Value] && !strings.HasPrefix(k.Value, "x-") {
			b.findings = append(b.findings, Finding{File: file, Line: k.Line,
				Reason: fmt.Sprintf("%q is not a Swagger 2.0 schema keyword (left out)", k.Value)})
			continue
		}
		kept = append(kept, k, s.Content[i+1])
	}
	s.Content = kept
	if props := get(s, "properties"); props != nil && props.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(props.Content); i += 2 {
			v := props.Content[i+1]
			if v.Kind != yaml.MappingNode {
				b.findings = append(b.findings, Finding{File: file, Line: props.Content[i].Line,
					Reason: fmt.Sprintf("property %q is not a schema but %s (taken as any value)", props.Content[i].Value, kindName(v))})
				props.Content[i+1] = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: v.Line}
				continue
			}
			b.schema(v, file)
		}
	}
	if it := get(s, "items"); it != nil {
		b.schema(it, file)
	}
	if ap := get(s, "additionalProperties"); ap != nil && ap.Kind == yaml.MappingNode {
		b.schema(ap, file)
	}
	if all := get(s, "allOf"); all != nil {
		for _, x := range all.Content {
			b.schema(x, file)
		}
	}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		return fmt.Sprintf("the scalar %q", n.Value)
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.MappingNode:
		return "a mapping"
	}
	return "an alias"
}

// ref points a $ref at the document itself: a reference into another file (or, inside a model
// file, into that same file) is copied into the document's section and referred to there.
func (b *bundler) ref(n *yaml.Node, file, section string) {
	rn := get(n, "$ref")
	filePart, frag, _ := strings.Cut(rn.Value, "#")
	if filePart == "" && file == b.mainLoc {
		return
	}
	loc := file
	if filePart != "" {
		var err error
		if loc, err = b.r.resolve(file, filePart); err != nil {
			b.fail(file, rn, err.Error())
			return
		}
	}
	key := loc + "#" + frag
	if local, ok := b.imported[key]; ok {
		rn.Value = local
		return
	}
	root, err := b.root(loc)
	if err != nil {
		b.fail(file, rn, fmt.Sprintf("$ref %q: %v", rn.Value, err))
		return
	}
	target, name := root, strings.TrimSuffix(path.Base(filePart), path.Ext(filePart))
	if frag != "" {
		for _, seg := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
			seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
			target, name = child(target, seg), seg
			if target == nil {
				b.fail(file, rn, fmt.Sprintf("$ref %q: %s has nothing at #%s", rn.Value, loc, frag))
				return
			}
		}
	}
	sec := get(b.main, section)
	if sec == nil {
		sec = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		b.main.Content = append(b.main.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: section}, sec)
	}
	name = b.unique(sec, name, loc)
	local := "#/" + section + "/" + name
	b.imported[key] = local
	cp := deepCopy(target)
	sec.Content = append(sec.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name}, cp)
	rn.Value = local
	b.walk(section, cp, loc)
}

// unique is name, or name with the file's base name (then a number) when the section has it.
func (b *bundler) unique(sec *yaml.Node, name, loc string) string {
	if get(sec, name) == nil {
		return name
	}
	base := strings.TrimSuffix(path.Base(strings.ReplaceAll(loc, "\\", "/")), path.Ext(loc))
	cand := name + "_" + base
	for i := 2; get(sec, cand) != nil; i++ {
		cand = name + "_" + base + "_" + strconv.Itoa(i)
	}
	return cand
}

func (b *bundler) root(loc string) (*yaml.Node, error) {
	if r, ok := b.roots[loc]; ok {
		return r, nil
	}
	raw, err := b.r.read(loc)
	if err != nil {
		return nil, err
	}
	r, err := parseYAML(loc, raw)
	if err != nil {
		return nil, err
	}
	b.roots[loc] = r
	b.files = append(b.files, File{Location: loc, SHA256: digest(raw)})
	return r, nil
}

func child(n *yaml.Node, seg string) *yaml.Node {
	switch n.Kind {
	case yaml.MappingNode:
		return get(n, seg)
	case yaml.SequenceNode:
		if i, err := strconv.Atoi(seg); err == nil && i >= 0 && i < len(n.Content) {
			return n.Content[i]
		}
	}
	return nil
}

func deepCopy(n *yaml.Node) *yaml.Node {
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, x := range n.Content {
		c.Content[i] = deepCopy(x)
	}
	return &c
}
