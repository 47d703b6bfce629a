package spaceconfig

import "time"

// ValueType says how a config value is stored (BKFlow's SpaceConfigValueType).
type ValueType string

const (
	// ValueText is a plain string value (BKFlow's text_value column).
	ValueText ValueType = "TEXT"
	// ValueJSON is a JSON document (BKFlow's json_value column).
	ValueJSON ValueType = "JSON"
	// ValueRef is a JSON document kept by the engine module.
	ValueRef ValueType = "REF"
)

// The names of the twelve space config keys.
const (
	KeyTokenExpiration          = "token_expiration"
	KeyTokenAutoRenewal         = "token_auto_renewal"
	KeyAllowMultipleTriggers    = "allow_multiple_triggers"
	KeyEngineSpaceConfig        = "engine_space_config"
	KeyCallbackHooks            = "callback_hooks"
	KeyUniformAPI               = "uniform_api"
	KeySuperusers               = "superusers"
	KeyCanvasMode               = "canvas_mode"
	KeyGatewayExpression        = "gateway_expression"
	KeyAPIGatewayCredentialName = "api_gateway_credential_name"
	KeySpacePluginConfig        = "space_plugin_config"
	KeyFlowVersioning           = "flow_versioning"
)

// MinTokenExpiration is the shortest token_expiration accepted.
const MinTokenExpiration = time.Hour

// MaxTextLength is the longest string accepted for a TEXT config given as a
// string (BKFlow stores it in a CharField(max_length=128)).
const MaxTextLength = 128

// Definition describes one space config key, as BKFlow's config classes do
// (their to_dict plus the control flag).
type Definition struct {
	Name, Desc string
	ValueType  ValueType
	// Default is returned when a space never stored the key; nil when the
	// key has no default. TEXT defaults are strings, JSON defaults are
	// []any{} or map[string]any{}.
	Default any
	// Choices lists the allowed values of enum TEXT keys.
	Choices []string
	// Example shows the expected shape (a string or a JSON-like value).
	Example any
	// Public is false for keys hidden from space users (callback_hooks).
	Public bool
	// Control marks keys exposed to the canvas without superuser rights.
	Control bool
	// MixType marks keys whose value may be a string or a JSON object.
	MixType bool
}

// builtinDefinitions returns fresh copies of the twelve definitions; the
// registry owns what it gets and hands out deep copies.
func builtinDefinitions() []Definition {
	scopeKey := "{scope_type}_{scope_value}"
	return []Definition{
		{
			Name:      KeyTokenExpiration,
			Desc:      "Lifetime of canvas access tokens issued by apply_token",
			ValueType: ValueText,
			Default:   "1h",
			Example:   "[n]m or [n]h or [n]d, m->minute h->hour d->day, at least 1h",
			Public:    true,
		},
		{
			Name:      KeyTokenAutoRenewal,
			Desc:      "Whether tokens are renewed automatically",
			ValueType: ValueText,
			Default:   "true",
			Choices:   []string{"true", "false"},
			Public:    true,
			Control:   true,
		},
		{
			Name:      KeyAllowMultipleTriggers,
			Desc:      "Whether a template may have more than one trigger",
			ValueType: ValueText,
			Default:   "false",
			Choices:   []string{"true", "false"},
			Public:    true,
			Control:   true,
		},
		{
			Name:      KeyEngineSpaceConfig,
			Desc:      "Engine module configuration (space and scope variables)",
			ValueType: ValueRef,
			Example: map[string]any{
				"space": map[string]any{"{key1}": "{value1}"},
				"scope": map[string]any{scopeKey: map[string]any{"{key1}": "{value1}"}},
			},
			Public: true,
		},
		{
			Name:      KeyCallbackHooks,
			Desc:      "Callback configuration (legacy; prefer webhooks)",
			ValueType: ValueJSON,
			Example:   map[string]any{"url": "{callback_url}", "callback_types": []any{"template"}},
		},
		{
			Name:      KeyUniformAPI,
			Desc:      "API plugin configuration (changing it may break existing data)",
			ValueType: ValueJSON,
			Default:   map[string]any{},
			Example: map[string]any{
				"api": map[string]any{
					"{api_key}": map[string]any{
						"meta_apis":      "{meta_apis url}",
						"api_categories": "{api_categories url}",
						"display_name":   "{display_name}",
						"source_key":     "{open plugin execution source key}",
						"catalog_mode":   "remote/cache_first/cache_only",
						"headers":        map[string]any{"X-Custom-Header": "${_system.operator}"},
					},
				},
			},
			Public: true,
		},
		{
			Name:      KeySuperusers,
			Desc:      "Space administrators",
			ValueType: ValueJSON,
			Default:   []any{},
			Example:   []any{"super_user1", "super_user2", "super_user3"},
			Public:    true,
		},
		{
			Name:      KeyCanvasMode,
			Desc:      "Canvas layout of new templates",
			ValueType: ValueText,
			Default:   "horizontal",
			Choices:   []string{"horizontal", "vertical"},
			Public:    true,
		},
		{
			Name:      KeyGatewayExpression,
			Desc:      "Default expression language of new gateway conditions",
			ValueType: ValueText,
			Default:   "boolrule",
			Choices:   []string{"boolrule", "FEEL", "MAKO"},
			Public:    true,
		},
		{
			Name:      KeyAPIGatewayCredentialName,
			Desc:      "Credential used by API plugins to call the API gateway",
			ValueType: ValueText,
			Example:   map[string]any{"default": "{default_credential_name}", "{scope_type}_{scope_id}": "{credential_name}"},
			Public:    true,
			MixType:   true,
		},
		{
			Name:      KeySpacePluginConfig,
			Desc:      "Plugins shown in the canvas (allow or deny list, per scope)",
			ValueType: ValueJSON,
			Example: map[string]any{
				"default": map[string]any{"mode": "{allow_list/deny_list}", "plugin_codes": []any{"plugin_1", "plugin_2"}},
			},
			Public: true,
		},
		{
			Name:      KeyFlowVersioning,
			Desc:      "Draft/release versioning of templates",
			ValueType: ValueText,
			Default:   "false",
			Choices:   []string{"true", "false"},
			Public:    true,
			Control:   true,
		},
	}
}

// clone returns a deep copy of d, so callers cannot alter the registry.
func (d Definition) clone() Definition {
	d.Default = deepCopy(d.Default)
	d.Example = deepCopy(d.Example)
	if d.Choices != nil {
		d.Choices = append([]string(nil), d.Choices...)
	}
	return d
}

// deepCopy copies the maps and slices of a JSON-like value.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = deepCopy(e)
		}
		return out
	default:
		return v
	}
}
