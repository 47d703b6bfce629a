package main

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/fx"

	"github.com/bkflow/bkflow/activities"
	"github.com/bkflow/bkflow/internal/config"
	"github.com/bkflow/bkflow/internal/store"
	"github.com/bkflow/bkflow/workflows"
	"github.com/bkflow/bkflow/workflows/expr"
)

func newWorkerCommand(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run the Temporal workers that execute tasks (the interpreter and the components)",
		Long: "Polls the module's task queue on an existing Temporal cluster; run as many replicas as needed. " +
			"Only the default module exists until isolation is configured.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, e)
			if err != nil {
				return err
			}
			if cfg.DatabaseURL == "" {
				return errNoDatabase
			}
			if cfg.Module != "default" {
				return fmt.Errorf("module %q is not defined: this deployment only has the default module", cfg.Module)
			}
			app := fx.New(
				fxCluster(cfg),
				workerOptions(cfg),
			)
			return serve(cmd.Context(), app, nil)
		},
	}
	config.AddFlags(cmd.Flags(), config.GroupDatabase|config.GroupTemporal|config.GroupLog|config.GroupWorker)
	return cmd
}

// workerOptions assemble the default module's worker: the interpreter, the
// built-in components (with the configured outbound HTTP policy and time
// zone) and the task record activities.
func workerOptions(cfg *config.Config) fx.Option {
	return fx.Options(
		fx.Provide(
			func() activities.ConditionEvaluator { return expr.EvalBoolrule },
			func() (*activities.BuiltinConfig, error) { return builtinConfig(cfg) },
			func(st *store.Store) (activities.TemplateSource, error) { return activities.NewStoreTemplates(st) },
		),
		workflows.WorkerModule,
	)
}

func builtinConfig(cfg *config.Config) (*activities.BuiltinConfig, error) {
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("time-zone: %w", err)
	}
	policy := activities.DefaultHTTPPolicy()
	for _, c := range cfg.HTTPDeny {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, fmt.Errorf("http-deny: %w", err)
		}
		policy.Deny = append(policy.Deny, p)
	}
	for _, c := range cfg.HTTPAllow {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, fmt.Errorf("http-allow: %w", err)
		}
		policy.Allow = append(policy.Allow, p)
	}
	return &activities.BuiltinConfig{Location: loc, HTTPPolicy: &policy, Now: time.Now}, nil
}
