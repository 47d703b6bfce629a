package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Task is a task record: what the API owns about a task. Execution state
// lives in its Temporal workflow while it runs; the final state is written
// here when the workflow closes.
type Task struct {
	ID            int64           `db:"id"`
	SpaceID       int64           `db:"space_id"`
	TemplateID    *int64          `db:"template_id"`
	ParentTaskID  *int64          `db:"parent_task_id"`
	RootTaskID    *int64          `db:"root_task_id"`
	ParentNodeID  *string         `db:"parent_node_id"`
	ParentVersion *string         `db:"parent_version"`
	InstanceID    string          `db:"instance_id"`
	Name          string          `db:"name"`
	Description   string          `db:"description"`
	Creator       string          `db:"creator"`
	Executor      string          `db:"executor"`
	CreateMethod  string          `db:"create_method"`
	TriggerMethod string          `db:"trigger_method"`
	ScopeType     *string         `db:"scope_type"`
	ScopeValue    *string         `db:"scope_value"`
	PipelineTree  json.RawMessage `db:"pipeline_tree"`
	ExecutionTree json.RawMessage `db:"execution_tree"`
	ExtraInfo     json.RawMessage `db:"extra_info"`
	MockData      json.RawMessage `db:"mock_data"`
	Namespace     string          `db:"namespace"`
	TaskQueue     string          `db:"task_queue"`
	State         string          `db:"state"`
	StateSeq      int             `db:"state_seq"`
	IsStarted     bool            `db:"is_started"`
	IsFinished    bool            `db:"is_finished"`
	IsRevoked     bool            `db:"is_revoked"`
	IsExpired     bool            `db:"is_expired"`
	IsDeleted     bool            `db:"is_deleted"`
	RootState     json.RawMessage `db:"root_state"`
	Outputs       json.RawMessage `db:"outputs"`
	CreateTime    time.Time       `db:"create_time"`
	StartTime     *time.Time      `db:"start_time"`
	FinishTime    *time.Time      `db:"finish_time"`
}

const taskColumns = `id, space_id, template_id, parent_task_id, root_task_id, parent_node_id, parent_version,
	instance_id, name, description, creator, executor, create_method, trigger_method, scope_type, scope_value,
	pipeline_tree, execution_tree, extra_info, mock_data, namespace, task_queue, state, state_seq, is_started,
	is_finished, is_revoked, is_expired, is_deleted, root_state, outputs, create_time, start_time, finish_time`

// TaskCreateParams are the fields of a new task.
type TaskCreateParams struct {
	SpaceID       int64
	TemplateID    *int64
	InstanceID    string
	Name          string
	Description   string
	Creator       string
	CreateMethod  string
	TriggerMethod string
	ScopeType     *string
	ScopeValue    *string
	PipelineTree  json.RawMessage
	ExecutionTree json.RawMessage
	ExtraInfo     json.RawMessage
	MockData      json.RawMessage
	Namespace     string
	TaskQueue     string
}

// TaskCreate inserts a task in state CREATED.
func (q *Queries) TaskCreate(ctx context.Context, p TaskCreateParams) (Task, error) {
	extra := p.ExtraInfo
	if len(extra) == 0 {
		extra = json.RawMessage(`{}`)
	}
	return taskOne(q.db.Query(ctx, `INSERT INTO tasks (space_id, template_id, instance_id, name, description, creator,
		create_method, trigger_method, scope_type, scope_value, pipeline_tree, execution_tree, extra_info, mock_data,
		namespace, task_queue)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING `+taskColumns,
		p.SpaceID, p.TemplateID, p.InstanceID, p.Name, p.Description, p.Creator, p.CreateMethod, p.TriggerMethod,
		p.ScopeType, p.ScopeValue, nullJSON(p.PipelineTree), nullJSON(p.ExecutionTree), extra, nullJSON(p.MockData),
		p.Namespace, p.TaskQueue))
}

// TaskChildParams describe a child task created by a subprocess node.
type TaskChildParams struct {
	SpaceID       int64
	TemplateID    *int64
	ParentTaskID  int64
	RootTaskID    int64
	ParentNodeID  string
	ParentVersion string
	InstanceID    string
	Name          string
	Creator       string
	ExecutionTree json.RawMessage
	TaskQueue     string
	Now           time.Time
}

// TaskCreateChild inserts a started child task, or returns the one already
// created for the same parent node run (an activity retry).
func (q *Queries) TaskCreateChild(ctx context.Context, p TaskChildParams) (int64, error) {
	var id int64
	err := q.db.QueryRow(ctx, `INSERT INTO tasks (space_id, template_id, parent_task_id, root_task_id, parent_node_id,
		parent_version, instance_id, name, creator, executor, trigger_method, execution_tree, task_queue, state,
		is_started, start_time, state_seq)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, 'subprocess', $10, $11, 'RUNNING', true, $12, 0)
		ON CONFLICT (parent_task_id, parent_node_id, parent_version) WHERE parent_task_id IS NOT NULL
		DO UPDATE SET name = EXCLUDED.name
		RETURNING id`,
		p.SpaceID, p.TemplateID, p.ParentTaskID, p.RootTaskID, p.ParentNodeID, p.ParentVersion, p.InstanceID,
		truncate(p.Name, 128), truncate(p.Creator, 32), nullJSON(p.ExecutionTree), p.TaskQueue, p.Now).Scan(&id)
	return id, interpretError(err)
}

// TaskGet returns the task with id, or ErrNotFound.
func (q *Queries) TaskGet(ctx context.Context, id int64) (Task, error) {
	return taskOne(q.db.Query(ctx, `SELECT `+taskColumns+` FROM tasks WHERE id = $1`, id))
}

// TaskMarkStarted flips a created task to started (compare-and-set): false
// when it was already started.
func (q *Queries) TaskMarkStarted(ctx context.Context, id int64, executor string, execTree json.RawMessage, now time.Time) (bool, error) {
	tag, err := q.db.Exec(ctx, `UPDATE tasks SET is_started = true, executor = $2, execution_tree = $3, start_time = $4,
		state = CASE WHEN state_seq = 0 THEN 'RUNNING' ELSE state END
		WHERE id = $1 AND NOT is_started`, id, executor, nullJSON(execTree), now)
	if err != nil {
		return false, interpretError(err)
	}
	return tag.RowsAffected() == 1, nil
}

// TaskUnmarkStarted undoes TaskMarkStarted when the workflow could not start.
func (q *Queries) TaskUnmarkStarted(ctx context.Context, id int64) error {
	_, err := q.db.Exec(ctx, `UPDATE tasks SET is_started = false, executor = '', start_time = NULL,
		state = 'CREATED' WHERE id = $1 AND state_seq = 0`, id)
	return interpretError(err)
}

// TaskEvent is one lifecycle event of a task.
type TaskEvent struct {
	ID          int64           `db:"id"`
	TaskID      int64           `db:"task_id"`
	SpaceID     int64           `db:"space_id"`
	Seq         int             `db:"seq"`
	Event       string          `db:"event"`
	NodeID      string          `db:"node_id"`
	State       string          `db:"state"`
	Payload     json.RawMessage `db:"payload"`
	CreatedAt   time.Time       `db:"created_at"`
	DeliveredAt *time.Time      `db:"delivered_at"`
}

// TaskEventRecord stores an event (once per task and seq) and moves the
// task's state forward when the event is newer than the last one applied.
func (q *Queries) TaskEventRecord(ctx context.Context, e TaskEvent) error {
	payload := e.Payload
	if len(payload) == 0 {
		payload = json.RawMessage(`{}`)
	}
	if _, err := q.db.Exec(ctx, `INSERT INTO task_events (task_id, space_id, seq, event, node_id, state, payload, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (task_id, seq) DO NOTHING`,
		e.TaskID, e.SpaceID, e.Seq, e.Event, e.NodeID, e.State, payload, e.CreatedAt); err != nil {
		return interpretError(err)
	}
	_, err := q.db.Exec(ctx, `UPDATE tasks SET state = $2, state_seq = $3,
		is_revoked = is_revoked OR $2 = 'REVOKED', is_finished = is_finished OR $2 = 'FINISHED'
		WHERE id = $1 AND state_seq < $3`, e.TaskID, e.State, e.Seq)
	return interpretError(err)
}

// TaskEventList returns a task's events in order.
func (q *Queries) TaskEventList(ctx context.Context, taskID int64) ([]TaskEvent, error) {
	rows, err := q.db.Query(ctx, `SELECT id, task_id, space_id, seq, event, node_id, state, payload, created_at,
		delivered_at FROM task_events WHERE task_id = $1 ORDER BY seq`, taskID)
	if err != nil {
		return nil, interpretError(err)
	}
	evs, err := pgx.CollectRows(rows, pgx.RowToStructByName[TaskEvent])
	return evs, interpretError(err)
}

// TaskNodesSave stores node records of a closed task.
func (q *Queries) TaskNodesSave(ctx context.Context, taskID int64, records map[string]json.RawMessage) error {
	b := &pgx.Batch{}
	for id, rec := range records {
		b.Queue(`INSERT INTO task_nodes (task_id, node_id, record) VALUES ($1, $2, $3)
			ON CONFLICT (task_id, node_id) DO UPDATE SET record = EXCLUDED.record`, taskID, id, string(rec))
	}
	if b.Len() == 0 {
		return nil
	}
	return interpretError(q.db.SendBatch(ctx, b).Close())
}

// TaskNodeRecords returns the stored node records of a closed task.
func (q *Queries) TaskNodeRecords(ctx context.Context, taskID int64) (map[string]json.RawMessage, error) {
	rows, err := q.db.Query(ctx, `SELECT node_id, record FROM task_nodes WHERE task_id = $1`, taskID)
	if err != nil {
		return nil, interpretError(err)
	}
	defer rows.Close()
	out := map[string]json.RawMessage{}
	for rows.Next() {
		var id string
		var rec json.RawMessage
		if err := rows.Scan(&id, &rec); err != nil {
			return nil, interpretError(err)
		}
		out[id] = rec
	}
	return out, interpretError(rows.Err())
}

// TaskNodeRecord returns one stored node record, or ErrNotFound.
func (q *Queries) TaskNodeRecord(ctx context.Context, taskID int64, nodeID string) (json.RawMessage, error) {
	var rec json.RawMessage
	err := q.db.QueryRow(ctx, `SELECT record FROM task_nodes WHERE task_id = $1 AND node_id = $2`, taskID, nodeID).Scan(&rec)
	return rec, interpretError(err)
}

// TaskFinishParams is a closed task's final state.
type TaskFinishParams struct {
	ID         int64
	State      string
	Outputs    json.RawMessage
	RootState  json.RawMessage
	FinishedAt time.Time
}

// TaskFinish records a closed task's final state.
func (q *Queries) TaskFinish(ctx context.Context, p TaskFinishParams) error {
	_, err := q.db.Exec(ctx, `UPDATE tasks SET state = $2, outputs = $3, root_state = $4, finish_time = $5,
		is_finished = $2 = 'FINISHED', is_revoked = $2 = 'REVOKED', state_seq = 2147483647 WHERE id = $1`,
		p.ID, p.State, nullJSON(p.Outputs), nullJSON(p.RootState), p.FinishedAt)
	return interpretError(err)
}

func taskOne(rows pgx.Rows, err error) (Task, error) {
	if err != nil {
		return Task{}, interpretError(err)
	}
	t, err := pgx.CollectExactlyOneRow(rows, pgx.RowToStructByName[Task])
	return t, interpretError(err)
}

// nullJSON sends an empty value as SQL NULL.
func nullJSON(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// TaskFilter selects tasks for get_task_list.
type TaskFilter struct {
	SpaceID       int64
	Name          string
	Creator       string
	Executor      string
	ScopeType     *string
	ScopeValue    *string
	ID            *int64
	TemplateID    *int64
	IDs           []int64
	CreatedAfter  *time.Time
	CreatedBefore *time.Time
	// LabelIDs keeps tasks with any of these labels; a non-nil empty list
	// matches nothing.
	LabelIDs []int64
	// Where is an extra condition on the tasks table (a permission filter).
	Where  *Condition
	Offset int
	Limit  int
}

// taskListColumns are the columns of list rows: the trees and final state
// stay in the table.
const taskListColumns = `id, space_id, template_id, parent_task_id, root_task_id, parent_node_id, parent_version,
	instance_id, name, description, creator, executor, create_method, trigger_method, scope_type, scope_value,
	NULL::jsonb AS pipeline_tree, NULL::jsonb AS execution_tree, extra_info, NULL::jsonb AS mock_data, namespace,
	task_queue, state, state_seq, is_started, is_finished, is_revoked, is_expired, is_deleted,
	NULL::jsonb AS root_state, NULL::jsonb AS outputs, create_time, start_time, finish_time`

// TaskList returns one page of the live tasks f selects, newest first, and
// how many it selects in all.
func (q *Queries) TaskList(ctx context.Context, f TaskFilter) ([]Task, int, error) {
	where := []string{`space_id = $1`, `NOT is_deleted`, `NOT is_expired`}
	args := []any{f.SpaceID}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(args))))
	}
	if f.Name != "" {
		add(`name ILIKE ?`, "%"+escapeLike(f.Name)+"%")
	}
	if f.Creator != "" {
		add(`creator = ?`, f.Creator)
	}
	if f.Executor != "" {
		add(`executor = ?`, f.Executor)
	}
	if f.ScopeType != nil {
		add(`scope_type = ?`, *f.ScopeType)
	}
	if f.ScopeValue != nil {
		add(`scope_value = ?`, *f.ScopeValue)
	}
	if f.ID != nil {
		add(`id = ?`, *f.ID)
	}
	if f.TemplateID != nil {
		add(`template_id = ?`, *f.TemplateID)
	}
	if f.IDs != nil {
		add(`id = ANY(?)`, f.IDs)
	}
	if f.CreatedAfter != nil {
		add(`create_time >= ?`, *f.CreatedAfter)
	}
	if f.CreatedBefore != nil {
		add(`create_time <= ?`, *f.CreatedBefore)
	}
	if f.LabelIDs != nil {
		add(`EXISTS (SELECT 1 FROM task_labels tl WHERE tl.task_id = tasks.id AND tl.label_id = ANY(?))`, f.LabelIDs)
	}
	if f.Where != nil {
		var c string
		c, args = f.Where.render(args)
		where = append(where, c)
	}
	return listPage[Task](ctx, q, listQuery{Columns: taskListColumns, From: "tasks", Where: strings.Join(where, " AND "),
		Order: "create_time DESC, id DESC", Args: args, Limit: f.Limit, Offset: f.Offset})
}

// TaskState is a task's state as its records know it: updated by every
// lifecycle event, final once the task closed.
type TaskState struct {
	ID        int64  `db:"id"`
	State     string `db:"state"`
	IsStarted bool   `db:"is_started"`
	IsExpired bool   `db:"is_expired"`
}

// TaskStates returns the states of the live tasks of space among ids.
func (q *Queries) TaskStates(ctx context.Context, spaceID int64, ids []int64) ([]TaskState, error) {
	rows, err := q.db.Query(ctx, `SELECT id, state, is_started, is_expired FROM tasks
		WHERE space_id = $1 AND id = ANY($2) AND NOT is_deleted ORDER BY id`, spaceID, ids)
	if err != nil {
		return nil, interpretError(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[TaskState])
	return out, interpretError(err)
}

// TasksSoftDelete marks tasks of space deleted: those in ids, or with all
// every task (only mock ones with mockOnly). It returns how many it marked.
func (q *Queries) TasksSoftDelete(ctx context.Context, spaceID int64, ids []int64, all, mockOnly bool) (int64, error) {
	var tag pgconn.CommandTag
	var err error
	if all {
		tag, err = q.db.Exec(ctx, `UPDATE tasks SET is_deleted = true WHERE space_id = $1 AND NOT is_deleted
			AND (NOT $2 OR create_method = 'MOCK')`, spaceID, mockOnly)
	} else {
		tag, err = q.db.Exec(ctx, `UPDATE tasks SET is_deleted = true WHERE space_id = $1 AND id = ANY($2)
			AND NOT is_deleted`, spaceID, ids)
	}
	if err != nil {
		return 0, interpretError(err)
	}
	return tag.RowsAffected(), nil
}
