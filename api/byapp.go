package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/bkflow/bkflow/internal/store"
)

// byAppHandler serves the *_by_app endpoints: templates and tasks reached
// without a space in the path, authorised by the app the template is bound
// to (bind_app_code) and acting as the calling user.
type byAppHandler struct {
	templates *templatesHandler
	tasks     *tasksHandler
}

func (h *byAppHandler) routes(template, task *routes) {
	template.add(route{Method: http.MethodGet, Path: "/template/{template_id}/get_template_detail_by_app/",
		OperationID: "get_template_detail_by_app", Tag: "by_app", AppAuth: true,
		Summary: "get_template_detail of a template bound to the calling app", Query: []queryParam{
			{Name: "format", Type: "string", Description: "raw (default), pipeline_tree or plugin"},
		}, Response: templateDetailJSON{}, Handler: h.templateDetail})
	template.add(route{Method: http.MethodPost, Path: "/template/{template_id}/create_task_by_app/",
		OperationID: "create_task_by_app", Tag: "by_app", AppAuth: true,
		Summary: "create_task from a template bound to the calling app; the creator is the calling user",
		Request: createTaskByAppRequest{}, Response: taskCreatedJSON{}, Handler: h.createTask})
	task.add(route{Method: http.MethodPost, Path: "/task/{task_id}/operate_task_by_app/{operation}/",
		OperationID: "operate_task_by_app", Tag: "by_app", AppAuth: true,
		Summary: "operate_task on a task of a template bound to the calling app; the operator is the calling user",
		Handler: h.operate})
	task.add(route{Method: http.MethodGet, Path: "/task/{task_id}/get_task_states_by_app/",
		OperationID: "get_task_states_by_app", Tag: "by_app", AppAuth: true,
		Summary: "get_task_states of a task of a template bound to the calling app", Response: map[string]any{},
		Handler: h.tasks.states})
}

type createTaskByAppRequest struct {
	Name                 *string        `json:"name" doc:"at most 128 characters; default default_taskflow_instance"`
	Description          *string        `json:"description"`
	Constants            map[string]any `json:"constants"`
	CustomSpanAttributes map[string]any `json:"custom_span_attributes"`
	Credentials          map[string]any `json:"credentials" doc:"as in create_task (BKFlow drops them here)"`
	LabelIDs             []int64        `json:"label_ids" doc:"as in create_task (BKFlow drops them here)"`
}

func (h *byAppHandler) templateDetail(r *http.Request) (any, error) {
	format := r.URL.Query().Get("format")
	switch format {
	case "", "raw", "pipeline_tree", "plugin":
	default:
		return nil, fieldError("format", fmt.Sprintf(`"%s" is not a valid choice.`, format))
	}
	return h.templates.describe(r.Context(), templateFrom(r.Context()), format, true)
}

func (h *byAppHandler) createTask(r *http.Request) (any, error) {
	var req createTaskByAppRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	ctx := r.Context()
	fe := FieldErrors{}
	nt := newTask{createMethod: createMethodAPI, constants: req.Constants, spanAttrs: req.CustomSpanAttributes,
		labelIDs: req.LabelIDs, creator: callerFrom(ctx).Username}
	nt.name = taskName(fe, req.Name, false)
	nt.description = deref(req.Description)
	nt.credentials = h.tasks.credentials(fe, req.Credentials)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	t := templateFrom(ctx)
	tree, err := h.tasks.templateTree(ctx, t, false)
	if err != nil {
		return nil, err
	}
	nt.tree, nt.template = tree, &t
	return h.tasks.createTask(ctx, nt)
}

func (h *byAppHandler) operate(r *http.Request) (any, error) {
	return nil, h.tasks.operateAs(r, callerFrom(r.Context()).Username)
}

// byAppError is a refusal of the *_by_app authorisation, with BKFlow's HTTP
// status and message.
func byAppError(status int, msg string) error {
	return &Error{Status: status, Code: status, Message: msg}
}

// requireUser refuses callers without bk_username: the *_by_app endpoints
// act as a user (BKFlow's userVerifiedRequired).
func requireUser(ctx context.Context) error {
	if callerFrom(ctx).Username == "" {
		return errUnauthorized("user authentication failed: this endpoint acts as a user, give bk_username in the " +
			AuthHeader + " header")
	}
	return nil
}

// withTemplateSpace puts t and its space in the context.
func withTemplateSpace(ctx context.Context, st *store.Store, t store.Template) (context.Context, error) {
	sp, err := st.SpaceGet(ctx, t.SpaceID)
	if err != nil {
		return nil, fmt.Errorf("load space %d: %w", t.SpaceID, err)
	}
	return context.WithValue(context.WithValue(ctx, ctxKeyTemplate{}, t), ctxKeySpace{}, sp), nil
}

// checkBinding refuses a template that is not bound to the calling app.
func checkBinding(ctx context.Context, t store.Template, unbound, mismatch string) error {
	app := callerFrom(ctx).AppCode
	switch {
	case t.BKAppCode == nil || *t.BKAppCode == "":
		return byAppError(http.StatusForbidden, unbound)
	case *t.BKAppCode != app:
		return byAppError(http.StatusForbidden, fmt.Sprintf(mismatch+"，app=%s，模板绑定的 app=%s", app, *t.BKAppCode))
	}
	return nil
}

// loadTemplateByApp resolves {template_id} for the *_by_app template
// endpoints (BKFlow's check_template_bk_app_code).
func loadTemplateByApp(st *store.Store, a adapter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, err := templateByApp(r.Context(), st, chi.URLParam(r, "template_id"))
			if err != nil {
				a.fail(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

func templateByApp(ctx context.Context, st *store.Store, raw string) (context.Context, error) {
	if err := requireUser(ctx); err != nil {
		return nil, err
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if !digits.MatchString(raw) || err != nil {
		return nil, byAppError(http.StatusBadRequest, "template_id 是必填参数")
	}
	t, err := st.TemplateGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.IsDeleted) {
		return nil, byAppError(http.StatusNotFound, fmt.Sprintf("模板不存在，template_id=%d", id))
	}
	if err != nil {
		return nil, errInternal(fmt.Errorf("load template %d: %w", id, err))
	}
	if err := checkBinding(ctx, t, fmt.Sprintf("模板未绑定任何 bk_app_code，template_id=%d", id), "当前应用无权操作此模板"); err != nil {
		return nil, err
	}
	return withTemplateSpace(ctx, st, t)
}

// loadTaskByApp resolves {task_id} for the *_by_app task endpoints
// (BKFlow's check_task_bk_app_code): the task's template must be bound to
// the calling app.
func loadTaskByApp(st *store.Store, a adapter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, err := taskByApp(r.Context(), st, chi.URLParam(r, "task_id"))
			if err != nil {
				a.fail(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

func taskByApp(ctx context.Context, st *store.Store, raw string) (context.Context, error) {
	if err := requireUser(ctx); err != nil {
		return nil, err
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if !digits.MatchString(raw) || err != nil {
		return nil, byAppError(http.StatusBadRequest, "task_id 是必填参数")
	}
	task, err := st.TaskGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && task.IsDeleted) {
		return nil, byAppError(http.StatusNotFound, fmt.Sprintf("任务不存在，task_id=%d", id))
	}
	if err != nil {
		return nil, errInternal(fmt.Errorf("load task %d: %w", id, err))
	}
	if task.TemplateID == nil {
		return nil, byAppError(http.StatusForbidden, fmt.Sprintf("任务未关联任何模板，task_id=%d", id))
	}
	t, err := st.TemplateGet(ctx, *task.TemplateID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.IsDeleted) {
		return nil, byAppError(http.StatusNotFound, fmt.Sprintf("任务关联的模板不存在，task_id=%d，template_id=%d", id, *task.TemplateID))
	}
	if err != nil {
		return nil, errInternal(fmt.Errorf("load template %d: %w", *task.TemplateID, err))
	}
	if err := checkBinding(ctx, t, fmt.Sprintf("任务关联的模板未绑定任何 bk_app_code，task_id=%d，template_id=%d", id, t.ID),
		"当前应用无权操作此任务"); err != nil {
		return nil, err
	}
	ctx, err = withTemplateSpace(ctx, st, t)
	if err != nil {
		return nil, err
	}
	return context.WithValue(ctx, ctxKeyTask{}, task), nil
}
