package activities

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/bkflow/bkflow/internal/store"
	"github.com/bkflow/bkflow/workflows/pipeline"
)

// Names of bkflow's own activities: task records and lifecycle events.
const (
	CreateChildTaskActivity = "bkflow.task.create_child"
	RecordEventActivity     = "bkflow.task.record_event"
	SaveNodesActivity       = "bkflow.task.save_nodes"
	FinishTaskActivity      = "bkflow.task.finish"
)

// CreateChildTaskInput describes the child task of a subprocess node.
type CreateChildTaskInput struct {
	SpaceID       int64            `json:"space_id"`
	ParentTaskID  int64            `json:"parent_task_id"`
	RootTaskID    int64            `json:"root_task_id"`
	ParentNodeID  string           `json:"parent_node_id"`
	ParentVersion string           `json:"parent_version"`
	Name          string           `json:"name"`
	Creator       string           `json:"creator"`
	TemplateID    int64            `json:"template_id,omitempty"`
	Tree          *pipeline.Engine `json:"tree"`
	TaskQueue     string           `json:"task_queue"`
}

// RecordEventInput is one lifecycle event of a task, with the task's state
// after it.
type RecordEventInput struct {
	TaskID  int64          `json:"task_id"`
	SpaceID int64          `json:"space_id"`
	Seq     int            `json:"seq"`
	Event   string         `json:"event"`
	NodeID  string         `json:"node_id,omitempty"`
	State   string         `json:"state"`
	Payload map[string]any `json:"payload,omitempty"`
	At      time.Time      `json:"at"`
}

// SaveNodesInput carries node records of a closing task.
type SaveNodesInput struct {
	TaskID int64          `json:"task_id"`
	Nodes  map[string]any `json:"nodes"`
}

// FinishTaskInput is a closing task's final state.
type FinishTaskInput struct {
	TaskID     int64          `json:"task_id"`
	State      string         `json:"state"`
	Outputs    map[string]any `json:"outputs,omitempty"`
	Root       any            `json:"root"`
	FinishedAt time.Time      `json:"finished_at"`
}

// TaskRecords are the activities through which task workflows write to
// PostgreSQL. Every one is idempotent, so Temporal may retry it freely.
type TaskRecords struct {
	Store *store.Store
	Now   func() time.Time
}

// CreateChild creates (or finds, on a retry) the child task record of a
// subprocess node and returns its id.
func (t *TaskRecords) CreateChild(ctx context.Context, in CreateChildTaskInput) (int64, error) {
	tree, err := json.Marshal(in.Tree)
	if err != nil {
		return 0, fmt.Errorf("encode child tree: %w", err)
	}
	var tpl *int64
	if in.TemplateID != 0 {
		tpl = &in.TemplateID
	}
	id, err := t.Store.TaskCreateChild(ctx, store.TaskChildParams{
		SpaceID: in.SpaceID, TemplateID: tpl, ParentTaskID: in.ParentTaskID, RootTaskID: in.RootTaskID,
		ParentNodeID: in.ParentNodeID, ParentVersion: in.ParentVersion, InstanceID: NewInstanceID(),
		Name: in.Name, Creator: in.Creator, ExecutionTree: tree, TaskQueue: in.TaskQueue, Now: t.Now(),
	})
	if err != nil {
		return 0, Retryable(fmt.Errorf("create child task: %w", err))
	}
	return id, nil
}

// RecordEvent stores a lifecycle event and the task state it leads to.
func (t *TaskRecords) RecordEvent(ctx context.Context, in RecordEventInput) error {
	payload, err := json.Marshal(in.Payload)
	if err != nil {
		return fmt.Errorf("encode event payload: %w", err)
	}
	return t.Store.TaskEventRecord(ctx, store.TaskEvent{
		TaskID: in.TaskID, SpaceID: in.SpaceID, Seq: in.Seq, Event: in.Event, NodeID: in.NodeID,
		State: in.State, Payload: payload, CreatedAt: in.At,
	})
}

// SaveNodes stores node records of a closing task.
func (t *TaskRecords) SaveNodes(ctx context.Context, in SaveNodesInput) error {
	recs := make(map[string]json.RawMessage, len(in.Nodes))
	for id, n := range in.Nodes {
		b, err := json.Marshal(n)
		if err != nil {
			return fmt.Errorf("encode node %s: %w", id, err)
		}
		recs[id] = b
	}
	return t.Store.TaskNodesSave(ctx, in.TaskID, recs)
}

// Finish records a closing task's final state.
func (t *TaskRecords) Finish(ctx context.Context, in FinishTaskInput) error {
	outputs, err := json.Marshal(in.Outputs)
	if err != nil {
		return fmt.Errorf("encode outputs: %w", err)
	}
	root, err := json.Marshal(in.Root)
	if err != nil {
		return fmt.Errorf("encode root state: %w", err)
	}
	return t.Store.TaskFinish(ctx, store.TaskFinishParams{ID: in.TaskID, State: in.State, Outputs: outputs,
		RootState: root, FinishedAt: in.FinishedAt})
}

// Register registers the task record activities under their names.
func (t *TaskRecords) Register(w worker.Registry) {
	w.RegisterActivityWithOptions(t.CreateChild, activity.RegisterOptions{Name: CreateChildTaskActivity})
	w.RegisterActivityWithOptions(t.RecordEvent, activity.RegisterOptions{Name: RecordEventActivity})
	w.RegisterActivityWithOptions(t.SaveNodes, activity.RegisterOptions{Name: SaveNodesActivity})
	w.RegisterActivityWithOptions(t.Finish, activity.RegisterOptions{Name: FinishTaskActivity})
}

// NewInstanceID returns a pipeline instance id: 32 random hex digits.
func NewInstanceID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
