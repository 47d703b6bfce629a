package localpg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const (
	// tailLineCount is how many lines of postgres.log an error quotes.
	tailLineCount = 20
	// tailBytes bounds how much of postgres.log is read for those lines.
	tailBytes = 64 << 10
	// readyPollInterval is the pause between readiness probes.
	readyPollInterval = 100 * time.Millisecond
	// probeTimeout bounds one readiness probe.
	probeTimeout = 2 * time.Second
	// killWait is how long to wait for a process to vanish after SIGKILL.
	killWait = 5 * time.Second
	// pgCannotConnectNow is SQLSTATE 57P03: the server is starting up.
	pgCannotConnectNow = "57P03"
	// pgInvalidPassword is SQLSTATE 28P01.
	pgInvalidPassword = "28P01"
)

// server is one postmaster started by Start, a child of this process.
type server struct {
	cmd      *exec.Cmd
	port     int
	dataDir  string
	logPath  string
	logStart int64         // size of postgres.log before this server wrote to it
	exited   chan struct{} // closed once the process has been reaped
	waitErr  error         // cmd.Wait's result, set before exited is closed
}

// spawn starts postgres on dataDir and port, its output appended to
// postgres.log. It does not wait for the server to accept connections.
func (c *Cluster) spawn(dataDir string, port int, acct *account) (*server, error) {
	logPath := filepath.Join(c.dir, logFileName)
	f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open postgres log: %w", err)
	}
	defer f.Close() // the child has its own copy
	fmt.Fprintf(f, "\n--- %s localpg: starting postgres on 127.0.0.1:%d, data %s ---\n",
		time.Now().Format(time.RFC3339), port, dataDir)
	start, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, fmt.Errorf("open postgres log: %w", err)
	}

	args := []string{
		"-D", dataDir,
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=",
		"-c", "max_connections=200",
		"-c", "shared_buffers=128MB",
	}
	if c.opts.Ephemeral {
		args = append(args,
			"-c", "fsync=off",
			"-c", "synchronous_commit=off",
			"-c", "full_page_writes=off",
		)
	}
	cmd := exec.Command(c.bin.postgres(), args...)
	cmd.Dir = dataDir
	cmd.Env = serverEnv()
	cmd.Stdout = f
	cmd.Stderr = f
	// SIGINT is a fast shutdown: if this process dies, even by SIGKILL,
	// the server shuts down cleanly instead of lingering.
	cmd.SysProcAttr = acct.sysProcAttr(syscall.SIGINT)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	s := &server{
		cmd:      cmd,
		port:     port,
		dataDir:  dataDir,
		logPath:  logPath,
		logStart: start,
		exited:   make(chan struct{}),
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	c.log.Info("postgres starting", "pid", cmd.Process.Pid, "port", port, "data", dataDir, "log", logPath)
	return s, nil
}

// running reports whether the process has not exited yet.
func (s *server) running() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// waitReady polls the server until it accepts connections for password,
// ctx ends, or the process exits.
func (s *server) waitReady(ctx context.Context, password string) error {
	cfg, err := pgx.ParseConfig(connString(password, s.port, "postgres"))
	if err != nil {
		return fmt.Errorf("wait for postgres: %w", err)
	}
	cfg.ConnectTimeout = probeTimeout
	tick := time.NewTicker(readyPollInterval)
	defer tick.Stop()
	for {
		if !s.running() {
			return s.exitError()
		}
		err := s.probe(ctx, cfg)
		if err == nil {
			return nil
		}
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code != pgCannotConnectNow {
			if pgErr.Code == pgInvalidPassword {
				return fmt.Errorf("wait for postgres: %w (the password file does not match the cluster's; "+
					"remove the cluster home and its data directory to start over)", err)
			}
			return fmt.Errorf("wait for postgres: %w", err)
		}
		if errors.Is(err, errForeignServer) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for postgres: %w (last attempt: %v); last lines of %s:\n%s",
				ctx.Err(), err, s.logPath, s.logTail())
		case <-s.exited:
			return s.exitError()
		case <-tick.C:
		}
	}
}

// errForeignServer means the port answered, but not with our data directory.
var errForeignServer = errors.New("another postgres server answers on the port")

// probe connects once and checks the server runs on s.dataDir.
func (s *server) probe(ctx context.Context, cfg *pgx.ConnConfig) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var dataDir string
	if err := conn.QueryRow(ctx, "SHOW data_directory").Scan(&dataDir); err != nil {
		return err
	}
	if filepath.Clean(dataDir) != filepath.Clean(s.dataDir) {
		return fmt.Errorf("%w %d (its data directory is %s)", errForeignServer, s.port, dataDir)
	}
	return nil
}

// exitError describes a server that exited during startup, quoting its log.
func (s *server) exitError() error {
	tail := s.logTail()
	err := fmt.Errorf("postgres exited during startup: %w", s.waitErr)
	if strings.Contains(tail, "Address already in use") {
		err = fmt.Errorf("%w (%w)", err, errPortInUse)
	}
	return fmt.Errorf("%w; last lines of %s:\n%s", err, s.logPath, tail)
}

// logTail returns the last lines this server wrote to postgres.log.
func (s *server) logTail() string {
	f, err := os.Open(s.logPath)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	from := max(s.logStart, fi.Size()-tailBytes)
	b, err := io.ReadAll(io.NewSectionReader(f, from, fi.Size()-from))
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	return lastLines(string(b), tailLineCount)
}

// stop asks for a fast shutdown (SIGINT) and waits for the exit; when ctx
// ends first the server is killed.
func (s *server) stop(ctx context.Context) error {
	if !s.running() {
		return nil
	}
	if err := s.cmd.Process.Signal(syscall.SIGINT); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal postgres: %w", err)
	}
	select {
	case <-s.exited:
		return nil
	case <-ctx.Done():
	}
	if err := s.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill postgres: %w", err)
	}
	select {
	case <-s.exited:
	case <-time.After(killWait):
	}
	return fmt.Errorf("postgres did not shut down in time and was killed: %w", ctx.Err())
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("pick a port: %w", err)
	}
	return port, nil
}

// checkPortFree fails when something already listens on 127.0.0.1:port.
func checkPortFree(port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("port %d on 127.0.0.1: %w: %w", port, errPortInUse, err)
	}
	return l.Close()
}
