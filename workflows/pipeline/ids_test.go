package pipeline

import (
	"encoding/json"
	"fmt"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/golden"
)

var validTreeFiles = []string{
	"single_node", "linear_100", "parallel", "nested_parallel", "conditional_parallel", "exclusive_default",
	"exclusive_loop", "exclusive_converge_shared", "subprocess_embedded", "canvas", "canvas_gateways",
}

// treeIDs collects the node and flow ids of a tree and its embedded
// subprocess trees.
func treeIDs(tree Tree) map[string]bool {
	out := map[string]bool{}
	out[stringAt(objectAt(tree, "start_event"), "id")] = true
	out[stringAt(objectAt(tree, "end_event"), "id")] = true
	for _, coll := range []string{"activities", "gateways", "flows"} {
		for id, v := range objectAt(tree, coll) {
			out[id] = true
			if child := objectAt(asObject(v), "pipeline"); child != nil {
				for cid := range treeIDs(child) {
					out[cid] = true
				}
			}
		}
	}
	return out
}

// findIDs reports every object key or string value (outside the fields
// that keep an original id on purpose) equal to one of ids.
func findIDs(v any, ids map[string]bool, path string, found *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if ids[k] {
				*found = append(*found, path+"/"+k+" (key)")
			}
			if k == "template_node_id" || k == "oldSouceId" {
				continue
			}
			findIDs(e, ids, path+"/"+k, found)
		}
	case []any:
		for i, e := range x {
			findIDs(e, ids, fmt.Sprintf("%s/%d", path, i), found)
		}
	case string:
		if ids[x] {
			*found = append(*found, path)
		}
	}
}

func TestRegenerateIDs(t *testing.T) {
	p := newTestParser(t)
	for _, file := range validTreeFiles {
		t.Run(file, func(t *testing.T) {
			orig := decodeTestTree(t, readTree(t, "valid/"+file+".json"))
			before, err := p.Check(marshalTree(t, orig))
			require.NoError(t, err)

			tree := CloneTree(orig)
			mapping, err := RegenerateIDs(tree, counterIDs())
			require.NoError(t, err)

			// Every node and flow of the tree is mapped, to an id of its kind.
			own := map[string]bool{before.StartEvent.ID: true, before.EndEvent.ID: true}
			for id := range before.Activities {
				own[id] = true
			}
			for id := range before.Gateways {
				own[id] = true
			}
			for id := range before.Flows {
				own[id] = true
			}
			require.Len(t, mapping, len(own))
			for old := range own {
				require.Regexp(t, regexp.MustCompile(`^[nl]\d{4}$`), mapping[old])
			}
			for id := range before.Flows {
				require.Equal(t, byte('l'), mapping[id][0])
			}

			// No old id is left anywhere.
			var found []string
			findIDs(map[string]any(tree), treeIDs(orig), "", &found)
			require.Empty(t, found)

			// It still validates, with the same converge gateways, and each
			// activity and gateway knows its template id.
			after, err := p.Check(marshalTree(t, tree))
			require.NoError(t, err)
			for id, g := range before.Gateways {
				ng := after.Gateways[mapping[id]]
				require.NotNil(t, ng)
				require.Equal(t, mapping[g.ConvergeGatewayID], ng.ConvergeGatewayID)
				require.Equal(t, id, ng.TemplateNodeID)
			}
			for id := range before.Activities {
				require.Equal(t, id, after.Activities[mapping[id]].TemplateNodeID)
			}

			// Deterministic with a deterministic generator.
			again := CloneTree(orig)
			_, err = RegenerateIDs(again, counterIDs())
			require.NoError(t, err)
			require.Equal(t, tree, again)
		})
	}
}

func TestRegenerateIDsGolden(t *testing.T) {
	tree := decodeTestTree(t, readTree(t, "valid/canvas_gateways.json"))
	mapping, err := RegenerateIDs(tree, counterIDs())
	require.NoError(t, err)
	raw, err := json.Marshal(map[string]any{"mapping": mapping, "tree": tree})
	require.NoError(t, err)
	golden.AssertJSON(t, "regenerated_canvas_gateways", raw)
}

func TestRegenerateIDsKeepsTemplateNodeID(t *testing.T) {
	tree := decodeTestTree(t, readTree(t, "valid/parallel.json"))
	objectAt(tree, "activities")["a1"].(map[string]any)["template_node_id"] = "from_template"
	mapping, err := RegenerateIDs(tree, counterIDs())
	require.NoError(t, err)
	require.Equal(t, "from_template", objectAt(tree, "activities")[mapping["a1"]].(map[string]any)["template_node_id"])
	require.Equal(t, "a2", objectAt(tree, "activities")[mapping["a2"]].(map[string]any)["template_node_id"])
}

// TestRegenerateIDsStaleCanvas checks canvas entries naming ids that do not
// exist are left alone.
func TestRegenerateIDsStaleCanvas(t *testing.T) {
	tree := decodeTestTree(t, fromFile("exclusive_default",
		set("/line", `[{"id": "l99", "source": {"id": "start"}, "target": {"id": "gone"}}]`),
		set("/location", `[{"id": "ghost", "type": "tasknode"}, {"id": "query", "type": "tasknode"}]`),
	)(t))
	mapping, err := RegenerateIDs(tree, counterIDs())
	require.NoError(t, err)
	require.Equal(t, []any{map[string]any{"id": "l99", "source": map[string]any{"id": mapping["start"]}, "target": map[string]any{"id": "gone"}}}, tree["line"])
	require.Equal(t, []any{map[string]any{"id": "ghost", "type": "tasknode"}, map[string]any{"id": mapping["query"], "type": "tasknode"}}, tree["location"])
}

func TestRegenerateIDsDefaultGenerator(t *testing.T) {
	tree := decodeTestTree(t, readTree(t, "valid/parallel.json"))
	mapping, err := RegenerateIDs(tree, nil)
	require.NoError(t, err)
	require.Regexp(t, `^n[0-9a-f]{31}$`, mapping["a1"])
	require.Regexp(t, `^l[0-9a-f]{31}$`, mapping["l1"])
	require.Regexp(t, `^n[0-9a-f]{31}$`, NewID(KindNode))
	require.NotEqual(t, NewID(KindFlow), NewID(KindFlow))
}

func TestRegenerateIDsErrors(t *testing.T) {
	same := func(byte) string { return "x" }
	cases := []struct {
		name  string
		edits []edit
		gen   func(byte) string
		want  string
	}{
		{name: "flow to a missing node", edits: []edit{set("/flows/l2/target", `"ghost"`)}, gen: counterIDs(),
			want: `pipeline: regenerate ids: the target of flow l2, "ghost", is not a node`},
		{name: "node refers to a missing flow", edits: []edit{set("/activities/ok/outgoing", `"l99"`)}, gen: counterIDs(),
			want: "pipeline: regenerate ids: node ok refers to flow l99, which does not exist"},
		{name: "source_info of a missing node", edits: []edit{set("/constants/${result}/source_info", `{"gone": ["x"]}`)}, gen: counterIDs(),
			want: "pipeline: regenerate ids: constant ${result}: source_info names node gone, which does not exist"},
		{name: "a node and a flow share an id", edits: []edit{rename("/flows/l1", "ok")}, gen: counterIDs(),
			want: `pipeline: regenerate ids: id "ok" is used by both a node and a flow`},
		{name: "generator repeats itself", gen: same,
			want: `pipeline: regenerate ids: the generator returned "x" twice (or empty)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tree := decodeTestTree(t, fromFile("exclusive_default", tc.edits...)(t))
			orig := CloneTree(tree)
			_, err := RegenerateIDs(tree, tc.gen)
			require.EqualError(t, err, tc.want)
			require.Equal(t, orig, tree, "the tree is unchanged")
		})
	}
}
