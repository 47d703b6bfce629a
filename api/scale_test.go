package api_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/stacktest"
	"github.com/bkflow/bkflow/workflows/pipeline/pipelinetest"
)

// TestScale runs the pipelines that would break a naive interpreter on
// Temporal's history limits, with continue-as-new forced every 2,000 events
// so that it happens many times.
func TestScale(t *testing.T) {
	if testing.Short() {
		t.Skip("scale tests take a minute")
	}
	t.Parallel()
	s := stacktest.Start(t, stacktest.Options{Env: []string{"BKFLOW_TASK_HISTORY_LIMIT=2000"}})

	t.Run("5000 linear nodes", func(t *testing.T) {
		t.Parallel()
		begin := time.Now()
		tk := stacktest.NewSpace(t, s).Create(pipelinetest.Linear(5000), nil)
		stacktest.OK(t, tk.Operate("start"))
		st := waitFinished(t, tk, 10*time.Minute)
		require.Len(t, st.Children, 5002)
		for id, n := range st.Children {
			require.Equal(t, "FINISHED", n.State, id)
		}
		require.Greater(t, runs(t, tk), 10, "the task continued as new to stay within the history limit")
		t.Logf("5000 nodes in %s over %d runs", time.Since(begin), runs(t, tk))
	})

	t.Run("100 iterations of a 20-node loop", func(t *testing.T) {
		t.Parallel()
		tree := pipelinetest.New()
		tree.Constant("i", 0)
		ids := []string{"start"}
		tree.Activity("count", "value_assign", "v1.0.0", map[string]any{
			"bk_assignment_list": []any{map[string]any{"key": "i", "value": "${i + 1}", "value_type": "Int"}}})
		ids = append(ids, "count")
		for j := 1; j < 20; j++ {
			id := fmt.Sprintf("body%d", j)
			tree.Display(id)
			ids = append(ids, id)
		}
		tree.Gateway("again", "ExclusiveGateway")
		tree.Chain(append(ids, "again")...)
		tree.Cond("again", "count", "${i} < 100")
		tree.Cond("again", "end", "${i} >= 100")
		begin := time.Now()
		tk := stacktest.NewSpace(t, s).Create(tree, nil)
		stacktest.OK(t, tk.Operate("start"))
		st := waitFinished(t, tk, 10*time.Minute)
		require.Equal(t, 100, st.Children[tk.Nodes["count"]].Loop)
		require.Equal(t, 100, st.Children[tk.Nodes["body19"]].Loop)
		require.Greater(t, runs(t, tk), 5)
		t.Logf("100 x 20 loop in %s over %d runs", time.Since(begin), runs(t, tk))
	})

	t.Run("50 parallel branches", func(t *testing.T) {
		t.Parallel()
		tree := pipelinetest.New()
		tree.Gateway("pg", "ParallelGateway")
		tree.Gateway("cg", "ConvergeGateway")
		tree.Link("start", "pg")
		for i := 0; i < 50; i++ {
			a, b := fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i)
			tree.Display(a)
			tree.Display(b)
			tree.Link("pg", a)
			tree.Chain(a, b, "cg")
		}
		tree.Link("cg", "end")
		tk := stacktest.NewSpace(t, s).Create(tree, nil)
		stacktest.OK(t, tk.Operate("start"))
		st := waitFinished(t, tk, 5*time.Minute)
		require.Len(t, st.Children, 104)
	})
}

func waitFinished(t *testing.T, tk *stacktest.Task, limit time.Duration) stacktest.StateTree {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		st := tk.States()
		if st.State == "FINISHED" {
			return st
		}
		require.NotEqual(t, "FAILED", st.State)
		if time.Now().After(deadline) {
			t.Fatalf("task %d not finished after %s", tk.ID, limit)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func runs(t *testing.T, tk *stacktest.Task) int {
	var st struct {
		Runs int `json:"temporal_runs"`
	}
	require.NoError(t, json.Unmarshal(tk.Get("get_task_states"), &st))
	return st.Runs
}
