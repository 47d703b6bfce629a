package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/golden"
	"github.com/bkflow/bkflow/internal/stacktest"
)

type variableData struct {
	ID           int64   `json:"id"`
	SpaceID      int64   `json:"space_id"`
	Name         string  `json:"name"`
	Key          string  `json:"key"`
	VariableType string  `json:"variable_type"`
	Value        string  `json:"value"`
	Desc         *string `json:"desc"`
	Creator      string  `json:"creator"`
	UpdatedBy    *string `json:"updated_by"`
	CreateAt     string  `json:"create_at"`
	UpdateAt     string  `json:"update_at"`
}

// variableVolatile are the values of a variable response that differ
// between runs.
var variableVolatile = []string{"trace_id", "data.id", "data.space_id", "data.create_at", "data.update_at"}

func variableKeys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var list []variableData
	require.NoError(t, json.Unmarshal(raw, &list), "%s", raw)
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = v.Key
	}
	return out
}

// TestVariables covers create_variable, update_variable, delete_variable
// and get_variable_list: shapes, every refusal, space isolation and key
// reuse after a delete.
func TestVariables(t *testing.T) {
	t.Parallel()
	s := stacktest.Start(t, stacktest.Options{})
	c := newResClient(t, s, "alice", "variables")
	other := newResClient(t, s, "alice", "variables-other")
	var region variableData

	t.Run("create_variable", func(t *testing.T) {
		r := c.do(http.MethodPost, "create_variable/", map[string]any{"name": " 区域 ", "key": "region",
			"variable_type": "space", "value": " gz ", "desc": "deployment region", "creator": "ignored", "space_id": 999})
		golden.AssertJSON(t, "variables_create", r.Body, variableVolatile...)
		require.NoError(t, json.Unmarshal(decode(t, r).Data, &region))
		require.Equal(t, c.id, region.SpaceID)
		require.Regexp(t, drfTimePattern, region.CreateAt)
		// A number is taken as its decimal text.
		var port variableData
		require.NoError(t, json.Unmarshal(c.ok(t, http.MethodPost, "create_variable/", map[string]any{"name": "port",
			"key": "db_port", "variable_type": "scope", "value": 5432}), &port))
		require.Equal(t, "5432", port.Value)
		require.Nil(t, port.Desc)
	})

	t.Run("create refusals", func(t *testing.T) {
		cases := []struct {
			name string
			body any
			want map[string]string
		}{
			{"missing fields", map[string]any{}, map[string]string{"name": "This field is required.", "key": "This field is required.",
				"variable_type": "This field is required.", "value": "This field is required."}},
			{"blank fields", map[string]any{"name": " ", "key": "", "variable_type": "space", "value": "  "},
				map[string]string{"name": "This field may not be blank.", "key": "This field may not be blank.", "value": "This field may not be blank."}},
			{"null value", map[string]any{"name": "n", "key": "k", "variable_type": "space", "value": nil},
				map[string]string{"value": "This field may not be null."}},
			{"value not a string", map[string]any{"name": "n", "key": "k", "variable_type": "space", "value": true},
				map[string]string{"value": "Not a valid string."}},
			{"bad key", map[string]any{"name": "n", "key": "a-b", "variable_type": "space", "value": "v"},
				map[string]string{"key": "may contain only letters, digits and _ (it is used as ${_space_<key>})"}},
			{"long key", map[string]any{"name": "n", "key": strings.Repeat("k", 119), "variable_type": "space", "value": "v"},
				map[string]string{"key": "Ensure this field has no more than 118 characters."}},
			{"long name", map[string]any{"name": strings.Repeat("名", 256), "key": "k", "variable_type": "space", "value": "v"},
				map[string]string{"name": "Ensure this field has no more than 255 characters."}},
			{"unknown type", map[string]any{"name": "n", "key": "k", "variable_type": "global", "value": "v"},
				map[string]string{"variable_type": "类型必须在 ['space', 'scope'] 中"}},
			{"blank desc", map[string]any{"name": "n", "key": "k", "variable_type": "space", "value": "v", "desc": " "},
				map[string]string{"desc": "This field may not be blank."}},
			{"null desc", map[string]any{"name": "n", "key": "k", "variable_type": "space", "value": "v", "desc": nil},
				map[string]string{"desc": "This field may not be null."}},
			{"key taken", map[string]any{"name": "n", "key": "region", "variable_type": "space", "value": "v"},
				map[string]string{"key": `a variable with key "region" already exists in this space`}},
			{"not a JSON object", `["region"]`, map[string]string{"body": "must be a JSON object"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				require.Equal(t, tc.want, fieldErrors(t, c.do(http.MethodPost, "create_variable/", tc.body)))
			})
		}
		t.Run("another app", func(t *testing.T) {
			r := s.Do(http.MethodPost, fmt.Sprintf("/space/%d/create_variable/", c.id), registerApp(t, s, "variable-intruder"),
				map[string]any{"name": "n", "key": "k", "variable_type": "space", "value": "v"})
			require.Equal(t, http.StatusForbidden, r.Status)
			require.Equal(t, "当前应用无权操作此空间，app=variable-intruder", decode(t, r).Message)
		})
		// Keys are per space.
		other.ok(t, http.MethodPost, "create_variable/", map[string]any{"name": "n", "key": "region", "variable_type": "space", "value": "sz"})
	})

	t.Run("get_variable_list", func(t *testing.T) {
		c.ok(t, http.MethodPost, "create_variable/", map[string]any{"name": "Region of backups", "key": "backup_region",
			"variable_type": "space", "value": "sh"})
		r := c.do(http.MethodGet, "get_variable_list/?key=db_", nil)
		golden.AssertJSON(t, "variables_list", r.Body, "trace_id", "data.*.id", "data.*.space_id", "data.*.create_at", "data.*.update_at")
		cases := []struct {
			query string
			want  []string
		}{
			{"", []string{"region", "db_port", "backup_region"}},
			{"?name=REGION", []string{"backup_region"}},
			{"?key=region", []string{"region", "backup_region"}},
			{"?variable_type=scope", []string{"db_port"}},
			{"?variable_type=space&key=back", []string{"backup_region"}},
			{"?name=nothing", []string{}},
		}
		for _, tc := range cases {
			require.Equal(t, tc.want, variableKeys(t, c.ok(t, http.MethodGet, "get_variable_list/"+tc.query, nil)), tc.query)
		}
		require.Equal(t, []string{"region"}, variableKeys(t, other.ok(t, http.MethodGet, "get_variable_list/", nil)))
	})

	t.Run("update_variable", func(t *testing.T) {
		path := fmt.Sprintf("variable/%d/update_variable/", region.ID)
		r := c.as("bob").do(http.MethodPut, path, map[string]any{"value": "sz", "desc": "moved"})
		golden.AssertJSON(t, "variables_update", r.Body, variableVolatile...)
		var v variableData
		require.NoError(t, json.Unmarshal(decode(t, r).Data, &v))
		require.Equal(t, "alice", v.Creator)
		require.Equal(t, "bob", *v.UpdatedBy)
		require.Equal(t, "region", v.Key, "fields not given stay")
		// PATCH is partial too, and may rename the key.
		c.ok(t, http.MethodPatch, path, map[string]any{"key": "zone"})
		require.Equal(t, []string{"zone"}, variableKeys(t, c.ok(t, http.MethodGet, "get_variable_list/?key=zone", nil)))
		c.ok(t, http.MethodPatch, path, map[string]any{"key": "region"})

		require.Equal(t, map[string]string{"key": `a variable with key "db_port" already exists in this space`},
			fieldErrors(t, c.do(http.MethodPut, path, map[string]any{"key": "db_port"})))
		require.Equal(t, map[string]string{"name": "This field may not be null.", "value": "This field may not be blank."},
			fieldErrors(t, c.do(http.MethodPut, path, map[string]any{"name": nil, "value": ""})))
		c.refused(t, http.MethodPut, "variable/987654/update_variable/", map[string]any{"value": "x"}, 404,
			"变量不存在或已被删除: variable_id=987654")
		// Another space's variable is unknown here.
		other.refused(t, http.MethodPut, path, map[string]any{"value": "x"}, 404,
			fmt.Sprintf("变量不存在或已被删除: variable_id=%d", region.ID))
		r = c.do(http.MethodPut, "variable/abc/update_variable/", map[string]any{"value": "x"})
		require.Equal(t, http.StatusNotFound, r.Status)
		require.Equal(t, `variable_id must be an integer, got "abc"`, decode(t, r).Message)
	})

	t.Run("delete_variable", func(t *testing.T) {
		path := fmt.Sprintf("variable/%d/delete_variable/", region.ID)
		other.refused(t, http.MethodPost, path, nil, 404, fmt.Sprintf("变量不存在或已被删除: variable_id=%d", region.ID))
		r := c.do(http.MethodPost, path, nil)
		golden.AssertJSON(t, "variables_delete", r.Body, "trace_id")
		c.refused(t, http.MethodPost, path, nil, 404, fmt.Sprintf("变量不存在或已被删除: variable_id=%d", region.ID))
		require.Equal(t, []string{"db_port", "backup_region"}, variableKeys(t, c.ok(t, http.MethodGet, "get_variable_list/", nil)))
		// The key can be used again (BKFlow's soft delete keeps it taken).
		c.ok(t, http.MethodPost, "create_variable/", map[string]any{"name": "region", "key": "region", "variable_type": "space", "value": "bj"})
	})
}
