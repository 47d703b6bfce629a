package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/stacktest"
	"github.com/bkflow/bkflow/workflows/pipeline/pipelinetest"
)

// TestEngine ports bamboo-engine's end-to-end behaviours onto one real dev
// stack, each scenario in its own space, through the HTTP API only.
func TestEngine(t *testing.T) {
	t.Parallel()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			http.Error(w, `{"result": false}`, http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"result": true, "data": {"path": %q}}`, r.URL.Path)
	}))
	t.Cleanup(api.Close)
	s := stacktest.Start(t, stacktest.Options{Env: []string{"BKFLOW_HTTP_ALLOW=127.0.0.1/32"}})

	t.Run("one node", func(t *testing.T) {
		t.Parallel()
		tk := stacktest.NewSpace(t, s).Create(pipelinetest.Linear(1), nil)
		stacktest.OK(t, tk.Operate("start"))
		st := tk.WaitTask("FINISHED")
		require.Len(t, st.Children, 3)
		stacktest.Refused(t, tk.Operate("start"), "task already started")
	})

	t.Run("100 nodes", func(t *testing.T) {
		t.Parallel()
		tk := stacktest.NewSpace(t, s).Create(pipelinetest.Linear(100), nil)
		stacktest.OK(t, tk.Operate("start"))
		st := tk.WaitTask("FINISHED")
		require.Len(t, st.Children, 102)
		for id, n := range st.Children {
			require.Equal(t, "FINISHED", n.State, id)
		}
	})

	t.Run("parallel", func(t *testing.T) {
		t.Parallel()
		tree := pipelinetest.New()
		tree.Gateway("pg", "ParallelGateway")
		tree.Gateway("cg", "ConvergeGateway")
		tree.Link("start", "pg")
		for i := 0; i < 5; i++ {
			id := fmt.Sprintf("b%d", i)
			tree.Display(id)
			tree.Link("pg", id)
			tree.Link(id, "cg")
		}
		tree.Link("cg", "end")
		tk := stacktest.NewSpace(t, s).Create(tree, nil)
		stacktest.OK(t, tk.Operate("start"))
		st := tk.WaitTask("FINISHED")
		require.Len(t, st.Children, 9)
		stacktest.RecordHistory(t, s, tk.ID, "parallel")
	})

	t.Run("exclusive gateway and constants", func(t *testing.T) {
		t.Parallel()
		tree := pipelinetest.New()
		tree.Constant("level", 1)
		tree.Gateway("eg", "ExclusiveGateway")
		tree.Gateway("cg", "ConvergeGateway")
		tree.Display("low")
		tree.Display("high")
		tree.Link("start", "eg")
		tree.Cond("eg", "low", "${level} < 5")
		tree.Cond("eg", "high", "${level} >= 5")
		tree.Chain("low", "cg")
		tree.Chain("high", "cg", "end")
		tk := stacktest.NewSpace(t, s).Create(tree, map[string]any{"${level}": 7, "${unknown}": 1})
		stacktest.OK(t, tk.Operate("start"))
		st := tk.WaitTask("FINISHED")
		require.Contains(t, st.Children, tk.Nodes["high"])
		require.NotContains(t, st.Children, tk.Nodes["low"])
		stacktest.RecordHistory(t, s, tk.ID, "exclusive")
	})

	t.Run("conditional parallel and skip_cpg", func(t *testing.T) {
		t.Parallel()
		tree := pipelinetest.New()
		tree.Constant("x", 2)
		tree.Gateway("cpg", "ConditionalParallelGateway")
		tree.Gateway("cg", "ConvergeGateway")
		tree.Link("start", "cpg")
		for i, cond := range []string{"${x} > 1", "${x} > 2", "${x} > 0"} {
			id := fmt.Sprintf("c%d", i)
			tree.Display(id)
			tree.Cond("cpg", id, cond)
			tree.Link(id, "cg")
		}
		tree.Link("cg", "end")
		e := stacktest.NewSpace(t, s)
		tk := e.Create(tree, nil)
		stacktest.OK(t, tk.Operate("start"))
		st := tk.WaitTask("FINISHED")
		require.Contains(t, st.Children, tk.Nodes["c0"])
		require.NotContains(t, st.Children, tk.Nodes["c1"])
		require.Contains(t, st.Children, tk.Nodes["c2"])

		// No condition holds and there is no default: the gateway fails and
		// skip_cpg runs the chosen branches.
		tk = e.Create(tree, map[string]any{"${x}": -1})
		stacktest.OK(t, tk.Operate("start"))
		tk.WaitNode("cpg", "FAILED")
		require.Equal(t, "FAILED", tk.States().State)
		var d struct {
			PipelineTree struct {
				Gateways map[string]map[string]any `json:"gateways"`
			} `json:"pipeline_tree"`
		}
		require.NoError(t, json.Unmarshal(tk.Get("get_task_detail"), &d))
		gw := d.PipelineTree.Gateways[tk.Nodes["cpg"]]
		outgoing := gw["outgoing"].([]any)
		require.Len(t, outgoing, 3)
		require.Equal(t, tk.Nodes["cg"], gw["converge_gateway_id"])
		stacktest.OK(t, tk.Node("cpg", "skip_cpg", map[string]any{"flow_ids": outgoing[1:2], "converge_gateway_id": gw["converge_gateway_id"]}))
		st = tk.WaitTask("FINISHED")
		stacktest.RecordHistory(t, s, tk.ID, "skip_cpg")
		require.True(t, st.Children[tk.Nodes["cpg"]].Skip)
		require.Contains(t, st.Children, tk.Nodes["c1"])
		require.NotContains(t, st.Children, tk.Nodes["c0"])
	})

	t.Run("exclusive failure and skip_exg", func(t *testing.T) {
		t.Parallel()
		tree := pipelinetest.New()
		tree.Gateway("eg", "ExclusiveGateway")
		tree.Display("a")
		tree.Display("b")
		tree.Link("start", "eg")
		tree.Cond("eg", "a", "1 == 0")
		tree.Cond("eg", "b", "2 == 0")
		tree.Link("a", "end")
		tree.Link("b", "end")
		tk := stacktest.NewSpace(t, s).Create(tree, nil)
		stacktest.OK(t, tk.Operate("start"))
		tk.WaitNode("eg", "FAILED")
		require.Equal(t, "all conditions of branches are not meet", tk.Detail("eg").ExData)
		var d struct {
			PipelineTree struct {
				Flows map[string]struct{ Source, Target string } `json:"flows"`
			} `json:"pipeline_tree"`
		}
		require.NoError(t, json.Unmarshal(tk.Get("get_task_detail"), &d))
		var toB string
		for id, f := range d.PipelineTree.Flows {
			if f.Source == tk.Nodes["eg"] && f.Target == tk.Nodes["b"] {
				toB = id
			}
		}
		stacktest.Refused(t, tk.Node("eg", "skip_exg", map[string]any{"flow_id": "nope"}), "flow(nope) is not an outgoing flow of "+tk.Nodes["eg"])
		stacktest.OK(t, tk.Node("eg", "skip_exg", map[string]any{"flow_id": toB}))
		st := tk.WaitTask("FINISHED")
		require.Contains(t, st.Children, tk.Nodes["b"])
		stacktest.RecordHistory(t, s, tk.ID, "skip_exg")
	})

	t.Run("retry with new inputs, then skip", func(t *testing.T) {
		t.Parallel()
		tree := pipelinetest.New()
		tree.Activity("call", "bk_http_request", "v1.0", map[string]any{
			"bk_http_request_method": "GET", "bk_http_request_url": api.URL + "/fail", "bk_http_timeout": 5})
		tree.Activity("again", "bk_http_request", "v1.0", map[string]any{
			"bk_http_request_method": "GET", "bk_http_request_url": api.URL + "/fail"})
		tree.Output("answer", "call", "data")
		tree.Export("answer")
		tree.Chain("start", "call", "again", "end")
		tk := stacktest.NewSpace(t, s).Create(tree, nil)
		stacktest.OK(t, tk.Operate("start"))
		failed := tk.WaitNode("call", "FAILED")
		require.Equal(t, "FAILED", tk.States().State)
		stacktest.Refused(t, tk.Node("again", "retry", nil), "node("+tk.Nodes["again"]+") does not exist")
		stacktest.OK(t, tk.Node("call", "retry", map[string]any{"inputs": map[string]any{
			"bk_http_request_method": "GET", "bk_http_request_url": api.URL + "/ok", "bk_http_timeout": 5}}))
		retried := tk.WaitNode("call", "FINISHED")
		require.Equal(t, 1, retried.Retry)
		require.NotEqual(t, failed.Version, retried.Version)
		d := tk.Detail("call")
		require.Len(t, d.Histories, 1)
		require.Equal(t, "FAILED", d.Histories[0].State)
		require.Equal(t, map[string]any{"result": true, "data": map[string]any{"path": "/ok"}}, d.Output("data"))

		tk.WaitNode("again", "FAILED")
		stacktest.OK(t, tk.Node("again", "skip", nil))
		tk.WaitTask("FINISHED")
		stacktest.RecordHistory(t, s, tk.ID, "retry_skip")
		require.True(t, tk.State("again").Skip)
		var detail struct {
			Outputs []struct {
				Key   string `json:"key"`
				Value any    `json:"value"`
			} `json:"outputs"`
		}
		require.NoError(t, json.Unmarshal(tk.Get("get_task_detail"), &detail))
		require.Len(t, detail.Outputs, 1)
		require.Equal(t, "${answer}", detail.Outputs[0].Key)
		require.Equal(t, map[string]any{"result": true, "data": map[string]any{"path": "/ok"}}, detail.Outputs[0].Value)
	})

	t.Run("callback, forced fail and retry", func(t *testing.T) {
		t.Parallel()
		tree := pipelinetest.New()
		tree.Activity("approve", "pause_node", "legacy", map[string]any{"description": "approve it"})
		tree.Activity("hold", "pause_node", "legacy", map[string]any{"description": "forced"})
		tree.Chain("start", "approve", "hold", "end")
		tk := stacktest.NewSpace(t, s).Create(tree, nil)
		stacktest.OK(t, tk.Operate("start"))
		// RUNNING comes before the component has asked for a callback.
		st := tk.WaitFor("approve waits for its callback", func(st stacktest.StateTree) bool {
			n := st.Children[tk.Nodes["approve"]]
			return n.State == "RUNNING" && n.ScheduleType == "CALLBACK"
		})
		running := st.Children[tk.Nodes["approve"]]
		stacktest.Refused(t, tk.Node("approve", "callback", map[string]any{"version": "vstale", "data": 1}), "node version vstale not exist")
		stacktest.OK(t, tk.Node("approve", "callback", map[string]any{"version": running.Version, "data": map[string]any{"who": "alice"}}))
		tk.WaitNode("approve", "FINISHED")
		require.Equal(t, map[string]any{"who": "alice"}, tk.Detail("approve").Output("callback_data"))

		tk.WaitNode("hold", "RUNNING")
		stacktest.OK(t, tk.Node("hold", "forced_fail", map[string]any{"ex_data": "stop it"}))
		tk.WaitNode("hold", "FAILED")
		require.Equal(t, "stop it", tk.Detail("hold").ExData)
		stacktest.OK(t, tk.Node("hold", "retry", nil))
		again := tk.WaitNode("hold", "RUNNING")
		require.Equal(t, 1, again.Retry)
		stacktest.OK(t, tk.Node("hold", "callback", map[string]any{"data": "done"}))
		tk.WaitTask("FINISHED")
		// Once closed, details come from PostgreSQL and say the same.
		require.Eventually(t, func() bool {
			var d struct {
				IsFinished bool `json:"is_finished"`
			}
			_ = json.Unmarshal(tk.Get("get_task_detail"), &d)
			return d.IsFinished
		}, 10e9, 5e7)
		stacktest.RecordHistory(t, s, tk.ID, "callback_forced_fail")
		closed := tk.Detail("hold")
		require.Equal(t, "FINISHED", closed.State)
		require.Equal(t, 1, closed.Retry)
		require.Len(t, closed.Histories, 1)
		require.Equal(t, "stop it", closed.Histories[0].ExData)
		require.Equal(t, "done", closed.Output("callback_data"))
	})

	t.Run("pause and resume the task", func(t *testing.T) {
		t.Parallel()
		tree := pipelinetest.New()
		tree.Activity("wait", "pause_node", "legacy", nil)
		tree.Display("after")
		tree.Chain("start", "wait", "after", "end")
		tk := stacktest.NewSpace(t, s).Create(tree, nil)
		stacktest.OK(t, tk.Operate("start"))
		tk.WaitNode("wait", "RUNNING")
		stacktest.Refused(t, tk.Operate("resume"), fmt.Sprintf("pipeline(%s) state is: RUNNING", tk.States().ID))
		stacktest.OK(t, tk.Operate("pause"))
		tk.WaitTask("SUSPENDED")
		stacktest.OK(t, tk.Node("wait", "callback", map[string]any{"data": 1}))
		tk.WaitNode("wait", "FINISHED")
		require.NotContains(t, tk.States().Children, tk.Nodes["after"], "no node starts while the task is paused")
		stacktest.OK(t, tk.Operate("resume"))
		tk.WaitTask("FINISHED")
		stacktest.RecordHistory(t, s, tk.ID, "pause_resume")
	})

	t.Run("revoke", func(t *testing.T) {
		t.Parallel()
		tree := pipelinetest.New()
		tree.Activity("wait", "pause_node", "legacy", nil)
		tree.Chain("start", "wait", "end")
		tk := stacktest.NewSpace(t, s).Create(tree, nil)
		stacktest.Refused(t, tk.Operate("revoke"), "task is not started")
		stacktest.OK(t, tk.Operate("start"))
		tk.WaitNode("wait", "RUNNING")
		stacktest.OK(t, tk.Operate("revoke"))
		st := tk.WaitTask("REVOKED")
		stacktest.RecordHistory(t, s, tk.ID, "revoke")
		require.Equal(t, "REVOKED", st.Children[tk.Nodes["wait"]].State)
		stacktest.Refused(t, tk.Operate("pause"), fmt.Sprintf("pipeline(%s) state is: REVOKED", st.ID))
	})

	t.Run("subprocess with parameters and outputs", func(t *testing.T) {
		t.Parallel()
		child := pipelinetest.New()
		child.Constant("who", "nobody")
		child.Activity("echo", "debug_plugin", "v1.0.0", map[string]any{"string_input": "hello ${who}"})
		child.Output("greeting", "echo", "string_output")
		child.Export("greeting")
		child.Chain("start", "echo", "end")
		tree := pipelinetest.New()
		tree.Constant("name", "bkflow")
		tree.Subprocess("sub", child, map[string]any{"${who}": "${name}"})
		tree.Output("result", "sub", "${greeting}")
		tree.Export("result")
		tree.Chain("start", "sub", "end")
		tk := stacktest.NewSpace(t, s).Create(tree, nil)
		stacktest.OK(t, tk.Operate("start"))
		tk.WaitTask("FINISHED")
		stacktest.RecordHistory(t, s, tk.ID, "subprocess")
		d := tk.Detail("sub")
		require.Equal(t, "hello bkflow", d.Output("${greeting}"))
		childID := d.Output("task_id")
		require.NotNil(t, childID)
		var detail struct {
			Outputs []struct {
				Key   string `json:"key"`
				Value any    `json:"value"`
			} `json:"outputs"`
		}
		require.NoError(t, json.Unmarshal(tk.Get("get_task_detail"), &detail))
		require.Equal(t, "hello bkflow", detail.Outputs[0].Value)

		// The child is a task of its own, linked to its parent.
		r := s.Do(http.MethodGet, fmt.Sprintf("/space/%d/task/%v/get_task_detail/", tk.Space().ID, childID), tk.Space().Auth, nil)
		var cd struct {
			TriggerMethod  string `json:"trigger_method"`
			IsFinished     bool   `json:"is_finished"`
			ParentTaskInfo struct {
				TaskID int64 `json:"task_id"`
			} `json:"parent_task_info"`
		}
		require.NoError(t, json.Unmarshal(decode(t, r).Data, &cd))
		require.Equal(t, "subprocess", cd.TriggerMethod)
		require.True(t, cd.IsFinished)
		require.Equal(t, tk.ID, cd.ParentTaskInfo.TaskID)
	})

	t.Run("pause and resume a subprocess", func(t *testing.T) {
		t.Parallel()
		child := pipelinetest.New()
		child.Activity("wait", "pause_node", "legacy", nil)
		child.Display("after")
		child.Chain("start", "wait", "after", "end")
		tree := pipelinetest.New()
		tree.Subprocess("sub", child, nil)
		tree.Chain("start", "sub", "end")
		e := stacktest.NewSpace(t, s)
		tk := e.Create(tree, nil)
		stacktest.OK(t, tk.Operate("start"))
		tk.WaitNode("sub", "RUNNING")
		// The node is RUNNING a moment before its child task exists, and
		// pausing needs the child: until then the engine refuses with "not a
		// running subprocess".
		var paused stacktest.Envelope
		require.Eventually(t, func() bool {
			paused = tk.Node("sub", "pause_subprocess", nil)
			return paused.Result || !strings.Contains(paused.Message, "is not a running subprocess")
		}, 10e9, 5e7)
		stacktest.OK(t, paused)
		tk.WaitNode("sub", "SUSPENDED")
		require.Equal(t, "NODE_SUSPENDED", tk.States().State)
		stacktest.OK(t, tk.Node("sub", "resume_subprocess", nil))
		tk.WaitNode("sub", "RUNNING")
	})

	t.Run("refusals", func(t *testing.T) {
		t.Parallel()
		e := stacktest.NewSpace(t, s)
		tk := e.Create(pipelinetest.Linear(1), nil)
		r := s.Do(http.MethodPost, fmt.Sprintf("/space/%d/task/%d/operate_task/explode/", e.ID, tk.ID), e.Auth,
			map[string]any{"operator": "admin"})
		require.Equal(t, map[string]string{"operation": `must be one of start, pause, resume, revoke, got "explode"`}, fieldErrors(t, r))
		r = s.Do(http.MethodPost, fmt.Sprintf("/space/%d/task/%d/operate_task/start/", e.ID, tk.ID), e.Auth, map[string]any{})
		require.Equal(t, map[string]string{"operator": "This field is required."}, fieldErrors(t, r))
		r = s.Do(http.MethodGet, fmt.Sprintf("/space/%d/task/999999/get_task_states/", e.ID), e.Auth, nil)
		require.Equal(t, fmt.Sprintf("task(999999) does not exist in space %d", e.ID), decode(t, r).Message)

		bad := pipelinetest.New()
		bad.Display("orphan")
		bad.Link("start", "end")
		r = s.Do(http.MethodPost, fmt.Sprintf("/space/%d/create_task_without_template/", e.ID), e.Auth,
			map[string]any{"creator": "admin", "pipeline_tree": bad.Map()})
		msg := fieldErrors(t, r)["pipeline_tree"]
		require.Contains(t, msg, "流程树校验失败")
		require.Contains(t, msg, "orphan")

		unknown := pipelinetest.New()
		unknown.Activity("x", "no_such_plugin", "v1", nil)
		unknown.Chain("start", "x", "end")
		r = s.Do(http.MethodPost, fmt.Sprintf("/space/%d/create_task_without_template/", e.ID), e.Auth,
			map[string]any{"creator": "admin", "pipeline_tree": unknown.Map()})
		require.Contains(t, fieldErrors(t, r)["pipeline_tree"], "component no_such_plugin version v1 is not registered")

		// Another space's task is not visible from this space.
		other := stacktest.NewSpace(t, s)
		r = s.Do(http.MethodGet, fmt.Sprintf("/space/%d/task/%d/get_task_states/", other.ID, tk.ID), e.Auth, nil)
		require.Equal(t, fmt.Sprintf("task(%d) does not exist in space %d", tk.ID, other.ID), decode(t, r).Message)
	})
}
