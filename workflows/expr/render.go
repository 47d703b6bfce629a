package expr

import (
	"errors"
	"regexp"
	"strings"

	"go.starlark.net/starlark"
)

// templatePattern finds `${...}` templates: no '$', '{', '}' or '#'
// inside (bamboo-engine's TEMPLATE_PATTERN). findTemplates is the fast
// equivalent used for rendering.
var templatePattern = regexp.MustCompile(`\$\{[^${}#]+\}`)

// findTemplates returns the [start, end) offsets of the templates in s, as
// templatePattern.FindAllStringIndex would.
func findTemplates(s string) [][2]int {
	var out [][2]int
	for i := 0; i+1 < len(s); {
		p := strings.Index(s[i:], "${")
		if p < 0 {
			break
		}
		p += i
		j := p + 2
		for j < len(s) && s[j] != '$' && s[j] != '{' && s[j] != '}' && s[j] != '#' {
			j++
		}
		if j < len(s) && s[j] == '}' && j > p+2 {
			out = append(out, [2]int{p, j + 1})
			i = j + 1
			continue
		}
		i = p + 1
	}
	return out
}

// nestedIndexPattern is bamboo-engine's NESTED_INDEX_STR_PATTERN with
// Python's Unicode \w and \d: a context key followed by [int], ["k"] or
// ['k'] indexes.
var (
	nestedIndexPattern = regexp.MustCompile(`^([\p{L}\p{N}_]+)((?:\[(?:"[\p{L}\p{N}_]+"|'[\p{L}\p{N}_]+'|\p{Nd}+)\])+)$`)
	indexPattern       = regexp.MustCompile(`\[("[\p{L}\p{N}_]+"|'[\p{L}\p{N}_]+'|\p{Nd}+)\]`)
)

// Render renders every ${...} template inside v (a JSON-like value) against
// vars (keys without ${}). Strings, lists and dict values are walked
// recursively; dict keys are not rendered; other values are returned as
// they are. Containers are copied, v is not modified.
//
//   - A string that is exactly one template whose inner text is a context
//     key returns the raw value; so does an index chain on a context key
//     (`${var["a"][0]}`, `${var['k']}`, `${var[1]}`).
//   - Otherwise each template is evaluated and replaced by Python's str()
//     of the result.
//   - A template that fails to parse, names something unknown, raises or
//     exceeds the limits stays verbatim and is reported; rendering goes on.
func Render(v any, vars map[string]any, o Options) (any, []RenderError) {
	r := renderer{ctx: vars, o: o}
	out := r.value(v)
	return out, r.errs
}

// RenderString is Render for one string.
func RenderString(s string, vars map[string]any, o Options) (any, []RenderError) {
	r := renderer{ctx: vars, o: o}
	out := r.str(s)
	return out, r.errs
}

type renderer struct {
	ctx map[string]any
	o   Options
	// blocked names fail every template that references them (Resolve
	// uses it for reference cycles).
	blocked map[string]error
	// varName is reported in RenderError.Var.
	varName string
	errs    []RenderError
}

func (r *renderer) value(v any) any {
	switch x := v.(type) {
	case string:
		return r.str(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.value(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for _, k := range sortedKeys(x) {
			out[k] = r.value(x[k])
		}
		return out
	}
	return v
}

type tplResult struct {
	out string
	err error
}

func (r *renderer) str(s string) any {
	locs := findTemplates(s)
	if len(locs) == 0 {
		return s
	}
	if len(locs) == 1 && locs[0][0] == 0 && locs[0][1] == len(s) {
		key := s[2 : len(s)-1]
		if v, ok := r.ctx[key]; ok {
			return v
		}
		if m := nestedIndexPattern.FindStringSubmatch(key); m != nil {
			if root, ok := r.ctx[m[1]]; ok {
				if v, ok := nestedGet(root, m[2]); ok {
					return v
				}
			}
		}
	}
	var b strings.Builder
	memo := map[string]tplResult{}
	last := 0
	for _, loc := range locs {
		tpl := s[loc[0]:loc[1]]
		b.WriteString(s[last:loc[0]])
		last = loc[1]
		res, seen := memo[tpl]
		if !seen {
			out, err := r.eval(tpl[2 : len(tpl)-1])
			res = tplResult{out: out, err: err}
			memo[tpl] = res
			if err != nil {
				r.errs = append(r.errs, RenderError{Var: r.varName, Template: tpl, Err: err})
			}
		}
		if res.err != nil {
			b.WriteString(tpl)
		} else {
			b.WriteString(res.out)
		}
	}
	b.WriteString(s[last:])
	return b.String()
}

// nestedGet follows an index chain on plain dicts and lists (bamboo-engine's
// _nested_get_value_from_context); ok is false when any step fails, and the
// template is then evaluated normally.
func nestedGet(root any, chain string) (any, bool) {
	cur := root
	for _, m := range indexPattern.FindAllStringSubmatch(chain, -1) {
		key := m[1]
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[strings.Trim(key, `"'`)]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, ok := pyIntLiteral(key)
			if !ok || !i.IsInt64() || i.Int64() >= int64(len(c)) {
				return nil, false
			}
			cur = c[i.Int64()]
		default:
			return nil, false
		}
	}
	return cur, true
}

// eval evaluates one template's inner text and returns str() of the result.
func (r *renderer) eval(inner string) (string, error) {
	if name := strings.TrimSpace(inner); isSimpleIdent(name) {
		if v, ok := r.ctx[name]; ok && !reservedNames[name] && !strings.HasPrefix(name, "__") {
			if err, blocked := r.blocked[name]; blocked {
				return "", err
			}
			w := pyWriter{limit: int(r.o.alloc())}
			w.str(v)
			if w.err != nil {
				return "", w.err
			}
			return w.b.String(), nil
		}
	}
	return evalExpr(inner, r.ctx, r.blocked, r.o)
}

// evalExpr runs one expression in the sandbox.
func evalExpr(inner string, ctx map[string]any, blocked map[string]error, o Options) (string, error) {
	a := analyze(inner)
	if a.err != nil {
		return "", a.err
	}
	params := make([]string, 0, len(a.free))
	for _, name := range a.free {
		if err, ok := blocked[name]; ok {
			return "", err
		}
		if _, ok := ctx[name]; ok {
			params = append(params, name)
			continue
		}
		if allowedBuiltins[name] {
			continue
		}
		if msg, ok := unsupportedNames[name]; ok {
			return "", newErr(ErrUndefined, "%s", msg)
		}
		return "", newErr(ErrUndefined, "name '%s' is not defined", name)
	}
	c := compileExpr(inner, params)
	if c.err != nil {
		return "", c.err
	}
	st := &evalState{maxSteps: o.steps(), maxAlloc: o.alloc(), conv: &converter{}}
	thread := &starlark.Thread{Name: "template"}
	thread.SetMaxExecutionSteps(st.maxSteps)
	thread.SetLocal(stateKey, st)
	args := make(starlark.Tuple, len(params))
	for i, p := range params {
		v, err := st.conv.toStarlark(ctx[p], 0)
		if err != nil {
			return "", err
		}
		args[i] = v
	}
	res, err := starlark.Call(thread, c.fn, args, nil)
	if err != nil {
		return "", classify(err, thread, st)
	}
	w := pyWriter{limit: int(st.maxAlloc)}
	w.str(res)
	if w.err != nil {
		return "", w.err
	}
	return w.b.String(), nil
}

// classify turns a Starlark error into one of the package's errors.
func classify(err error, thread *starlark.Thread, st *evalState) error {
	var ee *evalError
	if errors.As(err, &ee) {
		return ee
	}
	if thread.Steps >= st.maxSteps {
		return newErr(ErrStepLimit, "more than %d steps", st.maxSteps)
	}
	msg := err.Error()
	var se *starlark.EvalError
	if errors.As(err, &se) {
		msg = se.Msg
	}
	return newErr(ErrEval, "%s", msg)
}

// isSimpleIdent reports whether s is an ASCII identifier.
func isSimpleIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return true
}
