package pipeline

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
)

// ID kinds for NewID and RegenerateIDs' generator.
const (
	KindNode byte = 'n'
	KindFlow byte = 'l'
)

// NewID returns a fresh random id: the kind ('n' for nodes, 'l' for flows)
// followed by 31 hex digits, like bamboo's node_uniqid and line_uniqid.
func NewID(kind byte) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it crashes the program instead)
	s := []byte(hex.EncodeToString(b[:]))
	s[0] = kind
	return string(s)
}

// RegenerateIDs gives every node and flow of a web tree a new id from gen
// (NewID when nil), called once per id in a deterministic order (start, end,
// activities, gateways by old id, then flows by old id), and updates every
// reference: node and flow keys and ids, incoming/outgoing, flow
// source/target, gateway condition keys, default_condition.flow_id,
// converge_gateway_id, constants' source_info, and the canvas's line and
// location entries. Each activity and gateway without a template_node_id
// records its original id there. Embedded subprocess trees are regenerated
// too, each pipeline id set to its node's new id, and the subprocess node's
// own constants' source_info follows the child's new ids.
//
// It returns old id → new id for the tree's own nodes and flows (not those
// of embedded subprocesses). The tree is left unchanged when an error is
// returned: a flow, incoming/outgoing or source_info naming a node or flow
// that does not exist (BKFlow fails the same way), an id used by both a node
// and a flow, or a generator that repeats itself. Canvas line and location
// entries naming ids that do not exist are left as they are (BKFlow fails).
func RegenerateIDs(t Tree, gen func(kind byte) string) (map[string]string, error) {
	return regenerate(t, gen, true)
}

// RegenerateTemplateIDs is RegenerateIDs for a template being saved: the
// same renaming, without recording template_node_id (that records a task
// node's origin in its template).
func RegenerateTemplateIDs(t Tree, gen func(kind byte) string) (map[string]string, error) {
	return regenerate(t, gen, false)
}

func regenerate(t Tree, gen func(kind byte) string, recordOrigins bool) (map[string]string, error) {
	if gen == nil {
		gen = NewID
	}
	plan, err := planRegeneration(t, gen)
	if err != nil {
		return nil, err
	}
	plan.recordOrigins = recordOrigins
	plan.apply()
	return plan.mapping, nil
}

type regeneration struct {
	t        Tree
	nodes    map[string]string
	flows    map[string]string
	mapping  map[string]string
	children map[string]*regeneration // embedded subprocess trees by old node id
	// recordOrigins sets template_node_id on activities and gateways.
	recordOrigins bool
}

func planRegeneration(t Tree, gen func(kind byte) string) (*regeneration, error) {
	r := &regeneration{t: t, nodes: map[string]string{}, flows: map[string]string{}, mapping: map[string]string{}, children: map[string]*regeneration{}}
	used := map[string]bool{}
	fresh := func(kind byte, old string) (string, error) {
		id := gen(kind)
		if id == "" || used[id] {
			return "", fmt.Errorf("pipeline: regenerate ids: the generator returned %q twice (or empty)", id)
		}
		used[id] = true
		r.mapping[old] = id
		return id, nil
	}
	start, end := objectAt(t, "start_event"), objectAt(t, "end_event")
	if start == nil || end == nil {
		return nil, fmt.Errorf("pipeline: regenerate ids: the tree has no start_event or end_event")
	}
	var nodeIDs []string
	for _, ev := range []map[string]any{start, end} {
		id, ok := ev["id"].(string)
		if !ok || id == "" {
			return nil, fmt.Errorf("pipeline: regenerate ids: an event has no id")
		}
		nodeIDs = append(nodeIDs, id)
	}
	acts, gws, flows := objectAt(t, "activities"), objectAt(t, "gateways"), objectAt(t, "flows")
	nodeIDs = append(nodeIDs, sortedKeys(acts)...)
	nodeIDs = append(nodeIDs, sortedKeys(gws)...)
	for _, id := range nodeIDs {
		if _, dup := r.nodes[id]; dup {
			return nil, fmt.Errorf("pipeline: regenerate ids: node id %q is used by more than one node", id)
		}
		nid, err := fresh(KindNode, id)
		if err != nil {
			return nil, err
		}
		r.nodes[id] = nid
	}
	for _, id := range sortedKeys(flows) {
		if _, clash := r.nodes[id]; clash {
			return nil, fmt.Errorf("pipeline: regenerate ids: id %q is used by both a node and a flow", id)
		}
		fid, err := fresh(KindFlow, id)
		if err != nil {
			return nil, err
		}
		r.flows[id] = fid
	}

	// Check every reference before changing anything.
	for _, id := range sortedKeys(flows) {
		f, ok := flows[id].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("pipeline: regenerate ids: flow %s is not an object", id)
		}
		for _, end := range []string{"source", "target"} {
			if _, ok := r.nodes[stringAt(f, end)]; !ok {
				return nil, fmt.Errorf("pipeline: regenerate ids: the %s of flow %s, %q, is not a node", end, id, stringAt(f, end))
			}
		}
	}
	for _, node := range r.nodeObjects() {
		m, ok := node.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("pipeline: regenerate ids: a node is not an object")
		}
		for _, field := range []string{"incoming", "outgoing"} {
			ids, ok := flowList(m[field])
			if !ok {
				return nil, fmt.Errorf("pipeline: regenerate ids: %s of node %v is not a flow list", field, m["id"])
			}
			for _, fid := range ids {
				if _, ok := r.flows[fid]; !ok {
					return nil, fmt.Errorf("pipeline: regenerate ids: node %v refers to flow %s, which does not exist", m["id"], fid)
				}
			}
		}
	}
	for key, c := range objectAt(t, "constants") {
		for node := range objectAt(asObject(c), "source_info") {
			if _, ok := r.nodes[node]; !ok {
				return nil, fmt.Errorf("pipeline: regenerate ids: constant %s: source_info names node %s, which does not exist", key, node)
			}
		}
	}
	for _, id := range sortedKeys(acts) {
		a := asObject(acts[id])
		if child := objectAt(a, "pipeline"); child != nil && stringAt(a, "type") == TypeSubProcess {
			cr, err := planRegeneration(child, gen)
			if err != nil {
				return nil, fmt.Errorf("pipeline: regenerate ids: subprocess %s: %w", id, err)
			}
			r.children[id] = cr
		}
	}
	return r, nil
}

// nodeObjects are the start and end events, activities and gateways.
func (r *regeneration) nodeObjects() []any {
	out := []any{r.t["start_event"], r.t["end_event"]}
	for _, coll := range []string{"activities", "gateways"} {
		m := objectAt(r.t, coll)
		for _, id := range sortedKeys(m) {
			out = append(out, m[id])
		}
	}
	return out
}

func (r *regeneration) node(id string) string {
	if n, ok := r.nodes[id]; ok {
		return n
	}
	return id
}

func (r *regeneration) flow(id string) string {
	if f, ok := r.flows[id]; ok {
		return f
	}
	return id
}

func (r *regeneration) apply() {
	t := r.t
	for _, ev := range []string{"start_event", "end_event"} {
		r.rewriteNode(objectAt(t, ev))
	}
	acts := objectAt(t, "activities")
	newActs := make(map[string]any, len(acts))
	for old, v := range acts {
		a := v.(map[string]any)
		r.rewriteNode(a)
		if r.recordOrigins {
			recordTemplateNodeID(a, old)
		}
		if cr, ok := r.children[old]; ok {
			cr.recordOrigins = r.recordOrigins
			cr.apply()
			cr.t["id"] = r.nodes[old]
			for _, c := range objectAt(a, "constants") {
				if cm := asObject(c); cm != nil {
					if si := objectAt(cm, "source_info"); si != nil {
						cm["source_info"] = renameKeys(si, cr.node)
					}
				}
			}
		}
		newActs[r.nodes[old]] = a
	}
	if acts != nil {
		t["activities"] = newActs
	}
	gws := objectAt(t, "gateways")
	newGws := make(map[string]any, len(gws))
	for old, v := range gws {
		g := v.(map[string]any)
		r.rewriteNode(g)
		if r.recordOrigins {
			recordTemplateNodeID(g, old)
		}
		if conds := objectAt(g, "conditions"); conds != nil {
			g["conditions"] = renameKeys(conds, r.flow)
		}
		if dc := objectAt(g, "default_condition"); dc != nil {
			if fid, ok := dc["flow_id"].(string); ok {
				dc["flow_id"] = r.flow(fid)
			}
		}
		if cid, ok := g["converge_gateway_id"].(string); ok {
			g["converge_gateway_id"] = r.node(cid)
		}
		newGws[r.nodes[old]] = g
	}
	if gws != nil {
		t["gateways"] = newGws
	}
	flows := objectAt(t, "flows")
	newFlows := make(map[string]any, len(flows))
	for old, v := range flows {
		f := v.(map[string]any)
		f["id"] = r.flows[old]
		f["source"] = r.node(stringAt(f, "source"))
		f["target"] = r.node(stringAt(f, "target"))
		newFlows[r.flows[old]] = f
	}
	if flows != nil {
		t["flows"] = newFlows
	}
	for _, c := range objectAt(t, "constants") {
		if cm := asObject(c); cm != nil {
			if si := objectAt(cm, "source_info"); si != nil {
				cm["source_info"] = renameKeys(si, r.node)
			}
		}
	}
	for _, l := range asList(t["line"]) {
		if lm := asObject(l); lm != nil {
			lm["id"] = r.flow(stringAt(lm, "id"))
			for _, end := range []string{"source", "target"} {
				if e := objectAt(lm, end); e != nil {
					e["id"] = r.node(stringAt(e, "id"))
				}
			}
		}
	}
	for _, l := range asList(t["location"]) {
		if lm := asObject(l); lm != nil {
			lm["id"] = r.node(stringAt(lm, "id"))
		}
	}
}

func (r *regeneration) rewriteNode(m map[string]any) {
	if id, ok := m["id"].(string); ok {
		m["id"] = r.node(id)
	}
	mapFlowField(m, "incoming", r.flow)
	mapFlowField(m, "outgoing", r.flow)
}

// recordTemplateNodeID keeps the template's id of a node (BKFlow's
// inject_template_node_id: an existing non-empty one wins).
func recordTemplateNodeID(m map[string]any, old string) {
	if !truthy(m["template_node_id"]) {
		m["template_node_id"] = old
	}
}

func renameKeys(m map[string]any, f func(string) string) map[string]any {
	out := make(map[string]any, len(m))
	keys := sortedKeys(m)
	slices.Reverse(keys) // if two keys map to one, the smallest old key wins
	for _, k := range keys {
		out[f(k)] = m[k]
	}
	return out
}

func asObject(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
