package workflows

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"

	"github.com/bkflow/bkflow/activities"
	"github.com/bkflow/bkflow/internal/temporalclient"
	"github.com/bkflow/bkflow/workflows/pipeline"
)

// harness runs the interpreter on Temporal's test environment with the real
// components and in-memory stand-ins for bkflow's task record activities.
type harness struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment

	mu       sync.Mutex
	events   []activities.RecordEventInput
	finished *activities.FinishTaskInput
	nodes    map[string]any
	children int64
	calls    map[string]int // component calls per node

	pendingUpdates int
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetDataConverter(temporalclient.PayloadConverter())
	h := &harness{t: t, env: env, nodes: map[string]any{}, children: 100, calls: map[string]int{}}
	Register(env)
	reg := activities.NewRegistry()
	for _, c := range []activities.Component{
		activities.NewDisplay(), activities.NewPause(), activities.NewDebugPlugin(), activities.NewValueAssign(),
		activities.NewSleepTimer(time.UTC, env.Now), &flaky{h: h}, multi{},
	} {
		require.NoError(t, reg.Register(c))
	}
	comps := &activities.Components{Registry: reg, Now: env.Now}
	comps.Register(env)
	env.RegisterActivityWithOptions(h.recordEvent, activity.RegisterOptions{Name: activities.RecordEventActivity})
	env.RegisterActivityWithOptions(h.saveNodes, activity.RegisterOptions{Name: activities.SaveNodesActivity})
	env.RegisterActivityWithOptions(h.finish, activity.RegisterOptions{Name: activities.FinishTaskActivity})
	env.RegisterActivityWithOptions(h.createChild, activity.RegisterOptions{Name: activities.CreateChildTaskActivity})
	env.SetTestTimeout(30 * time.Second)
	return h
}

func (h *harness) recordEvent(_ context.Context, in activities.RecordEventInput) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if in.TaskID == 1 {
		h.events = append(h.events, in)
	}
	return nil
}

func (h *harness) saveNodes(_ context.Context, in activities.SaveNodesInput) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, v := range in.Nodes {
		h.nodes[fmt.Sprintf("%d/%s", in.TaskID, k)] = v
	}
	return nil
}

func (h *harness) finish(_ context.Context, in activities.FinishTaskInput) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if in.TaskID == 1 {
		h.finished = &in
	}
	return nil
}

func (h *harness) createChild(_ context.Context, _ activities.CreateChildTaskInput) (int64, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.children++
	return h.children, nil
}

// eventNames lists the recorded events of the root task in sequence order:
// record-event activities may complete in any order, as in production, where
// the outbox orders them by seq.
func (h *harness) eventNames() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	events := slices.Clone(h.events)
	slices.SortStableFunc(events, func(a, b activities.RecordEventInput) int { return cmp.Compare(a.Seq, b.Seq) })
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Event
		if e.NodeID != "" {
			out[i] += ":" + e.NodeID
		}
	}
	return out
}

// run executes the tree as task 1, started by "admin".
func (h *harness) run(tree *pipeline.Engine, opts ...func(*TaskInput)) {
	in := TaskInput{TaskID: 1, SpaceID: 1, Name: "t", Creator: "admin", Tree: tree, TaskQueue: "test",
		StartBy: "admin", System: map[string]any{"task_id": 1, "task_name": "t"}}
	for _, o := range opts {
		o(&in)
	}
	h.env.ExecuteWorkflow(TaskWorkflow, in)
}

// result checks the workflow completed and returns its result.
func (h *harness) result() TaskResult {
	h.t.Helper()
	require.True(h.t, h.env.IsWorkflowCompleted(), "workflow did not complete")
	require.Zero(h.t, h.pendingUpdates, "updates still pending")
	require.NoError(h.t, h.env.GetWorkflowError())
	var res TaskResult
	require.NoError(h.t, h.env.GetWorkflowResult(&res))
	return res
}

// states queries the task's state tree.
func (h *harness) states() StateTree {
	h.t.Helper()
	v, err := h.env.QueryWorkflow(QueryStates)
	require.NoError(h.t, err)
	var st StateTree
	require.NoError(h.t, v.Get(&st))
	return st
}

func (h *harness) detail(node string) NodeRecord {
	h.t.Helper()
	v, err := h.env.QueryWorkflow(QueryNodeDetail, NodeDetailRequest{NodeID: node})
	require.NoError(h.t, err)
	var rec NodeRecord
	require.NoError(h.t, v.Get(&rec))
	return rec
}

// update sends an update; want is the refusal text expected ("" for
// success). Updates complete asynchronously in the test environment, so the
// check happens in the callback and result() verifies every update finished.
func (h *harness) update(name string, arg any, want string) {
	h.t.Helper()
	h.mu.Lock()
	h.pendingUpdates++
	h.mu.Unlock()
	finish := func(err error) {
		h.mu.Lock()
		h.pendingUpdates--
		h.mu.Unlock()
		if want == "" {
			if err != nil {
				h.t.Errorf("update %s %+v refused: %v", name, arg, err)
			}
			return
		}
		if err == nil || err.Error() != want {
			h.t.Errorf("update %s %+v: got error %v, want %q", name, arg, err, want)
		}
	}
	h.env.UpdateWorkflow(name, fmt.Sprintf("%s-%d", name, time.Now().UnixNano()), &testsuite.TestUpdateCallback{
		OnAccept:   func() {},
		OnReject:   finish,
		OnComplete: func(_ interface{}, err error) { finish(err) },
	}, arg)
}

// at schedules fn at simulated time d after the start.
func (h *harness) at(d time.Duration, fn func()) { h.env.RegisterDelayedCallback(fn, d) }

// flaky fails unless its input "ok" is true; "message" is its ex_data.
type flaky struct{ h *harness }

func (f *flaky) Spec() activities.Spec {
	return activities.Spec{Code: "test_flaky", Version: "v1", Name: "flaky",
		Outputs: []activities.Field{{Key: "echo", Type: "any"}}}
}

func (f *flaky) Execute(_ context.Context, req activities.Request) (activities.Result, error) {
	f.h.mu.Lock()
	f.h.calls[req.NodeID]++
	f.h.mu.Unlock()
	if ok, _ := req.Inputs["ok"].(bool); ok {
		return activities.Result{Outcome: activities.OutcomeFinished, Outputs: map[string]any{"echo": req.Inputs["value"]}}, nil
	}
	msg, _ := req.Inputs["message"].(string)
	if msg == "" {
		msg = "flaky failed"
	}
	return activities.Result{Outcome: activities.OutcomeFailed, ExData: msg}, nil
}

func (f *flaky) Schedule(context.Context, activities.Request) (activities.Result, error) {
	return activities.Result{Outcome: activities.OutcomeFailed, ExData: "no schedule"}, nil
}

// builder assembles engine trees for tests: start → ... → end.
type builder struct {
	e     *pipeline.Engine
	flows int
}

func newBuilder() *builder {
	b := &builder{e: &pipeline.Engine{ID: "pipeline", StartID: "start", EndID: "end",
		Nodes: map[string]*pipeline.Node{}, Flows: map[string]*pipeline.Flow{}, Inputs: map[string]pipeline.Var{}}}
	b.add(&pipeline.Node{ID: "start", Type: pipeline.TypeStart, Name: "start"})
	b.add(&pipeline.Node{ID: "end", Type: pipeline.TypeEnd, Name: "end"})
	return b
}

func (b *builder) add(n *pipeline.Node) *pipeline.Node {
	b.e.Nodes[n.ID] = n
	return n
}

// act adds a ServiceActivity running code@version with inputs (values
// containing ${} are rendered).
func (b *builder) act(id, code, version string, inputs map[string]any) *pipeline.Node {
	in := map[string]pipeline.Input{}
	for k, v := range inputs {
		typ := pipeline.VarPlain
		if raw, _ := json.Marshal(v); strings.Contains(string(raw), "${") {
			typ = pipeline.VarSplice
		}
		in[k] = pipeline.Input{Type: typ, Value: v, NeedRender: true}
	}
	return b.add(&pipeline.Node{ID: id, Type: pipeline.TypeActivity, Name: id, Skippable: true, Retryable: true,
		Component: &pipeline.Component{Code: code, Version: version, Inputs: in}})
}

func (b *builder) display(id string) *pipeline.Node {
	return b.act(id, "bk_display", "v1.0", map[string]any{"bk_display_message": id})
}

func (b *builder) gateway(id, typ string) *pipeline.Node {
	return b.add(&pipeline.Node{ID: id, Type: typ, Name: id})
}

// link connects from → to and returns the flow id.
func (b *builder) link(from, to string) string {
	b.flows++
	id := fmt.Sprintf("f%d", b.flows)
	b.e.Flows[id] = &pipeline.Flow{ID: id, Source: from, Target: to}
	b.e.Nodes[from].Outgoing = append(b.e.Nodes[from].Outgoing, id)
	b.e.Nodes[to].Incoming = append(b.e.Nodes[to].Incoming, id)
	return id
}

// chain links the nodes in order.
func (b *builder) chain(ids ...string) {
	for i := 0; i+1 < len(ids); i++ {
		b.link(ids[i], ids[i+1])
	}
}

// cond links a conditional gateway to target under evaluate.
func (b *builder) cond(gw, target, evaluate string) string {
	f := b.link(gw, target)
	b.e.Nodes[gw].Conditions = append(b.e.Nodes[gw].Conditions,
		pipeline.Condition{FlowID: f, TargetID: target, Name: f, Evaluate: evaluate})
	return f
}

// def links gw's default branch to target.
func (b *builder) def(gw, target string) string {
	f := b.link(gw, target)
	b.e.Nodes[gw].Default = &pipeline.Condition{FlowID: f, TargetID: target, Name: "default"}
	return f
}

// variable adds a pipeline variable.
func (b *builder) variable(key string, value any) {
	typ := pipeline.VarPlain
	if s, ok := value.(string); ok && strings.Contains(s, "${") {
		typ = pipeline.VarSplice
	}
	b.e.Inputs["${"+key+"}"] = pipeline.Var{Type: typ, Value: value}
}

// linear builds start → n bk_display nodes → end.
func linear(n int) *pipeline.Engine {
	b := newBuilder()
	ids := []string{"start"}
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("n%d", i)
		b.display(id)
		ids = append(ids, id)
	}
	b.chain(append(ids, "end")...)
	return b.e
}

// multi waits for callbacks until one says "done"; its output counts them.
type multi struct{}

func (multi) Spec() activities.Spec {
	return activities.Spec{Code: "test_multi", Version: "v1", Name: "multi",
		Outputs: []activities.Field{{Key: "received", Type: "list"}}}
}

func (multi) Execute(context.Context, activities.Request) (activities.Result, error) {
	return activities.Result{Outcome: activities.OutcomeMultiCallback, State: map[string]any{"received": []any{}}}, nil
}

func (multi) Schedule(_ context.Context, req activities.Request) (activities.Result, error) {
	got, _ := req.State["received"].([]any)
	got = append(got, req.Callback)
	if req.Callback == "done" {
		return activities.Result{Outcome: activities.OutcomeFinished, Outputs: map[string]any{"received": got}}, nil
	}
	return activities.Result{Outcome: activities.OutcomeMultiCallback, State: map[string]any{"received": got}}, nil
}
