package pipeline

import "fmt"

// MaxDegree is the most incoming or outgoing flows a node may have.
const MaxDegree = 1000

// connectionRule is bamboo-engine's rule for one node type: its in- and
// out-degree bounds and whether its flows may lead to the end event (no flow
// may lead to the start event).
type connectionRule struct {
	minIn, maxIn, minOut, maxOut int
	toEnd                        bool
}

// allows reports whether a flow of a node under this rule may lead to a node
// of type t.
func (r connectionRule) allows(t string) bool {
	switch t {
	case TypeActivity, TypeSubProcess, TypeParallel, TypeConditionalParallel, TypeExclusive, TypeConverge:
		return r.maxOut > 0
	case TypeEnd:
		return r.toEnd
	}
	return false
}

// ruleFor returns the connection rule of a node type (bamboo_engine
// validator/rules.py).
func ruleFor(t string) connectionRule {
	switch t {
	case TypeStart:
		return connectionRule{0, 0, 1, 1, false}
	case TypeEnd:
		return connectionRule{1, MaxDegree, 0, 0, false}
	case TypeActivity, TypeSubProcess, TypeConverge:
		return connectionRule{1, MaxDegree, 1, 1, true}
	}
	// ExclusiveGateway, ParallelGateway, ConditionalParallelGateway.
	return connectionRule{1, MaxDegree, 1, MaxDegree, true}
}

// checkConnections applies the connection rules to every node and reports
// whether all hold. Unlike bamboo-engine, which checks the degrees inside
// its loop over a node's targets (so a node without outgoing flows escapes
// them), the degrees of every node are checked; and the target-type message
// names the target's type where bamboo-engine repeats the node's own.
func checkConnections(g *graph, ps *problems) bool {
	before := len(ps.list)
	for _, id := range g.nodes {
		t := g.kind[id]
		rule := ruleFor(t)
		for _, fid := range g.outgoing[id] {
			target := g.flowTarget[fid]
			if tt := g.kind[target]; !rule.allows(tt) {
				ps.add(Problem{Code: CodeConnectionTarget, Path: g.path(id), NodeIDs: []string{id, target}, FlowIDs: []string{fid},
					Message: fmt.Sprintf("不能连接%s类型节点 (flows from %s nodes cannot lead to %s nodes)", tt, t, tt)})
			}
		}
		if in := len(g.incoming[id]); in < rule.minIn || in > rule.maxIn {
			ps.add(Problem{Code: CodeConnectionInDegree, Path: g.path(id), NodeIDs: []string{id},
				Message: fmt.Sprintf("节点的入度最大为%d，最小为%d (%s nodes have %s; this one has %d)", rule.maxIn, rule.minIn, t, degreeText(rule.minIn, rule.maxIn, "incoming"), in)})
		}
		if out := len(g.outgoing[id]); out < rule.minOut || out > rule.maxOut {
			ps.add(Problem{Code: CodeConnectionOutDegree, Path: g.path(id), NodeIDs: []string{id},
				Message: fmt.Sprintf("节点的出度最大为%d，最小为%d (%s nodes have %s; this one has %d)", rule.maxOut, rule.minOut, t, degreeText(rule.minOut, rule.maxOut, "outgoing"), out)})
		}
	}
	return len(ps.list) == before
}

func degreeText(lo, hi int, what string) string {
	if lo == hi {
		return fmt.Sprintf("exactly %d %s flow%s", lo, what, plural(lo))
	}
	return fmt.Sprintf("%d to %d %s flows", lo, hi, what)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
