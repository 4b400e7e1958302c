package mutation

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// errorDecl is appended to a file mutated by OpErrorReturn: an error value that needs no import.
const errorDecl = "\n\ntype mutantError struct{}\n\nfunc (mutantError) Error() string { return \"mutant\" }\n"

// Skip reasons: code whose change the suite cannot see by design. Such mutants are generated
// (and counted in the report) but not run.
const (
	skipLogging = "logging: the gateway's log is not part of the API"
	skipMessage = "error message text: the specs leave it free (any message of the documented shape conforms)"
)

// Generate returns every mutant of one Go file (file is its slash path in reports, src its content).
func Generate(file string, src []byte) ([]*Mutant, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	g := &generator{file: file, src: src, fset: fset, seen: map[string]bool{}}
	var stack []ast.Node
	ast.Inspect(f, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		if _, ok := n.(*ast.ImportSpec); ok {
			return false
		}
		g.visit(n, stack)
		stack = append(stack, n)
		return true
	})
	return g.out, nil
}

type generator struct {
	file string
	src  []byte
	fset *token.FileSet
	out  []*Mutant
	seen map[string]bool
}

func (g *generator) off(p token.Pos) int { return g.fset.Position(p).Offset }

func (g *generator) text(n ast.Node) string { return string(g.src[g.off(n.Pos()):g.off(n.End())]) }

// add records the mutant of edit e on node n (its context is stack).
func (g *generator) add(op string, e edit, stack []ast.Node, n ast.Node) {
	m := e.apply(g.file, funcName(stack), op, g.src)
	if m.Original == m.Mutated {
		return
	}
	m.body = g.bodyOf(stack)
	for id, k := m.ID, 2; g.seen[m.ID]; k++ {
		m.ID = fmt.Sprintf("%s-%d", id, k)
	}
	g.seen[m.ID] = true
	switch {
	case inLogging(append(stack, n)):
		m.Skip = skipLogging
	case isMessage(n, stack):
		m.Skip = skipMessage
	}
	g.out = append(g.out, m)
}

// replace is the edit of node n's text by repl.
func (g *generator) replace(n ast.Node, repl string) edit {
	return edit{start: g.off(n.Pos()), end: g.off(n.End()), repl: repl}
}

var swaps = map[string]map[token.Token]token.Token{
	OpBoundary:       {token.LSS: token.LEQ, token.LEQ: token.LSS, token.GTR: token.GEQ, token.GEQ: token.GTR},
	OpInvertEquality: {token.EQL: token.NEQ, token.NEQ: token.EQL},
	OpLogical:        {token.LAND: token.LOR, token.LOR: token.LAND},
	OpArithmetic: {
		token.ADD: token.SUB, token.SUB: token.ADD, token.MUL: token.QUO, token.QUO: token.MUL, token.REM: token.MUL,
		token.ADD_ASSIGN: token.SUB_ASSIGN, token.SUB_ASSIGN: token.ADD_ASSIGN,
		token.MUL_ASSIGN: token.QUO_ASSIGN, token.QUO_ASSIGN: token.MUL_ASSIGN,
		token.INC: token.DEC, token.DEC: token.INC,
	},
}

// swap is the operator and edit that swaps the token tok at pos, if an operator swaps it.
func (g *generator) swap(tok token.Token, pos token.Pos) (string, edit, bool) {
	for op, m := range swaps {
		if to, ok := m[tok]; ok {
			s := g.off(pos)
			return op, edit{start: s, end: s + len(tok.String()), repl: to.String()}, true
		}
	}
	return "", edit{}, false
}

func (g *generator) visit(n ast.Node, stack []ast.Node) {
	switch n := n.(type) {
	case *ast.BinaryExpr:
		if n.Op == token.ADD && (isString(n.X) || isString(n.Y)) {
			return // string concatenation: "-" does not compile
		}
		if op, e, ok := g.swap(n.Op, n.OpPos); ok {
			g.add(op, e, stack, n)
		}
	case *ast.IncDecStmt:
		if op, e, ok := g.swap(n.Tok, n.TokPos); ok {
			g.add(op, e, stack, n)
		}
	case *ast.IfStmt:
		g.negate(n.Cond, stack, n)
	case *ast.ForStmt:
		g.negate(n.Cond, stack, n)
	case *ast.ExprStmt:
		if _, ok := n.X.(*ast.CallExpr); ok {
			g.add(OpRemoveCall, g.replace(n, ""), stack, n)
		}
	case *ast.AssignStmt:
		g.assign(n, stack)
	case *ast.BasicLit:
		if _, ok := stack[len(stack)-1].(*ast.Field); ok {
			g.tag(n, stack) // a struct tag
			return
		}
		g.literal(n, stack)
	case *ast.Ident:
		if (n.Name == "true" || n.Name == "false") && !isSelectorSel(n, stack) {
			g.add(OpConstant, g.replace(n, strconv.FormatBool(n.Name != "true")), stack, n)
		}
	case *ast.FuncDecl:
		if n.Body != nil {
			g.earlyReturns(n.Type, n.Body, stack, n)
		}
	case *ast.FuncLit:
		g.earlyReturns(n.Type, n.Body, stack, n)
	}
}

// negate negates a condition, unless it is a comparison for equality (OpInvertEquality makes
// that mutant already).
func (g *generator) negate(cond ast.Expr, stack []ast.Node, n ast.Node) {
	if cond == nil {
		return
	}
	if b, ok := cond.(*ast.BinaryExpr); ok && (b.Op == token.EQL || b.Op == token.NEQ) {
		return
	}
	g.add(OpNegateCondition, g.replace(cond, "!("+g.text(cond)+")"), stack, n)
}

func (g *generator) assign(n *ast.AssignStmt, stack []ast.Node) {
	if n.Tok == token.DEFINE {
		return
	}
	if op, e, ok := g.swap(n.Tok, n.TokPos); ok {
		g.add(op, e, stack, n)
	}
	blanks := strings.TrimSuffix(strings.Repeat("_, ", len(n.Lhs)), ", ")
	if n.Tok != token.ASSIGN {
		blanks = "_"
	}
	rhs := g.src[g.off(n.Rhs[0].Pos()):g.off(n.Rhs[len(n.Rhs)-1].End())]
	g.add(OpRemoveAssignment, g.replace(n, blanks+" = "+string(rhs)), stack, n)
}

func (g *generator) literal(n *ast.BasicLit, stack []ast.Node) {
	switch n.Kind {
	case token.INT:
		v, err := strconv.ParseInt(n.Value, 0, 64)
		if err != nil {
			return
		}
		g.add(OpConstant, g.replace(n, strconv.FormatInt(v+1, 10)), stack, n)
	case token.STRING:
		s, err := strconv.Unquote(n.Value)
		if err != nil {
			return
		}
		repl := `""`
		if s == "" {
			repl = `"mutant"`
		}
		g.add(OpConstant, g.replace(n, repl), stack, n)
	}
}

// tag renames a struct field's JSON name (a property answered or read under another name).
func (g *generator) tag(n *ast.BasicLit, stack []ast.Node) {
	s, err := strconv.Unquote(n.Value)
	if err != nil {
		return
	}
	name, ok := reflect.StructTag(s).Lookup("json")
	if !ok {
		return
	}
	prop, _, _ := strings.Cut(name, ",")
	if prop == "" || prop == "-" {
		return
	}
	i := strings.Index(s, `json:"`+prop)
	if i < 0 {
		return
	}
	j := i + len(`json:"`+prop)
	mutated := s[:j] + "X" + s[j:]
	g.add(OpJSONName, g.replace(n, "`"+mutated+"`"), stack, n)
}

// earlyReturns adds the returns at a function's start: zero values, and zero values with an
// error when the last result is an error.
func (g *generator) earlyReturns(ft *ast.FuncType, body *ast.BlockStmt, stack []ast.Node, n ast.Node) {
	if len(body.List) == 0 {
		return
	}
	var zeros []string
	if ft.Results != nil {
		for _, f := range ft.Results.List {
			k := max(len(f.Names), 1)
			for range k {
				zeros = append(zeros, "*new("+g.text(f.Type)+")")
			}
		}
	}
	at := g.off(body.Lbrace) + 1
	stmt := func(vals []string) edit {
		r := " return"
		if len(vals) > 0 {
			r += " " + strings.Join(vals, ", ")
		}
		return edit{start: at, end: at, repl: r + ";"}
	}
	fn := append(stack, n)
	g.add(OpEarlyReturn, stmt(zeros), fn, body)
	if ft.Results != nil {
		last := ft.Results.List[len(ft.Results.List)-1]
		if id, ok := last.Type.(*ast.Ident); ok && id.Name == "error" {
			e := stmt(append(zeros[:len(zeros)-1:len(zeros)-1], "mutantError{}"))
			e.tail = errorDecl
			g.add(OpErrorReturn, e, fn, body)
		}
	}
}

func isString(e ast.Expr) bool {
	l, ok := e.(*ast.BasicLit)
	return ok && l.Kind == token.STRING
}

func isSelectorSel(id *ast.Ident, stack []ast.Node) bool {
	s, ok := stack[len(stack)-1].(*ast.SelectorExpr)
	return ok && s.Sel == id
}

// bodyOf is the span of the body of the function declaration in stack (zero outside one).
func (g *generator) bodyOf(stack []ast.Node) span {
	for _, n := range stack {
		if fd, ok := n.(*ast.FuncDecl); ok && fd.Body != nil {
			from, to := g.fset.Position(fd.Body.Lbrace), g.fset.Position(fd.Body.Rbrace)
			return span{pos{from.Line, from.Column}, pos{to.Line, to.Column}}
		}
	}
	return span{}
}

// funcName is the name of the function declaration in stack: "f" or "(*T).m", "" outside one.
func funcName(stack []ast.Node) string {
	for _, n := range stack {
		fd, ok := n.(*ast.FuncDecl)
		if !ok {
			continue
		}
		if fd.Recv == nil || len(fd.Recv.List) == 0 {
			return fd.Name.Name
		}
		return "(" + typeName(fd.Recv.List[0].Type) + ")." + fd.Name.Name
	}
	return ""
}

func typeName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return "*" + typeName(t.X)
	case *ast.Ident:
		return t.Name
	case *ast.IndexExpr:
		return typeName(t.X)
	case *ast.IndexListExpr:
		return typeName(t.X)
	}
	return "?"
}

// logMethods are the methods of a logger (log/slog's Logger, and the standard log).
var logMethods = map[string]bool{
	"Debug": true, "Info": true, "Warn": true, "Error": true, "Log": true, "LogAttrs": true,
	"DebugContext": true, "InfoContext": true, "WarnContext": true, "ErrorContext": true,
	"Print": true, "Printf": true, "Println": true,
}

// inLogging tells whether the innermost node of stack is inside a logging call (a logger's
// method on a value whose name says log, or any function of log/slog), or is such a call statement.
func inLogging(stack []ast.Node) bool {
	for _, n := range stack {
		if es, ok := n.(*ast.ExprStmt); ok {
			n = es.X
		}
		c, ok := n.(*ast.CallExpr)
		if !ok {
			continue
		}
		sel, ok := c.Fun.(*ast.SelectorExpr)
		if !ok {
			continue
		}
		recv := lastName(sel.X)
		if recv == "slog" || (logMethods[sel.Sel.Name] && strings.Contains(strings.ToLower(recv), "log")) {
			return true
		}
	}
	return false
}

// messageSinks are the functions whose string arguments are error messages: fmt's and httpx's
// Errorf, errors.New, httpx.WriteError, and the gateway's helpers that pass a message on.
var messageSinks = map[string]bool{"Errorf": true, "New": true, "WriteError": true, "badRequest": true, "fail": true}

// isMessage tells whether n is a string literal argument of a message sink (errors.New: only of
// package errors).
func isMessage(n ast.Node, stack []ast.Node) bool {
	if l, ok := n.(*ast.BasicLit); !ok || l.Kind != token.STRING || len(stack) == 0 {
		return false
	}
	c, ok := stack[len(stack)-1].(*ast.CallExpr)
	if !ok || !slices.Contains(c.Args, n.(ast.Expr)) {
		return false
	}
	name := lastName(c.Fun)
	if sel, ok := c.Fun.(*ast.SelectorExpr); ok && name == "New" {
		return lastName(sel.X) == "errors"
	}
	return messageSinks[name]
}

func lastName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.SelectorExpr:
		return x.Sel.Name
	case *ast.CallExpr:
		return lastName(x.Fun)
	}
	return ""
}
