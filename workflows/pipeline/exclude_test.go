package pipeline

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/golden"
)

// Node ids of testdata/trees/valid/canvas_gateways.json.
const (
	cvA1 = "node8a8bb7cd343aa2ad99b7d7620308"
	cvA2 = "node693a9fdd4c2fd0700968fba0d07f"
	cvA3 = "node9d607a663f3e9b0a90c3c8d44266"
	cvA4 = "node894f782a148b33af1e39a0efed95"
)

func TestExcludeOptional(t *testing.T) {
	cases := []struct {
		name     string
		file     string
		edits    []edit
		exclude  []string
		dropped  []string
		problems []Problem // of the tree left
	}{
		{name: "one branch of a parallel block", file: "canvas_gateways", exclude: []string{cvA2}, dropped: []string{"${unused}"}},
		{name: "every branch of a parallel block", file: "canvas_gateways", exclude: []string{cvA2, cvA3}, dropped: []string{"${unused}"}},
		{name: "a node feeding an output constant", file: "canvas_gateways", exclude: []string{cvA1}, dropped: []string{"${biz}", "${unused}"},
			problems: []Problem{prob(CodeConstantNoSource, "/constants/${hosts}/source_info", nil, nil, "变量 「主机列表」(${hosts}) 配置无效：该变量类型为组件输出，但未选择有效的输出字段，请在对应节点中重新勾选输出变量或删除该变量 (an output constant needs a node and output key in source_info)")}},
		{name: "nested parallel block emptied", file: "nested_parallel", exclude: []string{"a2", "a3"}},
		{name: "both blocks emptied", file: "nested_parallel", exclude: []string{"a1", "a2", "a3", "a4", "a5"},
			problems: []Problem{prob(CodeConnectionTarget, "/start_event", ids("start", "end"), ids("l1"), "不能连接EmptyEndEvent类型节点 (flows from EmptyStartEvent nodes cannot lead to EmptyEndEvent nodes)")}},
		{name: "a branch of an exclusive gateway", file: "exclusive_default", exclude: []string{"ok"}},
		{name: "nothing excluded prunes constants", file: "canvas_gateways", dropped: []string{"${unused}"}},
		{name: "constants used through other constants and value_assign", file: "single_node", edits: []edit{
			set("/constants/${chain}", `{"key": "${chain}", "name": "c", "value": "${user}-x", "custom_type": "input", "source_type": "custom", "show_type": "show", "index": 5}`),
			set("/constants/${target}", `{"key": "${target}", "name": "t", "value": "", "custom_type": "input", "source_type": "custom", "show_type": "show", "index": 4}`),
			set("/constants/${lonely}", `{"key": "${lonely}", "name": "l", "value": "", "custom_type": "input", "source_type": "custom", "show_type": "show", "index": 3}`),
			set("/constants/${greeting}/value", `"hi ${chain}"`),
			set("/activities/act1/component", `{"code": "value_assign", "data": {"bk_assignment_list": {"hook": false, "value": [{"key": "target", "value": "${greeting}"}]}}}`),
			set("/outputs", `["${lonely}", "${user}"]`),
		}, dropped: []string{"${lonely}"}},
	}
	p := newTestParser(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tree := decodeTestTree(t, fromFile(tc.file, tc.edits...)(t))
			dropped, err := ExcludeOptional(tree, tc.exclude)
			require.NoError(t, err)
			require.Equal(t, tc.dropped, dropped)
			raw, err := json.Marshal(tree)
			require.NoError(t, err)
			golden.AssertJSON(t, "excluded_"+tc.file+"_"+goldenName(tc.name), raw)
			_, err = p.Check(raw)
			require.Equal(t, tc.problems, problemsOf(t, err))
		})
	}
}

func goldenName(s string) string {
	out := []byte(s)
	for i, c := range out {
		if c == ' ' {
			out[i] = '_'
		}
	}
	return string(out)
}

func TestExcludeOptionalErrors(t *testing.T) {
	cases := []struct {
		name    string
		exclude []string
		want    string
	}{
		{name: "not optional", exclude: []string{cvA2, cvA4}, want: "task node[id=" + cvA4 + "] is not optional"},
		{name: "not in the tree", exclude: []string{"ghost"}, want: "task node[id=ghost] is not in template pipeline tree"},
		{name: "a gateway", exclude: []string{"node235ec52392b77977539cf78b62e7"}, want: "task node[id=node235ec52392b77977539cf78b62e7] is not in template pipeline tree"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tree := decodeTestTree(t, readTree(t, "valid/canvas_gateways.json"))
			orig := CloneTree(tree)
			_, err := ExcludeOptional(tree, tc.exclude)
			require.EqualError(t, err, tc.want)
			require.Equal(t, orig, tree)
		})
	}
}

// TestExcludeOptionalLeavesInvalidTree checks a tree left invalid by the
// exclusion is returned for validation to report, as BKFlow's preview does.
func TestExcludeOptionalLeavesInvalidTree(t *testing.T) {
	tree := decodeTestTree(t, readTree(t, "valid/single_node.json"))
	dropped, err := ExcludeOptional(tree, []string{"act1"})
	require.NoError(t, err)
	require.Equal(t, []string{"${greeting}", "${user}"}, dropped)
	require.Equal(t, "start", stringAt(asObject(objectAt(tree, "flows")["l1"]), "source"))
	require.Equal(t, "end", stringAt(asObject(objectAt(tree, "flows")["l1"]), "target"))
	_, err = newTestParser(t).Check(marshalTree(t, tree))
	require.Equal(t, []Problem{
		prob(CodeConnectionTarget, "/start_event", ids("start", "end"), ids("l1"), "不能连接EmptyEndEvent类型节点 (flows from EmptyStartEvent nodes cannot lead to EmptyEndEvent nodes)"),
	}, problemsOf(t, err))
}
