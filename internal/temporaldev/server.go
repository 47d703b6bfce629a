package temporaldev

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"go.temporal.io/server/temporal"
)

// cleanupTimeout bounds the teardown Start does after a failed start.
const cleanupTimeout = 10 * time.Second

// state is the lifecycle stage of a Server.
type state int

const (
	stateNew      state = iota // built by New, not started
	stateRunning               // Start succeeded
	stateStopping              // Stop gave up waiting; the server stop is still in progress
	stateDone                  // stopped, or Start failed; the Server cannot start again
)

// Server is an embedded Temporal server (frontend, history, matching and
// worker services in this process) backed by SQLite, plus the optional Web
// UI. A Server starts at most once; to restart on the same DB file, call New
// again with the same Options.
type Server struct {
	opts Options // defaults applied, Port and UIPort resolved
	dial string  // host that clients dial

	mu       sync.Mutex
	state    state
	srv      temporal.Server
	logger   slogLogger // the server's logger; muted on shutdown
	ui       *webUI
	stopDone chan error // receives the result of srv.Stop while stateStopping
}

// New validates opts, applies defaults and resolves free ports for Port and
// UIPort when they are 0. It starts nothing.
func New(opts Options) (*Server, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("temporaldev options: %w", err)
	}
	var need int
	if o.Port == 0 {
		need++
	}
	if o.UIPort == 0 {
		need++
	}
	if need > 0 {
		ports, err := freePorts(o.Host, need, o.Port, o.UIPort)
		if err != nil {
			return nil, fmt.Errorf("temporaldev ports: %w", err)
		}
		if o.Port == 0 {
			o.Port, ports = ports[0], ports[1:]
		}
		if o.UIPort == 0 {
			o.UIPort = ports[0]
		}
	}
	return &Server{opts: o, dial: dialHost(o.Host)}, nil
}

// FrontendAddress returns the host:port SDK clients dial.
func (s *Server) FrontendAddress() string {
	return hostPort(s.dial, s.opts.Port)
}

// UIURL returns the Web UI's base URL ("http://host:port"), or "" when the
// UI is disabled.
func (s *Server) UIURL() string {
	if s.opts.UIPort == NoUI {
		return ""
	}
	return "http://" + hostPort(s.dial, s.opts.UIPort)
}

// Start prepares the DB (schema when the file is new, the namespace when
// missing), starts the server and the UI, and returns once the frontend
// answers health checks and knows the namespace (and the UI answers), or
// when ctx ends. The readiness wait is also capped at 30 s. On error
// everything started so far is stopped again.
//
// The server's own start (typically under 1 s) cannot be interrupted by ctx;
// only the steps around it can.
func (s *Server) Start(ctx context.Context) (err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateNew {
		return errors.New("temporaldev: server already started (a Server is single-use)")
	}
	s.state = stateDone // stays so unless the start succeeds
	begin := time.Now()

	if err := ctx.Err(); err != nil {
		return fmt.Errorf("temporaldev start: %w", err)
	}
	internal, err := freePorts(s.opts.Host, 3, s.opts.Port, s.opts.UIPort)
	if err != nil {
		return fmt.Errorf("temporaldev ports: %w", err)
	}
	ports := servicePorts{frontend: s.opts.Port, history: internal[0], matching: internal[1], worker: internal[2]}

	store := sqlConfig(s.opts.DBPath)
	created, err := prepareDB(store, s.opts.DBPath == "", clusterName, s.opts.Namespace)
	if err != nil {
		return fmt.Errorf("temporaldev db: %w", err)
	}

	s.logger = newSlogLogger(s.opts.Logger, s.opts.LogLevel)
	cfg := buildConfig(s.opts.Host, s.dial, ports, store)
	srv, err := temporal.NewServer(serverOptions(cfg, s.dial, ports, s.logger)...)
	if err != nil {
		return fmt.Errorf("temporaldev new server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return fmt.Errorf("temporaldev start server: %w", err)
	}
	s.srv = srv

	defer func() {
		if err != nil {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
			defer cancel()
			err = errors.Join(err, s.shutdown(cctx))
		}
	}()

	if s.opts.UIPort != NoUI {
		ui, err := startUI(s.opts.Host, s.opts.UIPort, s.FrontendAddress(), s.opts.Namespace)
		if err != nil {
			return fmt.Errorf("temporaldev: %w", err)
		}
		s.ui = ui
	}

	rctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if err := waitFrontend(rctx, s.FrontendAddress(), s.opts.Namespace); err != nil {
		return fmt.Errorf("temporaldev: %w", err)
	}
	if s.ui != nil {
		if err := waitUI(rctx, s.UIURL()); err != nil {
			return fmt.Errorf("temporaldev: %w", err)
		}
	}

	s.state = stateRunning
	if s.opts.Logger != nil {
		s.opts.Logger.LogAttrs(ctx, slog.LevelInfo, "temporal dev server started",
			slog.String("frontend", s.FrontendAddress()),
			slog.String("ui", s.UIURL()),
			slog.String("db", dbLabel(s.opts.DBPath)),
			slog.Bool("db_created", created),
			slog.Duration("took", time.Since(begin)))
	}
	return nil
}

// Stop stops the UI, then the server; a normal stop takes about 1 s. It is
// idempotent and a no-op before Start. The server's logs are muted from here
// on: shutdown chatter (cancelled polls, refused reconnects) is expected, and
// a failed stop is reported through the returned error. If ctx ends first,
// Stop returns ctx's error while the server stop goes on; a later Stop call
// waits for it again.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.state {
	case stateRunning, stateStopping:
		return s.shutdown(ctx)
	default:
		return nil
	}
}

// shutdown stops the UI and the server, tracking a server stop that outlives
// ctx in s.stopDone. The caller holds s.mu.
func (s *Server) shutdown(ctx context.Context) error {
	var errs []error
	if s.ui != nil {
		if err := s.ui.stop(ctx); err != nil {
			errs = append(errs, err)
		} else {
			s.ui = nil
		}
	}
	if s.srv != nil && s.stopDone == nil {
		s.logger.mute()
		done := make(chan error, 1)
		srv := s.srv
		go func() { done <- srv.Stop() }()
		s.stopDone = done
	}
	if s.stopDone != nil {
		select {
		case err := <-s.stopDone:
			s.stopDone, s.srv = nil, nil
			if err != nil {
				errs = append(errs, fmt.Errorf("stop server: %w", err))
			}
		case <-ctx.Done():
			s.state = stateStopping
			errs = append(errs, fmt.Errorf("stop server: %w", ctx.Err()))
			return fmt.Errorf("temporaldev: %w", errors.Join(errs...))
		}
	}
	s.state = stateDone
	if len(errs) > 0 {
		return fmt.Errorf("temporaldev: %w", errors.Join(errs...))
	}
	return nil
}

func dbLabel(path string) string {
	if path == "" {
		return "(in-memory)"
	}
	return path
}
