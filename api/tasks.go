package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/bkflow/bkflow/activities"
	"github.com/bkflow/bkflow/internal/config"
	"github.com/bkflow/bkflow/internal/secrets"
	"github.com/bkflow/bkflow/internal/store"
	"github.com/bkflow/bkflow/policy/admission"
	"github.com/bkflow/bkflow/workflows"
	"github.com/bkflow/bkflow/workflows/pipeline"
)

// tasksHandler serves tasks: creation, operations, states and details.
type tasksHandler struct {
	// admission holds operators' rules for task creation and start.
	admission *admission.Checker
	store     *store.Store
	cfg       *config.Config
	parser    *pipeline.Parser
	registry  *activities.Registry
	sealer    *secrets.Sealer
	runner    *taskRunner
	fmt       formatter
}

func (h *tasksHandler) routes(space, task *routes) {
	space.add(route{Method: http.MethodPost, Path: "/space/{space_id}/create_task/", OperationID: "create_task",
		Tag: "task", AppAuth: true, Summary: "Create a task from a template's live tree (not started: call operate_task/start)",
		Request: createTaskRequest{}, Response: taskCreatedJSON{}, Handler: h.create})
	space.add(route{Method: http.MethodPost, Path: "/space/{space_id}/create_mock_task/", OperationID: "create_mock_task",
		Tag: "task", AppAuth: true, Summary: "Create a mock task: listed nodes return mock outputs instead of running",
		Request: createMockTaskRequest{}, Response: taskCreatedJSON{}, Handler: h.createMock})
	space.add(route{Method: http.MethodGet, Path: "/space/{space_id}/get_task_list/", OperationID: "get_task_list",
		Tag: "task", AppAuth: true, Summary: "List tasks, newest first (DRF pagination: count/next/previous/results)",
		Query: []queryParam{
			{Name: "limit", Type: "integer", Description: "page size, default 100, at most 200"},
			{Name: "offset", Type: "integer"},
			{Name: "name", Type: "string", Description: "name contains (case-insensitive)"},
			{Name: "creator", Type: "string"}, {Name: "executor", Type: "string"},
			{Name: "scope_type", Type: "string"}, {Name: "scope_value", Type: "string"},
			{Name: "id", Type: "integer"}, {Name: "template_id", Type: "integer"},
			{Name: "task_id_list", Type: "integer", Description: "repeat for each id, at most 50"},
			{Name: "label", Type: "string", Description: "label names; a root label matches its children"},
			{Name: "create_at_start", Type: "string"}, {Name: "create_at_end", Type: "string"},
		}, Response: taskPage{}, Handler: h.list})
	space.add(route{Method: http.MethodPost, Path: "/space/{space_id}/get_tasks_states/", OperationID: "get_tasks_states",
		Tag: "task", AppAuth: true, Summary: "The states of many tasks at once, from their records (no Temporal call)",
		Request: taskIDsRequest{}, Response: map[string]stateJSON{}, Handler: h.statesOf})
	space.add(route{Method: http.MethodPost, Path: "/space/{space_id}/delete_task/", OperationID: "delete_task",
		Tag: "task", AppAuth: true, Summary: "Delete tasks (soft; running tasks keep running, as in BKFlow)",
		Request: deleteTasksRequest{}, Handler: h.delete})
	task.add(route{Method: http.MethodPost, Path: "/space/{space_id}/task/{task_id}/update_labels/",
		OperationID: "update_task_labels", Tag: "task", AppAuth: true, Summary: "Replace a task's labels",
		Request: labelIDsRequest{}, Response: []int64{}, Handler: h.updateLabels})
	space.add(route{Method: http.MethodPost, Path: "/space/{space_id}/create_task_without_template/",
		OperationID: "create_task_without_template", Tag: "task", AppAuth: true,
		Summary: "Create a task from a pipeline_tree (not started: call operate_task/start)",
		Request: createTaskWithoutTemplateRequest{}, Response: taskJSON{}, Handler: h.createWithoutTemplate})
	task.add(route{Method: http.MethodGet, Path: "/space/{space_id}/task/{task_id}/get_task_detail/",
		OperationID: "get_task_detail", Tag: "task", AppAuth: true, Summary: "A task with its tree, outputs and times",
		Response: taskDetailJSON{}, Handler: h.detail})
	task.add(route{Method: http.MethodGet, Path: "/space/{space_id}/task/{task_id}/get_task_states/",
		OperationID: "get_task_states", Tag: "task", AppAuth: true, Summary: "The task's state tree",
		Response: map[string]any{}, Handler: h.states})
	task.add(route{Method: http.MethodPost, Path: "/space/{space_id}/task/{task_id}/operate_task/{operation}/",
		OperationID: "operate_task", Tag: "task", AppAuth: true,
		Summary: "start, pause, resume or revoke the task", Request: operateTaskRequest{}, Handler: h.operate})
	task.add(route{Method: http.MethodGet, Path: "/space/{space_id}/task/{task_id}/node/{node_id}/get_task_node_detail/",
		OperationID: "get_task_node_detail", Tag: "task", AppAuth: true,
		Summary: "One node's inputs, outputs, state and earlier attempts", Query: []queryParam{
			{Name: "loop", Type: "integer", Description: "an earlier loop of the node (default: the latest)"},
			{Name: "component_code", Type: "string", Description: "format outputs against this component's declared outputs"},
		}, Response: map[string]any{}, Handler: h.nodeDetail})
	task.add(route{Method: http.MethodPost, Path: "/space/{space_id}/task/{task_id}/node/{node_id}/operate_node/{operation}/",
		OperationID: "operate_task_node", Tag: "task", AppAuth: true,
		Summary: "retry, skip, callback, forced_fail, skip_exg, skip_cpg, pause_subprocess or resume_subprocess a node",
		Request: operateNodeRequest{}, Handler: h.operateNode})
}

type operateTaskRequest struct {
	Operator *string `json:"operator" doc:"required, at most 32 characters"`
}

type operateNodeRequest struct {
	Operator          *string        `json:"operator" doc:"required, at most 32 characters"`
	Inputs            map[string]any `json:"inputs" doc:"retry: new inputs of the node"`
	Loop              bool           `json:"loop" doc:"retry/skip: loop retry (not supported: refused)"`
	Data              any            `json:"data" doc:"callback: the data handed to the component"`
	Version           *string        `json:"version" doc:"callback: the node version it is for (default: current)"`
	ExData            *string        `json:"ex_data" doc:"forced_fail: the failure message"`
	FlowID            *string        `json:"flow_id" doc:"skip_exg: the branch to continue on"`
	FlowIDs           []string       `json:"flow_ids" doc:"skip_cpg: the branches to run"`
	ConvergeGatewayID *string        `json:"converge_gateway_id" doc:"skip_cpg: the gateway's converge gateway"`
}

// treeError renders tree problems as BKFlow's pipeline_tree refusal.
func treeError(err error) error {
	var ve *pipeline.ValidationError
	if errors.As(err, &ve) {
		if len(ve.Problems) == 1 && ve.Problems[0].Code == pipeline.ProblemExclude {
			// exclude_task_nodes_id named a node that cannot be left out.
			return fieldError("exclude_task_nodes_id", ve.Problems[0].Message)
		}
		lines := make([]string, len(ve.Problems))
		for i, p := range ve.Problems {
			lines[i] = p.String()
		}
		return fieldError("pipeline_tree", "流程树校验失败: "+strings.Join(lines, "; "))
	}
	return fieldError("pipeline_tree", "流程树校验失败: "+err.Error())
}

func (h *tasksHandler) detail(r *http.Request) (any, error) {
	t := taskFrom(r.Context())
	out := taskDetailJSON{taskJSON: h.fmt.task(t), PipelineTree: t.PipelineTree, Outputs: []keyValue{},
		WebhookDeliveryHistory: []any{}, TemporalUIURL: h.fmt.temporalURL(t.ID)}
	if len(out.PipelineTree) == 0 {
		out.PipelineTree = json.RawMessage(`null`)
	}
	var start, finish time.Time
	if t.StartTime != nil {
		start = *t.StartTime
	}
	if t.FinishTime != nil {
		finish = *t.FinishTime
	}
	var outputs map[string]any
	if len(t.Outputs) > 0 {
		if err := json.Unmarshal(t.Outputs, &outputs); err != nil {
			return nil, errInternal(fmt.Errorf("decode outputs of task %d: %w", t.ID, err))
		}
	} else if t.IsStarted {
		// Still running (or closing): the workflow knows more than the record.
		st, err := h.runner.states(r.Context(), t)
		if err != nil {
			return nil, err
		}
		outputs = st.Outputs
		if st.Root.State == workflows.StateFinished || st.Root.State == workflows.StateRevoked {
			out.IsFinished = st.Root.State == workflows.StateFinished
			out.IsRevoked = st.Root.State == workflows.StateRevoked
			out.FinishTime = h.fmt.taskTime(&st.Root.FinishedAt)
			finish = st.Root.FinishedAt
		}
	}
	outputs = masked(outputs)
	for _, k := range slices.Sorted(maps.Keys(outputs)) {
		out.Outputs = append(out.Outputs, keyValue{Key: k, Value: outputs[k]})
	}
	out.ElapsedTime = h.fmt.elapsed(start, finish)
	if t.ParentTaskID != nil {
		parent, err := h.store.TaskGet(r.Context(), *t.ParentTaskID)
		if err != nil {
			return nil, fmt.Errorf("load parent task: %w", err)
		}
		out.ParentTaskInfo = &parentTaskInfo{TaskID: parent.ID, State: parent.State}
	}
	return out, nil
}

func (h *tasksHandler) states(r *http.Request) (any, error) {
	t := taskFrom(r.Context())
	if t.IsExpired {
		return map[string]any{"state": "EXPIRED"}, nil
	}
	if !t.IsStarted {
		return createdStates(), nil
	}
	st, err := h.runner.states(r.Context(), t)
	if err != nil {
		return nil, err
	}
	return h.fmt.states(t, st), nil
}

func (h *tasksHandler) operate(r *http.Request) (any, error) {
	var req operateTaskRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	fe := FieldErrors{}
	operator := checkString(fe, "operator", req.Operator, 32, true)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	return nil, h.operateAs(r, operator)
}

// operateAs runs the {operation} of the path on the loaded task for
// operator.
func (h *tasksHandler) operateAs(r *http.Request, operator string) error {
	op := chi.URLParam(r, "operation")
	if !slices.Contains([]string{"start", "pause", "resume", "revoke"}, op) {
		return fieldError("operation", fmt.Sprintf("must be one of start, pause, resume, revoke, got %q", op))
	}
	t := taskFrom(r.Context())
	var err error
	if op == "start" {
		var tpl *admission.Ref
		if t.TemplateID != nil {
			tpl = &admission.Ref{ID: *t.TemplateID}
		}
		if t.IsStarted {
			err = operationError("task already started")
		} else if err = admitJSON(r.Context(), h.admission, admission.ActionTaskStart, operator, tpl,
			&admission.Ref{ID: t.ID, Name: t.Name}, t.PipelineTree); err != nil {
			return err
		} else {
			err = h.runner.start(r.Context(), t, spaceFrom(r.Context()), operator)
		}
	} else {
		err = h.runner.operate(r.Context(), t, op, workflows.OperationRequest{Operator: operator})
	}
	return operationResult(err)
}

var nodeOperations = []string{"retry", "skip", "callback", "forced_fail", "skip_exg", "skip_cpg", "pause_subprocess", "resume_subprocess"}

func (h *tasksHandler) operateNode(r *http.Request) (any, error) {
	var req operateNodeRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	fe := FieldErrors{}
	operator := checkString(fe, "operator", req.Operator, 32, true)
	op := chi.URLParam(r, "operation")
	if !slices.Contains(nodeOperations, op) {
		fe.Add("operation", "must be one of "+strings.Join(nodeOperations, ", ")+fmt.Sprintf(", got %q", op))
	}
	if req.Loop {
		fe.Add("loop", "loop retry and loop skip are not supported")
	}
	if op == "skip_exg" && (req.FlowID == nil || *req.FlowID == "") {
		fe.Add("flow_id", msgRequired)
	}
	if op == "skip_cpg" && len(req.FlowIDs) == 0 {
		fe.Add("flow_ids", msgRequired)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	nodeID := chi.URLParam(r, "node_id")
	arg := workflows.NodeOperationRequest{NodeID: nodeID, Operator: operator, Inputs: req.Inputs, Data: req.Data,
		FlowIDs: req.FlowIDs}
	if req.Version != nil {
		arg.Version = *req.Version
	}
	if req.ExData != nil {
		arg.ExData = *req.ExData
	}
	if req.FlowID != nil {
		arg.FlowID = *req.FlowID
	}
	if req.ConvergeGatewayID != nil {
		arg.ConvergeGatewayID = *req.ConvergeGatewayID
	}
	return nil, operationResult(h.runner.operate(r.Context(), taskFrom(r.Context()), op, arg))
}

// operationResult turns an engine refusal into BKFlow's "task operation
// error" answer.
func operationResult(err error) error {
	var op *errOperation
	if errors.As(err, &op) {
		return refusal("task operation error: %s", op.msg)
	}
	return err
}

func (h *tasksHandler) nodeDetail(r *http.Request) (any, error) {
	t := taskFrom(r.Context())
	nodeID := chi.URLParam(r, "node_id")
	loop := 0
	if s := r.URL.Query().Get("loop"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return nil, fieldError("loop", "must be a positive integer")
		}
		loop = n
	}
	if !t.IsStarted {
		rec, err := h.runner.previewClosed(t, nodeID)
		if err != nil {
			return nil, operationResult(err)
		}
		return h.fmt.nodeDetail(t.InstanceID, rec, ""), nil
	}
	rec, err := h.runner.nodeDetail(r.Context(), t, nodeID, loop)
	if err != nil {
		return nil, operationResult(err)
	}
	code := r.URL.Query().Get("component_code")
	return h.fmt.nodeDetail(t.InstanceID, rec, code), nil
}

type ctxKeyTask struct{}

// taskFrom returns the task loaded by loadTask.
func taskFrom(ctx context.Context) store.Task {
	t, _ := ctx.Value(ctxKeyTask{}).(store.Task)
	return t
}

// loadTask resolves {task_id} within the loaded space: a task of another
// space, a deleted task or an unknown id are refused alike.
func loadTask(st *store.Store, a adapter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sp := spaceFrom(r.Context())
			id, err := pathID(r, "task_id")
			if err != nil {
				a.fail(w, r, err)
				return
			}
			t, err := st.TaskGet(r.Context(), id)
			if errors.Is(err, store.ErrNotFound) || (err == nil && (t.SpaceID != sp.ID || t.IsDeleted)) {
				a.fail(w, r, &Error{Status: http.StatusOK, Code: http.StatusNotFound,
					Message: fmt.Sprintf("task(%d) does not exist in space %d", id, sp.ID)})
				return
			}
			if err != nil {
				a.fail(w, r, errInternal(fmt.Errorf("load task %d: %w", id, err)))
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKeyTask{}, t)))
		})
	}
}
