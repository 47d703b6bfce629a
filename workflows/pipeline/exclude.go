package pipeline

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// ExcludeOptional removes optional activities from a web tree before a task
// is created from it, as BKFlow's preview does
// (preview_pipeline_tree_exclude_task_nodes):
//
//   - each excluded node's incoming flows are reconnected to its successor,
//     and its outgoing flow, canvas line and location removed;
//   - parallel gateways whose branches became direct links to their converge
//     gateway lose those branches, and a parallel/converge pair left with no
//     branch at all is removed, its incoming flows reconnected to what
//     followed the converge (conditional parallel gateways are kept);
//   - constants no longer referenced, directly or through other constants,
//     by a node's inputs, a subprocess's shown constants or a gateway
//     condition are dropped (output constants are kept, minus the excluded
//     nodes' source_info entries), outputs follow, and the kept constants'
//     index is renumbered from 0.
//
// With no ids it still prunes unreferenced constants, as BKFlow's preview
// does. It returns the keys of the constants dropped, sorted. On error the
// tree is unchanged; excluding a node that is not an optional activity is an
// error ("task node[id=<id>] is not optional").
func ExcludeOptional(t Tree, nodeIDs []string) ([]string, error) {
	work := CloneTree(t)
	acts := objectAt(work, "activities")
	var excluded []string
	for _, id := range nodeIDs {
		if slices.Contains(excluded, id) {
			continue
		}
		a := asObject(acts[id])
		if a == nil {
			return nil, fmt.Errorf("task node[id=%s] is not in template pipeline tree", id)
		}
		if !truthy(a["optional"]) {
			return nil, fmt.Errorf("task node[id=%s] is not optional", id)
		}
		excluded = append(excluded, id)
	}
	x := &excluder{t: work}
	for _, id := range excluded {
		if err := x.ignoreActivity(id); err != nil {
			return nil, err
		}
	}
	if err := x.removeUselessParallels(); err != nil {
		return nil, err
	}
	x.writeCanvas()
	dropped := x.removeUnreferencedConstants(excluded)
	for k := range t {
		delete(t, k)
	}
	for k, v := range work {
		t[k] = v
	}
	return dropped, nil
}

type excluder struct {
	t                Tree
	removedLines     map[string]bool
	removedLocations map[string]bool
	retargetedLines  map[string]string // flow id → new target node id
}

func (x *excluder) flows() map[string]any { return objectAt(x.t, "flows") }

func (x *excluder) removeLine(flowID string) {
	if x.removedLines == nil {
		x.removedLines = map[string]bool{}
	}
	x.removedLines[flowID] = true
}

func (x *excluder) removeLocation(nodeID string) {
	if x.removedLocations == nil {
		x.removedLocations = map[string]bool{}
	}
	x.removedLocations[nodeID] = true
}

func (x *excluder) retargetLine(flowID, target string) {
	if x.retargetedLines == nil {
		x.retargetedLines = map[string]string{}
	}
	x.retargetedLines[flowID] = target
}

// node returns the activity, gateway or (as BKFlow falls back to) end event
// with the given id.
func (x *excluder) node(id string) map[string]any {
	if a := asObject(objectAt(x.t, "activities")[id]); a != nil {
		return a
	}
	if g := asObject(objectAt(x.t, "gateways")[id]); g != nil {
		return g
	}
	return objectAt(x.t, "end_event")
}

// flow returns an existing flow or an error.
func (x *excluder) flow(id string) (map[string]any, error) {
	f := asObject(x.flows()[id])
	if f == nil {
		return nil, fmt.Errorf("pipeline: exclude nodes: flow %s does not exist", id)
	}
	return f, nil
}

// ignoreActivity removes an activity, linking its incoming flows to its
// successor (_ignore_act).
func (x *excluder) ignoreActivity(id string) error {
	acts := objectAt(x.t, "activities")
	act := asObject(acts[id])
	delete(acts, id)
	incoming, ok := flowList(act["incoming"])
	if !ok {
		return fmt.Errorf("pipeline: exclude nodes: node %s has an invalid incoming", id)
	}
	outs, ok := flowList(act["outgoing"])
	if !ok || len(outs) != 1 {
		return fmt.Errorf("pipeline: exclude nodes: node %s must have exactly one outgoing flow", id)
	}
	out, err := x.flow(outs[0])
	if err != nil {
		return err
	}
	next := x.node(stringAt(out, "target"))
	if next == nil {
		return fmt.Errorf("pipeline: exclude nodes: the successor of node %s does not exist", id)
	}
	if err := replaceIncoming(next, outs[0], incoming); err != nil {
		return err
	}
	nextID := stringAt(next, "id")
	for _, in := range incoming {
		f, err := x.flow(in)
		if err != nil {
			return err
		}
		f["target"] = nextID
		x.retargetLine(in, nextID)
	}
	delete(x.flows(), outs[0])
	x.removeLocation(id)
	x.removeLine(outs[0])
	return nil
}

// replaceIncoming replaces flow old in a node's incoming with the flows
// in (_replace_node_incoming).
func replaceIncoming(node map[string]any, old string, in []string) error {
	if list, ok := node["incoming"].([]any); ok {
		i := slices.Index(list, any(old))
		if i < 0 {
			return fmt.Errorf("pipeline: exclude nodes: flow %s is not an incoming flow of node %v", old, node["id"])
		}
		list = slices.Delete(list, i, i+1)
		for _, f := range in {
			list = append(list, f)
		}
		node["incoming"] = list
		return nil
	}
	if len(in) == 1 {
		node["incoming"] = in[0]
		return nil
	}
	list := make([]any, len(in))
	for i, f := range in {
		list[i] = f
	}
	node["incoming"] = list
	return nil
}

// removeUselessParallels drops the branches of parallel gateways that lead
// straight to their converge gateway, and pairs left without branches
// (_remove_useless_parallel).
func (x *excluder) removeUselessParallels() error {
	converged, err := convergedGateways(x.t)
	if err != nil {
		return err
	}
	gws := objectAt(x.t, "gateways")
	for {
		count := len(gws)
		for _, cid := range sortedKeys(converged) {
			for _, gid := range converged[cid] {
				gw := asObject(gws[gid])
				if gw == nil || stringAt(gw, "type") != TypeParallel {
					continue
				}
				if err := x.tryIgnoreParallel(gw, cid); err != nil {
					return err
				}
			}
		}
		if len(gws) == count {
			return nil
		}
	}
}

// convergedGateways runs gateway matching on a tree and returns, per
// converge gateway, the gateways matched to it: none when the tree's
// structure or connections are broken, an error when its gateways do not
// match (as BKFlow's preview fails).
func convergedGateways(t Tree) (map[string][]string, error) {
	var ps problems
	d := &decoder{ps: &ps}
	w := d.tree(t, "")
	if !ps.empty() {
		return nil, nil
	}
	g := checkStructure(w, "", &ps)
	if !g.sound || !checkConnections(g, &ps) {
		// Nothing sensible to trim; validating the tree will say what is wrong.
		return nil, nil
	}
	m, gerr := newGatewayMatcher(g)
	if gerr == nil {
		gerr = m.run()
	}
	if gerr != nil {
		return nil, fmt.Errorf("pipeline: exclude nodes: the tree left is invalid: %w", &ValidationError{Problems: []Problem{gatewayProblem(g, gerr)}})
	}
	out := map[string][]string{}
	for cid, ids := range m.converged {
		if cid != "" {
			out[cid] = ids
		}
	}
	return out, nil
}

// asFlowList makes an incoming/outgoing field a list and returns it.
func asFlowList(node map[string]any, field string) []any {
	switch v := node[field].(type) {
	case []any:
		return v
	case string:
		if v == "" {
			node[field] = []any{}
		} else {
			node[field] = []any{v}
		}
	default:
		node[field] = []any{}
	}
	return node[field].([]any)
}

func removeFlowFrom(node map[string]any, field, flowID string) {
	list := asFlowList(node, field)
	if i := slices.Index(list, any(flowID)); i >= 0 {
		node[field] = slices.Delete(list, i, i+1)
	}
}

func (x *excluder) tryIgnoreParallel(parallel map[string]any, convergeID string) error {
	gws := objectAt(x.t, "gateways")
	converge := asObject(gws[convergeID])
	if converge == nil {
		return nil
	}
	whole := true
	for _, o := range slices.Clone(asFlowList(parallel, "outgoing")) {
		fid, _ := o.(string)
		f, err := x.flow(fid)
		if err != nil {
			return err
		}
		if stringAt(f, "target") != convergeID {
			whole = false
			continue
		}
		removeFlowFrom(converge, "incoming", fid)
		removeFlowFrom(parallel, "outgoing", fid)
		delete(x.flows(), fid)
		x.removeLine(fid)
	}
	if !whole {
		return nil
	}
	outs, ok := flowList(converge["outgoing"])
	if !ok || len(outs) != 1 {
		return fmt.Errorf("pipeline: exclude nodes: converge gateway %s must have exactly one outgoing flow", convergeID)
	}
	out, err := x.flow(outs[0])
	if err != nil {
		return err
	}
	after := stringAt(out, "target")
	next := x.node(after)
	x.removeLine(outs[0])
	delete(x.flows(), outs[0])
	var newIncoming []string
	parallelIn, _ := flowList(parallel["incoming"])
	convergeIn, _ := flowList(converge["incoming"])
	for _, in := range append(convergeIn, parallelIn...) {
		f, err := x.flow(in)
		if err != nil {
			return err
		}
		f["target"] = after
		x.retargetLine(in, after)
		newIncoming = append(newIncoming, in)
	}
	if err := replaceIncoming(next, outs[0], newIncoming); err != nil {
		return err
	}
	delete(gws, stringAt(parallel, "id"))
	delete(gws, convergeID)
	x.removeLocation(stringAt(parallel, "id"))
	x.removeLocation(convergeID)
	return nil
}

// writeCanvas applies the line and location changes to the canvas lists.
func (x *excluder) writeCanvas() {
	if lines, ok := x.t["line"].([]any); ok {
		kept := lines[:0:0]
		for _, l := range lines {
			lm := asObject(l)
			if lm != nil && x.removedLines[stringAt(lm, "id")] {
				continue
			}
			if lm != nil {
				if target, ok := x.retargetedLines[stringAt(lm, "id")]; ok {
					if tm := objectAt(lm, "target"); tm != nil {
						tm["id"] = target
					}
				}
			}
			kept = append(kept, l)
		}
		x.t["line"] = kept
	}
	if locs, ok := x.t["location"].([]any); ok {
		kept := locs[:0:0]
		for _, l := range locs {
			if lm := asObject(l); lm != nil && x.removedLocations[stringAt(lm, "id")] {
				continue
			}
			kept = append(kept, l)
		}
		x.t["location"] = kept
	}
}

// removeUnreferencedConstants keeps the constants still referenced and
// returns the keys of the others (_remove_useless_constants).
func (x *excluder) removeUnreferencedConstants(excluded []string) []string {
	consts := objectAt(x.t, "constants")
	var roots []any
	acts := objectAt(x.t, "activities")
	for _, id := range sortedKeys(acts) {
		a := asObject(acts[id])
		if stringAt(a, "type") == TypeSubProcess {
			for _, c := range objectAt(a, "constants") {
				if cm := asObject(c); cm != nil && cm["show_type"] == ShowTypeShow {
					roots = append(roots, cm["value"])
				}
			}
			continue
		}
		comp := objectAt(a, "component")
		data := objectAt(comp, "data")
		for _, in := range data {
			roots = append(roots, asObject(in)["value"])
		}
		if stringAt(comp, "code") == "value_assign" {
			// value_assign assigns to the variables its assignments name.
			for _, as := range asList(asObject(data["bk_assignment_list"])["value"]) {
				if k, ok := asObject(as)["key"].(string); ok {
					if !strings.HasPrefix(k, "${") {
						k = "${" + k + "}"
					}
					roots = append(roots, k)
				}
			}
		}
	}
	gws := objectAt(x.t, "gateways")
	for _, id := range sortedKeys(gws) {
		g := asObject(gws[id])
		if t := stringAt(g, "type"); t == TypeExclusive || t == TypeConditionalParallel {
			for _, c := range objectAt(g, "conditions") {
				roots = append(roots, asObject(c)["evaluate"])
			}
		}
	}

	keep := map[string]bool{}
	queue := References(roots)
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		c, ok := consts[k]
		if !ok || keep[k] {
			continue
		}
		keep[k] = true
		queue = append(queue, References(asObject(c)["value"])...)
	}
	for k, c := range consts {
		if asObject(c)["source_type"] == SourceComponentOutputs {
			keep[k] = true
		}
	}

	if outs, ok := x.t["outputs"].([]any); ok {
		kept := []any{}
		for _, o := range outs {
			if s, ok := o.(string); ok && keep[s] {
				kept = append(kept, o)
			}
		}
		x.t["outputs"] = kept
	}

	keys := sortedKeys(keep)
	slices.SortStableFunc(keys, func(a, b string) int {
		return cmp.Compare(constantIndex(consts[a]), constantIndex(consts[b]))
	})
	newConsts := make(map[string]any, len(keys))
	for i, k := range keys {
		c := asObject(consts[k])
		if c != nil {
			c["index"] = jsonInt(i)
			if si := objectAt(c, "source_info"); si != nil {
				for _, id := range excluded {
					delete(si, id)
				}
			}
		}
		newConsts[k] = consts[k]
	}
	var dropped []string
	for _, k := range sortedKeys(consts) {
		if !keep[k] {
			dropped = append(dropped, k)
		}
	}
	if consts != nil {
		x.t["constants"] = newConsts
	}
	return dropped
}

// constantIndex is a constant's display index (+Inf when it has none).
func constantIndex(c any) float64 {
	switch v := asObject(c)["index"].(type) {
	case json.Number:
		if f, err := v.Float64(); err == nil {
			return f
		}
	case string:
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
	}
	return math.Inf(1)
}
