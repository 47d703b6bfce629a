package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/golden"
	"github.com/bkflow/bkflow/internal/stacktest"
	"github.com/bkflow/bkflow/workflows/pipeline/pipelinetest"
)

// templateVolatile are the values of a template response that change
// between runs.
var templateVolatile = []string{"data.id", "data.space_id", "data.create_at", "data.update_at", "data.pipeline_tree",
	"trace_id"}

type templateData struct {
	ID           int64          `json:"id"`
	Name         string         `json:"name"`
	Desc         *string        `json:"desc"`
	Version      *string        `json:"version"`
	Source       *string        `json:"source"`
	UpdatedBy    string         `json:"updated_by"`
	PipelineTree map[string]any `json:"pipeline_tree"`
	Labels       []struct {
		ID int64 `json:"id"`
	} `json:"labels"`
}

func templateOf(t *testing.T, raw json.RawMessage) templateData {
	t.Helper()
	var d templateData
	require.NoError(t, json.Unmarshal(raw, &d))
	return d
}

// activityNames lists a web tree's activity names, sorted.
func activityNames(tree map[string]any) []string {
	var out []string
	for _, a := range tree["activities"].(map[string]any) {
		out = append(out, a.(map[string]any)["name"].(string))
	}
	sortStrings(out)
	return out
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// twoStep is start → a → b → end with a shown constant and an output.
func twoStep() *pipelinetest.Tree { return steps("b") }

// steps is start → a → more... → end with a shown constant and an output;
// a displays "hello ${who}", the others their names.
func steps(more ...string) *pipelinetest.Tree {
	b := pipelinetest.New()
	b.Constant("who", "world")
	b.Activity("a", "bk_display", "v1.0", map[string]any{"bk_display_message": "hello ${who}"})
	chain := []string{"start", "a"}
	for _, n := range more {
		b.Display(n)
		chain = append(chain, n)
	}
	b.Output("shown", "a", "_result")
	b.Export("who", "shown")
	b.Chain(append(chain, "end")...)
	return b
}

// withSubprocess adds a SubProcess node "sub" running template id between
// a and the rest.
func withSubprocess(id any, version string, latest bool) *pipelinetest.Tree {
	b := pipelinetest.New()
	b.Activity("a", "bk_display", "v1.0", map[string]any{"bk_display_message": "a"})
	sub := b.Display("sub")
	delete(sub, "component")
	sub["type"] = "SubProcess"
	sub["template_id"] = id
	sub["version"] = version
	sub["always_use_latest"] = latest
	sub["constants"] = map[string]any{}
	b.Chain("start", "a", "sub", "end")
	return b
}

var nodeIDPattern = regexp.MustCompile(`^n[0-9a-f]{31}$`)

func TestTemplates(t *testing.T) {
	t.Parallel()
	s := stacktest.Start(t, stacktest.Options{})
	sp := stacktest.NewSpace(t, s) // flow_versioning "true", as create_space writes it

	t.Run("create with the default tree", func(t *testing.T) {
		r, e := sp.Call(http.MethodPost, "create_template/", map[string]any{"name": "empty", "creator": "alice"})
		require.True(t, e.Result, "%s", r.Body)
		golden.AssertJSON(t, "create_template_default", r.Body, templateVolatile...)
		d := templateOf(t, e.Data)
		require.Nil(t, d.Version, "a draft until released")
		require.Equal(t, []string{"消息展示"}, activityNames(d.PipelineTree))
		require.Equal(t, "horizontal", d.PipelineTree["canvas_mode"])
		require.Regexp(t, nodeIDPattern, d.PipelineTree["id"])
	})

	t.Run("create from a tree regenerates ids and releases with auto_release", func(t *testing.T) {
		data := sp.MustCall(http.MethodPost, "create_template/", map[string]any{
			"name": "two steps", "creator": "alice", "pipeline_tree": twoStep().Map(), "auto_release": true,
			"desc": "d", "scope_type": "project", "scope_value": "1", "bind_app_code": "bkflow-dev",
			"notify_config": map[string]any{"notify_type": map[string]any{"success": []any{}, "fail": []any{}}},
		})
		d := templateOf(t, data)
		require.Equal(t, "1.0.0", *d.Version)
		require.Equal(t, []string{"a", "b"}, activityNames(d.PipelineTree))
		for id, a := range d.PipelineTree["activities"].(map[string]any) {
			require.Regexp(t, nodeIDPattern, id)
			require.NotContains(t, a, "template_node_id")
		}
	})

	t.Run("create refusals", func(t *testing.T) {
		broken := twoStep().Map()
		delete(broken["flows"].(map[string]any), "line2")
		cases := []struct {
			name  string
			body  map[string]any
			field string
			msg   string
		}{
			{"no name", map[string]any{"creator": "a"}, "name", "This field is required."},
			{"scope alone", map[string]any{"name": "x", "creator": "a", "scope_type": "p"}, "scope_type",
				"作用域类型和作用域值必须同时填写，或同时不填写"},
			{"bad notify_config", map[string]any{"name": "x", "creator": "a", "notify_config": []any{}}, "notify_config",
				"must be an object"},
			{"unknown source", map[string]any{"name": "x", "creator": "a", "source_template_id": 999999},
				"source_template_id", "复制的源模板不存在, 请检查: 999999"},
			{"unknown label", map[string]any{"name": "x", "creator": "a", "label_ids": []any{999999}}, "label_ids",
				"标签不存在，请检查 label_ids"},
			{"webhook limits", map[string]any{"name": "x", "creator": "a", "webhook_configs": map[string]any{
				"endpoint": "http://hooks.example.com/x", "extra_info": map[string]any{"retry_times": 6}}},
				"webhook_configs.extra_info.retry_times", "HTTP回调配置重试次数不能超过 5 次"},
		}
		for _, tc := range cases {
			r, _ := sp.Call(http.MethodPost, "create_template/", tc.body)
			require.Equal(t, tc.msg, fieldErrors(t, r)[tc.field], tc.name)
		}
		r, _ := sp.Call(http.MethodPost, "create_template/", map[string]any{"name": "x", "creator": "a", "pipeline_tree": broken})
		require.Contains(t, fieldErrors(t, r)["pipeline_tree"], "流程树校验失败: ")

		m := withSubprocess(424242, "1.0.0", false).Map()
		r, _ = sp.Call(http.MethodPost, "create_template/", map[string]any{"name": "x", "creator": "a", "pipeline_tree": m})
		require.Contains(t, fieldErrors(t, r)["pipeline_tree"], "subprocess template 424242 does not exist in space")
	})

	t.Run("versions: draft, release, rollback", func(t *testing.T) {
		id := sp.CreateTemplate(twoStep(), nil)
		base := fmt.Sprintf("template/%d/", id)

		// Never released: the draft is live, version null.
		d := templateOf(t, sp.MustCall(http.MethodGet, base+"get_template_detail/", nil))
		require.Nil(t, d.Version)

		_, e := sp.Call(http.MethodPost, base+"release_template/", map[string]any{"version": "1.0"})
		require.Equal(t, "版本号不符合规范: 1.0 is not valid SemVer string", e.Message)
		rel := templateOf(t, sp.MustCall(http.MethodPost, base+"release_template/", map[string]any{"version": "1.0.0", "desc": "first"}))
		require.Equal(t, "1.0.0", *rel.Version)

		_, e = sp.Call(http.MethodPost, base+"release_template/", map[string]any{"version": "1.0.1"})
		require.Equal(t, fmt.Sprintf("该模板%d没有草稿版本", id), e.Message)
		forced := templateOf(t, sp.MustCall(http.MethodPost, base+"release_template/", map[string]any{"version": "1.0.1", "force": true}))
		require.Equal(t, "1.0.1", *forced.Version)
		_, e = sp.Call(http.MethodPost, base+"release_template/", map[string]any{"version": "1.0.1", "force": true})
		require.Equal(t, "版本已存在", e.Message)
		_, e = sp.Call(http.MethodPost, base+"release_template/", map[string]any{"version": "0.9.0", "force": true})
		require.Equal(t, "版本号不符合规范: new version 0.9.0 is less than old version 1.0.0", e.Message)

		// A new tree is a draft now: the live tree and version stay.
		changedTree := steps("b", "c").Map()
		upd := templateOf(t, sp.MustCall(http.MethodPost, fmt.Sprintf("update_template/%d/", id), map[string]any{
			"operator": "bob", "name": "renamed", "pipeline_tree": changedTree}))
		require.Equal(t, "renamed", upd.Name)
		require.Equal(t, "bob", upd.UpdatedBy)
		require.Equal(t, "1.0.1", *upd.Version)
		require.Equal(t, []string{"a", "b"}, activityNames(upd.PipelineTree))

		rel2 := templateOf(t, sp.MustCall(http.MethodPost, base+"release_template/", map[string]any{"version": "2.0.0"}))
		require.Equal(t, []string{"a", "b", "c"}, activityNames(rel2.PipelineTree))

		var rolled map[string]any
		require.NoError(t, json.Unmarshal(sp.MustCall(http.MethodPost, base+"rollback_template/", map[string]any{"version": "1.0.0"}), &rolled))
		require.Equal(t, []string{"a", "b"}, activityNames(rolled))
		live := templateOf(t, sp.MustCall(http.MethodGet, base+"get_template_detail/", nil))
		require.Equal(t, "2.0.0", *live.Version, "rollback only changes the draft")
		_, e = sp.Call(http.MethodPost, base+"rollback_template/", map[string]any{"version": "9.9.9"})
		require.Equal(t, "版本 9.9.9 不存在", e.Message)

		// auto_release on update releases the next version.
		auto := templateOf(t, sp.MustCall(http.MethodPost, fmt.Sprintf("update_template/%d/", id), map[string]any{
			"operator": "bob", "pipeline_tree": twoStep().Map(), "auto_release": true}))
		require.Equal(t, "2.0.1", *auto.Version)
		r, _ := sp.Call(http.MethodPost, fmt.Sprintf("update_template/%d/", id), map[string]any{
			"operator": "bob", "pipeline_tree": twoStep().Map(), "auto_release": true, "version": "1.5.0"})
		require.Equal(t, "new version 1.5.0 is less than old version 2.0.0", trimPrefix(fieldErrors(t, r)["version"], "版本号不符合规范: "))
	})

	t.Run("update keeps omitted fields", func(t *testing.T) {
		data := sp.MustCall(http.MethodPost, "create_template/", map[string]any{"name": "keep", "creator": "a",
			"desc": "kept", "source": "src"})
		id := templateOf(t, data).ID
		d := templateOf(t, sp.MustCall(http.MethodPost, fmt.Sprintf("update_template/%d/", id), map[string]any{"operator": "b", "name": "kept2"}))
		require.Equal(t, "kept", *d.Desc)
		require.Equal(t, "src", *d.Source)
		d = templateOf(t, sp.MustCall(http.MethodPost, fmt.Sprintf("update_template/%d/", id), map[string]any{"operator": "b", "desc": nil}))
		require.Nil(t, d.Desc, "an explicit null clears")

		r, e := sp.Call(http.MethodPost, "update_template/999999/", map[string]any{"operator": "b"})
		require.Equal(t, 404, e.Code, "%s", r.Body)
		require.Equal(t, fmt.Sprintf("template(999999) does not exist in space %d", sp.ID), e.Message)
	})

	t.Run("detail formats", func(t *testing.T) {
		b := twoStep()
		b.Constant("count", json.Number("3"))
		id := sp.CreateTemplate(b, map[string]any{"bind_app_code": "bkflow-dev"})
		r, e := sp.Call(http.MethodGet, fmt.Sprintf("template/%d/get_template_detail/?format=plugin", id), nil)
		require.True(t, e.Result, "%s", r.Body)
		golden.AssertJSON(t, "get_template_detail_plugin", r.Body, "data.id", "data.space_id", "data.create_at",
			"data.update_at", "trace_id")
		r, _ = sp.Call(http.MethodGet, fmt.Sprintf("template/%d/get_template_detail/?format=xml", id), nil)
		require.Equal(t, `"xml" is not a valid choice.`, fieldErrors(t, r)["format"])
	})

	t.Run("list filters, orders and counts", func(t *testing.T) {
		other := stacktest.NewSpace(t, s)
		var ids []int64
		for i := range 3 {
			data := other.MustCall(http.MethodPost, "create_template/", map[string]any{
				"name": fmt.Sprintf("Listed %d", i), "creator": fmt.Sprintf("u%d", i%2)})
			ids = append(ids, templateOf(t, data).ID)
		}
		r, e := other.Call(http.MethodGet, "get_template_list/?limit=2", nil)
		require.True(t, e.Result)
		var env struct {
			Data []struct {
				ID                 int64  `json:"id"`
				HasIntervalTrigger bool   `json:"has_interval_trigger"`
				Name               string `json:"name"`
			} `json:"data"`
			Count int `json:"count"`
		}
		require.NoError(t, json.Unmarshal(r.Body, &env))
		require.Equal(t, 3, env.Count)
		require.Equal(t, []int64{ids[2], ids[1]}, []int64{env.Data[0].ID, env.Data[1].ID}, "newest first")
		golden.AssertJSON(t, "get_template_list", r.Body, "data.0.id", "data.0.space_id", "data.0.create_at",
			"data.0.update_at", "data.1.id", "data.1.space_id", "data.1.create_at", "data.1.update_at", "trace_id")

		for _, tc := range []struct {
			query string
			want  []int64
			count int
		}{
			{"creator=u0&order_by=id", []int64{ids[0], ids[2]}, 2},
			{"name=listed+1", []int64{ids[1]}, 1},
			{fmt.Sprintf("id=%d,%d&order_by=-id", ids[0], ids[1]), []int64{ids[1], ids[0]}, 2},
			{"label=nothing", []int64{}, 0},
			{"offset=2&order_by=name", []int64{ids[2]}, 3},
			{"limit=3", []int64{ids[2], ids[1], ids[0]}, 3},
			{"limit=1&offset=1", []int64{ids[1]}, 3},
			{"offset=3", []int64{}, 3},
			{"limit=0", []int64{}, 3},
		} {
			r, _ := other.Call(http.MethodGet, "get_template_list/?"+tc.query, nil)
			require.NoError(t, json.Unmarshal(r.Body, &env))
			got := []int64{}
			for _, d := range env.Data {
				got = append(got, d.ID)
			}
			require.Equal(t, tc.want, got, tc.query)
			require.Equal(t, tc.count, env.Count, tc.query)
		}
		r, _ = other.Call(http.MethodGet, "get_template_list/?order_by=secret", nil)
		require.Contains(t, fieldErrors(t, r)["order_by"], `cannot order by "secret"`)
		r, _ = other.Call(http.MethodGet, "get_template_list/?limit=-1&id=x", nil)
		fe := fieldErrors(t, r)
		require.Equal(t, "must be an integer greater than or equal to 0", fe["limit"])
		require.Equal(t, `must be comma-separated integers, got "x"`, fe["id"])
	})

	t.Run("delete is refused while a template runs it", func(t *testing.T) {
		child := sp.CreateTemplate(twoStep(), map[string]any{"auto_release": true})
		parentID := sp.CreateTemplate(withSubprocess(child, "1.0.0", false), nil)

		r, e := sp.Call(http.MethodPost, fmt.Sprintf("delete_template/%d/", child), nil)
		require.False(t, e.Result)
		require.Equal(t, 400, e.Code)
		require.Equal(t, "模板被引用，无法删除", e.Message)
		require.JSONEq(t, fmt.Sprintf(`{"parent_templates": [%d]}`, parentID), string(e.Data), "%s", r.Body)

		r, e = sp.Call(http.MethodPost, "batch_delete_template/", map[string]any{"template_ids": []int64{child}})
		require.Equal(t, "模板被引用，无法删除", e.Message)
		require.JSONEq(t, fmt.Sprintf(`{"root_template_info": {"%d": [{"root_template_id": "%d", "root_template_name": "e2e template"}]}}`,
			child, parentID), string(e.Data), "%s", r.Body)

		r, e = sp.Call(http.MethodPost, "batch_delete_template/", map[string]any{"template_ids": []int64{child, 999998, 999999}})
		require.Equal(t, "模板不存在或不属于当前空间: [999998, 999999]", e.Message, "%s", r.Body)

		// A template cannot run itself through its subprocesses.
		loop := withSubprocess(parentID, "", true)
		r, _ = sp.Call(http.MethodPost, fmt.Sprintf("update_template/%d/", child), map[string]any{"operator": "a",
			"pipeline_tree": loop.Map()})
		require.Contains(t, fieldErrors(t, r)["pipeline_tree"], fmt.Sprintf("subprocess template %d runs this template again", parentID))

		// Deleting both at once is allowed; then they are gone.
		sp.MustCall(http.MethodPost, "batch_delete_template/", map[string]any{"template_ids": []int64{child, parentID}})
		_, e = sp.Call(http.MethodGet, fmt.Sprintf("template/%d/get_template_detail/", child), nil)
		require.Equal(t, 404, e.Code)
		for _, body := range []map[string]any{{}, {"template_ids": []int64{}}} {
			r, _ = sp.Call(http.MethodPost, "batch_delete_template/", body)
			require.NotEmpty(t, fieldErrors(t, r)["template_ids"])
		}
	})

	t.Run("validate_pipeline_tree", func(t *testing.T) {
		r, e := sp.Call(http.MethodPost, "validate_pipeline_tree/", map[string]any{"pipeline_tree": twoStep().Map()})
		require.True(t, e.Result, "%s", r.Body)
		require.JSONEq(t, `{}`, string(e.Data))
		broken := twoStep().Map()
		broken["start_event"].(map[string]any)["outgoing"] = "nowhere"
		r, _ = sp.Call(http.MethodPost, "validate_pipeline_tree/", map[string]any{"pipeline_tree": broken})
		require.Contains(t, fieldErrors(t, r)["pipeline_tree"], "流程树校验失败: ")
		r, _ = sp.Call(http.MethodPost, "validate_pipeline_tree/", map[string]any{})
		require.Equal(t, "This field is required.", fieldErrors(t, r)["pipeline_tree"])
	})

	t.Run("without flow_versioning the version is the md5", func(t *testing.T) {
		plain := stacktest.NewSpace(t, s)
		plain.MustCall(http.MethodPost, "renew_space_config/", map[string]any{"config": map[string]any{"flow_versioning": "false"}})
		d := templateOf(t, plain.MustCall(http.MethodPost, "create_template/", map[string]any{"name": "md5", "creator": "a"}))
		require.Regexp(t, `^[0-9a-f]{32}$`, *d.Version)
		_, e := plain.Call(http.MethodPost, fmt.Sprintf("template/%d/release_template/", d.ID), map[string]any{"version": "1.0.0"})
		require.Equal(t, "当前空间未开启版本管理，无法发布模板", e.Message)
		d2 := templateOf(t, plain.MustCall(http.MethodPost, fmt.Sprintf("update_template/%d/", d.ID), map[string]any{
			"operator": "a", "pipeline_tree": twoStep().Map()}))
		require.NotEqual(t, *d.Version, *d2.Version, "every saved tree is live at once")
		require.Equal(t, []string{"a", "b"}, activityNames(d2.PipelineTree))
	})

	t.Run("templates of another space are not found", func(t *testing.T) {
		other := stacktest.NewSpace(t, s)
		id := sp.CreateTemplate(twoStep(), nil)
		_, e := other.Call(http.MethodGet, fmt.Sprintf("template/%d/get_template_detail/", id), nil)
		require.Equal(t, 404, e.Code)
		r, _ := other.Call(http.MethodPost, "create_template/", map[string]any{"name": "copy", "creator": "a", "source_template_id": id})
		require.Equal(t, fmt.Sprintf("只能复制同一个空间下的模板, space_id=%d", sp.ID), fieldErrors(t, r)["source_template_id"])
		copied := templateOf(t, sp.MustCall(http.MethodPost, "create_template/", map[string]any{"name": "copy", "creator": "a", "source_template_id": id}))
		require.Equal(t, []string{"a", "b"}, activityNames(copied.PipelineTree))
	})
}

func trimPrefix(s, p string) string {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}
