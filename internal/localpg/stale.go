package localpg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	// staleStopTimeout is how long a leftover server gets to shut down
	// after SIGINT before it is killed.
	staleStopTimeout = 10 * time.Second
	// gonePollInterval is the pause between checks for a process's exit.
	gonePollInterval = 50 * time.Millisecond
)

// stopStale stops a postmaster left running on dataDir by an earlier
// process (postmaster.pid names a live postgres serving dataDir): SIGINT,
// up to staleStopTimeout to exit, then SIGKILL for it and its children. A
// postmaster.pid whose process is gone is left to postgres.
func (c *Cluster) stopStale(ctx context.Context, dataDir string) error {
	pid := postmasterPID(dataDir)
	if pid <= 0 || pid == os.Getpid() || !alive(pid) || !isPostmasterOf(pid, dataDir) {
		return nil
	}
	c.log.Warn("stopping a postgres server left running on the data directory", "pid", pid, "data", dataDir)
	if err := syscall.Kill(pid, syscall.SIGINT); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stop stale postgres %d: %w", pid, err)
	}
	gone, err := waitGone(ctx, staleStopTimeout, pid)
	if err != nil || gone {
		return err
	}

	c.log.Warn("stale postgres server did not stop in time; killing it", "pid", pid)
	pids := append(childrenOf(pid), pid)
	for _, p := range pids {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	gone, err = waitGone(ctx, killWait, pids...)
	if err != nil {
		return err
	}
	if !gone {
		return fmt.Errorf("stale postgres %d on %s did not exit after SIGKILL", pid, dataDir)
	}
	return nil
}

// postmasterPID reads the pid on the first line of dataDir/postmaster.pid;
// 0 when there is none.
func postmasterPID(dataDir string) int {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		return 0
	}
	return pid
}

// isPostmasterOf reports whether pid is a postgres server on dataDir: its
// command line is `postgres ... -D dataDir ...`, or it runs the postgres
// executable with dataDir as working directory (the postmaster chdirs there).
func isPostmasterOf(pid int, dataDir string) bool {
	proc := "/proc/" + strconv.Itoa(pid)
	b, err := os.ReadFile(proc + "/cmdline")
	if err != nil {
		return false
	}
	args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	if base := filepath.Base(args[0]); base != "postgres" && base != "postmaster" {
		return false
	}
	for i := 1; i+1 < len(args); i++ {
		if args[i] == "-D" && filepath.Clean(args[i+1]) == filepath.Clean(dataDir) {
			return true
		}
	}
	cwd, err := os.Readlink(proc + "/cwd")
	if err != nil {
		return false
	}
	real, err := filepath.EvalSymlinks(dataDir)
	return err == nil && cwd == real
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !errors.Is(err, os.ErrNotExist)
	}
	state, _ := statFields(b)
	return state != "Z" && state != "X"
}

// statFields returns the state and parent pid from a /proc/<pid>/stat line.
func statFields(b []byte) (state string, ppid int) {
	// The command name, in parentheses, may hold spaces; fields follow it.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return "", 0
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 2 {
		return "", 0
	}
	ppid, _ = strconv.Atoi(fields[1])
	return fields[0], ppid
}

// childrenOf lists the processes whose parent is pid.
func childrenOf(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var kids []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		if _, ppid := statFields(b); ppid == pid {
			kids = append(kids, child)
		}
	}
	return kids
}

// waitGone polls until none of pids is alive (true), d passes (false) or
// ctx ends (its error).
func waitGone(ctx context.Context, d time.Duration, pids ...int) (bool, error) {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(gonePollInterval)
	defer tick.Stop()
	for {
		anyAlive := false
		for _, p := range pids {
			if alive(p) {
				anyAlive = true
				break
			}
		}
		if !anyAlive {
			return true, nil
		}
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("wait for stale postgres to exit: %w", ctx.Err())
		case <-deadline.C:
			return false, nil
		case <-tick.C:
		}
	}
}
