package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/golden"
	"github.com/bkflow/bkflow/internal/stacktest"
	"github.com/bkflow/bkflow/workflows/pipeline/pipelinetest"
)

// volatileKeys are response fields whose values differ between runs: ids
// the database hands out and times. Non-null values are replaced before the
// golden comparison; a null stays null, so its shape is still checked.
var volatileKeys = map[string]bool{
	"id": true, "space_id": true, "template_id": true, "task_id": true, "instance_id": true, "parent_id": true,
	"snapshot_id": true, "trace_id": true, "create_time": true, "edit_time": true, "start_time": true,
	"finish_time": true, "elapsed_time": true, "create_at": true, "update_at": true, "created_at": true,
	"updated_at": true, "temporal_ui_url": true, "root_id": true, "parent_task_id": true, "execution_snapshot_id": true,
}

// generatedIDPattern matches the node, flow and version ids bkflow generates.
var generatedIDPattern = regexp.MustCompile(`\b[a-z]?[0-9a-f]{31,32}\b`)

// shape prepares a response body for a golden file: generated node ids
// become <name> (from names, or from the nodes of a pipeline tree in the
// body), flow ids <source->target>, other generated ids <id>, and
// volatileKeys values <any>; redact lists subtrees to drop (such as a
// pipeline_tree checked elsewhere).
func shape(t *testing.T, body []byte, names map[string]string, redact ...string) []byte {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(body, &v), "%s", body)
	for _, p := range redact {
		m := v.(map[string]any)
		parts := strings.Split(p, ".")
		for _, part := range parts[:len(parts)-1] {
			m = m[part].(map[string]any)
		}
		if _, ok := m[parts[len(parts)-1]]; ok {
			m[parts[len(parts)-1]] = "<redacted>"
		}
	}
	byID := map[string]string{}
	for name, id := range names {
		byID[id] = name
	}
	var flows []map[string]any
	var collect func(any)
	collect = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			id, _ := x["id"].(string)
			if name, ok := x["name"].(string); ok && generatedIDPattern.MatchString(id) && byID[id] == "" {
				byID[id] = name
			}
			if _, ok := x["source"].(string); ok && generatedIDPattern.MatchString(id) {
				flows = append(flows, x)
			}
			for _, e := range x {
				collect(e)
			}
		case []any:
			for _, e := range x {
				collect(e)
			}
		}
	}
	collect(v)
	for _, f := range flows {
		byID[f["id"].(string)] = byID[f["source"].(string)] + "->" + byID[f["target"].(string)]
	}
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	s := generatedIDPattern.ReplaceAllStringFunc(string(raw), func(id string) string {
		if name, ok := byID[id]; ok {
			return "<" + name + ">"
		}
		return "<id>"
	})
	require.NoError(t, json.Unmarshal([]byte(s), &v))
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if volatileKeys[k] && e != nil {
					x[k] = "<any>"
					continue
				}
				if k == "<id>" {
					t.Fatalf("an unnamed generated id is a key: %s", s)
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	out, err := json.Marshal(v)
	require.NoError(t, err)
	return out
}

// shapesTree is start → greet → fragile → end; fragile (debug_plugin) fails
// while its object_input is not JSON.
func shapesTree() *pipelinetest.Tree {
	b := pipelinetest.New()
	b.Constant("who", "world")
	b.Activity("greet", "bk_display", "v1.0", map[string]any{"bk_display_message": "hello ${who}"})
	b.Activity("fragile", "debug_plugin", "v1.0.0", map[string]any{"object_input": "not json", "string_input": "${who}"})
	b.Output("obj", "fragile", "object_output")
	b.Export("who", "obj")
	b.Chain("start", "greet", "fragile", "end")
	return b
}

// TestEndpointShapes checks the happy-path response of every template and
// task endpoint against golden JSON (the refusals are in the endpoint
// tests).
func TestEndpointShapes(t *testing.T) {
	t.Parallel()
	s := stacktest.Start(t, stacktest.Options{})
	auth := s.AuthHeader("admin")
	spaceID, _ := createSpace(t, s, auth, map[string]any{"name": "shapes", "platform_url": "http://shapes.example.com"})
	sp := stacktest.SpaceOf(t, s, auth, spaceID)
	sp.MustCall(http.MethodPost, "renew_space_config/", map[string]any{"config": map[string]any{"flow_versioning": "true"}})
	templateLabel := createLabel(t, sp, "kind/nightly", "template")
	taskLabel := createLabel(t, sp, "run/manual", "task")
	call := func(method, path string, body any) []byte {
		t.Helper()
		r, e := sp.Call(method, path, body)
		require.True(t, e.Result, "%s %s: %s", method, path, r.Body)
		return r.Body
	}
	app := func(method, path string, body any) []byte {
		t.Helper()
		r := s.Do(method, path, s.AuthHeader("bob"), body)
		require.True(t, decode(t, r).Result, "%s %s: %s", method, path, r.Body)
		return r.Body
	}

	// Templates.
	body := call(http.MethodPost, "create_template/", map[string]any{"name": "shapes", "creator": "admin", "desc": "d",
		"pipeline_tree": shapesTree().Map(), "label_ids": []int64{templateLabel}, "bind_app_code": s.AppCode,
		"scope_type": "project", "scope_value": "7", "notify_config": map[string]any{"notify_type": map[string]any{"fail": []string{"mail"}}}})
	golden.AssertJSON(t, "shapes_create_template", shape(t, body, nil, "data.pipeline_tree"))
	var tpl struct {
		ID int64 `json:"id"`
	}
	require.NoError(t, json.Unmarshal(decode(t, stacktest.Response{Body: body}).Data, &tpl))
	base := fmt.Sprintf("template/%d/", tpl.ID)
	golden.AssertJSON(t, "shapes_get_template_detail", shape(t, call(http.MethodGet, base+"get_template_detail/", nil), nil, "data.pipeline_tree"))
	golden.AssertJSON(t, "shapes_get_template_detail_pipeline_tree",
		shape(t, call(http.MethodGet, base+"get_template_detail/?format=pipeline_tree", nil), nil))
	golden.AssertJSON(t, "shapes_update_template", shape(t, call(http.MethodPost, fmt.Sprintf("update_template/%d/", tpl.ID),
		map[string]any{"name": "shapes v2", "operator": "bob"}), nil, "data.pipeline_tree"))
	golden.AssertJSON(t, "shapes_validate_pipeline_tree", shape(t, call(http.MethodPost, "validate_pipeline_tree/",
		map[string]any{"pipeline_tree": shapesTree().Map()}), nil))
	golden.AssertJSON(t, "shapes_update_template_labels", shape(t, call(http.MethodPost, base+"update_labels/",
		map[string]any{"label_ids": []int64{templateLabel}}), nil))
	golden.AssertJSON(t, "shapes_release_template", shape(t, call(http.MethodPost, base+"release_template/",
		map[string]any{"version": "1.0.0", "desc": "first"}), nil, "data.pipeline_tree"))
	call(http.MethodPost, base+"release_template/", map[string]any{"version": "1.1.0", "force": true})
	golden.AssertJSON(t, "shapes_rollback_template", shape(t, call(http.MethodPost, base+"rollback_template/",
		map[string]any{"version": "1.0.0"}), nil, "data.pipeline_tree"))
	golden.AssertJSON(t, "shapes_get_label_ref_count", shape(t, call(http.MethodGet,
		fmt.Sprintf("get_label_ref_count/?label_ids=%d,%d", templateLabel, taskLabel), nil), nil))
	golden.AssertJSON(t, "shapes_get_template_detail_by_app", shape(t, app(http.MethodGet,
		fmt.Sprintf("/template/%d/get_template_detail_by_app/", tpl.ID), nil), nil, "data.pipeline_tree"))

	// A task through its life: start, fail, retry with new inputs, fail
	// again, skip, finish.
	tk := sp.CreateTask(tpl.ID, map[string]any{"name": "shapes task", "creator": "alice", "constants": map[string]any{"${who}": "bkflow"}})
	golden.AssertJSON(t, "shapes_operate_task", shape(t, call(http.MethodPost, fmt.Sprintf("task/%d/operate_task/start/", tk.ID),
		map[string]any{"operator": "alice"}), tk.Nodes))
	tk.WaitNode("fragile", "FAILED")
	golden.AssertJSON(t, "shapes_get_task_states", shape(t, call(http.MethodGet, fmt.Sprintf("task/%d/get_task_states/", tk.ID), nil), tk.Nodes))
	nodePath := fmt.Sprintf("task/%d/node/%s/", tk.ID, tk.Nodes["fragile"])
	golden.AssertJSON(t, "shapes_operate_node_retry", shape(t, call(http.MethodPost, nodePath+"operate_node/retry/",
		map[string]any{"operator": "alice", "inputs": map[string]any{"object_input": "still not json"}}), tk.Nodes))
	tk.WaitFor("fragile failed twice", func(st stacktest.StateTree) bool {
		n := st.Children[tk.Nodes["fragile"]]
		return n.State == "FAILED" && n.Retry == 1
	})
	golden.AssertJSON(t, "shapes_get_task_node_detail", shape(t, call(http.MethodGet, nodePath+"get_task_node_detail/", nil), tk.Nodes))
	golden.AssertJSON(t, "shapes_operate_node_skip", shape(t, call(http.MethodPost, nodePath+"operate_node/skip/",
		map[string]any{"operator": "alice"}), tk.Nodes))
	tk.WaitTask("FINISHED")
	golden.AssertJSON(t, "shapes_get_task_detail", shape(t, call(http.MethodGet, fmt.Sprintf("task/%d/get_task_detail/", tk.ID), nil),
		tk.Nodes, "data.pipeline_tree"))
	golden.AssertJSON(t, "shapes_update_task_labels", shape(t, call(http.MethodPost, fmt.Sprintf("task/%d/update_labels/", tk.ID),
		map[string]any{"label_ids": []int64{taskLabel}}), nil))

	// Tasks by app.
	body = app(http.MethodPost, fmt.Sprintf("/template/%d/create_task_by_app/", tpl.ID), map[string]any{"name": "by app"})
	golden.AssertJSON(t, "shapes_create_task_by_app", shape(t, body, nil, "data.pipeline_tree"))
	var byApp struct {
		ID int64 `json:"id"`
	}
	require.NoError(t, json.Unmarshal(decode(t, stacktest.Response{Body: body}).Data, &byApp))
	golden.AssertJSON(t, "shapes_operate_task_by_app", shape(t, app(http.MethodPost,
		fmt.Sprintf("/task/%d/operate_task_by_app/start/", byApp.ID), nil), nil))
	tkApp := stacktest.TaskOf(sp, byApp.ID)
	tkApp.WaitNode("fragile", "FAILED")
	golden.AssertJSON(t, "shapes_get_task_states_by_app", shape(t, app(http.MethodGet,
		fmt.Sprintf("/task/%d/get_task_states_by_app/", byApp.ID), nil), tkApp.Nodes))
	golden.AssertJSON(t, "shapes_get_tasks_states", shape(t, call(http.MethodPost, "get_tasks_states/",
		map[string]any{"task_ids": []int64{tk.ID}}), nil))

	// Tasks without templates, mock tasks, deletion.
	body = call(http.MethodPost, "create_task_without_template/", map[string]any{"name": "free", "creator": "alice",
		"pipeline_tree": shapesTree().Map()})
	golden.AssertJSON(t, "shapes_create_task_without_template", shape(t, body, nil, "data.pipeline_tree"))
	body = call(http.MethodPost, "create_mock_task/", map[string]any{"template_id": tpl.ID, "creator": "alice", "name": "mocked",
		"mock_data": map[string]any{"nodes": []string{}, "outputs": map[string]any{}}})
	golden.AssertJSON(t, "shapes_create_mock_task", shape(t, body, nil, "data.pipeline_tree"))
	golden.AssertJSON(t, "shapes_delete_task", shape(t, call(http.MethodPost, "delete_task/",
		map[string]any{"task_ids": []int64{tk.ID}}), nil))

	// Template deletion.
	spare := sp.CreateTemplate(shapesTree(), nil)
	golden.AssertJSON(t, "shapes_delete_template", shape(t, call(http.MethodPost, fmt.Sprintf("delete_template/%d/", spare), nil), nil))
	spare = sp.CreateTemplate(shapesTree(), nil)
	golden.AssertJSON(t, "shapes_batch_delete_template", shape(t, call(http.MethodPost, "batch_delete_template/",
		map[string]any{"template_ids": []int64{spare}}), nil))
}
