// Package version reports which bkflow build is running.
package version

// Version is set at build time with
// -ldflags "-X github.com/bkflow/bkflow/internal/version.Version=<v>".
// Builds without it report "dev".
var Version = "dev"
