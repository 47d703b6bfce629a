package pipeline

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/golden"
)

// TestValidTrees parses, validates and converts each realistic tree and
// compares the engine form with its golden file.
func TestValidTrees(t *testing.T) {
	cases := []struct {
		file     string
		converge map[string]string // gateway → converge gateway
	}{
		{file: "single_node", converge: map[string]string{}},
		{file: "linear_100", converge: map[string]string{}},
		{file: "parallel", converge: map[string]string{"pg1": "cg1"}},
		{file: "nested_parallel", converge: map[string]string{"pg1": "cg1", "pg2": "cg2"}},
		{file: "conditional_parallel", converge: map[string]string{"cpg1": "cg1"}},
		{file: "exclusive_default", converge: map[string]string{"eg1": "cg1"}},
		{file: "exclusive_loop", converge: map[string]string{}},
		{file: "exclusive_converge_shared", converge: map[string]string{"eg1": "cg1", "eg2": "cg1"}},
		{file: "subprocess_embedded", converge: map[string]string{}},
		{file: "canvas", converge: map[string]string{}},
		{file: "canvas_gateways", converge: map[string]string{
			"node235ec52392b77977539cf78b62e7": "node6e9cf3eef65da697796cf33f27eb", // pg → cg
			"node2a6a84e9e44441afbd75cc19ce28": "node15335b8ba15b66fc4f103f488d13", // eg → cg2
		}},
	}
	p := newTestParser(t)
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			w, err := p.Check(readTree(t, "valid/"+tc.file+".json"))
			require.NoError(t, err)
			got := map[string]string{}
			for id, g := range w.Gateways {
				if g.ConvergeGatewayID != "" {
					got[id] = g.ConvergeGatewayID
				}
			}
			require.Equal(t, tc.converge, got)
			e, err := ToEngine(w)
			require.NoError(t, err)
			raw, err := json.Marshal(e)
			require.NoError(t, err)
			golden.AssertJSON(t, "engine_"+tc.file, raw)
		})
	}
}

// TestConvergeWrittenBack checks Validate writes converge_gateway_id into
// the generic tree and drops a stale one.
func TestConvergeWrittenBack(t *testing.T) {
	p := newTestParser(t)
	tree := decodeTestTree(t, readTree(t, "valid/exclusive_loop.json"))
	objectAt(tree, "gateways")["eg1"].(map[string]any)["converge_gateway_id"] = "stale"
	w, err := p.ParseTree(tree)
	require.NoError(t, err)
	require.NoError(t, Validate(w))
	require.NotContains(t, objectAt(tree, "gateways")["eg1"], "converge_gateway_id")

	tree = decodeTestTree(t, readTree(t, "valid/parallel.json"))
	w, err = p.ParseTree(tree)
	require.NoError(t, err)
	require.NoError(t, Validate(w))
	require.Equal(t, "cg1", objectAt(tree, "gateways")["pg1"].(map[string]any)["converge_gateway_id"])
	require.NotContains(t, objectAt(tree, "gateways")["cg1"], "converge_gateway_id")
}

// TestClassifyConstants ports BKFlow's test_classify_constants cases.
func TestClassifyConstants(t *testing.T) {
	timing := map[string]any{
		"name": "定时时间", "key": "${bk_timing}", "desc": "", "custom_type": "",
		"source_info": map[string]any{"node38f09be9ba7402ec05186c562c0e": []any{"bk_timing"}},
		"source_tag":  "sleep_timer.bk_timing", "value": "", "show_type": "show",
		"source_type": "component_inputs", "validation": "", "index": json.Number("0"), "version": "legacy",
	}
	result := func(sourceInfo map[string]any) map[string]any {
		return map[string]any{
			"name": "执行结果", "key": "${_result}", "desc": "", "custom_type": "", "source_info": sourceInfo,
			"source_tag": "", "value": "", "show_type": "hide", "source_type": "component_outputs",
			"validation": "", "index": json.Number("1"), "version": "legacy",
		}
	}
	custom := map[string]any{
		"custom_type": "input", "desc": "", "index": json.Number("3"), "key": "${custom}", "name": "custom",
		"show_type": "show", "source_info": map[string]any{}, "source_tag": "input.input",
		"source_type": "custom", "validation": "^.+$", "value": "${bk_timing}", "version": "legacy",
	}
	withShow := func(c map[string]any, show string) map[string]any {
		out := map[string]any{}
		for k, v := range c {
			out[k] = v
		}
		out["show_type"] = show
		return out
	}
	const node = "node38f09be9ba7402ec05186c562c0e"
	cases := []struct {
		name         string
		constants    map[string]any
		isSubprocess bool
		inputs       map[string]Var
		outputs      map[string]map[string]string
	}{
		{
			name:      "normal",
			constants: map[string]any{"${bk_timing}": timing, "${_result}": result(map[string]any{node: []any{"_result"}}), "${custom}": custom},
			inputs: map[string]Var{
				"${custom}":    {Type: VarSplice, Value: "${bk_timing}"},
				"${bk_timing}": {Type: VarPlain, Value: ""},
				"${_result}":   {Type: VarSplice, SourceAct: node, SourceKey: "_result", Value: ""},
			},
			outputs: map[string]map[string]string{node: {"_result": "${_result}"}},
		},
		{
			name:         "is_param in a subprocess",
			constants:    map[string]any{"${bk_timing}": withShow(timing, "hide"), "${_result}": result(map[string]any{node: []any{"_result"}}), "${custom}": custom},
			isSubprocess: true,
			inputs: map[string]Var{
				"${custom}":    {Type: VarSplice, Value: "${bk_timing}", IsParam: true},
				"${bk_timing}": {Type: VarPlain, Value: ""},
				"${_result}":   {Type: VarSplice, SourceAct: node, SourceKey: "_result", Value: ""},
			},
			outputs: map[string]map[string]string{node: {"_result": "${_result}"}},
		},
		{
			name:      "output node unchecked",
			constants: map[string]any{"${bk_timing}": timing, "${_result}": result(map[string]any{}), "${custom}": custom},
			inputs: map[string]Var{
				"${custom}":    {Type: VarSplice, Value: "${bk_timing}"},
				"${bk_timing}": {Type: VarPlain, Value: ""},
			},
			outputs: map[string]map[string]string{},
		},
		{
			name:      "source_info with an empty list",
			constants: map[string]any{"${bk_timing}": timing, "${_result}": result(map[string]any{node: []any{}}), "${custom}": custom},
			inputs: map[string]Var{
				"${custom}":    {Type: VarSplice, Value: "${bk_timing}"},
				"${bk_timing}": {Type: VarPlain, Value: ""},
			},
			outputs: map[string]map[string]string{},
		},
		{
			name: "lazy variables",
			constants: map[string]any{
				"${s}": map[string]any{"key": "${s}", "custom_type": "select", "source_tag": "select.select", "value": []any{"a"}, "show_type": "show", "source_type": "custom"},
				"${j}": map[string]any{"key": "${j}", "custom_type": "json_variable", "source_tag": "json_variable.json_variable", "value": "{}", "show_type": "hide", "source_type": "custom"},
				"${i}": map[string]any{"key": "${i}", "custom_type": "ip_selector", "value": map[string]any{"ip": "${x}"}, "show_type": "show", "source_type": "custom"},
			},
			inputs: map[string]Var{
				"${s}": {Type: VarLazy, SourceTag: "select.select", CustomType: "select", Value: []any{"a"}, IsParam: true},
				"${j}": {Type: VarLazy, SourceTag: "json_variable.json_variable", CustomType: "json_variable", Value: "{}"},
				"${i}": {Type: VarSplice, Value: map[string]any{"ip": "${x}"}},
			},
			outputs: map[string]map[string]string{},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ps problems
			d := &decoder{ps: &ps}
			w := &Web{Constants: d.constants(tc.constants, "/constants"), Activities: map[string]*WebActivity{}}
			require.True(t, ps.empty())
			inputs, outputs := w.classifyConstants(tc.isSubprocess)
			require.Equal(t, tc.inputs, inputs)
			require.Equal(t, tc.outputs, outputs)
		})
	}
}

// TestReferences checks the reference extraction used to tell splice from
// plain values and to find the constants a tree uses.
func TestReferences(t *testing.T) {
	cases := []struct {
		value any
		want  []string
	}{
		{value: "plain text", want: []string{}},
		{value: "${a}", want: []string{"${a}"}},
		{value: "x ${a} y ${b}", want: []string{"${a}", "${b}"}},
		{value: "${a.upper() + b}", want: []string{"${a}", "${b}"}},
		{value: "${int(a) + 1}", want: []string{"${a}", "${int}"}},
		{value: "${1 + 2}", want: []string{}},
		{value: `${"prefix" + KEY}`, want: []string{"${KEY}"}},
		{value: `${"%s" % KEY}`, want: []string{"${KEY}"}},
		{value: `${KEY.replace("\n", ",")}`, want: []string{"${KEY}"}},
		{value: "${[item.strip() for item in KEY.split(',')]}", want: []string{"${KEY}"}},
		{value: "${1 if t else 2}", want: []string{"${t}"}},
		{value: "${_system.task_id}", want: []string{"${_system}"}},
		{value: "${time|", want: []string{}},
		{value: "$${a}", want: []string{"${a}"}},
		{value: "${a#b}", want: []string{}},
		{value: []any{"${a}", map[string]any{"${k}": "${b}"}}, want: []string{"${a}", "${b}"}},
		{value: json.Number("3"), want: []string{}},
		{value: "${lambda x: x + y}", want: []string{"${y}"}},
		{value: "${r'${'}", want: []string{}},
		{value: "${变量}", want: []string{"${变量}"}},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(pyStr(tc.value), "/", "_"), func(t *testing.T) {
			require.Equal(t, tc.want, References(tc.value))
			require.Equal(t, len(tc.want) > 0, hasReference(tc.value))
		})
	}
}
