package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/golden"
	"github.com/bkflow/bkflow/internal/stacktest"
)

// resClient calls the endpoints of one space as one user of the dev app.
type resClient struct {
	s    *stacktest.Stack
	auth string
	id   int64
}

// newResClient creates a space as user and returns a client for it.
func newResClient(t *testing.T, s *stacktest.Stack, user, name string) resClient {
	t.Helper()
	auth := s.AuthHeader(user)
	id, _ := createSpace(t, s, auth, map[string]any{"name": name, "platform_url": "http://example.com"})
	return resClient{s: s, auth: auth, id: id}
}

// as returns the client acting for another user of the same app.
func (c resClient) as(user string) resClient {
	c.auth = c.s.AuthHeader(user)
	return c
}

// do calls path relative to /space/{id}/.
func (c resClient) do(method, path string, body any) stacktest.Response {
	return c.s.Do(method, fmt.Sprintf("/space/%d/%s", c.id, path), c.auth, body)
}

// ok calls path and requires a successful envelope; it returns the data.
func (c resClient) ok(t *testing.T, method, path string, body any) json.RawMessage {
	t.Helper()
	r := c.do(method, path, body)
	e := decode(t, r)
	require.Equal(t, http.StatusOK, r.Status, "%s %s: %s", method, path, r.Body)
	require.True(t, e.Result, "%s %s: %s", method, path, r.Body)
	return e.Data
}

// refused calls path and requires a refusal with HTTP 200, code and message.
func (c resClient) refused(t *testing.T, method, path string, body any, code int, message string) {
	t.Helper()
	r := c.do(method, path, body)
	e := decode(t, r)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	require.False(t, e.Result, "%s", r.Body)
	require.Equal(t, code, e.Code, "%s", r.Body)
	require.Equal(t, message, e.Message, "%s", r.Body)
}

// resDB connects to the stack's database, for arranging rows the API cannot
// make and checking what is stored.
func resDB(t *testing.T, s *stacktest.Stack) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.DatabaseURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

type labelData struct {
	ID          int64    `json:"id"`
	Name        string   `json:"name"`
	SpaceID     int64    `json:"space_id"`
	ParentID    *int64   `json:"parent_id"`
	FullPath    string   `json:"full_path"`
	LabelScope  []string `json:"label_scope"`
	HasChildren bool     `json:"has_children"`
	Creator     string   `json:"creator"`
	UpdatedBy   string   `json:"updated_by"`
	CreatedAt   string   `json:"created_at"`
	Children    []labelData
}

func labelOf(t *testing.T, raw json.RawMessage) labelData {
	t.Helper()
	var l labelData
	require.NoError(t, json.Unmarshal(raw, &l), "%s", raw)
	return l
}

// labelList decodes a list envelope's data and top-level count.
func labelList(t *testing.T, r stacktest.Response) ([]labelData, int) {
	t.Helper()
	var body struct {
		Result bool        `json:"result"`
		Data   []labelData `json:"data"`
		Count  int         `json:"count"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &body), "%s", r.Body)
	require.True(t, body.Result, "%s", r.Body)
	return body.Data, body.Count
}

func labelNamesOf(ls []labelData) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.FullPath
	}
	return out
}

// labelVolatile are the values of a label response that differ between runs.
var labelVolatile = []string{"trace_id", "data.id", "data.space_id", "data.parent_id", "data.created_at", "data.updated_at"}

// labelListVolatile are labelVolatile for every item of a list or tree.
var labelListVolatile = []string{"trace_id", "data.*.id", "data.*.space_id", "data.*.parent_id", "data.*.created_at",
	"data.*.updated_at", "data.*.children.*.id", "data.*.children.*.space_id", "data.*.children.*.parent_id",
	"data.*.children.*.created_at", "data.*.children.*.updated_at"}

var drfTimePattern = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?(Z|[+-]\d\d:\d\d)$`)

func TestLabels(t *testing.T) {
	t.Parallel()
	s := stacktest.Start(t, stacktest.Options{})
	c := newResClient(t, s, "alice", "labels")
	other := newResClient(t, s, "alice", "labels-other")
	db := resDB(t, s)
	ctx := context.Background()

	ids := map[string]int64{}
	create := func(t *testing.T, body map[string]any) labelData {
		t.Helper()
		l := labelOf(t, c.ok(t, http.MethodPost, "create_label/", body))
		ids[l.FullPath] = l.ID
		return l
	}

	t.Run("create a root", func(t *testing.T) {
		r := c.do(http.MethodPost, "create_label/", map[string]any{"name": "  env ", "color": "#123456",
			"label_scope": []string{"task", "template", "task"}, "description": " environments ", "creator": "ignored",
			"space_id": 999, "is_default": true})
		golden.AssertJSON(t, "labels_create", r.Body, labelVolatile...)
		l := labelOf(t, decode(t, r).Data)
		ids["env"] = l.ID
		require.Equal(t, c.id, l.SpaceID)
		require.Regexp(t, drfTimePattern, l.CreatedAt)
	})

	t.Run("create children", func(t *testing.T) {
		// parent_id or "root/child" with an existing root.
		prod := create(t, map[string]any{"name": "prod", "parent_id": ids["env"], "label_scope": []string{"task"}})
		require.Equal(t, ids["env"], *prod.ParentID)
		require.Equal(t, "env/prod", prod.FullPath)
		create(t, map[string]any{"name": "env / test", "label_scope": []string{"template"}})
		// "root/child" with a missing root creates both, with the same fields.
		r := c.do(http.MethodPost, "create_label/", map[string]any{"name": "team/dev", "label_scope": []string{"common"}})
		golden.AssertJSON(t, "labels_create_child", r.Body, labelVolatile...)
		dev := labelOf(t, decode(t, r).Data)
		ids["team/dev"] = dev.ID
		team := labelOf(t, c.ok(t, http.MethodGet, fmt.Sprintf("label/%d/get_label_detail/", *dev.ParentID), nil))
		require.Equal(t, "team", team.Name)
		require.Equal(t, []string{"common"}, team.LabelScope)
		require.True(t, team.HasChildren)
		require.Equal(t, "alice", team.Creator)
		ids["team"] = team.ID
		create(t, map[string]any{"name": "solo", "label_scope": []string{"template"}})
	})

	t.Run("create refusals", func(t *testing.T) {
		cases := []struct {
			name string
			body any
			want map[string]string
		}{
			{"missing fields", map[string]any{}, map[string]string{"name": "This field is required.", "label_scope": "This field is required."}},
			{"blank name", map[string]any{"name": "  ", "label_scope": []string{"task"}}, map[string]string{"name": "This field may not be blank."}},
			{"three levels", map[string]any{"name": "a/b/c", "label_scope": []string{"task"}}, map[string]string{"name": "标签名称层级不能超过两层"}},
			{"empty part", map[string]any{"name": "a/ ", "label_scope": []string{"task"}}, map[string]string{"name": `both parts of "root/child" must be non-blank`}},
			{"empty root", map[string]any{"name": "/a", "label_scope": []string{"task"}}, map[string]string{"name": `both parts of "root/child" must be non-blank`}},
			{"long name", map[string]any{"name": strings.Repeat("长", 21), "label_scope": []string{"task"}}, map[string]string{"name": "标签名称长度不能超过20个字符"}},
			{"long child name", map[string]any{"name": "env/" + strings.Repeat("x", 21), "label_scope": []string{"task"}}, map[string]string{"name": "标签名称长度不能超过20个字符"}},
			{"bad color", map[string]any{"name": "c", "color": "#12345g", "label_scope": []string{"task"}}, map[string]string{"color": "颜色格式错误"}},
			{"long color", map[string]any{"name": "c", "color": "#1234567", "label_scope": []string{"task"}}, map[string]string{"color": "Ensure this field has no more than 7 characters."}},
			{"empty scope", map[string]any{"name": "c", "label_scope": []string{}}, map[string]string{"label_scope": "Ensure this field has at least 1 elements."}},
			{"unknown scope", map[string]any{"name": "c", "label_scope": []string{"task", "flow"}}, map[string]string{"label_scope": `"flow" is not a valid choice: use task, template or common`}},
			{"scope not a list", map[string]any{"name": "c", "label_scope": "task"}, map[string]string{"label_scope": "must be a list, got string"}},
			{"name not a string", map[string]any{"name": 5, "label_scope": []string{"task"}}, map[string]string{"name": "must be a string, got number"}},
			{"long description", map[string]any{"name": "c", "label_scope": []string{"task"}, "description": strings.Repeat("d", 256)},
				map[string]string{"description": "Ensure this field has no more than 255 characters."}},
			{"root name taken", map[string]any{"name": "env", "label_scope": []string{"task"}}, map[string]string{"name": "该空间下已存在名称为「env」的标签"}},
			{"child name taken", map[string]any{"name": "env/prod", "label_scope": []string{"task"}}, map[string]string{"name": "该空间下已存在名称为「prod」的标签"}},
			{"child scope outside the parent's", map[string]any{"name": "env/x", "label_scope": []string{"common"}},
				map[string]string{"label_scope": "子标签的范围必须是父标签的子集"}},
			{"unknown parent", map[string]any{"name": "x", "parent_id": 987654, "label_scope": []string{"task"}}, map[string]string{"parent_id": "父标签不存在"}},
			{"child as parent", map[string]any{"name": "x", "parent_id": ids["env/prod"], "label_scope": []string{"task"}},
				map[string]string{"parent_id": "子标签不能作为父标签"}},
			{"not a JSON object", `["env"]`, map[string]string{"body": "must be a JSON object"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				require.Equal(t, tc.want, fieldErrors(t, c.do(http.MethodPost, "create_label/", tc.body)))
			})
		}
		t.Run("parent of another space", func(t *testing.T) {
			foreign := labelOf(t, other.ok(t, http.MethodPost, "create_label/", map[string]any{"name": "theirs", "label_scope": []string{"task"}}))
			require.Equal(t, map[string]string{"parent_id": "父标签不存在"},
				fieldErrors(t, c.do(http.MethodPost, "create_label/", map[string]any{"name": "x", "parent_id": foreign.ID, "label_scope": []string{"task"}})))
		})
		t.Run("root/child is atomic", func(t *testing.T) {
			// The child is refused, so the missing root is not created either.
			r := c.do(http.MethodPost, "create_label/", map[string]any{"name": "orphan/" + strings.Repeat("x", 21), "label_scope": []string{"task"}})
			require.Contains(t, fieldErrors(t, r), "name")
			list, _ := labelList(t, c.do(http.MethodGet, "get_label_list/?name=orphan", nil))
			require.Empty(t, list)
		})
		t.Run("another app", func(t *testing.T) {
			r := s.Do(http.MethodPost, fmt.Sprintf("/space/%d/create_label/", c.id), registerApp(t, s, "label-intruder"),
				map[string]any{"name": "x", "label_scope": []string{"task"}})
			require.Equal(t, http.StatusForbidden, r.Status)
			require.Equal(t, "当前应用无权操作此空间，app=label-intruder", decode(t, r).Message)
		})
	})

	t.Run("get_label_list", func(t *testing.T) {
		r := c.do(http.MethodGet, "get_label_list/", nil)
		golden.AssertJSON(t, "labels_list", r.Body, labelListVolatile...)
		list, count := labelList(t, r)
		require.Equal(t, []string{"solo", "team", "env"}, labelNamesOf(list), "roots, last updated first")
		require.Equal(t, 3, count)

		cases := []struct {
			query string
			want  []string
			count int
		}{
			{"include_children=true&order_by=name", []string{"team/dev", "env", "env/prod", "solo", "team", "env/test"}, 6},
			{"include_children=1&order_by=created_at", []string{"env", "env/prod", "env/test", "team", "team/dev", "solo"}, 6},
			{fmt.Sprintf("parent_id=%d&order_by=-name", ids["env"]), []string{"env/test", "env/prod"}, 2},
			{"name=EN", []string{"env"}, 1},
			{"name=E&include_children=true&order_by=name", []string{"team/dev", "env", "team", "env/test"}, 4},
			{"label_scope=task&include_children=true&order_by=name", []string{"team/dev", "env", "env/prod", "team"}, 4},
			{"label_scope=template&order_by=name", []string{"env", "solo", "team"}, 3},
			{"is_default=false&order_by=name&offset=1&limit=1", []string{"solo"}, 3},
			{"limit=0", []string{}, 3},
			{"offset=10", []string{}, 3},
		}
		for _, tc := range cases {
			t.Run(tc.query, func(t *testing.T) {
				list, count := labelList(t, c.do(http.MethodGet, "get_label_list/?"+tc.query, nil))
				require.Equal(t, tc.want, labelNamesOf(list))
				require.Equal(t, tc.count, count)
			})
		}
		t.Run("has_children", func(t *testing.T) {
			list, _ := labelList(t, c.do(http.MethodGet, "get_label_list/?include_children=true&order_by=name", nil))
			for _, l := range list {
				require.Equal(t, l.FullPath == "env" || l.FullPath == "team", l.HasChildren, l.FullPath)
			}
		})
		t.Run("refusals", func(t *testing.T) {
			require.Equal(t, map[string]string{
				"order_by":    "排序字段非法",
				"label_scope": `"flow" is not a valid choice: use task, template or common`,
				"limit":       "must be an integer greater than or equal to 0",
				"is_default":  "Must be a valid boolean.",
				"parent_id":   "A valid integer is required.",
			}, fieldErrors(t, c.do(http.MethodGet, "get_label_list/?order_by=id&label_scope=flow&limit=-1&is_default=maybe&parent_id=x", nil)))
		})
	})

	t.Run("get_label_tree", func(t *testing.T) {
		r := c.do(http.MethodGet, "get_label_tree/", nil)
		golden.AssertJSON(t, "labels_tree", r.Body, labelListVolatile...)

		tree := func(query string) ([]string, int) {
			t.Helper()
			var body struct {
				Data []struct {
					Name        string `json:"name"`
					HasChildren bool   `json:"has_children"`
					Children    []struct {
						FullPath string `json:"full_path"`
					} `json:"children"`
				} `json:"data"`
				Count int `json:"count"`
			}
			r := c.do(http.MethodGet, "get_label_tree/?"+query, nil)
			require.NoError(t, json.Unmarshal(r.Body, &body), "%s", r.Body)
			var out []string
			for _, n := range body.Data {
				require.Equal(t, len(n.Children) > 0, n.HasChildren)
				item := n.Name
				for _, ch := range n.Children {
					item += " " + ch.FullPath
				}
				out = append(out, item)
			}
			return out, body.Count
		}
		got, count := tree("")
		require.Equal(t, []string{"env env/prod env/test", "solo", "team team/dev"}, got)
		require.Equal(t, 3, count)
		got, count = tree("label_scope=task")
		require.Equal(t, []string{"env env/prod", "team team/dev"}, got)
		require.Equal(t, 2, count)
		got, count = tree("offset=1&limit=1")
		require.Equal(t, []string{"solo"}, got)
		require.Equal(t, 3, count)
		got, _ = tree("limit=0")
		require.Empty(t, got)
		require.Equal(t, map[string]string{"offset": "must be an integer greater than or equal to 0"},
			fieldErrors(t, c.do(http.MethodGet, "get_label_tree/?offset=-1", nil)))
	})

	t.Run("get_label_detail", func(t *testing.T) {
		r := c.do(http.MethodGet, fmt.Sprintf("label/%d/get_label_detail/", ids["env"]), nil)
		golden.AssertJSON(t, "labels_detail", r.Body, labelVolatile...)
		c.refused(t, http.MethodGet, "label/987654/get_label_detail/", nil, 404, "标签不存在: label_id=987654")
		theirs, _ := labelList(t, other.do(http.MethodGet, "get_label_list/", nil))
		c.refused(t, http.MethodGet, fmt.Sprintf("label/%d/get_label_detail/", theirs[0].ID), nil, 404,
			fmt.Sprintf("标签不存在: label_id=%d", theirs[0].ID))
		r = c.do(http.MethodGet, "label/abc/get_label_detail/", nil)
		require.Equal(t, http.StatusNotFound, r.Status)
		require.Equal(t, `label_id must be an integer, got "abc"`, decode(t, r).Message)
	})

	t.Run("update_label", func(t *testing.T) {
		bob := c.as("bob")
		path := fmt.Sprintf("update_label/%d/", ids["solo"])
		r := bob.do(http.MethodPatch, path, map[string]any{"color": "#abcdef", "description": "only one", "label_scope": []string{"template", "common"}})
		golden.AssertJSON(t, "labels_update", r.Body, labelVolatile...)
		l := labelOf(t, decode(t, r).Data)
		require.Equal(t, "alice", l.Creator)
		require.Equal(t, "bob", l.UpdatedBy)

		// PUT is partial too; description null clears it; an unchanged
		// parent_id is accepted.
		raw := bob.ok(t, http.MethodPut, path, map[string]any{"name": " single ", "description": nil, "parent_id": nil})
		var got map[string]any
		require.NoError(t, json.Unmarshal(raw, &got))
		require.Equal(t, "single", got["name"])
		require.Nil(t, got["description"])
		require.Equal(t, "#abcdef", got["color"])
		ids["single"] = ids["solo"]

		// A child is checked against its siblings only: the name of a root is fine.
		test := labelOf(t, c.ok(t, http.MethodPatch, fmt.Sprintf("update_label/%d/", ids["env/test"]), map[string]any{"name": "team"}))
		require.Equal(t, "env/team", test.FullPath)
		c.ok(t, http.MethodPatch, fmt.Sprintf("update_label/%d/", ids["env/test"]), map[string]any{"name": "test"})

		child := fmt.Sprintf("update_label/%d/", ids["env/prod"])
		cases := []struct {
			name string
			path string
			body any
			want map[string]string
		}{
			{"slash", path, map[string]any{"name": "a/b"}, map[string]string{"name": "标签名称层级不能超过两层"}},
			{"null name", path, map[string]any{"name": nil}, map[string]string{"name": "This field may not be null."}},
			{"blank name", path, map[string]any{"name": " "}, map[string]string{"name": "This field may not be blank."}},
			{"long name", path, map[string]any{"name": strings.Repeat("n", 21)}, map[string]string{"name": "标签名称长度不能超过20个字符"}},
			{"root name taken", path, map[string]any{"name": "env"}, map[string]string{"name": "该空间下已存在名称为「env」的标签"}},
			{"sibling name taken", child, map[string]any{"name": "test"}, map[string]string{"name": "该空间下已存在名称为「test」的标签"}},
			{"empty scope", path, map[string]any{"label_scope": []string{}}, map[string]string{"label_scope": "Ensure this field has at least 1 elements."}},
			{"null scope", path, map[string]any{"label_scope": nil}, map[string]string{"label_scope": "This field may not be null."}},
			{"null color", path, map[string]any{"color": nil}, map[string]string{"color": "This field may not be null."}},
			{"bad color", path, map[string]any{"color": "red"}, map[string]string{"color": "颜色格式错误"}},
			{"scope not covering the children", fmt.Sprintf("update_label/%d/", ids["env"]), map[string]any{"label_scope": []string{"task"}},
				map[string]string{"label_scope": "父标签的范围必须覆盖所有子标签的范围"}},
			{"child scope outside the parent's", child, map[string]any{"label_scope": []string{"common"}},
				map[string]string{"label_scope": "子标签的范围必须是父标签的子集"}},
			{"new parent", child, map[string]any{"parent_id": ids["team"]}, map[string]string{"parent_id": "the parent of a label cannot be changed"}},
			{"parent removed", child, map[string]any{"parent_id": nil}, map[string]string{"parent_id": "the parent of a label cannot be changed"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				require.Equal(t, tc.want, fieldErrors(t, c.do(http.MethodPatch, tc.path, tc.body)))
			})
		}
		c.refused(t, http.MethodPatch, "update_label/987654/", map[string]any{"color": "#000000"}, 404,
			fmt.Sprintf("标签不存在: space_id=%d, label_id=987654", c.id))
		theirs, _ := labelList(t, other.do(http.MethodGet, "get_label_list/", nil))
		c.refused(t, http.MethodPut, fmt.Sprintf("update_label/%d/", theirs[0].ID), map[string]any{"color": "#000000"}, 404,
			fmt.Sprintf("标签不存在: space_id=%d, label_id=%d", c.id, theirs[0].ID))
		// Nothing was written by the refusals.
		env := labelOf(t, c.ok(t, http.MethodGet, fmt.Sprintf("label/%d/get_label_detail/", ids["env"]), nil))
		require.Equal(t, []string{"task", "template"}, env.LabelScope)
	})

	// Templates and tasks carrying labels are arranged in the database: the
	// counts are about stored relations, whichever endpoint made them.
	tpl := func(t *testing.T, id int64, deleted bool, labels ...string) {
		t.Helper()
		tx, err := db.Begin(ctx)
		require.NoError(t, err)
		defer tx.Rollback(ctx) //nolint:errcheck
		_, err = tx.Exec(ctx, `INSERT INTO templates (id, space_id, snapshot_id, name, create_at, update_at, is_deleted)
			VALUES ($1, $2, $1, 't', now(), now(), $3)`, id, c.id, deleted)
		require.NoError(t, err)
		_, err = tx.Exec(ctx, `INSERT INTO template_snapshots (id, template_id, data, md5sum, create_time, update_time)
			VALUES ($1, $1, '{}', repeat('0', 32), now(), now())`, id)
		require.NoError(t, err)
		for _, l := range labels {
			_, err = tx.Exec(ctx, `INSERT INTO template_labels (template_id, label_id) VALUES ($1, $2)`, id, ids[l])
			require.NoError(t, err)
		}
		require.NoError(t, tx.Commit(ctx))
	}
	task := func(t *testing.T, deleted bool, labels ...string) {
		t.Helper()
		var id int64
		require.NoError(t, db.QueryRow(ctx, `INSERT INTO tasks (space_id, instance_id, name, task_queue, is_deleted)
			VALUES ($1, 'i', 't', 'q', $2) RETURNING id`, c.id, deleted).Scan(&id))
		for _, l := range labels {
			_, err := db.Exec(ctx, `INSERT INTO task_labels (task_id, label_id) VALUES ($1, $2)`, id, ids[l])
			require.NoError(t, err)
		}
	}

	t.Run("get_label_ref_count", func(t *testing.T) {
		tpl(t, 9001, false, "env/prod", "env/test")
		tpl(t, 9002, false, "env/prod")
		tpl(t, 9003, true, "env/test")
		task(t, false, "env/prod")
		task(t, true, "env/prod", "env/test")
		task(t, false, "single")

		q := fmt.Sprintf("get_label_ref_count/?label_ids=%d,%d,,%d,%d,987654,%d", ids["env"], ids["env/prod"], ids["single"],
			ids["env/test"], ids["env"])
		r := c.do(http.MethodGet, q, nil)
		e := decode(t, r)
		require.True(t, e.Result, "%s", r.Body)
		require.JSONEq(t, fmt.Sprintf(`{
			"%d": {"template_count": 2, "task_count": 1},
			"%d": {"template_count": 2, "task_count": 1},
			"%d": {"template_count": 0, "task_count": 1},
			"%d": {"template_count": 1, "task_count": 0},
			"987654": {"template_count": 0, "task_count": 0}}`,
			ids["env"], ids["env/prod"], ids["single"], ids["env/test"]), string(e.Data))
		// In the order asked for, without duplicates.
		want := fmt.Sprintf(`{"%d":{"template_count":2,"task_count":1},"%d":`, ids["env"], ids["env/prod"])
		require.True(t, strings.HasPrefix(string(e.Data), want), "%s", e.Data)

		// A label of another space counts nothing here.
		theirs, _ := labelList(t, other.do(http.MethodGet, "get_label_list/", nil))
		e = decode(t, c.do(http.MethodGet, fmt.Sprintf("get_label_ref_count/?label_ids=%d", theirs[0].ID), nil))
		require.JSONEq(t, fmt.Sprintf(`{"%d": {"template_count": 0, "task_count": 0}}`, theirs[0].ID), string(e.Data))

		const badFormat = "label_ids 格式非法，仅允许数字和逗号（如 1,2,3）"
		for query, want := range map[string]string{
			"":                                "This field is required.",
			"?label_ids=":                     "This field may not be blank.",
			"?label_ids=1,":                   badFormat,
			"?label_ids=,1":                   badFormat,
			"?label_ids=1,%202":               badFormat,
			"?label_ids=a":                    badFormat,
			"?label_ids=99999999999999999999": badFormat,
		} {
			require.Equal(t, map[string]string{"label_ids": want}, fieldErrors(t, c.do(http.MethodGet, "get_label_ref_count/"+query, nil)), query)
		}
	})

	t.Run("a referenced root gets no children", func(t *testing.T) {
		require.Equal(t, map[string]string{"parent_id": "父标签已被模板或任务引用，不允许挂载子标签，如需要请先删除父标签的引用"},
			fieldErrors(t, c.do(http.MethodPost, "create_label/", map[string]any{"name": "single/sub", "label_scope": []string{"template"}})))
		// References by deleted tasks do not count.
		create(t, map[string]any{"name": "ghost", "label_scope": []string{"task"}})
		task(t, true, "ghost")
		create(t, map[string]any{"name": "ghost/sub", "label_scope": []string{"task"}})
	})

	t.Run("delete_label", func(t *testing.T) {
		c.refused(t, http.MethodPost, "delete_label/987654/", nil, 404, fmt.Sprintf("标签不存在: space_id=%d, label_id=987654", c.id))
		r := c.do(http.MethodPost, fmt.Sprintf("delete_label/%d/", ids["env"]), nil)
		golden.AssertJSON(t, "labels_delete", r.Body, "trace_id")
		// The children went with the root, and every template and task lost them.
		for _, l := range []string{"env", "env/prod", "env/test"} {
			c.refused(t, http.MethodGet, fmt.Sprintf("label/%d/get_label_detail/", ids[l]), nil, 404,
				fmt.Sprintf("标签不存在: label_id=%d", ids[l]))
		}
		var n int
		require.NoError(t, db.QueryRow(ctx, `SELECT (SELECT count(*) FROM template_labels WHERE label_id = ANY($1))
			+ (SELECT count(*) FROM task_labels WHERE label_id = ANY($1))`, []int64{ids["env"], ids["env/prod"], ids["env/test"]}).Scan(&n))
		require.Zero(t, n)
		var live int
		require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM templates WHERE id IN (9001, 9002)`).Scan(&live))
		require.Equal(t, 2, live, "templates stay")
		c.refused(t, http.MethodPost, fmt.Sprintf("delete_label/%d/", ids["env"]), nil, 404,
			fmt.Sprintf("标签不存在: space_id=%d, label_id=%d", c.id, ids["env"]))
		// A child alone.
		c.ok(t, http.MethodPost, fmt.Sprintf("delete_label/%d/", ids["team/dev"]), nil)
		team := labelOf(t, c.ok(t, http.MethodGet, fmt.Sprintf("label/%d/get_label_detail/", ids["team"]), nil))
		require.False(t, team.HasChildren)
	})

	t.Run("default labels", func(t *testing.T) {
		var root, child int64
		require.NoError(t, db.QueryRow(ctx, `INSERT INTO labels (space_id, name, label_scope, is_default, created_at, updated_at)
			VALUES (-1, 'global', '{task,template}', true, now(), now()) RETURNING id`).Scan(&root))
		require.NoError(t, db.QueryRow(ctx, `INSERT INTO labels (space_id, parent_id, name, label_scope, is_default, created_at, updated_at)
			VALUES (-1, $1, 'shared', '{task}', true, now(), now()) RETURNING id`, root).Scan(&child))

		// Readable in every space.
		for _, cl := range []resClient{c, other} {
			l := labelOf(t, cl.ok(t, http.MethodGet, fmt.Sprintf("label/%d/get_label_detail/", child), nil))
			require.Equal(t, "global/shared", l.FullPath)
			require.EqualValues(t, -1, l.SpaceID)
			list, _ := labelList(t, cl.do(http.MethodGet, "get_label_list/?is_default=true&include_children=true&order_by=name", nil))
			require.Equal(t, []string{"global", "global/shared"}, labelNamesOf(list))
		}
		// Not writable.
		msg := fmt.Sprintf("label %d is a default label (space_id -1): default labels cannot be changed through the API", root)
		c.refused(t, http.MethodPatch, fmt.Sprintf("update_label/%d/", root), map[string]any{"color": "#000000"}, 400, msg)
		c.refused(t, http.MethodPost, fmt.Sprintf("delete_label/%d/", root), nil, 400, msg)
		require.Equal(t, map[string]string{"parent_id": fmt.Sprintf("label %d is a default label: default labels cannot get children through the API", root)},
			fieldErrors(t, c.do(http.MethodPost, "create_label/", map[string]any{"name": "mine", "parent_id": root, "label_scope": []string{"task"}})))
		// A space may have its own root of the same name.
		create(t, map[string]any{"name": "global/mine", "label_scope": []string{"task"}})
	})
}
