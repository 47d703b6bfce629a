//go:build !nodev

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"go.uber.org/fx"

	"github.com/bkflow/bkflow/activities"
	"github.com/bkflow/bkflow/api"
	"github.com/bkflow/bkflow/internal/apps"
	"github.com/bkflow/bkflow/internal/config"
	"github.com/bkflow/bkflow/internal/localpg"
	"github.com/bkflow/bkflow/internal/secrets"
	"github.com/bkflow/bkflow/internal/store"
	"github.com/bkflow/bkflow/internal/telemetry"
	"github.com/bkflow/bkflow/internal/temporalclient"
	"github.com/bkflow/bkflow/internal/temporaldev"
	"github.com/bkflow/bkflow/policy"
)

// DevAppCode is the app the dev stack registers for trying the API.
const DevAppCode = "bkflow-dev"

// Files and folders of the dev stack inside --data-dir.
const (
	devTemporalDB   = "temporal.db"
	devPostgresDir  = "postgres"
	devSecretFile   = "dev-app-secret"
	devSecretKey    = "secret-key"
	devDatabaseName = "bkflow"
)

func newDevCommand(e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run the whole stack in one process: Temporal + UI, PostgreSQL, migrations, API and workers",
		Long: "Starts an embedded Temporal server (SQLite in --data-dir) with its Web UI, a private PostgreSQL " +
			"cluster (unless DATABASE_URL is set), applies migrations, and serves the API. State survives restarts. " +
			"Stop with Ctrl-C.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, e)
			if err != nil {
				return err
			}
			return runDev(cmd.Context(), e, cfg)
		},
	}
	config.AddFlags(cmd.Flags(), config.GroupDev|config.GroupHTTP|config.GroupDatabase|config.GroupTemporal|config.GroupLog)
	cmd.AddCommand(newDevPostgresCommand(e))
	return cmd
}

func runDev(ctx context.Context, e env, cfg *config.Config) error {
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	secret, err := devAppSecret(cfg)
	if err != nil {
		return err
	}
	if len(cfg.SecretKeys) == 0 {
		key, err := keptSecret(filepath.Join(cfg.DataDir, devSecretKey), secrets.GenerateKey)
		if err != nil {
			return fmt.Errorf("dev secret key: %w", err)
		}
		cfg.SecretKeys = []string{key}
	}
	// The development app administers bkflow's IAM system in dev.
	cfg.IAMClients = append(cfg.IAMClients, DevAppCode)
	var (
		httpServer *api.Server
		embedded   *temporaldev.Server
		cluster    *localpg.Cluster
	)
	app := fx.New(
		fxBase(cfg),
		fx.Provide(
			func(lc fx.Lifecycle, log *slog.Logger) (store.DSN, error) {
				if cfg.DatabaseURL != "" {
					return func() string { return cfg.DatabaseURL }, nil
				}
				c, err := localpg.New(localpg.Options{
					Dir: filepath.Join(cfg.DataDir, devPostgresDir), Database: devDatabaseName, Logger: log,
				})
				if err != nil {
					return nil, err
				}
				cluster = c
				lc.Append(fx.StartStopHook(c.Start, c.Stop))
				return c.URL, nil
			},
			func(lc fx.Lifecycle, log *slog.Logger) (temporalclient.Address, error) {
				if cfg.TemporalAddress != "" {
					return temporalclient.Address(cfg.TemporalAddress), nil
				}
				s, err := temporaldev.New(temporaldev.Options{
					DBPath: filepath.Join(cfg.DataDir, devTemporalDB), Port: cfg.TemporalPort, UIPort: cfg.UIPort,
					Namespace: cfg.TemporalNamespace, Logger: log,
				})
				if err != nil {
					return "", err
				}
				embedded = s
				if cfg.TemporalUIURL == "" {
					cfg.TemporalUIURL = s.UIURL()
				}
				lc.Append(fx.StartStopHook(s.Start, s.Stop))
				return temporalclient.Address(s.FrontendAddress()), nil
			},
		),
		store.Module,
		fx.Invoke(store.MigrateOnStart),
		fx.Invoke(func(lc fx.Lifecycle, svc *apps.Service) {
			lc.Append(fx.StartHook(func(ctx context.Context) error { return svc.Ensure(ctx, DevAppCode, secret) }))
		}),
		temporalclient.Module,
		devWorkers(cfg),
		policy.Module,
		api.Module,
		fx.Invoke(api.Serve),
		fx.Populate(&httpServer),
	)
	return serve(ctx, app, func() error {
		printDevBanner(e, cfg, httpServer.Addr(), embedded, cluster, secret)
		return nil
	})
}

// devWorkers are the workers inside bkflow dev, or (with --dev-worker=false)
// only the component registry the API needs.
func devWorkers(cfg *config.Config) fx.Option {
	if cfg.DevWorker {
		return workerOptions(cfg)
	}
	return fx.Options(activities.Module, activities.Builtins())
}

// devAppSecret returns the dev app's secret: the configured one, else the one
// kept in the data dir, else a new one written there.
func devAppSecret(cfg *config.Config) (string, error) {
	if cfg.DevAppSecret != "" {
		return cfg.DevAppSecret, nil
	}
	s, err := keptSecret(filepath.Join(cfg.DataDir, devSecretFile), func() (string, error) {
		raw := make([]byte, 24)
		if _, err := rand.Read(raw); err != nil {
			return "", err
		}
		return hex.EncodeToString(raw), nil
	})
	if err != nil {
		return "", fmt.Errorf("dev app secret: %w", err)
	}
	return s, nil
}

// keptSecret returns the secret kept in path, or a new one from generate
// written there (0600) so that restarts keep it.
func keptSecret(path string, generate func() (string, error)) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil && strings.TrimSpace(string(b)) != "" {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	secret, err := generate()
	if err != nil {
		return "", fmt.Errorf("generate: %w", err)
	}
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return secret, nil
}

func printDevBanner(e env, cfg *config.Config, httpAddr string, embedded *temporaldev.Server, cluster *localpg.Cluster, secret string) {
	apiURL := "http://" + httpAddr
	temporalLine := cfg.TemporalAddress + " (external)"
	uiLine := cfg.TemporalUIURL
	if embedded != nil {
		temporalLine = embedded.FrontendAddress() + " (embedded, " + filepath.Join(cfg.DataDir, devTemporalDB) + ")"
		uiLine = embedded.UIURL()
	}
	if uiLine == "" {
		uiLine = "-"
	}
	pgLine := "DATABASE_URL"
	if cluster != nil {
		pgLine = "private cluster in " + filepath.Join(cfg.DataDir, devPostgresDir)
	}
	auth := fmt.Sprintf(`{"bk_app_code": "%s", "bk_app_secret": "%s", "bk_username": "admin"}`, DevAppCode, secret)
	fmt.Fprintf(e.stdout, `
bkflow dev is ready
  API          %s   (OpenAPI: %s/openapi.json)
  Temporal UI  %s
  Temporal     %s, namespace %s
  PostgreSQL   %s
  App code     %s
  App secret   %s

Try it:
  curl -s -X POST %s/create_space \
    -H 'X-Bkapi-Authorization: %s' \
    -d '{"name": "demo", "platform_url": "http://example.com"}'

Press Ctrl-C to stop; state is kept in %s.
`, apiURL, apiURL, uiLine, temporalLine, cfg.TemporalNamespace, pgLine, DevAppCode, secret, apiURL, auth, cfg.DataDir)
}

// newDevPostgresCommand runs only the dev stack's private PostgreSQL cluster:
// `make test` uses it to give the test suite a database.
func newDevPostgresCommand(e env) *cobra.Command {
	var urlFile string
	var ephemeral bool
	cmd := &cobra.Command{
		Use:   "postgres",
		Short: "Run only the private PostgreSQL cluster and print its URL (stops on Ctrl-C/SIGTERM)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, e)
			if err != nil {
				return err
			}
			log := telemetry.NewLogger(e.stderr, cfg.LogLevel, cfg.LogFormat)
			c, err := localpg.New(localpg.Options{
				Dir: filepath.Join(cfg.DataDir, devPostgresDir), Database: devDatabaseName, Logger: log, Ephemeral: ephemeral,
			})
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if err := c.Start(ctx); err != nil {
				return err
			}
			defer func() {
				stopCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
				defer cancel()
				if err := c.Stop(stopCtx); err != nil {
					log.Error("stop postgresql", "error", err)
				}
			}()
			fmt.Fprintln(e.stdout, c.URL())
			if urlFile != "" {
				if err := os.WriteFile(urlFile, []byte(c.URL()+"\n"), 0o600); err != nil {
					return fmt.Errorf("write url file: %w", err)
				}
			}
			<-ctx.Done()
			return nil
		},
	}
	cmd.Flags().StringVar(&urlFile, "url-file", "", "also write the connection URL to this file once the cluster accepts connections")
	cmd.Flags().BoolVar(&ephemeral, "ephemeral", false, "trade durability for speed (fsync off): for test databases only")
	config.AddFlags(cmd.Flags(), config.GroupDev|config.GroupLog)
	return cmd
}
