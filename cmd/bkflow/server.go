package main

import (
	"github.com/spf13/cobra"
	"go.uber.org/fx"

	"github.com/bkflow/bkflow/activities"
	"github.com/bkflow/bkflow/api"
	"github.com/bkflow/bkflow/internal/config"
	"github.com/bkflow/bkflow/policy"
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
				return errNoDatabase
			}
			app := fx.New(
				fxCluster(cfg),
				activities.Module,
				activities.Builtins(),
				policy.Module,
				api.Module,
				fx.Invoke(api.Serve),
			)
			return serve(cmd.Context(), app, nil)
		},
	}
	config.AddFlags(cmd.Flags(), config.GroupHTTP|config.GroupDatabase|config.GroupTemporal|config.GroupLog)
	return cmd
}
