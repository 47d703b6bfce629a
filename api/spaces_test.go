package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/golden"
	"github.com/bkflow/bkflow/internal/stacktest"
)

type envelope = stacktest.Envelope

func decode(t *testing.T, r stacktest.Response) envelope { return stacktest.Decode(t, r) }

// fieldErrors decodes a validation envelope's message, which is itself the
// JSON text of {field: reason}.
func fieldErrors(t *testing.T, r stacktest.Response) map[string]string {
	t.Helper()
	e := decode(t, r)
	require.Equal(t, http.StatusOK, r.Status, "validation errors are HTTP 200: %s", r.Body)
	require.False(t, e.Result, "%s", r.Body)
	require.Equal(t, 400, e.Code, "%s", r.Body)
	var fe map[string]string
	require.NoError(t, json.Unmarshal([]byte(e.Message), &fe), "message must be a JSON object text: %q", e.Message)
	return fe
}

func createSpace(t *testing.T, s *stacktest.Stack, auth string, body map[string]any) (int64, envelope) {
	t.Helper()
	r := s.Do(http.MethodPost, "/create_space", auth, body)
	e := decode(t, r)
	require.True(t, e.Result, "create_space: %s", r.Body)
	var d struct {
		Space struct {
			ID int64 `json:"id"`
		} `json:"space"`
	}
	require.NoError(t, json.Unmarshal(e.Data, &d))
	return d.Space.ID, e
}

func TestSpaceLifecycle(t *testing.T) {
	t.Parallel()
	s := stacktest.Start(t, stacktest.Options{})
	auth := s.AuthHeader("alice")

	r := s.Do(http.MethodPost, "/create_space", auth, map[string]any{
		"name": "  demo space  ", "platform_url": "http://example.com/platform", "desc": "first",
		"config": map[string]any{"token_expiration": "2h", "uniform_api": map[string]any{
			"api": map[string]any{"ops": map[string]any{
				"meta_apis": "http://apigw.example.com/meta", "api_categories": "http://apigw.example.com/cat",
				"display_name": "Ops APIs",
			}},
		}},
	})
	require.Equal(t, http.StatusOK, r.Status)
	golden.AssertJSON(t, "create_space", r.Body, "data.space.id", "data.config.space_id", "trace_id")
	id := int64(decodeSpaceID(t, r))

	r = s.Do(http.MethodGet, fmt.Sprintf("/space/%d/get_space_configs/", id), auth, nil)
	golden.AssertJSON(t, "get_space_configs", r.Body, "data.space_id", "trace_id")

	// renew is a merge: canvas_mode is added and token_expiration replaced,
	// the other keys stay.
	r = s.Do(http.MethodPost, fmt.Sprintf("/space/%d/renew_space_config/", id), auth, map[string]any{
		"config": map[string]any{"canvas_mode": "vertical", "token_expiration": "1d"},
	})
	golden.AssertJSON(t, "renew_space_config", r.Body, "data.space_id", "trace_id")

	r = s.Do(http.MethodGet, fmt.Sprintf("/space/%d/get_space_configs/", id), auth, nil)
	e := decode(t, r)
	require.True(t, e.Result)
	require.JSONEq(t, fmt.Sprintf(`{"space_id": %d, "config": [
		{"key": "canvas_mode", "value": "vertical"},
		{"key": "flow_versioning", "value": "true"},
		{"key": "superusers", "value": ["alice"]},
		{"key": "token_expiration", "value": "1d"},
		{"key": "uniform_api", "value": {"api": {"ops": {"meta_apis": "http://apigw.example.com/meta",
			"api_categories": "http://apigw.example.com/cat", "display_name": "Ops APIs"}}}}]}`, id), string(e.Data))
}

func decodeSpaceID(t *testing.T, r stacktest.Response) float64 {
	t.Helper()
	v := r.JSON(t)
	return v["data"].(map[string]any)["space"].(map[string]any)["id"].(float64)
}

// TestSpaceConfigKeys checks every one of the twelve config keys accepts a
// good value and refuses a bad one naming the key, on create and renew alike.
func TestSpaceConfigKeys(t *testing.T) {
	t.Parallel()
	s := stacktest.Start(t, stacktest.Options{})
	auth := s.AuthHeader("admin")
	id, _ := createSpace(t, s, auth, map[string]any{"name": "configs", "platform_url": "http://example.com"})
	renew := fmt.Sprintf("/space/%d/renew_space_config/", id)

	cases := []struct {
		key  string
		good any
		bad  any
	}{
		{"token_expiration", "1h30m", "10m"},
		{"token_auto_renewal", "false", true},
		{"allow_multiple_triggers", "true", "yes"},
		{"engine_space_config", map[string]any{"space": map[string]any{"region": "sz", "retries": 3}}, map[string]any{"other": 1}},
		{"callback_hooks", map[string]any{"url": "https://apigw.example.com/cb", "callback_types": []any{"template"}},
			map[string]any{"url": "https://apigw.example.com/cb", "callback_types": []any{"task"}}},
		{"uniform_api", map[string]any{"api": map[string]any{"k1": map[string]any{"meta_apis": "http://a.example.com/m",
			"api_categories": "http://a.example.com/c", "display_name": "K1"}}}, map[string]any{"api": map[string]any{"bad key!": map[string]any{}}}},
		{"superusers", []any{"alice", "bob"}, "alice"},
		{"canvas_mode", "vertical", "diagonal"},
		{"gateway_expression", "FEEL", "python"},
		{"api_gateway_credential_name", map[string]any{"default": "cred", "project_1": "cred2"}, map[string]any{"project_1": "cred2"}},
		{"space_plugin_config", map[string]any{"default": map[string]any{"mode": "allow_list", "plugin_codes": []any{"bk_display"}}},
			map[string]any{"default": map[string]any{"mode": "maybe", "plugin_codes": []any{}}}},
		{"flow_versioning", "false", "off"},
	}
	require.Len(t, cases, 12)
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			r := s.Do(http.MethodPost, renew, auth, map[string]any{"config": map[string]any{tc.key: tc.good}})
			e := decode(t, r)
			require.True(t, e.Result, "good value refused: %s", r.Body)
			require.Contains(t, string(e.Data), `"key":"`+tc.key+`"`)

			r = s.Do(http.MethodPost, renew, auth, map[string]any{"config": map[string]any{tc.key: tc.bad}})
			fe := fieldErrors(t, r)
			require.Contains(t, fe, "config."+tc.key, "%s", r.Body)
			require.Len(t, fe, 1)

			r = s.Do(http.MethodPost, "/create_space", auth, map[string]any{
				"name": "bad-" + tc.key[:10], "platform_url": "http://example.com", "config": map[string]any{tc.key: tc.bad},
			})
			require.Contains(t, fieldErrors(t, r), "config."+tc.key, "%s", r.Body)
		})
	}

	// A refused renew writes nothing, even for the valid keys beside the bad one.
	before := s.Do(http.MethodGet, fmt.Sprintf("/space/%d/get_space_configs/", id), auth, nil)
	r := s.Do(http.MethodPost, renew, auth, map[string]any{"config": map[string]any{"canvas_mode": "horizontal", "gateway_expression": "lua"}})
	require.Equal(t, map[string]string{"config.gateway_expression": fieldErrors(t, r)["config.gateway_expression"]}, fieldErrors(t, r))
	after := s.Do(http.MethodGet, fmt.Sprintf("/space/%d/get_space_configs/", id), auth, nil)
	require.JSONEq(t, string(decode(t, before).Data), string(decode(t, after).Data))

	r = s.Do(http.MethodPost, renew, auth, map[string]any{"config": map[string]any{"no_such_key": "x"}})
	require.Contains(t, fieldErrors(t, r)["config.no_such_key"], "token_expiration")
}

func TestCreateSpaceRefusals(t *testing.T) {
	t.Parallel()
	s := stacktest.Start(t, stacktest.Options{Env: []string{"BKFLOW_MAX_BODY_BYTES=2048", "BKFLOW_MAX_SPACES_PER_APP=3"}})
	auth := s.AuthHeader("admin")
	createSpace(t, s, auth, map[string]any{"name": "taken", "platform_url": "http://example.com"})

	cases := []struct {
		name string
		body any
		want map[string]string
	}{
		{"missing fields", map[string]any{}, map[string]string{"name": "This field is required.", "platform_url": "This field is required."}},
		{"blank name", map[string]any{"name": "   ", "platform_url": "http://example.com"}, map[string]string{"name": "This field may not be blank."}},
		{"long name", map[string]any{"name": strings.Repeat("n", 33), "platform_url": "http://example.com"},
			map[string]string{"name": "Ensure this field has no more than 32 characters."}},
		{"bad url", map[string]any{"name": "u", "platform_url": "example.com"}, map[string]string{"platform_url": "Enter a valid URL."}},
		{"long desc", map[string]any{"name": "d", "platform_url": "http://example.com", "desc": strings.Repeat("d", 129)},
			map[string]string{"desc": "Ensure this field has no more than 128 characters."}},
		{"name wrong type", map[string]any{"name": 5, "platform_url": "http://example.com"}, map[string]string{"name": "must be a string, got number"}},
		{"config wrong type", map[string]any{"name": "c", "platform_url": "http://example.com", "config": []any{1}},
			map[string]string{"config": "must be an object, got array"}},
		{"duplicate name", map[string]any{"name": "taken", "platform_url": "http://example.com"},
			map[string]string{"name": "Space with name taken already exist"}},
		{"not an object", `[1, 2]`, map[string]string{"body": "must be a JSON object"}},
		{"empty body", ``, map[string]string{"body": "must be a JSON object"}},
		{"trailing data", `{"name": "x", "platform_url": "http://example.com"} {}`, map[string]string{"body": "must contain exactly one JSON object"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := s.Do(http.MethodPost, "/create_space", auth, tc.body)
			require.Equal(t, tc.want, fieldErrors(t, r))
		})
	}

	t.Run("malformed json", func(t *testing.T) {
		r := s.Do(http.MethodPost, "/create_space", auth, `{"name": "x",`)
		require.Equal(t, "malformed JSON: unexpected end of input", fieldErrors(t, r)["body"])
	})
	t.Run("oversized body", func(t *testing.T) {
		r := s.Do(http.MethodPost, "/create_space", auth, map[string]any{"name": "big", "platform_url": "http://example.com",
			"desc": strings.Repeat("x", 4096)})
		require.Equal(t, http.StatusRequestEntityTooLarge, r.Status)
		e := decode(t, r)
		require.False(t, e.Result)
		require.Equal(t, "request body exceeds the limit of 2048 bytes", e.Message)
	})
	t.Run("space limit per app", func(t *testing.T) {
		createSpace(t, s, auth, map[string]any{"name": "second", "platform_url": "http://example.com"})
		createSpace(t, s, auth, map[string]any{"name": "third", "platform_url": "http://example.com"})
		r := s.Do(http.MethodPost, "/create_space", auth, map[string]any{"name": "fourth", "platform_url": "http://example.com"})
		require.Equal(t, map[string]string{"app_code": "space number of app code bkflow-dev exceeds limit 3"}, fieldErrors(t, r))
	})
	t.Run("app_code is the caller's", func(t *testing.T) {
		// Without the whitelist, a given app_code is replaced by the caller's.
		r := s.Do(http.MethodPost, "/create_space", auth, map[string]any{"name": "x", "platform_url": "http://example.com", "app_code": "someone-else"})
		require.Equal(t, map[string]string{"app_code": "space number of app code bkflow-dev exceeds limit 3"}, fieldErrors(t, r))
	})
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	s := stacktest.Start(t, stacktest.Options{})
	id, _ := createSpace(t, s, s.AuthHeader("admin"), map[string]any{"name": "mine", "platform_url": "http://example.com"})
	other := registerApp(t, s, "other-app")

	cases := []struct {
		name    string
		method  string
		path    string
		auth    string
		status  int
		message string
	}{
		{"missing header", http.MethodPost, "/create_space", "", 401,
			"app authentication failed: the X-Bkapi-Authorization header is missing"},
		{"malformed header", http.MethodPost, "/create_space", "bk_app_code=x", 401,
			`app authentication failed: the X-Bkapi-Authorization header must be a JSON object such as {"bk_app_code": "...", "bk_app_secret": "...", "bk_username": "..."}`},
		{"missing secret", http.MethodPost, "/create_space", `{"bk_app_code": "bkflow-dev"}`, 401,
			"app authentication failed: bk_app_code and bk_app_secret are required in the X-Bkapi-Authorization header"},
		{"wrong secret", http.MethodGet, fmt.Sprintf("/space/%d/get_space_configs/", id), stacktest.AuthHeader("bkflow-dev", "nope", ""), 401,
			"app authentication failed: unknown bk_app_code or wrong bk_app_secret"},
		{"unknown app", http.MethodGet, fmt.Sprintf("/space/%d/get_space_configs/", id), stacktest.AuthHeader("ghost", "x", ""), 401,
			"app authentication failed: unknown bk_app_code or wrong bk_app_secret"},
		{"another app's space", http.MethodGet, fmt.Sprintf("/space/%d/get_space_configs/", id), other, 403,
			"当前应用无权操作此空间，app=other-app"},
		{"another app renews", http.MethodPost, fmt.Sprintf("/space/%d/renew_space_config/", id), other, 403,
			"当前应用无权操作此空间，app=other-app"},
		{"missing space", http.MethodGet, "/space/987654/get_space_configs/", s.AuthHeader(""), 403,
			"空间不存在，space_id=987654"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body any
			if tc.method == http.MethodPost {
				body = map[string]any{"config": map[string]any{"canvas_mode": "vertical"}}
			}
			r := s.Do(tc.method, tc.path, tc.auth, body)
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			e := decode(t, r)
			require.False(t, e.Result)
			require.Equal(t, tc.status, e.Code)
			require.Equal(t, tc.message, e.Message)
			require.Equal(t, "null", string(e.Data))
		})
	}

	// The other app works on its own spaces, and nothing it tried above changed ours.
	createSpace(t, s, other, map[string]any{"name": "theirs", "platform_url": "http://example.com"})
	r := s.Do(http.MethodGet, fmt.Sprintf("/space/%d/get_space_configs/", id), s.AuthHeader(""), nil)
	require.NotContains(t, string(r.Body), "vertical")
}

// registerApp creates an app with `bkflow app create` against the stack's
// database and returns its auth header.
func registerApp(t *testing.T, s *stacktest.Stack, code string) string {
	t.Helper()
	cmd := exec.Command(stacktest.Binary(t), "app", "create", code)
	cmd.Env = []string{"DATABASE_URL=" + s.DatabaseURL, "PATH=/usr/bin:/bin"}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	m := regexp.MustCompile(`bk_app_secret: ([0-9a-f]{64})`).FindSubmatch(out)
	require.NotNil(t, m, "no secret in: %s", out)
	return stacktest.AuthHeader(code, string(m[1]), "bob")
}
