// Package workflows is bkflow's execution engine: one generic Temporal
// workflow (the interpreter) that runs a task's pipeline_tree, with task and
// node operations as Temporal updates, state trees as queries, and the worker
// that hosts it. The pipeline model lives in workflows/pipeline and the
// expression languages in workflows/expr.
package workflows

import (
	"fmt"
	"time"

	"github.com/bkflow/bkflow/workflows/pipeline"
)

// TaskWorkflow is the registered name of the interpreter workflow.
const TaskWorkflow = "bkflow.Task"

// WorkflowID is the Temporal workflow id of a task.
func WorkflowID(taskID int64) string { return fmt.Sprintf("bkflow-task-%d", taskID) }

// Update, signal and query names.
const (
	UpdateStart            = "start"
	UpdatePause            = "pause"
	UpdateResume           = "resume"
	UpdateRevoke           = "revoke"
	UpdateRetry            = "retry"
	UpdateSkip             = "skip"
	UpdateCallback         = "callback"
	UpdateForcedFail       = "forced_fail"
	UpdateSkipExclusive    = "skip_exg"
	UpdateSkipConditional  = "skip_cpg"
	UpdatePauseSubprocess  = "pause_subprocess"
	UpdateResumeSubprocess = "resume_subprocess"

	QueryStates     = "states"
	QueryNodeDetail = "node_detail"

	// SignalChild carries a child task's news to its parent node.
	SignalChild = "bkflow.child"
	// SignalControl carries pause/resume/revoke from a parent to a child task.
	SignalControl = "bkflow.control"
)

// TaskInput is everything a task workflow needs. It is also the state carried
// across continue-as-new (Carry).
type TaskInput struct {
	TaskID     int64  `json:"task_id"`
	SpaceID    int64  `json:"space_id"`
	TemplateID int64  `json:"template_id,omitempty"`
	Name       string `json:"name"`
	Creator    string `json:"creator"`
	// Parent links a child task (independent subprocess) to the node that
	// runs it.
	Parent *ParentRef `json:"parent,omitempty"`

	Tree *pipeline.Engine `json:"tree"`
	// System holds the ${_system.*} attributes known at creation; the
	// interpreter adds operator, executor and task_start_time at start.
	System map[string]any `json:"system,omitempty"`
	// SpaceVars are the space variables, keys without the _space_ prefix.
	SpaceVars map[string]any `json:"space_vars,omitempty"`
	// TaskQueue is where the task's components run (its module's queue).
	TaskQueue string `json:"task_queue"`
	// Mock lists nodes that return canned outputs instead of running.
	Mock *Mock `json:"mock,omitempty"`
	// StartBy starts the task at once (child tasks); otherwise the task waits
	// for the start update.
	StartBy string  `json:"start_by,omitempty"`
	Limits  Limits  `json:"limits,omitzero"`
	Carry   *Carry  `json:"carry,omitempty"`
	Timing  *Timing `json:"timing,omitempty"`
}

// ParentRef names the parent task and node of a child task.
type ParentRef struct {
	TaskID     int64  `json:"task_id"`
	WorkflowID string `json:"workflow_id"`
	NodeID     string `json:"node_id"`
	// Version is the parent node's state version the child belongs to.
	Version string `json:"version"`
	RootID  int64  `json:"root_task_id"`
}

// Mock makes listed nodes return canned outputs (or fail) instead of running.
type Mock struct {
	Nodes   []string                  `json:"nodes"`
	Outputs map[string]map[string]any `json:"outputs,omitempty"`
	// FailNodes fail with Errors[node] as ex_data.
	FailNodes []string          `json:"fail_nodes,omitempty"`
	Errors    map[string]string `json:"errors,omitempty"`
}

// Limits bound a task's execution. Zero values mean the defaults.
type Limits struct {
	// MaxNodeRerun is how often one node may be re-entered through loops.
	MaxNodeRerun int `json:"max_node_rerun,omitempty"`
	// HistoryEvents is the history length at which the task continues as new
	// (when Temporal does not suggest it earlier).
	HistoryEvents int `json:"history_events,omitempty"`
	// ActivityTimeout bounds one component call.
	ActivityTimeout time.Duration `json:"activity_timeout,omitempty"`
	// ExprSteps bounds the Starlark steps of one ${} expression.
	ExprSteps uint64 `json:"expr_steps,omitempty"`
}

// Default limits.
const (
	DefaultMaxNodeRerun    = 100
	DefaultHistoryEvents   = 20000
	DefaultActivityTimeout = 10 * time.Minute
	DefaultExprSteps       = 100_000
)

func (l Limits) withDefaults() Limits {
	if l.MaxNodeRerun <= 0 {
		l.MaxNodeRerun = DefaultMaxNodeRerun
	}
	if l.HistoryEvents <= 0 {
		l.HistoryEvents = DefaultHistoryEvents
	}
	if l.ActivityTimeout <= 0 {
		l.ActivityTimeout = DefaultActivityTimeout
	}
	if l.ExprSteps == 0 {
		l.ExprSteps = DefaultExprSteps
	}
	return l
}

// Timing lets tests shorten the mock poll interval.
type Timing struct {
	MockPoll time.Duration `json:"mock_poll,omitempty"`
}

// TaskResult is what a task workflow returns when it closes.
type TaskResult struct {
	State   string         `json:"state"`
	Outputs map[string]any `json:"outputs,omitempty"`
}

// OperationRequest is the input of task operations (start, pause, resume,
// revoke).
type OperationRequest struct {
	Operator string `json:"operator"`
}

// NodeOperationRequest is the input of node operations. Which fields matter
// depends on the operation.
type NodeOperationRequest struct {
	NodeID   string `json:"node_id"`
	Operator string `json:"operator"`
	// Inputs replace the node's inputs on retry (when non-nil).
	Inputs map[string]any `json:"inputs,omitempty"`
	// Data is the callback payload; Version the node version it is for
	// (empty: the current one).
	Data    any    `json:"data,omitempty"`
	Version string `json:"version,omitempty"`
	// ExData is the forced_fail message.
	ExData string `json:"ex_data,omitempty"`
	// FlowID is skip_exg's branch; FlowIDs and ConvergeGatewayID skip_cpg's.
	FlowID            string   `json:"flow_id,omitempty"`
	FlowIDs           []string `json:"flow_ids,omitempty"`
	ConvergeGatewayID string   `json:"converge_gateway_id,omitempty"`
}

// NodeDetailRequest asks for one node's detail.
type NodeDetailRequest struct {
	NodeID string `json:"node_id"`
	// Loop selects an earlier loop of the node (0: the latest).
	Loop int `json:"loop,omitempty"`
}

// ChildNews is what a child task tells its parent node.
type ChildNews struct {
	NodeID  string `json:"node_id"`
	Version string `json:"version"`
	TaskID  int64  `json:"task_id"`
	// Kind is "finished", "failed", "revoked" or "running" (a failed child
	// was retried or skipped and runs again).
	Kind    string         `json:"kind"`
	Outputs map[string]any `json:"outputs,omitempty"`
	ExData  string         `json:"ex_data,omitempty"`
}

// ControlSignal is what a parent tells its child task.
type ControlSignal struct {
	Action   string `json:"action"` // pause, resume or revoke
	Operator string `json:"operator"`
}
