package localpg

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// debianPGRoot is where Debian and Ubuntu install each major version's
// server binaries, as <root>/<major>/bin.
const debianPGRoot = "/usr/lib/postgresql"

// pgConfigTimeout bounds the pg_config --bindir probe.
const pgConfigTimeout = 5 * time.Second

// binaries are the server programs a cluster runs.
type binaries struct {
	dir string
}

func (b binaries) initdb() string   { return filepath.Join(b.dir, "initdb") }
func (b binaries) postgres() string { return filepath.Join(b.dir, "postgres") }

// findBinaries resolves the directory holding initdb and postgres: binDir if
// set; else the newest /usr/lib/postgresql/<major>/bin; else
// `pg_config --bindir`; else PATH.
func findBinaries(binDir string) (binaries, error) {
	if binDir != "" {
		if hasServerBinaries(binDir) {
			return binaries{dir: binDir}, nil
		}
		return binaries{}, fmt.Errorf("%w in %s; %s", ErrBinariesMissing, binDir, installHint)
	}
	for _, dir := range debianBinDirs(debianPGRoot) {
		if hasServerBinaries(dir) {
			return binaries{dir: dir}, nil
		}
	}
	if dir := pgConfigBinDir(); dir != "" && hasServerBinaries(dir) {
		return binaries{dir: dir}, nil
	}
	if initdb, err := exec.LookPath("initdb"); err == nil {
		if dir := filepath.Dir(initdb); hasServerBinaries(dir) {
			return binaries{dir: dir}, nil
		}
	}
	return binaries{}, fmt.Errorf("%w (looked in %s/*/bin, pg_config --bindir and PATH); %s",
		ErrBinariesMissing, debianPGRoot, installHint)
}

// debianBinDirs lists root/<version>/bin, newest major version first.
func debianBinDirs(root string) []string {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	type candidate struct {
		version []int
		dir     string
	}
	var cands []candidate
	for _, e := range entries {
		v, ok := parseVersion(e.Name())
		if !ok {
			continue
		}
		cands = append(cands, candidate{version: v, dir: filepath.Join(root, e.Name(), "bin")})
	}
	slices.SortFunc(cands, func(a, b candidate) int { return slices.Compare(b.version, a.version) })
	dirs := make([]string, len(cands))
	for i, c := range cands {
		dirs[i] = c.dir
	}
	return dirs
}

// parseVersion parses "15" or "9.6" into its numeric parts.
func parseVersion(s string) ([]int, bool) {
	parts := strings.Split(s, ".")
	v := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, false
		}
		v[i] = n
	}
	return v, true
}

// pgConfigBinDir asks pg_config on PATH for the binaries directory; "" when
// there is no pg_config or it fails.
func pgConfigBinDir() string {
	path, err := exec.LookPath("pg_config")
	if err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), pgConfigTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--bindir").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// hasServerBinaries reports whether dir holds executable initdb and postgres.
func hasServerBinaries(dir string) bool {
	for _, name := range []string{"initdb", "postgres"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}
