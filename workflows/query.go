package workflows

import (
	"time"

	"github.com/bkflow/bkflow/workflows/pipeline"
)

// StateTree is a task's state as the states query (and, once the task
// closed, PostgreSQL) answers it. The API renders it in BKFlow's shape.
type StateTree struct {
	TaskID  int64                 `json:"task_id"`
	Root    RootRecord            `json:"root"`
	Nodes   map[string]NodeRecord `json:"nodes"`
	Outputs map[string]any        `json:"outputs,omitempty"`
}

// RootRecord is the root pipeline's state.
type RootRecord struct {
	ID string `json:"id"`
	// State is the root state (CREATED, RUNNING, SUSPENDED, FINISHED,
	// REVOKED); TaskState adds BKFlow's derived FAILED and NODE_SUSPENDED.
	State      string    `json:"state"`
	TaskState  string    `json:"task_state"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	Executor   string    `json:"executor,omitempty"`
	// Runs counts the Temporal runs the task used (it continues as new to
	// stay within Temporal's history limits).
	Runs int `json:"runs"`
}

// NodeRecord is one node's execution record. The states query leaves out
// inputs, outputs and histories; node_detail and storage include them.
type NodeRecord struct {
	ID             string          `json:"id"`
	Name           string          `json:"name,omitempty"`
	Type           string          `json:"type,omitempty"`
	State          string          `json:"state"`
	Version        string          `json:"version"`
	Loop           int             `json:"loop"`
	InnerLoop      int             `json:"inner_loop"`
	Retry          int             `json:"retry"`
	Skip           bool            `json:"skip"`
	ErrorIgnorable bool            `json:"error_ignorable"`
	ErrorIgnored   bool            `json:"error_ignored"`
	StartedAt      time.Time       `json:"started_at,omitzero"`
	FinishedAt     time.Time       `json:"finished_at,omitzero"`
	Inputs         map[string]any  `json:"inputs,omitempty"`
	Outputs        map[string]any  `json:"outputs,omitempty"`
	ExData         string          `json:"ex_data,omitempty"`
	RenderWarnings []string        `json:"render_warnings,omitempty"`
	Histories      []HistoryRecord `json:"histories,omitempty"`
	ScheduleType   string          `json:"schedule_type,omitempty"`
	ChildTaskID    int64           `json:"child_task_id,omitempty"`
	ComponentCode  string          `json:"component_code,omitempty"`
	// Executed is false for a node the task has not reached (node_detail
	// previews its inputs then).
	Executed bool `json:"executed"`
}

// HistoryRecord is an earlier attempt of a node.
type HistoryRecord struct {
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

func (r *run) rootRecord() RootRecord {
	return RootRecord{
		ID: r.tree.ID, State: r.st.Root.State, TaskState: r.taskState(),
		StartedAt: r.st.Root.StartedAt, FinishedAt: r.st.Root.FinishedAt, Executor: r.st.Root.Executor,
		Runs: r.st.Count + 1,
	}
}

// record turns a node's state into its record; full includes inputs,
// outputs and histories.
func (r *run) record(ns *nodeState, full bool) NodeRecord {
	rec := NodeRecord{
		ID: ns.ID, State: ns.State, Version: ns.Version, Loop: ns.Loop, InnerLoop: ns.InnerLoopValue(),
		Retry: ns.Retry, Skip: ns.Skip, ErrorIgnored: ns.ErrorIgnored, StartedAt: ns.StartedAt,
		FinishedAt: ns.FinishedAt, ExData: ns.ExData, ScheduleType: ns.ScheduleType, ChildTaskID: ns.ChildTaskID,
		Executed: true,
	}
	if ns.Suspended && ns.State == StateRunning {
		rec.State = StateSuspended
	}
	if n, ok := r.tree.Nodes[ns.ID]; ok {
		rec.Name, rec.Type, rec.ErrorIgnorable = n.Name, n.Type, n.ErrorIgnorable
		if n.Component != nil {
			rec.ComponentCode = n.Component.Code
		}
	}
	if full {
		rec.Inputs, rec.Outputs, rec.RenderWarnings = ns.Inputs, ns.Outputs, ns.RenderWarnings
		rec.Histories = make([]HistoryRecord, len(ns.Histories))
		for i, h := range ns.Histories {
			rec.Histories[i] = HistoryRecord(h)
		}
	}
	return rec
}

// states answers the states query.
func (r *run) states() StateTree {
	t := StateTree{TaskID: r.in.TaskID, Root: r.rootRecord(), Nodes: make(map[string]NodeRecord, len(r.st.Nodes)),
		Outputs: r.st.Root.Outputs}
	//workflowcheck:ignore builds a map or an order-free aggregate
	for id, ns := range r.st.Nodes {
		t.Nodes[id] = r.record(ns, false)
	}
	return t
}

// nodeDetail answers the node_detail query: the node's full record, or for a
// node not reached yet, a preview of its inputs rendered with the current
// context.
func (r *run) nodeDetail(req NodeDetailRequest) (NodeRecord, error) {
	node, ok := r.tree.Nodes[req.NodeID]
	if !ok {
		return NodeRecord{}, errNodeNotFound(req.NodeID)
	}
	ns, ok := r.st.Nodes[req.NodeID]
	if !ok {
		rec := NodeRecord{ID: node.ID, Name: node.Name, Type: node.Type, State: StateReady,
			ErrorIgnorable: node.ErrorIgnorable, Outputs: map[string]any{}}
		if node.Component != nil {
			rec.ComponentCode = node.Component.Code
			preview := &nodeState{ID: node.ID, Loop: 1}
			rec.Inputs, _ = r.renderInputs(nil, node, preview)
		}
		return rec, nil
	}
	return LoopView(r.record(ns, true), req.Loop), nil
}

// LoopView narrows a full node record to one loop: the latest (loop 0 or the
// current one) keeps the current attempt with the earlier attempts of the
// same loop as histories; an earlier loop shows that loop's final attempt as
// the record and its earlier attempts as histories.
func LoopView(rec NodeRecord, loop int) NodeRecord {
	if loop > 0 && loop < rec.Loop {
		var hist []HistoryRecord
		for _, h := range rec.Histories {
			if h.Loop == loop {
				hist = append(hist, h)
			}
		}
		if len(hist) > 0 {
			last := hist[len(hist)-1]
			rec.Version, rec.Loop, rec.Retry, rec.Skip, rec.State = last.Version, last.Loop, last.Retry, last.Skip, last.State
			rec.Inputs, rec.Outputs, rec.ExData = last.Inputs, last.Outputs, last.ExData
			rec.StartedAt, rec.FinishedAt = last.StartedAt, last.FinishedAt
			rec.Histories = hist[:len(hist)-1]
		}
		return rec
	}
	var cur []HistoryRecord
	for _, h := range rec.Histories {
		if h.Loop == rec.Loop {
			cur = append(cur, h)
		}
	}
	rec.Histories = cur
	return rec
}

// NodeTypeOf returns a node's type in tree, or "".
func NodeTypeOf(tree *pipeline.Engine, id string) string {
	if n, ok := tree.Nodes[id]; ok {
		return n.Type
	}
	return ""
}
