package mutation

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Coverage is what the unmutated suite ran of the mutated tree: statement blocks by file (slash
// path relative to the module root), from a Go coverage profile. A mutant inside blocks that all
// ran zero times cannot change the run: it survives without being run.
type Coverage map[string][]block

type block struct {
	from, to pos
	count    int
}

type pos struct{ line, col int }

func (p pos) after(q pos) bool { return p.line > q.line || (p.line == q.line && p.col > q.col) }

// ParseCoverage reads a coverage profile in text form (go tool covdata textfmt) of the module
// with path module.
func ParseCoverage(profile []byte, module string) (Coverage, error) {
	c := Coverage{}
	sc := bufio.NewScanner(bytes.NewReader(profile))
	for sc.Scan() {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "mode:") {
			continue
		}
		// file.go:L0.C0,L1.C1 statements count
		var b block
		loc, rest, ok1 := strings.Cut(l, " ")
		file, span, ok2 := cutLast(loc, ":")
		from, to, ok3 := strings.Cut(span, ",")
		f := strings.Fields(rest)
		if !ok1 || !ok2 || !ok3 || len(f) != 2 {
			return nil, fmt.Errorf("coverage profile: %q is not a block", l)
		}
		var err error
		if b.from, err = parsePos(from); err == nil {
			if b.to, err = parsePos(to); err == nil {
				b.count, err = strconv.Atoi(f[1])
			}
		}
		if err != nil {
			return nil, fmt.Errorf("coverage profile: %q: %v", l, err)
		}
		rel, ok := strings.CutPrefix(file, module+"/")
		if !ok {
			continue
		}
		c[rel] = append(c[rel], b)
	}
	return c, sc.Err()
}

func cutLast(s, sep string) (string, string, bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

func parsePos(s string) (pos, error) {
	l, c, ok := strings.Cut(s, ".")
	if !ok {
		return pos{}, fmt.Errorf("position %q", s)
	}
	line, err1 := strconv.Atoi(l)
	col, err2 := strconv.Atoi(c)
	if err1 != nil || err2 != nil {
		return pos{}, fmt.Errorf("position %q", s)
	}
	return pos{line, col}, nil
}

// Reached tells whether the unmutated suite ran the mutant's code; known is false where the
// profile has no block for it (declarations, struct tags: code outside function bodies). Code
// inside a function that no block holds (a case clause's expression: Go's blocks are the
// statements around it) counts as reached where any block of the function ran.
func (c Coverage) Reached(m *Mutant) (reached, known bool) {
	at := pos{m.Line, m.col}
	for _, b := range c[m.File] {
		if at.after(b.to) || b.from.after(at) {
			continue
		}
		known = true
		if b.count > 0 {
			return true, true
		}
	}
	if known || m.body.from.line == 0 {
		return false, known
	}
	for _, b := range c[m.File] {
		if m.body.from.after(b.from) || b.to.after(m.body.to) {
			continue
		}
		known = true
		if b.count > 0 {
			return true, true
		}
	}
	return false, known
}
