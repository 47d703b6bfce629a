package temporaldev

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"go.temporal.io/server/common/config"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/schema/sqlite"
)

// sqlConfig returns the SQLite store for dbPath ("" = a fresh in-memory DB).
//
// File DBs use WAL, which keeps the file consistent across SIGKILL (the next
// open replays the -wal file); synchronous=NORMAL is safe against process
// crashes in WAL mode and only risks the last commits on power loss.
// Attribute keys carry no leading "_": the plugin turns unknown keys into
// _pragma= parameters itself.
func sqlConfig(dbPath string) *config.SQL {
	if dbPath == "" {
		// The plugin sets the schema up itself for mode=memory. A random name
		// keeps servers in one process apart (shared cache is per name).
		return &config.SQL{
			PluginName:        sqliteplugin.PluginName,
			DatabaseName:      "bkflow-temporaldev-" + rand.Text(),
			ConnectAttributes: map[string]string{"mode": "memory", "cache": "shared"},
		}
	}
	return &config.SQL{
		PluginName:   sqliteplugin.PluginName,
		DatabaseName: dbPath,
		ConnectAttributes: map[string]string{
			"mode":         "rwc",
			"journal_mode": "wal",
			"synchronous":  "normal",
		},
	}
}

// prepareDB creates the schema when the file does not exist yet and then
// creates namespace unless it exists (CreateNamespaces is idempotent).
// It reports whether the schema was created.
func prepareDB(cfg *config.SQL, inMemory bool, clusterName, namespace string) (created bool, err error) {
	if !inMemory {
		created, err = ensureSchema(cfg)
		if err != nil {
			return false, err
		}
	}
	ns, err := sqlite.NewNamespaceConfig(clusterName, namespace, false, nil)
	if err != nil {
		return created, fmt.Errorf("namespace %q config: %w", namespace, err)
	}
	if err := sqlite.CreateNamespaces(cfg, ns); err != nil {
		return created, fmt.Errorf("create namespace %q: %w", namespace, err)
	}
	return created, nil
}

// ensureSchema runs sqlite.SetupSchema when the DB file is missing. If the
// setup fails, the half-written file is removed so that the next process
// retries (the plugin never closes its pooled connections, so a retry in the
// same process would still see the removed file).
func ensureSchema(cfg *config.SQL) (bool, error) {
	path := cfg.DatabaseName
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return false, fmt.Errorf("stat db: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, fmt.Errorf("create db dir: %w", err)
	}
	if err := sqlite.SetupSchema(cfg); err != nil {
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			_ = os.Remove(p)
		}
		return false, fmt.Errorf("setup schema in %s: %w", path, err)
	}
	return true, nil
}
