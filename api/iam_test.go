package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/stacktest"
	"github.com/bkflow/bkflow/workflows/pipeline/pipelinetest"
)

type iamAnswer struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

func iamCall(t *testing.T, s *stacktest.Stack, method, path string, body any) iamAnswer {
	t.Helper()
	r := s.Do(method, path, s.AuthHeader("admin"), body)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var a iamAnswer
	require.NoError(t, json.Unmarshal(r.Body, &a), "%s", r.Body)
	return a
}

func iamOK(t *testing.T, s *stacktest.Stack, path string, body any) json.RawMessage {
	t.Helper()
	a := iamCall(t, s, http.MethodPost, path, body)
	require.Equal(t, 0, a.Code, "%s: %s", path, a.Message)
	return a.Data
}

func grantBody(operate, action, subjectType, subject string, resources ...map[string]any) map[string]any {
	return map[string]any{"asynchronous": false, "operate": operate, "system": "bkflow", "action": map[string]any{"id": action},
		"subject": map[string]any{"type": subjectType, "id": subject}, "resources": resources}
}

func node(typ string, id int64) map[string]any {
	return map[string]any{"type": typ, "id": fmt.Sprint(id), "name": fmt.Sprintf("%s %d", typ, id)}
}

// userTaskIDs lists the tasks user sees in space through the user-facing
// (permission-filtered) task list.
func userTaskIDs(t *testing.T, s *stacktest.Stack, user string, space int64) []int64 {
	t.Helper()
	r := s.Do(http.MethodGet, fmt.Sprintf("/sdk/space/%d/get_task_list/?limit=100", space), s.AuthHeader(user), nil)
	var env struct {
		Result bool `json:"result"`
		Data   struct {
			Count   int `json:"count"`
			Results []struct {
				ID int64 `json:"id"`
			} `json:"results"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &env), "%s", r.Body)
	require.True(t, env.Result, "%s", r.Body)
	ids := []int64{}
	for _, x := range env.Data.Results {
		ids = append(ids, x.ID)
	}
	slices.Sort(ids)
	require.Equal(t, len(ids), env.Data.Count)
	return ids
}

// TestIAMEndToEnd grants a user "all tasks of space A" through a path
// selection, checks /api/v1/policy/auth for tasks inside and outside the
// space with the paths bkflow's own callback reports, then checks that the
// user's task list holds exactly the allowed tasks; then instance grants,
// revokes, groups, /query, the /sdk endpoints and the callback's refusals.
func TestIAMEndToEnd(t *testing.T) {
	t.Parallel()
	s := stacktest.Start(t, stacktest.Options{Env: []string{"BKFLOW_IAM_TOKEN=cb-secret", "BKFLOW_SYSTEM_ADMINS=root"}})
	a, b := stacktest.NewSpace(t, s), stacktest.NewSpace(t, s)
	tplA := a.CreateTemplate(pipelinetest.Linear(1), nil)
	a1 := a.CreateTask(tplA, nil).ID
	a2 := a.Create(pipelinetest.Linear(1), nil).ID
	tplB := b.CreateTemplate(pipelinetest.Linear(1), nil)
	b1 := b.CreateTask(tplB, nil).ID
	b2 := b.Create(pipelinetest.Linear(1), nil).ID

	// Grant carol every task of space A: a path selection [space A].
	var granted struct {
		PolicyID   int64          `json:"policy_id"`
		Statistics map[string]int `json:"statistics"`
	}
	require.NoError(t, json.Unmarshal(iamOK(t, s, "/api/v1/open/authorization/path/", grantBody("grant", "task_view", "user", "carol",
		map[string]any{"system": "bkflow", "type": "task", "path": []any{node("space", a.ID)}})), &granted))
	require.Positive(t, granted.PolicyID)
	require.Equal(t, map[string]int{"instance_count": 1}, granted.Statistics)

	// The paths come from bkflow's records, through the resource callback.
	info := cbPost(t, s, basic("bk_iam", "cb-secret"), map[string]any{"type": "task", "method": "fetch_instance_info",
		"filter": map[string]any{"ids": []string{fmt.Sprint(a1), fmt.Sprint(a2), fmt.Sprint(b1)}, "attrs": []string{"_bk_iam_path_"}}})
	require.Equal(t, 0, info.Code, info.Message)
	var instances []struct {
		ID    string   `json:"id"`
		Paths []string `json:"_bk_iam_path_"`
	}
	require.NoError(t, json.Unmarshal(info.Data, &instances))
	require.Len(t, instances, 3)
	paths := map[string][]string{}
	for _, in := range instances {
		paths[in.ID] = in.Paths
	}
	require.Equal(t, []string{fmt.Sprintf("/space,%d/", a.ID), fmt.Sprintf("/space,%d/template,%d/", a.ID, tplA)}, paths[fmt.Sprint(a1)])
	require.Equal(t, []string{fmt.Sprintf("/space,%d/", a.ID)}, paths[fmt.Sprint(a2)])
	require.Equal(t, []string{fmt.Sprintf("/space,%d/", b.ID), fmt.Sprintf("/space,%d/template,%d/", b.ID, tplB)}, paths[fmt.Sprint(b1)])

	auth := func(user string, id int64) bool {
		t.Helper()
		var out struct {
			Allowed bool `json:"allowed"`
		}
		require.NoError(t, json.Unmarshal(iamOK(t, s, "/api/v1/policy/auth", map[string]any{"system": "bkflow",
			"subject": map[string]any{"type": "user", "id": user}, "action": map[string]any{"id": "task_view"},
			"resources": []any{map[string]any{"system": "bkflow", "type": "task", "id": fmt.Sprint(id),
				"attribute": map[string]any{"_bk_iam_path_": paths[fmt.Sprint(id)]}}}}), &out))
		return out.Allowed
	}
	require.True(t, auth("carol", a1))
	require.True(t, auth("carol", a2))
	require.False(t, auth("carol", b1))
	require.False(t, auth("dave", a1))
	require.True(t, auth("root", b1), "a system admin is an IAM super user")

	require.JSONEq(t, fmt.Sprintf(`{"op":"starts_with","field":"task._bk_iam_path_","value":"/space,%d/"}`, a.ID),
		string(iamOK(t, s, "/api/v1/policy/query", map[string]any{"system": "bkflow", "subject": map[string]any{"type": "user", "id": "carol"},
			"action": map[string]any{"id": "task_view"}, "resources": []any{}})))
	require.JSONEq(t, `{}`, string(iamOK(t, s, "/api/v1/policy/query", map[string]any{"system": "bkflow",
		"subject": map[string]any{"type": "user", "id": "dave"}, "action": map[string]any{"id": "task_view"}, "resources": []any{}})))

	// The user's list holds exactly the allowed tasks.
	require.Equal(t, sorted(a1, a2), userTaskIDs(t, s, "carol", a.ID))
	require.Equal(t, []int64{}, userTaskIDs(t, s, "carol", b.ID))
	require.Equal(t, []int64{}, userTaskIDs(t, s, "dave", a.ID))
	require.Equal(t, sorted(b1, b2), userTaskIDs(t, s, "root", b.ID))

	// An instance grant adds one task of space B; its revoke takes it away.
	iamOK(t, s, "/api/v1/open/authorization/instance/", grantBody("grant", "task_view", "user", "carol",
		map[string]any{"system": "bkflow", "type": "task", "id": fmt.Sprint(b2), "name": "b2"}))
	require.Equal(t, []int64{b2}, userTaskIDs(t, s, "carol", b.ID))
	require.Equal(t, sorted(a1, a2), userTaskIDs(t, s, "carol", a.ID))
	iamOK(t, s, "/api/v1/open/authorization/instance/", grantBody("revoke", "task_view", "user", "carol",
		map[string]any{"system": "bkflow", "type": "task", "id": fmt.Sprint(b2), "name": "b2"}))
	require.Equal(t, []int64{}, userTaskIDs(t, s, "carol", b.ID))

	// A group holds "tasks of template B" (view space → template → task);
	// erin sees them while a member.
	iamOK(t, s, "/api/v1/open/authorization/path/", grantBody("grant", "task_view", "group", "ops",
		map[string]any{"system": "bkflow", "type": "task", "path": []any{node("space", b.ID), node("template", tplB)}}))
	require.Equal(t, []int64{}, userTaskIDs(t, s, "erin", b.ID))
	iamOK(t, s, "/api/v1/open/management/groups/ops/members/", map[string]any{"members": []any{map[string]any{"type": "user", "id": "erin"}}})
	require.Equal(t, []int64{b1}, userTaskIDs(t, s, "erin", b.ID))
	require.True(t, auth("erin", b1))
	del := iamCall(t, s, http.MethodDelete, "/api/v1/open/management/groups/ops/members/",
		map[string]any{"members": []any{map[string]any{"type": "user", "id": "erin"}}})
	require.Equal(t, 0, del.Code, del.Message)
	require.False(t, auth("erin", b1))

	// The /sdk endpoints follow the same decisions.
	sdk := func(user, method, path string, body any) stacktest.Response {
		return s.Do(method, path, s.AuthHeader(user), body)
	}
	require.Equal(t, http.StatusOK, sdk("carol", http.MethodGet, fmt.Sprintf("/sdk/task/get_task_detail/%d/", a1), nil).Status)
	r := sdk("dave", http.MethodGet, fmt.Sprintf("/sdk/task/get_task_detail/%d/", a1), nil)
	require.Equal(t, http.StatusForbidden, r.Status)
	require.Contains(t, string(r.Body), fmt.Sprintf("user dave has no VIEW permission on task %d", a1))
	require.Equal(t, http.StatusForbidden, sdk("carol", http.MethodPost, fmt.Sprintf("/sdk/task/operate_task/%d/start/", a1),
		map[string]any{"operator": "carol"}).Status, "task_view does not allow operating")

	// Refusals in IAM's envelope.
	bad := iamCall(t, s, http.MethodPost, "/api/v1/policy/auth", map[string]any{"system": "bkflow",
		"subject": map[string]any{"type": "user", "id": "carol"}, "action": map[string]any{"id": "task_view"},
		"resources": []any{map[string]any{"system": "bkflow", "type": "template", "id": "1", "attribute": map[string]any{}}}})
	require.Equal(t, 1901500, bad.Code)
	require.Equal(t, "resources[0]: bkflow:template is not a resource type of action task_view (it takes [bkflow:task])", bad.Message)
	bad = iamCall(t, s, http.MethodPost, "/api/v1/policy/auth", map[string]any{"system": "bkflow",
		"subject": map[string]any{"type": "user", "id": "carol"}, "action": map[string]any{"id": "fly"}, "resources": []any{}})
	require.Equal(t, 1901400, bad.Code)
	require.Equal(t, `action "fly" does not exist in system bkflow`, bad.Message)
	bad = iamCall(t, s, http.MethodPost, "/api/v1/open/authorization/path/", grantBody("grant", "task_view", "user", "carol",
		map[string]any{"system": "bkflow", "type": "task", "path": []any{node("template", tplA)}}))
	require.Equal(t, 1901400, bad.Code)
	require.Equal(t, fmt.Sprintf("action task_view: resources[0].path (template:%d) matches none of the instance views of bkflow:task", tplA), bad.Message)
	unauth := s.Do(http.MethodPost, "/api/v1/policy/auth", "", map[string]any{})
	require.Contains(t, string(unauth.Body), `"code":1901401`)

	// The callback: auth, listing by parent, search and policy lists.
	require.Equal(t, 401, cbPost(t, s, basic("bk_iam", "wrong"), map[string]any{"type": "task", "method": "list_attr"}).Code)
	require.Equal(t, 404, cbPost(t, s, basic("bk_iam", "cb-secret"), map[string]any{"type": "host", "method": "list_attr"}).Code)
	require.Equal(t, 406, cbPost(t, s, basic("bk_iam", "cb-secret"), map[string]any{"type": "task", "method": "search_instance",
		"filter": map[string]any{"keyword": "e"}}).Code)
	list := cbPost(t, s, basic("bk_iam", "cb-secret"), map[string]any{"type": "task", "method": "list_instance",
		"filter": map[string]any{"parent": map[string]any{"type": "template", "id": fmt.Sprint(tplB)}}, "page": map[string]any{"offset": 0, "limit": 10}})
	require.Equal(t, 0, list.Code, list.Message)
	require.JSONEq(t, fmt.Sprintf(`{"count":1,"results":[{"id":"%d","display_name":"e2e"}]}`, b1), string(list.Data))
	byPolicy := cbPost(t, s, basic("bk_iam", "cb-secret"), map[string]any{"type": "task", "method": "list_instance_by_policy",
		"filter": map[string]any{"expression": map[string]any{"op": "starts_with", "field": "task._bk_iam_path_",
			"value": fmt.Sprintf("/space,%d/", a.ID)}}, "page": map[string]any{"offset": 0, "limit": 10}})
	require.JSONEq(t, fmt.Sprintf(`{"count":2,"results":[{"id":"%d","display_name":"e2e"},{"id":"%d","display_name":"e2e"}]}`,
		max(a1, a2), min(a1, a2)), string(byPolicy.Data))
}

func sorted(ids ...int64) []int64 {
	slices.Sort(ids)
	return ids
}

// TestIAMForeignSystem registers an access system's own model through the
// migration JSON and uses bkflow as its decision point.
func TestIAMForeignSystem(t *testing.T) {
	t.Parallel()
	s := stacktest.Start(t, stacktest.Options{})
	migration := func(system string) map[string]any {
		ref := func(id string) map[string]any { return map[string]any{"system_id": system, "id": id} }
		return map[string]any{"system_id": system, "operations": []any{
			map[string]any{"operation": "upsert_system", "data": map[string]any{"id": system, "name": "作业", "name_en": "jobs",
				"clients": system, "provider_config": map[string]any{"host": "http://jobs.example", "auth": "basic"}}},
			map[string]any{"operation": "upsert_resource_type", "data": map[string]any{"id": "project", "name": "项目", "name_en": "project",
				"parents": []any{}, "provider_config": map[string]any{"path": "/r/"}}},
			map[string]any{"operation": "upsert_resource_type", "data": map[string]any{"id": "job", "name": "作业", "name_en": "job",
				"parents": []any{ref("project")}, "provider_config": map[string]any{"path": "/r/"}}},
			map[string]any{"operation": "upsert_instance_selection", "data": map[string]any{"id": "project_job", "name": "项目-作业",
				"name_en": "project job", "resource_type_chain": []any{ref("project"), ref("job")}}},
			map[string]any{"operation": "upsert_action", "data": map[string]any{"id": "job_run", "name": "执行作业", "name_en": "run job",
				"related_resource_types": []any{map[string]any{"system_id": system, "id": "job",
					"related_instance_selections": []any{ref("project_job")}}}}},
		}}
	}
	bad := iamCall(t, s, http.MethodPost, "/api/v1/model/systems/migrate/", migration("other"))
	require.Equal(t, 1901400, bad.Code)
	require.Equal(t, `system id "other" must be the calling app's code "bkflow-dev"`, bad.Message)
	invalid := migration("bkflow-dev")
	invalid["operations"] = invalid["operations"].([]any)[:4]
	invalid["operations"] = append(invalid["operations"].([]any), map[string]any{"operation": "upsert_action",
		"data": map[string]any{"id": "job_run", "name": "执行作业", "name_en": "run job", "type": "run", "related_resource_types": []any{}}})
	bad = iamCall(t, s, http.MethodPost, "/api/v1/model/systems/migrate/", invalid)
	require.Equal(t, 1901400, bad.Code)
	require.Equal(t, `invalid iam model: actions[job_run].type: must be one of create edit view delete list manage execute debug use, got "run"`, bad.Message)

	require.JSONEq(t, `{"system_id":"bkflow-dev","resource_types":2,"instance_selections":1,"actions":1}`,
		string(iamOK(t, s, "/api/v1/model/systems/migrate/", migration("bkflow-dev"))))
	iamOK(t, s, "/api/v1/open/authorization/path/", map[string]any{"asynchronous": false, "operate": "grant",
		"system": "bkflow-dev", "action": map[string]any{"id": "job_run"}, "subject": map[string]any{"type": "user", "id": "gus"},
		"resources": []any{map[string]any{"system": "bkflow-dev", "type": "job", "path": []any{map[string]any{"type": "project", "id": "p1"}}}}})
	auth := func(path string) bool {
		var out struct {
			Allowed bool `json:"allowed"`
		}
		require.NoError(t, json.Unmarshal(iamOK(t, s, "/api/v1/policy/auth", map[string]any{"system": "bkflow-dev",
			"subject": map[string]any{"type": "user", "id": "gus"}, "action": map[string]any{"id": "job_run"},
			"resources": []any{map[string]any{"system": "bkflow-dev", "type": "job", "id": "j1",
				"attribute": map[string]any{"_bk_iam_path_": []string{path}}}}}), &out))
		return out.Allowed
	}
	require.True(t, auth("/project,p1/"))
	require.False(t, auth("/project,p2/"))
	require.JSONEq(t, `{"op":"starts_with","field":"job._bk_iam_path_","value":"/project,p1/"}`,
		string(iamOK(t, s, "/api/v1/policy/query", map[string]any{"system": "bkflow-dev", "subject": map[string]any{"type": "user", "id": "gus"},
			"action": map[string]any{"id": "job_run"}, "resources": []any{}})))
	var m struct {
		System struct {
			ID      string `json:"id"`
			Clients string `json:"clients"`
		} `json:"system"`
	}
	a := iamCall(t, s, http.MethodGet, "/api/v1/model/systems/bkflow-dev/query", nil)
	require.Equal(t, 0, a.Code, a.Message)
	require.NoError(t, json.Unmarshal(a.Data, &m))
	require.Equal(t, "bkflow-dev", m.System.ID)
}
