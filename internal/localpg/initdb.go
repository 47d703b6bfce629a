package localpg

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// superuser is the cluster's superuser, created by initdb.
const superuser = "bkflow"

// initdbGrace is how long a cancelled initdb may take to clean up after
// SIGTERM before it is killed.
const initdbGrace = 10 * time.Second

// initCluster runs initdb on the empty dataDir with scram-sha-256
// authentication for superuser, locale C.UTF-8 (C when refused).
func (c *Cluster) initCluster(ctx context.Context, dataDir, password string, acct *account) error {
	entries, err := os.ReadDir(dataDir)
	if err != nil {
		return fmt.Errorf("initdb: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("initdb: data directory %s is not empty but holds no cluster (no PG_VERSION); remove it to initialize a new one", dataDir)
	}
	pwFile, err := writeInitdbPassword(filepath.Dir(dataDir), password, acct)
	if err != nil {
		return fmt.Errorf("initdb: %w", err)
	}
	defer os.Remove(pwFile)

	c.log.Info("initializing postgres cluster", "data", dataDir, "bin", c.bin.dir)
	out, err := c.runInitdb(ctx, dataDir, pwFile, "C.UTF-8", acct)
	if err != nil && strings.Contains(out, "invalid locale") && ctx.Err() == nil {
		c.log.Info("initdb refused locale C.UTF-8; retrying with C")
		out, err = c.runInitdb(ctx, dataDir, pwFile, "C", acct)
	}
	if err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, lastLines(out, tailLineCount))
	}
	c.log.Debug("initdb done", "output", out)
	return nil
}

// runInitdb runs initdb once and returns its combined output.
func (c *Cluster) runInitdb(ctx context.Context, dataDir, pwFile, locale string, acct *account) (string, error) {
	cmd := exec.CommandContext(ctx, c.bin.initdb(),
		"-D", dataDir,
		"--auth=scram-sha-256",
		"--username="+superuser,
		"--pwfile="+pwFile,
		"-E", "UTF8",
		"--locale="+locale,
	)
	cmd.Dir = filepath.Dir(dataDir)
	cmd.Env = serverEnv()
	// initdb removes what it created when it gets SIGTERM; SIGKILL would
	// leave a half-made data directory behind.
	cmd.SysProcAttr = acct.sysProcAttr(syscall.SIGTERM)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = initdbGrace
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.String(), err
}

// writeInitdbPassword copies password into a new file in dir that acct can
// read, for initdb's --pwfile. The caller removes it.
func writeInitdbPassword(dir, password string, acct *account) (string, error) {
	f, err := os.CreateTemp(dir, ".initdb-pw-*")
	if err != nil {
		return "", fmt.Errorf("password file: %w", err)
	}
	name := f.Name()
	_, err = f.WriteString(password + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = acct.chown(name)
	}
	if err != nil {
		os.Remove(name)
		return "", fmt.Errorf("password file: %w", err)
	}
	return name, nil
}

// serverEnv is the environment of initdb and postgres: the caller's,
// without PG* variables (which could point them elsewhere) and with English
// messages, which Start inspects.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "PG") || name == "LC_ALL" || name == "LC_MESSAGES" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_MESSAGES=C")
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
