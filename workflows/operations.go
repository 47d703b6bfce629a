package workflows

import (
	"errors"
	"fmt"
	"slices"

	"go.temporal.io/sdk/workflow"

	"github.com/bkflow/bkflow/workflows/pipeline"
)

// OperationError is an operation refused in the current state. Its message
// is bamboo-engine's, so the API can answer as BKFlow does.
type OperationError struct{ Msg string }

func (e *OperationError) Error() string { return e.Msg }

func refuse(format string, args ...any) error {
	return &OperationError{Msg: fmt.Sprintf(format, args...)}
}

func errNodeNotFound(id string) error { return refuse("node(%s) does not exist", id) }

// registerHandlers installs the queries, the operation updates (each with a
// validator, so a refused operation never enters the history) and the signal
// pumps.
func (r *run) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryStates, func() (StateTree, error) { return r.states(), nil }); err != nil {
		return err
	}
	if err := workflow.SetQueryHandler(ctx, QueryNodeDetail, r.nodeDetail); err != nil {
		return err
	}

	task := []struct {
		name     string
		validate func(OperationRequest) error
		apply    func(workflow.Context, OperationRequest)
	}{
		{UpdateStart, r.validateStart, func(c workflow.Context, o OperationRequest) { r.start(c, o.Operator) }},
		{UpdatePause, r.validatePause, func(c workflow.Context, o OperationRequest) { r.pause(c, o.Operator) }},
		{UpdateResume, r.validateResume, func(c workflow.Context, o OperationRequest) { r.resumeTask(c, o.Operator) }},
		{UpdateRevoke, r.validateRevoke, func(c workflow.Context, o OperationRequest) { r.revoke(c, o.Operator) }},
	}
	for _, op := range task {
		err := workflow.SetUpdateHandlerWithOptions(ctx, op.name,
			func(c workflow.Context, req OperationRequest) error { op.apply(c, req); return nil },
			workflow.UpdateHandlerOptions{Validator: func(_ workflow.Context, req OperationRequest) error { return op.validate(req) }})
		if err != nil {
			return err
		}
	}

	node := []struct {
		name     string
		validate func(NodeOperationRequest) error
		apply    func(workflow.Context, NodeOperationRequest)
	}{
		{UpdateRetry, r.validateRetry, r.applyRetry},
		{UpdateSkip, r.validateSkip, r.applyPending(UpdateSkip)},
		{UpdateCallback, r.validateCallback, r.applyCallback},
		{UpdateForcedFail, r.validateForcedFail, r.applyForcedFail},
		{UpdateSkipExclusive, r.validateSkipExclusive, r.applyPending(UpdateSkipExclusive)},
		{UpdateSkipConditional, r.validateSkipConditional, r.applyPending(UpdateSkipConditional)},
		{UpdatePauseSubprocess, r.validatePauseSubprocess, r.applyPauseSubprocess},
		{UpdateResumeSubprocess, r.validateResumeSubprocess, r.applyResumeSubprocess},
	}
	for _, op := range node {
		err := workflow.SetUpdateHandlerWithOptions(ctx, op.name,
			func(c workflow.Context, req NodeOperationRequest) error { op.apply(c, req); return nil },
			workflow.UpdateHandlerOptions{Validator: func(_ workflow.Context, req NodeOperationRequest) error { return op.validate(req) }})
		if err != nil {
			return err
		}
	}

	childCh := workflow.GetSignalChannel(ctx, SignalChild)
	workflow.Go(ctx, func(gctx workflow.Context) {
		for {
			var n ChildNews
			if !childCh.Receive(gctx, &n) {
				return
			}
			r.onChildNews(n)
		}
	})
	ctlCh := workflow.GetSignalChannel(ctx, SignalControl)
	workflow.Go(ctx, func(gctx workflow.Context) {
		for {
			var c ControlSignal
			if !ctlCh.Receive(gctx, &c) {
				return
			}
			r.onControl(gctx, c)
		}
	})
	return nil
}

// Task operations (§9.2).

func (r *run) validateStart(OperationRequest) error {
	if r.st.Root.State != StateCreated {
		return refuse("task already started")
	}
	return nil
}

func (r *run) validatePause(OperationRequest) error {
	if r.st.Root.State != StateRunning {
		return refuse("pipeline(%s) state is: %s", r.tree.ID, r.st.Root.State)
	}
	return nil
}

func (r *run) validateResume(OperationRequest) error {
	if r.st.Root.State != StateSuspended {
		return refuse("pipeline(%s) state is: %s", r.tree.ID, r.st.Root.State)
	}
	return nil
}

func (r *run) validateRevoke(OperationRequest) error {
	switch r.st.Root.State {
	case StateFinished, StateRevoked:
		return refuse("pipeline(%s) state is: %s", r.tree.ID, r.st.Root.State)
	case StateCreated:
		return refuse("task is not started")
	}
	return nil
}

func (r *run) pause(ctx workflow.Context, operator string) {
	r.st.Root.State = StateSuspended
	r.upsertState(ctx)
	r.emit(ctx, eventTaskPaused, "", map[string]any{"operation": "pause", "username": operator})
}

func (r *run) resumeTask(ctx workflow.Context, operator string) {
	r.st.Root.State = StateRunning
	r.upsertState(ctx)
	r.emit(ctx, eventTaskResumed, "", map[string]any{"operation": "resume", "username": operator})
}

func (r *run) revoke(ctx workflow.Context, operator string) {
	r.st.Root.State = StateRevoked
	r.st.Root.FinishedAt = workflow.Now(ctx)
	if r.cancelWalk != nil {
		r.cancelWalk()
	}
	r.emit(ctx, eventTaskRevoked, "", map[string]any{"operation": "revoke", "username": operator})
}

// Node operations (§9.3).

func (r *run) node(id string) (*pipeline.Node, *nodeState, error) {
	n, ok := r.tree.Nodes[id]
	if !ok {
		return nil, nil, errNodeNotFound(id)
	}
	ns, ok := r.st.Nodes[id]
	if !ok {
		return n, nil, refuse("node(%s) does not exist", id)
	}
	return n, ns, nil
}

// failedWaiting checks that a node is FAILED and waiting for an operation.
func (r *run) failedWaiting(id string) (*pipeline.Node, *nodeState, error) {
	n, ns, err := r.node(id)
	if err != nil {
		return nil, nil, err
	}
	if ns.State != StateFailed {
		return nil, nil, refuse("%s state is not FAILED, actual %s", id, ns.State)
	}
	if ns.Phase != phaseOperation || ns.Op != nil {
		return nil, nil, refuse("can not find sleep process with current node id: %s", id)
	}
	if r.st.Root.State == StateRevoked || r.st.Root.State == StateFinished {
		return nil, nil, refuse("pipeline(%s) state is: %s", r.tree.ID, r.st.Root.State)
	}
	return n, ns, nil
}

func (r *run) validateRetry(req NodeOperationRequest) error {
	n, _, err := r.failedWaiting(req.NodeID)
	if err != nil {
		return err
	}
	if (n.Type == pipeline.TypeActivity || n.Type == pipeline.TypeSubProcess) && !n.Retryable {
		return refuse("can not retry node(%s) with can_retry(False)", req.NodeID)
	}
	if n.Type != pipeline.TypeActivity && n.Type != pipeline.TypeSubProcess && n.Type != pipeline.TypeExclusive &&
		n.Type != pipeline.TypeConditionalParallel {
		return refuse("can not retry node(%s) of type %s", req.NodeID, n.Type)
	}
	return nil
}

func (r *run) applyRetry(ctx workflow.Context, req NodeOperationRequest) {
	ns := r.st.Nodes[req.NodeID]
	if ns.ChildTaskID != 0 {
		r.signalChild(ctx, ns.ChildTaskID, ControlSignal{Action: "revoke", Operator: req.Operator})
	}
	ns.Op = &pendingOp{Kind: UpdateRetry, Inputs: req.Inputs, Operator: req.Operator}
	r.emit(ctx, eventNodeRetried, req.NodeID, map[string]any{"operator": req.Operator})
}

func (r *run) validateSkip(req NodeOperationRequest) error {
	n, _, err := r.failedWaiting(req.NodeID)
	if err != nil {
		return err
	}
	if n.Type != pipeline.TypeActivity && n.Type != pipeline.TypeSubProcess {
		return refuse("can not use skip_node api for %s", n.Type)
	}
	if !n.Skippable {
		return refuse("can not skip this node")
	}
	return nil
}

// applyPending delivers a skip-like operation to the waiting node.
func (r *run) applyPending(kind string) func(workflow.Context, NodeOperationRequest) {
	return func(ctx workflow.Context, req NodeOperationRequest) {
		ns := r.st.Nodes[req.NodeID]
		if ns.ChildTaskID != 0 && kind == UpdateSkip {
			r.signalChild(ctx, ns.ChildTaskID, ControlSignal{Action: "revoke", Operator: req.Operator})
		}
		ns.Op = &pendingOp{Kind: kind, FlowID: req.FlowID, FlowIDs: req.FlowIDs, Operator: req.Operator}
		r.emit(ctx, eventNodeSkipped, req.NodeID, map[string]any{"operator": req.Operator, "operation": kind})
	}
}

func (r *run) validateCallback(req NodeOperationRequest) error {
	_, ns, err := r.node(req.NodeID)
	if err != nil {
		return err
	}
	if ns.State != StateRunning || !slices.Contains([]string{phaseExecute, phaseCallback, phaseMultiCallback}, ns.Phase) {
		return refuse("can not find sleep process with current node id: %s", req.NodeID)
	}
	if req.Version != "" && req.Version != ns.Version {
		return refuse("node version %s not exist", req.Version)
	}
	return nil
}

func (r *run) applyCallback(_ workflow.Context, req NodeOperationRequest) {
	ns := r.st.Nodes[req.NodeID]
	ns.Callbacks = append(ns.Callbacks, req.Data)
}

func (r *run) validateForcedFail(req NodeOperationRequest) error {
	n, ns, err := r.node(req.NodeID)
	if err != nil {
		return err
	}
	if n.Type != pipeline.TypeActivity && n.Type != pipeline.TypeSubProcess {
		return refuse("%s is not activity, actual: %s", req.NodeID, n.Type)
	}
	if ns.State != StateRunning {
		return refuse("%s state is not RUNNING, actual: %s", req.NodeID, ns.State)
	}
	return nil
}

func (r *run) applyForcedFail(ctx workflow.Context, req NodeOperationRequest) {
	n, ns := r.tree.Nodes[req.NodeID], r.st.Nodes[req.NodeID]
	ex := req.ExData
	if ex == "" {
		ex = "forced fail by " + req.Operator
	}
	r.forceFail(ctx, n, ns, ex, false)
}

func (r *run) validateSkipExclusive(req NodeOperationRequest) error {
	n, ok := r.tree.Nodes[req.NodeID]
	if !ok {
		return errNodeNotFound(req.NodeID)
	}
	if n.Type != pipeline.TypeExclusive {
		return refuse("%s is not exclusive gateway, actual: %s", req.NodeID, n.Type)
	}
	if _, _, err := r.failedWaiting(req.NodeID); err != nil {
		return err
	}
	if !slices.Contains(n.Outgoing, req.FlowID) {
		return refuse("flow(%s) is not an outgoing flow of %s", req.FlowID, req.NodeID)
	}
	return nil
}

func (r *run) validateSkipConditional(req NodeOperationRequest) error {
	n, ok := r.tree.Nodes[req.NodeID]
	if !ok {
		return errNodeNotFound(req.NodeID)
	}
	if n.Type != pipeline.TypeConditionalParallel {
		return refuse("%s is not conditional parallel gateway, actual: %s", req.NodeID, n.Type)
	}
	if _, _, err := r.failedWaiting(req.NodeID); err != nil {
		return err
	}
	if len(req.FlowIDs) == 0 {
		return refuse("flow_ids must not be empty")
	}
	for _, f := range req.FlowIDs {
		if !slices.Contains(n.Outgoing, f) {
			return refuse("flow(%s) is not an outgoing flow of %s", f, req.NodeID)
		}
	}
	if req.ConvergeGatewayID != "" && req.ConvergeGatewayID != n.ConvergeGatewayID {
		return refuse("converge gateway %s does not match %s's converge gateway %s", req.ConvergeGatewayID, req.NodeID, n.ConvergeGatewayID)
	}
	return nil
}

// subprocessNode checks a node runs a child task right now.
func (r *run) subprocessNode(id string) (*nodeState, error) {
	_, ns, err := r.node(id)
	if err != nil {
		return nil, err
	}
	if ns.Phase != phaseChild || ns.ChildTaskID == 0 || ns.State != StateRunning {
		return nil, refuse("node(%s) is not a running subprocess", id)
	}
	return ns, nil
}

func (r *run) validatePauseSubprocess(req NodeOperationRequest) error {
	ns, err := r.subprocessNode(req.NodeID)
	if err != nil {
		return err
	}
	if ns.Suspended {
		return refuse("subprocess(%s) is already suspended", req.NodeID)
	}
	return nil
}

func (r *run) applyPauseSubprocess(ctx workflow.Context, req NodeOperationRequest) {
	ns := r.st.Nodes[req.NodeID]
	ns.Suspended = true
	r.signalChild(ctx, ns.ChildTaskID, ControlSignal{Action: "pause", Operator: req.Operator})
	r.upsertState(ctx)
}

func (r *run) validateResumeSubprocess(req NodeOperationRequest) error {
	ns, err := r.subprocessNode(req.NodeID)
	if err != nil {
		return err
	}
	if !ns.Suspended {
		return refuse("subprocess(%s) state is: RUNNING", req.NodeID)
	}
	return nil
}

func (r *run) applyResumeSubprocess(ctx workflow.Context, req NodeOperationRequest) {
	ns := r.st.Nodes[req.NodeID]
	ns.Suspended = false
	r.signalChild(ctx, ns.ChildTaskID, ControlSignal{Action: "resume", Operator: req.Operator})
	r.upsertState(ctx)
}

// IsOperationError reports whether err is an operation refused by the
// workflow (possibly wrapped by Temporal's update machinery).
func IsOperationError(err error) bool {
	var oe *OperationError
	return errors.As(err, &oe)
}
