package pipeline

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/golden"
)

func TestConvertSubprocessesGolden(t *testing.T) {
	tree := decodeTestTree(t, fromFile("subprocess_embedded",
		set("/location", `[{"id": "sp1", "type": "subflow", "x": 10, "y": 20}, {"id": "before", "type": "tasknode"}]`),
	)(t))
	converted := ConvertSubprocesses(tree)
	require.Equal(t, []string{"sp1"}, converted)
	raw, err := json.Marshal(tree)
	require.NoError(t, err)
	golden.AssertJSON(t, "converted_subprocess_embedded", raw)

	// The task tree still validates and runs the plugin.
	p := newTestParser(t)
	w, err := p.Check(raw)
	require.NoError(t, err)
	e, err := ToEngine(w)
	require.NoError(t, err)
	n := e.Nodes["sp1"]
	require.Equal(t, TypeActivity, n.Type)
	require.Equal(t, SubprocessPluginCode, n.Component.Code)
	require.Equal(t, SubprocessPluginVersion, n.Component.Version)
	require.Equal(t, Input{Type: VarSplice, NeedRender: false, Value: n.Component.Inputs["subprocess"].Value}, n.Component.Inputs["subprocess"])
}

// TestConvertSubprocess ports BKFlow's test_converter cases.
func TestConvertSubprocess(t *testing.T) {
	cases := []struct {
		name string
		node map[string]any
		want map[string]any
	}{
		{
			name: "all fields",
			node: map[string]any{
				"id": "node2", "name": "子流程节点", "type": "SubProcess", "template_id": "template_123",
				"version": "v1.0.0", "always_use_latest": false, "constants": map[string]any{"key1": "value1"},
				"optional": true, "outgoing": "node3", "stage_name": "stage1", "labels": []any{"label1"},
				"incoming": "node1", "original_template_id": "original_123", "original_template_version": "v0.1.0",
				"error_ignorable": true, "skippable": false, "retryable": true,
				"timeout_config":   map[string]any{"enabled": true, "seconds": json.Number("30")},
				"auto_retry":       map[string]any{"enabled": true, "interval": json.Number("5"), "times": json.Number("3")},
				"template_node_id": "template_node_123", "pipeline": map[string]any{"id": "dropped"}, "scheme_id_list": []any{},
			},
			want: map[string]any{
				"id": "node2", "name": "子流程节点", "type": "ServiceActivity", "optional": true, "outgoing": "node3",
				"stage_name": "stage1", "labels": []any{"label1"}, "incoming": "node1",
				"original_template_id": "original_123", "original_template_version": "v0.1.0",
				"error_ignorable": true, "skippable": false, "retryable": true,
				"timeout_config":   map[string]any{"enabled": true, "seconds": json.Number("30")},
				"auto_retry":       map[string]any{"enabled": true, "interval": json.Number("5"), "times": json.Number("3")},
				"template_node_id": "template_node_123", "loop_config": map[string]any{},
				"component": map[string]any{"code": "subprocess_plugin", "version": "1.0.0", "data": map[string]any{
					"subprocess": map[string]any{"hook": false, "need_render": false, "value": map[string]any{
						"template_id": "template_123", "version": "v1.0.0", "always_use_latest": false,
						"constants": map[string]any{"key1": "value1"}, "subprocess_name": "子流程节点",
					}},
				}},
			},
		},
		{
			name: "no fields to move",
			node: map[string]any{"id": "node3", "name": "简单节点", "type": "SubProcess", "optional": false},
			want: map[string]any{
				"id": "node3", "name": "简单节点", "type": "ServiceActivity", "optional": false,
				"error_ignorable": false, "skippable": true, "retryable": true, "loop_config": map[string]any{},
				"auto_retry":     map[string]any{"enabled": false, "interval": json.Number("0"), "times": json.Number("1")},
				"timeout_config": map[string]any{"enabled": false, "seconds": json.Number("10"), "action": "forced_fail"},
				"component": map[string]any{"code": "subprocess_plugin", "version": "1.0.0", "data": map[string]any{
					"subprocess": map[string]any{"hook": false, "need_render": false, "value": map[string]any{"subprocess_name": "简单节点"}},
				}},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tree := Tree{"activities": map[string]any{"x": tc.node, "plain": map[string]any{"id": "plain", "type": "ServiceActivity"}}}
			ConvertSubprocesses(tree)
			require.Equal(t, tc.want, objectAt(tree, "activities")["x"])
			require.Equal(t, map[string]any{"id": "plain", "type": "ServiceActivity"}, objectAt(tree, "activities")["plain"])
		})
	}
}
