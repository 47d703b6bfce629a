package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/bkflow/bkflow/internal/version"
)

func newVersionCommand(e env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the bkflow version and the versions it is built with",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(e.stdout, "bkflow %s (%s, temporal sdk %s, temporal server %s)\n",
				version.Version, runtime.Version(), moduleVersion("go.temporal.io/sdk"), moduleVersion("go.temporal.io/server"))
			return nil
		},
	}
}

func moduleVersion(path string) string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == path {
				return d.Version
			}
		}
	}
	return "unknown"
}
