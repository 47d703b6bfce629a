package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/bkflow/bkflow/internal/store"
	"github.com/bkflow/bkflow/internal/telemetry"
	"github.com/bkflow/bkflow/internal/temporalclient"
	"github.com/bkflow/bkflow/workflows"
	"github.com/bkflow/bkflow/workflows/pipeline"
)

// taskRunner is the API's side of task execution: it starts task workflows
// and relays operations and queries to them.
type taskRunner struct {
	temporal client.Client
	store    *store.Store
	now      func() time.Time
	limits   workflows.Limits
}

// errOperation is an operation the engine refused; the API answers it as
// BKFlow's "task operation error".
type errOperation struct{ msg string }

func (e *errOperation) Error() string { return e.msg }

func operationError(format string, args ...any) error {
	return &errOperation{msg: fmt.Sprintf(format, args...)}
}

// start launches task t's workflow (update-with-start: the workflow is
// created with the start update, so a second start is refused by the
// workflow itself).
func (tr *taskRunner) start(ctx context.Context, t store.Task, sp store.Space, operator string) error {
	var tree pipeline.Engine
	if err := json.Unmarshal(t.ExecutionTree, &tree); err != nil {
		return fmt.Errorf("decode execution tree of task %d: %w", t.ID, err)
	}
	vars, err := tr.store.SpaceVariablesForRun(ctx, t.SpaceID)
	if err != nil {
		return fmt.Errorf("load space variables: %w", err)
	}
	ok, err := tr.store.TaskMarkStarted(ctx, t.ID, operator, t.ExecutionTree, tr.now())
	if err != nil {
		return err
	}
	if !ok {
		return operationError("task already started")
	}
	custom := customContext(t)
	in := workflows.TaskInput{
		TaskID: t.ID, SpaceID: t.SpaceID, Name: t.Name, Creator: t.Creator, Tree: &tree,
		System: systemVars(t, custom), TaskQueue: t.TaskQueue, Limits: tr.limits,
	}
	if len(vars) > 0 {
		// A snapshot at start, as BKFlow takes it: later edits do not reach
		// running tasks.
		in.SpaceVars = make(map[string]any, len(vars))
		for k, v := range vars {
			in.SpaceVars[k] = v
		}
	}
	if t.TemplateID != nil {
		in.TemplateID = *t.TemplateID
	}
	if len(t.MockData) > 0 {
		var m workflows.Mock
		if err := json.Unmarshal(t.MockData, &m); err == nil {
			in.Mock = &m
		}
	}
	startOp := tr.temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       workflows.WorkflowID(t.ID),
		TaskQueue:                t.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			temporalclient.SpaceID.ValueSet(t.SpaceID),
			temporalclient.TemplateID.ValueSet(in.TemplateID),
			temporalclient.TaskID.ValueSet(t.ID),
			temporalclient.Creator.ValueSet(t.Creator),
			temporalclient.State.ValueSet(workflows.StateRunning),
		),
		Memo:          map[string]any{"task_name": t.Name, "space_name": sp.Name},
		StaticSummary: fmt.Sprintf("%s (space %d)", t.Name, t.SpaceID),
	}, workflows.TaskWorkflow, in)
	// Every span of the task's workflow, activities and child tasks carries
	// its custom_span_attributes (through the tracing interceptor's baggage).
	spanAttrs, _ := custom["custom_span_attributes"].(map[string]any)
	ctx, _ = telemetry.WithSpanAttributes(ctx, spanAttrs)
	handle, err := tr.temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: startOp,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName: workflows.UpdateStart, Args: []any{workflows.OperationRequest{Operator: operator}},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err == nil {
		err = handle.Get(ctx, nil)
	}
	if err != nil {
		if opErr := asOperationError(err); opErr != nil {
			return opErr
		}
		// The workflow did not start: the task can be started again.
		if uerr := tr.store.TaskUnmarkStarted(context.WithoutCancel(ctx), t.ID); uerr != nil {
			err = errors.Join(err, uerr)
		}
		return fmt.Errorf("start workflow of task %d: %w", t.ID, err)
	}
	return nil
}

// operate relays a task or node operation to the task's workflow.
func (tr *taskRunner) operate(ctx context.Context, t store.Task, name string, arg any) error {
	if !t.IsStarted {
		return operationError("task is not started")
	}
	if t.IsFinished || t.IsRevoked {
		return operationError("pipeline(%s) state is: %s", t.InstanceID, t.State)
	}
	handle, err := tr.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflows.WorkflowID(t.ID), UpdateName: name, Args: []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(ctx, nil)
	}
	if err != nil {
		if opErr := asOperationError(err); opErr != nil {
			return opErr
		}
		if isClosed(err) {
			return operationError("pipeline(%s) is already closed", t.InstanceID)
		}
		return fmt.Errorf("%s task %d: %w", name, t.ID, err)
	}
	return nil
}

// states returns the task's state tree: from PostgreSQL once the task closed,
// else from its workflow.
func (tr *taskRunner) states(ctx context.Context, t store.Task) (workflows.StateTree, error) {
	if len(t.RootState) > 0 {
		return tr.storedStates(ctx, t)
	}
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	v, err := tr.temporal.QueryWorkflow(qctx, workflows.WorkflowID(t.ID), "", workflows.QueryStates)
	if err != nil {
		if noAnswer(err) {
			return workflows.StateTree{}, errNoWorker(t)
		}
		if isClosed(err) || isNotFound(err) {
			// It closed between our read and the query: read again.
			fresh, ferr := tr.store.TaskGet(ctx, t.ID)
			if ferr == nil && len(fresh.RootState) > 0 {
				return tr.storedStates(ctx, fresh)
			}
		}
		return workflows.StateTree{}, fmt.Errorf("query states of task %d: %w", t.ID, err)
	}
	var st workflows.StateTree
	if err := v.Get(&st); err != nil {
		return workflows.StateTree{}, fmt.Errorf("decode states of task %d: %w", t.ID, err)
	}
	return st, nil
}

func (tr *taskRunner) storedStates(ctx context.Context, t store.Task) (workflows.StateTree, error) {
	st := workflows.StateTree{TaskID: t.ID, Nodes: map[string]workflows.NodeRecord{}}
	if err := json.Unmarshal(t.RootState, &st.Root); err != nil {
		return st, fmt.Errorf("decode root state of task %d: %w", t.ID, err)
	}
	if len(t.Outputs) > 0 {
		if err := json.Unmarshal(t.Outputs, &st.Outputs); err != nil {
			return st, fmt.Errorf("decode outputs of task %d: %w", t.ID, err)
		}
	}
	recs, err := tr.store.TaskNodeRecords(ctx, t.ID)
	if err != nil {
		return st, err
	}
	for id, raw := range recs {
		var rec workflows.NodeRecord
		if err := json.Unmarshal(raw, &rec); err != nil {
			return st, fmt.Errorf("decode node %s of task %d: %w", id, t.ID, err)
		}
		rec.Inputs, rec.Outputs, rec.Histories = nil, nil, nil
		st.Nodes[id] = rec
	}
	return st, nil
}

// nodeDetail returns one node's record (a preview for nodes not reached).
func (tr *taskRunner) nodeDetail(ctx context.Context, t store.Task, nodeID string, loop int) (workflows.NodeRecord, error) {
	if len(t.RootState) > 0 {
		raw, err := tr.store.TaskNodeRecord(ctx, t.ID, nodeID)
		if errors.Is(err, store.ErrNotFound) {
			return tr.previewClosed(t, nodeID)
		}
		if err != nil {
			return workflows.NodeRecord{}, err
		}
		var rec workflows.NodeRecord
		if err := json.Unmarshal(raw, &rec); err != nil {
			return rec, fmt.Errorf("decode node %s of task %d: %w", nodeID, t.ID, err)
		}
		return workflows.LoopView(rec, loop), nil
	}
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	v, err := tr.temporal.QueryWorkflow(qctx, workflows.WorkflowID(t.ID), "", workflows.QueryNodeDetail,
		workflows.NodeDetailRequest{NodeID: nodeID, Loop: loop})
	if err != nil {
		if noAnswer(err) {
			return workflows.NodeRecord{}, errNoWorker(t)
		}
		if opErr := asOperationError(err); opErr != nil {
			return workflows.NodeRecord{}, opErr
		}
		return workflows.NodeRecord{}, fmt.Errorf("query node %s of task %d: %w", nodeID, t.ID, err)
	}
	var rec workflows.NodeRecord
	if err := v.Get(&rec); err != nil {
		return rec, fmt.Errorf("decode node %s of task %d: %w", nodeID, t.ID, err)
	}
	return rec, nil
}

// previewClosed describes a node a closed task never reached.
func (tr *taskRunner) previewClosed(t store.Task, nodeID string) (workflows.NodeRecord, error) {
	var tree pipeline.Engine
	if err := json.Unmarshal(t.ExecutionTree, &tree); err != nil {
		return workflows.NodeRecord{}, fmt.Errorf("decode execution tree of task %d: %w", t.ID, err)
	}
	n, ok := tree.Nodes[nodeID]
	if !ok {
		return workflows.NodeRecord{}, operationError("node(%s) does not exist", nodeID)
	}
	return workflows.NodeRecord{ID: n.ID, Name: n.Name, Type: n.Type, State: workflows.StateReady,
		ErrorIgnorable: n.ErrorIgnorable, Inputs: map[string]any{}, Outputs: map[string]any{}}, nil
}

// customContext is the task's extra_info.custom_context: credentials,
// custom_span_attributes and whatever else the caller gave.
func customContext(t store.Task) map[string]any {
	var extra struct {
		CustomContext map[string]any `json:"custom_context"`
	}
	if json.Unmarshal(t.ExtraInfo, &extra) != nil {
		return nil
	}
	return extra.CustomContext
}

// systemVars are the ${_system.*} attributes known when a task starts: the
// task's own, then its custom context.
func systemVars(t store.Task, custom map[string]any) map[string]any {
	sys := map[string]any{
		"task_id": t.ID, "task_name": t.Name, "task_space_id": t.SpaceID, "is_mock": t.CreateMethod == "MOCK",
		"task_scope_type": deref(t.ScopeType), "task_scope_value": deref(t.ScopeValue),
	}
	for k, v := range custom {
		sys[k] = v
	}
	return sys
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// asOperationError recognises a refusal from the workflow's update
// validators and returns it as an operation error.
func asOperationError(err error) error {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == "OperationError" {
		return &errOperation{msg: appErr.Message()}
	}
	return nil
}

// queryTimeout bounds a state query: queries are answered by workers, and a
// dead worker's sticky queue makes Temporal wait before asking another.
const queryTimeout = 15 * time.Second

// noAnswer reports whether a query failed because no worker answered.
func noAnswer(err error) bool {
	var dl *serviceerror.DeadlineExceeded
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &dl)
}

// errNoWorker is the answer when a running task's workflow cannot be asked.
func errNoWorker(t store.Task) error {
	return &Error{Status: http.StatusOK, Code: http.StatusServiceUnavailable,
		Message: fmt.Sprintf("task %d is running but no worker answered in time: is a bkflow worker polling task queue %s?",
			t.ID, t.TaskQueue)}
}

func isClosed(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf) && strings.Contains(strings.ToLower(nf.Error()), "completed") ||
		strings.Contains(strings.ToLower(err.Error()), "workflow execution already completed")
}

func isNotFound(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}
