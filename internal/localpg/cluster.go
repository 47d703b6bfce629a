package localpg

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const (
	// defaultDatabase is the database used when Options.Database is empty;
	// initdb always creates it.
	defaultDatabase = "postgres"
	// portAttempts is how many ports Start tries when it picks the port
	// itself and another process grabs it first.
	portAttempts = 3
	// pgDuplicateDatabase is SQLSTATE 42P04.
	pgDuplicateDatabase = "42P04"
)

// Options configure a cluster.
type Options struct {
	// Dir is the cluster home: it holds data/, the password file and
	// postgres.log. It is created if missing. Required.
	Dir string
	// Port is the TCP port on 127.0.0.1; 0 picks a free port at each Start.
	Port int
	// Database is created if missing (e.g. "bkflow"); "" means "postgres".
	Database string
	// BinDir holds initdb and postgres; "" detects them (see New).
	BinDir string
	// Ephemeral trades durability for speed, for tests: fsync,
	// synchronous_commit and full_page_writes are off, so a crash of the
	// machine may corrupt the cluster. Leave it false for the dev stack.
	Ephemeral bool
	// Logger receives progress and warnings; nil discards them.
	Logger *slog.Logger
}

// Cluster is a private PostgreSQL cluster run from the local binaries. Its
// methods are safe for concurrent use.
type Cluster struct {
	opts Options // Database defaulted
	dir  string  // absolute Options.Dir
	bin  binaries
	log  *slog.Logger

	mu       sync.Mutex
	srv      *server // nil when not started by this Cluster
	port     int     // of the last successful Start
	password string
}

// New checks the options and resolves the server binaries: Options.BinDir
// when set, else the newest /usr/lib/postgresql/<major>/bin holding initdb
// and postgres, else `pg_config --bindir`, else PATH. Missing binaries give
// an error wrapping ErrBinariesMissing. New starts no server.
func New(opts Options) (*Cluster, error) {
	if opts.Dir == "" {
		return nil, errors.New("no cluster home: Options.Dir is empty")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("cluster home: %w", err)
	}
	if opts.Port < 0 || opts.Port > 65535 {
		return nil, fmt.Errorf("invalid port %d", opts.Port)
	}
	if opts.Database == "" {
		opts.Database = defaultDatabase
	}
	bin, err := findBinaries(opts.BinDir)
	if err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Cluster{opts: opts, dir: dir, bin: bin, log: log}, nil
}

// Start initializes the cluster when its data directory is empty, stops a
// server an earlier process left running on it, starts the server, waits
// until it accepts connections and creates Options.Database if missing. ctx
// bounds the startup only; the server runs until Stop or until this process
// exits. When Start fails, no server of its own is left running.
func (c *Cluster) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.srv != nil && c.srv.running() {
		return errors.New("cluster already started")
	}
	c.srv = nil

	acct, err := serverAccount()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return fmt.Errorf("cluster home: %w", err)
	}
	password, err := loadOrCreatePassword(filepath.Join(c.dir, passwordFileName))
	if err != nil {
		return err
	}
	dataDir, err := c.prepareDataDir(acct)
	if err != nil {
		return err
	}
	if err := c.stopStale(ctx, dataDir); err != nil {
		return err
	}
	if !initialized(dataDir) {
		if err := c.initCluster(ctx, dataDir, password, acct); err != nil {
			return err
		}
	}
	srv, err := c.startServer(ctx, dataDir, password, acct)
	if err != nil {
		return err
	}
	if err := c.createDatabase(ctx, srv.port, password); err != nil {
		c.abort(ctx, srv)
		return err
	}
	c.srv, c.port, c.password = srv, srv.port, password
	c.log.Info("postgres ready", "port", srv.port, "database", c.opts.Database, "data", dataDir)
	return nil
}

// startServer spawns the server and waits until it is ready, trying another
// port when it picked the port itself and lost it to another process.
func (c *Cluster) startServer(ctx context.Context, dataDir, password string, acct *account) (*server, error) {
	for attempt := 1; ; attempt++ {
		port := c.opts.Port
		var err error
		if port == 0 {
			port, err = freePort()
		} else {
			err = checkPortFree(port)
		}
		if err != nil {
			return nil, err
		}
		srv, err := c.spawn(dataDir, port, acct)
		if err != nil {
			return nil, err
		}
		err = srv.waitReady(ctx, password)
		if err == nil {
			return srv, nil
		}
		c.abort(ctx, srv)
		if c.opts.Port == 0 && attempt < portAttempts && errors.Is(err, errPortInUse) {
			c.log.Warn("postgres lost its port to another process; retrying", "port", port)
			continue
		}
		return nil, err
	}
}

// abort stops a server whose Start failed, even when ctx has ended.
func (c *Cluster) abort(ctx context.Context, srv *server) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), staleStopTimeout)
	defer cancel()
	if err := srv.stop(ctx); err != nil {
		c.log.Warn("stopping postgres after a failed start", "err", err)
	}
}

// createDatabase creates Options.Database unless it exists.
func (c *Cluster) createDatabase(ctx context.Context, port int, password string) error {
	db := c.opts.Database
	if db == defaultDatabase {
		return nil
	}
	conn, err := pgx.Connect(ctx, connString(password, port, defaultDatabase))
	if err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var one int
	err = conn.QueryRow(ctx, "SELECT 1 FROM pg_database WHERE datname = $1", db).Scan(&one)
	if err == nil {
		return nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("look up database %s: %w", db, err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{db}.Sanitize()); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == pgDuplicateDatabase {
			return nil
		}
		return fmt.Errorf("create database %s: %w", db, err)
	}
	c.log.Info("created database", "database", db)
	return nil
}

// Stop shuts the server down fast (SIGINT: open transactions are rolled
// back, committed data is kept) and waits for it to exit; when ctx ends
// first the server is killed (SIGKILL) and an error is returned. Stop is
// idempotent and does nothing when Start failed or was not called.
func (c *Cluster) Stop(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	srv := c.srv
	if srv == nil {
		return nil
	}
	c.srv = nil
	if !srv.running() {
		c.log.Info("postgres had already exited", "pid", srv.cmd.Process.Pid, "port", srv.port)
		return nil
	}
	c.log.Info("stopping postgres", "pid", srv.cmd.Process.Pid, "port", srv.port)
	if err := srv.stop(ctx); err != nil {
		return fmt.Errorf("stop postgres: %w", err)
	}
	c.log.Info("postgres stopped", "port", srv.port)
	return nil
}

// URL is the connection URL of Options.Database for the superuser bkflow:
// postgres://bkflow:<password>@127.0.0.1:<port>/<database>?sslmode=disable.
// It is valid after Start (and keeps the last Start's port after Stop);
// before the first successful Start it is "".
func (c *Cluster) URL() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.port == 0 {
		return ""
	}
	return connString(c.password, c.port, c.opts.Database)
}

// connString is the URL for database db as the superuser.
func connString(password string, port int, db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(superuser, password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}
