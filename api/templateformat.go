package api

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/bkflow/bkflow/internal/store"
	"github.com/bkflow/bkflow/workflows/pipeline"
)

// templateJSON is a template object (BKFlow's Template.to_json), in its
// wire order.
type templateJSON struct {
	ID           int64           `json:"id"`
	SpaceID      int64           `json:"space_id"`
	Name         string          `json:"name"`
	Desc         *string         `json:"desc"`
	NotifyConfig json.RawMessage `json:"notify_config"`
	ScopeType    *string         `json:"scope_type"`
	ScopeValue   *string         `json:"scope_value"`
	Source       *string         `json:"source"`
	Version      *string         `json:"version"`
	IsEnabled    bool            `json:"is_enabled"`
	BKAppCode    *string         `json:"bk_app_code"`
	ExtraInfo    json.RawMessage `json:"extra_info"`
	Creator      string          `json:"creator"`
	CreateAt     string          `json:"create_at"`
	UpdateAt     string          `json:"update_at"`
	UpdatedBy    string          `json:"updated_by"`
}

// templateDetailJSON is a template with its live tree (get_template_detail,
// release_template).
type templateDetailJSON struct {
	templateJSON
	PipelineTree json.RawMessage `json:"pipeline_tree"`
}

// templateSavedJSON is what create_template and update_template answer.
type templateSavedJSON struct {
	templateDetailJSON
	Labels []labelJSON `json:"labels"`
}

// templateListItem is one template of get_template_list.
type templateListItem struct {
	templateJSON
	// HasIntervalTrigger is BKFlow's flag for templates with triggers;
	// bkflow has no triggers yet, so it is always false.
	HasIntervalTrigger bool `json:"has_interval_trigger"`
}

// template renders t; versioning says which version the space shows:
// semver (null before the first release) or the live tree's md5.
func (f formatter) template(t store.Template, versioning bool) templateJSON {
	version := t.Version
	if !versioning {
		v := t.MD5Sum
		version = &v
	}
	return templateJSON{ID: t.ID, SpaceID: t.SpaceID, Name: t.Name, Desc: t.Desc,
		NotifyConfig: orJSON(t.NotifyConfig, `{}`), ScopeType: t.ScopeType, ScopeValue: t.ScopeValue, Source: t.Source,
		Version: version, IsEnabled: t.IsEnabled, BKAppCode: t.BKAppCode, ExtraInfo: orJSON(t.ExtraInfo, `{}`),
		Creator: t.Creator, CreateAt: djangoTime(t.CreateAt), UpdateAt: djangoTime(t.UpdateAt), UpdatedBy: t.UpdatedBy}
}

func orJSON(raw json.RawMessage, def string) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage(def)
	}
	return raw
}

// templatePluginJSON is get_template_detail?format=plugin: the template as
// a plugin, its inputs and outputs as JSON Schemas.
type templatePluginJSON struct {
	ID            int64         `json:"id"`
	Name          string        `json:"name"`
	Desc          *string       `json:"desc"`
	Version       *string       `json:"version"`
	SpaceID       int64         `json:"space_id"`
	ScopeType     *string       `json:"scope_type"`
	ScopeValue    *string       `json:"scope_value"`
	BKAppCode     *string       `json:"bk_app_code,omitempty"`
	Creator       string        `json:"creator"`
	CreateAt      string        `json:"create_at"`
	UpdatedBy     string        `json:"updated_by"`
	UpdateAt      string        `json:"update_at"`
	Inputs        *objectSchema `json:"inputs"`
	Outputs       *objectSchema `json:"outputs"`
	ContextInputs *objectSchema `json:"context_inputs"`
}

// objectSchema is a JSON Schema object with ordered properties.
type objectSchema struct {
	Properties  orderedProps `json:"properties"`
	Required    []string     `json:"required"`
	Definitions struct{}     `json:"definitions"`
}

// MarshalJSON puts "type": "object" first, as BKFlow does.
func (o *objectSchema) MarshalJSON() ([]byte, error) {
	type plain objectSchema
	inner, err := json.Marshal((*plain)(o))
	if err != nil {
		return nil, err
	}
	return append([]byte(`{"type":"object",`), inner[1:]...), nil
}

type schemaProp struct {
	name  string
	title string
	typ   string
	desc  string
	def   any
	isDef bool
}

// orderedProps keeps properties in the tree's constant order.
type orderedProps []schemaProp

// MarshalJSON renders the properties as an object in order.
func (ps orderedProps) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(p.name)
		b.Write(k)
		b.WriteString(`:{"title":`)
		t, _ := json.Marshal(p.title)
		b.Write(t)
		b.WriteString(`,"type":`)
		ty, _ := json.Marshal(p.typ)
		b.Write(ty)
		if p.desc != "" {
			d, _ := json.Marshal(p.desc)
			b.WriteString(`,"description":`)
			b.Write(d)
		}
		if p.isDef {
			d, err := json.Marshal(p.def)
			if err != nil {
				return nil, err
			}
			b.WriteString(`,"default":`)
			b.Write(d)
		}
		b.WriteByte('}')
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// pluginSchemas builds format=plugin's inputs and outputs from a web tree's
// constants: inputs are the constants shown at task creation (show_type
// "show", not component outputs), outputs the tree's outputs. Constants are
// taken in their index order (BKFlow follows the stored JSON order).
func pluginSchemas(tree pipeline.Tree) (inputs, outputs *objectSchema) {
	consts, _ := tree["constants"].(map[string]any)
	keys := slices.Collect(maps.Keys(consts))
	slices.SortStableFunc(keys, func(a, b string) int {
		ia, ib := constIndex(consts[a]), constIndex(consts[b])
		if ia != ib {
			if ia < ib {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	inputs = &objectSchema{Properties: orderedProps{}, Required: []string{}}
	for _, k := range keys {
		c, _ := consts[k].(map[string]any)
		if c == nil || c["show_type"] != "show" || c["source_type"] == "component_outputs" {
			continue
		}
		p, required := constantProp(k, c)
		inputs.Properties = append(inputs.Properties, p)
		if required {
			inputs.Required = append(inputs.Required, p.name)
		}
	}
	outputs = &objectSchema{Properties: orderedProps{}, Required: []string{}}
	outs, _ := tree["outputs"].([]any)
	for _, o := range outs {
		k, _ := o.(string)
		c, _ := consts[k].(map[string]any)
		if c == nil {
			continue
		}
		p, _ := constantProp(k, c)
		outputs.Properties = append(outputs.Properties, p)
		outputs.Required = append(outputs.Required, p.name)
	}
	return inputs, outputs
}

func constIndex(c any) float64 {
	m, _ := c.(map[string]any)
	switch v := m["index"].(type) {
	case json.Number:
		f, _ := v.Float64()
		return f
	case float64:
		return v
	}
	return 0
}

// constantProp is one constant as a JSON Schema property, and whether it
// is required (no usable default).
func constantProp(key string, c map[string]any) (schemaProp, bool) {
	name := key
	if strings.HasPrefix(key, "${") && strings.HasSuffix(key, "}") {
		name = key[2 : len(key)-1]
	}
	title, _ := c["name"].(string)
	desc, _ := c["desc"].(string)
	value := c["value"]
	p := schemaProp{name: name, title: title, typ: constantSchemaType(c), desc: desc}
	s, isString := value.(string)
	noDefault := value == nil || (isString && (s == "" || strings.HasPrefix(s, "${")))
	if !noDefault {
		p.def, p.isDef = value, true
	}
	return p, noDefault
}

// constantSchemaType infers a constant's JSON Schema type from its custom_type,
// else from its value.
func constantSchemaType(c map[string]any) string {
	switch ct, _ := c["custom_type"].(string); ct {
	case "int", "integer":
		return "integer"
	case "float", "number":
		return "number"
	case "bool", "boolean":
		return "boolean"
	case "list", "array":
		return "array"
	case "dict", "object":
		return "object"
	}
	switch v := c["value"].(type) {
	case bool:
		return "boolean"
	case json.Number:
		if _, err := v.Int64(); err == nil {
			return "integer"
		}
		return "number"
	case float64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "string"
}

// contextInputsSchema is format=plugin's context_inputs: what a template
// run as a plugin receives from its caller.
func contextInputsSchema() *objectSchema {
	return &objectSchema{
		Properties: orderedProps{
			{name: "executor", title: "任务执行人", typ: "string"},
			{name: "task_name", title: "任务名称", typ: "string"},
			{name: "task_id", title: "任务ID", typ: "string"},
			{name: "task_space_id", title: "任务空间ID", typ: "string"},
		},
		Required: []string{"executor", "task_name", "task_id", "task_space_id"},
	}
}
