package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/golden"
	"github.com/bkflow/bkflow/internal/stacktest"
)

type credentialData struct {
	ID         int64             `json:"id"`
	SpaceID    int64             `json:"space_id"`
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	ScopeLevel string            `json:"scope_level"`
	Scopes     []map[string]any  `json:"scopes"`
	Content    map[string]string `json:"content"`
	Creator    string            `json:"creator"`
	UpdatedBy  string            `json:"updated_by"`
	CreateAt   string            `json:"create_at"`
}

var credentialVolatile = []string{"trace_id", "data.id", "data.space_id", "data.create_at", "data.update_at"}

func credentialOf(t *testing.T, raw json.RawMessage) credentialData {
	t.Helper()
	var c credentialData
	require.NoError(t, json.Unmarshal(raw, &c), "%s", raw)
	return c
}

// TestCredentials covers create_credential, update_credential and the
// get/list/delete extensions: secrets rest sealed in PostgreSQL and every
// read masks them.
func TestCredentials(t *testing.T) {
	t.Parallel()
	s := stacktest.Start(t, stacktest.Options{})
	c := newResClient(t, s, "alice", "credentials")
	other := newResClient(t, s, "alice", "credentials-other")
	db := resDB(t, s)
	var app credentialData

	t.Run("create_credential", func(t *testing.T) {
		r := c.do(http.MethodPost, "create_credential/", map[string]any{"name": "gateway", "desc": "the API gateway app",
			"type": "BK_APP", "content": map[string]any{"bk_app_code": "ops", "bk_app_secret": "s3cr3t-value", "extra": "dropped"},
			"scope_level": "part", "scopes": []map[string]any{{"scope_type": "project", "scope_value": "7"}}})
		golden.AssertJSON(t, "credentials_create", r.Body, credentialVolatile...)
		app = credentialOf(t, decode(t, r).Data)
		require.Equal(t, c.id, app.SpaceID)

		// Stored sealed: the secret is nowhere in the row.
		var stored string
		require.NoError(t, db.QueryRow(context.Background(), `SELECT c::text FROM credentials c WHERE id = $1`, app.ID).Scan(&stored))
		require.Contains(t, stored, "bkflow-secret:v1:")
		require.NotContains(t, stored, "s3cr3t-value")
		require.NotContains(t, stored, "ops", "the whole content is sealed")

		cases := []struct {
			typ     string
			content map[string]any
			want    map[string]string
		}{
			{"BK_ACCESS_TOKEN", map[string]any{"access_token": "tok"}, map[string]string{"access_token": "*********"}},
			{"BASIC_AUTH", map[string]any{"username": "u", "password": "p"}, map[string]string{"username": "u", "password": "*********"}},
			{"CUSTOM", map[string]any{"k1": "v1", "k2": "v2"}, map[string]string{"k1": "*********", "k2": "*********"}},
		}
		for _, tc := range cases {
			got := credentialOf(t, c.ok(t, http.MethodPost, "create_credential/", map[string]any{"name": strings.ToLower(tc.typ),
				"type": tc.typ, "content": tc.content}))
			require.Equal(t, tc.want, got.Content, tc.typ)
			require.Equal(t, "none", got.ScopeLevel, "default scope level")
			require.Empty(t, got.Scopes)
		}
		// Names are per space.
		other.ok(t, http.MethodPost, "create_credential/", map[string]any{"name": "gateway", "type": "CUSTOM", "content": map[string]any{"a": "b"}})
	})

	t.Run("create refusals", func(t *testing.T) {
		bkApp := func(content any) map[string]any {
			return map[string]any{"name": "x", "type": "BK_APP", "content": content}
		}
		cases := []struct {
			name string
			body any
			want map[string]string
		}{
			{"missing fields", map[string]any{}, map[string]string{"name": "This field is required.", "type": "This field is required.",
				"content": "This field is required."}},
			{"long name", map[string]any{"name": strings.Repeat("n", 33), "type": "CUSTOM", "content": map[string]any{"a": "b"}},
				map[string]string{"name": "Ensure this field has no more than 32 characters."}},
			{"long desc", map[string]any{"name": "x", "desc": strings.Repeat("d", 129), "type": "CUSTOM", "content": map[string]any{"a": "b"}},
				map[string]string{"desc": "Ensure this field has no more than 128 characters."}},
			{"unknown type", map[string]any{"name": "x", "type": "SSH_KEY", "content": map[string]any{"a": "b"}},
				map[string]string{"type": "不支持的凭证类型: type=SSH_KEY"}},
			{"null content", map[string]any{"name": "x", "type": "CUSTOM", "content": nil}, map[string]string{"content": "This field may not be null."}},
			{"content not an object", bkApp("ops"), map[string]string{"content": "must be an object, got string"}},
			{"missing secret", bkApp(map[string]any{"bk_app_code": "ops"}), map[string]string{"content.bk_app_secret": "This field is required."}},
			{"masked secret sent back", bkApp(map[string]any{"bk_app_code": "ops", "bk_app_secret": "*********"}),
				map[string]string{"content.bk_app_secret": "bk_app_secret 格式有误 不应全为 * 字符"}},
			{"blank code", bkApp(map[string]any{"bk_app_code": " ", "bk_app_secret": "s"}), map[string]string{"content.bk_app_code": "This field may not be blank."}},
			{"secret not a string", bkApp(map[string]any{"bk_app_code": "ops", "bk_app_secret": true}),
				map[string]string{"content.bk_app_secret": "Not a valid string."}},
			{"custom empty", map[string]any{"name": "x", "type": "CUSTOM", "content": map[string]any{}}, map[string]string{"content": "自定义凭证内容不能为空"}},
			{"custom not an object", map[string]any{"name": "x", "type": "CUSTOM", "content": []any{"a"}}, map[string]string{"content": "自定义凭证内容必须是字典类型"}},
			{"custom value not a string", map[string]any{"name": "x", "type": "CUSTOM", "content": map[string]any{"k": 123}},
				map[string]string{"content": "凭证value必须是字符串类型: k=123"}},
			{"custom value all stars", map[string]any{"name": "x", "type": "CUSTOM", "content": map[string]any{"k": "***"}},
				map[string]string{"content": "凭证值格式有误，不应全为 * 字符: k"}},
			{"bad scope level", map[string]any{"name": "x", "type": "CUSTOM", "content": map[string]any{"a": "b"}, "scope_level": "some"},
				map[string]string{"scope_level": `"some" is not a valid choice: use all, part or none`}},
			{"part without scopes", map[string]any{"name": "x", "type": "CUSTOM", "content": map[string]any{"a": "b"}, "scope_level": "part"},
				map[string]string{"scopes": "作用域不能为空"}},
			{"long scope value", map[string]any{"name": "x", "type": "CUSTOM", "content": map[string]any{"a": "b"}, "scope_level": "part",
				"scopes": []map[string]any{{"scope_type": "project", "scope_value": strings.Repeat("v", 129)}}},
				map[string]string{"scopes.0.scope_value": "Ensure this field has no more than 128 characters."}},
			{"name taken", map[string]any{"name": "gateway", "type": "CUSTOM", "content": map[string]any{"a": "b"}},
				map[string]string{"name": `a credential named "gateway" already exists in this space`}},
			{"not a JSON object", `[1]`, map[string]string{"body": "must be a JSON object"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				require.Equal(t, tc.want, fieldErrors(t, c.do(http.MethodPost, "create_credential/", tc.body)))
			})
		}
		t.Run("another app", func(t *testing.T) {
			r := s.Do(http.MethodPost, fmt.Sprintf("/space/%d/create_credential/", c.id), registerApp(t, s, "credential-intruder"),
				map[string]any{"name": "x", "type": "CUSTOM", "content": map[string]any{"a": "b"}})
			require.Equal(t, http.StatusForbidden, r.Status)
			require.Equal(t, "当前应用无权操作此空间，app=credential-intruder", decode(t, r).Message)
		})
	})

	t.Run("get_credential_detail and list", func(t *testing.T) {
		r := c.do(http.MethodGet, fmt.Sprintf("credential/%d/get_credential_detail/", app.ID), nil)
		golden.AssertJSON(t, "credentials_detail", r.Body, credentialVolatile...)
		other.refused(t, http.MethodGet, fmt.Sprintf("credential/%d/get_credential_detail/", app.ID), nil, 404,
			fmt.Sprintf("凭证不存在: space_id=%d, credential_id=%d", other.id, app.ID))

		r = c.do(http.MethodGet, "get_credential_list/?type=BK_APP", nil)
		golden.AssertJSON(t, "credentials_list", r.Body, "trace_id", "data.*.id", "data.*.space_id", "data.*.create_at", "data.*.update_at")
		names := func(query string) ([]string, int) {
			var body struct {
				Data  []credentialData `json:"data"`
				Count int              `json:"count"`
			}
			require.NoError(t, json.Unmarshal(c.do(http.MethodGet, "get_credential_list/"+query, nil).Body, &body))
			out := make([]string, len(body.Data))
			for i, d := range body.Data {
				out[i] = d.Name
				for k, v := range d.Content {
					require.NotEqual(t, "s3cr3t-value", v, k)
				}
			}
			return out, body.Count
		}
		got, n := names("")
		require.Equal(t, []string{"gateway", "bk_access_token", "basic_auth", "custom"}, got)
		require.Equal(t, 4, n)
		got, n = names("?limit=2&offset=1")
		require.Equal(t, []string{"bk_access_token", "basic_auth"}, got)
		require.Equal(t, 4, n, "count ignores paging")
		got, _ = names("?name=AUTH")
		require.Equal(t, []string{"basic_auth"}, got)
		require.Equal(t, map[string]string{"limit": "must be an integer greater than or equal to 0"},
			fieldErrors(t, c.do(http.MethodGet, "get_credential_list/?limit=-1", nil)))
	})

	t.Run("update_credential", func(t *testing.T) {
		path := fmt.Sprintf("credential/%d/", app.ID)
		r := c.as("bob").do(http.MethodPut, path, map[string]any{"desc": nil, "content": map[string]any{"bk_app_code": "ops2",
			"bk_app_secret": "n3w-s3cret"}})
		golden.AssertJSON(t, "credentials_update", r.Body, credentialVolatile...)
		u := credentialOf(t, decode(t, r).Data)
		require.Equal(t, "bob", u.UpdatedBy)
		require.Equal(t, "alice", u.Creator)
		require.Len(t, u.Scopes, 1, "scopes stay when not given")
		var stored string
		require.NoError(t, db.QueryRow(context.Background(), `SELECT content FROM credentials WHERE id = $1`, app.ID).Scan(&stored))
		require.NotContains(t, stored, "n3w-s3cret")

		// Scopes are replaced as a whole; leaving part drops them.
		u = credentialOf(t, c.ok(t, http.MethodPatch, path, map[string]any{"scopes": []map[string]any{
			{"scope_type": "project", "scope_value": "8"}, {"scope_type": "biz", "scope_value": nil}}}))
		require.Equal(t, []map[string]any{{"scope_type": "biz", "scope_value": nil}, {"scope_type": "project", "scope_value": "8"}}, u.Scopes,
			"ordered by type and value")
		u = credentialOf(t, c.ok(t, http.MethodPatch, path, map[string]any{"scope_level": "all"}))
		require.Empty(t, u.Scopes)

		cases := []struct {
			name string
			body map[string]any
			want map[string]string
		}{
			{"type without content", map[string]any{"type": "CUSTOM"}, map[string]string{"content": "required when type changes (from BK_APP to CUSTOM)"}},
			{"content of the wrong type", map[string]any{"content": map[string]any{"access_token": "t"}},
				map[string]string{"content.bk_app_code": "This field is required.", "content.bk_app_secret": "This field is required."}},
			{"part without scopes", map[string]any{"scope_level": "part"}, map[string]string{"scopes": "作用域不能为空"}},
			{"null name", map[string]any{"name": nil}, map[string]string{"name": "This field may not be null."}},
			{"name taken", map[string]any{"name": "custom"}, map[string]string{"name": `a credential named "custom" already exists in this space`}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				require.Equal(t, tc.want, fieldErrors(t, c.do(http.MethodPatch, path, tc.body)))
			})
		}
		// A type change with its content.
		u = credentialOf(t, c.ok(t, http.MethodPatch, path, map[string]any{"type": "BK_ACCESS_TOKEN", "content": map[string]any{"access_token": "a"}}))
		require.Equal(t, map[string]string{"access_token": "*********"}, u.Content)
		c.refused(t, http.MethodPut, "credential/987654/", map[string]any{"desc": "x"}, 404,
			fmt.Sprintf("凭证不存在: space_id=%d, credential_id=987654", c.id))
		other.refused(t, http.MethodPut, path, map[string]any{"desc": "x"}, 404,
			fmt.Sprintf("凭证不存在: space_id=%d, credential_id=%d", other.id, app.ID))
	})

	t.Run("delete_credential", func(t *testing.T) {
		path := fmt.Sprintf("credential/%d/delete_credential/", app.ID)
		other.refused(t, http.MethodPost, path, nil, 404, fmt.Sprintf("凭证不存在: space_id=%d, credential_id=%d", other.id, app.ID))
		r := c.do(http.MethodPost, path, nil)
		golden.AssertJSON(t, "credentials_delete", r.Body, "trace_id")
		c.refused(t, http.MethodGet, fmt.Sprintf("credential/%d/get_credential_detail/", app.ID), nil, 404,
			fmt.Sprintf("凭证不存在: space_id=%d, credential_id=%d", c.id, app.ID))
		var left int
		require.NoError(t, db.QueryRow(context.Background(), `SELECT count(*) FROM credential_scopes WHERE credential_id = $1`, app.ID).Scan(&left))
		require.Zero(t, left, "its scopes went with it")
		// The name is free again.
		c.ok(t, http.MethodPost, "create_credential/", map[string]any{"name": "gateway", "type": "CUSTOM", "content": map[string]any{"a": "b"}})
	})
}
