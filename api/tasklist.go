package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/bkflow/bkflow/internal/store"
	"github.com/bkflow/bkflow/workflows"
)

// maxTaskIDList caps get_task_list's task_id_list (BKFlow's limit).
const maxTaskIDList = 50

// maxStatesIDs caps get_tasks_states (BKFlow has no cap).
const maxStatesIDs = 1000

// taskPage is get_task_list's data (DRF's limit/offset pagination).
type taskPage struct {
	Count    int        `json:"count"`
	Next     *string    `json:"next"`
	Previous *string    `json:"previous"`
	Results  []taskJSON `json:"results"`
}

func (h *tasksHandler) list(r *http.Request) (any, error) {
	ctx := r.Context()
	sp := spaceFrom(ctx)
	qs := r.URL.Query()
	fe := FieldErrors{}
	f := store.TaskFilter{SpaceID: sp.ID}
	// DRF's LimitOffsetPagination: limit ≤ 0 means its default 10, more than
	// 200 means 200; a negative offset means 0.
	f.Limit = queryAnyInt(fe, qs, "limit", defaultLimit)
	switch {
	case f.Limit <= 0:
		f.Limit = 10
	case f.Limit > maxLimit:
		f.Limit = maxLimit
	}
	f.Offset = max(queryAnyInt(fe, qs, "offset", 0), 0)
	f.Name = queryString(fe, qs, "name", 128)
	f.Creator = queryString(fe, qs, "creator", 32)
	f.Executor = queryString(fe, qs, "executor", 32)
	if s := queryString(fe, qs, "scope_type", 128); s != "" {
		f.ScopeType = &s
	}
	if s := queryString(fe, qs, "scope_value", 128); s != "" {
		f.ScopeValue = &s
	}
	f.ID = queryID(fe, qs, "id")
	f.TemplateID = queryID(fe, qs, "template_id")
	f.CreatedAfter = h.fmt.queryTime(fe, qs, "create_at_start")
	f.CreatedBefore = h.fmt.queryTime(fe, qs, "create_at_end")
	if list, ok := qs["task_id_list"]; ok {
		ids := []int64{}
		for _, s := range list {
			id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil {
				fe.Add("task_id_list", fmt.Sprintf("must be integers (repeat the parameter for each id), got %q", s))
				break
			}
			ids = append(ids, id)
		}
		if len(ids) > maxTaskIDList {
			fe.Add("task_id_list", "task_id_list 不能超过50个长度")
		}
		f.IDs = ids
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if names := labelNames(qs.Get("label")); len(names) > 0 {
		ids, err := h.store.LabelIDsByNames(ctx, sp.ID, names)
		if err != nil {
			return nil, fmt.Errorf("resolve labels: %w", err)
		}
		f.LabelIDs = append([]int64{}, ids...)
	}
	f.Where = listFilterFrom(ctx)
	tasks, count, err := h.store.TaskList(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	ids := make([]int64, len(tasks))
	for i, t := range tasks {
		ids[i] = t.ID
	}
	labels, err := h.store.LabelsOfTasks(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load labels: %w", err)
	}
	page := taskPage{Count: count, Results: make([]taskJSON, len(tasks))}
	for i, t := range tasks {
		page.Results[i] = h.fmt.task(t)
		page.Results[i].Labels = briefLabels(labels[t.ID])
	}
	if f.Offset+f.Limit < count {
		u := pageURL(r, f.Limit, f.Offset+f.Limit)
		page.Next = &u
	}
	if f.Offset > 0 {
		u := pageURL(r, f.Limit, max(f.Offset-f.Limit, 0))
		page.Previous = &u
	}
	return page, nil
}

// pageURL is the public URL of another page of the same list: the request's
// URL with limit and offset replaced (offset dropped when 0, as DRF does).
func pageURL(r *http.Request, limit, offset int) string {
	qs := url.Values{}
	for k, v := range r.URL.Query() {
		qs[k] = v
	}
	qs.Set("limit", strconv.Itoa(limit))
	qs.Del("offset")
	if offset > 0 {
		qs.Set("offset", strconv.Itoa(offset))
	}
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return (&url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawQuery: qs.Encode()}).String()
}

// queryAnyInt reads an integer query parameter (negative values allowed).
func queryAnyInt(fe FieldErrors, qs url.Values, name string, def int) int {
	s := strings.TrimSpace(qs.Get(name))
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		fe.Add(name, "A valid integer is required.")
		return def
	}
	return n
}

// queryID reads an optional integer id parameter.
func queryID(fe FieldErrors, qs url.Values, name string) *int64 {
	s := strings.TrimSpace(qs.Get(name))
	if s == "" {
		return nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		fe.Add(name, "A valid integer is required.")
		return nil
	}
	return &id
}

type taskIDsRequest struct {
	TaskIDs []int64 `json:"task_ids" doc:"required: task ids (at most 1000)"`
}

type stateJSON struct {
	State *string `json:"state"`
}

// statesOf answers get_tasks_states from the task records alone (one query,
// no Temporal call): the state of the task's last lifecycle event, final
// once it closed. Tasks of other spaces, deleted and unknown ids are left
// out.
func (h *tasksHandler) statesOf(r *http.Request) (any, error) {
	var req taskIDsRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	switch {
	case req.TaskIDs == nil:
		return nil, fieldError("task_ids", msgRequired)
	case len(req.TaskIDs) > maxStatesIDs:
		return nil, fieldError("task_ids", fmt.Sprintf("at most %d task ids at once", maxStatesIDs))
	}
	out := map[string]stateJSON{}
	if len(req.TaskIDs) == 0 {
		return out, nil
	}
	states, err := h.store.TaskStates(r.Context(), spaceFrom(r.Context()).ID, req.TaskIDs)
	if err != nil {
		return nil, fmt.Errorf("load task states: %w", err)
	}
	for _, s := range states {
		state := s.State
		switch {
		case s.IsExpired:
			state = "EXPIRED"
		case !s.IsStarted:
			state = workflows.StateCreated
		}
		out[strconv.FormatInt(s.ID, 10)] = stateJSON{State: &state}
	}
	return out, nil
}

func (h *tasksHandler) updateLabels(r *http.Request) (any, error) {
	t := taskFrom(r.Context())
	return replaceLabels(r, h.store, t.SpaceID, labelScopeTask, func(ctx context.Context, q *store.Queries, ids []int64) error {
		return q.TaskLabelsSet(ctx, t.ID, ids)
	})
}

type deleteTasksRequest struct {
	TaskIDs []int64 `json:"task_ids" doc:"tasks to delete"`
	IsFull  bool    `json:"is_full" doc:"delete every task of the space (then is_mock is required)"`
	IsMock  *bool   `json:"is_mock" doc:"with is_full: only mock tasks (true) or all tasks (false)"`
}

func (h *tasksHandler) delete(r *http.Request) (any, error) {
	var req deleteTasksRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.IsFull && req.IsMock == nil {
		return nil, fieldError("is_mock", "is_mock must exist when delete all tasks")
	}
	ids := slices.Compact(slices.Sorted(slices.Values(req.TaskIDs)))
	if !req.IsFull && len(ids) == 0 {
		return nil, nil
	}
	mockOnly := req.IsMock != nil && *req.IsMock
	if _, err := h.store.TasksSoftDelete(r.Context(), spaceFrom(r.Context()).ID, ids, req.IsFull, mockOnly); err != nil {
		return nil, fmt.Errorf("delete tasks: %w", err)
	}
	return nil, nil
}
