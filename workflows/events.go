package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/bkflow/bkflow/activities"
	"github.com/bkflow/bkflow/internal/temporalclient"
)

// Lifecycle events a task records (BKFlow's webhook event codes, plus
// task_started and node operations).
const (
	eventTaskStarted  = "task_started"
	eventTaskPaused   = "task_paused"
	eventTaskResumed  = "task_resumed"
	eventTaskRevoked  = "task_revoked"
	eventTaskFinished = "task_finished"
	eventTaskFailed   = "task_failed"
	eventNodeRetried  = "node_retried"
	eventNodeSkipped  = "node_skipped"
)

type pendingFuture struct {
	f workflow.Future
	// bestEffort futures (signals to other tasks) may fail without failing
	// this task.
	bestEffort bool
}

// emit records a lifecycle event durably (an activity writes it to
// PostgreSQL together with the task's state), without waiting for it; the
// task awaits every recording before it closes or continues as new.
func (r *run) emit(ctx workflow.Context, kind, nodeID string, payload map[string]any) {
	r.st.Event++
	in := activities.RecordEventInput{
		TaskID: r.in.TaskID, SpaceID: r.in.SpaceID, Seq: r.st.Event, Event: kind, NodeID: nodeID,
		State: r.taskState(), Payload: payload, At: workflow.Now(ctx),
	}
	f := workflow.ExecuteActivity(r.infraContext(ctx), activities.RecordEventActivity, in)
	r.pending = append(r.pending, pendingFuture{f: f})
}

// infraContext is for bkflow's own activities (task records, events): short,
// retried until they succeed, on the task's queue.
func (r *run) infraContext(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           r.in.TaskQueue,
		StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    30 * time.Second,
		},
	})
}

// taskState is the BKFlow task state of the whole task: the root state,
// FAILED while a node waits in failure, NODE_SUSPENDED while a node is
// suspended.
func (r *run) taskState() string {
	s := r.st.Root.State
	if s != StateRunning {
		return s
	}
	suspended := false
	//workflowcheck:ignore builds a map or an order-free aggregate
	for _, ns := range r.st.Nodes {
		if ns.State == StateFailed {
			return StateFailed
		}
		if ns.Suspended {
			suspended = true
		}
	}
	if suspended {
		return StateNodeSuspended
	}
	return s
}

// upsertState keeps the BkflowState search attribute current, so operators
// can find tasks by state in the Temporal UI.
func (r *run) upsertState(ctx workflow.Context) {
	s := r.taskState()
	if err := workflow.UpsertTypedSearchAttributes(ctx, temporalclient.State.ValueSet(s)); err != nil {
		r.log.Warn("upsert search attribute", "error", err)
	}
}

// persistFinal writes the closed task's state (node records in batches, then
// the task row) to PostgreSQL, so finished tasks are read without Temporal.
func (r *run) persistFinal(ctx workflow.Context) error {
	ids := sortedKeys(r.st.Nodes)
	const batch = 200
	for i := 0; i < len(ids); i += batch {
		part := make(map[string]any, batch)
		for _, id := range ids[i:min(i+batch, len(ids))] {
			part[id] = r.record(r.st.Nodes[id], true)
		}
		err := workflow.ExecuteActivity(r.infraContext(ctx), activities.SaveNodesActivity,
			activities.SaveNodesInput{TaskID: r.in.TaskID, Nodes: part}).Get(ctx, nil)
		if err != nil {
			return err
		}
	}
	return workflow.ExecuteActivity(r.infraContext(ctx), activities.FinishTaskActivity, activities.FinishTaskInput{
		TaskID: r.in.TaskID, State: r.st.Root.State, Outputs: r.st.Root.Outputs,
		Root: r.rootRecord(), FinishedAt: r.st.Root.FinishedAt,
	}).Get(ctx, nil)
}
