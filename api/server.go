package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"time"

	"go.uber.org/fx"

	"github.com/bkflow/bkflow/api/spaceconfig"
	"github.com/bkflow/bkflow/internal/config"
)

// Server serves the API on the configured address.
type Server struct {
	srv  *http.Server
	addr string
	log  *slog.Logger
	done chan error
}

// NewServer prepares (but does not start) the HTTP server.
func NewServer(cfg *config.Config, h http.Handler, log *slog.Logger) *Server {
	return &Server{
		addr: cfg.HTTPAddr,
		log:  log,
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       cfg.RequestTimeout + 5*time.Second,
			WriteTimeout:      cfg.RequestTimeout + 5*time.Second,
			IdleTimeout:       2 * time.Minute,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		},
	}
}

// Start listens and serves in the background.
func (s *Server) Start(context.Context) error {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.addr, err)
	}
	s.addr = ln.Addr().String()
	s.done = make(chan error, 1)
	go func() {
		err := s.srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.done <- err
	}()
	s.log.Info("api listening", "addr", s.addr)
	return nil
}

// Stop stops accepting requests and waits for those in flight, up to ctx.
func (s *Server) Stop(ctx context.Context) error {
	if s.done == nil {
		return nil
	}
	err := s.srv.Shutdown(ctx)
	if err != nil {
		_ = s.srv.Close()
	}
	return errors.Join(err, <-s.done)
}

// Addr is the address the server listens on (resolved after Start).
func (s *Server) Addr() string { return s.addr }

// NewSpaceConfigs builds the space config registry from the configuration.
func NewSpaceConfigs(cfg *config.Config) (*spaceconfig.Registry, error) {
	opts := spaceconfig.Options{}
	if cfg.APIGWHostPattern != "" {
		re, err := compileAnchored(cfg.APIGWHostPattern)
		if err != nil {
			return nil, fmt.Errorf("apigw-host-pattern: %w", err)
		}
		opts.APIGWHost = re
	}
	return spaceconfig.NewRegistry(opts), nil
}

// Module provides the API router and server. It does not start the server:
// the role invokes Serve after everything else, so the API accepts requests
// only once migrations, setup and workers are in place.
var Module = fx.Module("api",
	fx.Provide(NewRouter, NewServer, NewSpaceConfigs),
)

// Serve starts the server with the application and stops it first on
// shutdown. fx runs start hooks in the order they are added, so invoke Serve
// last.
func Serve(lc fx.Lifecycle, s *Server) { lc.Append(fx.StartStopHook(s.Start, s.Stop)) }

func compileAnchored(pattern string) (*regexp.Regexp, error) {
	return regexp.Compile(`^(?:` + pattern + `)$`)
}
