package api

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/bkflow/bkflow/activities"
	"github.com/bkflow/bkflow/internal/secrets"
	"github.com/bkflow/bkflow/internal/store"
	"github.com/bkflow/bkflow/workflows"
)

// taskJSON is a task object (create_task, get_task_list, get_task_detail).
type taskJSON struct {
	ID                  int64           `json:"id"`
	SpaceID             int64           `json:"space_id"`
	ScopeType           *string         `json:"scope_type"`
	ScopeValue          *string         `json:"scope_value"`
	InstanceID          string          `json:"instance_id"`
	TemplateID          *int64          `json:"template_id"`
	Name                string          `json:"name"`
	Creator             string          `json:"creator"`
	CreateTime          *string         `json:"create_time"`
	CreateMethod        string          `json:"create_method"`
	TriggerMethod       string          `json:"trigger_method"`
	Executor            string          `json:"executor"`
	StartTime           *string         `json:"start_time"`
	FinishTime          *string         `json:"finish_time"`
	Description         string          `json:"description"`
	IsStarted           bool            `json:"is_started"`
	IsFinished          bool            `json:"is_finished"`
	IsRevoked           bool            `json:"is_revoked"`
	IsDeleted           bool            `json:"is_deleted"`
	IsExpired           bool            `json:"is_expired"`
	SnapshotID          *int64          `json:"snapshot_id"`
	ExecutionSnapshotID *int64          `json:"execution_snapshot_id"`
	TreeInfoID          *int64          `json:"tree_info_id"`
	ExtraInfo           json.RawMessage `json:"extra_info"`
	Labels              any             `json:"labels"`
}

// taskDetailJSON is get_task_detail's data.
type taskDetailJSON struct {
	taskJSON
	PipelineTree           json.RawMessage `json:"pipeline_tree"`
	Outputs                []keyValue      `json:"outputs"`
	ElapsedTime            int64           `json:"elapsed_time"`
	ParentTaskInfo         *parentTaskInfo `json:"parent_task_info,omitempty"`
	WebhookDeliveryHistory []any           `json:"webhook_delivery_history"`
	TemporalUIURL          string          `json:"temporal_ui_url"`
}

type keyValue struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

type parentTaskInfo struct {
	TaskID int64  `json:"task_id"`
	State  string `json:"state"`
}

func (f formatter) task(t store.Task) taskJSON {
	create := t.CreateTime
	return taskJSON{
		ID: t.ID, SpaceID: t.SpaceID, ScopeType: t.ScopeType, ScopeValue: t.ScopeValue, InstanceID: t.InstanceID,
		TemplateID: t.TemplateID, Name: t.Name, Creator: t.Creator, CreateTime: f.taskTime(&create),
		CreateMethod: t.CreateMethod, TriggerMethod: t.TriggerMethod, Executor: t.Executor,
		StartTime: f.taskTime(t.StartTime), FinishTime: f.taskTime(t.FinishTime), Description: t.Description,
		IsStarted: t.IsStarted, IsFinished: t.IsFinished, IsRevoked: t.IsRevoked, IsDeleted: t.IsDeleted,
		IsExpired: t.IsExpired, ExtraInfo: maskCredentials(t.ExtraInfo), Labels: []any{},
	}
}

// temporalURL deep-links a task's workflow in the Temporal Web UI.
func (f formatter) temporalURL(taskID int64) string {
	if f.uiURL == "" {
		return ""
	}
	return strings.TrimSuffix(f.uiURL, "/") + "/namespaces/" + f.ns + "/workflows/" + workflows.WorkflowID(taskID)
}

// maskedValue replaces secrets in responses.
const maskedValue = "******"

// maskCredentials masks extra_info.custom_context.credentials values.
func maskCredentials(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage(`{}`)
	}
	var extra map[string]any
	if json.Unmarshal(raw, &extra) != nil {
		return raw
	}
	cc, _ := extra["custom_context"].(map[string]any)
	creds, _ := cc["credentials"].(map[string]any)
	if len(creds) == 0 {
		return raw
	}
	for k := range creds {
		creds[k] = maskedValue
	}
	out, err := json.Marshal(extra)
	if err != nil {
		return raw
	}
	return out
}

// createdStates is get_task_states for a task not started yet.
func createdStates() map[string]any {
	return map[string]any{"start_time": nil, "state": workflows.StateCreated, "retry": 0, "skip": 0,
		"finish_time": nil, "elapsed_time": 0, "children": map[string]any{}}
}

// states renders a state tree as BKFlow's get_task_states data (§9.4).
// The root's state is FAILED while a node waits in failure and
// NODE_SUSPENDED while a subprocess is paused; "root_id:" (with BKFlow's
// trailing colon) and "root_id" are both present.
func (f formatter) states(t store.Task, st workflows.StateTree) map[string]any {
	children := make(map[string]any, len(st.Nodes))
	for id, n := range st.Nodes {
		children[id] = f.nodeState(t.InstanceID, n)
	}
	state := st.Root.TaskState
	if state == "" {
		state = st.Root.State
	}
	return map[string]any{
		"id": t.InstanceID, "state": state, "root_id:": t.InstanceID, "root_id": t.InstanceID, "parent_id": t.InstanceID,
		"version": "", "loop": 1, "retry": 0, "skip": false, "error_ignorable": false, "error_ignored": false,
		"children": children, "elapsed_time": f.elapsed(st.Root.StartedAt, st.Root.FinishedAt),
		"start_time": f.stateTime(st.Root.StartedAt), "finish_time": f.stateTime(st.Root.FinishedAt),
		"temporal_runs": st.Root.Runs,
	}
}

// nodeState is one node of a state tree. error_ignorable carries the
// error_ignored flag, as BKFlow's tree does (canvases rely on it).
func (f formatter) nodeState(root string, n workflows.NodeRecord) map[string]any {
	m := map[string]any{
		"id": n.ID, "state": n.State, "root_id:": root, "root_id": root, "parent_id": root, "version": n.Version,
		"loop": n.Loop, "retry": n.Retry, "skip": n.Skip, "error_ignorable": n.ErrorIgnored,
		"error_ignored": n.ErrorIgnored, "children": map[string]any{},
		"elapsed_time": f.elapsed(n.StartedAt, n.FinishedAt),
		"start_time":   f.stateTime(n.StartedAt), "finish_time": f.stateTime(n.FinishedAt),
	}
	if n.ScheduleType != "" {
		m["schedule_type"] = n.ScheduleType
	}
	return m
}

// nodeDetail renders get_task_node_detail's data (§9.5).
func (f formatter) nodeDetail(root string, n workflows.NodeRecord, componentCode string) map[string]any {
	if !n.Executed {
		return map[string]any{"id": n.ID, "name": n.Name, "error_ignorable": n.ErrorIgnorable, "state": workflows.StateReady,
			"inputs": masked(n.Inputs), "outputs": []any{}, "ex_data": ""}
	}
	declared := f.declaredOutputs(componentCode)
	m := f.nodeState(root, n)
	delete(m, "children")
	m["name"] = n.Name
	m["history_id"] = -1
	m["inputs"] = masked(n.Inputs)
	m["outputs"] = outputTable(masked(n.Outputs), declared)
	m["ex_data"] = secrets.MaskString(n.ExData)
	hist := make([]map[string]any, len(n.Histories))
	for i, h := range n.Histories {
		hist[i] = map[string]any{
			"id": i + 1, "history_id": i + 1, "node_id": n.ID, "retry": h.Retry, "loop": h.Loop, "skip": h.Skip,
			"version": h.Version, "state": h.State, "inputs": masked(h.Inputs),
			"outputs": outputTable(masked(h.Outputs), declared), "ex_data": secrets.MaskString(h.ExData), "children": map[string]any{},
			"elapsed_time": f.elapsed(h.StartedAt, h.FinishedAt), "start_time": f.stateTime(h.StartedAt),
			"finish_time": f.stateTime(h.FinishedAt),
		}
	}
	m["histories"] = hist
	if len(n.RenderWarnings) > 0 {
		m["render_warnings"] = n.RenderWarnings
	}
	return m
}

// outputTable renders a node's outputs as BKFlow's table: the declared outputs
// first (preset, "" when missing), then the rest.
func outputTable(values map[string]any, declared []activities.Field) []map[string]any {
	out := []map[string]any{}
	seen := map[string]bool{}
	for _, field := range declared {
		v, ok := values[field.Key]
		if !ok {
			v = ""
		}
		out = append(out, map[string]any{"name": field.Name, "key": field.Key, "value": v, "preset": true})
		seen[field.Key] = true
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		if !seen[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		out = append(out, map[string]any{"key": k, "value": values[k], "preset": false})
	}
	return out
}

// declaredOutputs are the outputs the component with code declares (its
// lowest registered version); none without a code or registry.
func (f formatter) declaredOutputs(code string) []activities.Field {
	if code == "" || f.registry == nil {
		return nil
	}
	for _, s := range f.registry.List() {
		if s.Code == code {
			return s.Outputs
		}
	}
	return nil
}

// masked returns m with every sealed secret inside it masked: rendered
// inputs hold the tokens of ${_system.credentials...}, which reads never
// reveal.
func masked(m map[string]any) map[string]any {
	out, _ := secrets.MaskValue(orEmpty(m)).(map[string]any)
	return out
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
