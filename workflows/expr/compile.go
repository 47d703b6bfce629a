package expr

import (
	"errors"
	"sort"
	"strconv"
	"strings"
	"sync"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// maxExprLen bounds the inner text of one template; the parser and the
// tree walks recurse on nesting, so this also bounds their depth.
const maxExprLen = 64 << 10

// maxCachedLen: longer expressions are not cached.
const maxCachedLen = 4 << 10

var fileOptions = &syntax.FileOptions{Set: true}

// analysis is what a template's expression needs before it can run.
type analysis struct {
	free []string // free (root) identifiers, sorted (none on syntax errors)
	err  error    // syntax or sandbox error
}

// parseExpr parses the inner text of `${...}` as a Starlark expression.
func parseExpr(src string) (syntax.Expr, error) {
	if len(src) > maxExprLen {
		return nil, newErr(ErrSyntax, "expression longer than %d bytes", maxExprLen)
	}
	e, err := fileOptions.ParseExpr("<template>", strings.TrimSpace(src), 0)
	if err != nil {
		var se syntax.Error
		if errors.As(err, &se) {
			return nil, newErr(ErrSyntax, "%s", se.Msg)
		}
		return nil, newErr(ErrSyntax, "%v", err)
	}
	return e, nil
}

// analyze parses src, applies BKFlow's sandbox rules and finds the free
// identifiers. Results are cached.
func analyze(src string) analysis {
	if len(src) > maxCachedLen {
		return analyzeUncached(src)
	}
	if a, ok := analysisCache.get(src); ok {
		return a.(analysis)
	}
	a := analyzeUncached(src)
	analysisCache.put(src, a)
	return a
}

func analyzeUncached(src string) analysis {
	e, err := parseExpr(src)
	if err != nil {
		return analysis{err: err}
	}
	w := walker{free: map[string]bool{}}
	w.expr(e)
	free := make([]string, 0, len(w.free))
	for k := range w.free {
		free = append(free, k)
	}
	sort.Strings(free)
	return analysis{free: free, err: w.err}
}

// walker finds free identifiers with Python 3 scoping (comprehension and
// lambda variables are local) and enforces the sandbox rules.
type walker struct {
	scopes []map[string]bool
	free   map[string]bool
	err    error
}

func (w *walker) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

func (w *walker) bound(name string) bool {
	for i := len(w.scopes) - 1; i >= 0; i-- {
		if w.scopes[i][name] {
			return true
		}
	}
	return false
}

func (w *walker) checkName(name string) {
	if strings.HasPrefix(name, "__") {
		w.fail(newErr(ErrForbidden, "can not access private name %s", name))
	}
	if reservedNames[name] {
		w.fail(newErr(ErrForbidden, "%s is a reserved Mako namespace", name))
	}
}

func (w *walker) use(id *syntax.Ident) {
	w.checkName(id.Name)
	if !w.bound(id.Name) {
		w.free[id.Name] = true
	}
}

func (w *walker) bind(e syntax.Expr) {
	switch x := e.(type) {
	case *syntax.Ident:
		w.checkName(x.Name)
		w.scopes[len(w.scopes)-1][x.Name] = true
	case *syntax.TupleExpr:
		for _, el := range x.List {
			w.bind(el)
		}
	case *syntax.ListExpr:
		for _, el := range x.List {
			w.bind(el)
		}
	case *syntax.ParenExpr:
		w.bind(x.X)
	default:
		w.expr(e)
	}
}

// expr walks e. It records the first sandbox error but keeps walking so
// References still sees every identifier.
func (w *walker) expr(e syntax.Expr) {
	if e == nil {
		return
	}
	switch x := e.(type) {
	case *syntax.Ident:
		w.use(x)
	case *syntax.Literal:
	case *syntax.ParenExpr:
		w.expr(x.X)
	case *syntax.ListExpr:
		for _, el := range x.List {
			w.expr(el)
		}
	case *syntax.TupleExpr:
		for _, el := range x.List {
			w.expr(el)
		}
	case *syntax.DictExpr:
		for _, el := range x.List {
			w.expr(el)
		}
	case *syntax.DictEntry:
		w.expr(x.Key)
		w.expr(x.Value)
	case *syntax.UnaryExpr:
		w.expr(x.X)
	case *syntax.BinaryExpr:
		w.expr(x.X)
		w.expr(x.Y)
	case *syntax.CondExpr:
		w.expr(x.Cond)
		w.expr(x.True)
		w.expr(x.False)
	case *syntax.DotExpr:
		w.expr(x.X)
		name := x.Name.Name
		switch {
		case name == "format" || name == "format_map":
			w.fail(newErr(ErrForbidden, "can not call .%s", name))
		case strings.HasPrefix(name, "_"):
			w.fail(newErr(ErrForbidden, "can not access private attribute %s", name))
		case dangerousAttrs[name]:
			w.fail(newErr(ErrForbidden, "can not access attribute %s", name))
		}
	case *syntax.IndexExpr:
		w.expr(x.X)
		w.expr(x.Y)
		if lit, ok := x.Y.(*syntax.Literal); ok {
			if s, ok := lit.Value.(string); ok && strings.HasPrefix(s, "__") {
				w.fail(newErr(ErrForbidden, "can not access private key %s", s))
			}
		}
	case *syntax.SliceExpr:
		w.expr(x.X)
		w.expr(x.Lo)
		w.expr(x.Hi)
		w.expr(x.Step)
	case *syntax.CallExpr:
		w.expr(x.Fn)
		for _, a := range x.Args {
			if kw, ok := a.(*syntax.BinaryExpr); ok && kw.Op == syntax.EQ {
				w.expr(kw.Y)
				continue
			}
			w.expr(a)
		}
	case *syntax.Comprehension:
		for i, c := range x.Clauses {
			switch cl := c.(type) {
			case *syntax.ForClause:
				if i == 0 {
					// The first iterable is evaluated in the enclosing scope.
					w.expr(cl.X)
					w.scopes = append(w.scopes, map[string]bool{})
				} else {
					w.expr(cl.X)
				}
				w.bind(cl.Vars)
			case *syntax.IfClause:
				w.expr(cl.Cond)
			}
		}
		w.expr(x.Body)
		if len(x.Clauses) > 0 {
			w.scopes = w.scopes[:len(w.scopes)-1]
		}
	case *syntax.LambdaExpr:
		scope := map[string]bool{}
		for _, p := range x.Params {
			switch pp := p.(type) {
			case *syntax.Ident:
				w.checkName(pp.Name)
				scope[pp.Name] = true
			case *syntax.BinaryExpr:
				w.expr(pp.Y)
				if id, ok := pp.X.(*syntax.Ident); ok {
					w.checkName(id.Name)
					scope[id.Name] = true
				}
			case *syntax.UnaryExpr:
				if id, ok := pp.X.(*syntax.Ident); ok {
					w.checkName(id.Name)
					scope[id.Name] = true
				}
			}
		}
		w.scopes = append(w.scopes, scope)
		w.expr(x.Body)
		w.scopes = w.scopes[:len(w.scopes)-1]
	default:
		w.fail(newErr(ErrSyntax, "unsupported expression %T", e))
	}
}

// ---- rewriting ----

func ident(name string) *syntax.Ident { return &syntax.Ident{Name: name} }

func call(fn string, pos syntax.Position, args ...syntax.Expr) *syntax.CallExpr {
	return &syntax.CallExpr{Fn: &syntax.Ident{Name: fn, NamePos: pos}, Lparen: pos, Args: args, Rparen: pos}
}

func strLit(s string) *syntax.Literal {
	return &syntax.Literal{Token: syntax.STRING, Raw: strconv.Quote(s), Value: s}
}

func orNone(e syntax.Expr) syntax.Expr {
	if e == nil {
		return ident("None")
	}
	return rewrite(e)
}

// rewrite routes operators, attribute access, indexing, slicing and
// comprehension iteration through the sandbox helpers, which give them
// Python semantics (code-point strings, bool as int, %-formatting) and
// charge their cost.
func rewrite(e syntax.Expr) syntax.Expr {
	switch x := e.(type) {
	case nil:
		return nil
	case *syntax.Ident, *syntax.Literal:
		return e
	case *syntax.ParenExpr:
		x.X = rewrite(x.X)
	case *syntax.ListExpr:
		for i := range x.List {
			x.List[i] = rewrite(x.List[i])
		}
	case *syntax.TupleExpr:
		for i := range x.List {
			x.List[i] = rewrite(x.List[i])
		}
	case *syntax.DictExpr:
		for i := range x.List {
			x.List[i] = rewrite(x.List[i])
		}
	case *syntax.DictEntry:
		x.Key = rewrite(x.Key)
		x.Value = rewrite(x.Value)
	case *syntax.UnaryExpr:
		x.X = rewrite(x.X)
	case *syntax.BinaryExpr:
		x.X = rewrite(x.X)
		x.Y = rewrite(x.Y)
		if name, ok := binopHelpers[x.Op]; ok {
			return call(name, x.OpPos, x.X, x.Y)
		}
	case *syntax.CondExpr:
		x.Cond = rewrite(x.Cond)
		x.True = rewrite(x.True)
		x.False = rewrite(x.False)
	case *syntax.DotExpr:
		return call(hAttr, x.Dot, rewrite(x.X), strLit(x.Name.Name))
	case *syntax.IndexExpr:
		return call(hIndex, x.Lbrack, rewrite(x.X), rewrite(x.Y))
	case *syntax.SliceExpr:
		return call(hSlice, x.Lbrack, rewrite(x.X), orNone(x.Lo), orNone(x.Hi), orNone(x.Step))
	case *syntax.CallExpr:
		x.Fn = rewrite(x.Fn)
		for i, a := range x.Args {
			switch arg := a.(type) {
			case *syntax.BinaryExpr:
				if arg.Op == syntax.EQ {
					arg.Y = rewrite(arg.Y)
					continue
				}
			case *syntax.UnaryExpr:
				if arg.Op == syntax.STAR || arg.Op == syntax.STARSTAR {
					arg.X = rewrite(arg.X)
					continue
				}
			}
			x.Args[i] = rewrite(a)
		}
	case *syntax.Comprehension:
		for _, c := range x.Clauses {
			switch cl := c.(type) {
			case *syntax.ForClause:
				cl.X = call(hIter, cl.For, rewrite(cl.X))
			case *syntax.IfClause:
				cl.Cond = rewrite(cl.Cond)
			}
		}
		x.Body = rewrite(x.Body)
	case *syntax.LambdaExpr:
		for _, p := range x.Params {
			if b, ok := p.(*syntax.BinaryExpr); ok && b.Op == syntax.EQ {
				b.Y = rewrite(b.Y)
			}
		}
		x.Body = rewrite(x.Body)
	}
	return e
}

// compiled is a template expression compiled into a function of its
// context parameters.
type compiled struct {
	fn  *starlark.Function
	err error
}

// compileExpr compiles src as `lambda <params>: <rewritten src>`. The
// result only depends on src and params, so it is cached and shared.
func compileExpr(src string, params []string) compiled {
	if len(src) > maxCachedLen {
		return compileUncached(src, params)
	}
	key := src + "\x00" + strings.Join(params, ",")
	if c, ok := programCache.get(key); ok {
		return c.(compiled)
	}
	c := compileUncached(src, params)
	programCache.put(key, c)
	return c
}

func compileUncached(src string, params []string) compiled {
	e, err := parseExpr(src)
	if err != nil {
		return compiled{err: err}
	}
	lam := &syntax.LambdaExpr{Body: rewrite(e)}
	for _, p := range params {
		lam.Params = append(lam.Params, ident(p))
	}
	thread := &starlark.Thread{Name: "compile"}
	v, err := starlark.EvalExprOptions(fileOptions, thread, lam, sandboxEnv)
	if err != nil {
		return compiled{err: newErr(ErrSyntax, "%v", err)}
	}
	fn := v.(*starlark.Function)
	fn.Freeze()
	return compiled{fn: fn}
}

// ---- a small bounded cache ----

// boundedCache is a concurrency-safe map that forgets everything when it
// grows past its capacity. Cached values are pure functions of their keys,
// so hits and misses give identical results.
type boundedCache struct {
	mu  sync.Mutex
	cap int
	m   map[string]any
}

func (c *boundedCache) get(k string) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *boundedCache) put(k string, v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= c.cap {
		c.m = make(map[string]any, 64)
	}
	c.m[k] = v
}

var (
	analysisCache = &boundedCache{cap: 8192}
	programCache  = &boundedCache{cap: 8192}
)
