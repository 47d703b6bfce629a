package pipeline

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Ports of bamboo-engine's tests/validator/test_validate_start_node.py.

func engineOf(t *testing.T, start *bnode) *Engine {
	t.Helper()
	p := newTestParser(t)
	w, err := p.Check(marshalTree(t, build(start)))
	require.NoError(t, err)
	e, err := ToEngine(w)
	require.NoError(t, err)
	return e
}

func TestAllowedStartNodes(t *testing.T) {
	parallel := func() *bnode {
		s := bStart("start")
		pg := bPG("pg")
		s.extend(bAct("act_1")).extend(pg).connect(bAct("act_2"), bAct("act_3")).to(pg).converge(bCG("cg")).extend(bEnd("end"))
		return s
	}
	exclusive := func() *bnode {
		s := bStart("start")
		eg := bEG("eg")
		s.extend(bAct("act_1")).extend(eg).connect(bAct("act_2"), bAct("act_3")).to(eg).converge(bEnd("end"))
		return s
	}
	conditionalParallel := func() *bnode {
		s := bStart("start")
		cpg := bCPG("cpg")
		s.extend(bAct("act_1")).extend(cpg).connect(bAct("act_2"), bAct("act_3"), bAct("act_4")).to(cpg).converge(bCG("cg")).extend(bEnd("end"))
		return s
	}
	normal := func() *bnode {
		s := bStart("start")
		s.extend(bAct("act_1")).extend(bAct("act_2")).extend(bEnd("end"))
		return s
	}
	loop := func() *bnode {
		s := bStart("start")
		a1, eg, a2 := bAct("act_1"), bEG("eg"), bAct("act_2")
		s.extend(a1).extend(eg).connect(a1, a2)
		a2.extend(bEnd("end"))
		return s
	}
	cases := []struct {
		name    string
		tree    func() *bnode
		allowed []string
		skipped map[string][]string // start node → skipped nodes
		refused []string
	}{
		{name: "parallel gateway", tree: parallel, allowed: []string{"start", "act_1", "pg"},
			skipped: map[string][]string{"pg": {"act_1", "start"}, "start": {}}, refused: []string{"act_2", "cg", "end"}},
		{name: "exclusive gateway", tree: exclusive, allowed: []string{"start", "act_1", "eg", "act_2", "act_3"},
			skipped: map[string][]string{"eg": {"act_1", "start"}, "act_2": {"act_1", "eg", "start"}, "act_3": {"act_1", "eg", "start"}},
			refused: []string{"end"}},
		{name: "conditional parallel gateway", tree: conditionalParallel, allowed: []string{"start", "act_1", "cpg"},
			skipped: map[string][]string{"cpg": {"act_1", "start"}}, refused: []string{"act_4"}},
		{name: "normal", tree: normal, allowed: []string{"start", "act_1", "act_2"},
			skipped: map[string][]string{"act_2": {"act_1", "start"}}, refused: []string{"end"}},
		{name: "loop back edge", tree: loop, allowed: []string{"start", "act_1", "eg", "act_2"},
			skipped: map[string][]string{"act_2": {"act_1", "eg", "start"}}, refused: []string{"end"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := engineOf(t, tc.tree())
			require.Equal(t, tc.allowed, e.AllowedStartNodeIDs())
			for start, want := range tc.skipped {
				got, err := e.SkippedNodeIDs(start)
				require.NoError(t, err)
				require.Equal(t, want, got, start)
			}
			for _, id := range tc.refused {
				require.EqualError(t, e.ValidateStartNode(id), "this node_id is not allowed as a starting node: "+id)
				_, err := e.SkippedNodeIDs(id)
				require.Error(t, err)
			}
		})
	}
}
