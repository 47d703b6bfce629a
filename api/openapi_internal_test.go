package api

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/bkflow/bkflow/activities"
	"github.com/bkflow/bkflow/internal/apps"
	"github.com/bkflow/bkflow/internal/config"
	"github.com/bkflow/bkflow/internal/store"
	"github.com/bkflow/bkflow/internal/telemetry"
)

func testRouter(t *testing.T) (http.Handler, *config.Config) {
	t.Helper()
	cfg, err := config.Load(nil, func(string) string { return "" })
	require.NoError(t, err)
	tel, err := telemetry.New(t.Context(), cfg, func(string) string { return "" })
	require.NoError(t, err)
	reg, err := NewSpaceConfigs(cfg)
	require.NoError(t, err)
	tc, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1"})
	require.NoError(t, err)
	h, err := NewRouter(Deps{Config: cfg, Telemetry: tel, Store: &store.Store{}, Apps: &apps.Service{},
		Temporal: tc, SpaceConfigs: reg, Components: activities.NewRegistry()})
	require.NoError(t, err)
	return h, cfg
}

// TestOpenAPIMatchesRouter fails when a route is served but undocumented, or
// documented but not served.
func TestOpenAPIMatchesRouter(t *testing.T) {
	t.Parallel()
	h, _ := testRouter(t)
	var served []string
	require.NoError(t, chi.Walk(h.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		served = append(served, method+" "+route)
		return nil
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	spec := newSpec("test")
	require.NoError(t, spec.UnmarshalJSON(rec.Body.Bytes()))
	var documented []string
	for path, item := range spec.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	sort.Strings(served)
	sort.Strings(documented)
	require.Equal(t, served, documented)
	require.Contains(t, documented, "POST /create_space")
}

func TestReadyzNamesTheFailingPart(t *testing.T) {
	t.Parallel()
	a := adapter{log: telemetry.NewLogger(&strings.Builder{}, "error", "json")}
	h := readyz(a, []readinessCheck{
		{Name: "postgresql", Check: func(context.Context) error { return nil }},
		{Name: "temporal", Check: func(context.Context) error { return errors.New("connection refused") }},
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
	require.JSONEq(t, `{"result": false, "code": 503, "message": "not ready: temporal: connection refused",
		"data": [{"name": "postgresql", "ok": true}, {"name": "temporal", "ok": false, "error": "connection refused"}]}`,
		rec.Body.String())
}

func TestPanicsBecomeInternalErrors(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	a := adapter{log: telemetry.NewLogger(&logs, "error", "json")}
	h := recoverer(a)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	require.JSONEq(t, `{"result": false, "code": 500, "message": "internal error", "data": null}`, rec.Body.String())
	require.Contains(t, logs.String(), "boom")
}
