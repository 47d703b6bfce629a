// Package api is bkflow's HTTP surface: BKFlow's gateway endpoints, health,
// metrics and the OpenAPI document. Handlers return data or an error; one
// adapter renders BKFlow's envelope. Every route is registered together with
// its documentation, so /openapi.json always matches the router.
package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/sdk/client"
	"go.uber.org/fx"

	"github.com/bkflow/bkflow/activities"
	"github.com/bkflow/bkflow/api/spaceconfig"
	"github.com/bkflow/bkflow/internal/apps"
	"github.com/bkflow/bkflow/internal/config"
	"github.com/bkflow/bkflow/internal/secrets"
	"github.com/bkflow/bkflow/internal/store"
	"github.com/bkflow/bkflow/internal/telemetry"
	"github.com/bkflow/bkflow/internal/version"
	"github.com/bkflow/bkflow/policy"
	"github.com/bkflow/bkflow/policy/admission"
	"github.com/bkflow/bkflow/workflows"
	"github.com/bkflow/bkflow/workflows/pipeline"
)

// TemporalHealth is what /readyz needs from the Temporal client.
type TemporalHealth interface {
	CheckHealth(ctx context.Context, req *client.CheckHealthRequest) (*client.CheckHealthResponse, error)
}

func checkHealth(ctx context.Context, c TemporalHealth) (*client.CheckHealthResponse, error) {
	return c.CheckHealth(ctx, &client.CheckHealthRequest{})
}

// Deps are the API's dependencies.
type Deps struct {
	fx.In
	Config       *config.Config
	Telemetry    *telemetry.Telemetry
	Store        *store.Store
	Apps         *apps.Service
	Temporal     client.Client
	SpaceConfigs *spaceconfig.Registry
	Components   *activities.Registry
	// Sealer seals credentials; without a key they are refused.
	Sealer *secrets.Sealer `optional:"true"`
	// Policy is the IAM decision point (auth, query, grants, list filters).
	Policy *policy.Service
	// Admission holds operators' Rego rules; nil admits everything.
	Admission *admission.Checker `optional:"true"`
}

// NewRouter builds the API's handler: middleware (request id → tracing →
// access log and metrics → recover → body limit → timeout), the public
// operational routes and the app-authenticated gateway routes.
func NewRouter(d Deps) (http.Handler, error) {
	a := adapter{log: d.Telemetry.Logger}
	metrics, err := newHTTPMetrics(d.Telemetry.Registry)
	if err != nil {
		return nil, fmt.Errorf("http metrics: %w", err)
	}
	r := chi.NewRouter()
	r.Use(requestID, tracing(d.Telemetry.Tracer, d.Telemetry.Propagator), accessLog(d.Telemetry.Logger, metrics),
		recoverer(a), limitBody(d.Config.MaxBodyBytes), timeout(d.Config.RequestTimeout))
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		a.fail(w, r, errNotFound(fmt.Sprintf("no endpoint %s %s", r.Method, r.URL.Path)))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		a.fail(w, r, &Error{Status: http.StatusMethodNotAllowed, Code: http.StatusMethodNotAllowed,
			Message: fmt.Sprintf("method %s is not allowed on %s", r.Method, r.URL.Path)})
	})

	spec := newSpec(version.Version)
	rs := newRoutes(r, a, spec)
	checks := []readinessCheck{
		{Name: "postgresql", Check: d.Store.Ping},
		{Name: "temporal", Check: func(ctx context.Context) error {
			_, err := checkHealth(ctx, d.Temporal)
			return err
		}},
	}
	var specJSON []byte
	rs.add(route{Method: http.MethodGet, Path: "/healthz", OperationID: "healthz", Tag: "operations",
		Summary: "Liveness: the process serves HTTP", Response: "", Handler: healthz})
	rs.add(route{Method: http.MethodGet, Path: "/readyz", OperationID: "readyz", Tag: "operations",
		Summary: "Readiness: PostgreSQL and Temporal answer (503 naming the failing part otherwise)",
		Raw:     readyz(a, checks), RawContentType: "application/json"})
	rs.add(route{Method: http.MethodGet, Path: "/metrics", OperationID: "metrics", Tag: "operations",
		Summary: "Prometheus metrics", Raw: promhttp.HandlerFor(d.Telemetry.Registry, promhttp.HandlerOpts{}),
		RawContentType: "text/plain"})
	rs.add(route{Method: http.MethodGet, Path: "/openapi.json", OperationID: "openapi", Tag: "operations",
		Summary: "This OpenAPI document", RawContentType: "application/json",
		Raw: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(specJSON)
		})})

	auth := authenticateApp(d.Apps, a)
	gateway := rs.with(r.With(auth))
	inSpace := rs.with(r.With(auth, loadSpace(d.Store, a)))

	spaces := &spacesHandler{store: d.Store, configs: d.SpaceConfigs, cfg: d.Config}
	spaces.routes(gateway, inSpace)

	parser, err := pipeline.NewParser()
	if err != nil {
		return nil, fmt.Errorf("pipeline parser: %w", err)
	}
	loc, err := time.LoadLocation(d.Config.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("time-zone: %w", err)
	}
	f := formatter{loc: loc, now: time.Now, registry: d.Components, uiURL: d.Config.TemporalUIURL,
		ns: d.Config.TemporalNamespace}
	tasks := &tasksHandler{
		store: d.Store, cfg: d.Config, parser: parser, registry: d.Components, sealer: d.Sealer,
		runner: &taskRunner{temporal: d.Temporal, store: d.Store, now: time.Now,
			limits: workflows.Limits{HistoryEvents: d.Config.TaskHistoryLimit}},
		fmt: f, admission: d.Admission,
	}
	inTask := rs.with(r.With(auth, loadSpace(d.Store, a), loadTask(d.Store, a)))
	tasks.routes(inSpace, inTask)

	templates := &templatesHandler{store: d.Store, cfg: d.Config, configs: d.SpaceConfigs, parser: parser,
		sealer: d.Sealer, fmt: f, admission: d.Admission}
	inTemplate := rs.with(r.With(auth, loadSpace(d.Store, a), loadTemplate(d.Store, a)))
	templates.routes(inSpace, inTemplate)

	byApp := &byAppHandler{templates: templates, tasks: tasks}
	byApp.routes(rs.with(r.With(auth, loadTemplateByApp(d.Store, a))), rs.with(r.With(auth, loadTaskByApp(d.Store, a))))

	(&labelsHandler{store: d.Store, fmt: f}).routes(inSpace)
	(&variablesHandler{store: d.Store, fmt: f}).routes(inSpace)
	(&credentialsHandler{store: d.Store, sealer: d.Sealer, fmt: f}).routes(inSpace)
	(&pluginsHandler{registry: d.Components, store: d.Store}).routes(inSpace)

	(&tokensHandler{store: d.Store, configs: d.SpaceConfigs, sealer: d.Sealer, fmt: f, now: time.Now}).routes(inSpace, gateway)
	access := &userAccess{store: d.Store, policy: d.Policy, admins: map[string]bool{}, now: time.Now}
	for _, u := range d.Config.SystemAdmins {
		access.admins[u] = true
	}
	sdkRoutes(rs, func(kind, need string) *routes { return rs.with(r.With(auth, access.guard(a, kind, need))) },
		func(kind string) *routes {
			return rs.with(r.With(auth, loadSpace(d.Store, a), access.listFilter(a, kind)))
		},
		templates, tasks)

	iamA := iamAdapter{log: d.Telemetry.Logger}
	iamGuard := authenticateIAMClient(d.Apps, iamA)
	(&iamDecisions{svc: d.Policy}).routes(rs, iamA, iamGuard)
	(&iamGroups{svc: d.Policy}).routes(rs, iamA, iamGuard)
	(&iamGrants{svc: d.Policy}).routes(rs, iamA, iamGuard)
	(&iamCallback{store: d.Store, token: d.Config.IAMToken, log: d.Telemetry.Logger}).routes(rs)

	specJSON, err = json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	return r, nil
}
