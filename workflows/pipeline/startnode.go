package pipeline

import (
	"fmt"
	"slices"
)

// Starting a run part-way: bamboo-engine's validator/api.py
// (get_allowed_start_node_ids, get_skipped_execute_node_ids,
// validate_pipeline_start_node). A run may start on the main line only: not
// inside a parallel block or a subprocess. Unlike the original, which
// recurses without memory (and so never ends on a tree with a loop, and
// lists a node once per path to it), each node is visited once.

// targets lists the nodes a node's outgoing flows lead to, in order.
func (e *Engine) targets(n *Node) []string {
	out := make([]string, 0, len(n.Outgoing))
	for _, f := range n.Outgoing {
		if t := e.Target(f); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// AllowedStartNodeIDs lists the nodes a run may start from, in depth-first
// order from the start event: the start event, activities and gateways
// (not converge gateways) on the main line; parallel blocks are jumped over
// to their converge gateway, subprocesses are not entered.
func (e *Engine) AllowedStartNodeIDs() []string {
	var out []string
	seen := map[string]bool{}
	var walk func(id string)
	walk = func(id string) {
		n, ok := e.Nodes[id]
		if !ok || seen[id] {
			return
		}
		seen[id] = true
		switch n.Type {
		case TypeStart, TypeActivity, TypeExclusive, TypeParallel, TypeConditionalParallel:
			out = append(out, id)
		}
		switch n.Type {
		case TypeStart, TypeActivity, TypeExclusive, TypeConverge, TypeSubProcess:
			for _, t := range e.targets(n) {
				walk(t)
			}
		case TypeParallel, TypeConditionalParallel:
			walk(n.ConvergeGatewayID)
		}
	}
	walk(e.StartID)
	return out
}

// ValidateStartNode returns an error unless a run may start at the node.
func (e *Engine) ValidateStartNode(id string) error {
	if id == e.StartID || slices.Contains(e.AllowedStartNodeIDs(), id) {
		return nil
	}
	return fmt.Errorf("this node_id is not allowed as a starting node: %s", id)
}

// SkippedNodeIDs lists, sorted, the nodes a run starting at startID skips:
// those before it (for a node inside a branch of an exclusive gateway, only
// that branch's way to it).
func (e *Engine) SkippedNodeIDs(startID string) ([]string, error) {
	if err := e.ValidateStartNode(startID); err != nil {
		return nil, err
	}
	if startID == e.StartID {
		return []string{}, nil
	}
	seen := map[string]bool{}
	var walk func(id string) map[string]bool
	walk = func(id string) map[string]bool {
		nodes := map[string]bool{id: true}
		if id == startID {
			return nodes
		}
		n, ok := e.Nodes[id]
		if !ok || seen[id] {
			return map[string]bool{}
		}
		seen[id] = true
		for _, t := range e.targets(n) {
			sub := walk(t)
			if n.Type == TypeExclusive && !sub[startID] && t != startID {
				continue // a branch not leading to the start node
			}
			for k := range sub {
				nodes[k] = true
			}
		}
		delete(nodes, startID)
		if id != startID && e.reaches(id, startID) {
			nodes[startID] = true // keep "leads to the start" visible to the caller
		}
		return nodes
	}
	skipped := walk(e.StartID)
	delete(skipped, startID)
	return sortedKeys(skipped), nil
}

// reaches reports whether node to can be reached from node from.
func (e *Engine) reaches(from, to string) bool {
	seen := map[string]bool{}
	stack := []string{from}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if id == to {
			return true
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		if n, ok := e.Nodes[id]; ok {
			stack = append(stack, e.targets(n)...)
		}
	}
	return false
}
