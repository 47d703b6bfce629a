package pipeline

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The seed corpora under testdata/fuzz hold the valid trees (files named
// valid_*) and malformed or invalid ones. BKFLOW_UPDATE_GOLDEN=1 rewrites
// the valid_* seeds from testdata/trees/valid.

func FuzzParseValidate(f *testing.F) {
	p := newTestParser(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		w, err := p.Parse(raw)
		if err != nil {
			require.NotEmpty(t, problemsOf(t, err))
			return
		}
		err = Validate(w)
		if err != nil {
			probs := problemsOf(t, err)
			require.NotEmpty(t, probs)
			require.Equal(t, sortProblems(probs), probs, "problems are sorted")
			return
		}
		// A valid tree stays valid, converts, and its converge gateways are
		// converge gateways.
		require.NoError(t, Validate(w))
		for _, g := range w.Gateways {
			if g.ConvergeGatewayID != "" {
				require.Equal(t, TypeConverge, w.Gateways[g.ConvergeGatewayID].Type)
			}
		}
		if _, err := ToEngine(w); err != nil {
			require.Contains(t, err.Error(), "has no embedded pipeline")
		}
	})
}

func FuzzRegenerateIDs(f *testing.F) {
	p := newTestParser(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		w, err := p.Check(raw)
		if err != nil {
			return
		}
		tree := CloneTree(w.Tree)
		mapping, err := RegenerateIDs(tree, counterIDs())
		require.NoError(t, err)
		after, err := p.Check(marshalTree(t, tree))
		require.NoError(t, err)
		require.Len(t, after.Activities, len(w.Activities))
		require.Len(t, after.Flows, len(w.Flows))
		for id, g := range w.Gateways {
			ng := after.Gateways[mapping[id]]
			require.NotNil(t, ng)
			require.Equal(t, mapping[g.ConvergeGatewayID], ng.ConvergeGatewayID)
		}
	})
}

// TestFuzzSeeds checks the seeds named valid_* are valid trees and the
// others are not.
func TestFuzzSeeds(t *testing.T) {
	if os.Getenv("BKFLOW_UPDATE_GOLDEN") == "1" {
		for _, target := range []string{"FuzzParseValidate", "FuzzRegenerateIDs"} {
			for _, name := range validTreeFiles {
				writeSeed(t, target, "valid_"+name, readTree(t, "valid/"+name+".json"))
			}
			writeSeed(t, target, "malformed", []byte(`{"start_event": {"id": "s", `))
			writeSeed(t, target, "not_an_object", []byte(`[1, 2]`))
			writeSeed(t, target, "empty_object", []byte(`{}`))
			writeSeed(t, target, "parallel_to_end", marshalTree(t, build(gParallelToEnd())))
			writeSeed(t, target, "branch_jump", marshalTree(t, build(gBranchJump())))
			writeSeed(t, target, "activity_cycle", marshalTree(t, build(gActivityCycle())))
		}
	}
	p := newTestParser(t)
	for _, target := range []string{"FuzzParseValidate", "FuzzRegenerateIDs"} {
		entries, err := os.ReadDir(filepath.Join("testdata", "fuzz", target))
		require.NoError(t, err)
		require.NotEmpty(t, entries)
		for _, e := range entries {
			t.Run(target+"/"+e.Name(), func(t *testing.T) {
				raw := readSeed(t, filepath.Join("testdata", "fuzz", target, e.Name()))
				_, err := p.Check(raw)
				require.Equal(t, strings.HasPrefix(e.Name(), "valid_"), err == nil, "%v", err)
			})
		}
	}
}

func writeSeed(t *testing.T, target, name string, raw []byte) {
	dir := filepath.Join("testdata", "fuzz", target)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(raw)))
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
}

// readSeed reads a one-value []byte corpus file.
func readSeed(t *testing.T, path string) []byte {
	body, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := bytes.SplitN(body, []byte("\n"), 2)
	require.Equal(t, "go test fuzz v1", string(lines[0]))
	v := strings.TrimSpace(string(lines[1]))
	require.True(t, strings.HasPrefix(v, "[]byte(") && strings.HasSuffix(v, ")"), path)
	s, err := strconv.Unquote(v[len("[]byte(") : len(v)-1])
	require.NoError(t, err)
	return []byte(s)
}

// graphFromBytes builds a web tree of a random shape: up to 14 nodes of
// every type, each flow leading to another node or the end event. Most are
// invalid; the point is that validation copes with any shape.
func graphFromBytes(data []byte) Tree {
	next := func() int {
		if len(data) == 0 {
			return 0
		}
		b := int(data[0])
		data = data[1:]
		return b
	}
	n := 1 + next()%14
	kinds := []func(string) *bnode{bAct, bEG, bPG, bCPG, bCG}
	nodes := make([]*bnode, n)
	for i := range nodes {
		nodes[i] = kinds[next()%len(kinds)](fmt.Sprintf("n%d", i))
	}
	end := bEnd("end")
	target := func() *bnode {
		k := next() % (n + 1)
		if k == n {
			return end
		}
		return nodes[k]
	}
	start := bStart("start")
	start.connect(nodes[0])
	for _, nd := range nodes {
		outs := 1
		if nd.typ != TypeActivity && nd.typ != TypeConverge {
			outs = 1 + next()%3
		}
		for range outs {
			nd.connect(target())
		}
	}
	return build(start)
}

func FuzzGraphs(f *testing.F) {
	f.Add([]byte{3, 2, 0, 4, 2, 1, 2, 3, 3})
	f.Add([]byte{5, 1, 0, 2, 1, 3, 2, 0, 4, 4, 5, 0, 6})
	f.Add([]byte{8, 2, 4, 0, 0, 1, 4, 3, 2, 1, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8})
	p := newTestParser(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		tree := graphFromBytes(data)
		w, err := p.Check(marshalTree(t, tree))
		if err != nil {
			require.NotEmpty(t, problemsOf(t, err))
			return
		}
		_, err = ToEngine(w)
		require.NoError(t, err)
		regenerated := CloneTree(w.Tree)
		_, err = RegenerateIDs(regenerated, counterIDs())
		require.NoError(t, err)
		_, err = p.Check(marshalTree(t, regenerated))
		require.NoError(t, err)
		var optional []string
		for id := range w.Activities {
			optional = append(optional, id)
		}
		excluded := CloneTree(w.Tree)
		for _, id := range optional {
			objectAt(excluded, "activities")[id].(map[string]any)["optional"] = true
		}
		_, _ = ExcludeOptional(excluded, optional)
	})
}
