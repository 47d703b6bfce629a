package policy

import (
	"context"
	"log/slog"

	"go.uber.org/fx"

	"github.com/bkflow/bkflow/internal/config"
	"github.com/bkflow/bkflow/internal/store"
	"github.com/bkflow/bkflow/policy/admission"
)

// Module provides the *Service. It loads the policies when the application
// starts (after the store and migrations) and then keeps them fresh.
var Module = fx.Module("policy",
	fx.Provide(func(cfg *config.Config, log *slog.Logger) (*admission.Checker, error) {
		if cfg.PolicyDir == "" {
			return nil, nil
		}
		c, err := admission.Load(context.Background(), cfg.PolicyDir)
		if err != nil {
			return nil, err
		}
		log.Info("admission rules loaded", "dir", cfg.PolicyDir, "files", c.Modules())
		return c, nil
	}),
	fx.Provide(func(lc fx.Lifecycle, st *store.Store, log *slog.Logger, cfg *config.Config) (*Service, error) {
		s, err := NewService(context.Background(), st, log, ServiceConfig{
			SuperUsers: cfg.SystemAdmins, Clients: cfg.IAMClients})
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		lc.Append(fx.Hook{
			OnStart: func(start context.Context) error {
				if err := s.Reload(start); err != nil {
					cancel()
					close(done)
					return err
				}
				go func() {
					defer close(done)
					s.Run(ctx, cfg.IAMReloadInterval)
				}()
				return nil
			},
			OnStop: func(context.Context) error {
				cancel()
				<-done
				return nil
			},
		})
		return s, nil
	}),
)
