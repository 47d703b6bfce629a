package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/golden"
	"github.com/bkflow/bkflow/internal/stacktest"
)

// pluginsList decodes list_plugins' answer: the codes@versions of data and
// the top-level count.
func pluginsList(t *testing.T, r stacktest.Response) ([]string, int) {
	t.Helper()
	var body struct {
		Result bool `json:"result"`
		Data   []struct {
			Code    string `json:"code"`
			Version string `json:"version"`
		} `json:"data"`
		Count *int `json:"count"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &body), "%s", r.Body)
	require.True(t, body.Result, "%s", r.Body)
	require.NotNil(t, body.Count, "count must be at the top level: %s", r.Body)
	codes := []string{}
	for _, p := range body.Data {
		codes = append(codes, p.Code+"@"+p.Version)
	}
	return codes, *body.Count
}

// pluginsRefused asserts a plugin query was refused with code 400 and
// exactly message.
func pluginsRefused(t *testing.T, r stacktest.Response, message string) {
	t.Helper()
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	e := decode(t, r)
	require.False(t, e.Result, "%s", r.Body)
	require.Equal(t, 400, e.Code, "%s", r.Body)
	require.Equal(t, message, e.Message)
	require.Equal(t, "null", string(e.Data))
}

// allComponents are the built-ins bkflow dev registers, as list_plugins
// answers them (subprocess_plugin is a wrapper and left out).
var allComponents = []string{"bk_display@v1.0", "bk_http_request@v1.0", "debug_plugin@v1.0.0",
	"pause_node@legacy", "sleep_timer@legacy", "value_assign@v1.0.0"}

func TestPlugins(t *testing.T) {
	t.Parallel()
	s := stacktest.Start(t, stacktest.Options{})
	auth := s.AuthHeader("admin")
	id, _ := createSpace(t, s, auth, map[string]any{"name": "plugins", "platform_url": "http://example.com"})
	list := func(query string) stacktest.Response {
		return s.Do(http.MethodGet, fmt.Sprintf("/space/%d/list_plugins/%s", id, query), auth, nil)
	}
	schema := func(query string) stacktest.Response {
		return s.Do(http.MethodGet, fmt.Sprintf("/space/%d/get_plugin_schema/%s", id, query), auth, nil)
	}
	outputs := func(body any) stacktest.Response {
		return s.Do(http.MethodPost, fmt.Sprintf("/space/%d/get_plugin_outputs/", id), auth, body)
	}

	t.Run("list", func(t *testing.T) {
		r := list("")
		golden.AssertJSON(t, "plugins_list", r.Body, "trace_id")
		codes, count := pluginsList(t, r)
		require.Equal(t, allComponents, codes)
		require.Equal(t, len(allComponents), count)
	})

	t.Run("list by keyword", func(t *testing.T) {
		r := list("?plugin_type=component&keyword=DISPLAY")
		golden.AssertJSON(t, "plugins_list_keyword", r.Body, "trace_id")
		// The keyword also matches names.
		codes, count := pluginsList(t, list("?keyword=%E6%9A%82%E5%81%9C")) // 暂停
		require.Equal(t, []string{"pause_node@legacy"}, codes)
		require.Equal(t, 1, count)
	})

	t.Run("list with detail", func(t *testing.T) {
		r := list("?with_detail=true&keyword=http")
		golden.AssertJSON(t, "plugins_list_detail", r.Body, "trace_id")
	})

	t.Run("list pages", func(t *testing.T) {
		codes, count := pluginsList(t, list("?limit=2&offset=1"))
		require.Equal(t, allComponents[1:3], codes)
		require.Equal(t, len(allComponents), count)
		codes, count = pluginsList(t, list("?limit=2.0&offset=5"))
		require.Equal(t, allComponents[5:], codes)
		require.Equal(t, len(allComponents), count)
		codes, count = pluginsList(t, list("?offset=100"))
		require.Empty(t, codes)
		require.Equal(t, len(allComponents), count)
	})

	t.Run("list other plugin types", func(t *testing.T) {
		for _, typ := range []string{"remote_plugin", "uniform_api"} {
			codes, count := pluginsList(t, list("?plugin_type="+typ))
			require.Empty(t, codes, typ)
			require.Zero(t, count, typ)
		}
	})

	t.Run("list refusals", func(t *testing.T) {
		for query, want := range map[string]map[string]string{
			"?limit=0":            {"limit": "Ensure this value is greater than or equal to 1."},
			"?limit=201":          {"limit": "Ensure this value is less than or equal to 200."},
			"?limit=1.5":          {"limit": "A valid integer is required."},
			"?offset=-1":          {"offset": "Ensure this value is greater than or equal to 0."},
			"?plugin_type=x":      {"plugin_type": `"x" is not a valid choice.`},
			"?with_detail=sure":   {"with_detail": "Must be a valid boolean."},
			"?scope_type=project": {"scope_type": "scope_type and scope_id must be given together"},
			"?limit=a&offset=b":   {"limit": "A valid integer is required.", "offset": "A valid integer is required."},
		} {
			require.Equal(t, want, fieldErrors(t, list(query)), query)
		}
	})

	t.Run("space_plugin_config", func(t *testing.T) {
		r := s.Do(http.MethodPost, fmt.Sprintf("/space/%d/renew_space_config/", id), auth, map[string]any{
			"config": map[string]any{"space_plugin_config": map[string]any{
				"default":   map[string]any{"mode": "deny_list", "plugin_codes": []any{"bk_http_request", "debug_plugin"}},
				"project_1": map[string]any{"mode": "allow_list", "plugin_codes": []any{"pause_node", "bk_display", "nope"}},
			}},
		})
		require.True(t, decode(t, r).Result, "%s", r.Body)

		codes, count := pluginsList(t, list("?scope_type=project&scope_id=1"))
		require.Equal(t, []string{"bk_display@v1.0", "pause_node@legacy"}, codes)
		require.Equal(t, 2, count)
		// Another scope falls back to default.
		codes, _ = pluginsList(t, list("?scope_type=project&scope_id=2"))
		require.Equal(t, []string{"bk_display@v1.0", "pause_node@legacy", "sleep_timer@legacy", "value_assign@v1.0.0"}, codes)
		// Without a scope the config does not apply.
		codes, _ = pluginsList(t, list(""))
		require.Equal(t, allComponents, codes)
	})

	t.Run("schema", func(t *testing.T) {
		golden.AssertJSON(t, "plugins_schema_bk_display", schema("?code=bk_display").Body, "trace_id")
		golden.AssertJSON(t, "plugins_schema_bk_http_request",
			schema("?plugin_id=bk_http_request&plugin_type=component").Body, "trace_id")

		// plugin_id wins over code, plugin_version over version; an
		// unregistered version answers the highest and says so.
		e := decode(t, schema("?code=nope&plugin_id=pause_node&version=v1.0&plugin_version=v9.9"))
		require.True(t, e.Result)
		var d struct {
			Code    string `json:"code"`
			Version string `json:"version"`
		}
		require.NoError(t, json.Unmarshal(e.Data, &d))
		require.Equal(t, "pause_node", d.Code)
		require.Equal(t, "legacy", d.Version)

		// Wrapper codes are listed nowhere but have a schema.
		e = decode(t, schema("?code=subprocess_plugin"))
		require.True(t, e.Result, e.Message)
	})

	t.Run("schema refusals", func(t *testing.T) {
		require.Equal(t, map[string]string{"non_field_errors": "code 和 plugin_id 至少需要提供一个"},
			fieldErrors(t, schema("?version=v1.0")))
		require.Equal(t, map[string]string{"plugin_type": `"plugin" is not a valid choice.`},
			fieldErrors(t, schema("?code=bk_display&plugin_type=plugin")))
		pluginsRefused(t, schema("?code=nope"), "未找到插件 code 'nope'")
		pluginsRefused(t, schema("?code=nope&plugin_type=component"), "未找到内置插件 code 'nope'")
		pluginsRefused(t, schema("?code=bk_display&plugin_type=remote_plugin"), "未找到蓝鲸标准插件 'bk_display'")
		pluginsRefused(t, schema("?code=bk_display&plugin_type=uniform_api"), "未找到 API 插件 'bk_display'")
	})

	t.Run("outputs", func(t *testing.T) {
		r := outputs(map[string]any{"plugin_id": "bk_display", "plugin_version": "v1.0"})
		golden.AssertJSON(t, "plugins_outputs_bk_display", r.Body, "trace_id")
		// Without a version: the same object, for the highest version.
		require.JSONEq(t, string(decode(t, r).Data),
			string(decode(t, outputs(map[string]any{"plugin_id": "bk_display"})).Data))
		golden.AssertJSON(t, "plugins_outputs_bk_http_request",
			outputs(map[string]any{"plugin_id": "bk_http_request"}).Body, "trace_id")
	})

	t.Run("outputs refusals", func(t *testing.T) {
		require.Equal(t, map[string]string{"plugin_id": "This field is required."}, fieldErrors(t, outputs(map[string]any{})))
		require.Equal(t, map[string]string{"plugin_id": "This field is required."},
			fieldErrors(t, outputs(map[string]any{"plugin_id": " "})))
		require.Equal(t, map[string]string{"plugin_id": "must be a string, got number"},
			fieldErrors(t, outputs(map[string]any{"plugin_id": 5})))
		require.Equal(t, map[string]string{"body": "must be a JSON object"}, fieldErrors(t, outputs("[]")))
		pluginsRefused(t, outputs(map[string]any{"plugin_id": "bk_display", "plugin_version": "v2.0"}),
			"插件 bk_display 版本 v2.0 不存在")
		pluginsRefused(t, outputs(map[string]any{"plugin_id": "nope", "plugin_version": "v1.0"}), "插件 nope 版本 v1.0 不存在")
		pluginsRefused(t, outputs(map[string]any{"plugin_id": "nope"}), "插件 nope 不存在")
	})
}
