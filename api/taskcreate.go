package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/bkflow/bkflow/activities"
	"github.com/bkflow/bkflow/internal/store"
	"github.com/bkflow/bkflow/policy/admission"
	"github.com/bkflow/bkflow/workflows"
	"github.com/bkflow/bkflow/workflows/pipeline"
)

// defaultTaskName is BKFlow's default task name.
const defaultTaskName = "default_taskflow_instance"

// Create methods of tasks.
const (
	createMethodAPI  = "API"
	createMethodMock = "MOCK"
)

// defaultNotifyConfig is what a task of a template without notify_config
// records (BKFlow's default).
const defaultNotifyConfig = `{"notify_type": {"fail": [], "success": []}, "notify_receivers": {"more_receiver": "", "receiver_group": []}}`

type createTaskRequest struct {
	TemplateID           *int64          `json:"template_id" doc:"required: a template of the space"`
	Creator              *string         `json:"creator" doc:"required, at most 32 characters"`
	Name                 *string         `json:"name" doc:"at most 128 characters; default default_taskflow_instance"`
	Description          *string         `json:"description"`
	Constants            map[string]any  `json:"constants" doc:"{\"${key}\": value}; keys the tree has not are ignored"`
	Credentials          map[string]any  `json:"credentials" doc:"{name: base64 of a JSON object}; stored sealed, masked on reads"`
	CustomSpanAttributes map[string]any  `json:"custom_span_attributes"`
	LabelIDs             []int64         `json:"label_ids" doc:"labels of scope task or common, not parents"`
	ExcludeTaskNodesID   []string        `json:"exclude_task_nodes_id" doc:"optional nodes of the template to leave out"`
	NotifyConfig         json.RawMessage `json:"-"`
}

type createTaskWithoutTemplateRequest struct {
	Creator              *string         `json:"creator" doc:"required, at most 32 characters"`
	Name                 *string         `json:"name" doc:"at most 128 characters; default default_taskflow_instance"`
	PipelineTree         json.RawMessage `json:"pipeline_tree" doc:"web-form pipeline_tree (required)"`
	Description          *string         `json:"description"`
	ScopeType            *string         `json:"scope_type"`
	ScopeValue           *string         `json:"scope_value"`
	Constants            map[string]any  `json:"constants" doc:"{\"${key}\": value}; keys the tree has not are ignored"`
	Credentials          map[string]any  `json:"credentials" doc:"{name: base64 of a JSON object}; stored sealed, masked on reads"`
	NotifyConfig         json.RawMessage `json:"notify_config"`
	CustomSpanAttributes map[string]any  `json:"custom_span_attributes"`
}

type createMockTaskRequest struct {
	TemplateID           *int64           `json:"template_id" doc:"required: a template of the space (its draft runs, if any)"`
	Name                 *string          `json:"name" doc:"required, at most 128 characters"`
	Creator              *string          `json:"creator" doc:"required, at most 32 characters"`
	Description          *string          `json:"description"`
	Constants            map[string]any   `json:"constants"`
	Credentials          map[string]any   `json:"credentials"`
	CustomSpanAttributes map[string]any   `json:"custom_span_attributes"`
	MockData             *mockDataRequest `json:"mock_data"`
}

type mockDataRequest struct {
	Nodes       []string                  `json:"nodes" doc:"template node ids that return mock outputs instead of running"`
	Outputs     map[string]map[string]any `json:"outputs" doc:"node id → its outputs"`
	MockDataIDs map[string]any            `json:"mock_data_ids" doc:"not supported: give outputs"`
	FailNodes   []string                  `json:"fail_nodes" doc:"mock nodes that fail instead (bkflow extension)"`
	Errors      map[string]string         `json:"errors" doc:"node id → ex_data of a failing mock node"`
}

// taskCreatedJSON is create_task's data: the task with its parameters and
// labels.
type taskCreatedJSON struct {
	taskJSON
	Parameters map[string]any `json:"parameters"`
}

// newTask is what every creation endpoint hands createTask.
type newTask struct {
	template     *store.Template
	tree         pipeline.Tree
	constants    map[string]any
	exclude      []string
	name         string
	description  string
	creator      string
	scopeType    *string
	scopeValue   *string
	createMethod string
	notifyConfig json.RawMessage
	credentials  map[string]any
	spanAttrs    map[string]any
	labelIDs     []int64
	mock         *mockDataRequest
}

func (h *tasksHandler) create(r *http.Request) (any, error) {
	var req createTaskRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	ctx := r.Context()
	fe := FieldErrors{}
	if req.TemplateID == nil {
		fe.Add("template_id", msgRequired)
	}
	nt := newTask{createMethod: createMethodAPI, constants: req.Constants, exclude: req.ExcludeTaskNodesID,
		spanAttrs: req.CustomSpanAttributes, labelIDs: req.LabelIDs}
	nt.creator = checkString(fe, "creator", req.Creator, 32, true)
	nt.name = taskName(fe, req.Name, false)
	nt.description = deref(req.Description)
	nt.credentials = h.credentials(fe, req.Credentials)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	t, err := h.templateOf(ctx, *req.TemplateID)
	if err != nil {
		return nil, err
	}
	if nt.tree, err = h.templateTree(ctx, t, false); err != nil {
		return nil, err
	}
	nt.template = &t
	return h.createTask(ctx, nt)
}

func (h *tasksHandler) createWithoutTemplate(r *http.Request) (any, error) {
	var req createTaskWithoutTemplateRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	fe := FieldErrors{}
	nt := newTask{createMethod: createMethodAPI, constants: req.Constants, scopeType: req.ScopeType,
		scopeValue: req.ScopeValue, spanAttrs: req.CustomSpanAttributes, notifyConfig: req.NotifyConfig}
	nt.creator = checkString(fe, "creator", req.Creator, 32, true)
	nt.name = taskName(fe, req.Name, false)
	nt.description = deref(req.Description)
	if !hasObject(req.PipelineTree) {
		fe.Add("pipeline_tree", msgRequired)
	}
	checkScope(fe, req.ScopeType, req.ScopeValue)
	checkObject(fe, "notify_config", req.NotifyConfig)
	nt.credentials = h.credentials(fe, req.Credentials)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	tree, err := pipeline.DecodeTree(req.PipelineTree)
	if err != nil {
		return nil, fieldError("pipeline_tree", "流程树校验失败: "+err.Error())
	}
	nt.tree = tree
	return h.createTask(r.Context(), nt)
}

func (h *tasksHandler) createMock(r *http.Request) (any, error) {
	var req createMockTaskRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	ctx := r.Context()
	fe := FieldErrors{}
	if req.TemplateID == nil {
		fe.Add("template_id", msgRequired)
	}
	nt := newTask{createMethod: createMethodMock, constants: req.Constants, spanAttrs: req.CustomSpanAttributes,
		mock: req.MockData}
	nt.creator = checkString(fe, "creator", req.Creator, 32, true)
	nt.name = taskName(fe, req.Name, true)
	nt.description = deref(req.Description)
	nt.credentials = h.credentials(fe, req.Credentials)
	if m := req.MockData; m != nil && len(m.MockDataIDs) > 0 && len(m.Outputs) == 0 {
		fe.Add("mock_data.mock_data_ids", "stored mock data is not supported by bkflow: give the outputs in mock_data.outputs")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	t, err := h.templateOf(ctx, *req.TemplateID)
	if err != nil {
		return nil, err
	}
	if nt.tree, err = h.templateTree(ctx, t, true); err != nil {
		return nil, err
	}
	nt.template = &t
	return h.createTask(ctx, nt)
}

// taskName validates a task name; without one the task gets BKFlow's
// default name unless required.
func taskName(fe FieldErrors, name *string, required bool) string {
	if name == nil && !required {
		return defaultTaskName
	}
	return checkString(fe, "name", name, 128, true)
}

// templateOf loads a live template of the request's space.
func (h *tasksHandler) templateOf(ctx context.Context, id int64) (store.Template, error) {
	sp := spaceFrom(ctx)
	t, err := h.store.TemplateGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (t.SpaceID != sp.ID || t.IsDeleted)) {
		return store.Template{}, fieldError("template_id", fmt.Sprintf("模版不存在，space_id=%d, template_id=%d", sp.ID, id))
	}
	if err != nil {
		return store.Template{}, fmt.Errorf("load template %d: %w", id, err)
	}
	return t, nil
}

// templateTree loads the tree a task of t runs: the live tree, or for a
// mock task the draft when there is one.
func (h *tasksHandler) templateTree(ctx context.Context, t store.Template, draft bool) (pipeline.Tree, error) {
	var snap store.Snapshot
	err := store.ErrNotFound
	if draft {
		snap, err = h.store.SnapshotDraft(ctx, t.ID)
	}
	if errors.Is(err, store.ErrNotFound) {
		snap, err = h.store.SnapshotGet(ctx, t.SnapshotID)
	}
	if err != nil {
		return nil, fmt.Errorf("load tree of template %d: %w", t.ID, err)
	}
	tree, err := pipeline.DecodeTree(snap.Data)
	if err != nil {
		return nil, fmt.Errorf("decode tree of template %d: %w", t.ID, err)
	}
	return tree, nil
}

// credentials decodes create_task's credentials ({name: base64 of a JSON
// object}) with BKFlow's messages and seals every string inside them: they
// are stored, and reach Temporal, only as sealed tokens.
func (h *tasksHandler) credentials(fe FieldErrors, in map[string]any) map[string]any {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]any, len(in))
	for _, key := range slices.Sorted(maps.Keys(in)) {
		s, ok := in[key].(string)
		if !ok {
			fe.Add("credentials", fmt.Sprintf("凭证 %s 的值必须是base64编码的json字符串", key))
			continue
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
		if err != nil {
			fe.Add("credentials", fmt.Sprintf("凭证 %s 的值不是有效的base64编码", key))
			continue
		}
		if !utf8.Valid(raw) {
			fe.Add("credentials", fmt.Sprintf("凭证 %s 解码后的内容不是有效的UTF-8编码", key))
			continue
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			fe.Add("credentials", fmt.Sprintf("凭证 %s 解码后的内容不是有效的json格式: %v", key, err))
			continue
		}
		obj, ok := v.(map[string]any)
		if !ok {
			fe.Add("credentials", fmt.Sprintf("凭证 %s 解码后的内容必须是json对象", key))
			continue
		}
		out[key] = obj
	}
	if _, bad := fe["credentials"]; bad {
		return nil
	}
	if !h.sealer.CanSeal() {
		fe.Add("credentials", "credentials cannot be stored: no secret key is configured (--secret-keys)")
		return nil
	}
	sealed, err := h.sealer.SealValue(out)
	if err != nil {
		fe.Add("credentials", "credentials cannot be sealed: "+err.Error())
		return nil
	}
	m, _ := sealed.(map[string]any)
	return m
}

// createTask prepares nt's tree (§8.10) and stores the task, not started.
func (h *tasksHandler) createTask(ctx context.Context, nt newTask) (any, error) {
	sp := spaceFrom(ctx)
	var templateID *int64
	if nt.template != nil {
		templateID = &nt.template.ID
		nt.scopeType, nt.scopeValue = nt.template.ScopeType, nt.template.ScopeValue
		nt.notifyConfig = nt.template.NotifyConfig
		if !hasObject(nt.notifyConfig) {
			nt.notifyConfig = json.RawMessage(defaultNotifyConfig)
		}
	}
	var tpl *admission.Ref
	if nt.template != nil {
		tpl = &admission.Ref{ID: nt.template.ID, Name: nt.template.Name}
	}
	if err := admit(ctx, h.admission, admission.ActionTaskCreate, nt.creator, tpl, nil, nt.tree); err != nil {
		return nil, err
	}
	prepared, err := h.prepare(nt.tree, nt.constants, nt.exclude)
	if err != nil {
		return nil, err
	}
	mockJSON, err := mockData(nt.mock, prepared)
	if err != nil {
		return nil, err
	}
	extra := map[string]any{}
	if hasObject(nt.notifyConfig) {
		extra["notify_config"] = nt.notifyConfig
	}
	custom := map[string]any{}
	if len(nt.credentials) > 0 {
		custom["credentials"] = nt.credentials
	}
	if len(nt.spanAttrs) > 0 {
		custom["custom_span_attributes"] = nt.spanAttrs
	}
	if len(custom) > 0 {
		extra["custom_context"] = custom
	}
	extraJSON, err := json.Marshal(extra)
	if err != nil {
		return nil, errInternal(err)
	}
	var out taskCreatedJSON
	err = h.store.InTx(ctx, func(q *store.Queries) error {
		labelIDs, err := checkLabelIDs(ctx, q, sp.ID, nt.labelIDs, labelScopeTask, "label_ids")
		if err != nil {
			return err
		}
		t, err := q.TaskCreate(ctx, store.TaskCreateParams{
			SpaceID: sp.ID, TemplateID: templateID, InstanceID: prepared.instanceID, Name: nt.name,
			Description: nt.description, Creator: nt.creator, CreateMethod: nt.createMethod, TriggerMethod: "api",
			ScopeType: nt.scopeType, ScopeValue: nt.scopeValue, PipelineTree: prepared.web,
			ExecutionTree: prepared.engine, ExtraInfo: extraJSON, MockData: mockJSON,
			Namespace: h.cfg.TemporalNamespace, TaskQueue: h.cfg.TemporalTaskQueue,
		})
		if err != nil {
			return fmt.Errorf("create task: %w", err)
		}
		if err := q.TaskLabelsSet(ctx, t.ID, labelIDs); err != nil {
			return fmt.Errorf("save labels: %w", err)
		}
		labels, err := q.LabelsOfTasks(ctx, []int64{t.ID})
		if err != nil {
			return fmt.Errorf("load labels: %w", err)
		}
		out = taskCreatedJSON{taskJSON: h.fmt.task(t), Parameters: prepared.parameters}
		out.Labels = h.fmt.labels(labels[t.ID])
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// mockData maps a mock request's template node ids to the task's.
func mockData(m *mockDataRequest, p preparedTree) (json.RawMessage, error) {
	if m == nil {
		return nil, nil
	}
	fe := FieldErrors{}
	task := func(field, id string) string {
		nid, ok := p.ids[id]
		if !ok || !p.activities[nid] {
			fe.Add(field, fmt.Sprintf("node %s is not an activity of the template", id))
		}
		return nid
	}
	out := workflows.Mock{Nodes: []string{}, Outputs: map[string]map[string]any{}, Errors: map[string]string{}}
	for _, id := range m.Nodes {
		out.Nodes = append(out.Nodes, task("mock_data.nodes", id))
	}
	for _, id := range slices.Sorted(maps.Keys(m.Outputs)) {
		out.Outputs[task("mock_data.outputs", id)] = m.Outputs[id]
	}
	for _, id := range m.FailNodes {
		out.FailNodes = append(out.FailNodes, task("mock_data.fail_nodes", id))
	}
	for _, id := range slices.Sorted(maps.Keys(m.Errors)) {
		out.Errors[task("mock_data.errors", id)] = m.Errors[id]
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	raw, err := json.Marshal(out)
	if err != nil {
		return nil, errInternal(err)
	}
	return raw, nil
}

// preparedTree is a task's tree ready to store: the web form (ids
// regenerated, constants applied) and the engine form it runs.
type preparedTree struct {
	instanceID string
	web        json.RawMessage
	engine     json.RawMessage
	parameters map[string]any
	// ids maps the given tree's ids to the task's; activities are the task's
	// activity ids.
	ids        map[string]string
	activities map[string]bool
}

// prepare applies BKFlow's task-creation transforms (§8.10) to a web tree:
// constant overrides, optional-node exclusion, validation, subprocess
// conversion, id regeneration and the engine form. Any problem is refused
// naming the nodes and flows involved.
func (h *tasksHandler) prepare(tree pipeline.Tree, constants map[string]any, exclude []string) (preparedTree, error) {
	instanceID := activities.NewInstanceID()
	p, err := h.parser.Prepare(tree, pipeline.PrepareOptions{
		Constants: constants, Exclude: exclude, InstanceID: instanceID, Component: h.componentVersion,
	})
	if err != nil {
		return preparedTree{}, treeError(err)
	}
	webJSON, err := json.Marshal(p.Web)
	if err != nil {
		return preparedTree{}, errInternal(err)
	}
	engJSON, err := json.Marshal(p.Engine)
	if err != nil {
		return preparedTree{}, errInternal(err)
	}
	acts := map[string]bool{}
	for id, n := range p.Engine.Nodes {
		if n.Type == pipeline.TypeActivity {
			acts[id] = true
		}
	}
	return preparedTree{instanceID: instanceID, web: webJSON, engine: engJSON, parameters: p.Parameters,
		ids: p.IDs, activities: acts}, nil
}

// componentVersion pins a component to a registered version.
func (h *tasksHandler) componentVersion(code, version string) (string, bool) {
	c, ok := h.registry.Lookup(code, version)
	if !ok {
		return "", false
	}
	return c.Spec().Version, true
}
