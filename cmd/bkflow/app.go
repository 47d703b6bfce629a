package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/bkflow/bkflow/internal/apps"
	"github.com/bkflow/bkflow/internal/config"
)

func newAppCommand(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "app",
		Short: "Manage access systems (apps)",
	}
	create := &cobra.Command{
		Use:   "create CODE",
		Short: "Register an app and print its secret (shown once, stored only as a hash)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(cmd, e)
			if err != nil {
				return err
			}
			st, err := openStore(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer st.Close()
			svc, err := apps.New(st, time.Now)
			if err != nil {
				return err
			}
			secret, err := svc.Create(cmd.Context(), args[0])
			if errors.Is(err, apps.ErrExists) {
				return fmt.Errorf("app %s already exists", args[0])
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "app created\nbk_app_code:   %s\nbk_app_secret: %s\n"+
				"Keep the secret now: bkflow stores only its hash and cannot show it again.\n", args[0], secret)
			return nil
		},
	}
	config.AddFlags(create.Flags(), config.GroupDatabase|config.GroupLog)
	cmd.AddCommand(create)
	return cmd
}
