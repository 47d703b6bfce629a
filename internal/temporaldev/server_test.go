package temporaldev

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
)

func TestFileDBSurvivesCleanRestart(t *testing.T) {
	db := filepath.Join(t.TempDir(), "data", "temporal.db")

	s1, cold := startServer(t, Options{DBPath: db})
	t.Logf("cold start (new file): %v; frontend %s, ui %s", cold, s1.FrontendAddress(), s1.UIURL())
	require.FileExists(t, db)
	requireUIServesHTML(t, s1)

	c1, closeC1 := dial(t, s1)
	_, err := c1.CheckHealth(t.Context(), &client.CheckHealthRequest{})
	require.NoError(t, err)
	stopW1 := startWorker(t, c1)
	const id = "restart-wf"
	require.NoError(t, startWaiting(t.Context(), c1, id, client.StartWorkflowOptions{}))

	stopW1()
	closeC1()
	t.Logf("stop: %v", stopServer(t, s1))

	// Same file and the same ports, as `bkflow dev` restarts with a fixed port.
	s2, warm := startServer(t, Options{DBPath: db, Port: s1.opts.Port, UIPort: s1.opts.UIPort})
	t.Logf("warm restart (existing file): %v", warm)
	require.Less(t, warm, 5*time.Second, "restart on an existing file should be fast")
	require.Equal(t, s1.FrontendAddress(), s2.FrontendAddress())
	requireUIServesHTML(t, s2)

	c2, _ := dial(t, s2)
	startWorker(t, c2)
	begin := time.Now()
	out, err := signalAndGet(t.Context(), c2, id)
	require.NoError(t, err)
	require.Equal(t, "done", out)
	t.Logf("signal -> result after restart: %v", time.Since(begin))
}

func TestInMemory(t *testing.T) {
	s, took := startServer(t, Options{UIPort: NoUI})
	t.Logf("in-memory start: %v", took)
	require.Empty(t, s.UIURL())

	c, closeC := dial(t, s)
	stopW := startWorker(t, c)
	const id = "in-memory-wf"
	require.NoError(t, startWaiting(t.Context(), c, id, client.StartWorkflowOptions{}))
	out, err := signalAndGet(t.Context(), c, id)
	require.NoError(t, err)
	require.Equal(t, "done", out)

	stopW()
	closeC()
	t.Logf("stop: %v", stopServer(t, s))
}

func TestTwoInMemoryServersAreIndependent(t *testing.T) {
	a, _ := startServer(t, Options{UIPort: NoUI})
	b, _ := startServer(t, Options{UIPort: NoUI})
	require.NotEqual(t, a.FrontendAddress(), b.FrontendAddress())

	ca, _ := dial(t, a)
	startWorker(t, ca)
	require.NoError(t, startWaiting(t.Context(), ca, "only-on-a", client.StartWorkflowOptions{}))

	cb, _ := dial(t, b)
	_, err := cb.DescribeWorkflowExecution(t.Context(), "only-on-a", "")
	require.Error(t, err, "in-memory servers must not share a DB")
}

func TestNewValidates(t *testing.T) {
	for name, opts := range map[string]Options{
		"bad host":         {Host: "localhost"},
		"negative port":    {Port: -1},
		"port too large":   {Port: 70000},
		"bad ui port":      {UIPort: -2},
		"same ports":       {Port: 17233, UIPort: 17233},
		"ui port too high": {UIPort: 65536},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(opts)
			require.Error(t, err)
		})
	}

	s, err := New(Options{})
	require.NoError(t, err)
	require.NotZero(t, s.opts.Port)
	require.NotZero(t, s.opts.UIPort)
	require.NotEqual(t, s.opts.Port, s.opts.UIPort)
	require.Equal(t, DefaultNamespace, s.opts.Namespace)
	require.Contains(t, s.UIURL(), "http://127.0.0.1:")
	require.NoError(t, s.Stop(t.Context()), "Stop before Start is a no-op")
}

func TestStartTwiceFails(t *testing.T) {
	s, _ := startServer(t, Options{UIPort: NoUI})
	require.Error(t, s.Start(t.Context()))
}

// bkflow dev may stop the server while its workers are still long-polling.
func TestStopWithActiveWorker(t *testing.T) {
	s, _ := startServer(t, Options{})
	c, _ := dial(t, s)
	stopW := startWorker(t, c)
	require.NoError(t, startWaiting(t.Context(), c, "stop-with-worker", client.StartWorkflowOptions{}))

	took := stopServer(t, s)
	t.Logf("stop with an active worker: %v", took)
	require.Less(t, took, 5*time.Second)

	begin := time.Now()
	stopW()
	t.Logf("worker stop after the server was gone: %v", time.Since(begin))
}
