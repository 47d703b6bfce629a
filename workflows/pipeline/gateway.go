package pipeline

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Gateway matching: a port of bamboo-engine's validator/gateway.py
// (validate_gateways, match_converge, distance_from), which finds the
// converge gateway each gateway's branches join at and rejects gateways
// whose branches do not join properly. It keeps the original's structure,
// quirks included, so the two agree on which trees are valid; only the
// iteration order differs (sorted ids where Python follows JSON order).

// The Chinese messages are bamboo-engine's.
const (
	msgGatewayDistance     = "无法获取该网关距离开始节点的距离"
	msgGatewayBranchEscape = "并行网关中的分支网关必须将所有分支汇聚到一个汇聚网关"
	msgGatewayExclusive    = "分支网关的所有分支第一个遇到的汇聚网关必须是同一个"
	msgGatewayInvalid      = "非法网关, 请检查其分支是否符合规则, cur_index: %s, targets: %s"
	msgConvergeShared      = "汇聚网关只能汇聚来自同一个并行网关的分支"
	msgConvergeIncomplete  = "汇聚网关没有汇聚其对应的并行网关的所有分支"
)

// gatewayError is a ConvergeMatchError: the gateway (or converge gateway)
// it blames, and why.
type gatewayError struct {
	id, code, msg string
	related       string // the other gateway involved, if any
}

func newGatewayError(id, code string, related string) *gatewayError {
	e := &gatewayError{id: id, code: code, related: related}
	switch code {
	case CodeGatewayDistance:
		e.msg = msgGatewayDistance + " (the gateway cannot be reached from the start event without going round a loop)"
	case CodeGatewayBranchEscape:
		e.msg = msgGatewayBranchEscape + " (inside a parallel block, every branch of a branch gateway must join at one converge gateway: none may end, loop back out of the block or skip the converge)"
	case CodeGatewayExclusive:
		e.msg = msgGatewayExclusive + " (the first converge gateway each branch of the branch gateway reaches must be the same one)"
	case CodeConvergeShared:
		e.msg = msgConvergeShared + " (the converge gateway joins branches of more than one parallel gateway)"
	case CodeConvergeIncomplete:
		e.msg = msgConvergeIncomplete + " (the parallel gateway has more branches than its converge gateway has incoming flows)"
	}
	return e
}

// gwNode is the working record of one gateway.
type gwNode struct {
	id, kind string
	incoming []string // flow ids
	// target holds, per outgoing flow, the first node that is not an
	// activity; matching rewrites it. "" stands for Python's None.
	target        []string
	match         string
	shareConverge bool
	convergeEnd   bool
}

type gatewayMatcher struct {
	converges     map[string]*gwNode
	gateways      map[string]*gwNode
	end           string
	dist          map[string]int
	convergeInLen map[string]int
	converged     map[string][]string // converge id → gateways matched to it
	blockNodes    map[string]map[string]bool
}

// matchGateways runs gateway matching over a connection-valid graph and
// returns each gateway's converge gateway (gateways without one absent).
func matchGateways(g *graph, ps *problems) (map[string]string, bool) {
	m, err := newGatewayMatcher(g)
	if err == nil {
		err = m.run()
	}
	if err != nil {
		ps.add(gatewayProblem(g, err))
		return nil, false
	}
	out := map[string]string{}
	for id, gw := range m.gateways {
		if gw.match != "" {
			out[id] = gw.match
		}
	}
	return out, true
}

func gatewayProblem(g *graph, e *gatewayError) Problem {
	p := Problem{Code: e.code, Path: g.path(e.id), NodeIDs: []string{e.id}, Message: e.msg}
	if e.related != "" && e.related != e.id {
		p.NodeIDs = append(p.NodeIDs, e.related)
	}
	return p
}

// newGatewayMatcher prepares the records (validate_gateways' data
// preparation): each gateway's first non-activity targets and its longest
// distance from the start event.
func newGatewayMatcher(g *graph) (*gatewayMatcher, *gatewayError) {
	m := &gatewayMatcher{
		converges: map[string]*gwNode{}, gateways: map[string]*gwNode{}, end: g.end,
		dist: map[string]int{}, convergeInLen: map[string]int{},
		converged: map[string][]string{}, blockNodes: map[string]map[string]bool{},
	}
	var all []*gwNode
	for _, id := range g.nodes {
		kind := g.kind[id]
		if !isGateway(kind) {
			continue
		}
		n := &gwNode{id: id, kind: kind, incoming: g.incoming[id]}
		for _, fid := range g.outgoing[id] {
			t, err := g.skipActivities(g.flowTarget[fid])
			if err != nil {
				return nil, err
			}
			n.target = append(n.target, t)
		}
		if d, ok := g.distanceFrom(id, m.dist, map[string]bool{}); !ok || d == 0 {
			return nil, newGatewayError(id, CodeGatewayDistance, "")
		}
		if kind == TypeConverge {
			m.converges[id] = n
		} else {
			m.gateways[id] = n
		}
		all = append(all, n)
	}
	for _, n := range all {
		for _, t := range n.target {
			if _, ok := m.converges[t]; ok && m.dist[t] > m.dist[n.id] {
				m.convergeInLen[t]++
			}
		}
	}
	return m, nil
}

// skipActivities follows activities from a node to the first node that is
// not one. bamboo-engine loops forever on activities that form a cycle
// without a gateway; this reports them.
func (g *graph) skipActivities(id string) (string, *gatewayError) {
	seen := map[string]bool{}
	for isActivity(g.kind[id]) {
		if seen[id] {
			cycle := sortedKeys(seen)
			return "", &gatewayError{id: cycle[0], code: CodeActivityCycle,
				msg: "activities loop back to each other without a gateway: " + strings.Join(cycle, ", ") + " (the flow could never leave the loop)"}
		}
		seen[id] = true
		id = g.flowTarget[g.outgoing[id][0]]
	}
	return id, nil
}

// distanceFrom is the longest distance from the start event to a node,
// ignoring edges that close a cycle on the current search path (bamboo's
// distance_from, memoised in marked, visited shared by one search).
func (g *graph) distanceFrom(node string, marked map[string]int, visited map[string]bool) (int, bool) {
	if d, ok := marked[node]; ok {
		return d, true
	}
	if node == g.start {
		return 0, true
	}
	if visited[node] {
		return 0, false
	}
	visited[node] = true
	best, found := 0, false
	for _, fid := range g.incoming[node] {
		if d, ok := g.distanceFrom(g.flowSource[fid], marked, visited); ok && (!found || d+1 > best) {
			best, found = d+1, true
		}
	}
	if !found {
		return 0, false
	}
	marked[node] = best
	return best, true
}

// run matches the gateways in order of distance from the start event.
func (m *gatewayMatcher) run() *gatewayError {
	order := make([]string, 0, len(m.gateways))
	for id := range m.gateways {
		order = append(order, id)
	}
	slices.SortFunc(order, func(a, b string) int { return cmp.Or(cmp.Compare(m.dist[a], m.dist[b]), strings.Compare(a, b)) })
	for _, id := range order {
		m.blockNodes[id] = map[string]bool{}
		var stack []*gwNode
		if _, _, err := m.matchConverge(id, id, &stack); err != nil {
			return err
		}
	}
	return nil
}

func (m *gatewayMatcher) matchedInPrevBlocks(id, currentStart string) bool {
	for start, nodes := range m.blockNodes {
		if start != currentStart && nodes[id] {
			return true
		}
	}
	return false
}

// notInParallel reports whether no parallel gateway is on the stack from
// startFrom (or the bottom) up.
func notInParallel(stack []*gwNode, startFrom string) bool {
	start := 0
	if startFrom != "" {
		for i, g := range stack {
			if g.id == startFrom {
				start = i
				break
			}
		}
	}
	for _, g := range stack[start:] {
		if isParallel(g.kind) {
			return false
		}
	}
	return true
}

// canShared reports whether the current gateway may share a converge gateway
// with the gateways already matched to it.
func (m *gatewayMatcher) canShared(current, convergeID string) bool {
	if !isParallel(m.gateways[current].kind) {
		return true
	}
	for _, id := range m.converged[convergeID] {
		if id != current && isParallel(m.gateways[id].kind) {
			return false
		}
	}
	return true
}

// matchConverge finds the converge gateway of gateway cur (match_converge).
func (m *gatewayMatcher) matchConverge(cur, blockStart string, stack *[]*gwNode) (string, bool, *gatewayError) {
	g, ok := m.gateways[cur]
	if !ok {
		return "", false, nil
	}
	if g.match != "" {
		return g.match, g.shareConverge, nil
	}
	target := g.target
	*stack = append(*stack, g)
	onStack := map[string]bool{}
	for _, s := range *stack {
		onStack[s.id] = true
	}
	for i := range target {
		if m.matchedInPrevBlocks(target[i], blockStart) {
			target[i] = ""
			continue
		}
		m.blockNodes[blockStart][target[i]] = true
		for hops := 0; ; hops++ {
			t := target[i]
			if hops > len(m.gateways)+len(m.converges) {
				// bamboo-engine loops forever here: converge gateways lead back
				// to gateways already matched, round and round.
				return "", false, &gatewayError{id: cur, code: CodeGatewayInvalid,
					msg: fmt.Sprintf(msgGatewayInvalid, cur, pyList(target)) + " (a branch of the gateway goes round a loop of gateways forever)"}
			}
			if _, isGw := m.gateways[t]; !isGw || t == g.id {
				break
			}
			if onStack[t] {
				if notInParallel(*stack, t) {
					target[i] = "" // back to a gateway being matched: do not trace back
					break
				}
				return "", false, newGatewayError(cur, CodeGatewayBranchEscape, "")
			}
			convergeID, shared, err := m.matchConverge(t, blockStart, stack)
			if err != nil {
				return "", false, err
			}
			if convergeID == "" {
				// no converge: the nested gateway's branches reach the end
				target[i] = m.end
				continue
			}
			target[i] = convergeID
			if !shared || !m.canShared(cur, convergeID) {
				// continue after a converge gateway not shared with us
				if c := m.converges[convergeID]; c != nil && len(c.target) > 0 {
					target[i] = c.target[0]
				}
			}
		}
		if _, ok := m.converges[target[i]]; ok && m.dist[target[i]] < m.dist[cur] {
			target[i] = "" // a converge gateway before this one: not ours
		}
	}
	*stack = (*stack)[:len(*stack)-1]

	isExg := g.kind == TypeExclusive
	convergeID := ""
	shared := false
	curToConverge := len(target)
	convergeEnd := false
	for _, t := range target {
		_, isConverge := m.converges[t]
		switch {
		case isConverge && convergeID == "":
			convergeID = t
		case isConverge && convergeID == t:
		case isExg && t == m.end:
			if !notInParallel(*stack, "") {
				return "", false, newGatewayError(cur, CodeGatewayBranchEscape, "")
			}
			convergeEnd = true
		case isExg && t == g.id:
			curToConverge-- // loops back to itself
		case isExg && isConverge && convergeID != t:
			return "", false, newGatewayError(cur, CodeGatewayExclusive, "")
		case isExg && t == "":
			curToConverge-- // goes back to an earlier node
		default:
			return "", false, &gatewayError{id: cur, code: CodeGatewayInvalid,
				msg: fmt.Sprintf(msgGatewayInvalid, cur, pyList(target)) + " (a parallel gateway's branches must all join at one converge gateway, and a branch gateway's branches must join at one, end, or loop back)"}
		}
	}

	if isExg {
		if _, ok := m.converges[convergeID]; ok {
			_, already := m.converged[convergeID]
			shared = m.convergeInLen[convergeID] > curToConverge || already
		}
	} else {
		c := m.converges[convergeID]
		if c == nil {
			return "", false, &gatewayError{id: cur, code: CodeGatewayInvalid,
				msg: fmt.Sprintf(msgGatewayInvalid, cur, pyList(target)) + " (a parallel gateway's branches must all join at one converge gateway)"}
		}
		switch in, out := len(c.incoming), len(target); {
		case in > out:
			for _, id := range m.converged[convergeID] {
				if isParallel(m.gateways[id].kind) {
					return "", false, newGatewayError(convergeID, CodeConvergeShared, cur)
				}
			}
			shared = true
		case in < out:
			return "", false, newGatewayError(convergeID, CodeConvergeIncomplete, cur)
		}
	}

	g.match = convergeID
	g.shareConverge = shared
	g.convergeEnd = convergeEnd
	m.converged[convergeID] = append(m.converged[convergeID], g.id)
	m.blockNodes[blockStart][g.id] = true
	return convergeID, shared, nil
}

// pyList renders targets as Python prints a list of str/None.
func pyList(ids []string) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		if id == "" {
			parts[i] = "None"
		} else {
			parts[i] = "'" + id + "'"
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
