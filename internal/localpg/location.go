package localpg

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Names of the files a cluster keeps in Options.Dir.
const (
	dataDirName      = "data"
	passwordFileName = "password"
	logFileName      = "postgres.log"
	locationFileName = "location"
)

// redirectPrefix starts the data directory's path when Dir is not reachable
// by the postgres user.
const redirectPrefix = "/var/tmp/bkflow-pg-"

// redirectDir is the data directory used for dir when the postgres user
// cannot reach dir: redirectPrefix + the first 12 hex digits of
// sha256(dir), dir being absolute.
func redirectDir(dir string) string {
	sum := sha256.Sum256([]byte(dir))
	return redirectPrefix + hex.EncodeToString(sum[:])[:12]
}

// prepareDataDir decides where the data directory is (see the package doc)
// and makes sure it exists, is owned by acct and has mode 0700.
func (c *Cluster) prepareDataDir(acct *account) (string, error) {
	locFile := filepath.Join(c.dir, locationFileName)
	b, err := os.ReadFile(locFile)
	switch {
	case err == nil:
		data := strings.TrimSpace(string(b))
		if !filepath.IsAbs(data) {
			return "", fmt.Errorf("%s: %q is not an absolute path", locFile, data)
		}
		if err := ensureDataDir(data, acct, true); err != nil {
			return "", err
		}
		c.log.Info("postgres data directory is redirected", "data", data, "location_file", locFile)
		return data, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("read location: %w", err)
	}

	data := filepath.Join(c.dir, dataDirName)
	if acct != nil {
		blocker, err := acct.blockingDir(c.dir)
		if err != nil {
			return "", fmt.Errorf("check access to %s: %w", c.dir, err)
		}
		if blocker != "" {
			if initialized(data) {
				return "", fmt.Errorf("%s holds a cluster but the %s user cannot reach it: %s is not searchable by %s (chmod o+x it)",
					data, acct.name, blocker, acct.name)
			}
			redirect := redirectDir(c.dir)
			if err := ensureDataDir(redirect, acct, true); err != nil {
				return "", err
			}
			if err := os.WriteFile(locFile, []byte(redirect+"\n"), 0o644); err != nil {
				return "", fmt.Errorf("write location: %w", err)
			}
			c.log.Info("postgres data directory redirected: the postgres user cannot reach the cluster home",
				"dir", c.dir, "not_searchable", blocker, "data", redirect, "location_file", locFile)
			return redirect, nil
		}
	}
	if err := ensureDataDir(data, acct, false); err != nil {
		return "", err
	}
	return data, nil
}

// ensureDataDir creates dir if missing and gives it to acct with mode 0700.
// A dir in a shared place (shared=true, e.g. /var/tmp) must not be a symlink
// and must already belong to acct or root, so another local user cannot
// plant it.
func ensureDataDir(dir string, acct *account, shared bool) error {
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.Mkdir(dir, 0o700); err != nil {
			return fmt.Errorf("create data directory: %w", err)
		}
	case err != nil:
		return fmt.Errorf("data directory: %w", err)
	case !fi.IsDir():
		return fmt.Errorf("data directory %s is not a directory", dir)
	case shared:
		if st, ok := fi.Sys().(*syscall.Stat_t); !ok || (st.Uid != 0 && !acct.owns(fi)) {
			return fmt.Errorf("data directory %s belongs to another user; remove it", dir)
		}
	}
	if err := acct.chown(dir); err != nil {
		return fmt.Errorf("chown data directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("chmod data directory: %w", err)
	}
	return nil
}

// initialized reports whether dataDir holds a cluster made by initdb.
func initialized(dataDir string) bool {
	_, err := os.Stat(filepath.Join(dataDir, "PG_VERSION"))
	return err == nil
}
