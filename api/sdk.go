package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/bkflow/bkflow/api/spaceconfig"
	"github.com/bkflow/bkflow/internal/store"
	"github.com/bkflow/bkflow/policy"
)

// userAccess decides what the user an app acts for may do on the
// user-facing (/sdk) endpoints: a system admin or a space superuser may do
// anything; anyone else needs a token for the resource whose permission
// covers the operation, or an IAM policy for the matching action.
type userAccess struct {
	store  *store.Store
	policy *policy.Service
	admins map[string]bool
	now    func() time.Time
}

// maxTaskDepth bounds the walk up a task's parents when a task token opens
// its descendants.
const maxTaskDepth = 32

// tokenCovers lists, per resource kind and needed permission, the token
// permission types that grant it (BKFlow §4).
var tokenCovers = map[string]map[string][]string{
	"template": {permView: {permView, permEdit, permMock}, permEdit: {permEdit, permMock}},
	"task":     {permView: {permView, permOperate}, permOperate: {permOperate}},
}

var iamActions = map[string]map[string]string{
	"template": {permView: "template_view", permEdit: "template_edit"},
	"task":     {permView: "task_view", permOperate: "task_operate"},
}

// superuser reports whether user is a system admin or a superuser of space.
func (u *userAccess) superuser(ctx context.Context, user string, spaceID int64) (bool, error) {
	if u.admins[user] {
		return true, nil
	}
	c, err := u.store.SpaceConfigGet(ctx, spaceID, spaceconfig.KeySuperusers)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var users []string
	_ = json.Unmarshal(c.Value, &users)
	return slices.Contains(users, user), nil
}

// resource is what an /sdk call touches.
type sdkResource struct {
	kind       string // template | task
	id         int64
	spaceID    int64
	templateID *int64
	scopeType  *string
	scopeValue *string
	creator    string
}

func (u *userAccess) allowed(ctx context.Context, user, token string, res sdkResource, need string) (bool, error) {
	if ok, err := u.superuser(ctx, user, res.spaceID); ok || err != nil {
		return ok, err
	}
	if token != "" {
		ok, err := u.tokenAllows(ctx, user, token, res, need)
		if ok || err != nil {
			return ok, err
		}
	}
	// The attributes the resource callback reports, so that a policy on
	// creator or scope decides here as it filters the lists.
	var paths []string
	if res.kind == "task" {
		paths = taskIAMPaths(res.spaceID, res.templateID)
	} else {
		paths = templateIAMPaths(res.spaceID)
	}
	attrs := map[string]any{policy.IAMPath: toAnySlice(paths), "creator": res.creator}
	if res.scopeType != nil {
		attrs["scope_type"] = *res.scopeType
	}
	if res.scopeValue != nil {
		attrs["scope_value"] = *res.scopeValue
	}
	return u.policy.Engine.Allowed(ctx, policy.Request{System: policy.System,
		Subject: policy.Subject{Type: policy.SubjectUser, ID: user}, Action: iamActions[res.kind][need],
		Resources: []policy.Resource{{System: policy.System, Type: res.kind, ID: strconv.FormatInt(res.id, 10),
			Attribute: attrs}}})
}

// tokenAllows verifies a token: the user's own, of the space, unexpired,
// with a permission covering need, for this resource (a template token for
// the template, a task token for the task or one of its descendants, a
// scope token for resources of the scope).
func (u *userAccess) tokenAllows(ctx context.Context, user, token string, res sdkResource, need string) (bool, error) {
	t, err := u.store.TokenByHash(ctx, hashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if t.Username != user || t.SpaceID != res.spaceID || !t.ExpiredAt.After(u.now()) ||
		!slices.Contains(tokenCovers[res.kind][need], t.PermissionType) {
		return false, nil
	}
	switch t.ResourceType {
	case tokenScope:
		st, sv, _ := splitScope(t.ResourceID)
		return res.scopeType != nil && res.scopeValue != nil && *res.scopeType == st && *res.scopeValue == sv, nil
	case tokenTemplate:
		return res.kind == "template" && t.ResourceID == strconv.FormatInt(res.id, 10), nil
	case tokenTask:
		if res.kind != "task" {
			return false, nil
		}
		id := res.id
		for range maxTaskDepth {
			if t.ResourceID == strconv.FormatInt(id, 10) {
				return true, nil
			}
			task, err := u.store.TaskGet(ctx, id)
			if err != nil || task.ParentTaskID == nil {
				return false, err
			}
			id = *task.ParentTaskID
		}
	}
	return false, nil
}

func tokenOf(r *http.Request) string {
	if t := r.Header.Get(TokenHeader); t != "" {
		return t
	}
	return r.URL.Query().Get("token")
}

// guard loads the template or task named in the path, its space (which
// must be the calling app's), checks the user's access and hands the
// request to the regular handler with the context it expects.
func (u *userAccess) guard(a adapter, kind, need string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, err := u.load(r, kind, need)
			if err != nil {
				a.fail(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

func (u *userAccess) load(r *http.Request, kind, need string) (context.Context, error) {
	ctx := r.Context()
	c := callerFrom(ctx)
	if c.Username == "" {
		return nil, errUnauthorized("bk_username is required in " + AuthHeader + " on user-facing endpoints")
	}
	id, err := pathID(r, kind+"_id")
	if err != nil {
		return nil, err
	}
	res := sdkResource{kind: kind, id: id}
	var value any
	switch kind {
	case "template":
		t, err := u.store.TemplateGet(ctx, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && t.IsDeleted) {
			return nil, &Error{Status: http.StatusOK, Code: http.StatusNotFound, Message: fmt.Sprintf("template(%d) does not exist", id)}
		}
		if err != nil {
			return nil, err
		}
		res.spaceID, res.scopeType, res.scopeValue, res.creator, value = t.SpaceID, t.ScopeType, t.ScopeValue, t.Creator, t
	default:
		t, err := u.store.TaskGet(ctx, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && t.IsDeleted) {
			return nil, &Error{Status: http.StatusOK, Code: http.StatusNotFound, Message: fmt.Sprintf("task(%d) does not exist", id)}
		}
		if err != nil {
			return nil, err
		}
		res.spaceID, res.templateID, res.scopeType, res.scopeValue, res.creator, value = t.SpaceID, t.TemplateID, t.ScopeType, t.ScopeValue, t.Creator, t
	}
	sp, err := u.store.SpaceGet(ctx, res.spaceID)
	if err != nil {
		return nil, err
	}
	if sp.AppCode != c.AppCode {
		return nil, errForbidden(fmt.Sprintf("当前应用无权操作此空间，app=%s", c.AppCode))
	}
	ok, err := u.allowed(ctx, c.Username, tokenOf(r), res, need)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errForbidden(fmt.Sprintf("user %s has no %s permission on %s %d (needs a token, an IAM policy for %s, or superuser rights)",
			c.Username, need, kind, id, iamActions[kind][need]))
	}
	ctx = context.WithValue(ctx, ctxKeySpace{}, sp)
	if kind == "template" {
		return context.WithValue(ctx, ctxKeyTemplate{}, value), nil
	}
	return context.WithValue(ctx, ctxKeyTask{}, value), nil
}

type ctxKeyListFilter struct{}

// listFilterFrom returns the permission condition a user-facing list adds.
func listFilterFrom(ctx context.Context) *store.Condition {
	c, _ := ctx.Value(ctxKeyListFilter{}).(*store.Condition)
	return c
}

// listFilter makes the user's view permission a SQL condition on the list
// query: the user's policies are partially evaluated without a resource,
// translated into a wire expression, then into SQL (never rows filtered in
// Go). Superusers see everything; no permission is an empty list.
func (u *userAccess) listFilter(a adapter, kind string) func(http.Handler) http.Handler {
	table := map[string]iamTable{"task": taskTable, "template": templateTable}[kind]
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			user := callerFrom(ctx).Username
			if user == "" {
				a.fail(w, r, errUnauthorized("bk_username is required in "+AuthHeader+" on user-facing endpoints"))
				return
			}
			super, err := u.superuser(ctx, user, spaceFrom(ctx).ID)
			if err != nil {
				a.fail(w, r, err)
				return
			}
			if !super {
				expr, ok, err := u.policy.Query(ctx, policy.Request{System: policy.System,
					Subject: policy.Subject{Type: policy.SubjectUser, ID: user}, Action: iamActions[kind][permView]})
				if err != nil {
					a.fail(w, r, err)
					return
				}
				cond := store.Condition{SQL: "FALSE"}
				if ok {
					cond = table.whereOf(expr)
				}
				ctx = context.WithValue(ctx, ctxKeyListFilter{}, &cond)
			}
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// sdkRoutes registers the user-facing subset: the same handlers as the
// gateway endpoints, behind userAccess instead of a space in the path.
func sdkRoutes(rs *routes, guarded func(kind, need string) *routes, listed func(kind string) *routes,
	templates *templatesHandler, tasks *tasksHandler) {
	const note = " (user-facing: a superuser, a token in " + TokenHeader + " or ?token=, or an IAM policy)"
	guarded("template", permView).add(route{Method: http.MethodGet, Path: "/sdk/template/{template_id}/",
		OperationID: "sdk_get_template", Tag: "sdk", AppAuth: true, Summary: "Read a template" + note,
		Response: templateDetailJSON{}, Handler: templates.detail})
	guarded("template", permEdit).add(route{Method: http.MethodPut, Path: "/sdk/template/{template_id}/",
		OperationID: "sdk_save_template", Tag: "sdk", AppAuth: true, Summary: "Save a template (as update_template)" + note,
		Request: updateTemplateRequest{}, Response: templateSavedJSON{}, Handler: templates.update})
	guarded("task", permView).add(route{Method: http.MethodGet, Path: "/sdk/task/get_task_detail/{task_id}/",
		OperationID: "sdk_get_task_detail", Tag: "sdk", AppAuth: true, Summary: "Read a task" + note,
		Response: taskDetailJSON{}, Handler: tasks.detail})
	guarded("task", permView).add(route{Method: http.MethodGet, Path: "/sdk/task/get_task_states/{task_id}/",
		OperationID: "sdk_get_task_states", Tag: "sdk", AppAuth: true, Summary: "A task's states" + note,
		Response: map[string]any{}, Handler: tasks.states})
	guarded("task", permView).add(route{Method: http.MethodGet, Path: "/sdk/task/get_task_node_detail/{task_id}/node/{node_id}/",
		OperationID: "sdk_get_task_node_detail", Tag: "sdk", AppAuth: true, Summary: "One node's details" + note,
		Response: map[string]any{}, Handler: tasks.nodeDetail})
	guarded("task", permOperate).add(route{Method: http.MethodPost, Path: "/sdk/task/operate_task/{task_id}/{operation}/",
		OperationID: "sdk_operate_task", Tag: "sdk", AppAuth: true, Summary: "start, pause, resume or revoke a task" + note,
		Request: operateTaskRequest{}, Handler: tasks.operate})
	guarded("task", permOperate).add(route{Method: http.MethodPost, Path: "/sdk/task/operate_node/{task_id}/node/{node_id}/{operation}/",
		OperationID: "sdk_operate_node", Tag: "sdk", AppAuth: true, Summary: "Operate a node" + note,
		Request: operateNodeRequest{}, Handler: tasks.operateNode})
	listed("task").add(route{Method: http.MethodGet, Path: "/sdk/space/{space_id}/get_task_list/",
		OperationID: "sdk_get_task_list", Tag: "sdk", AppAuth: true,
		Summary:  "get_task_list restricted to the tasks the user may view (task_view policies turned into SQL)",
		Response: taskPage{}, Handler: tasks.list})
	listed("template").add(route{Method: http.MethodGet, Path: "/sdk/space/{space_id}/get_template_list/",
		OperationID: "sdk_get_template_list", Tag: "sdk", AppAuth: true,
		Summary:  "get_template_list restricted to the templates the user may view",
		Response: listResult{Data: []templateListItem{}}, Handler: templates.list})
}

func toAnySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
