package pipeline

import (
	"encoding/json"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Parser turns web trees into their typed form. It holds the compiled JSON
// schema, so make one and reuse it; it is safe for concurrent use.
type Parser struct {
	schema *jsonschema.Schema
}

// NewParser compiles the web tree schema.
func NewParser() (*Parser, error) {
	sch, err := compileWebSchema()
	if err != nil {
		return nil, err
	}
	return &Parser{schema: sch}, nil
}

// Parse decodes a web tree from JSON, standardises its names, checks it
// against the JSON schema and decodes its typed form. The error, when the
// tree is malformed, is a *ValidationError listing every problem.
func (p *Parser) Parse(raw []byte) (*Web, error) {
	t, err := DecodeTree(raw)
	if err != nil {
		return nil, &ValidationError{Problems: []Problem{{
			Code: CodeInvalidJSON, NodeIDs: []string{}, FlowIDs: []string{},
			Message: err.Error(),
		}}}
	}
	return p.ParseTree(t)
}

// ParseTree is Parse for a tree already decoded. It standardises the names
// of t in place (BKFlow stores trees with standardised names) and the
// returned Web keeps t as its Tree.
func (p *Parser) ParseTree(t Tree) (*Web, error) {
	var ps problems
	w := p.parseTree(t, "", &ps)
	if err := ps.err(); err != nil {
		return nil, err
	}
	return w, nil
}

// Check is Parse followed by Validate: the typed, validated tree, or a
// *ValidationError.
func (p *Parser) Check(raw []byte) (*Web, error) {
	w, err := p.Parse(raw)
	if err != nil {
		return nil, err
	}
	if err := Validate(w); err != nil {
		return nil, err
	}
	return w, nil
}

// parseTree checks and decodes one tree (the root, base "", or an embedded
// subprocess tree), adding its problems to ps.
func (p *Parser) parseTree(t Tree, base string, ps *problems) *Web {
	StandardizeNames(t)
	before := len(ps.list)
	schemaProblems(p.schema, t, base, ps)
	if len(ps.list) > before {
		return nil
	}
	d := &decoder{parser: p, ps: ps}
	w := d.tree(t, base)
	if len(ps.list) > before {
		return nil
	}
	return w
}

// decoder reads the typed form out of a schema-checked tree, reporting
// values the schema leaves open but the engine cannot use.
type decoder struct {
	parser *Parser
	ps     *problems
}

func (d *decoder) fail(path, msg string) {
	p := Problem{Code: CodeFieldType, Path: path, Message: msg}
	p.NodeIDs, p.FlowIDs = idsOfPath(path)
	d.ps.add(p)
}

// str reads an optional string field ("" when absent or null).
func (d *decoder) str(m map[string]any, key, path string) string {
	switch v := m[key].(type) {
	case nil:
		return ""
	case string:
		return v
	}
	d.fail(pointer(path, key), "must be a string, not "+JSONType(m[key]))
	return ""
}

// flows reads an incoming/outgoing field.
func (d *decoder) flows(m map[string]any, key, path string) []string {
	l, ok := flowList(m[key])
	if !ok {
		d.fail(pointer(path, key), "must be a flow id or a list of flow ids")
		return []string{}
	}
	return l
}

// object reads an optional object field (nil when absent or null).
func (d *decoder) object(m map[string]any, key, path string) map[string]any {
	switch v := m[key].(type) {
	case nil:
		return nil
	case map[string]any:
		return v
	}
	d.fail(pointer(path, key), "must be an object, not "+JSONType(m[key]))
	return nil
}

func (d *decoder) tree(t Tree, base string) *Web {
	w := &Web{
		Tree:       t,
		Activities: map[string]*WebActivity{},
		Gateways:   map[string]*WebGateway{},
		Flows:      map[string]*WebFlow{},
		Constants:  map[string]*WebConstant{},
		Outputs:    []string{},
	}
	w.ID = d.str(t, "id", base)
	w.StartEvent = d.event(objectAt(t, "start_event"), pointer(base, "start_event"))
	w.EndEvent = d.event(objectAt(t, "end_event"), pointer(base, "end_event"))
	for id, v := range objectAt(t, "activities") {
		if m, ok := v.(map[string]any); ok {
			w.Activities[id] = d.activity(m, pointer(base, "activities", id))
		}
	}
	for id, v := range objectAt(t, "gateways") {
		if m, ok := v.(map[string]any); ok {
			w.Gateways[id] = d.gateway(m, pointer(base, "gateways", id))
		}
	}
	for id, v := range d.object(t, "flows", base) {
		if m, ok := v.(map[string]any); ok {
			path := pointer(base, "flows", id)
			w.Flows[id] = &WebFlow{ID: d.str(m, "id", path), Source: d.str(m, "source", path), Target: d.str(m, "target", path)}
		}
	}
	w.Constants = d.constants(objectAt(t, "constants"), pointer(base, "constants"))
	if outs, ok := t["outputs"].([]any); ok {
		for _, o := range outs {
			if s, ok := o.(string); ok {
				w.Outputs = append(w.Outputs, s)
			}
		}
	}
	return w
}

func (d *decoder) event(m map[string]any, path string) *WebEvent {
	return &WebEvent{
		ID:       d.str(m, "id", path),
		Type:     d.str(m, "type", path),
		Name:     d.str(m, "name", path),
		Incoming: d.flows(m, "incoming", path),
		Outgoing: d.flows(m, "outgoing", path),
	}
}

func (d *decoder) activity(m map[string]any, path string) *WebActivity {
	a := &WebActivity{
		ID:             d.str(m, "id", path),
		Type:           d.str(m, "type", path),
		Name:           d.str(m, "name", path),
		Incoming:       d.flows(m, "incoming", path),
		Outgoing:       d.flows(m, "outgoing", path),
		ErrorIgnorable: truthy(m["error_ignorable"]),
		Skippable:      legacyFlag(m, "skippable", "isSkipped"),
		Retryable:      legacyFlag(m, "retryable", "can_retry"),
		Optional:       truthy(m["optional"]),
		TemplateNodeID: d.str(m, "template_node_id", path),
	}
	if ar := d.object(m, "auto_retry", path); truthy(ar["enable"]) {
		a.AutoRetry = AutoRetry{Enable: true, Times: retryLimit(ar, "times", 10), Interval: retryLimit(ar, "interval", 0)}
	}
	if tc := d.object(m, "timeout_config", path); tc != nil {
		a.timeoutEnable = truthy(tc["enable"])
		seconds, ok := exactInt(tc["seconds"])
		if a.timeoutEnable && ok && seconds != 0 {
			action := d.str(tc, "action", pointer(path, "timeout_config"))
			if action == "" {
				action = TimeoutForcedFail
			}
			a.Timeout = Timeout{Enable: true, Seconds: seconds, Action: action}
		}
	}
	if lc := d.object(m, "loop_config", path); truthy(lc["enable"]) {
		a.Loop = d.loop(lc, pointer(path, "loop_config"))
	}
	switch v := m["executor_proxy"].(type) {
	case string:
		a.ExecutorProxy = v
	default:
		if truthy(v) {
			d.fail(pointer(path, "executor_proxy"), "must be a string, not "+JSONType(v))
		}
	}
	switch a.Type {
	case TypeActivity:
		if c := d.object(m, "component", path); c != nil {
			a.Component = d.component(c, pointer(path, "component"))
		}
	case TypeSubProcess:
		a.TemplateID = m["template_id"]
		switch v := m["version"].(type) {
		case nil:
		case string:
			a.Version = v
		case json.Number:
			a.Version = v.String()
		default:
			d.fail(pointer(path, "version"), "must be a string, not "+JSONType(v))
		}
		a.AlwaysUseLatest = truthy(m["always_use_latest"])
		a.Constants = d.constants(d.object(m, "constants", path), pointer(path, "constants"))
		if child := d.object(m, "pipeline", path); child != nil && d.parser != nil {
			a.Pipeline = d.parser.parseTree(child, pointer(path, "pipeline"), d.ps)
		}
	}
	return a
}

// legacyFlag reads skippable/retryable: the field, else its legacy name,
// else true.
func legacyFlag(m map[string]any, key, legacy string) bool {
	if v, ok := m[key]; ok {
		return truthy(v)
	}
	if v, ok := m[legacy]; ok {
		return truthy(v)
	}
	return true
}

// retryLimit reads auto_retry.times or .interval as BKFlow does:
// min(abs(int(v)), 10), 10 when v is not a number; def when absent.
func retryLimit(ar map[string]any, key string, def int) int {
	const limit = 10
	v, ok := ar[key]
	if !ok {
		return def
	}
	n, ok := pyInt(v)
	if !ok {
		return limit
	}
	if n < 0 {
		n = -n
	}
	return min(n, limit)
}

func (d *decoder) loop(lc map[string]any, path string) *LoopConfig {
	l := &LoopConfig{
		Enable:     true,
		Type:       d.str(lc, "type", path),
		FailSkip:   truthy(lc["fail_skip"]),
		Retryable:  truthy(lc["retryable"]),
		Skippable:  truthy(lc["skippable"]),
		OutputsKey: d.str(lc, "outputs_key", path),
	}
	if v := lc["loop_times"]; v != nil {
		n, ok := pyInt(v)
		if !ok {
			d.fail(pointer(path, "loop_times"), "must be an integer")
		}
		l.LoopTimes = n
	}
	if params := d.object(lc, "loop_params", path); len(params) > 0 {
		l.LoopParams = make(map[string]string, len(params))
		for k := range params {
			l.LoopParams[k] = d.str(params, k, pointer(path, "loop_params"))
		}
	}
	return l
}

func (d *decoder) component(c map[string]any, path string) *WebComponent {
	comp := &WebComponent{
		Code:    d.str(c, "code", path),
		Version: "legacy",
		Data:    map[string]*WebInput{},
		APIMeta: c["api_meta"],
	}
	if v, ok := c["version"]; ok && v != nil {
		comp.Version = d.str(c, "version", path)
	}
	for key, v := range objectAt(c, "data") {
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}
		in := &WebInput{Hook: truthy(m["hook"]), Value: m["value"], IsParam: truthy(m["is_param"]), NeedRender: true}
		if nr, ok := m["need_render"]; ok {
			in.NeedRender = truthy(nr)
			in.needRenderSet = in.NeedRender
		}
		comp.Data[key] = in
	}
	return comp
}

func (d *decoder) gateway(m map[string]any, path string) *WebGateway {
	g := &WebGateway{
		ID:             d.str(m, "id", path),
		Type:           d.str(m, "type", path),
		Name:           d.str(m, "name", path),
		Incoming:       d.flows(m, "incoming", path),
		Outgoing:       d.flows(m, "outgoing", path),
		TemplateNodeID: d.str(m, "template_node_id", path),
	}
	if g.Type != TypeExclusive && g.Type != TypeConditionalParallel {
		return g
	}
	g.Conditions = map[string]*WebCondition{}
	for flowID, v := range objectAt(m, "conditions") {
		c, ok := v.(map[string]any)
		if !ok {
			continue
		}
		cpath := pointer(path, "conditions", flowID)
		g.Conditions[flowID] = &WebCondition{Evaluate: d.str(c, "evaluate", cpath), Name: d.str(c, "name", cpath), Tag: d.str(c, "tag", cpath)}
	}
	if dc := d.object(m, "default_condition", path); len(dc) > 0 {
		dpath := pointer(path, "default_condition")
		if _, ok := dc["flow_id"].(string); !ok {
			d.fail(pointer(dpath, "flow_id"), "must be the id of an outgoing flow")
		}
		g.DefaultCondition = &WebDefaultCondition{FlowID: d.str(dc, "flow_id", dpath), Name: d.str(dc, "name", dpath), Tag: d.str(dc, "tag", dpath)}
	}
	if ei := d.object(m, "extra_info", path); ei != nil {
		g.ParseLang = d.str(ei, "parse_lang", pointer(path, "extra_info"))
	}
	return g
}

func (d *decoder) constants(m map[string]any, path string) map[string]*WebConstant {
	out := make(map[string]*WebConstant, len(m))
	for key, v := range m {
		cpath := pointer(path, key)
		c, ok := v.(map[string]any)
		if !ok {
			d.fail(cpath, "must be an object, not "+JSONType(v))
			continue
		}
		wc := &WebConstant{
			rawKey:        c["key"],
			Name:          d.str(c, "name", cpath),
			Value:         c["value"],
			CustomType:    d.str(c, "custom_type", cpath),
			SourceType:    d.str(c, "source_type", cpath),
			SourceTag:     d.str(c, "source_tag", cpath),
			ShowType:      d.str(c, "show_type", cpath),
			PreRenderMako: truthy(c["pre_render_mako"]),
			NeedRender:    true,
			IsMeta:        truthy(c["is_meta"]),
			Meta:          c["meta"],
			SourceInfo:    map[string][]string{},
		}
		wc.Key, _ = c["key"].(string)
		wc.Desc, _ = c["desc"].(string)
		wc.Validation, _ = c["validation"].(string)
		if wc.SourceType == "" {
			wc.SourceType = SourceCustom
		}
		if wc.ShowType == "" {
			wc.ShowType = ShowTypeHide
		}
		if nr, ok := c["need_render"]; ok {
			wc.NeedRender = truthy(nr)
		}
		for node, keys := range d.object(c, "source_info", cpath) {
			list, ok := keys.([]any)
			if !ok && keys != nil {
				d.fail(pointer(cpath, "source_info", node), "must be a list of keys")
				continue
			}
			ks := make([]string, 0, len(list))
			for _, k := range list {
				s, ok := k.(string)
				if !ok {
					d.fail(pointer(cpath, "source_info", node), "must be a list of keys")
					break
				}
				ks = append(ks, s)
			}
			wc.SourceInfo[node] = ks
		}
		out[key] = wc
	}
	return out
}
