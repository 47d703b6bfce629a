package stacktest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/workflows/pipeline/pipelinetest"
)

// Call calls an endpoint of the space: path is relative to /space/{id}/
// ("create_template/", "template/7/get_template_detail/?format=plugin").
func (sp *Space) Call(method, path string, body any) (Response, Envelope) {
	sp.t.Helper()
	r := sp.S.Do(method, fmt.Sprintf("/space/%d/%s", sp.ID, strings.TrimPrefix(path, "/")), sp.Auth, body)
	return r, Decode(sp.t, r)
}

// MustCall is Call that requires a successful envelope and returns its data.
func (sp *Space) MustCall(method, path string, body any) json.RawMessage {
	sp.t.Helper()
	r, env := sp.Call(method, path, body)
	require.True(sp.t, env.Result, "%s %s: %s", method, path, r.Body)
	return env.Data
}

// CreateTemplate creates a template from tree (plus extra request fields)
// and returns its id.
func (sp *Space) CreateTemplate(tree *pipelinetest.Tree, extra map[string]any) int64 {
	sp.t.Helper()
	body := map[string]any{"name": "e2e template", "creator": "admin", "pipeline_tree": tree.Map()}
	for k, v := range extra {
		body[k] = v
	}
	var t struct {
		ID int64 `json:"id"`
	}
	require.NoError(sp.t, json.Unmarshal(sp.MustCall(http.MethodPost, "create_template/", body), &t))
	return t.ID
}

// CreateTask creates a task of a template with create_task (plus extra
// request fields). Its Nodes map the names of the template's nodes (the
// pipelinetest builder names nodes by their ids) to the task's node ids.
func (sp *Space) CreateTask(templateID int64, extra map[string]any) *Task {
	sp.t.Helper()
	body := map[string]any{"template_id": templateID, "creator": "admin", "name": "e2e"}
	for k, v := range extra {
		body[k] = v
	}
	var created struct {
		ID int64 `json:"id"`
	}
	require.NoError(sp.t, json.Unmarshal(sp.MustCall(http.MethodPost, "create_task/", body), &created))
	return TaskOf(sp, created.ID)
}

// TaskOf drives an existing task of the space, its Nodes mapped by name as
// in CreateTask.
func TaskOf(sp *Space, id int64) *Task {
	sp.t.Helper()
	tk := &Task{sp: sp, ID: id, Nodes: map[string]string{}}
	tk.mapByName()
	return tk
}

// mapByName fills Nodes from the task's tree by node name.
func (tk *Task) mapByName() {
	var detail struct {
		PipelineTree struct {
			StartEvent map[string]any            `json:"start_event"`
			EndEvent   map[string]any            `json:"end_event"`
			Activities map[string]map[string]any `json:"activities"`
			Gateways   map[string]map[string]any `json:"gateways"`
		} `json:"pipeline_tree"`
	}
	require.NoError(tk.sp.t, json.Unmarshal(tk.Get("get_task_detail"), &detail))
	for id, n := range detail.PipelineTree.Activities {
		tk.Nodes[n["name"].(string)] = id
	}
	for id, n := range detail.PipelineTree.Gateways {
		tk.Nodes[n["name"].(string)] = id
	}
	tk.Nodes["start"] = detail.PipelineTree.StartEvent["id"].(string)
	tk.Nodes["end"] = detail.PipelineTree.EndEvent["id"].(string)
}

// SpaceOf drives an existing space with the given credentials.
func SpaceOf(t testing.TB, s *Stack, auth string, id int64) *Space {
	return &Space{t: t, S: s, Auth: auth, ID: id}
}
