package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/stacktest"
	"github.com/bkflow/bkflow/workflows/pipeline/pipelinetest"
)

// accessFlowTree is the template of the access-flow scenario:
//
//	start → greet → pg ─ fragile ─┐
//	                   └ sibling ─ cg → eg ─ ${mode} == "y": branch_y ─┐
//	                                        └ default:      shaky ─────┴ cg2 → end
//
// fragile and shaky (debug_plugin) fail on an object_input that is not
// JSON. ${obj} exports fragile's object output.
func accessFlowTree() *pipelinetest.Tree {
	b := pipelinetest.New()
	b.Constant("who", "world")
	b.Constant("mode", "y")
	b.Activity("greet", "bk_display", "v1.0", map[string]any{"bk_display_message": "hello ${who}"})
	b.Gateway("pg", "ParallelGateway")
	b.Activity("fragile", "debug_plugin", "v1.0.0", map[string]any{"object_input": "not json", "string_input": "${who}"})
	b.Display("sibling")
	b.Gateway("cg", "ConvergeGateway")
	b.Gateway("eg", "ExclusiveGateway")
	b.Display("branch_y")
	b.Activity("shaky", "debug_plugin", "v1.0.0", map[string]any{"object_input": "still not json"})
	b.Gateway("cg2", "ConvergeGateway")
	b.Output("obj", "fragile", "object_output")
	b.Export("who", "obj")
	b.Chain("start", "greet", "pg")
	b.Chain("pg", "fragile", "cg")
	b.Chain("pg", "sibling", "cg")
	b.Link("cg", "eg")
	b.Cond("eg", "branch_y", `${mode} == "y"`)
	b.Default("eg", "shaky")
	b.Link("branch_y", "cg2")
	b.Link("shaky", "cg2")
	b.Link("cg2", "end")
	return b
}

// TestAccessFlow walks the access system's whole journey of the mission
// through the HTTP API on the real stack.
func TestAccessFlow(t *testing.T) {
	t.Parallel()
	s := stacktest.Start(t, stacktest.Options{})
	auth := s.AuthHeader("admin")

	// Create a space and configure it.
	spaceID, _ := createSpace(t, s, auth, map[string]any{"name": "access flow", "platform_url": "http://access.example.com"})
	sp := stacktest.SpaceOf(t, s, auth, spaceID)
	sp.MustCall(http.MethodPost, "renew_space_config/", map[string]any{"config": map[string]any{
		"flow_versioning": "true", "gateway_expression": "boolrule", "superusers": []any{"admin"}}})

	// A template with parallel and exclusive gateways and constants,
	// released as 1.0.0.
	templateID := sp.CreateTemplate(accessFlowTree(), map[string]any{"name": "access flow", "auto_release": true,
		"bind_app_code": s.AppCode})
	var plugin struct {
		Inputs struct {
			Required   []string                  `json:"required"`
			Properties map[string]map[string]any `json:"properties"`
		} `json:"inputs"`
	}
	require.NoError(t, json.Unmarshal(sp.MustCall(http.MethodGet,
		fmt.Sprintf("template/%d/get_template_detail/?format=plugin", templateID), nil), &plugin))
	require.Equal(t, "world", plugin.Inputs.Properties["who"]["default"])

	// A task with constant overrides (default branch of eg).
	tk := sp.CreateTask(templateID, map[string]any{"name": "access task", "constants": map[string]any{
		"${who}": "bkflow", "${mode}": "x", "${not_in_tree}": "ignored"}})
	var created map[string]struct {
		State string `json:"state"`
	}
	require.NoError(t, json.Unmarshal(sp.MustCall(http.MethodPost, "get_tasks_states/",
		map[string]any{"task_ids": []int64{tk.ID}}), &created))
	require.Equal(t, "CREATED", created[fmt.Sprint(tk.ID)].State)

	// Start: runs until fragile fails; sibling finishes beside it.
	stacktest.OK(t, tk.Operate("start"))
	tk.WaitNode("fragile", "FAILED")
	tk.WaitNode("sibling", "FINISHED")
	require.Equal(t, "FAILED", tk.States().State, "a failed node shows as FAILED")

	// Pause and resume.
	stacktest.OK(t, tk.Operate("pause"))
	tk.WaitTask("SUSPENDED")
	stacktest.Refused(t, tk.Operate("pause"), "pipeline("+tk.States().ID+") state is: SUSPENDED")
	stacktest.OK(t, tk.Operate("resume"))
	tk.WaitTask("FAILED")

	// Retry the failing node with new inputs; then shaky fails and is skipped.
	stacktest.OK(t, tk.Node("fragile", "retry", map[string]any{"inputs": map[string]any{
		"object_input": `{"k": 1}`, "string_input": "${who}"}}))
	tk.WaitNode("shaky", "FAILED")
	require.Empty(t, tk.State("branch_y").State, "the exclusive gateway took the default branch")
	stacktest.OK(t, tk.Node("shaky", "skip", nil))
	tk.WaitTask("FINISHED")

	// Task detail: finished with the exported outputs.
	var detail struct {
		IsFinished    bool   `json:"is_finished"`
		Executor      string `json:"executor"`
		TemplateID    int64  `json:"template_id"`
		TemporalUIURL string `json:"temporal_ui_url"`
		Outputs       []struct {
			Key   string `json:"key"`
			Value any    `json:"value"`
		} `json:"outputs"`
	}
	require.NoError(t, json.Unmarshal(tk.Get("get_task_detail"), &detail))
	require.True(t, detail.IsFinished)
	require.Equal(t, "admin", detail.Executor)
	require.Equal(t, templateID, detail.TemplateID)
	outputs := map[string]any{}
	for _, o := range detail.Outputs {
		outputs[o.Key] = o.Value
	}
	require.Equal(t, map[string]any{"${who}": "bkflow", "${obj}": map[string]any{"k": float64(1)}}, outputs)

	// Node details: the retried node kept its failed attempt; the skipped one
	// says so.
	fragile := tk.Detail("fragile")
	require.Equal(t, "FINISHED", fragile.State)
	require.Equal(t, 1, fragile.Retry)
	require.Equal(t, `{"k": 1}`, fragile.Inputs["object_input"])
	require.Equal(t, "bkflow", fragile.Inputs["string_input"])
	require.Len(t, fragile.Histories, 1)
	require.Equal(t, "FAILED", fragile.Histories[0].State)
	require.Equal(t, "not json", fragile.Histories[0].Inputs["object_input"])
	require.Equal(t, map[string]any{"k": float64(1)}, fragile.Output("object_output"))
	shaky := tk.States().Children[tk.Nodes["shaky"]]
	require.True(t, shaky.Skip)
	require.Equal(t, "FINISHED", shaky.State)
	require.Equal(t, "hello bkflow", tk.Detail("greet").Inputs["bk_display_message"])

	// The states of finished tasks come from PostgreSQL, in one query.
	var states map[string]struct {
		State string `json:"state"`
	}
	require.NoError(t, json.Unmarshal(sp.MustCall(http.MethodPost, "get_tasks_states/",
		map[string]any{"task_ids": []int64{tk.ID, 999999}}), &states))
	require.Equal(t, map[string]struct {
		State string `json:"state"`
	}{fmt.Sprint(tk.ID): {State: "FINISHED"}}, states)

	// The task is in the list, and the Temporal UI finds its workflow by
	// every search attribute bkflow sets.
	var page struct {
		Count   int `json:"count"`
		Results []struct {
			ID int64 `json:"id"`
		} `json:"results"`
	}
	require.NoError(t, json.Unmarshal(sp.MustCall(http.MethodGet, fmt.Sprintf("get_task_list/?template_id=%d", templateID), nil), &page))
	require.Equal(t, 1, page.Count)
	require.Equal(t, tk.ID, page.Results[0].ID)

	query := fmt.Sprintf(`BkflowSpaceId = %d AND BkflowTemplateId = %d AND BkflowTaskId = %d AND BkflowCreator = "admin" AND BkflowState = "FINISHED"`,
		spaceID, templateID, tk.ID)
	var found struct {
		Executions []struct {
			Execution struct {
				WorkflowID string `json:"workflowId"`
			} `json:"execution"`
			Status string `json:"status"`
		} `json:"executions"`
	}
	require.Eventually(t, func() bool {
		r := stacktest.Do(t, http.MethodGet, "http://"+s.UIAddr+"/api/v1/namespaces/default/workflows?query="+
			url.QueryEscape(query), "", nil)
		if r.Status != http.StatusOK || json.Unmarshal(r.Body, &found) != nil {
			return false
		}
		// BkflowState turns FINISHED just before the workflow's closing
		// activities (saving the final state to PostgreSQL) complete it.
		return len(found.Executions) == 1 && found.Executions[0].Status != "WORKFLOW_EXECUTION_STATUS_RUNNING"
	}, 30*time.Second, 200*time.Millisecond, "the Temporal UI's API finds the task by its search attributes")
	require.Equal(t, fmt.Sprintf("bkflow-task-%d", tk.ID), found.Executions[0].Execution.WorkflowID)
	require.Equal(t, "WORKFLOW_EXECUTION_STATUS_COMPLETED", found.Executions[0].Status)
	require.Contains(t, detail.TemporalUIURL, "/namespaces/default/workflows/bkflow-task-")

	// The *_by_app endpoints reach the same task through the template's
	// bound app.
	r := s.Do(http.MethodGet, fmt.Sprintf("/task/%d/get_task_states_by_app/", tk.ID), auth, nil)
	e := decode(t, r)
	require.True(t, e.Result, "%s", r.Body)
}
