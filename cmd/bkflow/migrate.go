package main

import (
	"context"
	"fmt"
	"path"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/bkflow/bkflow/internal/config"
	"github.com/bkflow/bkflow/internal/store"
	"github.com/bkflow/bkflow/internal/telemetry"
)

func newMigrateCommand(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate up|down|status",
		Short: "Apply, roll back or list the database migrations",
		Long: "up applies every pending migration; down rolls back the most recent one; " +
			"status lists each migration and whether it is applied.",
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"up", "down", "status"},
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cmd, e)
			if err != nil {
				return err
			}
			return migrate(cmd.Context(), e, cfg, args[0])
		},
	}
	config.AddFlags(cmd.Flags(), config.GroupDatabase|config.GroupLog)
	return cmd
}

func migrate(ctx context.Context, e env, cfg *config.Config, action string) error {
	if action != "up" && action != "down" && action != "status" {
		return fmt.Errorf("unknown migrate action %q: use up, down or status", action)
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	log := telemetry.NewLogger(e.stderr, cfg.LogLevel, cfg.LogFormat)
	m, err := store.NewMigrator(st, log)
	if err != nil {
		return err
	}
	defer m.Close()
	switch action {
	case "up":
		n, err := m.Up(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "applied %d migration(s)\n", n)
	case "down":
		v, err := m.Down(ctx)
		if err != nil {
			return err
		}
		if v == 0 {
			fmt.Fprintln(e.stdout, "nothing to roll back")
		} else {
			fmt.Fprintf(e.stdout, "rolled back migration %d\n", v)
		}
	case "status":
		list, err := m.Status(ctx)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, "VERSION\tSTATE\tAPPLIED AT\tFILE")
		for _, s := range list {
			applied := "-"
			if !s.AppliedAt.IsZero() {
				applied = s.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\n", s.Source.Version, s.State, applied, path.Base(s.Source.Path))
		}
		return w.Flush()
	}
	return nil
}

// openStore connects to the configured database for one-shot commands.
func openStore(ctx context.Context, cfg *config.Config) (*store.Store, error) {
	if cfg.DatabaseURL == "" {
		return nil, errNoDatabase
	}
	st, err := store.Open(ctx, cfg.DatabaseURL, 2)
	if err != nil {
		return nil, err
	}
	if err := st.Ping(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("connect to postgresql: %w", err)
	}
	return st, nil
}
