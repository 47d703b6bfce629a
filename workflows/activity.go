package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/bkflow/bkflow/activities"
	"github.com/bkflow/bkflow/workflows/pipeline"
)

// HeartbeatTimeout is how soon a component call whose worker died is retried
// elsewhere (the runtime heartbeats every third of it).
const HeartbeatTimeout = 15 * time.Second

// TimeoutOperator is who forced_fails a node whose timeout_config fired.
const TimeoutOperator = "bkflow_engine"

// Limits BKFlow puts on auto_retry.
const (
	maxAutoRetryTimes    = 10
	maxAutoRetryInterval = 10 // seconds
)

// activity runs a ServiceActivity (or an embedded SubProcess) node until it
// is finished or skipped, through failures, retries and waits, and returns
// the next node. It is a state machine over ns.Phase, so a run that
// continued as new resumes it where it stood (resumed).
func (r *run) activity(ctx workflow.Context, node *pipeline.Node, resumed bool) (string, error) {
	ns := r.st.Nodes[node.ID]
	if !resumed || ns == nil {
		var ok bool
		ns, ok = r.enter(ctx, node.ID)
		if ok {
			ns.Phase = phaseNone
		} else {
			ns.Phase = phaseOperation
			r.nodeFailed(ctx, node, ns)
		}
	}
	if ns.State == StateRunning && node.Timeout.Enable {
		r.watchTimeout(ctx, node, ns)
	}
	for {
		if r.st.Root.State == StateRevoked {
			return "", errStop
		}
		switch ns.Phase {
		case phaseNone, phaseExecute:
			if err := r.attempt(ctx, node, ns); err != nil {
				return "", err
			}
		case phasePoll:
			v := ns.Version
			if _, err := r.parkUntil(ctx, ns.PollAt, func() bool { return ns.Version != v }); err != nil {
				return "", err
			}
			if ns.Version != v {
				continue
			}
			ns.Polls++
			res, ok, err := r.call(ctx, node, ns, "schedule", nil)
			if err != nil {
				return "", err
			}
			if ok {
				r.handle(ctx, node, ns, res)
			}
		case phaseCallback, phaseMultiCallback:
			v := ns.Version
			if err := r.park(ctx, func() bool { return ns.Version != v || len(ns.Callbacks) > 0 }); err != nil {
				return "", err
			}
			if ns.Version != v {
				continue
			}
			data := ns.Callbacks[0]
			ns.Callbacks = ns.Callbacks[1:]
			ns.Polls++
			res, ok, err := r.call(ctx, node, ns, "schedule", data)
			if err != nil {
				return "", err
			}
			if ok {
				r.handle(ctx, node, ns, res)
			}
		case phaseChild:
			if err := r.awaitChild(ctx, node, ns); err != nil {
				return "", err
			}
		case phaseAutoRetry:
			v := ns.Version
			if _, err := r.parkUntil(ctx, ns.RetryAt, func() bool { return ns.Version != v }); err != nil {
				return "", err
			}
			if ns.Version != v {
				continue
			}
			ns.AutoRetries++
			r.rerun(ctx, ns, nil)
			r.emit(ctx, eventNodeRetried, node.ID, map[string]any{"operator": TimeoutOperator, "auto": true})
		case phaseOperation:
			next, done, err := r.awaitOperation(ctx, node, ns)
			if err != nil || done {
				return next, err
			}
		case phaseDone:
			ns.Phase = phaseNone
			return r.tree.Next(node), nil
		default:
			return "", temporal.NewNonRetryableApplicationError("unknown node phase "+ns.Phase, "InternalError", nil)
		}
	}
}

// phaseDone marks a node whose walk may move on.
const phaseDone = "done"

// attempt starts one run of the node: render its inputs, then mock it, start
// its child task or call the component's Execute.
func (r *run) attempt(ctx workflow.Context, node *pipeline.Node, ns *nodeState) error {
	ns.Phase = phaseExecute
	if ns.NewInputs != nil {
		ns.Inputs, ns.RenderWarnings = r.renderValue(ctx, ns, ns.NewInputs)
		ns.NewInputs = nil
	} else {
		ns.Inputs, ns.RenderWarnings = r.renderInputs(ctx, node, ns)
	}
	ns.Inputs["_loop"] = ns.Loop
	ns.Inputs["_inner_loop"] = ns.InnerLoopValue()

	if res, mocked := r.mocked(node); mocked {
		r.handle(ctx, node, ns, res)
		return nil
	}
	if node.Type == pipeline.TypeSubProcess {
		return r.startEmbeddedChild(ctx, node, ns)
	}
	if node.Component == nil {
		r.handle(ctx, node, ns, activities.Result{Outcome: activities.OutcomeFailed, ExData: "node has no component"})
		return nil
	}
	res, ok, err := r.call(ctx, node, ns, "execute", nil)
	if err != nil {
		return err
	}
	if ok {
		r.handle(ctx, node, ns, res)
	}
	return nil
}

// InnerLoopValue is the node's ${_inner_loop}: its loop count for a plain
// node (bamboo counts both on every re-entry).
func (n *nodeState) InnerLoopValue() int {
	if n.InnerLoop > 0 {
		return n.InnerLoop
	}
	return n.Loop
}

// call runs one component phase as an activity. ok is false when the node's
// version changed meanwhile (forced_fail): the result is stale and ignored.
func (r *run) call(ctx workflow.Context, node *pipeline.Node, ns *nodeState, phase string, callback any) (activities.Result, bool, error) {
	v := ns.Version
	actx, cancel := workflow.WithCancel(ctx)
	r.attempts[node.ID] = cancel
	defer func() {
		cancel()
		delete(r.attempts, node.ID)
	}()
	opts := workflow.ActivityOptions{
		TaskQueue:           r.in.TaskQueue,
		StartToCloseTimeout: r.lim.ActivityTimeout,
		HeartbeatTimeout:    HeartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
		Summary: fmt.Sprintf("%s %s: %s", node.ID, phase, node.Name),
	}
	in := activities.CallInput{
		Code: node.Component.Code, Version: componentVersion(node.Component), Phase: phase,
		Request: activities.Request{
			TaskID: r.in.TaskID, SpaceID: r.in.SpaceID, NodeID: node.ID, Version: v,
			Inputs: ns.Inputs, System: r.in.System, State: ns.CompState, Callback: callback, Polls: ns.Polls,
		},
	}
	var res activities.Result
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(actx, opts),
		activities.ActivityName(in.Code, in.Version), in).Get(actx, &res)
	if ns.Version != v {
		return res, false, nil
	}
	if err != nil {
		if r.st.Root.State == StateRevoked {
			return res, false, errStop
		}
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) && appErr.NonRetryable() {
			// An unknown component or invalid input: the node fails.
			return activities.Result{Outcome: activities.OutcomeFailed, ExData: appErr.Message()}, true, nil
		}
		if temporal.IsCanceledError(err) {
			return res, false, nil
		}
		return activities.Result{Outcome: activities.OutcomeFailed, ExData: err.Error()}, true, nil
	}
	return res, true, nil
}

// componentVersion is the registered version a node's component runs as.
func componentVersion(c *pipeline.Component) string {
	if c.Version == "" {
		return "legacy"
	}
	return c.Version
}

// handle applies a component result to the node.
func (r *run) handle(ctx workflow.Context, node *pipeline.Node, ns *nodeState, res activities.Result) {
	if res.State != nil {
		ns.CompState = res.State
	}
	switch res.Outcome {
	case activities.OutcomeFinished:
		if err := r.applyContextUpdates(res.ContextUpdates); err != nil {
			r.failed(ctx, node, ns, err.Error(), res.Outputs)
			return
		}
		r.succeeded(ctx, node, ns, res.Outputs)
	case activities.OutcomePoll:
		ns.Phase = phasePoll
		ns.ScheduleType = "POLL"
		after := res.PollAfter
		if after < 0 {
			after = 0
		}
		ns.PollAt = workflow.Now(ctx).Add(after)
	case activities.OutcomeCallback:
		ns.Phase = phaseCallback
		ns.ScheduleType = "CALLBACK"
	case activities.OutcomeMultiCallback:
		ns.Phase = phaseMultiCallback
		ns.ScheduleType = "MULTIPLE_CALLBACK"
	case activities.OutcomeChild:
		if res.Child == nil || res.Child.Tree == nil {
			r.failed(ctx, node, ns, "the component asked for a child task without a tree", res.Outputs)
			return
		}
		if len(res.Child.Constants) > 0 {
			// Constants the parent hands its child may reference the
			// parent's variables.
			res.Child.Constants, _ = r.renderValue(ctx, ns, res.Child.Constants)
		}
		if err := r.startChild(ctx, node, ns, res.Child); err != nil {
			r.failed(ctx, node, ns, err.Error(), nil)
		}
	default: // OutcomeFailed and anything unknown
		ex := res.ExData
		if ex == "" && res.Outcome != activities.OutcomeFailed {
			ex = fmt.Sprintf("component returned an unknown outcome %d", res.Outcome)
		}
		r.failed(ctx, node, ns, ex, res.Outputs)
	}
}

// succeeded finishes the node and writes its outputs to the context.
func (r *run) succeeded(ctx workflow.Context, node *pipeline.Node, ns *nodeState, outputs map[string]any) {
	ns.Outputs = r.nodeOutputs(ns, outputs, true)
	ns.ExData = ""
	ns.State = StateFinished
	ns.FinishedAt = workflow.Now(ctx)
	ns.Phase = phaseDone
	ns.ScheduleType = ""
	r.writeOutputs(node, ns.Outputs)
}

// failed handles a failed attempt: ignore it, retry it automatically, or
// leave the node FAILED waiting for an operation.
func (r *run) failed(ctx workflow.Context, node *pipeline.Node, ns *nodeState, exData string, outputs map[string]any) {
	ns.Outputs = r.nodeOutputs(ns, outputs, false)
	ns.Outputs["ex_data"] = exData
	ns.ExData = exData
	ns.FinishedAt = workflow.Now(ctx)
	ns.ScheduleType = ""
	if node.ErrorIgnorable {
		ns.State = StateFinished
		ns.ErrorIgnored = true
		ns.Phase = phaseDone
		r.writeOutputs(node, ns.Outputs)
		return
	}
	times := min(node.AutoRetry.Times, maxAutoRetryTimes)
	if node.AutoRetry.Enable && ns.AutoRetries < times {
		ns.State = StateFailed
		ns.Phase = phaseAutoRetry
		interval := min(max(node.AutoRetry.Interval, 0), maxAutoRetryInterval)
		ns.RetryAt = workflow.Now(ctx).Add(time.Duration(interval) * time.Second)
		return
	}
	ns.State = StateFailed
	ns.Phase = phaseOperation
	r.nodeFailed(ctx, node, ns)
}

// nodeFailed announces a node left FAILED for an operator.
func (r *run) nodeFailed(ctx workflow.Context, node *pipeline.Node, ns *nodeState) {
	r.upsertState(ctx)
	r.emit(ctx, eventTaskFailed, node.ID, map[string]any{"node_name": node.Name, "ex_data": ns.ExData})
	if r.in.Parent != nil {
		r.tellParent(ctx, ChildNews{NodeID: r.in.Parent.NodeID, Version: r.in.Parent.Version, TaskID: r.in.TaskID,
			Kind: "failed", ExData: "子流程执行失败，请检查失败节点"})
	}
}

// rerun starts a fresh attempt of a failed node: the failed attempt goes to
// the histories, the retry counter grows and the version changes.
func (r *run) rerun(ctx workflow.Context, ns *nodeState, inputs map[string]any) {
	ns.Histories = append(ns.Histories, ns.snapshot())
	ns.Retry++
	ns.Version = r.nextVersion()
	ns.State = StateRunning
	ns.StartedAt = workflow.Now(ctx)
	ns.FinishedAt = time.Time{}
	ns.Outputs, ns.ExData, ns.CompState, ns.Callbacks, ns.Polls = nil, "", nil, nil, 0
	ns.NewInputs = inputs
	ns.Phase = phaseNone
	ns.Op = nil
}

// awaitOperation waits, with the node FAILED, for retry, skip or (gateways)
// skip_exg/skip_cpg. done means the node is finished and next is where to go.
func (r *run) awaitOperation(ctx workflow.Context, node *pipeline.Node, ns *nodeState) (next string, done bool, err error) {
	if err := r.park(ctx, func() bool { return ns.Op != nil || (ns.ChildTaskID != 0 && ns.ChildNews != nil) }); err != nil {
		return "", false, err
	}
	if ns.Op == nil {
		// The failed child task was retried or skipped on its own: the node
		// runs again, waiting for the child.
		news := ns.ChildNews
		ns.ChildNews = nil
		if news.Kind == newsRunning || news.Kind == newsFinished {
			ns.State, ns.ExData, ns.Phase = StateRunning, "", phaseChild
			if news.Kind == newsFinished {
				ns.ChildNews = news
			}
			r.upsertState(ctx)
		}
		return "", false, nil
	}
	op := ns.Op
	ns.Op = nil
	r.upsertState(ctx)
	if r.in.Parent != nil {
		r.tellParent(ctx, ChildNews{NodeID: r.in.Parent.NodeID, Version: r.in.Parent.Version, TaskID: r.in.TaskID, Kind: "running"})
	}
	switch op.Kind {
	case UpdateRetry:
		r.rerun(ctx, ns, op.Inputs)
		if node.Timeout.Enable {
			r.watchTimeout(ctx, node, ns)
		}
		return "", false, nil
	case UpdateSkip:
		r.skipNode(ctx, ns)
		return r.tree.Next(node), true, nil
	default:
		return "", false, temporal.NewNonRetryableApplicationError("operation "+op.Kind+" does not apply to an activity", "InternalError", nil)
	}
}

// skipNode finishes a failed node as skipped: its outputs are not written to
// the context.
func (r *run) skipNode(ctx workflow.Context, ns *nodeState) {
	ns.Histories = append(ns.Histories, ns.snapshot())
	ns.Version = r.nextVersion()
	ns.State = StateFinished
	ns.Skip = true
	ns.FinishedAt = workflow.Now(ctx)
	ns.Phase = phaseNone
}

// forceFail fails a RUNNING node at once (forced_fail, or its timeout): the
// in-flight call is cancelled and any later result is ignored.
func (r *run) forceFail(ctx workflow.Context, node *pipeline.Node, ns *nodeState, exData string, thenSkip bool) {
	if cancel, ok := r.attempts[node.ID]; ok {
		cancel()
	}
	ns.Version = r.nextVersion()
	ns.State = StateFailed
	ns.ExData = exData
	if ns.Outputs == nil {
		ns.Outputs = map[string]any{}
	}
	ns.Outputs["ex_data"] = exData
	ns.Outputs["_forced_failed"] = true
	ns.Outputs["_result"] = false
	ns.FinishedAt = workflow.Now(ctx)
	ns.ScheduleType = ""
	ns.Callbacks = nil
	ns.Phase = phaseOperation
	if ns.ChildTaskID != 0 {
		r.signalChild(ctx, ns.ChildTaskID, ControlSignal{Action: "revoke", Operator: TimeoutOperator})
	}
	r.nodeFailed(ctx, node, ns)
	if thenSkip {
		ns.Op = &pendingOp{Kind: UpdateSkip, Operator: TimeoutOperator}
	}
}

// watchTimeout forced_fails the node when its current run lasts longer than
// its timeout_config allows. The watcher ends as soon as the node's version
// changes (it finished, failed or was retried).
func (r *run) watchTimeout(ctx workflow.Context, node *pipeline.Node, ns *nodeState) {
	v := ns.Version
	deadline := ns.StartedAt.Add(time.Duration(node.Timeout.Seconds) * time.Second)
	workflow.Go(ctx, func(gctx workflow.Context) {
		tctx, cancel := workflow.WithCancel(gctx)
		defer cancel()
		if d := deadline.Sub(workflow.Now(gctx)); d > 0 {
			fired := false
			timer := workflow.NewTimer(tctx, d)
			workflow.Go(tctx, func(c workflow.Context) { fired = timer.Get(c, nil) == nil })
			if err := workflow.Await(gctx, func() bool { return fired || ns.Version != v }); err != nil {
				return
			}
		}
		if ns.Version == v && ns.State == StateRunning {
			r.forceFail(gctx, node, ns, "forced fail by "+TimeoutOperator, node.Timeout.Action == pipeline.TimeoutForcedFailAndSkip)
		}
	})
}

// mocked returns the canned result of a mocked node.
func (r *run) mocked(node *pipeline.Node) (activities.Result, bool) {
	m := r.in.Mock
	if m == nil {
		return activities.Result{}, false
	}
	for _, id := range m.FailNodes {
		if id == node.ID || id == node.TemplateNodeID {
			ex := m.Errors[id]
			if ex == "" {
				ex = "mock failure"
			}
			return activities.Result{Outcome: activities.OutcomeFailed, ExData: ex}, true
		}
	}
	for _, id := range m.Nodes {
		if id == node.ID || id == node.TemplateNodeID {
			out := map[string]any{}
			//workflowcheck:ignore builds a map or an order-free aggregate
			for k, v := range m.Outputs[id] {
				out[k] = v
			}
			return activities.Result{Outcome: activities.OutcomeFinished, Outputs: out}, true
		}
	}
	return activities.Result{}, false
}
