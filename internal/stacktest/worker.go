package stacktest

import (
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// Worker is a `bkflow worker` process serving a stack's Temporal and
// database (run the stack with BKFLOW_DEV_WORKER=false to have only these).
type Worker struct {
	t    testing.TB
	cmd  *exec.Cmd
	done chan error
	logs *lockedBuffer
}

// StartWorker starts a worker process for s.
func StartWorker(t testing.TB, s *Stack, env ...string) *Worker {
	t.Helper()
	cmd := exec.Command(s.bin, "worker")
	cmd.Env = append(filteredEnv(), append([]string{
		"DATABASE_URL=" + s.DatabaseURL,
		"BKFLOW_TEMPORAL_ADDRESS=" + s.Temporal,
		"BKFLOW_TEMPORAL_SETUP=false",
		"BKFLOW_LOG_LEVEL=info",
	}, env...)...)
	w := &Worker{t: t, cmd: cmd, done: make(chan error, 1), logs: &lockedBuffer{}}
	cmd.Stdout, cmd.Stderr = w.logs, w.logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start bkflow worker: %v", err)
	}
	go func() { w.done <- cmd.Wait() }()
	t.Cleanup(func() {
		w.Kill()
		if t.Failed() {
			t.Logf("bkflow worker output:\n%s", w.logs.String())
		}
	})
	return w
}

// Kill sends SIGKILL and waits for the process to exit.
func (w *Worker) Kill() {
	if w.cmd.ProcessState != nil {
		return
	}
	_ = w.cmd.Process.Kill()
	select {
	case <-w.done:
	case <-time.After(10 * time.Second):
	}
}

// Logs returns what the worker printed.
func (w *Worker) Logs() string { return w.logs.String() }
