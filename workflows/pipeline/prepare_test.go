package pipeline

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/workflows/pipeline/pipelinetest"
)

// prepareTree is start → a → b → sp (a template subprocess) → end with a
// constant used by a.
func prepareTree(t *testing.T) Tree {
	t.Helper()
	b := pipelinetest.New()
	b.Constant("who", "world")
	b.Activity("a", "bk_display", "v1.0", map[string]any{"bk_display_message": "hello ${who}"})
	b.Display("b")["optional"] = false
	sp := b.Display("sp")
	delete(sp, "component")
	sp["type"] = "SubProcess"
	sp["template_id"] = json.Number("7")
	sp["version"] = "1.0.0"
	sp["constants"] = map[string]any{}
	b.Chain("start", "a", "b", "sp", "end")
	raw, err := json.Marshal(b.Map())
	require.NoError(t, err)
	return decodeTestTree(t, raw)
}

func knownComponents(code, version string) (string, bool) {
	switch code {
	case "bk_display":
		return "v1.0", true
	case SubprocessPluginCode:
		return SubprocessPluginVersion, true
	}
	return "", false
}

func TestPrepare(t *testing.T) {
	t.Parallel()
	p := newTestParser(t)
	tree := prepareTree(t)
	before := marshalTree(t, tree)

	got, err := p.Prepare(tree, PrepareOptions{
		Constants:  map[string]any{"${who}": "bkflow", "${unknown}": "ignored"},
		InstanceID: "p_task", NewID: counterIDs(), Component: knownComponents,
	})
	require.NoError(t, err)
	require.Equal(t, string(before), string(marshalTree(t, tree)), "the given tree is not changed")
	require.Equal(t, map[string]any{"${who}": "bkflow"}, got.Parameters)
	require.Equal(t, "p_task", got.Web["id"])
	require.Equal(t, "p_task", got.Engine.ID)

	// Ids are regenerated in a fixed order; nodes remember their template ids.
	newA := got.IDs["a"]
	require.Regexp(t, `^n\d{4}$`, newA)
	act := asObject(objectAt(got.Web, "activities")[newA])
	require.Equal(t, "a", act["template_node_id"])
	// The template subprocess runs subprocess_plugin.
	sp := got.Engine.Nodes[got.IDs["sp"]]
	require.Equal(t, SubprocessPluginCode, sp.Component.Code)
	require.Equal(t, "hello ${who}", got.Engine.Nodes[newA].Component.Inputs["bk_display_message"].Value)
	require.Equal(t, "bkflow", got.Engine.Inputs["${who}"].Value)
}

func TestPrepareExclude(t *testing.T) {
	t.Parallel()
	p := newTestParser(t)
	got, err := p.Prepare(prepareTree(t), PrepareOptions{Exclude: []string{"a"}, NewID: counterIDs()})
	require.NoError(t, err)
	require.NotContains(t, got.IDs, "a")
	require.Len(t, got.Engine.Nodes, 4) // start, b, sp, end
	require.Empty(t, got.Parameters, "${who} is no longer referenced")

	_, err = p.Prepare(prepareTree(t), PrepareOptions{Exclude: []string{"b"}})
	require.EqualError(t, err, "/activities: task node[id=b] is not optional")
}

func TestPrepareRefusals(t *testing.T) {
	t.Parallel()
	p := newTestParser(t)

	_, err := p.Prepare(prepareTree(t), PrepareOptions{Component: func(code, v string) (string, bool) {
		if code == "bk_display" {
			return "", false
		}
		return knownComponents(code, v)
	}})
	ps := problemsOf(t, err)
	require.Len(t, ps, 2)
	require.Equal(t, CodeComponentUnknown, ps[0].Code)
	require.Contains(t, ps[0].Message, "component bk_display version v1.0 is not registered")

	broken := prepareTree(t)
	delete(objectAt(broken, "flows"), asObject(objectAt(broken, "activities")["a"])["outgoing"].(string))
	_, err = p.Prepare(broken, PrepareOptions{})
	require.NotEmpty(t, problemsOf(t, err))
	for _, pr := range problemsOf(t, err) {
		require.NotContains(t, pr.Message, "n0", "problems name the caller's ids, not regenerated ones")
	}
}
