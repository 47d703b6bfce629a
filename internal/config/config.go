// Package config is the one place every bkflow role reads its settings from.
//
// Precedence is flags > environment > YAML file > defaults. Every setting has a
// kebab-case key that is at once its flag name, its YAML key and (upper-cased,
// prefixed with BKFLOW_, dashes turned to underscores) its environment variable.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"time"

	"github.com/bkflow/bkflow/internal/secrets"
)

// Config holds the settings of every role. Fields a role does not use are
// simply ignored by it.
type Config struct {
	// DataDir holds the dev stack's state: Temporal's SQLite file, the private
	// PostgreSQL cluster and the development app's secret.
	DataDir string `mapstructure:"data-dir"`
	// HTTPAddr is where the API listens.
	HTTPAddr string `mapstructure:"http-addr"`
	// DatabaseURL is the PostgreSQL connection string. Empty in dev means
	// "start a private cluster under DataDir".
	DatabaseURL string `mapstructure:"database-url"`
	// DBMaxConns caps the connection pool.
	DBMaxConns int32 `mapstructure:"db-max-conns"`

	// TemporalAddress is host:port of an existing Temporal frontend. Empty in
	// dev means "embed one".
	TemporalAddress string `mapstructure:"temporal-address"`
	// TemporalPort is the embedded frontend's gRPC port (dev only).
	TemporalPort int `mapstructure:"temporal-port"`
	// UIPort is the embedded Temporal Web UI's port (dev only).
	UIPort int `mapstructure:"ui-port"`
	// TemporalNamespace is the default module's namespace.
	TemporalNamespace string `mapstructure:"temporal-namespace"`
	// TemporalTaskQueue is the default module's task queue.
	TemporalTaskQueue string `mapstructure:"temporal-task-queue"`
	// TemporalUIURL is the base URL of the Temporal Web UI, used for deep links.
	TemporalUIURL string `mapstructure:"temporal-ui-url"`
	// TemporalSetup registers the namespace and bkflow's search attributes at
	// start (needs operator rights on the cluster).
	TemporalSetup bool `mapstructure:"temporal-setup"`

	// MaxBodyBytes is the largest request body the API reads.
	MaxBodyBytes int64 `mapstructure:"max-body-bytes"`
	// RequestTimeout bounds the handling of one API request.
	RequestTimeout time.Duration `mapstructure:"request-timeout"`
	// ShutdownTimeout bounds a clean stop of the whole process.
	ShutdownTimeout time.Duration `mapstructure:"shutdown-timeout"`

	// MaxSpacesPerApp is how many spaces one app may own.
	MaxSpacesPerApp int `mapstructure:"max-spaces-per-app"`
	// AppWhitelist lists app codes allowed to create spaces for another app
	// code (BKFlow's APP_WHITE_LIST).
	AppWhitelist []string `mapstructure:"app-whitelist"`
	// APIGWHostPattern is a regular expression the host of API-gateway URLs in
	// space configs (uniform_api, callback_hooks) must match. Empty accepts any
	// absolute http(s) URL.
	APIGWHostPattern string `mapstructure:"apigw-host-pattern"`

	// TimeZone is where sleep_timer dates are read and BKFlow's formatted
	// times are written (an IANA name such as Asia/Shanghai).
	TimeZone string `mapstructure:"time-zone"`
	// HTTPAllow lists CIDRs outbound plugin requests may reach even when the
	// SSRF policy denies them (e.g. 127.0.0.1/32 for a local service).
	HTTPAllow []string `mapstructure:"http-allow"`
	// HTTPDeny lists CIDRs denied on top of the default policy (loopback,
	// link-local, metadata addresses).
	HTTPDeny []string `mapstructure:"http-deny"`
	// Module is the module a worker serves ("default").
	Module string `mapstructure:"module"`
	// TaskHistoryLimit is the history length at which a task workflow
	// continues as new (Temporal's hard limit is 51,200 events).
	TaskHistoryLimit int `mapstructure:"task-history-limit"`
	// DevWorker runs the workers inside bkflow dev (turn off to run
	// `bkflow worker` processes beside it).
	DevWorker bool `mapstructure:"dev-worker"`

	// SystemAdmins are usernames allowed everything: BKFlow's system
	// administrators and BlueKing IAM's super users.
	SystemAdmins []string `mapstructure:"system-admins"`
	// PolicyDir holds operators' Rego admission rules; empty means none.
	PolicyDir string `mapstructure:"policy-dir"`
	// IAMClients are the app codes that may call the IAM auth, query and
	// grant APIs of bkflow's own system; "*" admits every app.
	IAMClients []string `mapstructure:"iam-clients"`
	// IAMToken authenticates BlueKing IAM's calls to the resource callback
	// (Basic bk_iam:<token>); empty disables the callback.
	IAMToken string `mapstructure:"iam-token"`
	// IAMReloadInterval is how often the API looks for IAM changes other
	// processes made (its own writes apply at once).
	IAMReloadInterval time.Duration `mapstructure:"iam-reload-interval"`

	// SecretKeys are base64 AES-256 keys sealing credentials at rest (in
	// PostgreSQL and in Temporal histories). The first seals; all open. Empty
	// in dev means "generate one once and keep it in DataDir"; elsewhere it
	// means credentials are refused.
	SecretKeys []string `mapstructure:"secret-keys"`

	// DevAppSecret fixes the secret of the development app `bkflow-dev`.
	// Empty means "generate one once and keep it in DataDir".
	DevAppSecret string `mapstructure:"dev-app-secret"`

	// PprofAddr serves Go's profiler (/debug/pprof) when set; keep it on
	// loopback.
	PprofAddr string `mapstructure:"pprof-addr"`

	// LogLevel is debug, info, warn or error.
	LogLevel string `mapstructure:"log-level"`
	// LogFormat is json or text.
	LogFormat string `mapstructure:"log-format"`
}

// Validate reports every setting that cannot work, naming its key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.HTTPAddr != "" {
		if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
			bad("http-addr", "%v", err)
		}
	}
	if c.TemporalAddress != "" {
		if _, _, err := net.SplitHostPort(c.TemporalAddress); err != nil {
			bad("temporal-address", "%v", err)
		}
	}
	for key, port := range map[string]int{"temporal-port": c.TemporalPort, "ui-port": c.UIPort} {
		if port < 0 || port > 65535 {
			bad(key, "%d is not a TCP port", port)
		}
	}
	if c.TemporalNamespace == "" {
		bad("temporal-namespace", "must not be empty")
	}
	if c.TemporalTaskQueue == "" {
		bad("temporal-task-queue", "must not be empty")
	}
	if c.DBMaxConns < 1 {
		bad("db-max-conns", "must be at least 1")
	}
	if c.MaxBodyBytes < 1024 {
		bad("max-body-bytes", "must be at least 1024")
	}
	if c.RequestTimeout <= 0 {
		bad("request-timeout", "must be positive")
	}
	if c.ShutdownTimeout <= 0 {
		bad("shutdown-timeout", "must be positive")
	}
	if c.TaskHistoryLimit < 100 || c.TaskHistoryLimit > 40000 {
		bad("task-history-limit", "must be between 100 and 40000, got %d", c.TaskHistoryLimit)
	}
	if c.MaxSpacesPerApp < 1 {
		bad("max-spaces-per-app", "must be at least 1")
	}
	if c.APIGWHostPattern != "" {
		if _, err := regexp.Compile(c.APIGWHostPattern); err != nil {
			bad("apigw-host-pattern", "%v", err)
		}
	}
	if _, err := time.LoadLocation(c.TimeZone); err != nil {
		bad("time-zone", "%v", err)
	}
	for key, list := range map[string][]string{"http-allow": c.HTTPAllow, "http-deny": c.HTTPDeny} {
		for _, cidr := range list {
			if _, err := netip.ParsePrefix(cidr); err != nil {
				bad(key, "%q is not a CIDR such as 10.0.0.0/8: %v", cidr, err)
			}
		}
	}
	if _, err := secrets.NewSealer(c.SecretKeys); err != nil {
		bad("secret-keys", "%v", err)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log-level", "%q is not one of debug, info, warn, error", c.LogLevel)
	}
	switch c.LogFormat {
	case "json", "text":
	default:
		bad("log-format", "%q is not one of json, text", c.LogFormat)
	}
	return errors.Join(errs...)
}

// EnvName is the environment variable of a setting key.
func EnvName(key string) string {
	return "BKFLOW_" + strings.ToUpper(strings.ReplaceAll(key, "-", "_"))
}
