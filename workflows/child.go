package workflows

import (
	"maps"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/bkflow/bkflow/activities"
	"github.com/bkflow/bkflow/internal/temporalclient"
	"github.com/bkflow/bkflow/workflows/pipeline"
)

// Child task news kinds.
const (
	newsFinished = "finished"
	newsFailed   = "failed"
	newsRevoked  = "revoked"
	newsRunning  = "running"
)

// msgChildFailed is the ex_data of a node whose child task failed.
const msgChildFailed = "子流程执行失败，请检查失败节点"

// startEmbeddedChild runs an embedded SubProcess node's pipeline as a child
// task of its own, with the node's rendered parameters as its constants.
func (r *run) startEmbeddedChild(ctx workflow.Context, node *pipeline.Node, ns *nodeState) error {
	if node.Pipeline == nil {
		r.failed(ctx, node, ns, "subprocess node has no pipeline", nil)
		return nil
	}
	constants := make(map[string]any, len(node.Params))
	//workflowcheck:ignore builds a map or an order-free aggregate
	for k := range node.Params {
		constants[k] = ns.Inputs[k]
	}
	spec := &activities.ChildTask{Name: node.Name, Tree: node.Pipeline, Constants: constants}
	if err := r.startChild(ctx, node, ns, spec); err != nil {
		if r.st.Root.State == StateRevoked {
			return errStop
		}
		r.failed(ctx, node, ns, err.Error(), nil)
	}
	return nil
}

// startChild creates the child task record and starts its workflow, then
// leaves the node waiting for the child's news.
func (r *run) startChild(ctx workflow.Context, node *pipeline.Node, ns *nodeState, spec *activities.ChildTask) error {
	root := r.in.TaskID
	if r.in.Parent != nil && r.in.Parent.RootID != 0 {
		root = r.in.Parent.RootID
	}
	var id int64
	err := workflow.ExecuteActivity(r.infraContext(ctx), activities.CreateChildTaskActivity, activities.CreateChildTaskInput{
		SpaceID: r.in.SpaceID, ParentTaskID: r.in.TaskID, RootTaskID: root, ParentNodeID: node.ID,
		ParentVersion: ns.Version, Name: spec.Name, Creator: r.in.Creator, TemplateID: spec.TemplateID,
		Tree: spec.Tree, TaskQueue: r.in.TaskQueue,
	}).Get(ctx, &id)
	if err != nil {
		return err
	}
	system := make(map[string]any, len(r.in.System)+2)
	maps.Copy(system, r.in.System)
	system["task_id"] = id
	system["task_name"] = spec.Name
	in := TaskInput{
		TaskID: id, SpaceID: r.in.SpaceID, TemplateID: spec.TemplateID, Name: spec.Name, Creator: r.in.Creator,
		Parent: &ParentRef{TaskID: r.in.TaskID, WorkflowID: r.wfID, NodeID: node.ID, Version: ns.Version, RootID: root},
		Tree:   withConstants(spec.Tree, spec.Constants), System: system, SpaceVars: r.in.SpaceVars,
		TaskQueue: r.in.TaskQueue, StartBy: r.st.Root.Executor, Limits: r.in.Limits, Timing: r.in.Timing,
	}
	opts := workflow.ChildWorkflowOptions{
		WorkflowID:            WorkflowID(id),
		TaskQueue:             workflow.GetInfo(ctx).TaskQueueName,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporalclient.SpaceID.ValueSet(r.in.SpaceID),
			temporalclient.TemplateID.ValueSet(spec.TemplateID),
			temporalclient.TaskID.ValueSet(id),
			temporalclient.Creator.ValueSet(r.in.Creator),
			temporalclient.State.ValueSet(StateRunning),
		),
		StaticSummary: "subprocess " + spec.Name + " of task " + WorkflowID(r.in.TaskID),
	}
	f := workflow.ExecuteChildWorkflow(workflow.WithChildOptions(ctx, opts), TaskWorkflow, in)
	var exec workflow.Execution
	if err := f.GetChildWorkflowExecution().Get(ctx, &exec); err != nil && !isAlreadyStarted(err) {
		return err
	}
	ns.ChildTaskID = id
	ns.ChildNews = nil
	ns.IsPluginChild = node.Type != pipeline.TypeSubProcess
	ns.Phase = phaseChild
	return nil
}

func isAlreadyStarted(err error) bool {
	return temporal.IsWorkflowExecutionAlreadyStartedError(err) || strings.Contains(err.Error(), "already started")
}

// withConstants returns tree with its variables overridden by constants
// (keys "${key}"; keys the tree does not have are ignored, as BKFlow does).
func withConstants(tree *pipeline.Engine, constants map[string]any) *pipeline.Engine {
	if len(constants) == 0 {
		return tree
	}
	t := *tree
	t.Inputs = make(map[string]pipeline.Var, len(tree.Inputs))
	//workflowcheck:ignore builds a map or an order-free aggregate
	for k, v := range tree.Inputs {
		if c, ok := constants[k]; ok {
			v.Value, v.Type = c, pipeline.VarPlain
		}
		t.Inputs[k] = v
	}
	return &t
}

// awaitChild waits for news of the node's child task and acts on it.
func (r *run) awaitChild(ctx workflow.Context, node *pipeline.Node, ns *nodeState) error {
	v := ns.Version
	if err := r.park(ctx, func() bool { return ns.Version != v || ns.ChildNews != nil }); err != nil {
		return err
	}
	if ns.Version != v {
		return nil
	}
	news := ns.ChildNews
	ns.ChildNews = nil
	switch news.Kind {
	case newsRunning:
		return nil
	case newsFinished:
		if ns.IsPluginChild {
			return r.childToComponent(ctx, node, ns, activities.ChildResult{TaskSuccess: true, TaskID: news.TaskID, Outputs: news.Outputs})
		}
		out := make(map[string]any, len(news.Outputs)+1)
		maps.Copy(out, news.Outputs)
		out["task_id"] = news.TaskID
		r.succeeded(ctx, node, ns, out)
	default: // failed, revoked
		if ns.IsPluginChild {
			return r.childToComponent(ctx, node, ns, activities.ChildResult{TaskSuccess: false, TaskID: news.TaskID})
		}
		ex := news.ExData
		if ex == "" {
			ex = msgChildFailed
		}
		r.failed(ctx, node, ns, ex, map[string]any{"task_id": news.TaskID})
	}
	return nil
}

// childToComponent hands a child task's result to subprocess_plugin's
// Schedule, which decides the node's outcome.
func (r *run) childToComponent(ctx workflow.Context, node *pipeline.Node, ns *nodeState, res activities.ChildResult) error {
	out, ok, err := r.call(ctx, node, ns, "schedule", res)
	if err != nil {
		return err
	}
	if ok {
		r.handle(ctx, node, ns, out)
	}
	return nil
}

// onChildNews files a child's news on its node, if it is still about the
// node's current run.
func (r *run) onChildNews(n ChildNews) {
	ns, ok := r.st.Nodes[n.NodeID]
	if !ok || ns.Version != n.Version || ns.ChildTaskID != n.TaskID {
		return
	}
	ns.ChildNews = &n
}

// tellParent signals the parent task (best effort: a closed parent has no
// use for the news).
func (r *run) tellParent(ctx workflow.Context, n ChildNews) {
	f := workflow.SignalExternalWorkflow(ctx, r.in.Parent.WorkflowID, "", SignalChild, n)
	r.pending = append(r.pending, pendingFuture{f: f, bestEffort: true})
}

// signalChild tells a child task to pause, resume or revoke.
func (r *run) signalChild(ctx workflow.Context, taskID int64, c ControlSignal) {
	f := workflow.SignalExternalWorkflow(ctx, WorkflowID(taskID), "", SignalControl, c)
	r.pending = append(r.pending, pendingFuture{f: f, bestEffort: true})
}

// signalChildren sends c to every child task still attached to a node.
func (r *run) signalChildren(ctx workflow.Context, c ControlSignal) {
	for _, id := range sortedKeys(r.st.Nodes) {
		ns := r.st.Nodes[id]
		if ns.ChildTaskID != 0 && ns.Phase == phaseChild {
			r.signalChild(ctx, ns.ChildTaskID, c)
		}
	}
}

// onControl applies a parent's pause/resume/revoke to this (child) task.
func (r *run) onControl(ctx workflow.Context, c ControlSignal) {
	switch c.Action {
	case "pause":
		if r.st.Root.State == StateRunning {
			r.pause(ctx, c.Operator)
		}
	case "resume":
		if r.st.Root.State == StateSuspended {
			r.resumeTask(ctx, c.Operator)
		}
	case "revoke":
		if r.st.Root.State != StateFinished && r.st.Root.State != StateRevoked {
			r.revoke(ctx, c.Operator)
		}
	}
}

// drainSignals applies signals received but not yet handled, before the run
// continues as new.
func (r *run) drainSignals(ctx workflow.Context) {
	childCh := workflow.GetSignalChannel(ctx, SignalChild)
	for {
		var n ChildNews
		if !childCh.ReceiveAsync(&n) {
			break
		}
		r.onChildNews(n)
	}
	ctlCh := workflow.GetSignalChannel(ctx, SignalControl)
	for {
		var c ControlSignal
		if !ctlCh.ReceiveAsync(&c) {
			break
		}
		r.onControl(ctx, c)
	}
}
