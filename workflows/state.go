package workflows

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// Node and pipeline states (bamboo-engine's names).
const (
	StateCreated   = "CREATED"
	StateReady     = "READY"
	StateRunning   = "RUNNING"
	StateSuspended = "SUSPENDED"
	StateFinished  = "FINISHED"
	StateFailed    = "FAILED"
	StateRevoked   = "REVOKED"
	// StateNodeSuspended is the pseudo-state get_task_states reports for a
	// running pipeline with a suspended node.
	StateNodeSuspended = "NODE_SUSPENDED"
)

// Phases of a running node: what it waits for. They make a node resumable
// after continue-as-new.
const (
	phaseNone          = ""
	phaseExecute       = "execute"        // a component call is in flight
	phasePoll          = "poll"           // waiting for PollAt, then Schedule
	phaseCallback      = "callback"       // waiting for one callback
	phaseMultiCallback = "multi_callback" // waiting for callbacks until done
	phaseChild         = "child"          // a child task runs
	phaseAutoRetry     = "auto_retry"     // failed; retries at RetryAt
	phaseOperation     = "operation"      // failed; waits for retry/skip/...
)

// Carry is the task state handed from one run to the next at
// continue-as-new. It holds everything the interpreter knows.
type Carry struct {
	Root  rootState             `json:"root"`
	Nodes map[string]*nodeState `json:"nodes"`
	// Vars are runtime context values (keys "${key}"): node outputs,
	// value_assign results and pre-rendered variables.
	Vars  map[string]any    `json:"vars"`
	Procs map[int]*proc     `json:"procs"`
	Seq   int               `json:"seq"`
	Count int               `json:"continued"` // how many times the task continued as new
	Event int               `json:"event_seq"`
	Stash map[string]string `json:"stash,omitempty"`
}

type rootState struct {
	State      string    `json:"state"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	Executor   string    `json:"executor,omitempty"`
	// Outputs are the pipeline outputs once it finished.
	Outputs map[string]any `json:"outputs,omitempty"`
}

// nodeState is one node's execution record.
type nodeState struct {
	ID             string         `json:"id"`
	State          string         `json:"state"`
	Version        string         `json:"version"`
	Loop           int            `json:"loop"`
	InnerLoop      int            `json:"inner_loop"`
	Retry          int            `json:"retry"`
	Skip           bool           `json:"skip"`
	ErrorIgnored   bool           `json:"error_ignored"`
	StartedAt      time.Time      `json:"started_at,omitzero"`
	FinishedAt     time.Time      `json:"finished_at,omitzero"`
	Inputs         map[string]any `json:"inputs,omitempty"`
	Outputs        map[string]any `json:"outputs,omitempty"`
	ExData         string         `json:"ex_data,omitempty"`
	RenderWarnings []string       `json:"render_warnings,omitempty"`
	Histories      []history      `json:"histories,omitempty"`

	// Resumable execution bookkeeping.
	Phase       string         `json:"phase,omitempty"`
	PollAt      time.Time      `json:"poll_at,omitzero"`
	Polls       int            `json:"polls,omitempty"`
	CompState   map[string]any `json:"comp_state,omitempty"`
	Callbacks   []any          `json:"callbacks,omitempty"`
	RetryAt     time.Time      `json:"retry_at,omitzero"`
	AutoRetries int            `json:"auto_retries,omitempty"`
	ChildTaskID int64          `json:"child_task_id,omitempty"`
	// NewInputs are the inputs a retry asked for (used once).
	NewInputs map[string]any `json:"new_inputs,omitempty"`
	// Op is the operation a failed node waits for, once it arrived.
	Op *pendingOp `json:"op,omitempty"`
	// ScheduleType is CALLBACK, MULTIPLE_CALLBACK or POLL while scheduled.
	ScheduleType string `json:"schedule_type,omitempty"`
	// Suspended marks a subprocess node whose child task is paused.
	Suspended bool `json:"suspended,omitempty"`
	// ChildNews is the latest news of the node's child task, not yet acted on.
	ChildNews *ChildNews `json:"child_news,omitempty"`
	// IsPluginChild is true when the child task came from a component
	// (subprocess_plugin), whose Schedule then receives the child's result.
	IsPluginChild bool `json:"is_plugin_child,omitempty"`
}

// history is an earlier attempt of a node in the current loop, or the final
// attempt of an earlier loop.
type history struct {
	Version    string         `json:"version"`
	Loop       int            `json:"loop"`
	Retry      int            `json:"retry"`
	Skip       bool           `json:"skip"`
	State      string         `json:"state"`
	Inputs     map[string]any `json:"inputs,omitempty"`
	Outputs    map[string]any `json:"outputs,omitempty"`
	ExData     string         `json:"ex_data,omitempty"`
	StartedAt  time.Time      `json:"started_at,omitzero"`
	FinishedAt time.Time      `json:"finished_at,omitzero"`
}

// pendingOp is an operation delivered to a failed node.
type pendingOp struct {
	Kind     string         `json:"kind"` // retry, skip, skip_exg, skip_cpg
	Inputs   map[string]any `json:"inputs,omitempty"`
	FlowID   string         `json:"flow_id,omitempty"`
	FlowIDs  []string       `json:"flow_ids,omitempty"`
	Operator string         `json:"operator,omitempty"`
}

// proc is one process: a walk from a node to a destination. Forks add
// children; the parent resumes at JoinAt when they are all done.
type proc struct {
	ID       int    `json:"id"`
	Parent   int    `json:"parent"`
	At       string `json:"at"`
	Until    string `json:"until,omitempty"`
	Children []int  `json:"children,omitempty"`
	JoinAt   string `json:"join_at,omitempty"`
	Done     bool   `json:"done,omitempty"`
	// InNode is true while the process is inside At (not before it), so a
	// resumed process re-enters its node's wait instead of starting it anew.
	InNode bool `json:"in_node,omitempty"`
}

func (n *nodeState) snapshot() history {
	return history{
		Version: n.Version, Loop: n.Loop, Retry: n.Retry, Skip: n.Skip, State: n.State,
		Inputs: n.Inputs, Outputs: n.Outputs, ExData: n.ExData, StartedAt: n.StartedAt, FinishedAt: n.FinishedAt,
	}
}

// newVersion derives a node state version ("v" + 32 hex) from the task id
// and a sequence number: unique within the task, deterministic on replay
// (whatever the workflow id the replayer uses) and free of side-effect
// markers in the history.
func newVersion(taskID int64, seq int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("bkflow-task-%d/%d", taskID, seq)))
	return "v" + hex.EncodeToString(sum[:16])
}
