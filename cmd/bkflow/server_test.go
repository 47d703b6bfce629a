package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/bkflow/bkflow/internal/pgtest"
	"github.com/bkflow/bkflow/internal/stacktest"
)

func bkflow(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(stacktest.Binary(t), args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// TestMigrateCommand walks a database through migrate up, status and down.
func TestMigrateCommand(t *testing.T) {
	t.Parallel()
	env := []string{"DATABASE_URL=" + pgtest.NewDatabase(t)}

	out, err := bkflow(t, env, "migrate", "status")
	require.NoError(t, err, out)
	require.Regexp(t, `(?m)^1\s+pending\s+-\s+00001_apps_spaces\.sql$`, out)

	out, err = bkflow(t, env, "migrate", "up")
	require.NoError(t, err, out)
	require.Regexp(t, `applied \d+ migration\(s\)`, out)

	out, err = bkflow(t, env, "migrate", "status")
	require.NoError(t, err, out)
	require.Regexp(t, `(?m)^1\s+applied\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+00001_apps_spaces\.sql$`, out)
	require.NotContains(t, out, "pending")

	out, err = bkflow(t, env, "migrate", "down")
	require.NoError(t, err, out)
	require.Regexp(t, `rolled back migration \d+`, out)
	out, err = bkflow(t, env, "migrate", "status")
	require.NoError(t, err, out)
	require.Contains(t, out, "pending")

	out, err = bkflow(t, env, "migrate", "sideways")
	require.Error(t, err)
	require.Contains(t, out, `unknown migrate action "sideways": use up, down or status`)

	out, err = bkflow(t, nil, "migrate", "up")
	require.Error(t, err)
	require.Contains(t, out, "no database: set --database-url, BKFLOW_DATABASE_URL or DATABASE_URL")
}

func TestAppCreateCommand(t *testing.T) {
	t.Parallel()
	env := []string{"DATABASE_URL=" + pgtest.NewDatabase(t)}
	_, err := bkflow(t, env, "migrate", "up")
	require.NoError(t, err)

	out, err := bkflow(t, env, "app", "create", "my-system")
	require.NoError(t, err, out)
	require.Regexp(t, regexp.MustCompile(`bk_app_code:   my-system\nbk_app_secret: [0-9a-f]{64}\n`), out)

	out, err = bkflow(t, env, "app", "create", "my-system")
	require.Error(t, err)
	require.Contains(t, out, "app my-system already exists")

	out, err = bkflow(t, env, "app", "create", "bad code")
	require.Error(t, err)
	require.Contains(t, out, "app code must be 1-32 characters")
}

// TestServerRole runs `bkflow server` against a migrated database and an
// unreachable Temporal: it serves, and /readyz says what is missing.
func TestServerRole(t *testing.T) {
	t.Parallel()
	db := pgtest.NewDatabase(t)
	env := []string{"DATABASE_URL=" + db}
	addr := freePort(t)
	serverEnv := append(env, "BKFLOW_HTTP_ADDR="+addr, "BKFLOW_TEMPORAL_ADDRESS="+freePort(t), "BKFLOW_TEMPORAL_SETUP=false")

	// An unmigrated database is refused with the fix.
	out, err := bkflow(t, serverEnv, "server")
	require.Error(t, err)
	require.Contains(t, out, "database schema is at version 0 but this bkflow needs")
	require.Contains(t, out, "run `bkflow migrate up`")

	_, err = bkflow(t, env, "migrate", "up")
	require.NoError(t, err)

	cmd := exec.Command(stacktest.Binary(t), "server")
	cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, serverEnv...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("server output:\n%s", logs.String())
		}
	})

	var resp *http.Response
	require.Eventually(t, func() bool {
		resp, err = http.Get("http://" + addr + "/healthz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 50*time.Millisecond)

	resp, err = http.Get("http://" + addr + "/readyz")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	var env503 struct {
		Result  bool   `json:"result"`
		Message string `json:"message"`
		Data    []struct {
			Name string `json:"name"`
			OK   bool   `json:"ok"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(body, &env503), string(body))
	require.False(t, env503.Result)
	require.True(t, strings.HasPrefix(env503.Message, "not ready: temporal: "), env503.Message)
	require.Len(t, env503.Data, 2)
	require.Equal(t, "postgresql", env503.Data[0].Name)
	require.True(t, env503.Data[0].OK)
	require.False(t, env503.Data[1].OK)

	// SIGTERM stops it cleanly and quickly.
	start := time.Now()
	require.NoError(t, cmd.Process.Signal(interrupt))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("server did not stop within 10 s")
	}
	t.Logf("server stopped in %s", time.Since(start))
}

func TestVersionCommand(t *testing.T) {
	t.Parallel()
	out, err := bkflow(t, nil, "version")
	require.NoError(t, err, out)
	require.Regexp(t, `^bkflow \S+ \(go1\.\d+\.\d+, temporal sdk v1\.50\.0, temporal server v1\.32\.1\)\n$`, out)
}

var interrupt = syscall.SIGTERM
