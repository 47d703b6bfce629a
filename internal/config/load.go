package config

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// Group selects which settings a command exposes as flags. Every command
// still reads every setting from the environment and the YAML file.
type Group int

// The groups of settings; a command adds the flags of the groups it uses.
const (
	GroupDev Group = 1 << iota
	GroupHTTP
	GroupDatabase
	GroupTemporal
	GroupLog
	GroupWorker
)

// Option describes one setting: its key, default, help text and the flag
// groups it belongs to. The README's configuration table is checked against
// Options by a test.
type Option struct {
	Key     string
	Default any
	Usage   string
	Groups  Group
	// ExtraEnv lists environment variables read besides EnvName(Key), in
	// order of precedence after it.
	ExtraEnv []string
}

// Options lists every setting bkflow reads.
func Options() []Option {
	return []Option{
		{Key: "data-dir", Default: ".bkflow", Groups: GroupDev,
			Usage: "directory for the dev stack's state (Temporal SQLite file, private PostgreSQL, dev app secret)"},
		{Key: "http-addr", Default: "127.0.0.1:8000", Groups: GroupHTTP,
			Usage: "address the API listens on"},
		{Key: "database-url", Default: "", Groups: GroupDatabase, ExtraEnv: []string{"DATABASE_URL"},
			Usage: "PostgreSQL connection string; in dev, empty starts a private cluster under --data-dir"},
		{Key: "db-max-conns", Default: int32(20), Groups: GroupDatabase,
			Usage: "maximum PostgreSQL connections in the pool"},
		{Key: "temporal-address", Default: "", Groups: GroupTemporal,
			Usage: "host:port of an existing Temporal frontend; in dev, empty embeds one (server and worker default to 127.0.0.1:7233)"},
		{Key: "temporal-port", Default: 7233, Groups: GroupDev,
			Usage: "gRPC port of the embedded Temporal frontend"},
		{Key: "ui-port", Default: 8233, Groups: GroupDev,
			Usage: "port of the embedded Temporal Web UI"},
		{Key: "temporal-namespace", Default: "default", Groups: GroupTemporal,
			Usage: "Temporal namespace of the default module"},
		{Key: "temporal-task-queue", Default: "bkflow-default", Groups: GroupTemporal,
			Usage: "Temporal task queue of the default module"},
		{Key: "temporal-ui-url", Default: "", Groups: GroupTemporal,
			Usage: "base URL of the Temporal Web UI for deep links (dev: the embedded UI)"},
		{Key: "temporal-setup", Default: true, Groups: GroupTemporal,
			Usage: "register the namespace and bkflow's search attributes at start"},
		{Key: "max-body-bytes", Default: int64(10 << 20), Groups: GroupHTTP,
			Usage: "largest request body the API accepts, in bytes"},
		{Key: "request-timeout", Default: 30 * time.Second, Groups: GroupHTTP,
			Usage: "time limit for handling one API request"},
		{Key: "shutdown-timeout", Default: 10 * time.Second, Groups: GroupHTTP | GroupDev,
			Usage: "time limit for a clean stop"},
		{Key: "max-spaces-per-app", Default: 100, Groups: GroupHTTP,
			Usage: "how many spaces one app may own"},
		{Key: "app-whitelist", Default: []string{}, Groups: GroupHTTP,
			Usage: "app codes allowed to create spaces on behalf of another app_code (comma-separated)"},
		{Key: "system-admins", Default: []string{}, Groups: GroupHTTP,
			Usage: "usernames that may do anything in every space: the /sdk endpoints and IAM decisions let them through (comma-separated)"},
		{Key: "policy-dir", Default: "", Groups: GroupHTTP,
			Usage: "directory of operators' Rego admission rules (package bkflow.admission, set deny), checked when templates are saved and tasks created or started; empty: none"},
		{Key: "iam-clients", Default: []string{}, Groups: GroupHTTP,
			Usage: "app codes that may call the IAM auth, query and grant APIs of bkflow's own system (comma-separated; * for every app; dev adds bkflow-dev)"},
		{Key: "iam-token", Default: "", Groups: GroupHTTP,
			Usage: "password BlueKing IAM sends as Basic bk_iam:<token> to the resource callback /iam/resources/ (empty: the callback refuses every call)"},
		{Key: "iam-reload-interval", Default: time.Second, Groups: GroupHTTP,
			Usage: "how often the API checks PostgreSQL for IAM policy changes made by other processes"},
		{Key: "apigw-host-pattern", Default: "", Groups: GroupHTTP,
			Usage: "regular expression API-gateway URL hosts in space configs must match (empty: any http(s) URL)"},
		{Key: "time-zone", Default: "UTC", Groups: GroupTemporal,
			Usage: "IANA time zone of sleep_timer dates and of the times the API formats (e.g. Asia/Shanghai)"},
		{Key: "http-allow", Default: []string{}, Groups: GroupTemporal,
			Usage: "CIDRs plugin HTTP requests may reach although the SSRF policy denies them (comma-separated)"},
		{Key: "http-deny", Default: []string{}, Groups: GroupTemporal,
			Usage: "CIDRs denied to plugin HTTP requests on top of loopback, link-local and metadata addresses (comma-separated)"},
		{Key: "task-history-limit", Default: 20000, Groups: GroupTemporal,
			Usage: "history events after which a task workflow continues as new"},
		{Key: "dev-worker", Default: true, Groups: GroupDev,
			Usage: "run the workers inside bkflow dev (false: run bkflow worker processes beside it)"},
		{Key: "module", Default: "default", Groups: GroupWorker,
			Usage: "the module whose tasks this worker runs"},
		{Key: "secret-keys", Default: []string{}, Groups: GroupTemporal,
			Usage: "base64 32-byte keys sealing credentials at rest, comma-separated; the first seals, all open (dev: generated once and kept in --data-dir; elsewhere empty refuses credentials)"},
		{Key: "dev-app-secret", Default: "", Groups: GroupDev,
			Usage: "secret of the development app bkflow-dev (empty: generated once and kept in --data-dir)"},
		{Key: "pprof-addr", Default: "", Groups: GroupLog,
			Usage: "address to serve Go's profiler on (/debug/pprof), e.g. 127.0.0.1:6060; empty: off"},
		{Key: "log-level", Default: "info", Groups: GroupLog,
			Usage: "log level: debug, info, warn or error"},
		{Key: "log-format", Default: "json", Groups: GroupLog,
			Usage: "log format: json or text"},
	}
}

// ConfigFileFlag is the flag (and BKFLOW_CONFIG) naming the optional YAML file.
const ConfigFileFlag = "config"

// AddFlags registers the flags of the given groups, plus --config, on fs.
func AddFlags(fs *pflag.FlagSet, groups Group) {
	fs.String(ConfigFileFlag, "", "optional YAML configuration file (env "+EnvName(ConfigFileFlag)+")")
	for _, o := range Options() {
		if o.Groups&groups == 0 {
			continue
		}
		usage := fmt.Sprintf("%s (env %s)", o.Usage, strings.Join(append([]string{EnvName(o.Key)}, o.ExtraEnv...), ", "))
		switch d := o.Default.(type) {
		case string:
			fs.String(o.Key, d, usage)
		case int:
			fs.Int(o.Key, d, usage)
		case int32:
			fs.Int32(o.Key, d, usage)
		case int64:
			fs.Int64(o.Key, d, usage)
		case bool:
			fs.Bool(o.Key, d, usage)
		case time.Duration:
			fs.Duration(o.Key, d, usage)
		case []string:
			fs.StringSlice(o.Key, d, usage)
		default: // every default in Options has one of the types above (TestOptionsDefaults)
			fs.String(o.Key, fmt.Sprint(d), usage)
		}
	}
}

// Load reads the configuration: flags set on fs, then the environment, then the
// YAML file named by --config or BKFLOW_CONFIG, then defaults. getenv is
// os.Getenv outside tests.
func Load(fs *pflag.FlagSet, getenv func(string) string) (*Config, error) {
	v := viper.New()
	for _, o := range Options() {
		v.SetDefault(o.Key, o.Default)
		// Environment variables are looked up explicitly so that a variable set
		// to "" still counts as set only when it is non-empty.
		for _, name := range append([]string{EnvName(o.Key)}, o.ExtraEnv...) {
			if val := getenv(name); val != "" {
				if _, isSlice := o.Default.([]string); isSlice {
					v.Set(o.Key, splitList(val))
				} else {
					v.Set(o.Key, val)
				}
				break
			}
		}
	}
	file := getenv(EnvName(ConfigFileFlag))
	if fs != nil {
		if f := fs.Lookup(ConfigFileFlag); f != nil && f.Changed {
			file = f.Value.String()
		}
	}
	if file != "" {
		fv := viper.New()
		fv.SetConfigFile(file)
		fv.SetConfigType("yaml")
		if err := fv.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("read config file %s: %w", file, err)
		}
		known := map[string]bool{}
		for _, o := range Options() {
			known[o.Key] = true
		}
		for _, key := range fv.AllKeys() {
			if !known[key] {
				return nil, fmt.Errorf("config file %s: unknown key %q", file, key)
			}
			if !envSet(key, getenv) {
				v.Set(key, fv.Get(key))
			}
		}
	}
	if fs != nil {
		fs.VisitAll(func(f *pflag.Flag) {
			if f.Changed && f.Name != ConfigFileFlag {
				v.Set(f.Name, flagValue(f))
			}
		})
	}
	var c Config
	if err := v.Unmarshal(&c); err != nil {
		return nil, fmt.Errorf("decode config: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return &c, nil
}

// LoadFromEnv is Load without flags, for tools and tests.
func LoadFromEnv() (*Config, error) { return Load(nil, os.Getenv) }

func envSet(key string, getenv func(string) string) bool {
	for _, o := range Options() {
		if o.Key != key {
			continue
		}
		for _, name := range append([]string{EnvName(o.Key)}, o.ExtraEnv...) {
			if getenv(name) != "" {
				return true
			}
		}
	}
	return false
}

func flagValue(f *pflag.Flag) any {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return sv.GetSlice()
	}
	return f.Value.String()
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
