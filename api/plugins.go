package api

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/bkflow/bkflow/activities"
	"github.com/bkflow/bkflow/api/spaceconfig"
	"github.com/bkflow/bkflow/internal/store"
)

// pluginsHandler answers plugin discovery from the component registry:
// list_plugins, get_plugin_schema and get_plugin_outputs. Only built-in
// components (plugin type "component") exist in bkflow; the remote_plugin
// and uniform_api types answer nothing yet.
type pluginsHandler struct {
	registry *activities.Registry
	// store reads the space's space_plugin_config (list_plugins with a
	// scope).
	store *store.Store
}

// Plugin types of BKFlow's discovery APIs, in the order list_plugins
// collects them.
const (
	pluginTypeComponent = "component"
	pluginTypeRemote    = "remote_plugin"
	pluginTypeUniform   = "uniform_api"
)

var pluginTypes = []string{pluginTypeComponent, pluginTypeRemote, pluginTypeUniform}

// pluginWrapperCodes are components that wrap other plugins or processes;
// list_plugins leaves them out (BKFlow's WRAPPER_CODES).
var pluginWrapperCodes = []string{"subprocess_plugin", "remote_plugin", "uniform_api"}

// list_plugins paging bounds.
const (
	pluginListDefaultLimit = 100
	pluginListMaxLimit     = 200
)

func (h *pluginsHandler) routes(space *routes) {
	space.add(route{Method: http.MethodGet, Path: "/space/{space_id}/list_plugins/",
		OperationID: "list_plugins", Tag: "plugin", AppAuth: true,
		Summary: "Plugins usable in the space, one entry per code at its highest version, ordered by group and code; " +
			"the total is the envelope's top-level count",
		Query: []queryParam{
			{Name: "keyword", Type: "string", Description: "case-insensitive substring of the code or the name"},
			{Name: "plugin_type", Type: "string",
				Description: "component, remote_plugin or uniform_api (default: all); only components exist in bkflow"},
			{Name: "plugin_source", Type: "string", Description: "source of uniform_api plugins (no effect on components)"},
			{Name: "with_detail", Type: "boolean", Description: "add each plugin's inputs and outputs (default false)"},
			{Name: "scope_type", Type: "string",
				Description: "with scope_id: apply the space_plugin_config rule of <scope_type>_<scope_id> (else its default)"},
			{Name: "scope_id", Type: "string", Description: "with scope_type, see scope_type"},
			{Name: "limit", Type: "integer", Description: "page size, 1..200 (default 100)"},
			{Name: "offset", Type: "integer", Description: "entries to skip, ≥ 0 (default 0)"},
		},
		Response: listResult{Data: []pluginJSON{}}, Handler: h.list})
	space.add(route{Method: http.MethodGet, Path: "/space/{space_id}/get_plugin_schema/",
		OperationID: "get_plugin_schema", Tag: "plugin", AppAuth: true,
		Summary: "A plugin's inputs and outputs at the requested version (an unregistered version: the highest); " +
			"version is the one answered",
		Query: []queryParam{
			{Name: "code", Type: "string", Description: "the plugin code (code or plugin_id is required)"},
			{Name: "plugin_id", Type: "string", Description: "the plugin code; wins over code"},
			{Name: "version", Type: "string", Description: "the version (default: the highest)"},
			{Name: "plugin_version", Type: "string", Description: "the version; wins over version"},
			{Name: "plugin_type", Type: "string", Description: "component, remote_plugin or uniform_api (default: any)"},
			{Name: "plugin_source", Type: "string", Description: "uniform_api only (no effect on components)"},
			{Name: "source_key", Type: "string", Description: "uniform_api only (no effect on components)"},
			{Name: "scope_type", Type: "string", Description: "uniform_api only (no effect on components)"},
			{Name: "scope_id", Type: "string", Description: "uniform_api only (no effect on components)"},
		},
		Response: pluginJSON{}, Handler: h.schema})
	space.add(route{Method: http.MethodPost, Path: "/space/{space_id}/get_plugin_outputs/",
		OperationID: "get_plugin_outputs", Tag: "plugin", AppAuth: true,
		Summary: "A built-in plugin's outputs and metadata at one version (default: the highest); always one object",
		Request: pluginOutputsRequest{}, Response: pluginOutputsJSON{}, Handler: h.outputs})
}

// pluginJSON is a plugin in list_plugins and get_plugin_schema. Inputs and
// outputs are present in get_plugin_schema and with list_plugins'
// with_detail.
type pluginJSON struct {
	Code        string            `json:"code"`
	Name        string            `json:"name"`
	PluginType  string            `json:"plugin_type"`
	Version     string            `json:"version"`
	Description string            `json:"description" doc:"list_plugins: empty unless with_detail"`
	GroupName   string            `json:"group_name"`
	Inputs      []pluginInputJSON `json:"inputs,omitzero"`
	Outputs     []pluginFieldJSON `json:"outputs,omitzero"`
}

// pluginInputJSON is one input of a plugin, in BKFlow's key order.
type pluginInputJSON struct {
	Key         string            `json:"key"`
	Name        string            `json:"name"`
	Type        string            `json:"type"`
	Description string            `json:"description"`
	Required    bool              `json:"required"`
	Default     any               `json:"default,omitempty" doc:"the value the component uses when the input is missing"`
	Schema      *pluginSchemaJSON `json:"schema"`
}

// pluginFieldJSON is one output of a plugin in get_plugin_schema.
type pluginFieldJSON struct {
	Key         string            `json:"key"`
	Name        string            `json:"name"`
	Type        string            `json:"type"`
	Description string            `json:"description"`
	Schema      *pluginSchemaJSON `json:"schema"`
}

// pluginRawOutputJSON is one output in get_plugin_outputs (pipeline's
// outputs_format()).
type pluginRawOutputJSON struct {
	Name   string            `json:"name"`
	Key    string            `json:"key"`
	Type   string            `json:"type"`
	Schema *pluginSchemaJSON `json:"schema"`
}

// pluginSchemaJSON is a field's form schema: enum is always a list, an
// object always has properties.
type pluginSchemaJSON struct {
	Type        string                       `json:"type"`
	Description string                       `json:"description"`
	Enum        []any                        `json:"enum"`
	Items       *pluginSchemaJSON            `json:"items,omitempty"`
	Properties  map[string]*pluginSchemaJSON `json:"properties,omitzero"`
}

type pluginOutputsRequest struct {
	PluginID      *string `json:"plugin_id" doc:"required: the component code"`
	PluginVersion *string `json:"plugin_version" doc:"the version (default: the highest)"`
}

// pluginOutputsJSON is get_plugin_outputs' answer, in BKFlow's key order.
type pluginOutputsJSON struct {
	Output           []pluginRawOutputJSON `json:"output"`
	Form             *string               `json:"form" doc:"always null: bkflow serves no form scripts"`
	OutputForm       *string               `json:"output_form" doc:"always null"`
	Desc             string                `json:"desc"`
	FormIsEmbedded   bool                  `json:"form_is_embedded"`
	GroupName        string                `json:"group_name"`
	GroupIcon        string                `json:"group_icon"`
	Name             string                `json:"name"`
	Base             string                `json:"base"`
	Code             string                `json:"code"`
	Version          string                `json:"version"`
	IsDefaultVersion bool                  `json:"is_default_version" doc:"the version is the code's highest (the one used when none is asked for)"`
}

func (h *pluginsHandler) list(r *http.Request) (any, error) {
	q := pluginQuery{values: r.URL.Query(), fe: FieldErrors{}}
	keyword := strings.ToLower(q.str("keyword"))
	pluginType := q.choice("plugin_type", pluginTypes)
	q.str("plugin_source") // validated as a string only: it selects uniform_api plugins
	withDetail := q.boolean("with_detail")
	scopeType, scopeID := q.str("scope_type"), q.str("scope_id")
	limit := q.integer("limit", pluginListDefaultLimit, 1, pluginListMaxLimit)
	offset := q.integer("offset", 0, 0, -1)
	if (scopeType == "") != (scopeID == "") {
		q.fe.Add("scope_type", "scope_type and scope_id must be given together")
	}
	if err := q.fe.Err(); err != nil {
		return nil, err
	}

	var specs []activities.Spec
	if pluginType == "" || pluginType == pluginTypeComponent {
		specs = pluginLatestSpecs(h.registry.List())
		if scopeType != "" {
			rule, err := h.pluginRule(r, scopeType+"_"+scopeID)
			if err != nil {
				return nil, err
			}
			specs = slices.DeleteFunc(specs, func(s activities.Spec) bool { return !rule.allows(s.Code) })
		}
		if keyword != "" {
			specs = slices.DeleteFunc(specs, func(s activities.Spec) bool {
				return !strings.Contains(strings.ToLower(s.Code), keyword) &&
					!strings.Contains(strings.ToLower(s.Name), keyword)
			})
		}
	}

	count := len(specs)
	start := min(offset, count)
	page := specs[start:min(start+limit, count)]
	data := make([]pluginJSON, len(page))
	for i, s := range page {
		if withDetail {
			data[i] = pluginDetail(s)
			continue
		}
		data[i] = pluginJSON{Code: s.Code, Name: s.Name, PluginType: pluginTypeComponent, Version: s.Version,
			GroupName: s.Group}
	}
	return listResult{Data: data, Count: count}, nil
}

func (h *pluginsHandler) schema(r *http.Request) (any, error) {
	q := pluginQuery{values: r.URL.Query(), fe: FieldErrors{}}
	code := cmp.Or(q.str("plugin_id"), q.str("code"))
	version := cmp.Or(q.str("plugin_version"), q.str("version"))
	pluginType := q.choice("plugin_type", pluginTypes)
	for _, name := range []string{"plugin_source", "source_key", "scope_type", "scope_id"} {
		q.str(name) // uniform_api selectors: no effect on components
	}
	if code == "" {
		q.fe.Add("non_field_errors", "code 和 plugin_id 至少需要提供一个")
	}
	if err := q.fe.Err(); err != nil {
		return nil, err
	}
	switch pluginType {
	case pluginTypeRemote:
		return nil, refusal("未找到蓝鲸标准插件 '%s'", code)
	case pluginTypeUniform:
		return nil, refusal("未找到 API 插件 '%s'", code)
	}
	s, _, ok := pluginResolveSpec(h.registry.List(), code, version)
	if !ok {
		if pluginType == pluginTypeComponent {
			return nil, refusal("未找到内置插件 code '%s'", code)
		}
		return nil, refusal("未找到插件 code '%s'", code)
	}
	return pluginDetail(s), nil
}

func (h *pluginsHandler) outputs(r *http.Request) (any, error) {
	var req pluginOutputsRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.PluginID == nil || strings.TrimSpace(*req.PluginID) == "" {
		return nil, fieldError("plugin_id", msgRequired)
	}
	code := strings.TrimSpace(*req.PluginID)
	version := ""
	if req.PluginVersion != nil {
		version = strings.TrimSpace(*req.PluginVersion)
	}
	specs := h.registry.List()
	s, latest, ok := pluginResolveSpec(specs, code, "")
	if version != "" {
		i := slices.IndexFunc(specs, func(s activities.Spec) bool { return s.Code == code && s.Version == version })
		if i < 0 {
			return nil, refusal("插件 %s 版本 %s 不存在", code, version)
		}
		s = specs[i]
	} else if !ok {
		return nil, refusal("插件 %s 不存在", code)
	}
	out := make([]pluginRawOutputJSON, len(s.Outputs))
	for i, f := range s.Outputs {
		sc := pluginFieldSchema(f)
		out[i] = pluginRawOutputJSON{Name: f.Name, Key: f.Key, Type: sc.Type, Schema: sc}
	}
	return pluginOutputsJSON{Output: out, Desc: s.Description, GroupName: s.Group, Name: s.Name,
		Code: s.Code, Version: s.Version, IsDefaultVersion: s.Version == latest.Version}, nil
}

// pluginDetail renders a component with its inputs and outputs.
func pluginDetail(s activities.Spec) pluginJSON {
	p := pluginJSON{Code: s.Code, Name: s.Name, PluginType: pluginTypeComponent, Version: s.Version,
		Description: s.Description, GroupName: s.Group,
		Inputs: make([]pluginInputJSON, len(s.Inputs)), Outputs: make([]pluginFieldJSON, len(s.Outputs))}
	for i, f := range s.Inputs {
		sc := pluginFieldSchema(f)
		p.Inputs[i] = pluginInputJSON{Key: f.Key, Name: f.Name, Type: sc.Type, Description: f.Description,
			Required: f.Required, Default: f.Default, Schema: sc}
	}
	for i, f := range s.Outputs {
		sc := pluginFieldSchema(f)
		p.Outputs[i] = pluginFieldJSON{Key: f.Key, Name: f.Name, Type: sc.Type, Description: f.Description, Schema: sc}
	}
	return p
}

// pluginFieldSchema is f's form schema: its own Schema, else one derived from its
// type, description and enum.
func pluginFieldSchema(f activities.Field) *pluginSchemaJSON {
	if f.Schema != nil {
		return pluginSchemaOf(f.Schema)
	}
	return pluginSchemaOf(&activities.Schema{Type: pluginSchemaType(f.Type), Description: f.Description, Enum: f.Enum})
}

func pluginSchemaOf(s *activities.Schema) *pluginSchemaJSON {
	out := &pluginSchemaJSON{Type: s.Type, Description: s.Description, Enum: append([]any{}, s.Enum...)}
	if s.Items != nil {
		out.Items = pluginSchemaOf(s.Items)
	}
	if s.Type == "object" || len(s.Properties) > 0 {
		out.Properties = make(map[string]*pluginSchemaJSON, len(s.Properties))
		for k, p := range s.Properties {
			out.Properties[k] = pluginSchemaOf(p)
		}
	}
	return out
}

// pluginSchemaType maps a component field type to BKFlow's schema type names
// (int, string, float, boolean, array, object); others pass unchanged.
func pluginSchemaType(t string) string {
	switch t {
	case "bool":
		return "boolean"
	case "list":
		return "array"
	default:
		return t
	}
}

// pluginLatestSpecs keeps one spec per code, the highest version (compareComponentVersions),
// leaves out the wrapper codes and orders the rest by group, then code.
func pluginLatestSpecs(specs []activities.Spec) []activities.Spec {
	byCode := map[string]activities.Spec{}
	for _, s := range specs {
		if slices.Contains(pluginWrapperCodes, s.Code) {
			continue
		}
		if prev, ok := byCode[s.Code]; !ok || compareComponentVersions(s.Version, prev.Version) > 0 {
			byCode[s.Code] = s
		}
	}
	out := make([]activities.Spec, 0, len(byCode))
	for _, s := range byCode {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b activities.Spec) int {
		return cmp.Or(strings.Compare(a.Group, b.Group), strings.Compare(a.Code, b.Code))
	})
	return out
}

// pluginResolveSpec finds code's spec at version, or at its highest version when
// version is empty or not registered; latest is the highest version's spec.
func pluginResolveSpec(specs []activities.Spec, code, version string) (s, latest activities.Spec, ok bool) {
	for _, c := range specs {
		if c.Code != code {
			continue
		}
		if !ok || compareComponentVersions(c.Version, latest.Version) > 0 {
			latest = c
		}
		ok = true
	}
	if !ok {
		return activities.Spec{}, activities.Spec{}, false
	}
	if i := slices.IndexFunc(specs, func(c activities.Spec) bool { return c.Code == code && c.Version == version }); i >= 0 {
		return specs[i], latest, true
	}
	return latest, latest, true
}

// componentVersionPattern is a semver-like version: an optional "v", dot-separated
// numbers, an optional pre-release ("-rc.1") and build ("+b5") suffix.
var componentVersionPattern = regexp.MustCompile(`^[vV]?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$`)

// compareComponentVersions orders component versions: "legacy" first, then versions
// that are not semver-like (by text), then semver-like ones by their numbers
// (missing parts count as 0, so v1.0 = 1.0.0), a pre-release before its
// release. Versions equal by these rules are ordered by text, so the order
// is total and deterministic. BKFlow compares (major, minor, patch) and
// counts anything else, legacy included, as 0.0.0.
func compareComponentVersions(a, b string) int {
	if a == b {
		return 0
	}
	ra, rb := componentVersionRank(a), componentVersionRank(b)
	if c := cmp.Compare(ra, rb); c != 0 || ra != 2 {
		return cmp.Or(c, strings.Compare(a, b))
	}
	ma, mb := componentVersionPattern.FindStringSubmatch(a), componentVersionPattern.FindStringSubmatch(b)
	na, nb := strings.Split(ma[1], "."), strings.Split(mb[1], ".")
	for i := range max(len(na), len(nb)) {
		if c := compareComponentVersionNumbers(componentVersionPart(na, i), componentVersionPart(nb, i)); c != 0 {
			return c
		}
	}
	// A release sorts after its pre-releases.
	switch pa, pb := ma[2], mb[2]; {
	case pa == "" && pb != "":
		return 1
	case pa != "" && pb == "":
		return -1
	case pa != pb:
		return strings.Compare(pa, pb)
	}
	return strings.Compare(a, b)
}

// componentVersionRank: 0 legacy, 1 not semver-like, 2 semver-like.
func componentVersionRank(v string) int {
	switch {
	case v == activities.LegacyVersion:
		return 0
	case componentVersionPattern.MatchString(v):
		return 2
	default:
		return 1
	}
}

func componentVersionPart(parts []string, i int) string {
	if i < len(parts) {
		return parts[i]
	}
	return "0"
}

// compareComponentVersionNumbers compares two decimal digit strings of any length.
func compareComponentVersionNumbers(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
}

// pluginRule is one rule of the space_plugin_config config.
type pluginRule struct {
	Mode        string   `json:"mode"`
	PluginCodes []string `json:"plugin_codes"`
}

// allows reports whether the rule lets code through; the zero rule allows
// everything.
func (r pluginRule) allows(code string) bool {
	switch r.Mode {
	case "allow_list":
		return slices.Contains(r.PluginCodes, code)
	case "deny_list":
		return !slices.Contains(r.PluginCodes, code)
	default:
		return true
	}
}

// pluginRule reads the space's space_plugin_config rule for scope (e.g.
// "project_1"), falling back to its "default" rule. A space without the
// config has the zero rule.
func (h *pluginsHandler) pluginRule(r *http.Request, scope string) (pluginRule, error) {
	sp := spaceFrom(r.Context())
	if h.store == nil {
		return pluginRule{}, errInternal(errors.New("plugins handler: no store to read space_plugin_config from"))
	}
	c, err := h.store.SpaceConfigGet(r.Context(), sp.ID, spaceconfig.KeySpacePluginConfig)
	if errors.Is(err, store.ErrNotFound) {
		return pluginRule{}, nil
	}
	if err != nil {
		return pluginRule{}, errInternal(fmt.Errorf("read space_plugin_config of space %d: %w", sp.ID, err))
	}
	var rules map[string]pluginRule
	if err := json.Unmarshal(c.Value, &rules); err != nil {
		return pluginRule{}, errInternal(fmt.Errorf("decode space_plugin_config of space %d: %w", sp.ID, err))
	}
	if rule, ok := rules[scope]; ok {
		return rule, nil
	}
	return rules["default"], nil
}

// pluginQuery reads query parameters as DRF's serializer fields do: values
// are trimmed and an empty value counts as absent. Problems are collected in
// fe, keyed by parameter.
type pluginQuery struct {
	values url.Values
	fe     FieldErrors
}

func (q pluginQuery) str(name string) string {
	return strings.TrimSpace(q.values.Get(name))
}

// choice returns the value when it is one of choices, "" when absent.
func (q pluginQuery) choice(name string, choices []string) string {
	v := q.str(name)
	if v != "" && !slices.Contains(choices, v) {
		q.fe.Add(name, `"`+v+`" is not a valid choice.`)
		return ""
	}
	return v
}

// pluginIntSuffix is what DRF's IntegerField strips before int(): "12.0" is 12.
var pluginIntSuffix = regexp.MustCompile(`\.0*$`)

// integer reads an integer in [lo, hi] (hi < 0: no upper bound), def when
// absent.
func (q pluginQuery) integer(name string, def, lo, hi int) int {
	v := q.str(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(pluginIntSuffix.ReplaceAllString(v, ""))
	switch {
	case err != nil:
		q.fe.Add(name, "A valid integer is required.")
	case n < lo:
		q.fe.Add(name, fmt.Sprintf("Ensure this value is greater than or equal to %d.", lo))
	case hi >= 0 && n > hi:
		q.fe.Add(name, fmt.Sprintf("Ensure this value is less than or equal to %d.", hi))
	default:
		return n
	}
	return def
}

// boolean reads DRF's BooleanField spellings; false when absent.
func (q pluginQuery) boolean(name string) bool {
	switch v := q.str(name); v {
	case "", "f", "F", "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "0":
		return false
	case "t", "T", "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "1":
		return true
	default:
		q.fe.Add(name, "Must be a valid boolean.")
		return false
	}
}
