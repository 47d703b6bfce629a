package localpg

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// testTimeout bounds each Start, Stop and query in these tests.
const testTimeout = 2 * time.Minute

// tlog writes slog output to the test log.
type tlog struct{ t *testing.T }

func (w tlog) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// reachableDir returns a fresh directory under /tmp whose parents are all
// searchable by everyone, so a root caller's postgres user can use it
// in place.
func reachableDir(t *testing.T) string {
	base, err := os.MkdirTemp("/tmp", "localpg-test-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(base, 0o755))
	t.Cleanup(func() { os.RemoveAll(base) })
	return filepath.Join(base, "home") // not created yet: Start creates it
}

// newTestCluster makes an ephemeral cluster on dir, stopped (and any
// redirected data directory removed) when the test ends. It skips the test
// when this machine cannot run PostgreSQL.
func newTestCluster(t *testing.T, dir string) *Cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts PostgreSQL; skipped with -short")
	}
	if _, err := serverAccount(); err != nil {
		t.Skip(err.Error())
	}
	abs, err := filepath.Abs(dir)
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(redirectDir(abs)) }) // runs after Stop
	c, err := New(Options{
		Dir:       dir,
		Database:  "bkflow_test",
		Ephemeral: true,
		Logger:    slog.New(slog.NewTextHandler(tlog{t}, nil)),
	})
	if errors.Is(err, ErrBinariesMissing) {
		t.Skip(err.Error())
	}
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		require.NoError(t, c.Stop(ctx))
	})
	return c
}

func connect(t *testing.T, ctx context.Context, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func readRows(t *testing.T, ctx context.Context, url string) []string {
	t.Helper()
	conn := connect(t, ctx, url)
	rows, err := conn.Query(ctx, "SELECT v FROM notes ORDER BY v")
	require.NoError(t, err)
	vs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.NoError(t, conn.Close(ctx))
	return vs
}

func TestRestartKeepsData(t *testing.T) {
	for name, mkdir := range map[string]func(t *testing.T) string{
		"reachable": reachableDir,
		"tempdir":   func(t *testing.T) string { return filepath.Join(t.TempDir(), "home") },
	} {
		t.Run(name, func(t *testing.T) {
			ctx := testContext(t)
			dir := mkdir(t)
			c := newTestCluster(t, dir)
			require.Empty(t, c.URL(), "URL before Start")

			require.NoError(t, c.Start(ctx))
			pwBytes, err := os.ReadFile(filepath.Join(dir, passwordFileName))
			require.NoError(t, err)
			pw := strings.TrimSpace(string(pwBytes))
			require.Regexp(t, regexp.MustCompile(`^[0-9a-f]{32}$`), pw)
			fi, err := os.Stat(filepath.Join(dir, passwordFileName))
			require.NoError(t, err)
			require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
			url := c.URL()
			require.Regexp(t, `^postgres://bkflow:`+pw+`@127\.0\.0\.1:\d+/bkflow_test\?sslmode=disable$`, url)
			checkDataLocation(t, name, dir)

			conn := connect(t, ctx, url)
			_, err = conn.Exec(ctx, "CREATE TABLE notes (v text)")
			require.NoError(t, err)
			_, err = conn.Exec(ctx, "INSERT INTO notes VALUES ('kept')")
			require.NoError(t, err)
			require.NoError(t, conn.Close(ctx))

			// The superuser has a password: a wrong one is refused.
			bad, err := pgx.Connect(ctx, strings.Replace(url, pw, strings.Repeat("0", 32), 1))
			if err == nil {
				bad.Close(ctx)
			}
			require.Error(t, err)

			require.NoError(t, c.Stop(ctx))
			require.NoError(t, c.Stop(ctx), "second Stop")

			// The same value starts again.
			require.NoError(t, c.Start(ctx))
			require.Equal(t, []string{"kept"}, readRows(t, ctx, c.URL()))
			require.NoError(t, c.Stop(ctx))

			// So does a new value on the same Dir, as after a relaunch.
			c2 := newTestCluster(t, dir)
			require.NoError(t, c2.Start(ctx))
			require.Contains(t, c2.URL(), "bkflow:"+pw+"@")
			require.Equal(t, []string{"kept"}, readRows(t, ctx, c2.URL()))
			pwAgain, err := os.ReadFile(filepath.Join(dir, passwordFileName))
			require.NoError(t, err)
			require.Equal(t, string(pwBytes), string(pwAgain))
			checkDataLocation(t, name, dir)
		})
	}
}

// checkDataLocation checks where the data directory went: in place for a
// reachable Dir; under /var/tmp, recorded in <Dir>/location, for a
// t.TempDir() when running as root.
func checkDataLocation(t *testing.T, kind, dir string) {
	t.Helper()
	loc, err := os.ReadFile(filepath.Join(dir, locationFileName))
	if os.Geteuid() != 0 || kind == "reachable" {
		require.ErrorIs(t, err, os.ErrNotExist)
		require.FileExists(t, filepath.Join(dir, dataDirName, "PG_VERSION"))
		return
	}
	require.NoError(t, err)
	abs, err := filepath.Abs(dir)
	require.NoError(t, err)
	data := strings.TrimSpace(string(loc))
	require.Equal(t, redirectDir(abs), data)
	require.True(t, strings.HasPrefix(data, "/var/tmp/bkflow-pg-"))
	require.FileExists(t, filepath.Join(data, "PG_VERSION"))
	fi, err := os.Stat(data)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
}

func TestStaleServerIsTakenOver(t *testing.T) {
	ctx := testContext(t)
	dir := filepath.Join(t.TempDir(), "home")
	first := newTestCluster(t, dir)
	require.NoError(t, first.Start(ctx))
	conn := connect(t, ctx, first.URL())
	_, err := conn.Exec(ctx, "CREATE TABLE notes (v text); INSERT INTO notes VALUES ('before')")
	require.NoError(t, err)
	require.NoError(t, conn.Close(ctx))
	first.mu.Lock()
	old := first.srv
	first.mu.Unlock()

	// As if the process owning first had been killed: its postgres still
	// runs, and a new process starts a cluster on the same Dir.
	second := newTestCluster(t, dir)
	require.NoError(t, second.Start(ctx))
	select {
	case <-old.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("the stale postgres is still running")
	}
	require.Equal(t, []string{"before"}, readRows(t, ctx, second.URL()))
	require.NoError(t, first.Stop(ctx), "Stop after the server was taken over")
}

func TestStartFailsOnBusyPort(t *testing.T) {
	ctx := testContext(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	c := newTestCluster(t, reachableDir(t))
	c.opts.Port = l.Addr().(*net.TCPAddr).Port
	err = c.Start(ctx)
	require.ErrorIs(t, err, errPortInUse)
	t.Log(err)
	require.Empty(t, c.URL())
	require.NoError(t, c.Stop(ctx), "Stop after a failed Start")
}

func TestBogusBinDir(t *testing.T) {
	_, err := New(Options{Dir: t.TempDir(), BinDir: "/nonexistent/postgresql/bin"})
	require.ErrorIs(t, err, ErrBinariesMissing)
	t.Log(err)
	require.Contains(t, err.Error(), "apt-get install")
	require.Contains(t, err.Error(), "/nonexistent/postgresql/bin")
}

func TestStopWithoutStart(t *testing.T) {
	c, err := New(Options{Dir: t.TempDir()})
	if errors.Is(err, ErrBinariesMissing) {
		t.Skip(err.Error())
	}
	require.NoError(t, err)
	require.NoError(t, c.Stop(context.Background()))
	require.NoError(t, c.Stop(context.Background()))
	require.Empty(t, c.URL())
}

func TestDebianBinDirsNewestFirst(t *testing.T) {
	root := t.TempDir()
	for _, v := range []string{"9.6", "10", "15", "16", "notaversion"} {
		require.NoError(t, os.MkdirAll(filepath.Join(root, v, "bin"), 0o755))
	}
	require.Equal(t, []string{
		filepath.Join(root, "16", "bin"),
		filepath.Join(root, "15", "bin"),
		filepath.Join(root, "10", "bin"),
		filepath.Join(root, "9.6", "bin"),
	}, debianBinDirs(root))
	require.Nil(t, debianBinDirs(filepath.Join(root, "missing")))
}

func TestHasServerBinaries(t *testing.T) {
	dir := t.TempDir()
	require.False(t, hasServerBinaries(dir))
	for _, name := range []string{"initdb", "postgres"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755))
	}
	require.True(t, hasServerBinaries(dir))
	require.NoError(t, os.Chmod(filepath.Join(dir, "postgres"), 0o644))
	require.False(t, hasServerBinaries(dir))
}

func TestBlockingDir(t *testing.T) {
	// An account that owns nothing here: only the "other" bits apply.
	stranger := &account{name: "stranger", uid: 54321, gid: 54321}
	base := t.TempDir() // 0700
	require.NotEmpty(t, mustBlocking(t, stranger, base))

	open, err := os.MkdirTemp("/tmp", "localpg-test-")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(open) })
	require.NoError(t, os.Chmod(open, 0o711))
	require.Empty(t, mustBlocking(t, stranger, open))

	closed := filepath.Join(open, "closed", "inner")
	require.NoError(t, os.MkdirAll(closed, 0o755))
	require.NoError(t, os.Chmod(filepath.Dir(closed), 0o750))
	require.Equal(t, filepath.Dir(closed), mustBlocking(t, stranger, closed))

	// A symlink into a closed place is blocked too.
	link := filepath.Join(open, "link")
	require.NoError(t, os.Symlink(closed, link))
	require.Equal(t, filepath.Dir(closed), mustBlocking(t, stranger, link))
}

func mustBlocking(t *testing.T, a *account, dir string) string {
	t.Helper()
	b, err := a.blockingDir(dir)
	require.NoError(t, err)
	return b
}

func TestLastLines(t *testing.T) {
	require.Equal(t, "c\nd", lastLines("a\nb\nc\nd\n", 2))
	require.Equal(t, "a", lastLines("a", 5))
}

// helperDirEnv, when set, makes TestHelperOwnerProcess start a cluster on
// that Dir, report the postmaster's pid and wait to be killed.
const helperDirEnv = "LOCALPG_TEST_HELPER_DIR"

func TestHelperOwnerProcess(t *testing.T) {
	dir := os.Getenv(helperDirEnv)
	if dir == "" {
		t.Skip("helper process for TestServerStopsWhenOwnerIsKilled")
	}
	c, err := New(Options{Dir: dir, Ephemeral: true})
	require.NoError(t, err)
	require.NoError(t, c.Start(testContext(t)))
	pid := strconv.Itoa(c.srv.cmd.Process.Pid)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "helper.pid"), []byte(pid), 0o644))
	time.Sleep(testTimeout) // until killed
}

func TestServerStopsWhenOwnerIsKilled(t *testing.T) {
	ctx := testContext(t)
	dir := reachableDir(t)
	c := newTestCluster(t, dir) // skips when PostgreSQL is unavailable; used below
	require.NoError(t, os.MkdirAll(dir, 0o755))

	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperOwnerProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperDirEnv+"="+dir)
	cmd.Stdout, cmd.Stderr = tlog{t}, tlog{t}
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	var pid int
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(filepath.Join(dir, "helper.pid"))
		if err != nil {
			return false
		}
		pid, err = strconv.Atoi(string(b))
		return err == nil
	}, time.Minute, 50*time.Millisecond, "helper did not start its cluster")
	require.True(t, alive(pid))

	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()
	require.Eventually(t, func() bool { return !alive(pid) }, 15*time.Second, 50*time.Millisecond,
		"postgres outlived its killed owner")
	log, err := os.ReadFile(filepath.Join(dir, logFileName))
	require.NoError(t, err)
	require.Contains(t, string(log), "fast shutdown request")

	// The next owner starts cleanly on the same Dir.
	require.NoError(t, c.Start(ctx))
	conn := connect(t, ctx, c.URL())
	require.NoError(t, conn.Ping(ctx))
}

func TestStartReportsServerLog(t *testing.T) {
	ctx := testContext(t)
	dir := reachableDir(t)
	c := newTestCluster(t, dir)
	require.NoError(t, c.Start(ctx))
	require.NoError(t, c.Stop(ctx))

	conf := filepath.Join(dir, dataDirName, "postgresql.conf")
	f, err := os.OpenFile(conf, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.WriteString("\nlocalpg_no_such_setting = 1\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())

	err = c.Start(ctx)
	require.Error(t, err)
	t.Log(err)
	require.Contains(t, err.Error(), "exited during startup")
	require.Contains(t, err.Error(), "localpg_no_such_setting")
	require.NoError(t, c.Stop(ctx), "Stop after a failed Start")
}
