package expr

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

type resolveCase struct {
	name  string
	vars  map[string]Variable
	extra map[string]any
	want  []string
	out   map[string]any
	errs  []string // "var: template => kind"
}

func runResolveCases(t *testing.T, cases []resolveCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, errs := Resolve(c.vars, c.extra, c.want, Options{})
			require.Equal(t, c.out, got)
			want := c.errs
			if want == nil {
				want = []string{}
			}
			require.Equal(t, want, errSummary(errs))
		})
	}
}

func plain(v any) Variable  { return Variable{Type: TypePlain, Value: v} }
func splice(v any) Variable { return Variable{Type: TypeSplice, Value: v} }
func lazy(customType string, v any) Variable {
	return Variable{Type: TypeLazy, CustomType: customType, Value: v}
}

// Ported from bamboo-engine tests/test_context.py (test_hydrate).
func TestResolveBambooEngineHydrate(t *testing.T) {
	vars := map[string]Variable{
		"a": plain("1"),
		"b": plain("2"),
		"c": splice("${a}-${b}"),
		"d": splice("${int(a) + int(b)}"),
		"e": lazy("bk_user_selector", "compute_result"),
		"f": splice("${a}-${b}-${c}-${d}-${e}"),
	}
	runResolveCases(t, []resolveCase{{
		name: "hydrate all", vars: vars,
		out: map[string]any{"a": "1", "b": "2", "c": "1-2", "d": "3", "e": "compute_result", "f": "1-2-1-2-3-compute_result"},
	}, {
		name: "only what f needs", vars: vars, want: []string{"f"},
		out: map[string]any{"a": "1", "b": "2", "c": "1-2", "d": "3", "e": "compute_result", "f": "1-2-1-2-3-compute_result"},
	}, {
		name: "only what c needs", vars: vars, want: []string{"c"},
		out: map[string]any{"a": "1", "b": "2", "c": "1-2"},
	}})
}

func TestResolve(t *testing.T) {
	sys := &System{Attrs: map[string]any{"task_id": 7}}
	table := &DataTable{Rows: []map[string]any{
		{"name": "a", "port": json.Number("80")},
		{"name": "b", "port": json.Number("443")},
	}}
	runResolveCases(t, []resolveCase{
		{
			name: "splice chain keeps raw objects",
			vars: map[string]Variable{
				"obj":  plain(map[string]any{"k": []any{1, 2}}),
				"ref":  splice("${obj}"),
				"item": splice(`${ref["k"][1]}`),
				"text": splice("v=${item}"),
			},
			want: []string{"text"},
			out: map[string]any{"obj": map[string]any{"k": []any{1, 2}}, "ref": map[string]any{"k": []any{1, 2}},
				"item": 2, "text": "v=2"},
		},
		{
			name: "plain values are not rendered",
			vars: map[string]Variable{"p": plain("${q}"), "q": plain("x")},
			want: []string{"p"},
			out:  map[string]any{"p": "${q}"},
		},
		{
			name:  "extra values and vars winning over extra",
			vars:  map[string]Variable{"s": splice("${_system.task_id}-${_loop}-${x}"), "x": plain("var")},
			extra: map[string]any{"_system": sys, "_loop": 2, "x": "extra", "unused": 1},
			want:  []string{"s"},
			out:   map[string]any{"s": "7-2-var", "_system": sys, "_loop": 2, "x": "var"},
		},
		{
			name:  "wanted extra names are returned",
			extra: map[string]any{"_system": sys},
			want:  []string{"_system", "nope"},
			out:   map[string]any{"_system": sys},
		},
		{
			name: "unknown names stay verbatim",
			vars: map[string]Variable{"s": splice("${nope}-${len(x)}"), "x": plain("abc")},
			want: []string{"s"},
			out:  map[string]any{"s": "${nope}-3", "x": "abc"},
			errs: []string{"s: ${nope} => undefined name"},
		},
		{
			name: "cycle",
			vars: map[string]Variable{"a": splice("A${b}"), "b": splice("B${a}"), "c": splice("C${a}")},
			want: []string{"c"},
			out:  map[string]any{"a": "A${b}", "b": "B${a}", "c": "CA${b}"},
			errs: []string{"a: ${b} => reference cycle", "b: ${a} => reference cycle"},
		},
		{
			name: "self reference",
			vars: map[string]Variable{"a": splice("x${a}"), "b": splice("${a}!")},
			out:  map[string]any{"a": "x${a}", "b": "x${a}!"},
			errs: []string{"a: ${a} => reference cycle"},
		},
		{
			name: "cycle result does not depend on what is wanted",
			vars: map[string]Variable{"a": splice("A${b}"), "b": splice("B${a}")},
			want: []string{"b"},
			out:  map[string]any{"a": "A${b}", "b": "B${a}"},
			errs: []string{"a: ${b} => reference cycle", "b: ${a} => reference cycle"},
		},
		{
			name: "select",
			vars: map[string]Variable{
				"multi":  lazy(LazySelect, []any{"a", json.Number("1"), 2.5, true, nil}),
				"single": lazy(LazySelect, "x"),
				"tpl":    lazy(LazySelect, []any{"${v}", "z"}),
				"v":      plain("y"),
			},
			out: map[string]any{"multi": "a,1,2.5,True,None", "single": "x", "tpl": "y,z", "v": "y"},
		},
		{
			name: "json_variable",
			vars: map[string]Variable{
				"j":      lazy(LazyJSONVariable, `{"a": [1, 2.5], "b": "${v}"}`),
				"obj":    lazy(LazyJSONVariable, map[string]any{"k": 1}),
				"bad":    lazy(LazyJSONVariable, `{"a": `),
				"use":    splice(`${j["a"][0]}-${j["b"]}`),
				"v":      plain("vv"),
				"scalar": lazy(LazyJSONVariable, "3"),
			},
			out: map[string]any{
				"j":   map[string]any{"a": []any{json.Number("1"), json.Number("2.5")}, "b": "vv"},
				"obj": map[string]any{"k": 1}, "bad": `{"a": `, "use": "1-vv", "v": "vv", "scalar": json.Number("3"),
			},
			errs: []string{"bad:  => lazy variable value"},
		},
		{
			name: "datatable",
			vars: map[string]Variable{
				"tbl":   lazy(LazyDataTable, []any{map[string]any{"name": "a", "port": json.Number("80")}, map[string]any{"name": "b", "port": json.Number("443")}}),
				"first": splice("${tbl.name[0]}:${tbl.port[0]}"),
				"flat":  splice("${tbl.flat__name}"),
				"str":   splice("[${tbl}]"),
				"raw":   splice("${tbl}"),
				"bad":   lazy(LazyDataTable, "not a table"),
			},
			out: map[string]any{"tbl": table, "first": "a:80", "flat": "a\nb", "str": "[DataTable with name,port Fields]",
				"raw": table, "bad": "not a table"},
			errs: []string{"bad:  => lazy variable value"},
		},
		{
			name: "plain custom types behave as splice",
			vars: map[string]Variable{"i": lazy("int", "${n}"), "t": lazy("textarea", "${n}!"), "n": plain(json.Number("3"))},
			out:  map[string]any{"i": json.Number("3"), "t": "3!", "n": json.Number("3")},
		},
		{
			name: "lists and dicts are rendered",
			vars: map[string]Variable{"l": splice([]any{"${n}", map[string]any{"k": "${n}+1"}}), "n": plain(1)},
			want: []string{"l"},
			out:  map[string]any{"l": []any{1, map[string]any{"k": "1+1"}}, "n": 1},
		},
		{
			name: "builtin shadowed by a variable",
			vars: map[string]Variable{"int": plain("cover"), "s": splice("${int}")},
			want: []string{"s"},
			out:  map[string]any{"int": "cover", "s": "cover"},
		},
	})
}

func TestReferences(t *testing.T) {
	cases := []struct {
		in   any
		want []string
	}{
		{[]any{"${a}", []any{"${a}", "${a+int(b)}"}}, []string{"a", "b", "int"}},
		{[]any{`${a["c"]}`, []any{`${"%s" % a}`, "${a+int(b)}"}}, []string{"a", "b", "int"}},
		{"${a.upper() + b}", []string{"a", "b"}},
		{"${[x for x in items if x > y]}", []string{"items", "y"}},
		{"${[x for x in x]}", []string{"x"}},
		{"${(lambda y, z=w: y + z + v)(seed)}", []string{"seed", "v", "w"}},
		{"${_system.task_id} ${_loop}", []string{"_loop", "_system"}},
		{map[string]any{"${k}": "${v}"}, []string{"v"}},
		{"${a:b} ${c}", []string{"c"}},
		{"${a.__class__}", []string{"a"}},
		{"${sorted(l, key=f)}", []string{"f", "l", "sorted"}},
		{"no templates", []string{}},
		{json.Number("1"), []string{}},
	}
	for _, c := range cases {
		require.Equal(t, c.want, References(c.in), "%#v", c.in)
	}
	require.Equal(t, []string{"${a+int(b)}", "${a}"}, Templates([]any{"${a}", []any{"${a}", "${a+int(b)}"}}))
}
