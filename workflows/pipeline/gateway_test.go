package pipeline

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// Ports of bamboo-engine's tests/validator (cases.py, test_gateway.py).

const (
	startID = "start_event_id"
	endID   = "end_event_id"
)

func actN(i int) string { return fmt.Sprintf("act_%d", i) }
func egN(i int) string  { return fmt.Sprintf("eg_%d", i) }
func pgN(i int) string  { return fmt.Sprintf("pg_%d", i) }
func cgN(i int) string  { return fmt.Sprintf("cg_%d", i) }

// flowValidCase is cases.py's flow_valid_case.
func flowValidCase() Tree {
	start, end := bStart(startID), bEnd(endID)
	acts := map[int]*bnode{}
	for i := 1; i <= 20; i++ {
		acts[i] = bAct(actN(i))
	}
	pgs := map[int]*bnode{1: bPG(pgN(1)), 2: bPG(pgN(2)), 3: bCPG(pgN(3))}
	egs := map[int]*bnode{}
	for i := 1; i <= 8; i++ {
		egs[i] = bEG(egN(i))
	}
	cgs := map[int]*bnode{}
	for i := 1; i <= 4; i++ {
		cgs[i] = bCG(cgN(i))
	}
	start.extend(acts[1]).extend(pgs[1]).connect(pgs[2], acts[5], acts[6])
	pgs[2].connect(acts[2], acts[3], acts[4]).converge(cgs[1]).extend(acts[7]).extend(egs[1]).connect(pgs[2], cgs[3])
	acts[5].extend(egs[7]).connect(cgs[3], acts[8]).to(acts[8]).extend(egs[8]).connect(acts[8], acts[11]).to(acts[11]).extend(cgs[3])
	acts[6].extend(egs[2]).connect(acts[9], acts[10]).converge(cgs[2]).extend(acts[12]).extend(egs[6]).connect(acts[6], cgs[3], cgs[2]).to(egs[2]).connect(acts[6])
	cgs[3].extend(acts[13]).extend(egs[3]).connect(end, acts[14], pgs[3], acts[1])
	acts[14].extend(egs[4]).connect(acts[13], cgs[4])
	pgs[3].connect(acts[15], acts[16], acts[17]).to(acts[15]).extend(acts[18]).extend(cgs[4]).to(acts[17]).extend(egs[5]).connect(acts[19], acts[20]).to(acts[19]).extend(cgs[4]).to(acts[20]).extend(cgs[4]).to(acts[16]).extend(cgs[4]).extend(end)
	return build(start)
}

// graphOf decodes a tree without the schema and indexes it.
func graphOf(t *testing.T, tree Tree) (*Web, *graph) {
	t.Helper()
	var ps problems
	w := (&decoder{ps: &ps}).tree(tree, "")
	require.True(t, ps.empty(), "%v", ps.err())
	g := checkStructure(w, "", &ps)
	require.True(t, ps.empty(), "%v", ps.err())
	require.True(t, checkConnections(g, &ps), "%v", ps.err())
	return w, g
}

func TestFlowValidCase(t *testing.T) {
	tree := flowValidCase()

	// outgoing_assert: the builder reproduces the case's shape.
	outgoing := map[string][]string{
		startID: {actN(1)}, actN(1): {pgN(1)}, pgN(1): {pgN(2), actN(5), actN(6)},
		pgN(2): {actN(2), actN(3), actN(4)}, actN(2): {cgN(1)}, actN(3): {cgN(1)}, actN(4): {cgN(1)},
		cgN(1): {actN(7)}, actN(7): {egN(1)}, egN(1): {pgN(2), cgN(3)}, actN(5): {egN(7)},
		egN(7): {cgN(3), actN(8)}, actN(8): {egN(8)}, egN(8): {actN(8), actN(11)}, actN(11): {cgN(3)},
		actN(6): {egN(2)}, egN(2): {actN(9), actN(10), actN(6)}, actN(9): {cgN(2)}, actN(10): {cgN(2)},
		cgN(2): {actN(12)}, actN(12): {egN(6)}, egN(6): {actN(6), cgN(3), cgN(2)}, cgN(3): {actN(13)},
		actN(13): {egN(3)}, egN(3): {endID, actN(14), pgN(3), actN(1)}, actN(14): {egN(4)},
		egN(4): {actN(13), cgN(4)}, pgN(3): {actN(15), actN(16), actN(17)}, actN(15): {actN(18)},
		actN(18): {cgN(4)}, actN(16): {cgN(4)}, actN(17): {egN(5)}, egN(5): {actN(19), actN(20)},
		actN(19): {cgN(4)}, actN(20): {cgN(4)}, cgN(4): {endID}, endID: {},
	}
	_, g := graphOf(t, CloneTree(tree))
	for id, want := range outgoing {
		require.ElementsMatch(t, want, g.targets(id), id)
	}

	// test_distance_from_start, shared memo and fresh memo.
	distance := map[string]int{
		cgN(1): 5, cgN(2): 6, cgN(3): 9, cgN(4): 16, egN(1): 7, egN(2): 4, egN(3): 11, egN(4): 13,
		egN(5): 14, egN(6): 8, egN(7): 4, egN(8): 6, pgN(1): 2, pgN(2): 3, pgN(3): 12,
	}
	marked := map[string]int{}
	for _, id := range g.nodes {
		if isGateway(g.kind[id]) {
			g.distanceFrom(id, marked, map[string]bool{})
		}
	}
	for id, want := range distance {
		require.Equal(t, want, marked[id], id)
		d, ok := g.distanceFrom(id, map[string]int{}, map[string]bool{})
		require.True(t, ok)
		require.Equal(t, want, d, id)
	}

	// test_validate_gateway: converged sets and converge ids.
	m, err := newGatewayMatcher(g)
	require.Nil(t, err)
	require.Nil(t, m.run())
	converged := map[string][]string{
		cgN(1): {pgN(2)},
		cgN(2): {egN(2)},
		cgN(3): {pgN(1), egN(1), egN(7), egN(8), egN(6)},
		cgN(4): {pgN(3), egN(3), egN(4), egN(5)},
	}
	for cid, want := range converged {
		require.ElementsMatch(t, want, m.converged[cid], cid)
	}
	match := map[string]string{
		egN(1): cgN(3), egN(2): cgN(2), egN(3): cgN(4), egN(4): cgN(4), egN(5): cgN(4), egN(6): cgN(3),
		egN(7): cgN(3), egN(8): cgN(3), pgN(1): cgN(3), pgN(2): cgN(1), pgN(3): cgN(4),
	}
	convergeEnd := map[string]bool{egN(3): true}
	for id, want := range match {
		require.Equal(t, want, m.gateways[id].match, id)
		require.Equal(t, convergeEnd[id], m.gateways[id].convergeEnd, id)
	}

	// test_validate_stream.
	streams := map[string]string{
		startID: "main", actN(1): "main", pgN(1): "main", pgN(2): "pg_1_0", actN(2): "pg_2_0",
		actN(3): "pg_2_1", actN(4): "pg_2_2", cgN(1): "pg_1_0", actN(7): "pg_1_0", egN(1): "pg_1_0",
		actN(5): "pg_1_1", egN(7): "pg_1_1", actN(8): "pg_1_1", egN(8): "pg_1_1", actN(11): "pg_1_1",
		actN(6): "pg_1_2", egN(2): "pg_1_2", actN(9): "pg_1_2", actN(10): "pg_1_2", cgN(2): "pg_1_2",
		actN(12): "pg_1_2", egN(6): "pg_1_2", cgN(3): "main", actN(13): "main", egN(3): "main",
		actN(14): "main", egN(4): "main", pgN(3): "main", actN(15): "pg_3_0", actN(18): "pg_3_0",
		actN(16): "pg_3_1", actN(17): "pg_3_2", egN(5): "pg_3_2", actN(19): "pg_3_2", actN(20): "pg_3_2",
		cgN(4): "main", endID: "main",
	}
	c, serr := computeStreams(g, m.matches())
	require.Nil(t, serr)
	for id, want := range streams {
		require.Equal(t, map[string]bool{want: true}, c.streams[id], id)
	}

	// And the whole tree through the parser.
	p := newTestParser(t)
	w, perr := p.ParseTree(tree)
	require.NoError(t, perr)
	require.NoError(t, Validate(w))
	for id, want := range match {
		require.Equal(t, want, w.Gateways[id].ConvergeGatewayID, id)
	}
}

func (m *gatewayMatcher) matches() map[string]string {
	out := map[string]string{}
	for id, g := range m.gateways {
		if g.match != "" {
			out[id] = g.match
		}
	}
	return out
}

// flowValidEdgeCase2 is flow_valid_edge_case_2 with one change: its last
// flow, keyed 76casdgd..., carried the id of another flow, which Validate
// rejects (id_mismatch) and bamboo-engine ignores.
func flowValidEdgeCase2() Tree {
	flow := func(id, source, target string) map[string]any {
		return map[string]any{"is_default": false, "source": source, "target": target, "id": id}
	}
	act := func(id, in, out string) map[string]any {
		return map[string]any{
			"component": map[string]any{"inputs": map[string]any{}, "code": nil}, "outgoing": out,
			"incoming": []any{in}, "name": nil, "error_ignorable": false, "type": "ServiceActivity", "id": id, "optional": false,
		}
	}
	return Tree{
		"activities": map[string]any{
			"act_1": act("act_1", "3fc89273786a36b8a6e7beac8301274d", "82b12b6aae533e55bdcc5bccfb014c2d"),
			"act_2": act("act_2", "76caeed0e6053fea9db84a89f56a74a8", "3368add44347310eaef1f26f25909026"),
		},
		"end_event": map[string]any{"type": "EmptyEndEvent", "outgoing": "", "incoming": []any{"05f91b45a15b37d7b0c96d3ff94bff80"}, "id": "end_event_id", "name": nil},
		"flows": map[string]any{
			"27a9cdeaef623d37834ac6917d05eac5": flow("27a9cdeaef623d37834ac6917d05eac5", "start_event_id", "pg_1"),
			"82b12b6aae533e55bdcc5bccfb014c2d": flow("82b12b6aae533e55bdcc5bccfb014c2d", "act_1", "cg_1"),
			"3368add44347310eaef1f26f25909026": flow("3368add44347310eaef1f26f25909026", "act_2", "cg_1"),
			"05f91b45a15b37d7b0c96d3ff94bff80": flow("05f91b45a15b37d7b0c96d3ff94bff80", "cg_1", "end_event_id"),
			"3fc89273786a36b8a6e7beac8301274d": flow("3fc89273786a36b8a6e7beac8301274d", "pg_1", "act_1"),
			"76caeed0e6053fea9db84a89f56a74a8": flow("76caeed0e6053fea9db84a89f56a74a8", "pg_1", "act_2"),
			"76casdgd0e6053ea9db84a89f56a1234": flow("76casdgd0e6053ea9db84a89f56a1234", "pg_1", "cg_1"),
		},
		"gateways": map[string]any{
			"cg_1": map[string]any{"type": "ConvergeGateway", "outgoing": "05f91b45a15b37d7b0c96d3ff94bff80", "id": "cg_1", "name": nil,
				"incoming": []any{"82b12b6aae533e55bdcc5bccfb014c2d", "3368add44347310eaef1f26f25909026", "76casdgd0e6053ea9db84a89f56a1234"}},
			"pg_1": map[string]any{"incoming": []any{"27a9cdeaef623d37834ac6917d05eac5"}, "name": nil, "converge_gateway_id": "cg_1", "type": "ParallelGateway", "id": "pg_1",
				"outgoing": []any{"3fc89273786a36b8a6e7beac8301274d", "76caeed0e6053fea9db84a89f56a74a8", "76casdgd0e6053ea9db84a89f56a1234"}},
		},
		"start_event": map[string]any{"type": "EmptyStartEvent", "outgoing": "27a9cdeaef623d37834ac6917d05eac5", "incoming": "", "id": "start_event_id", "name": nil},
		"data":        map[string]any{"inputs": map[string]any{}, "outputs": map[string]any{}},
		"id":          "c986802cd1e23a5f920c85b005f16dc3",
	}
}

// TestFlowEdgeCases ports flow_valid_edge_cases and flow_invalid_cases
// through gateway and stream validation.
func TestFlowEdgeCases(t *testing.T) {
	edge1 := func() Tree {
		start, end := bStart(startID), bEnd(endID)
		a1, a2, a3 := bAct(actN(1)), bAct(actN(2)), bAct(actN(3))
		eg := bEG(egN(1))
		start.extend(a1).extend(a2).extend(eg).connect(a1, a2, a3).to(a3).extend(end)
		return build(start)
	}
	edge3 := func() Tree {
		start, end := bStart("start"), bEnd("end")
		eg1, eg2, eg3, eg4 := bEG(egN(1)), bEG(egN(2)), bEG(egN(3)), bEG(egN(4))
		pg1, cg := bPG(pgN(1)), bCG(cgN(1))
		start.connect(eg1)
		eg1.connect(pg1, end)
		pg1.connect(eg2, eg3)
		eg2.connect(eg2, cg)
		eg3.connect(eg4, eg4)
		eg4.connect(eg4, cg)
		cg.connect(end)
		return build(start)
	}
	edge4 := func() Tree {
		start, end := bStart(startID), bEnd(endID)
		pg, eg, cg := bPG(pgN(1)), bEG(egN(1)), bCG(cgN(1))
		start.extend(pg).connect(cg, eg)
		eg.connect(eg, cg)
		cg.connect(end)
		return build(start)
	}
	edge5 := func() Tree {
		start, end := bStart(startID), bEnd(endID)
		eg, cg := bEG(egN(1)), bCG(cgN(1))
		start.extend(eg).connect(cg, cg, end)
		cg.connect(eg)
		return build(start)
	}
	invalid1 := func() Tree {
		start, end := bStart(startID), bEnd(endID)
		a1, a2, a3, a4 := bAct(actN(1)), bAct(actN(2)), bAct(actN(3)), bAct(actN(4))
		pg, eg, cg := bPG(pgN(1)), bEG(egN(1)), bCG(cgN(1))
		start.extend(a1).extend(pg).connect(a2, a3, eg).to(eg).connect(a3, a4)
		a2.connect(cg)
		a3.connect(cg)
		a4.connect(cg)
		cg.extend(end)
		return build(start)
	}
	invalid2 := func() Tree {
		start, end := bStart(startID), bEnd(endID)
		a1, a2, a3, a4 := bAct(actN(1)), bAct(actN(2)), bAct(actN(3)), bAct(actN(4))
		eg, pg, cg := bEG(egN(1)), bPG(pgN(1)), bCG(cgN(1))
		start.extend(a1).extend(eg).connect(a3, a2).to(a2).extend(pg).connect(a3, a4).converge(cg).extend(end)
		return build(start)
	}
	streamMsg := "StreamValidateError: the node is reached from more than one parallel branch (an edge jumps between the branches of a parallel gateway, or leaves a parallel block other than through its converge gateway)"
	cases := []struct {
		name     string
		tree     Tree
		converge map[string]string
		problems []Problem
	}{
		{name: "edge 1", tree: edge1(), converge: map[string]string{}},
		{name: "edge 2", tree: flowValidEdgeCase2(), converge: map[string]string{"pg_1": "cg_1"}},
		{name: "edge 3", tree: edge3(), converge: map[string]string{egN(2): cgN(1), egN(3): cgN(1), egN(4): cgN(1), pgN(1): cgN(1)}},
		{name: "edge 4", tree: edge4(), converge: map[string]string{egN(1): cgN(1), pgN(1): cgN(1)}},
		{name: "edge 5", tree: edge5(), converge: map[string]string{egN(1): cgN(1)}},
		{name: "invalid 1", tree: invalid1(), converge: map[string]string{egN(1): cgN(1), pgN(1): cgN(1)}, problems: []Problem{prob(CodeStream, "/activities/act_3", ids(actN(3)), nil, streamMsg)}},
		{name: "invalid 2", tree: invalid2(), converge: map[string]string{egN(1): cgN(1), pgN(1): cgN(1)}, problems: []Problem{prob(CodeStream, "/activities/act_3", ids(actN(3)), nil, streamMsg)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ps problems
			w := (&decoder{ps: &ps}).tree(tc.tree, "")
			require.True(t, ps.empty())
			validateTree(w, "", &ps)
			require.Equal(t, tc.problems, problemsOf(t, ps.err()))
			got := map[string]string{}
			for id, g := range w.Gateways {
				if g.ConvergeGatewayID != "" {
					got[id] = g.ConvergeGatewayID
				}
			}
			require.Equal(t, tc.converge, got)
		})
	}
}

// matchCase is one gateway-level case of cases.py: the matcher's records
// built by hand.
type matchNode struct {
	id, kind    string
	incoming    int
	target      []string
	dist, inLen int
	match       string
	convergeEnd bool
}

func matcherOf(converges, gateways []matchNode) *gatewayMatcher {
	m := &gatewayMatcher{
		converges: map[string]*gwNode{}, gateways: map[string]*gwNode{}, end: endID,
		dist: map[string]int{}, convergeInLen: map[string]int{},
		converged: map[string][]string{}, blockNodes: map[string]map[string]bool{},
	}
	for _, c := range converges {
		m.converges[c.id] = &gwNode{id: c.id, kind: TypeConverge, incoming: make([]string, c.incoming), target: slices.Clone(c.target)}
		m.dist[c.id] = c.dist
		m.convergeInLen[c.id] = c.inLen
	}
	for _, g := range gateways {
		m.gateways[g.id] = &gwNode{id: g.id, kind: g.kind, target: slices.Clone(g.target)}
		m.dist[g.id] = g.dist
	}
	return m
}

// runMatchCase drives match_converge as test_match_converge does: from the
// start gateway, then from whatever follows each converge found, with a
// fresh "converged" map each time.
func runMatchCase(m *gatewayMatcher, start string) *gatewayError {
	m.blockNodes[start] = map[string]bool{}
	var stack []*gwNode
	cid, _, err := m.matchConverge(start, start, &stack)
	for err == nil && cid != "" {
		next := m.converges[cid].target[0]
		if next == endID {
			break
		}
		m.blockNodes[next] = map[string]bool{}
		m.converged = map[string][]string{}
		cid, _, err = m.matchConverge(next, next, &stack)
	}
	return err
}

func TestMatchConvergeCases(t *testing.T) {
	eg := func(id string, dist int, match string, end bool, target ...string) matchNode {
		return matchNode{id: id, kind: TypeExclusive, target: target, dist: dist, match: match, convergeEnd: end}
	}
	pg := func(id string, dist int, match string, target ...string) matchNode {
		return matchNode{id: id, kind: TypeParallel, target: target, dist: dist, match: match}
	}
	cpg := func(id string, dist int, match string, target ...string) matchNode {
		return matchNode{id: id, kind: TypeConditionalParallel, target: target, dist: dist, match: match}
	}
	cg := func(id string, incoming, dist, inLen int, target ...string) matchNode {
		return matchNode{id: id, kind: TypeConverge, incoming: incoming, target: target, dist: dist, inLen: inLen}
	}
	valid := []struct {
		name      string
		converges []matchNode
		gateways  []matchNode
		start     string
	}{
		{
			name: "gateway_valid_case",
			converges: []matchNode{
				cg(cgN(1), 3, 5, 3, egN(1)), cg(cgN(2), 3, 5, 1, egN(6)), cg(cgN(3), 4, 7, 4, egN(3)),
				cg(cgN(4), 5, 9, 5, endID), cg(cgN(5), 3, 2, 3, pgN(1)),
			},
			gateways: []matchNode{
				eg(egN(1), 6, cgN(3), false, pgN(2), cgN(3)),
				eg(egN(2), 4, cgN(2), false, egN(2), cgN(2), cgN(2)),
				eg(egN(3), 8, cgN(4), true, pgN(4), endID, egN(4), pgN(3), pgN(1)),
				eg(egN(4), 8, cgN(4), false, egN(3), cgN(4)),
				eg(egN(5), 9, cgN(4), false, cgN(4), cgN(4)),
				eg(egN(6), 6, cgN(3), false, cgN(2), cgN(3)),
				eg(egN(7), 4, cgN(3), false, cgN(3), egN(8)),
				eg(egN(8), 5, cgN(3), false, egN(7), cgN(3)),
				cpg(pgN(1), 3, cgN(3), pgN(2), egN(7), egN(2)),
				pg(pgN(2), 4, cgN(1), cgN(1), cgN(1), cgN(1)),
				cpg(pgN(3), 9, cgN(4), cgN(4), cgN(4), egN(5)),
				pg(pgN(4), 1, cgN(5), cgN(5), cgN(5), cgN(5)),
			},
			start: pgN(4),
		},
		{
			name:     "gateway_valid_edge_case_1",
			gateways: []matchNode{eg(egN(1), 2, "", true, egN(1), egN(1), endID)},
			start:    egN(1),
		},
		{
			name:      "gateway_valid_edge_case_2",
			converges: []matchNode{cg(cgN(1), 2, 3, 2, endID)},
			gateways:  []matchNode{eg(egN(1), 2, cgN(1), false, egN(1), cgN(1)), pg(pgN(1), 1, cgN(1), cgN(1), egN(1))},
			start:     pgN(1),
		},
		{
			name:      "gateway_valid_edge_case_3",
			converges: []matchNode{cg(cgN(1), 3, 4, 3, cgN(2)), cg(cgN(2), 2, 5, 2, endID)},
			gateways: []matchNode{
				pg(pgN(1), 1, cgN(2), pgN(2), cgN(2)), pg(pgN(2), 2, cgN(1), egN(1), cgN(1)),
				eg(egN(1), 3, cgN(1), false, cgN(1), cgN(1)),
			},
			start: pgN(1),
		},
	}
	for _, tc := range valid {
		t.Run(tc.name, func(t *testing.T) {
			m := matcherOf(tc.converges, tc.gateways)
			require.Nil(t, runMatchCase(m, tc.start))
			for _, c := range tc.converges {
				require.Equal(t, "", m.converges[c.id].match, c.id)
			}
			for _, g := range tc.gateways {
				require.Equal(t, g.match, m.gateways[g.id].match, g.id)
				require.Equal(t, g.convergeEnd, m.gateways[g.id].convergeEnd, g.id)
			}
		})
	}

	invalid := []struct {
		name      string
		converges []matchNode
		gateways  []matchNode
		start     string
		recordIDs map[string]string // gateway records whose id differs from their key
		blamed    string
		code      string
	}{
		{
			name:      "gateway_invalid_case_1",
			converges: []matchNode{cg(cgN(1), 3, 2, 3)},
			gateways:  []matchNode{cpg(egN(1), 2, "", cgN(1), endID), pg(pgN(1), 1, "", cgN(1), cgN(1), egN(1))},
			start:     pgN(1), blamed: egN(1), code: CodeGatewayInvalid,
		},
		{
			// pg_2's record says its id is pg_1, as in cases.py.
			name:      "gateway_invalid_case_2",
			converges: []matchNode{cg(cgN(1), 4, 3, 4)},
			gateways:  []matchNode{cpg(pgN(1), 1, "", cgN(1), cgN(1), pgN(2)), pg(pgN(2), 2, "", cgN(1), cgN(1))},
			start:     pgN(1), recordIDs: map[string]string{pgN(2): pgN(1)}, blamed: cgN(1), code: CodeConvergeShared,
		},
		{
			name:      "gateway_invalid_case_3",
			converges: []matchNode{cg(cgN(1), 3, 3, 4)},
			gateways:  []matchNode{eg(egN(1), 2, "", false, pgN(1), cgN(1)), cpg(pgN(1), 1, "", cgN(1), cgN(1), egN(1))},
			start:     pgN(1), blamed: egN(1), code: CodeGatewayBranchEscape,
		},
		{
			name:     "gateway_invalid_case_4",
			gateways: []matchNode{pg(pgN(1), 1, "", endID, endID, endID)},
			start:    pgN(1), blamed: pgN(1), code: CodeGatewayInvalid,
		},
		{
			name:      "gateway_invalid_case_5",
			converges: []matchNode{cg(cgN(1), 2, 2, 2), cg(cgN(2), 2, 2, 2)},
			gateways:  []matchNode{cpg(pgN(1), 1, "", cgN(1), cgN(1), cgN(2), cgN(2))},
			start:     pgN(1), blamed: pgN(1), code: CodeGatewayInvalid,
		},
		{
			name:      "gateway_invalid_case_6",
			converges: []matchNode{cg(cgN(1), 2, 2, 2), cg(cgN(2), 2, 2, 2)},
			gateways:  []matchNode{eg(egN(1), 1, "", false, cgN(1), cgN(1), cgN(2), cgN(2))},
			start:     egN(1), blamed: egN(1), code: CodeGatewayExclusive,
		},
		{
			name:      "gateway_invalid_case_7",
			converges: []matchNode{cg(cgN(1), 2, 3, 2), cg(cgN(2), 3, 4, 3)},
			gateways:  []matchNode{pg(pgN(1), 1, "", cgN(2), cgN(2), pgN(2)), pg(pgN(2), 2, "", cgN(1), cgN(1), pgN(1))},
			start:     pgN(1), blamed: pgN(2), code: CodeGatewayBranchEscape,
		},
		{
			name:      "gateway_invalid_case_8",
			converges: []matchNode{cg(cgN(1), 1, 3, 1)},
			gateways:  []matchNode{pg(pgN(1), 1, "", cgN(1), cgN(1), pgN(1))},
			start:     pgN(1), blamed: pgN(1), code: CodeGatewayInvalid,
		},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			m := matcherOf(tc.converges, tc.gateways)
			for key, id := range tc.recordIDs {
				m.gateways[key].id = id
			}
			err := runMatchCase(m, tc.start)
			require.NotNil(t, err)
			require.Equal(t, tc.blamed, err.id)
			require.Equal(t, tc.code, err.code)
		})
	}
}
