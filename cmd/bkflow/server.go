package main

import (
	"errors"

	"github.com/spf13/cobra"
	"go.uber.org/fx"

	"github.com/bkflow/bkflow/activities"
	"github.com/bkflow/bkflow/api"
	"github.com/bkflow/bkflow/internal/config"
	"github.com/bkflow/bkflow/internal/store"
	"github.com/bkflow/bkflow/internal/temporalclient"
)

func newServerCommand(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the API server (stateless; run as many replicas as needed)",
		Long: "Serves the API against an existing PostgreSQL (migrated with `bkflow migrate up`) " +
			"and an existing Temporal cluster.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, e)
			if err != nil {
				return err
			}
			if cfg.DatabaseURL == "" {
				return errors.New("no database: set --database-url, " + config.EnvName("database-url") + " or DATABASE_URL")
			}
			app := fx.New(
				fxBase(cfg),
				fx.Provide(
					func() store.DSN { return func() string { return cfg.DatabaseURL } },
					temporalclient.AddressFromConfig,
				),
				store.Module,
				fx.Invoke(store.RequireSchema),
				temporalclient.Module,
				activities.Module,
				activities.Builtins(),
				api.Module,
				fx.Invoke(api.Serve),
			)
			return serve(cmd.Context(), app, nil)
		},
	}
	config.AddFlags(cmd.Flags(), config.GroupHTTP|config.GroupDatabase|config.GroupTemporal|config.GroupLog)
	return cmd
}
