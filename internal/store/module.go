package store

import (
	"context"
	"fmt"
	"log/slog"

	"go.uber.org/fx"

	"github.com/bkflow/bkflow/internal/config"
)

// DSN returns the PostgreSQL connection string. It is a function because in
// the dev stack the address is only known once the private cluster runs.
type DSN func() string

// Module provides *Store. The pool is opened (and PostgreSQL pinged) when the
// application starts, after whatever provides the DSN has started, so the
// store is usable from other components' start hooks and handlers, not from
// constructors.
var Module = fx.Module("store",
	fx.Provide(func(lc fx.Lifecycle, dsn DSN, cfg *config.Config, log *slog.Logger) *Store {
		s := &Store{}
		lc.Append(fx.Hook{
			OnStart: func(ctx context.Context) error {
				opened, err := Open(ctx, dsn(), cfg.DBMaxConns)
				if err != nil {
					return err
				}
				if err := opened.Ping(ctx); err != nil {
					opened.Close()
					return fmt.Errorf("connect to postgresql: %w", err)
				}
				*s = *opened
				log.Info("postgresql connected", "host", opened.pool.Config().ConnConfig.Host,
					"port", opened.pool.Config().ConnConfig.Port, "database", opened.pool.Config().ConnConfig.Database)
				return nil
			},
			OnStop: func(context.Context) error {
				if s.pool != nil {
					s.Close()
				}
				return nil
			},
		})
		return s
	}),
)

// MigrateOnStart applies pending migrations when the application starts (the
// dev stack does; production runs `bkflow migrate up`).
func MigrateOnStart(lc fx.Lifecycle, s *Store, log *slog.Logger) {
	lc.Append(fx.StartHook(func(ctx context.Context) error {
		m, err := NewMigrator(s, log)
		if err != nil {
			return err
		}
		defer m.Close()
		n, err := m.Up(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			log.Info("migrations applied", "count", n)
		}
		return nil
	}))
}

// RequireSchema refuses to start when the database lacks migrations this
// binary needs, with the command that fixes it.
func RequireSchema(lc fx.Lifecycle, s *Store, log *slog.Logger) {
	lc.Append(fx.StartHook(func(ctx context.Context) error {
		m, err := NewMigrator(s, log)
		if err != nil {
			return err
		}
		defer m.Close()
		current, target, err := m.Versions(ctx)
		if err != nil {
			return err
		}
		if current < target {
			return fmt.Errorf("database schema is at version %d but this bkflow needs %d: run `bkflow migrate up`", current, target)
		}
		return nil
	}))
}
