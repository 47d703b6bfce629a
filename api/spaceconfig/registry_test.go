package spaceconfig

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// decode reads JSON the way the API handlers do (UseNumber).
func decode(t *testing.T, s string) any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	require.NoError(t, d.Decode(&v), "test JSON %s", s)
	return v
}

var allKeys = []string{
	"allow_multiple_triggers", "api_gateway_credential_name", "callback_hooks",
	"canvas_mode", "engine_space_config", "flow_versioning", "gateway_expression",
	"space_plugin_config", "superusers", "token_auto_renewal", "token_expiration",
	"uniform_api",
}

const unsupported = "unsupported config key; supported: allow_multiple_triggers, " +
	"api_gateway_credential_name, callback_hooks, canvas_mode, engine_space_config, " +
	"flow_versioning, gateway_expression, space_plugin_config, superusers, " +
	"token_auto_renewal, token_expiration, uniform_api"

const durationReason = "must be a duration such as 30m, 1h, 2d or 1h30m of at least 1h, got "

func TestNames(t *testing.T) {
	r := NewRegistry(Options{})
	require.Equal(t, allKeys, r.Names())

	names := r.Names()
	names[0] = "changed"
	require.Equal(t, allKeys, r.Names(), "Names returns a copy")
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name      string
		valueType ValueType
		def       any
		choices   []string
		public    bool
		control   bool
		mixType   bool
	}{
		{"token_expiration", ValueText, "1h", nil, true, false, false},
		{"token_auto_renewal", ValueText, "true", []string{"true", "false"}, true, true, false},
		{"allow_multiple_triggers", ValueText, "false", []string{"true", "false"}, true, true, false},
		{"engine_space_config", ValueRef, nil, nil, true, false, false},
		{"callback_hooks", ValueJSON, nil, nil, false, false, false},
		{"uniform_api", ValueJSON, map[string]any{}, nil, true, false, false},
		{"superusers", ValueJSON, []any{}, nil, true, false, false},
		{"canvas_mode", ValueText, "horizontal", []string{"horizontal", "vertical"}, true, false, false},
		{"gateway_expression", ValueText, "boolrule", []string{"boolrule", "FEEL", "MAKO"}, true, false, false},
		{"api_gateway_credential_name", ValueText, nil, nil, true, false, true},
		{"space_plugin_config", ValueJSON, nil, nil, true, false, false},
		{"flow_versioning", ValueText, "false", []string{"true", "false"}, true, true, false},
	}
	r := NewRegistry(Options{})
	require.Len(t, tests, len(allKeys))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, ok := r.Lookup(tt.name)
			require.True(t, ok)
			require.Equal(t, tt.name, d.Name)
			require.NotEmpty(t, d.Desc)
			require.Equal(t, tt.valueType, d.ValueType)
			require.Equal(t, tt.def, d.Default)
			require.Equal(t, tt.choices, d.Choices)
			require.Equal(t, tt.public, d.Public)
			require.Equal(t, tt.control, d.Control)
			require.Equal(t, tt.mixType, d.MixType)
		})
	}
}

func TestLookupUnknown(t *testing.T) {
	_, ok := NewRegistry(Options{}).Lookup("Token_expiration")
	require.False(t, ok)
}

func TestLookupReturnsCopies(t *testing.T) {
	r := NewRegistry(Options{})
	d, _ := r.Lookup("uniform_api")
	d.Default.(map[string]any)["api"] = "changed"
	d.Example.(map[string]any)["api"] = "changed"
	c, _ := r.Lookup("canvas_mode")
	c.Choices[0] = "changed"

	d, _ = r.Lookup("uniform_api")
	require.Equal(t, map[string]any{}, d.Default)
	require.IsType(t, map[string]any{}, d.Example.(map[string]any)["api"])
	c, _ = r.Lookup("canvas_mode")
	require.Equal(t, []string{"horizontal", "vertical"}, c.Choices)
}

func TestDefaultsAndExamplesOfTextKeysAreValid(t *testing.T) {
	r := NewRegistry(Options{})
	for _, name := range []string{"token_expiration", "token_auto_renewal", "allow_multiple_triggers",
		"canvas_mode", "gateway_expression", "flow_versioning"} {
		d, _ := r.Lookup(name)
		require.NoError(t, r.ValidateOne(name, d.Default), name)
	}
	for _, name := range []string{"engine_space_config", "callback_hooks", "superusers",
		"api_gateway_credential_name", "space_plugin_config"} {
		d, _ := r.Lookup(name)
		require.NotNil(t, d.Example, name)
	}
}

func TestValidateOneAccepts(t *testing.T) {
	tests := []struct {
		name  string
		value string
	}{
		{"token_expiration", `"1h"`},
		{"token_expiration", `"90m"`},
		{"token_expiration", `"1h30m"`},
		{"token_expiration", `"2d"`},
		{"token_expiration", `"1 hour"`},
		{"token_expiration", `"01:00:00"`},
		{"token_expiration", `"3600s"`},
		{"token_auto_renewal", `"true"`},
		{"token_auto_renewal", `"false"`},
		{"allow_multiple_triggers", `"true"`},
		{"allow_multiple_triggers", `"false"`},
		{"flow_versioning", `"true"`},
		{"flow_versioning", `"false"`},
		{"canvas_mode", `"horizontal"`},
		{"canvas_mode", `"vertical"`},
		{"gateway_expression", `"boolrule"`},
		{"gateway_expression", `"FEEL"`},
		{"gateway_expression", `"MAKO"`},
		{"superusers", `[]`},
		{"superusers", `["admin", "alice"]`},
		{"callback_hooks", `{"url": "https://bkapi.example.com/prod/callback/", "callback_types": ["template"]}`},
		{"callback_hooks", `{"url": "http://bkapi.example.com:8080/cb", "callback_types": []}`},
		{"uniform_api", `{"api": {}}`},
		{"uniform_api", `{"api": {"my_key": {"meta_apis": "https://bkapi.example.com/meta", "api_categories": "https://bkapi.example.com/cat", "display_name": "My APIs"}}}`},
		{"uniform_api", `{"api": {"A_1": {"meta_apis": "https://bkapi.example.com/meta", "api_categories": "https://bkapi.example.com/cat", "display_name": "", "source_key": "src", "catalog_mode": "cache_first", "headers": {"X-Operator": "${_system.operator}"}}}, "common": {"exclude_none_fields": "true", "enable_api_parameter_conversion": "1", "enable_standard_response": "false"}}`},
		{"uniform_api", `{"api": {"k": {"meta_apis": "http://h/m", "api_categories": "http://h/c", "display_name": "d", "source_key": null, "catalog_mode": "cache_only", "headers": null}}, "common": {"exclude_none_fields": null}}`},
		{"uniform_api", `{"api": {"k": {"meta_apis": "http://h/m", "api_categories": "http://h/c", "display_name": "d", "catalog_mode": "remote"}}, "common": null}`},
		{"api_gateway_credential_name", `"my_credential"`},
		{"api_gateway_credential_name", `""`},
		{"api_gateway_credential_name", `{"default": "cred"}`},
		{"api_gateway_credential_name", `{"default": "cred", "project_1": "cred1", "biz_2": "cred2"}`},
		{"space_plugin_config", `{"default": {"mode": "allow_list", "plugin_codes": ["bk_http", "bk_notify"]}}`},
		{"space_plugin_config", `{"default": {"mode": "deny_list", "plugin_codes": []}, "project_1": {"mode": "allow_list", "plugin_codes": ["bk_http"]}}`},
		{"engine_space_config", `{}`},
		{"engine_space_config", `{"space": {"a": "x", "b": 1, "c": 1.5, "d": true}}`},
		{"engine_space_config", `{"space": {}, "scope": {"project_1": {"k": "v", "n": 2}}}`},
	}
	r := NewRegistry(Options{})
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			require.NoError(t, r.ValidateOne(tt.name, decode(t, tt.value)))
		})
	}
}

func TestValidateOneRefuses(t *testing.T) {
	long := strings.Repeat("x", 129)
	tests := []struct {
		name   string
		value  string
		reason string
	}{
		// token_expiration
		{"token_expiration", `"10m"`, durationReason + `"10m"`},
		{"token_expiration", `"59m59s"`, durationReason + `"59m59s"`},
		{"token_expiration", `"-2h"`, durationReason + `"-2h"`},
		{"token_expiration", `"1 hour and a bit"`, durationReason + `"1 hour and a bit"`},
		{"token_expiration", `"1y"`, durationReason + `"1y"`},
		{"token_expiration", `""`, durationReason + `""`},
		{"token_expiration", `3600`, durationReason + `3600 (a number)`},
		{"token_expiration", `null`, durationReason + `null`},
		{"token_expiration", `["1h"]`, durationReason + `["1h"] (an array)`},
		{"token_expiration", `"99999999999w"`, durationReason + `"99999999999w"`},
		{"token_expiration", `"` + long + `"`, "must be at most 128 characters long, got 129 characters"},
		// two-way switches
		{"token_auto_renewal", `"yes"`, `must be "true" or "false", got "yes"`},
		{"token_auto_renewal", `true`, `must be "true" or "false", got true (a boolean)`},
		{"token_auto_renewal", `"True"`, `must be "true" or "false", got "True"`},
		{"token_auto_renewal", `1`, `must be "true" or "false", got 1 (a number)`},
		{"allow_multiple_triggers", `false`, `must be "true" or "false", got false (a boolean)`},
		{"allow_multiple_triggers", `"no"`, `must be "true" or "false", got "no"`},
		{"allow_multiple_triggers", `null`, `must be "true" or "false", got null`},
		{"flow_versioning", `true`, `must be "true" or "false", got true (a boolean)`},
		{"flow_versioning", `"on"`, `must be "true" or "false", got "on"`},
		{"flow_versioning", `["true"]`, `must be "true" or "false", got ["true"] (an array)`},
		// enums
		{"canvas_mode", `"Horizontal"`, `must be "horizontal" or "vertical", got "Horizontal"`},
		{"canvas_mode", `""`, `must be "horizontal" or "vertical", got ""`},
		{"canvas_mode", `{}`, `must be "horizontal" or "vertical", got {} (an object)`},
		{"gateway_expression", `"feel"`, `must be one of "boolrule", "FEEL" or "MAKO", got "feel"`},
		{"gateway_expression", `"python"`, `must be one of "boolrule", "FEEL" or "MAKO", got "python"`},
		{"gateway_expression", `0`, `must be one of "boolrule", "FEEL" or "MAKO", got 0 (a number)`},
		// superusers
		{"superusers", `"admin"`, `must be an array of usernames, got "admin"`},
		{"superusers", `null`, `must be an array of usernames, got null`},
		{"superusers", `{"admin": true}`, `must be an array of usernames, got {"admin":true} (an object)`},
		{"superusers", `["admin", 1, ""]`, `[1]: must be a username string, got 1 (a number); [2]: must be a non-empty username, got ""`},
		{"superusers", `[null]`, `[0]: must be a username string, got null`},
		// callback_hooks
		{"callback_hooks", `[]`, `must be an object, got [] (an array)`},
		{"callback_hooks", `"https://bkapi.example.com/cb"`, `must be an object, got "https://bkapi.example.com/cb"`},
		{"callback_hooks", `{}`, `callback_types: missing; url: missing`},
		{"callback_hooks", `{"url": "https://h/cb", "callback_types": ["template", "task"]}`, `callback_types[1]: must be "template", got "task"`},
		{"callback_hooks", `{"url": "https://h/cb", "callback_types": "template"}`, `callback_types: must be an array, got "template"`},
		{"callback_hooks", `{"url": 1, "callback_types": []}`, `url: must be a string, got 1 (a number)`},
		{"callback_hooks", `{"url": "/relative/cb", "callback_types": []}`, `url: must be an absolute http(s) URL, got "/relative/cb"`},
		{"callback_hooks", `{"url": "https://h/cb", "callback_types": [], "token": "x"}`, `token: unknown key; allowed keys: callback_types, url`},
		// uniform_api
		{"uniform_api", `[]`, `must be an object, got [] (an array)`},
		{"uniform_api", `null`, `must be an object, got null`},
		{"uniform_api", `{}`, `api: missing`},
		{"uniform_api", `{"meta_apis": "http://h/m", "api_categories": "http://h/c"}`, `api: missing; api_categories: unknown key; allowed keys: api, common; meta_apis: unknown key; allowed keys: api, common`},
		{"uniform_api", `{"api": []}`, `api: must be an object, got [] (an array)`},
		{"uniform_api", `{"api": {"my_key": {}}}`, `api.my_key.api_categories: missing; api.my_key.display_name: missing; api.my_key.meta_apis: missing`},
		{"uniform_api", `{"api": {"my-key": {}}}`, `api.my-key: invalid api key; use only letters, digits and _`},
		{"uniform_api", `{"api": {"my key": {}}}`, `api["my key"]: invalid api key; use only letters, digits and _`},
		{"uniform_api", `{"api": {"k": "x"}}`, `api.k: must be an object, got "x"`},
		{"uniform_api", `{"api": {"k": {"meta_apis": "ftp://h/m", "api_categories": "not a url", "display_name": 1}}}`, `api.k.api_categories: must be an absolute http(s) URL, got "not a url"; api.k.display_name: must be a string, got 1 (a number); api.k.meta_apis: must be an absolute http(s) URL, got "ftp://h/m"`},
		{"uniform_api", `{"api": {"k": {"meta_apis": "http://h/m", "api_categories": "", "display_name": "d"}}}`, `api.k.api_categories: must be an absolute http(s) URL, got ""`},
		{"uniform_api", `{"api": {"k": {"meta_apis": "http://h/m", "api_categories": "http://h/c", "display_name": "d", "catalog_mode": "cache"}}}`, `api.k.catalog_mode: must be one of "remote", "cache_first" or "cache_only", got "cache"`},
		{"uniform_api", `{"api": {"k": {"meta_apis": "http://h/m", "api_categories": "http://h/c", "display_name": "d", "catalog_mode": null}}}`, `api.k.catalog_mode: must be one of "remote", "cache_first" or "cache_only", got null`},
		{"uniform_api", `{"api": {"k": {"meta_apis": "http://h/m", "api_categories": "http://h/c", "display_name": "d", "headers": {"X-A": 1, "X-B": "b"}}}}`, `api.k.headers.X-A: must be a string, got 1 (a number)`},
		{"uniform_api", `{"api": {"k": {"meta_apis": "http://h/m", "api_categories": "http://h/c", "display_name": "d", "headers": ["X-A"]}}}`, `api.k.headers: must be an object or null, got ["X-A"] (an array)`},
		{"uniform_api", `{"api": {"k": {"meta_apis": "http://h/m", "api_categories": "http://h/c", "display_name": "d", "source_key": 5}}}`, `api.k.source_key: must be a string or null, got 5 (a number)`},
		{"uniform_api", `{"api": {"k": {"meta_apis": "http://h/m", "api_categories": "http://h/c", "display_name": "d", "metaapis": "x"}}}`, `api.k.metaapis: unknown key; allowed keys: api_categories, catalog_mode, display_name, headers, meta_apis, source_key`},
		{"uniform_api", `{"api": {}, "common": {"enable_standard_response": true}}`, `common.enable_standard_response: must be a string or null, got true (a boolean)`},
		{"uniform_api", `{"api": {}, "common": {"enable_standard_reponse": "true"}}`, `common.enable_standard_reponse: unknown key; allowed keys: enable_api_parameter_conversion, enable_standard_response, exclude_none_fields`},
		{"uniform_api", `{"api": {}, "common": "x"}`, `common: must be an object or null, got "x"`},
		// api_gateway_credential_name
		{"api_gateway_credential_name", `1`, `must be a credential name or an object like {"default": "<credential>", "<scope_type>_<scope_value>": "<credential>"}, got 1 (a number)`},
		{"api_gateway_credential_name", `null`, `must be a credential name or an object like {"default": "<credential>", "<scope_type>_<scope_value>": "<credential>"}, got null`},
		{"api_gateway_credential_name", `["cred"]`, `must be a credential name or an object like {"default": "<credential>", "<scope_type>_<scope_value>": "<credential>"}, got ["cred"] (an array)`},
		{"api_gateway_credential_name", `"` + long + `"`, "must be at most 128 characters long, got 129 characters"},
		{"api_gateway_credential_name", `{}`, `default: missing`},
		{"api_gateway_credential_name", `{"project_1": "cred"}`, `default: missing`},
		{"api_gateway_credential_name", `{"default": 1}`, `default: must be a string, got 1 (a number)`},
		{"api_gateway_credential_name", `{"default": "c", "project_1": {"x": 1}}`, `project_1: must be a string, got {"x":1} (an object)`},
		{"api_gateway_credential_name", `{"default": "c", "project": "c2"}`, `project: unknown key; expected "default" or a scope key like <scope_type>_<scope_value>`},
		{"api_gateway_credential_name", `{"default": "c", "{scope}_1": "c2"}`, `{scope}_1: unknown key; expected "default" or a scope key like <scope_type>_<scope_value>`},
		// space_plugin_config
		{"space_plugin_config", `[]`, `must be an object, got [] (an array)`},
		{"space_plugin_config", `{}`, `default: missing`},
		{"space_plugin_config", `{"default": {}}`, `default.mode: missing; default.plugin_codes: missing`},
		{"space_plugin_config", `{"default": {"mode": "block_list", "plugin_codes": ["a", 2]}}`, `default.mode: must be "allow_list" or "deny_list", got "block_list"; default.plugin_codes[1]: must be a string, got 2 (a number)`},
		{"space_plugin_config", `{"default": {"mode": "allow_list", "plugin_codes": "a"}}`, `default.plugin_codes: must be an array, got "a"`},
		{"space_plugin_config", `{"default": {"mode": "allow_list", "plugin_codes": [], "extra": 1}}`, `default.extra: unknown key; allowed keys: mode, plugin_codes`},
		{"space_plugin_config", `{"default": {"mode": "allow_list", "plugin_codes": []}, "project_1": {"mode": "deny"}}`, `project_1.mode: must be "allow_list" or "deny_list", got "deny"; project_1.plugin_codes: missing`},
		{"space_plugin_config", `{"default": {"mode": "allow_list", "plugin_codes": []}, "project1": {"mode": "deny_list", "plugin_codes": []}}`, `project1: unknown key; expected "default" or a scope key like <scope_type>_<scope_value>`},
		// engine_space_config
		{"engine_space_config", `"x"`, `must be an object, got "x"`},
		{"engine_space_config", `{"spaces": {}}`, `spaces: unknown key; allowed keys: scope, space`},
		{"engine_space_config", `{"space": []}`, `space: must be an object, got [] (an array)`},
		{"engine_space_config", `{"space": {"a": null, "b": [1], "c": {}}}`, `space.a: must be a string, number or boolean, got null; space.b: must be a string, number or boolean, got [1] (an array); space.c: must be a string, number or boolean, got {} (an object)`},
		{"engine_space_config", `{"scope": {"project_1": "x"}}`, `scope.project_1: must be an object, got "x"`},
		{"engine_space_config", `{"scope": {"project_1": {"k": [1]}}}`, `scope.project_1.k: must be a string, number or boolean, got [1] (an array)`},
		{"engine_space_config", `{"scope": {"project": {"k": 1}}}`, `scope.project: invalid scope key; expected <scope_type>_<scope_value>`},
	}
	r := NewRegistry(Options{})
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			err := r.ValidateOne(tt.name, decode(t, tt.value))
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			require.Equal(t, map[string]string{tt.name: tt.reason}, ve.Fields)
		})
	}
}

func TestEveryKeyHasARule(t *testing.T) {
	// A number is wrong for every key; a key without a rule would accept it.
	r := NewRegistry(Options{})
	for _, name := range r.Names() {
		require.Error(t, r.ValidateOne(name, json.Number("12345")), name)
	}
}

func TestReasonListsAtMostTenProblems(t *testing.T) {
	users := make([]any, 12)
	for i := range users {
		users[i] = json.Number("1")
	}
	err := NewRegistry(Options{}).ValidateOne("superusers", users)
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	want := ""
	for i := range 10 {
		want += "[" + string(rune('0'+i)) + "]: must be a username string, got 1 (a number); "
	}
	require.Equal(t, want+"and 2 more problem(s)", ve.Fields["superusers"])
}

func TestValidateReportsEveryBadKey(t *testing.T) {
	configs := decode(t, `{
		"token_expiration": "10m",
		"token_auto_renewal": true,
		"canvas_mode": "vertical",
		"superusers": "admin",
		"uniform_api": {"api": {"my_key": {"api_categories": "http://h/c", "display_name": "d"}}},
		"Flow_versioning": "true"
	}`).(map[string]any)
	err := NewRegistry(Options{}).Validate(configs)
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	require.Equal(t, map[string]string{
		"token_expiration":   durationReason + `"10m"`,
		"token_auto_renewal": `must be "true" or "false", got true (a boolean)`,
		"superusers":         `must be an array of usernames, got "admin"`,
		"uniform_api":        `api.my_key.meta_apis: missing`,
		"Flow_versioning":    unsupported,
	}, ve.Fields)
	require.Equal(t, `invalid space config: `+
		`Flow_versioning: `+unsupported+`; `+
		`superusers: must be an array of usernames, got "admin"; `+
		`token_auto_renewal: must be "true" or "false", got true (a boolean); `+
		`token_expiration: `+durationReason+`"10m"; `+
		`uniform_api: api.my_key.meta_apis: missing`, err.Error())
}

func TestValidateAcceptsAllGood(t *testing.T) {
	configs := decode(t, `{
		"token_expiration": "2h",
		"token_auto_renewal": "false",
		"allow_multiple_triggers": "true",
		"flow_versioning": "true",
		"canvas_mode": "vertical",
		"gateway_expression": "FEEL",
		"superusers": ["admin"],
		"callback_hooks": {"url": "http://h/cb", "callback_types": ["template"]},
		"uniform_api": {"api": {}},
		"api_gateway_credential_name": "cred",
		"space_plugin_config": {"default": {"mode": "deny_list", "plugin_codes": []}},
		"engine_space_config": {"space": {"k": "v"}}
	}`).(map[string]any)
	r := NewRegistry(Options{})
	require.NoError(t, r.Validate(configs))
	require.NoError(t, r.Validate(nil))
	require.NoError(t, r.Validate(map[string]any{}))
}

func TestUnknownKeyIsRefusedListingSupportedKeys(t *testing.T) {
	r := NewRegistry(Options{})
	err := r.Validate(map[string]any{"token_expire": "1h"})
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	require.Equal(t, map[string]string{"token_expire": unsupported}, ve.Fields)

	require.EqualError(t, r.ValidateOne("", "x"), "invalid space config: : "+unsupported)
}

func TestGoValuesAreNormalised(t *testing.T) {
	r := NewRegistry(Options{})
	require.NoError(t, r.ValidateOne("superusers", []string{"admin"}))
	require.NoError(t, r.ValidateOne("engine_space_config", map[string]any{"space": map[string]any{"n": 3, "f": 1.5}}))
	require.NoError(t, r.ValidateOne("api_gateway_credential_name", map[string]string{"default": "c"}))
	require.EqualError(t, r.ValidateOne("superusers", []int{1}),
		`invalid space config: superusers: [0]: must be a username string, got 1 (a number)`)
	require.EqualError(t, r.ValidateOne("superusers", make(chan int)),
		`invalid space config: superusers: must be a JSON value: json: unsupported type: chan int`)
}

func TestAPIGWHostPattern(t *testing.T) {
	r := NewRegistry(Options{APIGWHost: regexp.MustCompile(`^(?:bkapi\.example\.com(:\d+)?)$`)})
	const rule = `must be an http(s) API gateway URL whose host matches ^(?:bkapi\.example\.com(:\d+)?)$, got `
	tests := []struct {
		name   string
		value  string
		reason string
	}{
		{"callback_hooks", `{"url": "https://evil.example.com/cb", "callback_types": []}`, `url: ` + rule + `"https://evil.example.com/cb"`},
		{"callback_hooks", `{"url": "https://bkapi.example.com.evil.com/cb", "callback_types": []}`, `url: ` + rule + `"https://bkapi.example.com.evil.com/cb"`},
		{"callback_hooks", `{"url": "https://bkapi.example.com@evil.com/cb", "callback_types": []}`, `url: must be a URL without user info (user@host), got "https://bkapi.example.com@evil.com/cb"`},
		{"callback_hooks", `{"url": "ftp://bkapi.example.com/cb", "callback_types": []}`, `url: ` + rule + `"ftp://bkapi.example.com/cb"`},
		{"uniform_api", `{"api": {"k": {"meta_apis": "http://evil.com/m", "api_categories": "https://bkapi.example.com/c", "display_name": "d"}}}`, `api.k.meta_apis: ` + rule + `"http://evil.com/m"`},
		{"uniform_api", `{"api": {"k": {"meta_apis": "https://bkapi.example.com/m", "api_categories": "https://other/c", "display_name": "d"}}}`, `api.k.api_categories: ` + rule + `"https://other/c"`},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			err := r.ValidateOne(tt.name, decode(t, tt.value))
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			require.Equal(t, map[string]string{tt.name: tt.reason}, ve.Fields)
		})
	}

	require.NoError(t, r.ValidateOne("callback_hooks", decode(t, `{"url": "https://bkapi.example.com/prod/cb", "callback_types": ["template"]}`)))
	require.NoError(t, r.ValidateOne("uniform_api", decode(t, `{"api": {"k": {"meta_apis": "http://bkapi.example.com:8000/m", "api_categories": "https://bkapi.example.com/c", "display_name": "d"}}}`)))
}

func TestNilAPIGWHostPattern(t *testing.T) {
	r := NewRegistry(Options{})
	accepted := []string{"http://any.host/cb", "https://any.host:8443/x?y=1", "HTTPS://UPPER.CASE/"}
	for _, u := range accepted {
		require.NoError(t, r.ValidateOne("callback_hooks", map[string]any{"url": u, "callback_types": []any{}}), u)
	}
	refused := []struct{ url, reason string }{
		{"ftp://x", `url: must be an absolute http(s) URL, got "ftp://x"`},
		{"not a url", `url: must be an absolute http(s) URL, got "not a url"`},
		{"", `url: must be an absolute http(s) URL, got ""`},
		{"http://", `url: must be an absolute http(s) URL, got "http://"`},
		{"http:opaque", `url: must be an absolute http(s) URL, got "http:opaque"`},
		{"//host/path", `url: must be an absolute http(s) URL, got "//host/path"`},
		{"http://user:pw@host/", `url: must be a URL without user info (user@host), got "http://user:pw@host/"`},
	}
	for _, tt := range refused {
		err := r.ValidateOne("callback_hooks", map[string]any{"url": tt.url, "callback_types": []any{}})
		var ve *ValidationError
		require.ErrorAs(t, err, &ve, tt.url)
		require.Equal(t, map[string]string{"callback_hooks": tt.reason}, ve.Fields)

		err = r.ValidateOne("uniform_api", map[string]any{"api": map[string]any{"k": map[string]any{
			"meta_apis": tt.url, "api_categories": "http://h/c", "display_name": "d"}}})
		require.ErrorAs(t, err, &ve, tt.url)
		require.Equal(t, map[string]string{"uniform_api": "api.k.meta_apis: " + strings.TrimPrefix(tt.reason, "url: ")}, ve.Fields)
	}
}

func TestRegistriesAreIndependent(t *testing.T) {
	strict := NewRegistry(Options{APIGWHost: regexp.MustCompile(`^bkapi\.example\.com$`)})
	open := NewRegistry(Options{})
	v := map[string]any{"url": "http://elsewhere/cb", "callback_types": []any{}}
	require.Error(t, strict.ValidateOne("callback_hooks", v))
	require.NoError(t, open.ValidateOne("callback_hooks", v))
}

func TestConcurrentValidate(t *testing.T) {
	r := NewRegistry(Options{APIGWHost: regexp.MustCompile(`^h$`)})
	v := decode(t, `{"uniform_api": {"api": {"k": {"meta_apis": "http://x/m"}}}, "superusers": [1], "token_expiration": "2h"}`).(map[string]any)
	done := make(chan error, 8)
	for range 8 {
		go func() { done <- r.Validate(v) }()
	}
	for range 8 {
		var ve *ValidationError
		require.ErrorAs(t, <-done, &ve)
		require.Equal(t, map[string]string{
			"uniform_api": `api.k.api_categories: missing; api.k.display_name: missing; api.k.meta_apis: must be an http(s) API gateway URL whose host matches ^h$, got "http://x/m"`,
			"superusers":  `[0]: must be a username string, got 1 (a number)`,
		}, ve.Fields)
	}
}
