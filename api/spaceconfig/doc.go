// Package spaceconfig defines BKFlow's twelve space config keys and
// validates their values, as create_space and renew_space_config receive
// them (bkflow/space/configs.py in BKFlow).
//
// A Registry, built once by NewRegistry, lists the keys (Names, Lookup) and
// validates values (Validate, ValidateOne). Values are what encoding/json
// decodes with UseNumber: string, json.Number, bool, nil, []any and
// map[string]any; any other Go value is first passed through encoding/json.
// Validation errors are *ValidationError, whose Fields map each refused key
// to an English reason naming the offending path inside the value, e.g.
// "api.my_key.meta_apis: missing".
//
// The JSON-shaped keys (callback_hooks, uniform_api, superusers,
// api_gateway_credential_name as an object, space_plugin_config,
// engine_space_config) are checked with JSON schemas embedded from
// schemas/; the others by hand.
//
// # Differences from BKFlow (deliberate)
//
// General:
//   - Validate reports every refused key, not just the first one, and each
//     reason lists up to 10 problems inside the value.
//   - JSON null is refused for every key (BKFlow refuses it too, except for
//     uniform_api where it fails with a 500).
//   - Unknown keys are refused inside every object whose shape is fixed
//     (callback_hooks, uniform_api at all levels, space_plugin_config rules,
//     engine_space_config); BKFlow's schemas and pydantic models ignore
//     them, which hides typos.
//   - Where a string is expected, numbers and booleans are refused: no
//     pydantic-style coercion of 1 to "1" or true to "True".
//
// TEXT keys:
//   - token_auto_renewal, allow_multiple_triggers, flow_versioning,
//     canvas_mode and gateway_expression must be one of their choices as a
//     JSON string, case-sensitively; the JSON boolean true is refused, as in
//     BKFlow, which compares against the string choices.
//   - token_expiration must be a string that ParseDuration accepts, of at
//     least 1h. ParseDuration follows pytimeparse 1.1.8 (a bare number such
//     as "7200" is refused, as there) with these differences: arithmetic is exact
//     decimal, so "2.05m" is 123s where pytimeparse's float truncation
//     gives 122s (this only matters within a second of the 1h limit); only
//     ASCII digits are accepted (Python's \d also accepts e.g. Arabic-Indic
//     digits); durations beyond time.Duration's range (about 292 years) are
//     refused, where BKFlow accepts them and later fails in apply_token.
//   - TEXT values given as strings (token_expiration,
//     api_gateway_credential_name) may have at most 128 characters, the
//     size of BKFlow's text_value column; BKFlow fails on write instead.
//
// URLs that must come from the API gateway (callback_hooks url, uniform_api
// meta_apis and api_categories):
//   - With Options.APIGWHost nil, any absolute http or https URL with a host
//     is accepted ("ftp://x" and "not a url" are not). BKFlow accepts any
//     string when SKIP_APIGW_CHECK is on, and nothing when no netloc
//     pattern is configured.
//   - With a pattern, it is matched with Go's MatchString against the URL's
//     host[:port]; anchor it (the api package anchors both ends). BKFlow
//     uses Python's re.match, anchored at the start only, on the netloc,
//     which includes user info.
//   - URLs with user info (http://user@host/) are always refused, closing
//     the http://apigw.host@evil.host/ trick that a start-anchored netloc
//     match lets through.
//   - api_categories must be an API gateway URL too; BKFlow skips the check
//     when it is the empty string.
//
// JSON keys:
//   - superusers: each item must be a non-empty string (BKFlow accepts any
//     list).
//   - callback_hooks: {"url", "callback_types"} only; callback_types may be
//     empty (as in BKFlow) and every item must be "template".
//   - uniform_api: only the v2 form {"api": {...}, "common": {...}} can be
//     written (the legacy v1 form is read by BKFlow but refused by its
//     validation too). api keys match ^[A-Za-z0-9_]+$; an api entry needs
//     the strings meta_apis, api_categories and display_name, and may have
//     source_key (string or null), catalog_mode ("remote", "cache_first"
//     or "cache_only"; null refused, as pydantic does) and headers (an
//     object of strings, or null; pydantic accepts any dict). common and
//     its three fields may be null, as pydantic's Optional allows. An empty
//     "api" object is accepted; the key's default value {} itself is not a
//     valid value to write, as in BKFlow.
//   - api_gateway_credential_name: a string, or an object with a string
//     "default" and other keys matching ^[^{]+_[^{]+$ with string values
//     (BKFlow's schema).
//   - space_plugin_config: besides the required "default", keys must look
//     like <scope_type>_<scope_value> (^[^{]+_[^{]+$) and hold a rule of the
//     same shape as "default" ({"mode": "allow_list" or "deny_list",
//     "plugin_codes": [strings]}, nothing else); BKFlow checks only
//     "default".
//   - engine_space_config: only "space" and "scope" (as in BKFlow); their
//     values are strings, numbers or booleans; scope keys must look like
//     <scope_type>_<scope_value> (BKFlow accepts any key).
package spaceconfig
