package expr

import (
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// boolrule is bamboo-engine's condition language (a pyparsing grammar):
//
//	expression := condition (("and" | "or") condition)*
//	condition  := value OP value | "(" expression ")"
//	OP         := == != <= < >= > in notin issuperset notissuperset  (any case)
//	value      := simple | "(" simple ("," simple)* ")"
//	simple     := real | integer | "str" | 'str' | true | false | path
//	path       := ident ("." ident)*, ident := ["${"] ["_"] letter {letter|digit|_} ["}"]
//
// "and"/"or" chains are evaluated left to right with short-circuit, which
// nests them to the right: A and B or C ≡ A and (B or C).

const langBoolrule = "boolrule"

var (
	brReal   = regexp.MustCompile(`^[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?`)
	brInt    = regexp.MustCompile(`^[+-]?[0-9]+(?:[eE]\+?[0-9]+)?`)
	brIdent  = `(?:\$\{)?_?[A-Za-z][A-Za-z0-9_]*\}?`
	brPathRe = regexp.MustCompile(`^` + brIdent + `(?:\.` + brIdent + `)*`)
	// brOps in pyparsing's match order (longer operators first where one
	// is a prefix of another).
	brOps = []string{"==", "!=", "<=", "<", ">=", ">", "in", "notin", "issuperset", "notissuperset"}
)

type brNode interface{ isBrNode() }

// brChain is an expression: conditions joined by and/or, left to right.
type brChain struct {
	conds []brNode // *brCmp or *brChain
	ops   []string // "and" | "or", len(conds)-1
}

type brCmp struct {
	lval, rval any // values: literal or brPath, or []any of them
	op         string
	pos        int
}

type brPath struct{ text string }

func (*brChain) isBrNode() {}
func (*brCmp) isBrNode()   {}

type brParser struct {
	src string
	pos int
	// farthest failure, for the error message
	failPos  int
	expected map[string]bool
	fatal    *ConditionError
}

func (p *brParser) expect(pos int, what string) {
	if pos > p.failPos {
		p.failPos = pos
		p.expected = map[string]bool{}
	}
	if pos == p.failPos {
		p.expected[what] = true
	}
}

func (p *brParser) skipWS() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *brParser) lit(s string) bool {
	p.skipWS()
	if strings.HasPrefix(p.src[p.pos:], s) {
		p.pos += len(s)
		return true
	}
	p.expect(p.pos, strconv.Quote(s))
	return false
}

func isIdentChar(c byte) bool {
	return c == '_' || c == '$' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// keyword matches "and"/"or" in any case, not inside a word.
func (p *brParser) keyword() (string, bool) {
	p.skipWS()
	for _, kw := range []string{"and", "or"} {
		end := p.pos + len(kw)
		if end <= len(p.src) && strings.EqualFold(p.src[p.pos:end], kw) &&
			(end == len(p.src) || !isIdentChar(p.src[end])) &&
			(p.pos == 0 || !isIdentChar(p.src[p.pos-1])) {
			p.pos = end
			return kw, true
		}
	}
	p.expect(p.pos, "and/or")
	return "", false
}

func (p *brParser) expression() (*brChain, bool) {
	c, ok := p.condition()
	if !ok {
		return nil, false
	}
	chain := &brChain{conds: []brNode{c}}
	for p.fatal == nil {
		save := p.pos
		kw, ok := p.keyword()
		if !ok {
			p.pos = save
			break
		}
		next, ok := p.condition()
		if !ok {
			p.pos = save
			break
		}
		chain.ops = append(chain.ops, kw)
		chain.conds = append(chain.conds, next)
	}
	return chain, true
}

func (p *brParser) condition() (brNode, bool) {
	start := p.pos
	p.skipWS()
	cmpPos := p.pos
	if lval, ok := p.value(); ok && p.fatal == nil {
		if op, ok := p.operator(); ok {
			if rval, ok := p.value(); ok && p.fatal == nil {
				return &brCmp{lval: lval, rval: rval, op: op, pos: cmpPos}, true
			}
		}
	}
	if p.fatal != nil {
		return nil, false
	}
	p.pos = start
	if p.lit("(") {
		if e, ok := p.expression(); ok && p.fatal == nil {
			if p.lit(")") {
				return e, true
			}
		}
	}
	p.pos = start
	return nil, false
}

func (p *brParser) operator() (string, bool) {
	p.skipWS()
	for _, op := range brOps {
		end := p.pos + len(op)
		if end <= len(p.src) && strings.EqualFold(p.src[p.pos:end], op) {
			p.pos = end
			return op, true
		}
	}
	p.expect(p.pos, "an operator (== != < > <= >= in notin issuperset notissuperset)")
	return "", false
}

func (p *brParser) value() (any, bool) {
	start := p.pos
	if v, ok := p.simple(); ok || p.fatal != nil {
		return v, ok
	}
	p.pos = start
	if !p.lit("(") {
		p.pos = start
		return nil, false
	}
	var list []any
	for {
		v, ok := p.simple()
		if !ok {
			p.pos = start
			return nil, false
		}
		list = append(list, v)
		save := p.pos
		if !p.lit(",") {
			p.pos = save
			break
		}
	}
	if !p.lit(")") {
		p.pos = start
		return nil, false
	}
	return list, true
}

// simple matches the first alternative that fits, without trying the
// others afterwards (pyparsing's MatchFirst).
func (p *brParser) simple() (any, bool) {
	p.skipWS()
	rest := p.src[p.pos:]
	at := p.pos
	if m := brReal.FindString(rest); m != "" {
		p.pos += len(m)
		f, err := strconv.ParseFloat(m, 64)
		if err != nil {
			f, _ = parseFloatLenient(m)
		}
		return f, true
	}
	if m := brInt.FindString(rest); m != "" {
		i, ok := new(big.Int), false
		if len(m) <= maxIntDigits+1 {
			_, ok = i.SetString(strings.TrimPrefix(m, "+"), 10)
		}
		if !ok {
			// pyparsing's CaselessLiteral("E") yields "E" in the token.
			p.fatal = &ConditionError{Lang: langBoolrule, Expr: p.src, Pos: at,
				Msg: "invalid literal for int() with base 10: " + pyStrRepr(strings.ReplaceAll(m, "e", "E"))}
			return nil, false
		}
		p.pos += len(m)
		return i, true
	}
	if len(rest) > 0 && (rest[0] == '"' || rest[0] == '\'') {
		q := rest[0]
		for i := 1; i < len(rest); i++ {
			switch rest[i] {
			case q:
				p.pos += i + 1
				return brUnescape(rest[1:i]), true
			case '\n', '\r':
				i = len(rest)
			}
		}
	}
	for _, b := range []string{"true", "false"} {
		if len(rest) >= len(b) && strings.EqualFold(rest[:len(b)], b) {
			p.pos += len(b)
			return b == "true", true
		}
	}
	if m := brPathRe.FindString(rest); m != "" {
		p.pos += len(m)
		return brPath{text: m}, true
	}
	p.expect(at, "a value (number, quoted string, true/false, name)")
	return nil, false
}

// brUnescape is pyparsing QuotedString's whitespace-escape conversion: the
// two-character sequences \t \n \f \r become the characters; nothing else
// is an escape.
func brUnescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	return strings.NewReplacer(`\t`, "\t", `\n`, "\n", `\f`, "\f", `\r`, "\r").Replace(s)
}

func (p *brParser) errorf() *ConditionError {
	if p.fatal != nil {
		return p.fatal
	}
	found := "end of expression"
	if p.failPos < len(p.src) {
		r := []rune(p.src[p.failPos:])
		if len(r) > 12 {
			r = append(r[:12], '…')
		}
		found = strconv.Quote(string(r))
	}
	var exp []string
	for k := range p.expected {
		exp = append(exp, k)
	}
	sort.Strings(exp)
	msg := "syntax error: unexpected " + found
	if len(exp) > 0 {
		msg += ", expected " + strings.Join(exp, " or ")
	}
	return &ConditionError{Lang: langBoolrule, Expr: p.src, Pos: p.failPos, Msg: msg}
}

// parseBoolrule parses a whole boolrule expression. Like pyparsing's
// parseString, it first expands tabs to spaces (tab stops every 8 columns),
// so a real tab inside a quoted string does not survive; error positions
// refer to the expanded text.
func parseBoolrule(src string) (*brChain, error) {
	src = expandTabs(src)
	p := &brParser{src: src, failPos: -1}
	e, ok := p.expression()
	if ok && p.fatal == nil {
		p.skipWS()
		if p.pos == len(p.src) {
			return e, nil
		}
		p.expect(p.pos, "the end of the expression")
	}
	return nil, p.errorf()
}

// EvalBoolrule evaluates a boolrule expression (bamboo-engine's BoolRule).
// Identifiers and dotted paths (`${name}`, `name`, `resp.result`, `${_x}`)
// are looked up in ctx, walking nested maps; `${` and `}` around a part are
// ignored for the lookup. A name not found in ctx is its own text as a
// string: BKFlow evaluates after rendering with an empty context, so bare
// words are literals. Comparisons coerce like bamboo-engine's
// double_equals_trans. `*` alone is true. Every error is a
// *ConditionError.
func EvalBoolrule(expr string, ctx map[string]any) (bool, error) {
	if expr == "*" {
		return true, nil
	}
	chain, err := parseBoolrule(expr)
	if err != nil {
		return false, err
	}
	ev := brEval{src: expr, ctx: ctx}
	return ev.chain(chain)
}

type brEval struct {
	src string
	ctx map[string]any
}

func (ev *brEval) chain(c *brChain) (bool, error) {
	passed := false
	for i, n := range c.conds {
		if i > 0 {
			switch c.ops[i-1] {
			case "or":
				if passed {
					return true, nil
				}
			case "and":
				if !passed {
					return false, nil
				}
			}
		}
		var err error
		switch x := n.(type) {
		case *brChain:
			passed, err = ev.chain(x)
		case *brCmp:
			passed, err = ev.cmp(x)
		}
		if err != nil {
			return false, err
		}
	}
	return passed, nil
}

func (ev *brEval) expand(v any) any {
	switch x := v.(type) {
	case brPath:
		return ev.lookup(x.text)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = ev.expand(e)
		}
		return out
	}
	return v
}

// lookup resolves a path in the context; a path not found is its text.
func (ev *brEval) lookup(path string) any {
	if len(ev.ctx) == 0 {
		return path
	}
	var cur any = ev.ctx
	for _, part := range strings.Split(path, ".") {
		part = strings.TrimSuffix(strings.TrimPrefix(part, "${"), "}")
		m, ok := cur.(map[string]any)
		if !ok {
			return path
		}
		if cur, ok = m[part]; !ok {
			return path
		}
	}
	return pyValue(cur)
}

func (ev *brEval) fail(c *brCmp, format string, args ...any) error {
	return &ConditionError{Lang: langBoolrule, Expr: ev.src, Pos: c.pos,
		Msg: "cannot evaluate condition: " + fmt.Sprintf(format, args...)}
}

func (ev *brEval) cmp(c *brCmp) (bool, error) {
	lval, rval := ev.expand(c.lval), ev.expand(c.rval)
	lval, rval = brCoerce(lval, rval, c.op)
	switch c.op {
	case "==":
		return pyEqual(lval, rval), nil
	case "!=":
		return !pyEqual(lval, rval), nil
	case "<", "<=", ">", ">=":
		ok, err := pyCompare(c.op, lval, rval)
		if err != nil {
			return false, ev.fail(c, "%v", err)
		}
		return ok, nil
	case "in", "notin":
		found, err := pyIn(lval, rval)
		if err != nil {
			return false, ev.fail(c, "%v", err)
		}
		return found == (c.op == "in"), nil
	case "issuperset", "notissuperset":
		sup, err := pySuperset(lval, rval)
		if err != nil {
			return false, ev.fail(c, "%v", err)
		}
		return sup == (c.op == "issuperset"), nil
	}
	return false, ev.fail(c, "unknown operator %q", c.op)
}

// brCoerce is bamboo-engine's double_equals_trans.
func brCoerce(lval, rval any, op string) (any, any) {
	switch op {
	case "in", "notin":
		if list, ok := rval.([]any); ok && len(list) > 0 {
			ext := append([]any(nil), list...)
			switch {
			case isPyInt(lval):
				for _, it := range list {
					if i, err := pyIntOf(it); err == nil {
						ext = append(ext, i)
					}
				}
			case isStr(lval):
				for _, it := range list {
					ext = append(ext, PyStr(it))
				}
			}
			rval = ext
		}
	case "issuperset", "notissuperset":
		if s, ok := lval.(string); ok {
			lval = []any{s}
		}
		if s, ok := rval.(string); ok {
			rval = []any{s}
		}
	default:
		// int() first; a failure skips the str() step too (one try block).
		if isPyInt(lval) {
			i, err := pyIntOf(rval)
			if err != nil {
				return lval, rval
			}
			rval = i
		} else if isPyInt(rval) {
			i, err := pyIntOf(lval)
			if err != nil {
				return lval, rval
			}
			lval = i
		}
		if isStr(lval) {
			rval = PyStr(rval)
		} else if isStr(rval) {
			lval = PyStr(lval)
		}
	}
	return lval, rval
}

func isStr(v any) bool {
	_, ok := v.(string)
	return ok
}

// pyIn is Python's `x in y`.
func pyIn(x, y any) (bool, error) {
	switch c := y.(type) {
	case []any:
		for _, it := range c {
			if pyEqual(x, it) {
				return true, nil
			}
		}
		return false, nil
	case string:
		s, ok := x.(string)
		if !ok {
			return false, fmt.Errorf("'in <string>' requires string as left operand, not %s", pyType(x))
		}
		return strings.Contains(c, s), nil
	case map[string]any:
		if !pyHashable(x) {
			return false, fmt.Errorf("unhashable type: '%s'", pyType(x))
		}
		s, ok := x.(string)
		if !ok {
			return false, nil
		}
		_, found := c[s]
		return found, nil
	}
	return false, fmt.Errorf("argument of type '%s' is not iterable", pyType(y))
}

// pySetElems is set(v)'s elements.
func pySetElems(v any) ([]any, error) {
	var elems []any
	switch c := v.(type) {
	case []any:
		elems = c
	case map[string]any:
		for _, k := range sortedKeys(c) {
			elems = append(elems, k)
		}
	default:
		return nil, fmt.Errorf("'%s' object is not iterable", pyType(v))
	}
	for _, e := range elems {
		if !pyHashable(e) {
			return nil, fmt.Errorf("unhashable type: '%s'", pyType(e))
		}
	}
	return elems, nil
}

// pySuperset is set(a).issuperset(set(b)).
func pySuperset(a, b any) (bool, error) {
	as, err := pySetElems(a)
	if err != nil {
		return false, err
	}
	bs, err := pySetElems(b)
	if err != nil {
		return false, err
	}
	for _, y := range bs {
		found := false
		for _, x := range as {
			if pyEqual(x, y) {
				found = true
				break
			}
		}
		if !found {
			return false, nil
		}
	}
	return true, nil
}

// expandTabs is Python's str.expandtabs(8).
func expandTabs(s string) string {
	if !strings.Contains(s, "\t") {
		return s
	}
	var b strings.Builder
	col := 0
	for _, r := range s {
		switch r {
		case '\t':
			n := 8 - col%8
			b.WriteString(strings.Repeat(" ", n))
			col += n
		case '\n', '\r':
			b.WriteRune(r)
			col = 0
		default:
			b.WriteRune(r)
			col++
		}
	}
	return b.String()
}
