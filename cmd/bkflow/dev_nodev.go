//go:build nodev

package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newDevCommand is absent from production builds (-tags nodev), which leave
// out the embedded Temporal server, its UI and the private PostgreSQL.
func newDevCommand(env) *cobra.Command {
	return &cobra.Command{
		Use:    "dev",
		Short:  "Not available: this build has no embedded dev stack (built with -tags nodev)",
		Hidden: true,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("this bkflow was built with -tags nodev and has no dev command; use bkflow server and bkflow worker")
		},
	}
}
