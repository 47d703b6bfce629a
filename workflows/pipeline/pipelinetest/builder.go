// Package pipelinetest builds web-form pipeline trees in Go for tests and
// benchmarks: the same JSON an access system or the canvas sends.
package pipelinetest

import "fmt"

// Tree is a web-form pipeline_tree under construction.
type Tree struct {
	StartID, EndID string
	activities     map[string]map[string]any
	gateways       map[string]map[string]any
	flows          map[string]map[string]any
	constants      map[string]map[string]any
	outputs        []string
	start, end     map[string]any
	nflows         int
}

// New returns a tree with start event "start" and end event "end".
func New() *Tree {
	t := &Tree{StartID: "start", EndID: "end",
		activities: map[string]map[string]any{}, gateways: map[string]map[string]any{},
		flows: map[string]map[string]any{}, constants: map[string]map[string]any{}, outputs: []string{}}
	t.start = map[string]any{"id": "start", "type": "EmptyStartEvent", "name": "start", "incoming": "", "outgoing": ""}
	t.end = map[string]any{"id": "end", "type": "EmptyEndEvent", "name": "end", "incoming": []any{}, "outgoing": ""}
	return t
}

// Activity adds a ServiceActivity running code@version; data values are
// the form values (strings with ${} are rendered).
func (t *Tree) Activity(id, code, version string, data map[string]any) map[string]any {
	d := map[string]any{}
	for k, v := range data {
		d[k] = map[string]any{"hook": false, "value": v}
	}
	a := map[string]any{"id": id, "type": "ServiceActivity", "name": id, "incoming": []any{}, "outgoing": "",
		"component":       map[string]any{"code": code, "version": version, "data": d},
		"error_ignorable": false, "skippable": true, "retryable": true, "optional": true}
	t.activities[id] = a
	return a
}

// Display adds a bk_display node.
func (t *Tree) Display(id string) map[string]any {
	return t.Activity(id, "bk_display", "v1.0", map[string]any{"bk_display_message": id})
}

// Subprocess adds an embedded SubProcess running child, with params
// ({"${key}": value}) for the child's constants.
func (t *Tree) Subprocess(id string, child *Tree, params map[string]any) map[string]any {
	consts := map[string]any{}
	childTree := child.Map()
	childConsts := childTree["constants"].(map[string]any)
	for k, v := range params {
		cc := map[string]any{}
		for ck, cv := range child.constants[k] {
			cc[ck] = cv
		}
		cc["value"] = v
		consts[k] = cc
		childConsts[k] = cc // the embedded tree carries the values the parent sets
	}
	a := map[string]any{"id": id, "type": "SubProcess", "name": id, "incoming": []any{}, "outgoing": "",
		"template_id": "", "version": "", "constants": consts, "pipeline": childTree,
		"error_ignorable": false, "skippable": true, "retryable": true, "optional": true}
	t.activities[id] = a
	return a
}

// Gateway adds a gateway of typ (ExclusiveGateway, ParallelGateway,
// ConditionalParallelGateway or ConvergeGateway).
func (t *Tree) Gateway(id, typ string) map[string]any {
	g := map[string]any{"id": id, "type": typ, "name": id, "incoming": []any{}, "outgoing": []any{}}
	if typ == "ExclusiveGateway" || typ == "ConditionalParallelGateway" {
		g["conditions"] = map[string]any{}
	}
	if typ == "ConvergeGateway" {
		g["outgoing"] = ""
	}
	t.gateways[id] = g
	return g
}

// Link connects from → to and returns the flow id.
func (t *Tree) Link(from, to string) string {
	t.nflows++
	id := fmt.Sprintf("line%d", t.nflows)
	t.flows[id] = map[string]any{"id": id, "source": from, "target": to, "is_default": false}
	t.addOut(from, id)
	t.addIn(to, id)
	return id
}

// Chain links the nodes in order.
func (t *Tree) Chain(ids ...string) {
	for i := 0; i+1 < len(ids); i++ {
		t.Link(ids[i], ids[i+1])
	}
}

// Cond links a conditional gateway to target under evaluate (boolrule).
func (t *Tree) Cond(gw, target, evaluate string) string {
	f := t.Link(gw, target)
	t.gateways[gw]["conditions"].(map[string]any)[f] = map[string]any{"evaluate": evaluate, "name": f}
	return f
}

// Default links gw's default branch to target.
func (t *Tree) Default(gw, target string) string {
	f := t.Link(gw, target)
	t.gateways[gw]["default_condition"] = map[string]any{"flow_id": f, "name": "default"}
	return f
}

// Constant adds a custom variable "${key}" shown at task creation.
func (t *Tree) Constant(key string, value any) {
	t.constants["${"+key+"}"] = map[string]any{"key": "${" + key + "}", "name": key, "value": value,
		"source_type": "custom", "custom_type": "input", "show_type": "show", "source_info": map[string]any{},
		"index": len(t.constants), "desc": ""}
}

// Output hooks output outKey of node to a new variable "${key}".
func (t *Tree) Output(key, node, outKey string) {
	t.constants["${"+key+"}"] = map[string]any{"key": "${" + key + "}", "name": key, "value": "",
		"source_type": "component_outputs", "custom_type": "", "show_type": "hide",
		"source_info": map[string]any{node: []any{outKey}}, "index": len(t.constants), "desc": ""}
}

// Export adds "${key}" to the tree's outputs.
func (t *Tree) Export(keys ...string) {
	for _, k := range keys {
		t.outputs = append(t.outputs, "${"+k+"}")
	}
}

func (t *Tree) node(id string) map[string]any {
	switch {
	case id == t.StartID:
		return t.start
	case id == t.EndID:
		return t.end
	case t.activities[id] != nil:
		return t.activities[id]
	default:
		return t.gateways[id]
	}
}

func (t *Tree) addOut(id, flow string) {
	n := t.node(id)
	switch n["type"] {
	case "ParallelGateway", "ExclusiveGateway", "ConditionalParallelGateway":
		n["outgoing"] = append(n["outgoing"].([]any), flow)
	default:
		n["outgoing"] = flow
	}
}

func (t *Tree) addIn(id, flow string) {
	n := t.node(id)
	n["incoming"] = append(n["incoming"].([]any), flow)
}

// Map returns the tree as a JSON-ready map.
func (t *Tree) Map() map[string]any {
	acts := map[string]any{}
	for k, v := range t.activities {
		acts[k] = v
	}
	gws := map[string]any{}
	for k, v := range t.gateways {
		gws[k] = v
	}
	flows := map[string]any{}
	for k, v := range t.flows {
		flows[k] = v
	}
	consts := map[string]any{}
	for k, v := range t.constants {
		consts[k] = v
	}
	outs := make([]any, len(t.outputs))
	for i, o := range t.outputs {
		outs[i] = o
	}
	return map[string]any{"start_event": t.start, "end_event": t.end, "activities": acts, "gateways": gws,
		"flows": flows, "constants": consts, "outputs": outs}
}

// Linear returns start → n bk_display nodes (n1..nN) → end.
func Linear(n int) *Tree {
	t := New()
	ids := []string{t.StartID}
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("n%d", i)
		t.Display(id)
		ids = append(ids, id)
	}
	t.Chain(append(ids, t.EndID)...)
	return t
}
