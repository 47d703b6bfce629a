package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/proto"

	"github.com/bkflow/bkflow/internal/golden"
	"github.com/bkflow/bkflow/internal/stacktest"
	"github.com/bkflow/bkflow/workflows/pipeline/pipelinetest"
)

// taskVolatile are the values of a task response that change between runs.
var taskVolatile = []string{"data.id", "data.space_id", "data.instance_id", "data.template_id", "data.create_time",
	"trace_id"}

func b64(v any) string {
	raw, _ := json.Marshal(v)
	return base64.StdEncoding.EncodeToString(raw)
}

// createLabel creates a label and returns its id.
func createLabel(t *testing.T, sp *stacktest.Space, name string, scope ...string) int64 {
	t.Helper()
	var l struct {
		ID int64 `json:"id"`
	}
	require.NoError(t, json.Unmarshal(sp.MustCall(http.MethodPost, "create_label/", map[string]any{
		"name": name, "color": "#123456", "label_scope": scope}), &l))
	return l.ID
}

func TestTaskEndpoints(t *testing.T) {
	t.Parallel()
	var (
		mu       sync.Mutex
		received []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		received = append(received, r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprint(w, `{"result": true, "data": {"echo": "`+r.Header.Get("Authorization")+`"}}`)
	}))
	t.Cleanup(srv.Close)
	s := stacktest.Start(t, stacktest.Options{Env: []string{"BKFLOW_HTTP_ALLOW=127.0.0.1/32"}})
	sp := stacktest.NewSpace(t, s)
	templateID := sp.CreateTemplate(twoStep(), map[string]any{"auto_release": true, "scope_type": "project",
		"scope_value": "7", "bind_app_code": s.AppCode})
	taskLabel := createLabel(t, sp, "env/prod", "task")
	templateLabel := createLabel(t, sp, "tpl", "template")

	t.Run("create_task", func(t *testing.T) {
		r, e := sp.Call(http.MethodPost, "create_task/", map[string]any{
			"template_id": templateID, "creator": "alice", "name": "nightly", "description": "d",
			"constants": map[string]any{"${who}": "bkflow", "${nope}": 1}, "label_ids": []int64{taskLabel},
			"credentials":            map[string]any{"api": b64(map[string]any{"token": "t0ps3cret", "user": "svc"})},
			"custom_span_attributes": map[string]any{"team": "ops"},
		})
		require.True(t, e.Result, "%s", r.Body)
		golden.AssertJSON(t, "create_task", r.Body, append(taskVolatile, "data.labels.0.id", "data.labels.0.parent_id",
			"data.labels.0.space_id", "data.labels.0.created_at", "data.labels.0.updated_at")...)
		require.NotContains(t, string(r.Body), "t0ps3cret")
		require.NotContains(t, string(r.Body), "svc", "every string of a credential is masked")
	})

	t.Run("create_task refusals", func(t *testing.T) {
		other := stacktest.NewSpace(t, s)
		cases := []struct {
			name  string
			sp    *stacktest.Space
			body  map[string]any
			field string
			msg   string
		}{
			{"no template", sp, map[string]any{"creator": "a"}, "template_id", "This field is required."},
			{"no creator", sp, map[string]any{"template_id": templateID}, "creator", "This field is required."},
			{"template of another space", other, map[string]any{"template_id": templateID, "creator": "a"}, "template_id",
				fmt.Sprintf("模版不存在，space_id=%d, template_id=%d", other.ID, templateID)},
			{"credential not base64", sp, map[string]any{"template_id": templateID, "creator": "a",
				"credentials": map[string]any{"c": "%%%"}}, "credentials", "凭证 c 的值不是有效的base64编码"},
			{"credential not an object", sp, map[string]any{"template_id": templateID, "creator": "a",
				"credentials": map[string]any{"c": b64([]int{1})}}, "credentials", "凭证 c 解码后的内容必须是json对象"},
			{"credential not a string", sp, map[string]any{"template_id": templateID, "creator": "a",
				"credentials": map[string]any{"c": 5}}, "credentials", "凭证 c 的值必须是base64编码的json字符串"},
			{"label of the wrong scope", sp, map[string]any{"template_id": templateID, "creator": "a",
				"label_ids": []int64{templateLabel}}, "label_ids", "标签范围校验失败，请选择 task 或 common 范围的标签"},
		}
		for _, tc := range cases {
			r, _ := tc.sp.Call(http.MethodPost, "create_task/", tc.body)
			require.Equal(t, tc.msg, fieldErrors(t, r)[tc.field], tc.name)
		}
		// Excluding a node that is not optional names it, and nothing is written.
		b := pipelinetest.New()
		b.Display("a")
		b.Display("c")["optional"] = false
		b.Chain("start", "a", "c", "end")
		id := sp.CreateTemplate(b, nil)
		var detail struct {
			PipelineTree struct {
				Activities map[string]map[string]any `json:"activities"`
			} `json:"pipeline_tree"`
		}
		require.NoError(t, json.Unmarshal(sp.MustCall(http.MethodGet, fmt.Sprintf("template/%d/get_template_detail/", id), nil), &detail))
		var c string
		for nid, n := range detail.PipelineTree.Activities {
			if n["name"] == "c" {
				c = nid
			}
		}
		require.NotEmpty(t, c)
		r, _ := sp.Call(http.MethodPost, "create_task/", map[string]any{"template_id": id, "creator": "a",
			"exclude_task_nodes_id": []string{c}})
		require.Equal(t, map[string]string{"exclude_task_nodes_id": "task node[id=" + c + "] is not optional"}, fieldErrors(t, r))
	})

	t.Run("credentials and space variables reach components sealed", func(t *testing.T) {
		sp.MustCall(http.MethodPost, "create_variable/", map[string]any{"name": "region", "key": "region",
			"variable_type": "space", "value": "gz"})
		b := pipelinetest.New()
		b.Activity("call", "bk_http_request", "v1.0", map[string]any{
			"bk_http_request_method": "GET", "bk_http_request_url": srv.URL + "/x",
			"bk_http_request_header": []any{map[string]any{"name": "Authorization",
				"value": `Bearer ${_system.credentials["api"]["token"]}`}},
		})
		b.Activity("where", "bk_display", "v1.0", map[string]any{"bk_display_message": "in ${_space_region}"})
		b.Chain("start", "call", "where", "end")
		id := sp.CreateTemplate(b, map[string]any{"auto_release": true})
		tk := sp.CreateTask(id, map[string]any{"credentials": map[string]any{"api": b64(map[string]any{"token": "t0ps3cret"})}})
		stacktest.OK(t, tk.Operate("start"))
		tk.WaitTask("FINISHED")

		mu.Lock()
		require.Contains(t, received, "Bearer t0ps3cret", "the component got the secret in clear")
		mu.Unlock()
		call := tk.Detail("call")
		require.Equal(t, []any{map[string]any{"name": "Authorization", "value": "Bearer ******"}},
			call.Inputs["bk_http_request_header"], "node details mask it")
		require.Equal(t, map[string]any{"result": true, "data": map[string]any{"echo": "Bearer ******"}}, call.Output("data"),
			"and outputs scrub it")
		require.Equal(t, "in gz", tk.Detail("where").Inputs["bk_display_message"])

		// Neither PostgreSQL nor Temporal's history holds it in clear.
		conn, err := pgx.Connect(context.Background(), s.DatabaseURL)
		require.NoError(t, err)
		defer conn.Close(context.Background())
		var rows string
		require.NoError(t, conn.QueryRow(context.Background(),
			`SELECT coalesce(string_agg(t::text, ''), '') FROM tasks t WHERE id = $1`, tk.ID).Scan(&rows))
		require.Contains(t, rows, "bkflow-secret:v1:")
		require.NotContains(t, rows, "t0ps3cret")
		var nodes string
		require.NoError(t, conn.QueryRow(context.Background(),
			`SELECT coalesce(string_agg(record::text, ''), '') FROM task_nodes WHERE task_id = $1`, tk.ID).Scan(&nodes))
		require.NotContains(t, nodes, "t0ps3cret")

		tc, err := client.Dial(client.Options{HostPort: s.Temporal})
		require.NoError(t, err)
		defer tc.Close()
		it := tc.GetWorkflowHistory(context.Background(), fmt.Sprintf("bkflow-task-%d", tk.ID), "", false, 0)
		events := 0
		for it.HasNext() {
			ev, err := it.Next()
			require.NoError(t, err)
			raw, err := proto.Marshal(ev)
			require.NoError(t, err)
			require.False(t, bytes.Contains(raw, []byte("t0ps3cret")), "event %d holds the secret", ev.EventId)
			events++
		}
		require.Greater(t, events, 10)
	})

	t.Run("create_mock_task", func(t *testing.T) {
		var detail struct {
			PipelineTree struct {
				Activities map[string]map[string]any `json:"activities"`
			} `json:"pipeline_tree"`
		}
		require.NoError(t, json.Unmarshal(sp.MustCall(http.MethodGet, fmt.Sprintf("template/%d/get_template_detail/", templateID), nil), &detail))
		var a string
		for id, n := range detail.PipelineTree.Activities {
			if n["name"] == "a" {
				a = id
			}
		}
		r, e := sp.Call(http.MethodPost, "create_mock_task/", map[string]any{"template_id": templateID, "creator": "alice",
			"name": "mocked", "mock_data": map[string]any{"nodes": []string{a}, "outputs": map[string]any{a: map[string]any{"_result": "mocked"}}}})
		require.True(t, e.Result, "%s", r.Body)
		var task struct {
			ID           int64  `json:"id"`
			CreateMethod string `json:"create_method"`
		}
		require.NoError(t, json.Unmarshal(e.Data, &task))
		require.Equal(t, "MOCK", task.CreateMethod)

		r, _ = sp.Call(http.MethodPost, "create_mock_task/", map[string]any{"template_id": templateID, "creator": "alice",
			"name": "mocked", "mock_data": map[string]any{"nodes": []string{"nope"}}})
		require.Equal(t, "node nope is not an activity of the template", fieldErrors(t, r)["mock_data.nodes"])
		r, _ = sp.Call(http.MethodPost, "create_mock_task/", map[string]any{"template_id": templateID, "creator": "alice"})
		require.Equal(t, "This field is required.", fieldErrors(t, r)["name"])
	})

	t.Run("get_task_list, get_tasks_states, labels and delete", func(t *testing.T) {
		ls := stacktest.NewSpace(t, s)
		tid := ls.CreateTemplate(twoStep(), map[string]any{"auto_release": true})
		label := createLabel(t, ls, "batch/one", "task")
		var ids []int64
		for i := range 4 {
			extra := map[string]any{"name": fmt.Sprintf("job %d", i), "creator": fmt.Sprintf("c%d", i%2)}
			if i == 1 {
				extra["label_ids"] = []int64{label}
			}
			ids = append(ids, ls.CreateTask(tid, extra).ID)
		}
		r, e := ls.Call(http.MethodGet, "get_task_list/?limit=2&offset=1", nil)
		require.True(t, e.Result, "%s", r.Body)
		var page struct {
			Count    int     `json:"count"`
			Next     *string `json:"next"`
			Previous *string `json:"previous"`
			Results  []struct {
				ID     int64            `json:"id"`
				Labels []map[string]any `json:"labels"`
			} `json:"results"`
		}
		require.NoError(t, json.Unmarshal(e.Data, &page))
		require.Equal(t, 4, page.Count)
		require.Equal(t, []int64{ids[2], ids[1]}, []int64{page.Results[0].ID, page.Results[1].ID})
		require.Equal(t, fmt.Sprintf("http://%s/space/%d/get_task_list/?limit=2&offset=3", s.HTTPAddr, ls.ID), *page.Next)
		require.Equal(t, fmt.Sprintf("http://%s/space/%d/get_task_list/?limit=2", s.HTTPAddr, ls.ID), *page.Previous)
		require.Equal(t, "batch/one", page.Results[1].Labels[0]["full_path"])
		golden.AssertJSON(t, "get_task_list", r.Body, "data.next", "data.previous", "data.results.0.id",
			"data.results.0.space_id", "data.results.0.instance_id", "data.results.0.template_id",
			"data.results.0.create_time", "data.results.1.id", "data.results.1.space_id", "data.results.1.instance_id",
			"data.results.1.template_id", "data.results.1.create_time", "data.results.1.labels.0.id", "trace_id")

		// The count is the whole list's, whether the page is full (counted),
		// short (offset + rows) or past the end (counted).
		for _, tc := range []struct {
			query string
			want  []int64
			count int
		}{
			{"creator=c0", []int64{ids[2], ids[0]}, 2},
			{"name=JOB+3", []int64{ids[3]}, 1},
			{"label=batch", []int64{ids[1]}, 1},
			{"label=missing", []int64{}, 0},
			{fmt.Sprintf("task_id_list=%d&task_id_list=%d", ids[0], ids[3]), []int64{ids[3], ids[0]}, 2},
			{fmt.Sprintf("id=%d", ids[2]), []int64{ids[2]}, 1},
			{"limit=4", []int64{ids[3], ids[2], ids[1], ids[0]}, 4},
			{"limit=2", []int64{ids[3], ids[2]}, 4},
			{"limit=3&offset=2", []int64{ids[1], ids[0]}, 4},
			{"limit=2&offset=4", []int64{}, 4},
			{"offset=10", []int64{}, 4},
			{"creator=c1&limit=1&offset=1", []int64{ids[1]}, 2},
		} {
			require.NoError(t, json.Unmarshal(ls.MustCall(http.MethodGet, "get_task_list/?"+tc.query, nil), &page))
			got := []int64{}
			for _, r := range page.Results {
				got = append(got, r.ID)
			}
			require.Equal(t, tc.want, got, tc.query)
			require.Equal(t, tc.count, page.Count, tc.query)
		}
		many := make([]string, 51)
		for i := range many {
			many[i] = "task_id_list=1"
		}
		r, _ = ls.Call(http.MethodGet, "get_task_list/?"+strings.Join(many, "&"), nil)
		require.Equal(t, "task_id_list 不能超过50个长度", fieldErrors(t, r)["task_id_list"])

		// Labels.
		r, e = ls.Call(http.MethodPost, fmt.Sprintf("task/%d/update_labels/", ids[0]), map[string]any{"label_ids": []int64{label, label}})
		require.True(t, e.Result, "%s", r.Body)
		require.JSONEq(t, fmt.Sprintf("[%d]", label), string(e.Data))
		r, _ = ls.Call(http.MethodPost, fmt.Sprintf("task/%d/update_labels/", ids[0]), map[string]any{})
		require.Equal(t, "This field is required.", fieldErrors(t, r)["label_ids"])

		// States of many tasks, one deleted.
		ls.MustCall(http.MethodPost, "delete_task/", map[string]any{"task_ids": []int64{ids[3]}})
		var states map[string]map[string]string
		require.NoError(t, json.Unmarshal(ls.MustCall(http.MethodPost, "get_tasks_states/",
			map[string]any{"task_ids": ids}), &states))
		require.Equal(t, map[string]map[string]string{
			fmt.Sprint(ids[0]): {"state": "CREATED"}, fmt.Sprint(ids[1]): {"state": "CREATED"},
			fmt.Sprint(ids[2]): {"state": "CREATED"},
		}, states)
		_, e = ls.Call(http.MethodGet, fmt.Sprintf("task/%d/get_task_detail/", ids[3]), nil)
		require.Equal(t, 404, e.Code)

		r, _ = ls.Call(http.MethodPost, "delete_task/", map[string]any{"is_full": true})
		require.Equal(t, "is_mock must exist when delete all tasks", fieldErrors(t, r)["is_mock"])
		ls.MustCall(http.MethodPost, "delete_task/", map[string]any{"is_full": true, "is_mock": false})
		require.NoError(t, json.Unmarshal(ls.MustCall(http.MethodGet, "get_task_list/", nil), &page))
		require.Equal(t, 0, page.Count)
	})

	t.Run("by_app endpoints", func(t *testing.T) {
		r := s.Do(http.MethodPost, fmt.Sprintf("/template/%d/create_task_by_app/", templateID), s.AuthHeader("bob"),
			map[string]any{"name": "by app", "constants": map[string]any{"${who}": "app"}})
		e := decode(t, r)
		require.True(t, e.Result, "%s", r.Body)
		var task struct {
			ID      int64  `json:"id"`
			Creator string `json:"creator"`
		}
		require.NoError(t, json.Unmarshal(e.Data, &task))
		require.Equal(t, "bob", task.Creator)

		e = decode(t, s.Do(http.MethodPost, fmt.Sprintf("/task/%d/operate_task_by_app/start/", task.ID), s.AuthHeader("bob"), nil))
		require.True(t, e.Result, e.Message)
		r = s.Do(http.MethodGet, fmt.Sprintf("/task/%d/get_task_states_by_app/", task.ID), s.AuthHeader("bob"), nil)
		require.True(t, decode(t, r).Result, "%s", r.Body)

		r = s.Do(http.MethodGet, fmt.Sprintf("/template/%d/get_template_detail_by_app/?format=plugin", templateID), s.AuthHeader("bob"), nil)
		var plugin struct {
			BKAppCode string `json:"bk_app_code"`
		}
		require.NoError(t, json.Unmarshal(decode(t, r).Data, &plugin))
		require.Equal(t, s.AppCode, plugin.BKAppCode)

		unbound := sp.CreateTemplate(twoStep(), nil)
		other := sp.CreateTemplate(twoStep(), map[string]any{"bind_app_code": "other-app"})
		for _, tc := range []struct {
			path, auth string
			status     int
			msg        string
		}{
			{fmt.Sprintf("/template/%d/get_template_detail_by_app/", unbound), s.AuthHeader("bob"), 403,
				fmt.Sprintf("模板未绑定任何 bk_app_code，template_id=%d", unbound)},
			{fmt.Sprintf("/template/%d/get_template_detail_by_app/", other), s.AuthHeader("bob"), 403,
				fmt.Sprintf("当前应用无权操作此模板，app=%s，模板绑定的 app=other-app", s.AppCode)},
			{"/template/999999/get_template_detail_by_app/", s.AuthHeader("bob"), 404, "模板不存在，template_id=999999"},
			{"/task/999999/get_task_states_by_app/", s.AuthHeader("bob"), 404, "任务不存在，task_id=999999"},
			{fmt.Sprintf("/template/%d/get_template_detail_by_app/", templateID), s.AuthHeader(""), 401,
				"user authentication failed: this endpoint acts as a user, give bk_username in the X-Bkapi-Authorization header"},
		} {
			r := s.Do(http.MethodGet, tc.path, tc.auth, nil)
			require.Equal(t, tc.status, r.Status, "%s: %s", tc.path, r.Body)
			require.Equal(t, tc.msg, decode(t, r).Message)
		}
		free := sp.Create(twoStep(), nil)
		r = s.Do(http.MethodGet, fmt.Sprintf("/task/%d/get_task_states_by_app/", free.ID), s.AuthHeader("bob"), nil)
		require.Equal(t, 403, r.Status)
		require.Equal(t, fmt.Sprintf("任务未关联任何模板，task_id=%d", free.ID), decode(t, r).Message)
	})
}
