package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"
)

func envOf(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(nil, envOf(nil))
	require.NoError(t, err)
	require.Equal(t, ".bkflow", c.DataDir)
	require.Equal(t, "127.0.0.1:8000", c.HTTPAddr)
	require.Equal(t, 7233, c.TemporalPort)
	require.Equal(t, 8233, c.UIPort)
	require.Equal(t, "", c.TemporalAddress)
	require.Equal(t, "default", c.TemporalNamespace)
	require.Equal(t, 10*time.Second, c.ShutdownTimeout)
	require.Equal(t, int64(10<<20), c.MaxBodyBytes)
	require.Equal(t, 100, c.MaxSpacesPerApp)
	require.True(t, c.TemporalSetup)
	require.Empty(t, c.AppWhitelist)
}

// TestPrecedence: flags beat the environment, which beats the YAML file,
// which beats the defaults.
func TestPrecedence(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "bkflow.yaml")
	require.NoError(t, os.WriteFile(file, []byte(
		"http-addr: 127.0.0.1:9001\nui-port: 9100\ntemporal-port: 9200\nrequest-timeout: 5s\napp-whitelist: [a, b]\n"), 0o600))

	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	AddFlags(fs, GroupDev|GroupHTTP|GroupDatabase|GroupTemporal|GroupLog)
	require.NoError(t, fs.Parse([]string{"--config", file, "--http-addr", "127.0.0.1:9002"}))
	c, err := Load(fs, envOf(map[string]string{
		"BKFLOW_UI_PORT": "9101",
		"DATABASE_URL":   "postgres://x@localhost/db",
	}))
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:9002", c.HTTPAddr, "flag beats file")
	require.Equal(t, 9101, c.UIPort, "env beats file")
	require.Equal(t, 9200, c.TemporalPort, "file beats default")
	require.Equal(t, 5*time.Second, c.RequestTimeout)
	require.Equal(t, []string{"a", "b"}, c.AppWhitelist)
	require.Equal(t, "postgres://x@localhost/db", c.DatabaseURL, "DATABASE_URL is read too")
}

func TestPrefixedDatabaseURLWins(t *testing.T) {
	t.Parallel()
	c, err := Load(nil, envOf(map[string]string{"DATABASE_URL": "postgres://a", "BKFLOW_DATABASE_URL": "postgres://b"}))
	require.NoError(t, err)
	require.Equal(t, "postgres://b", c.DatabaseURL)
}

func TestListFromEnv(t *testing.T) {
	t.Parallel()
	c, err := Load(nil, envOf(map[string]string{"BKFLOW_APP_WHITELIST": "x, y,,z"}))
	require.NoError(t, err)
	require.Equal(t, []string{"x", "y", "z"}, c.AppWhitelist)
}

func TestInvalidValuesNameTheirKey(t *testing.T) {
	t.Parallel()
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"BKFLOW_HTTP_ADDR": "nope"}, "http-addr: address nope: missing port in address"},
		{map[string]string{"BKFLOW_UI_PORT": "70000"}, "ui-port: 70000 is not a TCP port"},
		{map[string]string{"BKFLOW_LOG_LEVEL": "loud"}, `log-level: "loud" is not one of debug, info, warn, error`},
		{map[string]string{"BKFLOW_MAX_BODY_BYTES": "10"}, "max-body-bytes: must be at least 1024"},
		{map[string]string{"BKFLOW_APIGW_HOST_PATTERN": "("}, "apigw-host-pattern: error parsing regexp"},
		{map[string]string{"BKFLOW_REQUEST_TIMEOUT": "soon"}, "request-timeout"},
	}
	for _, tc := range cases {
		_, err := Load(nil, envOf(tc.env))
		require.Error(t, err)
		require.Contains(t, err.Error(), tc.want)
	}
}

func TestUnknownFileKeyIsRefused(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "bkflow.yaml")
	require.NoError(t, os.WriteFile(file, []byte("http_addr: 127.0.0.1:1\n"), 0o600))
	_, err := Load(nil, envOf(map[string]string{"BKFLOW_CONFIG": file}))
	require.ErrorContains(t, err, `unknown key "http_addr"`)
}

func TestOptionsDefaults(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, o := range Options() {
		require.False(t, seen[o.Key], "duplicate option %s", o.Key)
		seen[o.Key] = true
		switch o.Default.(type) {
		case string, int, int32, int64, bool, time.Duration, []string:
		default:
			t.Errorf("option %s has a default of unsupported type %T", o.Key, o.Default)
		}
		require.NotEmpty(t, o.Usage, o.Key)
		require.NotZero(t, o.Groups, o.Key)
	}
}

// TestREADMEDocumentsEveryOption keeps the README's configuration table in
// step with Options: the README must contain MarkdownTable() verbatim.
func TestREADMEDocumentsEveryOption(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	table := MarkdownTable()
	if os.Getenv("BKFLOW_UPDATE_GOLDEN") == "1" && !strings.Contains(string(readme), table) {
		start := strings.Index(string(readme), "| flag | environment |")
		require.GreaterOrEqual(t, start, 0, "README.md has no configuration table")
		end := start + strings.Index(string(readme[start:]), "\n\n") + 1
		updated := string(readme[:start]) + table + string(readme[end:])
		require.NoError(t, os.WriteFile(filepath.Join("..", "..", "README.md"), []byte(updated), 0o644))
		readme = []byte(updated)
	}
	require.True(t, strings.Contains(string(readme), table),
		"README.md's configuration table is out of date; rerun with BKFLOW_UPDATE_GOLDEN=1 or replace it with:\n%s", table)
}
