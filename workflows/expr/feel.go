package expr

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// The FEEL subset the BKFlow canvas writes, with bkflow-feel's grammar
// levels and semantics:
//
//	expr        := conjunction ("or" conjunction)*
//	conjunction := comparison ("and" comparison)*
//	comparison  := equality (("<" | ">" | "<=" | ">=") equality)*
//	equality    := primary (("=" | "!=") primary)*
//	primary     := number | "string" | true | false | null | path
//	             | "not" "(" expr ")" | "(" expr ")"
//	path        := name ("." name)*
//
// As in bkflow-feel, = < > <= >= require operands of the same type (bool
// counts as an int, int and float differ) and != compares anything;
// and/or return an operand like Python's; string literals keep backslashes
// as written. The result is the truth value of the expression.

const langFEEL = "FEEL"

type feelTok struct {
	kind string // "num", "str", "name", "op", "eof"
	text string
	pos  int
}

func feelLex(src string) ([]feelTok, error) {
	var toks []feelTok
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '"':
			j := i + 1
			for ; j < len(src); j++ {
				if src[j] == '\\' {
					j++
					continue
				}
				if src[j] == '"' || src[j] == '\n' {
					break
				}
			}
			if j >= len(src) || src[j] != '"' {
				return nil, &ConditionError{Lang: langFEEL, Expr: src, Pos: i, Msg: "unterminated string literal"}
			}
			toks = append(toks, feelTok{"str", src[i+1 : j], i})
			i = j + 1
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9' ||
			(c == '-' || c == '+') && i+1 < len(src) && (src[i+1] >= '0' && src[i+1] <= '9' || src[i+1] == '.'):
			j := i
			if c == '-' || c == '+' {
				j++
			}
			for j < len(src) && src[j] >= '0' && src[j] <= '9' {
				j++
			}
			if j < len(src) && src[j] == '.' && j+1 < len(src) && src[j+1] >= '0' && src[j+1] <= '9' {
				j++
				for j < len(src) && src[j] >= '0' && src[j] <= '9' {
					j++
				}
			}
			toks = append(toks, feelTok{"num", src[i:j], i})
			i = j
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i + 1
			for j < len(src) && isFeelNameChar(src[j]) {
				j++
			}
			toks = append(toks, feelTok{"name", src[i:j], i})
			i = j
		default:
			op := ""
			for _, o := range []string{"<=", ">=", "!=", "**", "..", "=", "<", ">", "(", ")", ".", ",", "+", "-", "*", "/", "[", "]", "{", "}", ":"} {
				if strings.HasPrefix(src[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				return nil, &ConditionError{Lang: langFEEL, Expr: src, Pos: i, Msg: fmt.Sprintf("unexpected character %q", src[i])}
			}
			toks = append(toks, feelTok{"op", op, i})
			i += len(op)
		}
	}
	return append(toks, feelTok{"eof", "", len(src)}), nil
}

func isFeelNameChar(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

type feelNode interface{}

type (
	feelLit  struct{ v any }
	feelPath struct {
		parts []string
		pos   int
	}
	feelNot    struct{ x feelNode }
	feelBinary struct {
		op   string
		l, r feelNode
		pos  int
	}
)

type feelParser struct {
	src  string
	toks []feelTok
	i    int
}

func (p *feelParser) peek() feelTok { return p.toks[p.i] }

func (p *feelParser) errAt(t feelTok, format string, args ...any) error {
	return &ConditionError{Lang: langFEEL, Expr: p.src, Pos: t.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *feelParser) isOp(texts ...string) bool {
	t := p.peek()
	if t.kind != "op" {
		return false
	}
	for _, s := range texts {
		if t.text == s {
			return true
		}
	}
	return false
}

func (p *feelParser) isName(s string) bool {
	t := p.peek()
	return t.kind == "name" && t.text == s
}

func (p *feelParser) describe(t feelTok) string {
	if t.kind == "eof" {
		return "end of expression"
	}
	return strconv.Quote(t.text)
}

func (p *feelParser) expr() (feelNode, error) {
	return p.leftAssoc(p.conjunction, func() bool { return p.isName("or") })
}

func (p *feelParser) conjunction() (feelNode, error) {
	return p.leftAssoc(p.comparison, func() bool { return p.isName("and") })
}

func (p *feelParser) comparison() (feelNode, error) {
	return p.leftAssoc(p.equality, func() bool { return p.isOp("<", ">", "<=", ">=") })
}

func (p *feelParser) equality() (feelNode, error) {
	l, err := p.leftAssoc(p.primary, func() bool { return p.isOp("=", "!=") })
	if err != nil {
		return nil, err
	}
	if p.isOp("+", "-", "*", "/", "**") {
		return nil, p.errAt(p.peek(), "arithmetic (%s) is not supported in conditions", p.peek().text)
	}
	return l, nil
}

// leftAssoc parses operand (op operand)... while at matches an operator,
// folding to the left: one precedence level of the grammar.
func (p *feelParser) leftAssoc(operand func() (feelNode, error), at func() bool) (feelNode, error) {
	l, err := operand()
	if err != nil {
		return nil, err
	}
	for at() {
		t := p.peek()
		p.i++
		r, err := operand()
		if err != nil {
			return nil, err
		}
		l = &feelBinary{op: t.text, l: l, r: r, pos: t.pos}
	}
	return l, nil
}

var feelUnsupportedNames = map[string]bool{
	"between": true, "in": true, "some": true, "every": true, "satisfies": true,
	"if": true, "then": true, "else": true, "for": true, "return": true, "instance": true,
}

func (p *feelParser) primary() (feelNode, error) {
	t := p.peek()
	switch t.kind {
	case "num":
		p.i++
		if len(t.text) > maxIntDigits+1 && !strings.Contains(t.text, ".") {
			return nil, p.errAt(t, "exceeds the limit (%d digits) for integer string conversion", maxIntDigits)
		}
		if i, ok := new(big.Int).SetString(strings.TrimPrefix(t.text, "+"), 10); ok {
			return &feelLit{i}, nil
		}
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, p.errAt(t, "invalid number %s", t.text)
		}
		return &feelLit{f}, nil
	case "str":
		p.i++
		return &feelLit{t.text}, nil
	case "name":
		switch t.text {
		case "true":
			p.i++
			return &feelLit{true}, nil
		case "false":
			p.i++
			return &feelLit{false}, nil
		case "null":
			p.i++
			return &feelLit{nil}, nil
		case "not":
			p.i++
			if !p.isOp("(") {
				return nil, p.errAt(p.peek(), "expected \"(\" after not, found %s", p.describe(p.peek()))
			}
			p.i++
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			if !p.isOp(")") {
				return nil, p.errAt(p.peek(), "expected \")\", found %s", p.describe(p.peek()))
			}
			p.i++
			return &feelNot{x}, nil
		case "and", "or":
			return nil, p.errAt(t, "expected a value, found %s", p.describe(t))
		}
		if feelUnsupportedNames[t.text] {
			return nil, p.errAt(t, "%q expressions are not supported in conditions", t.text)
		}
		p.i++
		path := &feelPath{parts: []string{t.text}, pos: t.pos}
		for p.isOp(".") {
			p.i++
			n := p.peek()
			if n.kind != "name" {
				return nil, p.errAt(n, "expected a name after \".\", found %s", p.describe(n))
			}
			p.i++
			path.parts = append(path.parts, n.text)
		}
		if p.isOp("(") {
			return nil, p.errAt(p.peek(), "function calls are not supported in conditions")
		}
		if p.peek().kind == "name" && !p.isName("and") && !p.isName("or") {
			return nil, p.errAt(p.peek(), "unexpected %s (names with spaces and FEEL functions are not supported)", p.describe(p.peek()))
		}
		return path, nil
	case "op":
		switch t.text {
		case "(":
			p.i++
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			if !p.isOp(")") {
				return nil, p.errAt(p.peek(), "expected \")\", found %s", p.describe(p.peek()))
			}
			p.i++
			return x, nil
		case "[", "{":
			return nil, p.errAt(t, "list and context literals are not supported in conditions")
		}
	}
	return nil, p.errAt(t, "expected a value, found %s", p.describe(t))
}

// EvalFEEL evaluates the FEEL subset the canvas writes: comparisons
// = != < <= > >=, and/or/not(...), parentheses, "string" literals, numbers,
// true/false/null, and names or dotted paths looked up in ctx (an unknown
// root name is an error; a missing key further down the path is null).
// Every error is a *ConditionError.
func EvalFEEL(expr string, ctx map[string]any) (bool, error) {
	toks, err := feelLex(expr)
	if err != nil {
		return false, err
	}
	p := &feelParser{src: expr, toks: toks}
	n, err := p.expr()
	if err != nil {
		return false, err
	}
	if t := p.peek(); t.kind != "eof" {
		if t.kind == "name" && feelUnsupportedNames[t.text] {
			return false, p.errAt(t, "%q expressions are not supported in conditions", t.text)
		}
		return false, p.errAt(t, "unexpected %s", p.describe(t))
	}
	ev := feelEval{src: expr, ctx: ctx}
	v, err := ev.eval(n)
	if err != nil {
		return false, err
	}
	return pyTruth(v), nil
}

type feelEval struct {
	src string
	ctx map[string]any
}

func (ev *feelEval) fail(pos int, format string, args ...any) error {
	return &ConditionError{Lang: langFEEL, Expr: ev.src, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func (ev *feelEval) eval(n feelNode) (any, error) {
	switch x := n.(type) {
	case *feelLit:
		return x.v, nil
	case *feelPath:
		root, ok := ev.ctx[x.parts[0]]
		if !ok {
			return nil, ev.fail(x.pos, "unknown variable %q", x.parts[0])
		}
		cur := pyValue(root)
		for _, part := range x.parts[1:] {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, nil
			}
			cur = m[part]
		}
		return cur, nil
	case *feelNot:
		v, err := ev.eval(x.x)
		if err != nil {
			return nil, err
		}
		return !pyTruth(v), nil
	case *feelBinary:
		l, err := ev.eval(x.l)
		if err != nil {
			return nil, err
		}
		switch x.op {
		case "and":
			if !pyTruth(l) {
				return l, nil
			}
			return ev.eval(x.r)
		case "or":
			if pyTruth(l) {
				return l, nil
			}
			return ev.eval(x.r)
		}
		r, err := ev.eval(x.r)
		if err != nil {
			return nil, err
		}
		if x.op == "!=" {
			return !pyEqual(l, r), nil
		}
		if !feelSameType(l, r) {
			return nil, ev.fail(x.pos, "type of both operators must be same, got %s and %s", pyType(l), pyType(r))
		}
		if x.op == "=" {
			return pyEqual(l, r), nil
		}
		ok, err := pyCompare(x.op, l, r)
		if err != nil {
			return nil, ev.fail(x.pos, "%v", err)
		}
		return ok, nil
	}
	return nil, ev.fail(-1, "internal error: unknown node %T", n)
}

// feelSameType is bkflow-feel's isinstance(left, type(right)).
func feelSameType(l, r any) bool {
	lt, rt := pyType(l), pyType(r)
	return lt == rt || (lt == "bool" && rt == "int")
}
