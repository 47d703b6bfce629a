package pipeline

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func newTestParser(t testing.TB) *Parser {
	t.Helper()
	p, err := NewParser()
	require.NoError(t, err)
	return p
}

// readTree reads a tree under testdata/trees.
func readTree(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "trees", name))
	require.NoError(t, err)
	return raw
}

func decodeTestTree(t testing.TB, raw []byte) Tree {
	t.Helper()
	tree, err := DecodeTree(raw)
	require.NoError(t, err)
	return tree
}

func marshalTree(t testing.TB, tree Tree) []byte {
	t.Helper()
	raw, err := json.Marshal(tree)
	require.NoError(t, err)
	return raw
}

// problemsOf returns the problems of a *ValidationError (nil for nil).
func problemsOf(t testing.TB, err error) []Problem {
	t.Helper()
	if err == nil {
		return nil
	}
	ve, ok := err.(*ValidationError)
	require.True(t, ok, "not a *ValidationError: %v", err)
	return ve.Problems
}

// counterIDs is a deterministic id generator: n0001, n0002, ... / l0001, ...
func counterIDs() func(kind byte) string {
	n := 0
	return func(kind byte) string {
		n++
		return fmt.Sprintf("%c%04d", kind, n)
	}
}

// prob builds an expected problem.
func prob(code, path string, nodes, flows []string, msg string) Problem {
	if nodes == nil {
		nodes = []string{}
	}
	if flows == nil {
		flows = []string{}
	}
	return Problem{Code: code, Path: path, NodeIDs: nodes, FlowIDs: flows, Message: msg}
}

func ids(s ...string) []string { return s }

// ---- a tree builder modelled on bamboo-engine's (extend/connect/converge/to
// and build_tree), for graph cases. ----

type bnode struct {
	id, typ string
	out     []*bnode
}

func bStart(id string) *bnode { return &bnode{id: id, typ: TypeStart} }
func bEnd(id string) *bnode   { return &bnode{id: id, typ: TypeEnd} }
func bAct(id string) *bnode   { return &bnode{id: id, typ: TypeActivity} }
func bPG(id string) *bnode    { return &bnode{id: id, typ: TypeParallel} }
func bCPG(id string) *bnode   { return &bnode{id: id, typ: TypeConditionalParallel} }
func bEG(id string) *bnode    { return &bnode{id: id, typ: TypeExclusive} }
func bCG(id string) *bnode    { return &bnode{id: id, typ: TypeConverge} }

// extend links n to m and returns m.
func (n *bnode) extend(m *bnode) *bnode { n.out = append(n.out, m); return m }

// connect links n to each of ms and returns n.
func (n *bnode) connect(ms ...*bnode) *bnode { n.out = append(n.out, ms...); return n }

// to returns m (switches the chain).
func (n *bnode) to(m *bnode) *bnode { return m }

// converge links the tail of each of n's branches to m and returns m.
func (n *bnode) converge(m *bnode) *bnode {
	for _, e := range n.out {
		e.tail().connect(m)
	}
	return m
}

func (n *bnode) tail() *bnode {
	e := n
	for len(e.out) > 0 {
		e = e.out[0]
	}
	return e
}

// build turns a builder graph into a web tree, walking breadth first from
// the start as build_tree does and naming flows f1, f2, ... in creation
// order. Branch gateways get a condition per outgoing flow.
func build(start *bnode) Tree {
	tree := Tree{
		"id": "p", "activities": map[string]any{}, "gateways": map[string]any{},
		"flows": map[string]any{}, "constants": map[string]any{}, "outputs": []any{},
	}
	incoming := map[string][]any{}
	nodes := map[string]map[string]any{}
	var order []*bnode
	queue := []*bnode{start}
	seen := map[string]bool{}
	nflow := 0
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if seen[n.id] {
			continue
		}
		seen[n.id] = true
		order = append(order, n)
		var outs []any
		for _, m := range n.out {
			nflow++
			fid := fmt.Sprintf("f%d", nflow)
			tree["flows"].(map[string]any)[fid] = map[string]any{"id": fid, "source": n.id, "target": m.id, "is_default": false}
			outs = append(outs, fid)
			incoming[m.id] = append(incoming[m.id], fid)
			queue = append(queue, m)
		}
		node := map[string]any{"id": n.id, "type": n.typ, "name": n.id}
		switch n.typ {
		case TypeStart, TypeActivity, TypeConverge:
			if len(outs) == 1 {
				node["outgoing"] = outs[0]
			} else {
				node["outgoing"] = listOr(outs)
			}
		case TypeEnd:
			node["outgoing"] = ""
		default:
			node["outgoing"] = listOr(outs)
		}
		switch n.typ {
		case TypeActivity:
			node["component"] = map[string]any{"code": "bk_display", "data": map[string]any{}}
			tree["activities"].(map[string]any)[n.id] = node
		case TypeStart:
			tree["start_event"] = node
		case TypeEnd:
			tree["end_event"] = node
		default:
			if n.typ == TypeExclusive || n.typ == TypeConditionalParallel {
				conds := map[string]any{}
				for i, f := range outs {
					conds[f.(string)] = map[string]any{"evaluate": fmt.Sprintf("%d == %d", i, i)}
				}
				node["conditions"] = conds
			}
			tree["gateways"].(map[string]any)[n.id] = node
		}
		nodes[n.id] = node
	}
	for _, n := range order {
		in := incoming[n.id]
		if n.typ == TypeStart {
			nodes[n.id]["incoming"] = ""
		} else {
			nodes[n.id]["incoming"] = listOr(in)
		}
	}
	return tree
}

func listOr(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}
