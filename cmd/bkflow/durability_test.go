//go:build !nodev

package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/stacktest"
	"github.com/bkflow/bkflow/workflows/pipeline/pipelinetest"
)

// TestKillWorkerDuringActivity: a worker dies (SIGKILL) while a component
// call is in flight; another worker picks the call up and the task finishes.
func TestKillWorkerDuringActivity(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	arrived := make(chan struct{}, 10)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		arrived <- struct{}{}
		if n == 1 {
			time.Sleep(5 * time.Second) // the first call dies with its worker
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprintf(w, `{"result": true, "attempt": %d}`, n)
	}))
	defer slow.Close()

	s := stacktest.Start(t, stacktest.Options{Env: []string{"BKFLOW_DEV_WORKER=false"}})
	first := stacktest.StartWorker(t, s, "BKFLOW_HTTP_ALLOW=127.0.0.1/32")

	tree := pipelinetest.New()
	tree.Activity("call", "bk_http_request", "v1.0", map[string]any{"bk_http_request_url": slow.URL, "bk_http_timeout": 30})
	tree.Display("after")
	tree.Chain("start", "call", "after", "end")
	tk := stacktest.NewSpace(t, s).Create(tree, nil)
	stacktest.OK(t, tk.Operate("start"))

	select {
	case <-arrived:
	case <-time.After(60 * time.Second):
		t.Fatalf("the component never called out; worker output:\n%s", first.Logs())
	}
	first.Kill()
	stacktest.StartWorker(t, s, "BKFLOW_HTTP_ALLOW=127.0.0.1/32")

	tk.WaitTask("FINISHED")
	require.EqualValues(t, 2, hits.Load(), "the call was retried once by the second worker")
	d := tk.Detail("call")
	require.Equal(t, map[string]any{"result": true, "attempt": float64(2)}, d.Output("data"))
}

// TestKillDevWithTasksInFlight SIGKILLs the whole dev stack while tasks wait
// in timers, callbacks and running nodes; after a restart every task
// finishes and nothing is lost.
func TestKillDevWithTasksInFlight(t *testing.T) {
	t.Parallel()
	s := stacktest.Start(t, stacktest.Options{PrivatePostgres: true})
	sp := stacktest.NewSpace(t, s)
	tree := pipelinetest.New()
	tree.Activity("nap", "sleep_timer", "legacy", map[string]any{"bk_timing": "3"})
	tree.Activity("wait", "pause_node", "legacy", nil)
	tree.Display("after")
	tree.Chain("start", "nap", "wait", "after", "end")

	var tasks []*stacktest.Task
	for i := 0; i < 6; i++ {
		tk := sp.Create(tree, nil)
		stacktest.OK(t, tk.Operate("start"))
		tasks = append(tasks, tk)
		if i == 2 {
			tasks[0].WaitNode("wait", "RUNNING") // some are past their timer, others in it
		}
	}
	s.Kill()
	s.Restart()

	for _, tk := range tasks {
		tk.WaitNode("wait", "RUNNING")
		stacktest.OK(t, tk.Node("wait", "callback", map[string]any{"data": "go"}))
	}
	for _, tk := range tasks {
		st := tk.WaitTask("FINISHED")
		require.Equal(t, "FINISHED", st.Children[tk.Nodes["after"]].State)
		require.Equal(t, "go", tk.Detail("wait").Output("callback_data"), "%s", tk.Get("node/"+tk.Nodes["wait"]+"/get_task_node_detail"))
	}
}
