package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"

	"github.com/bkflow/bkflow/internal/apps"
	"github.com/bkflow/bkflow/internal/config"
	"github.com/bkflow/bkflow/internal/secrets"
	"github.com/bkflow/bkflow/internal/store"
	"github.com/bkflow/bkflow/internal/telemetry"
	"github.com/bkflow/bkflow/internal/temporalclient"
)

// env carries the process environment into commands, so tests can run them
// in-process with their own.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

func newRootCommand(stdout, stderr io.Writer, getenv func(string) string) *cobra.Command {
	e := env{stdout: stdout, stderr: stderr, getenv: getenv}
	root := &cobra.Command{
		Use:           "bkflow",
		Short:         "bkflow: a BKFlow-compatible process engine on Temporal",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(
		newDevCommand(e),
		newServerCommand(e),
		newWorkerCommand(e),
		newMigrateCommand(e),
		newAppCommand(e),
		newVersionCommand(e),
		newExprCommand(e),
		newPipelineCommand(e),
		newPolicyCommand(e),
	)
	return root
}

// exitError makes run exit with Code after printing nothing more.
type exitError struct{ Code int }

func (e exitError) Error() string { return "exit status " + strconv.Itoa(e.Code) }

func exitCode(err error) (int, bool) {
	var ee exitError
	if errors.As(err, &ee) {
		return ee.Code, true
	}
	return 0, false
}

// loadConfig reads the configuration for cmd.
func loadConfig(cmd *cobra.Command, e env) (*config.Config, error) {
	return config.Load(cmd.Flags(), e.getenv)
}

// fxBase are the options every long-running role shares.
func fxBase(cfg *config.Config) fx.Option {
	return fx.Options(
		fx.Supply(cfg),
		telemetry.Module,
		fx.Invoke(telemetry.ServePprof),
		fx.WithLogger(func(log *slog.Logger) fxevent.Logger {
			l := &fxevent.SlogLogger{Logger: log}
			l.UseLogLevel(slog.LevelDebug)
			return l
		}),
		fx.StartTimeout(90*time.Second),
		fx.StopTimeout(cfg.ShutdownTimeout),
		fx.Provide(
			func(st *store.Store) (*apps.Service, error) { return apps.New(st, time.Now) },
			func() (*secrets.Sealer, error) { return secrets.NewSealer(cfg.SecretKeys) },
		),
	)
}

// errNoDatabase is the refusal of roles that need an existing PostgreSQL.
var errNoDatabase = errors.New("no database: set --database-url, " + config.EnvName("database-url") + " or DATABASE_URL")

// fxCluster are the options of the roles that run against an existing
// PostgreSQL (already migrated) and an existing Temporal cluster.
func fxCluster(cfg *config.Config) fx.Option {
	return fx.Options(
		fxBase(cfg),
		fx.Provide(
			func() store.DSN { return func() string { return cfg.DatabaseURL } },
			temporalclient.AddressFromConfig,
		),
		store.Module,
		fx.Invoke(store.RequireSchema),
		temporalclient.Module,
	)
}

// serve starts app, calls ready once it runs, then waits for SIGINT/SIGTERM
// and stops it within the configured shutdown timeout.
func serve(ctx context.Context, app *fx.App, ready func() error) error {
	startCtx, cancel := context.WithTimeout(ctx, app.StartTimeout())
	defer cancel()
	if err := app.Start(startCtx); err != nil {
		return err
	}
	var readyErr error
	if ready != nil {
		readyErr = ready()
	}
	if readyErr == nil {
		select {
		case <-app.Wait():
		case <-ctx.Done():
		}
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), app.StopTimeout())
	defer cancel()
	return errors.Join(readyErr, app.Stop(stopCtx))
}
