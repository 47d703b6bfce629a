package spaceconfig

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// Options tunes validation.
type Options struct {
	// APIGWHost, when set, is matched (with MatchString, so anchor it) against
	// the host[:port] of URLs that must come from the API gateway
	// (uniform_api meta_apis/api_categories, callback_hooks url). When nil
	// any absolute http or https URL is accepted.
	APIGWHost *regexp.Regexp
}

// Registry holds the space config definitions and validates values. It is
// immutable once built and safe for concurrent use.
type Registry struct {
	defs        map[string]Definition
	names       []string
	schemas     map[string]*jsonSchema
	unsupported string
}

// NewRegistry builds the registry of BKFlow's twelve space config keys. It
// compiles the embedded JSON schemas, and panics only if they are broken (a
// bug the package tests catch).
func NewRegistry(opts Options) *Registry {
	r := &Registry{defs: make(map[string]Definition)}
	for _, d := range builtinDefinitions() {
		r.defs[d.Name] = d
		r.names = append(r.names, d.Name)
	}
	sort.Strings(r.names)
	r.unsupported = "unsupported config key; supported: " + strings.Join(r.names, ", ")
	schemas, err := compileSchemas(opts,
		KeyEngineSpaceConfig, KeyCallbackHooks, KeyUniformAPI, KeySuperusers,
		KeyAPIGatewayCredentialName, KeySpacePluginConfig)
	if err != nil {
		panic("spaceconfig: embedded schemas: " + err.Error())
	}
	r.schemas = schemas
	return r
}

// Names returns the config keys, sorted.
func (r *Registry) Names() []string {
	return slices.Clone(r.names)
}

// Lookup returns a copy of the definition of a key.
func (r *Registry) Lookup(name string) (Definition, bool) {
	d, ok := r.defs[name]
	if !ok {
		return Definition{}, false
	}
	return d.clone(), true
}

// Validate checks every entry of configs (a create_space or
// renew_space_config "config" object) and returns nil or a
// *ValidationError naming every refused key, unknown keys included.
func (r *Registry) Validate(configs map[string]any) error {
	fields := make(map[string]string)
	for name, value := range configs {
		if reason := r.reason(name, value); reason != "" {
			fields[name] = reason
		}
	}
	if len(fields) == 0 {
		return nil
	}
	return &ValidationError{Fields: fields}
}

// ValidateOne checks one value; it returns nil or a *ValidationError with
// the one field.
func (r *Registry) ValidateOne(name string, value any) error {
	if reason := r.reason(name, value); reason != "" {
		return &ValidationError{Fields: map[string]string{name: reason}}
	}
	return nil
}

// reason returns "" when value is acceptable for name, else why not.
func (r *Registry) reason(name string, value any) string {
	def, ok := r.defs[name]
	if !ok {
		return r.unsupported
	}
	v, err := toJSONValue(value)
	if err != nil {
		return "must be a JSON value: " + err.Error()
	}
	switch {
	case name == KeyTokenExpiration:
		return checkTokenExpiration(v)
	case name == KeyAPIGatewayCredentialName:
		return r.checkCredentialName(v)
	case def.Choices != nil:
		return checkChoice(def.Choices, v)
	}
	if s, ok := r.schemas[name]; ok {
		return s.check(v)
	}
	return "" // unreachable: every key has a rule (see TestEveryKeyHasARule)
}

const durationRule = "must be a duration such as 30m, 1h, 2d or 1h30m of at least 1h"

func checkTokenExpiration(v any) string {
	s, ok := v.(string)
	if !ok {
		return durationRule + ", got " + brief(v)
	}
	if reason := checkTextLength(s); reason != "" {
		return reason
	}
	if d, err := ParseDuration(s); err != nil || d < MinTokenExpiration {
		return durationRule + ", got " + brief(v)
	}
	return ""
}

func checkChoice(choices []string, v any) string {
	if s, ok := v.(string); ok && slices.Contains(choices, s) {
		return ""
	}
	want := make([]any, len(choices))
	for i, c := range choices {
		want[i] = c
	}
	return oneOf(want) + ", got " + brief(v)
}

func (r *Registry) checkCredentialName(v any) string {
	switch v := v.(type) {
	case string:
		return checkTextLength(v)
	case map[string]any:
		return r.schemas[KeyAPIGatewayCredentialName].check(v)
	}
	return `must be a credential name or an object like {"default": "<credential>", ` +
		`"<scope_type>_<scope_value>": "<credential>"}, got ` + brief(v)
}

// checkTextLength enforces BKFlow's 128-character text column.
func checkTextLength(s string) string {
	if n := utf8.RuneCountInString(s); n > MaxTextLength {
		return fmt.Sprintf("must be at most %d characters long, got %d characters", MaxTextLength, n)
	}
	return ""
}
