package pipeline

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDefaultTreeIsValid(t *testing.T) {
	t.Parallel()
	p := newTestParser(t)
	for _, mode := range []string{CanvasHorizontal, CanvasVertical, ""} {
		tree := DefaultTree(mode)
		_, err := RegenerateTemplateIDs(tree, counterIDs())
		require.NoError(t, err, mode)
		w, err := p.Check(marshalTree(t, tree))
		require.NoError(t, err, mode)
		require.Len(t, w.Activities, 1)
		for _, a := range objectAt(tree, "activities") {
			require.NotContains(t, asObject(a), "template_node_id", "templates do not record origins")
		}
	}
	require.Equal(t, CanvasHorizontal, DefaultTree("stage")["canvas_mode"])
	v := DefaultTree(CanvasVertical)
	require.Equal(t, "Bottom", asObject(asObject(asList(v["line"])[0])["source"])["arrow"])
}

func TestMD5IgnoresKeyOrder(t *testing.T) {
	t.Parallel()
	a := decodeTestTree(t, []byte(`{"b": [1, 2.5, true, null], "a": "中"}`))
	b := decodeTestTree(t, []byte(`{"a": "中", "b": [1, 2.5, true, null]}`))
	ma, err := MD5(a)
	require.NoError(t, err)
	mb, err := MD5(b)
	require.NoError(t, err)
	require.Equal(t, ma, mb)
	require.Len(t, ma, 32)
}

func TestSubprocessRefs(t *testing.T) {
	t.Parallel()
	tree := Tree{"activities": map[string]any{
		"sp": map[string]any{"type": TypeSubProcess, "template_id": json.Number("7"), "version": "1.0.0"},
		"pl": map[string]any{"type": TypeActivity, "component": map[string]any{"code": SubprocessPluginCode,
			"data": map[string]any{"subprocess": map[string]any{"value": map[string]any{
				"template_id": "8", "always_use_latest": true}}}}},
		"embedded": map[string]any{"type": TypeSubProcess, "template_id": "", "pipeline": map[string]any{}},
		"plain":    map[string]any{"type": TypeActivity, "component": map[string]any{"code": "bk_display"}},
	}}
	refs, err := SubprocessRefs(tree)
	require.NoError(t, err)
	require.Equal(t, []SubprocessRef{
		{NodeID: "pl", TemplateID: 8, AlwaysUseLatest: true},
		{NodeID: "sp", TemplateID: 7, Version: "1.0.0"},
	}, refs)

	asObject(objectAt(tree, "activities")["sp"])["template_id"] = "abc"
	_, err = SubprocessRefs(tree)
	require.EqualError(t, err, "node sp: subprocess template_id must be a positive integer, got abc")
}
