package temporaldev

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

const (
	testTaskQueue    = "temporaldev-test"
	waitWorkflowName = "TemporaldevWaitForGo"
	goSignal         = "go"
)

// waitForGo blocks until signal "go" arrives, then returns "done".
func waitForGo(ctx workflow.Context) (string, error) {
	workflow.GetSignalChannel(ctx, goSignal).Receive(ctx, nil)
	return "done", nil
}

// testLogger writes warnings and errors to stderr (not to t: server
// goroutines may log after a test has finished).
func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// startServer creates and starts a Server and stops it at cleanup.
func startServer(t *testing.T, opts Options) (*Server, time.Duration) {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger()
	}
	s, err := New(opts)
	require.NoError(t, err)
	begin := time.Now()
	require.NoError(t, s.Start(t.Context()))
	took := time.Since(begin)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, s.Stop(ctx))
	})
	return s, took
}

// stopServer stops s, asserting it finishes within 10 s, and returns the time taken.
func stopServer(t *testing.T, s *Server) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	begin := time.Now()
	require.NoError(t, s.Stop(ctx))
	took := time.Since(begin)
	require.NoError(t, s.Stop(ctx), "second Stop must be a no-op")
	return took
}

// dial connects an SDK client to s's namespace. It is closed at cleanup or
// by the returned func, whichever comes first.
func dial(t *testing.T, s *Server) (client.Client, func()) {
	t.Helper()
	c, err := client.Dial(client.Options{
		HostPort:  s.FrontendAddress(),
		Namespace: DefaultNamespace,
		Logger:    sdklog.NewStructuredLogger(testLogger()),
	})
	require.NoError(t, err)
	closeFn := sync.OnceFunc(c.Close)
	t.Cleanup(closeFn)
	return c, closeFn
}

// startWorker runs a worker for waitForGo. It is stopped at cleanup or by
// the returned func, whichever comes first.
func startWorker(t *testing.T, c client.Client) func() {
	t.Helper()
	w := worker.New(c, testTaskQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(waitForGo, workflow.RegisterOptions{Name: waitWorkflowName})
	require.NoError(t, w.Start())
	stop := sync.OnceFunc(w.Stop)
	t.Cleanup(stop)
	return stop
}

// startWaiting starts waitForGo with the given ID and waits until a worker
// has completed its first workflow task (it then blocks on the signal).
func startWaiting(ctx context.Context, c client.Client, id string, opts client.StartWorkflowOptions) error {
	opts.ID, opts.TaskQueue = id, testTaskQueue
	if _, err := c.ExecuteWorkflow(ctx, opts, waitWorkflowName); err != nil {
		return err
	}
	return eventually(ctx, 20*time.Second, func() error {
		it := c.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				return err
			}
			if ev.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
				return nil
			}
		}
		return errors.New("no workflow task completed yet")
	})
}

// eventually retries f every 50 ms until it succeeds or the deadline passes.
func eventually(ctx context.Context, within time.Duration, f func() error) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	for {
		err := f()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// signalAndGet sends "go" to workflow id and returns its result.
func signalAndGet(ctx context.Context, c client.Client, id string) (string, error) {
	if err := c.SignalWorkflow(ctx, id, "", goSignal, nil); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var out string
	err := c.GetWorkflow(ctx, id, "").Get(ctx, &out)
	return out, err
}

// requireUIServesHTML checks that GET / on the UI answers 200 text/html.
func requireUIServesHTML(t *testing.T, s *Server) {
	t.Helper()
	require.NotEmpty(t, s.UIURL())
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.UIURL()+"/", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html"),
		"Content-Type %q", resp.Header.Get("Content-Type"))
}
