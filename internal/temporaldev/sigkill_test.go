package temporaldev

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
)

const (
	helperEnv   = "TEMPORALDEV_TEST_HELPER"
	helperDBEnv = "TEMPORALDEV_TEST_HELPER_DB"
	helperWFEnv = "TEMPORALDEV_TEST_HELPER_WF"
	helperReady = "temporaldev-helper-ready"
)

// TestHelperProcess is the child of TestSIGKILLRecovery, not a real test: it
// starts a server on the given file, starts the waiting workflow, prints the
// ready line and blocks until it is killed.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("helper process for TestSIGKILLRecovery")
	}
	s, _ := startServer(t, Options{DBPath: os.Getenv(helperDBEnv), UIPort: NoUI})
	c, _ := dial(t, s)
	startWorker(t, c)
	require.NoError(t, startWaiting(t.Context(), c, os.Getenv(helperWFEnv), client.StartWorkflowOptions{}))
	fmt.Println(helperReady)
	select {
	case <-time.After(2 * time.Minute): // the parent kills us long before
	case <-t.Context().Done():
	}
}

func TestSIGKILLRecovery(t *testing.T) {
	db := filepath.Join(t.TempDir(), "temporal.db")
	const id = "sigkill-wf"

	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"=1", helperDBEnv+"="+db, helperWFEnv+"="+id)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	ready := make(chan struct{})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == helperReady {
				close(ready)
			}
		}
	}()
	select {
	case <-ready:
	case <-readerDone:
		_ = cmd.Wait()
		t.Fatal("helper exited before it was ready")
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-readerDone
		_ = cmd.Wait()
		t.Fatal("helper not ready within 60 s")
	}

	require.NoError(t, cmd.Process.Kill()) // SIGKILL: no clean stop, WAL not checkpointed
	<-readerDone
	err = cmd.Wait()
	require.Error(t, err)
	require.Contains(t, err.Error(), "killed")

	s, took := startServer(t, Options{DBPath: db, UIPort: NoUI})
	t.Logf("restart after SIGKILL: %v", took)
	c, _ := dial(t, s)
	startWorker(t, c)
	begin := time.Now()
	out, err := signalAndGet(t.Context(), c, id)
	require.NoError(t, err)
	require.Equal(t, "done", out)
	t.Logf("signal -> result after SIGKILL restart: %v", time.Since(begin))

	// The recovered server still runs new work.
	require.NoError(t, startWaiting(t.Context(), c, id+"-2", client.StartWorkflowOptions{}))
	out, err = signalAndGet(t.Context(), c, id+"-2")
	require.NoError(t, err)
	require.Equal(t, "done", out)
}
