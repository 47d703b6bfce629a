package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/stacktest"
	"github.com/bkflow/bkflow/workflows/pipeline/pipelinetest"
)

type tokenResp struct {
	SpaceID      int64  `json:"space_id"`
	User         string `json:"user"`
	ResourceType string `json:"resource_type"`
	ResourceID   string `json:"resource_id"`
	Token        string `json:"token"`
	ExpiredTime  string `json:"expired_time"`
}

// TestTokens covers apply_token, revoke_token and renewal, and what each
// resource and permission type opens on the /sdk endpoints.
func TestTokens(t *testing.T) {
	t.Parallel()
	s := stacktest.Start(t, stacktest.Options{})
	sp := stacktest.NewSpace(t, s)
	other := stacktest.NewSpace(t, s)
	tpl := sp.CreateTemplate(pipelinetest.Linear(1), map[string]any{"scope_type": "project", "scope_value": "p1"})
	tpl2 := sp.CreateTemplate(pipelinetest.Linear(1), nil)
	task := sp.CreateTask(tpl, nil).ID
	task2 := sp.CreateTask(tpl2, nil).ID
	otherTpl := other.CreateTemplate(pipelinetest.Linear(1), nil)

	apply := func(user string, body map[string]any) stacktest.Response {
		return s.Do(http.MethodPost, fmt.Sprintf("/space/%d/apply_token/", sp.ID), s.AuthHeader(user), body)
	}
	token := func(user, typ string, id any, perm string) tokenResp {
		t.Helper()
		r := apply(user, map[string]any{"resource_type": typ, "resource_id": id, "permission_type": perm})
		e := stacktest.Decode(t, r)
		require.True(t, e.Result, "%s", r.Body)
		var out tokenResp
		require.NoError(t, json.Unmarshal(e.Data, &out))
		require.Len(t, out.Token, 32)
		require.Equal(t, user, out.User)
		return out
	}
	call := func(user, tok, method, path string, viaQuery bool) int {
		t.Helper()
		if viaQuery {
			path += "?token=" + tok
			tok = ""
		}
		req, err := http.NewRequest(method, s.URL(path), nil)
		require.NoError(t, err)
		req.Header.Set("X-Bkapi-Authorization", s.AuthHeader(user))
		if tok != "" {
			req.Header.Set("BKFLOW-TOKEN", tok)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	tplGet := fmt.Sprintf("/sdk/template/%d/", tpl)
	tpl2Get := fmt.Sprintf("/sdk/template/%d/", tpl2)
	taskGet := fmt.Sprintf("/sdk/task/get_task_detail/%d/", task)
	taskStates := fmt.Sprintf("/sdk/task/get_task_states/%d/", task)
	task2Get := fmt.Sprintf("/sdk/task/get_task_detail/%d/", task2)
	taskRevoke := fmt.Sprintf("/sdk/task/operate_task/%d/revoke/", task)

	t.Run("refusals", func(t *testing.T) {
		for _, c := range []struct {
			user string
			body map[string]any
			msg  string
		}{
			{"", map[string]any{"resource_type": "TEMPLATE", "resource_id": tpl, "permission_type": "VIEW"}, "用户名不能为空"},
			{"amy", map[string]any{"resource_type": "LABEL", "resource_id": "1", "permission_type": "VIEW"}, "token申请失败，不支持的资源类型"},
			{"amy", map[string]any{"resource_type": "TEMPLATE", "resource_id": otherTpl, "permission_type": "VIEW"}, "token申请失败，对应的资源不存在"},
			{"amy", map[string]any{"resource_type": "TASK", "resource_id": "999999", "permission_type": "VIEW"}, "token申请失败，对应的资源不存在"},
			{"amy", map[string]any{"resource_type": "SCOPE", "resource_id": "project_p_1", "permission_type": "VIEW"}, "token申请失败，对应的资源不存在"},
			{"amy", map[string]any{"resource_type": "SCOPE", "resource_id": "project_p2", "permission_type": "VIEW"}, "token申请失败，对应的资源不存在"},
			{"amy", map[string]any{"resource_type": "TEMPLATE", "resource_id": tpl, "permission_type": "ALL"}, `{"permission_type":"\"ALL\" is not a valid choice."}`},
		} {
			e := stacktest.Decode(t, apply(c.user, c.body))
			require.False(t, e.Result)
			require.Equal(t, c.msg, e.Message, "%v", c.body)
		}
	})

	t.Run("no token, no access", func(t *testing.T) {
		require.Equal(t, http.StatusForbidden, call("amy", "", http.MethodGet, tplGet, false))
		require.Equal(t, http.StatusForbidden, call("amy", "", http.MethodGet, taskGet, false))
		require.Equal(t, http.StatusForbidden, call("amy", "0123456789abcdef0123456789abcdef", http.MethodGet, taskGet, false))
	})

	t.Run("template tokens", func(t *testing.T) {
		view := token("amy", "TEMPLATE", tpl, "VIEW")
		require.Equal(t, http.StatusOK, call("amy", view.Token, http.MethodGet, tplGet, false))
		require.Equal(t, http.StatusOK, call("amy", view.Token, http.MethodGet, tplGet, true))
		require.Equal(t, http.StatusForbidden, call("amy", view.Token, http.MethodPut, tplGet, false), "VIEW does not save")
		require.Equal(t, http.StatusForbidden, call("amy", view.Token, http.MethodGet, tpl2Get, false), "another template")
		require.Equal(t, http.StatusForbidden, call("bob", view.Token, http.MethodGet, tplGet, false), "another user")
		require.Equal(t, http.StatusForbidden, call("amy", view.Token, http.MethodGet, taskGet, false), "a template token opens no task")
		for _, perm := range []string{"EDIT", "MOCK"} {
			tok := token("amy", "TEMPLATE", tpl, perm)
			require.Equal(t, http.StatusOK, call("amy", tok.Token, http.MethodGet, tplGet, false), perm)
			// PUT reaches the save handler (an empty body is a validation refusal, not a 403).
			require.NotEqual(t, http.StatusForbidden, call("amy", tok.Token, http.MethodPut, tplGet, false), perm)
		}
	})

	t.Run("task tokens", func(t *testing.T) {
		view := token("amy", "TASK", task, "VIEW")
		require.Equal(t, http.StatusOK, call("amy", view.Token, http.MethodGet, taskGet, false))
		require.Equal(t, http.StatusOK, call("amy", view.Token, http.MethodGet, taskStates, false))
		require.Equal(t, http.StatusForbidden, call("amy", view.Token, http.MethodPost, taskRevoke, false))
		require.Equal(t, http.StatusForbidden, call("amy", view.Token, http.MethodGet, task2Get, false))
		op := token("amy", "TASK", task, "OPERATE")
		require.Equal(t, http.StatusOK, call("amy", op.Token, http.MethodGet, taskGet, false))
		require.NotEqual(t, http.StatusForbidden, call("amy", op.Token, http.MethodPost, taskRevoke, false))
	})

	t.Run("a task token opens the task's descendants", func(t *testing.T) {
		db := resDB(t, s)
		var child, grandchild int64
		require.NoError(t, db.QueryRow(context.Background(), `INSERT INTO tasks (space_id, parent_task_id, parent_node_id,
			parent_version, instance_id, name, task_queue) VALUES ($1, $2, 'n', 'v', 'c', 'child', 'q') RETURNING id`, sp.ID, task).Scan(&child))
		require.NoError(t, db.QueryRow(context.Background(), `INSERT INTO tasks (space_id, parent_task_id, parent_node_id,
			parent_version, instance_id, name, task_queue) VALUES ($1, $2, 'n', 'v', 'g', 'grandchild', 'q') RETURNING id`, sp.ID, child).Scan(&grandchild))
		view := token("cat", "TASK", task, "VIEW")
		require.Equal(t, http.StatusOK, call("cat", view.Token, http.MethodGet, fmt.Sprintf("/sdk/task/get_task_states/%d/", grandchild), false))
		childTok := token("cat", "TASK", child, "VIEW")
		require.Equal(t, http.StatusForbidden, call("cat", childTok.Token, http.MethodGet, taskGet, false), "not upwards")
	})

	t.Run("scope tokens", func(t *testing.T) {
		view := token("amy", "SCOPE", "project_p1", "VIEW")
		require.Equal(t, http.StatusOK, call("amy", view.Token, http.MethodGet, tplGet, false))
		require.Equal(t, http.StatusForbidden, call("amy", view.Token, http.MethodGet, tpl2Get, false), "another scope")
		require.Equal(t, http.StatusForbidden, call("amy", view.Token, http.MethodPut, tplGet, false))
		edit := token("amy", "SCOPE", "project_p1", "EDIT")
		require.NotEqual(t, http.StatusForbidden, call("amy", edit.Token, http.MethodPut, tplGet, false))
	})

	t.Run("reuse, renewal, revoke, storage", func(t *testing.T) {
		first := token("dan", "TEMPLATE", tpl, "VIEW")
		again := token("dan", "TEMPLATE", tpl, "VIEW")
		require.Equal(t, first.Token, again.Token, "an unexpired token is handed out again")
		require.NotEqual(t, first.Token, token("dan", "TEMPLATE", tpl, "EDIT").Token)

		renew := func(user, tok string) stacktest.Envelope {
			return stacktest.Decode(t, s.Do(http.MethodPost, "/api/permission/token/"+tok+"/renewal/", s.AuthHeader(user), nil))
		}
		e := renew("dan", first.Token)
		require.True(t, e.Result, e.Message)
		require.Contains(t, string(e.Data), "expired_time")
		require.Equal(t, "续期失败，当前用户不是token的所有者", renew("eve", first.Token).Message)
		sp.MustCall(http.MethodPost, "renew_space_config/", map[string]any{"config": map[string]any{"token_auto_renewal": "false"}})
		require.Equal(t, "续期失败，当前空间未开启token自动续期", renew("dan", first.Token).Message)

		db := resDB(t, s)
		var n int
		sum := sha256.Sum256([]byte(first.Token))
		require.NoError(t, db.QueryRow(context.Background(), `SELECT count(*) FROM tokens WHERE token_hash = $1
			AND position($2 in coalesce(token_sealed, '')) = 0`, sum[:], first.Token).Scan(&n))
		require.Equal(t, 1, n, "stored as a hash, sealed copy not in clear")

		e = stacktest.Decode(t, s.Do(http.MethodPost, fmt.Sprintf("/space/%d/revoke_token/", sp.ID), s.AuthHeader("admin"),
			map[string]any{"user": "dan", "resource_type": "TEMPLATE"}))
		require.True(t, e.Result)
		require.Equal(t, `"2 tokens revoke success"`, string(e.Data))
		require.Equal(t, http.StatusForbidden, call("dan", first.Token, http.MethodGet, tplGet, false), "revoked = expired")
		sp.MustCall(http.MethodPost, "renew_space_config/", map[string]any{"config": map[string]any{"token_auto_renewal": "true"}})
		require.Equal(t, "续期失败，token已过期", renew("dan", first.Token).Message)
		require.NotEqual(t, first.Token, token("dan", "TEMPLATE", tpl, "VIEW").Token, "an expired token is not reused")
	})

	t.Run("expiry", func(t *testing.T) {
		tok := token("fay", "TASK", task, "VIEW")
		require.Equal(t, http.StatusOK, call("fay", tok.Token, http.MethodGet, taskGet, false))
		sum := sha256.Sum256([]byte(tok.Token))
		_, err := resDB(t, s).Exec(context.Background(), `UPDATE tokens SET expired_at = now() - interval '1 second'
			WHERE token_hash = $1`, sum[:])
		require.NoError(t, err)
		require.Equal(t, http.StatusForbidden, call("fay", tok.Token, http.MethodGet, taskGet, false), "expired")
		require.NotEqual(t, tok.Token, token("fay", "TASK", task, "VIEW").Token, "a new token replaces the expired one")
	})

	t.Run("superusers need no token", func(t *testing.T) {
		require.Equal(t, http.StatusOK, call("admin", "", http.MethodGet, taskGet, false), "the space's creator is its superuser")
	})
}
