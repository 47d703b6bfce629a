package workflows

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/workflows/pipeline"
)

func TestLinearPipeline(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.run(linear(3))
	res := h.result()
	require.Equal(t, StateFinished, res.State)
	st := h.states()
	require.Equal(t, StateFinished, st.Root.State)
	for _, id := range []string{"start", "n1", "n2", "n3", "end"} {
		require.Equal(t, StateFinished, st.Nodes[id].State, id)
		require.Equal(t, 1, st.Nodes[id].Loop, id)
	}
	require.Equal(t, []string{"task_started", "task_finished"}, h.eventNames())
	require.NotNil(t, h.finished)
	require.Equal(t, StateFinished, h.finished.State)
	require.Len(t, h.nodes, 5, "every node record is stored when the task closes")
	d := h.detail("n2")
	require.Equal(t, map[string]any{"bk_display_message": "n2", "_loop": json.Number("1"), "_inner_loop": json.Number("1")}, d.Inputs)
	require.Equal(t, true, d.Outputs["_result"])
}

func TestParallelBranchesJoin(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBuilder()
	b.gateway("pg", pipeline.TypeParallel)
	b.gateway("cg", pipeline.TypeConverge)
	b.e.Nodes["pg"].ConvergeGatewayID = "cg"
	b.link("start", "pg")
	for _, id := range []string{"a", "b", "c"} {
		b.display(id)
		b.link("pg", id)
		b.link(id, "cg")
	}
	b.display("after")
	b.chain("cg", "after", "end")
	h.run(b.e)
	require.Equal(t, StateFinished, h.result().State)
	st := h.states()
	for _, id := range []string{"pg", "a", "b", "c", "cg", "after", "end"} {
		require.Equal(t, StateFinished, st.Nodes[id].State, id)
	}
	require.True(t, !st.Nodes["cg"].FinishedAt.Before(st.Nodes["c"].FinishedAt), "converge after every branch")
}

func TestExclusiveGatewayTakesOneBranch(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		x     any
		taken string
	}{
		{"first", 1, "one"},
		{"second", 2, "two"},
		{"default", 3, "other"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			b := newBuilder()
			b.variable("x", tc.x)
			b.gateway("eg", pipeline.TypeExclusive)
			b.gateway("cg", pipeline.TypeConverge)
			b.link("start", "eg")
			for _, id := range []string{"one", "two", "other"} {
				b.display(id)
				b.link(id, "cg")
			}
			b.cond("eg", "one", "${x} == 1")
			b.cond("eg", "two", "${x} == 2")
			b.def("eg", "other")
			b.link("cg", "end")
			h.run(b.e)
			require.Equal(t, StateFinished, h.result().State)
			st := h.states()
			for _, id := range []string{"one", "two", "other"} {
				_, ran := st.Nodes[id]
				require.Equal(t, id == tc.taken, ran, id)
			}
		})
	}
}

// TestExclusiveGatewayFailuresAndSkip: no condition holds and there is no
// default, so the gateway fails; skip_exg continues on the chosen branch.
func TestExclusiveGatewayFailuresAndSkip(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBuilder()
	b.variable("x", 5)
	b.gateway("eg", pipeline.TypeExclusive)
	b.display("one")
	b.display("two")
	b.link("start", "eg")
	b.cond("eg", "one", "${x} == 1")
	f2 := b.cond("eg", "two", "${x} > 1 and ${x} < 3")
	b.link("one", "end")
	b.link("two", "end")
	h.at(time.Second, func() {
		st := h.states()
		require.Equal(t, StateFailed, st.Nodes["eg"].State)
		require.Equal(t, StateFailed, st.Root.TaskState)
		require.Equal(t, "all conditions of branches are not meet", h.detail("eg").ExData)
		h.update(UpdateSkipExclusive, NodeOperationRequest{NodeID: "eg", FlowID: "nope"}, "flow(nope) is not an outgoing flow of eg")
		h.update(UpdateSkip, NodeOperationRequest{NodeID: "eg"}, "can not use skip_node api for ExclusiveGateway")
		h.update(UpdateSkipExclusive, NodeOperationRequest{NodeID: "eg", FlowID: f2, Operator: "admin"}, "")
	})
	h.run(b.e)
	require.Equal(t, StateFinished, h.result().State)
	st := h.states()
	require.True(t, st.Nodes["eg"].Skip)
	require.Equal(t, StateFinished, st.Nodes["two"].State)
	require.NotContains(t, st.Nodes, "one")
	require.Equal(t, []string{"task_started", "task_failed:eg", "node_skipped:eg", "task_finished"}, h.eventNames())
}

func TestExclusiveGatewayMultipleConditionsMeet(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBuilder()
	b.gateway("eg", pipeline.TypeExclusive)
	b.display("one")
	b.display("two")
	b.link("start", "eg")
	f1 := b.cond("eg", "one", "1 == 1")
	f2 := b.cond("eg", "two", "2 == 2")
	b.link("one", "end")
	b.link("two", "end")
	h.at(time.Second, func() {
		require.Equal(t, "multiple conditions meet: ['"+f1+"', '"+f2+"']", h.detail("eg").ExData)
		h.update(UpdateRevoke, OperationRequest{Operator: "admin"}, "")
	})
	h.run(b.e)
	require.Equal(t, StateRevoked, h.result().State)
}

// TestLoopThroughExclusiveGateway loops a node 4 times via a back edge,
// counting with value_assign.
func TestLoopThroughExclusiveGateway(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBuilder()
	b.variable("i", 0)
	b.act("inc", "value_assign", "v1.0.0", map[string]any{
		"bk_assignment_list": []any{map[string]any{"key": "i", "value": "${i + 1}", "value_type": "Int"}},
	})
	b.gateway("eg", pipeline.TypeExclusive)
	b.chain("start", "inc", "eg")
	b.cond("eg", "inc", "${i} < 4")
	b.cond("eg", "end", "${i} >= 4")
	h.run(b.e)
	require.Equal(t, StateFinished, h.result().State)
	st := h.states()
	require.Equal(t, 4, st.Nodes["inc"].Loop)
	require.Equal(t, 4, st.Nodes["eg"].Loop)
	d := h.detail("inc")
	require.Equal(t, json.Number("4"), d.Inputs["_loop"])
	require.Empty(t, d.Histories, "histories list attempts of the current loop only")
}

func TestRerunLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBuilder()
	b.display("body")
	b.gateway("eg", pipeline.TypeExclusive)
	b.chain("start", "body", "eg")
	b.cond("eg", "body", "1 == 1")
	b.cond("eg", "end", "1 == 0")
	h.at(time.Minute, func() {
		st := h.states()
		require.Equal(t, StateFailed, st.Nodes["body"].State)
		require.Equal(t, 6, st.Nodes["body"].Loop)
		require.Equal(t, "node execution exceed rerun limit 5", h.detail("body").ExData)
		h.update(UpdateRevoke, OperationRequest{Operator: "admin"}, "")
	})
	h.run(b.e, func(in *TaskInput) { in.Limits.MaxNodeRerun = 5 })
	require.Equal(t, StateRevoked, h.result().State)
}

func TestRetryWithNewInputsAndSkip(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBuilder()
	b.act("a", "test_flaky", "v1", map[string]any{"message": "boom a"})
	b.act("b", "test_flaky", "v1", map[string]any{"message": "boom b"})
	b.chain("start", "a", "b", "end")
	h.at(time.Second, func() {
		st := h.states()
		require.Equal(t, StateFailed, st.Nodes["a"].State)
		v1 := st.Nodes["a"].Version
		h.update(UpdateRetry, NodeOperationRequest{NodeID: "b"}, "node(b) does not exist")
		h.update(UpdateRetry, NodeOperationRequest{NodeID: "a", Operator: "admin",
			Inputs: map[string]any{"ok": true, "value": "${_system.task_name}"}}, "")
		h.at(time.Second, func() {
			st := h.states()
			require.Equal(t, StateFinished, st.Nodes["a"].State)
			require.Equal(t, 1, st.Nodes["a"].Retry)
			require.NotEqual(t, v1, st.Nodes["a"].Version, "a retry gets a new version")
			d := h.detail("a")
			require.Equal(t, "t", d.Outputs["echo"], "new inputs are rendered")
			require.Len(t, d.Histories, 1)
			require.Equal(t, "boom a", d.Histories[0].ExData)
			require.Equal(t, StateFailed, d.Histories[0].State)
			require.Equal(t, StateFailed, st.Nodes["b"].State)
			h.update(UpdateRetry, NodeOperationRequest{NodeID: "a"}, "a state is not FAILED, actual FINISHED")
			h.update(UpdateSkip, NodeOperationRequest{NodeID: "b", Operator: "admin"}, "")
		})
	})
	h.run(b.e)
	require.Equal(t, StateFinished, h.result().State)
	st := h.states()
	require.True(t, st.Nodes["b"].Skip)
	require.Equal(t, StateFinished, st.Nodes["b"].State)
	require.Equal(t, []string{"task_started", "task_failed:a", "node_retried:a", "task_failed:b", "node_skipped:b", "task_finished"},
		h.eventNames())
}

func TestErrorIgnorableAndAutoRetry(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBuilder()
	ig := b.act("ignored", "test_flaky", "v1", map[string]any{"message": "ignored failure"})
	ig.ErrorIgnorable = true
	ar := b.act("auto", "test_flaky", "v1", map[string]any{"message": "keeps failing"})
	ar.AutoRetry = pipeline.AutoRetry{Enable: true, Interval: 30, Times: 20} // clamped to 10 s and 10 times
	b.chain("start", "ignored", "auto", "end")
	h.at(5*time.Minute, func() {
		st := h.states()
		require.Equal(t, StateFinished, st.Nodes["ignored"].State)
		require.True(t, st.Nodes["ignored"].ErrorIgnored)
		require.Equal(t, StateFailed, st.Nodes["auto"].State)
		require.Equal(t, 10, st.Nodes["auto"].Retry)
		require.Equal(t, 11, h.calls["auto"])
		h.update(UpdateRevoke, OperationRequest{Operator: "admin"}, "")
	})
	h.run(b.e)
	require.Equal(t, StateRevoked, h.result().State)
	require.Equal(t, "ignored failure", h.detail("ignored").ExData)
}

func TestPauseAndResumeTask(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBuilder()
	b.act("wait", "sleep_timer", "legacy", map[string]any{"bk_timing": "60"})
	b.display("after")
	b.chain("start", "wait", "after", "end")
	h.at(10*time.Second, func() {
		h.update(UpdateResume, OperationRequest{}, "pipeline(pipeline) state is: RUNNING")
		h.update(UpdatePause, OperationRequest{Operator: "admin"}, "")
	})
	h.at(11*time.Second, func() { require.Equal(t, StateSuspended, h.states().Root.State) })
	h.at(5*time.Minute, func() {
		st := h.states()
		require.Equal(t, StateFinished, st.Nodes["wait"].State, "a running node finishes while paused")
		require.NotContains(t, st.Nodes, "after", "no new node starts while paused")
		h.update(UpdateResume, OperationRequest{Operator: "admin"}, "")
	})
	h.run(b.e)
	require.Equal(t, StateFinished, h.result().State)
	require.Equal(t, []string{"task_started", "task_paused", "task_resumed", "task_finished"}, h.eventNames())
}

func TestCallbackNode(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBuilder()
	b.act("pause", "pause_node", "legacy", map[string]any{"description": "wait"})
	b.chain("start", "pause", "end")
	h.at(time.Second, func() {
		st := h.states()
		require.Equal(t, StateRunning, st.Nodes["pause"].State)
		require.Equal(t, "CALLBACK", st.Nodes["pause"].ScheduleType)
		h.update(UpdateCallback, NodeOperationRequest{NodeID: "pause", Version: "v0", Data: 1}, "node version v0 not exist")
		h.update(UpdateCallback, NodeOperationRequest{NodeID: "pause", Version: st.Nodes["pause"].Version,
			Data: map[string]any{"approved": true}}, "")
	})
	h.run(b.e)
	require.Equal(t, StateFinished, h.result().State)
	require.Equal(t, map[string]any{"approved": true}, h.detail("pause").Outputs["callback_data"])
}

func TestForcedFailAndTimeout(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBuilder()
	b.act("manual", "pause_node", "legacy", nil)
	to := b.act("timed", "pause_node", "legacy", nil)
	to.Timeout = pipeline.Timeout{Enable: true, Seconds: 30, Action: pipeline.TimeoutForcedFailAndSkip}
	b.chain("start", "manual", "timed", "end")
	h.at(time.Second, func() {
		h.update(UpdateForcedFail, NodeOperationRequest{NodeID: "manual", Operator: "bob"}, "")
	})
	h.at(2*time.Second, func() {
		d := h.detail("manual")
		require.Equal(t, StateFailed, d.State)
		require.Equal(t, "forced fail by bob", d.ExData)
		require.Equal(t, true, d.Outputs["_forced_failed"])
		h.update(UpdateForcedFail, NodeOperationRequest{NodeID: "manual"}, "manual state is not RUNNING, actual: FAILED")
		h.update(UpdateSkip, NodeOperationRequest{NodeID: "manual", Operator: "bob"}, "")
	})
	h.run(b.e)
	require.Equal(t, StateFinished, h.result().State)
	st := h.states()
	require.True(t, st.Nodes["timed"].Skip, "the timeout forced_fail_and_skip skipped it")
	d := h.detail("timed")
	require.Len(t, d.Histories, 1)
	require.Equal(t, "forced fail by bkflow_engine", d.Histories[0].ExData)
}

func TestRevokeStopsTheTask(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBuilder()
	b.act("pause", "pause_node", "legacy", nil)
	b.display("never")
	b.chain("start", "pause", "never", "end")
	h.at(time.Second, func() {
		h.update(UpdateRevoke, OperationRequest{Operator: "admin"}, "")
	})
	h.run(b.e)
	require.Equal(t, StateRevoked, h.result().State)
	st := h.states()
	require.Equal(t, StateRevoked, st.Nodes["pause"].State)
	require.NotContains(t, st.Nodes, "never")
	require.Equal(t, StateRevoked, h.finished.State)
}

func TestVariablesAndOutputs(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBuilder()
	b.variable("name", "world")
	b.variable("greeting", "hello ${name}")
	b.variable("echoed", "")
	b.variable("shout", "${echoed.upper()}")
	n := b.act("echo", "debug_plugin", "v1.0.0", map[string]any{"string_input": "${greeting}!", "int_input": 3})
	n.Component.GlobalOutputs = map[string]string{"string_output": "${echoed}"}
	b.chain("start", "echo", "end")
	b.e.Outputs = []string{"${echoed}", "${shout}"}
	h.run(b.e)
	res := h.result()
	require.Equal(t, map[string]any{"${echoed}": "hello world!", "${shout}": "HELLO WORLD!"}, res.Outputs)
}

func TestMultipleCallbacks(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBuilder()
	b.act("m", "test_multi", "v1", nil)
	b.chain("start", "m", "end")
	for i, data := range []any{"one", "two", "done"} {
		h.at(time.Duration(i+1)*time.Second, func() {
			h.update(UpdateCallback, NodeOperationRequest{NodeID: "m", Data: data}, "")
		})
	}
	h.at(1500*time.Millisecond, func() {
		require.Equal(t, "MULTIPLE_CALLBACK", h.states().Nodes["m"].ScheduleType)
	})
	h.run(b.e)
	require.Equal(t, StateFinished, h.result().State)
	require.Equal(t, []any{"one", "two", "done"}, h.detail("m").Outputs["received"])
}

func TestConditionalParallelAndSkip(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBuilder()
	b.variable("x", 1)
	b.gateway("cpg", pipeline.TypeConditionalParallel)
	b.gateway("cg", pipeline.TypeConverge)
	b.e.Nodes["cpg"].ConvergeGatewayID = "cg"
	b.link("start", "cpg")
	var flows []string
	for i, cond := range []string{"${x} > 5", "${x} > 6"} {
		id := []string{"a", "b"}[i]
		b.display(id)
		flows = append(flows, b.cond("cpg", id, cond))
		b.link(id, "cg")
	}
	b.link("cg", "end")
	h.at(time.Second, func() {
		require.Equal(t, StateFailed, h.states().Nodes["cpg"].State)
		require.Equal(t, "all conditions of branches are not meet", h.detail("cpg").ExData)
		h.update(UpdateSkipConditional, NodeOperationRequest{NodeID: "cpg", FlowIDs: []string{"nope"}},
			"flow(nope) is not an outgoing flow of cpg")
		h.update(UpdateSkipConditional, NodeOperationRequest{NodeID: "cpg", FlowIDs: flows}, "")
	})
	h.run(b.e)
	require.Equal(t, StateFinished, h.result().State)
	st := h.states()
	require.True(t, st.Nodes["cpg"].Skip)
	require.Equal(t, StateFinished, st.Nodes["a"].State)
	require.Equal(t, StateFinished, st.Nodes["b"].State)
	require.Equal(t, StateFinished, st.Nodes["cg"].State)
}

func TestStartWaitsForTheStartUpdate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.at(time.Second, func() {
		require.Equal(t, StateCreated, h.states().Root.State)
		h.update(UpdatePause, OperationRequest{}, "pipeline(pipeline) state is: CREATED")
		h.update(UpdateStart, OperationRequest{Operator: "bob"}, "")
	})
	h.at(2*time.Second, func() {
		h.update(UpdateStart, OperationRequest{Operator: "bob"}, "task already started")
	})
	h.run(linear(1), func(in *TaskInput) { in.StartBy = "" })
	require.Equal(t, StateFinished, h.result().State)
	require.Equal(t, "bob", h.states().Root.Executor)
}

func TestMockNodes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := newBuilder()
	b.act("call", "test_flaky", "v1", map[string]any{"message": "would fail"})
	b.act("broken", "bk_display", "v1.0", nil)
	b.chain("start", "call", "broken", "end")
	h.at(time.Second, func() {
		require.Equal(t, "mocked failure", h.detail("broken").ExData)
		h.update(UpdateSkip, NodeOperationRequest{NodeID: "broken"}, "")
	})
	h.run(b.e, func(in *TaskInput) {
		in.Mock = &Mock{Nodes: []string{"call"}, Outputs: map[string]map[string]any{"call": {"echo": "canned"}},
			FailNodes: []string{"broken"}, Errors: map[string]string{"broken": "mocked failure"}}
	})
	require.Equal(t, StateFinished, h.result().State)
	require.Equal(t, "canned", h.detail("call").Outputs["echo"])
	require.Zero(t, h.calls["call"], "a mocked node does not run its component")
}
