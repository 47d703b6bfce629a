package expr

import "sort"

// Variable types of engine data.inputs.
const (
	TypePlain  = "plain"
	TypeSplice = "splice"
	TypeLazy   = "lazy"
)

// A Variable is one context variable before resolution (engine data.inputs
// entry).
type Variable struct {
	Type       string // "plain" | "splice" | "lazy"; anything else is treated as splice
	Value      any
	CustomType string // lazy: "select", "json_variable", "datatable", "bk_user_selector", "input", ...
}

// Resolve computes the values of the variables named in want (all of vars
// when want is nil) and of everything they reference, transitively through
// splice and lazy values.
//
//   - plain → the value as is;
//   - splice → Render(value) against the resolved values of its references;
//   - lazy → rendered as splice, then the type's get_value: select joins a
//     list with ",", json_variable decodes a JSON string, datatable builds a
//     *DataTable; other types behave as splice.
//
// Variables that reference each other in a cycle keep those templates
// verbatim, reported with a *CycleError. Names found neither in vars nor in
// extra stay unresolved (templates referencing them stay verbatim). extra
// holds already-plain values that are always available (system object,
// space variables, _loop, node outputs...); vars win over extra on a clash.
//
// The result holds every wanted or transitively referenced name found in
// vars or extra.
func Resolve(vars map[string]Variable, extra map[string]any, want []string, o Options) (map[string]any, []RenderError) {
	if want == nil {
		want = make([]string, 0, len(vars))
		for k := range vars {
			want = append(want, k)
		}
	}
	want = append([]string(nil), want...)
	sort.Strings(want)

	n := len(vars)
	rs := &resolution{
		vars:   vars,
		extra:  extra,
		o:      o,
		refs:   make(map[string][]string, n),
		index:  make(map[string]int, n),
		low:    make(map[string]int, n),
		onStk:  make(map[string]bool, n),
		values: make(map[string]any, n),
		out:    make(map[string]any, len(want)),
	}
	for _, name := range want {
		rs.include(name)
	}
	return rs.out, rs.errs
}

type resolution struct {
	vars  map[string]Variable
	extra map[string]any
	o     Options

	refs map[string][]string // variable → referenced names present in vars or extra

	// Tarjan's strongly connected components.
	counter int
	index   map[string]int
	low     map[string]int
	stack   []string
	onStk   map[string]bool

	values map[string]any // resolved variables
	out    map[string]any
	errs   []RenderError
}

// include resolves name if it is a variable, and records it in the result.
func (rs *resolution) include(name string) {
	if _, isVar := rs.vars[name]; isVar {
		if _, seen := rs.index[name]; !seen {
			rs.strongConnect(name)
		}
		return
	}
	if v, ok := rs.extra[name]; ok {
		rs.out[name] = v
	}
}

func (rs *resolution) referencesOf(name string) []string {
	if r, ok := rs.refs[name]; ok {
		return r
	}
	var out []string
	v := rs.vars[name]
	if v.Type != TypePlain {
		for _, ref := range References(v.Value) {
			if _, ok := rs.vars[ref]; ok {
				out = append(out, ref)
			} else if _, ok := rs.extra[ref]; ok {
				out = append(out, ref)
			}
		}
	}
	rs.refs[name] = out
	return out
}

func (rs *resolution) strongConnect(name string) {
	rs.index[name] = rs.counter
	rs.low[name] = rs.counter
	rs.counter++
	rs.stack = append(rs.stack, name)
	rs.onStk[name] = true

	for _, ref := range rs.referencesOf(name) {
		if _, isVar := rs.vars[ref]; !isVar {
			rs.include(ref)
			continue
		}
		if _, seen := rs.index[ref]; !seen {
			rs.strongConnect(ref)
			rs.low[name] = min(rs.low[name], rs.low[ref])
		} else if rs.onStk[ref] {
			rs.low[name] = min(rs.low[name], rs.index[ref])
		}
	}

	if rs.low[name] != rs.index[name] {
		return
	}
	// name is the root of a component: pop it.
	var members []string
	for {
		top := rs.stack[len(rs.stack)-1]
		rs.stack = rs.stack[:len(rs.stack)-1]
		rs.onStk[top] = false
		members = append(members, top)
		if top == name {
			break
		}
	}
	sort.Strings(members)
	cyclic := len(members) > 1
	if !cyclic {
		for _, ref := range rs.referencesOf(name) {
			if ref == name {
				cyclic = true
			}
		}
	}
	var blocked map[string]error
	if cyclic {
		cerr := &CycleError{Members: members}
		blocked = make(map[string]error, len(members))
		for _, m := range members {
			blocked[m] = cerr
		}
	}
	for _, m := range members {
		rs.compute(m, blocked)
	}
}

// compute resolves one variable whose references are all resolved (or
// blocked as members of its own cycle).
func (rs *resolution) compute(name string, blocked map[string]error) {
	v := rs.vars[name]
	var value any
	if v.Type == TypePlain {
		value = v.Value
	} else {
		ctx := map[string]any{}
		for _, ref := range rs.referencesOf(name) {
			if _, isBlocked := blocked[ref]; isBlocked {
				continue
			}
			if rv, ok := rs.values[ref]; ok {
				ctx[ref] = rv
			} else if _, isVar := rs.vars[ref]; !isVar {
				ctx[ref] = rs.extra[ref]
			}
		}
		r := renderer{ctx: ctx, o: rs.o, blocked: blocked, varName: name}
		value = r.value(v.Value)
		rs.errs = append(rs.errs, r.errs...)
		if v.Type == TypeLazy {
			got, err := lazyGetValue(v.CustomType, value)
			if err != nil {
				rs.errs = append(rs.errs, RenderError{Var: name, Err: err})
			}
			value = got
		}
	}
	rs.values[name] = value
	rs.out[name] = value
}
