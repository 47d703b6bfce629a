// Package bench measures bkflow on the real dev stack (embedded Temporal on
// SQLite, PostgreSQL, the API and the in-process workers): run
// `bench/engine.sh` or `go test -run '^$' -bench . -benchtime 1x ./bench/`.
package bench

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/bkflow/bkflow/activities"
	"github.com/bkflow/bkflow/internal/stacktest"
	"github.com/bkflow/bkflow/internal/temporalclient"
	"github.com/bkflow/bkflow/workflows"
	"github.com/bkflow/bkflow/workflows/pipeline/pipelinetest"
)

func startStack(b *testing.B) *stacktest.Stack {
	b.Helper()
	return stacktest.Start(b, stacktest.Options{PrivatePostgres: os.Getenv("DATABASE_URL") == ""})
}

func dial(b *testing.B, s *stacktest.Stack) client.Client {
	b.Helper()
	c, err := client.Dial(client.Options{HostPort: s.Temporal, Namespace: "default",
		DataConverter: temporalclient.DataConverter(),
		Logger:        sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	require.NoError(b, err)
	b.Cleanup(c.Close)
	return c
}

// finish waits for a task's workflow (through its continue-as-new chain) to
// close.
func finish(b *testing.B, c client.Client, taskID int64) {
	b.Helper()
	var res workflows.TaskResult
	require.NoError(b, c.GetWorkflow(context.Background(), workflows.WorkflowID(taskID), "").Get(context.Background(), &res))
	require.Equal(b, workflows.StateFinished, res.State)
}

// BenchmarkConcurrentPipelines: 100 pipelines of 17 nodes (start, 15
// no-op components, end) started at once; the figure is the time from the
// first start request to the last task closing.
func BenchmarkConcurrentPipelines(b *testing.B) {
	s := startStack(b)
	c := dial(b, s)
	sp := stacktest.NewSpace(b, s)
	for range b.N {
		tasks := make([]*stacktest.Task, 100)
		for i := range tasks {
			tasks[i] = sp.Create(pipelinetest.Linear(15), nil)
		}
		begin := time.Now()
		var wg sync.WaitGroup
		for _, tk := range tasks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				stacktest.OK(b, tk.Operate("start"))
				finish(b, c, tk.ID)
			}()
		}
		wg.Wait()
		b.ReportMetric(time.Since(begin).Seconds(), "s/100-pipelines")
	}
}

// BenchmarkLinearPipeline: one pipeline of 1,000 no-op components.
func BenchmarkLinearPipeline(b *testing.B) {
	s := startStack(b)
	c := dial(b, s)
	sp := stacktest.NewSpace(b, s)
	for range b.N {
		tk := sp.Create(pipelinetest.Linear(1000), nil)
		begin := time.Now()
		stacktest.OK(b, tk.Operate("start"))
		finish(b, c, tk.ID)
		b.ReportMetric(time.Since(begin).Seconds(), "s/1000-nodes")
	}
}

// handWritten is the baseline of the overhead benchmark: a workflow that
// calls the same no-op component as the interpreter, n times in a row, with
// the same activity options.
func handWritten(ctx workflow.Context, n int, queue string) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue: queue, StartToCloseTimeout: workflows.DefaultActivityTimeout, HeartbeatTimeout: workflows.HeartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
	for i := range n {
		in := activities.CallInput{Code: "bk_display", Version: "v1.0", Phase: activities.PhaseExecute,
			Request: activities.Request{TaskID: 1, NodeID: fmt.Sprintf("n%d", i),
				Inputs: map[string]any{"bk_display_message": "n", "_loop": 1, "_inner_loop": 1}}}
		var res activities.Result
		if err := workflow.ExecuteActivity(ctx, activities.ActivityName("bk_display", "v1.0"), in).Get(ctx, &res); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkInterpreterOverhead runs a 50-node linear pipeline through the
// interpreter and the hand-written workflow, alternating, on the same
// server, and reports both medians and their ratio. Durations are the
// workflows' own start-to-close times as Temporal recorded them.
func BenchmarkInterpreterOverhead(b *testing.B) {
	const nodes, rounds = 50, 15
	s := startStack(b)
	c := dial(b, s)
	// The baseline gets the same no-op component, run by the same component
	// runtime, on its own task queue (so eager activity dispatch applies to
	// it as it does to the interpreter).
	w := worker.New(c, "bench-hand-written", worker.Options{})
	w.RegisterWorkflowWithOptions(handWritten, workflow.RegisterOptions{Name: "bench.handWritten"})
	reg := activities.NewRegistry()
	require.NoError(b, reg.Register(activities.NewDisplay()))
	(&activities.Components{Registry: reg, Now: time.Now}).Register(w)
	require.NoError(b, w.Start())
	b.Cleanup(w.Stop)
	sp := stacktest.NewSpace(b, s)
	ctx := context.Background()
	for range b.N {
		var interp, hand []time.Duration
		for r := range rounds + 1 {
			tk := sp.Create(pipelinetest.Linear(nodes), nil)
			stacktest.OK(b, tk.Operate("start"))
			finish(b, c, tk.ID)
			d1 := runTime(b, c, workflows.WorkflowID(tk.ID))

			run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: "bench-hand-written"},
				"bench.handWritten", nodes, "bench-hand-written")
			require.NoError(b, err)
			require.NoError(b, run.Get(ctx, nil))
			d2 := runTime(b, c, run.GetID())
			if r > 0 { // the first round warms caches
				interp, hand = append(interp, d1), append(hand, d2)
			}
		}
		mi, mh := median(interp), median(hand)
		b.ReportMetric(mi.Seconds()*1000, "ms/interpreter")
		b.ReportMetric(mh.Seconds()*1000, "ms/hand-written")
		b.ReportMetric(float64(mi)/float64(mh), "ratio")
	}
}

func runTime(b *testing.B, c client.Client, id string) time.Duration {
	b.Helper()
	d, err := c.DescribeWorkflowExecution(context.Background(), id, "")
	require.NoError(b, err)
	info := d.GetWorkflowExecutionInfo()
	return info.GetCloseTime().AsTime().Sub(info.GetStartTime().AsTime())
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
