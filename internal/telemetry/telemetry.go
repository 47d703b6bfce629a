package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"

	"github.com/bkflow/bkflow/internal/config"
)

// ServiceName names bkflow in traces and metrics.
const ServiceName = "bkflow"

// Telemetry is the process's set of observability providers. It is built once
// and handed to whoever logs, counts or traces; nothing is installed globally.
type Telemetry struct {
	Logger     *slog.Logger
	Registry   *prometheus.Registry
	Tracer     trace.TracerProvider
	Propagator propagation.TextMapPropagator
	// Meter feeds OpenTelemetry metrics (the Temporal client's) into Registry.
	Meter metric.MeterProvider

	shutdown []func(context.Context) error
}

// New builds the providers. Traces are exported over OTLP/gRPC only when the
// standard OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) variable is set;
// without it spans still exist, so trace ids flow through logs, responses,
// Temporal and outbound HTTP.
func New(ctx context.Context, cfg *config.Config, getenv func(string) string) (*Telemetry, error) {
	t := &Telemetry{
		Logger:     NewLogger(os.Stderr, cfg.LogLevel, cfg.LogFormat),
		Registry:   prometheus.NewRegistry(),
		Propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
	}
	t.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	res := resource.NewSchemaless(semconv.ServiceName(ServiceName))
	topts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())),
	}
	if getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" {
		exp, err := otlptracegrpc.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("otlp trace exporter: %w", err)
		}
		topts = append(topts, sdktrace.WithBatcher(exp))
	}
	tp := sdktrace.NewTracerProvider(topts...)
	t.Tracer = tp
	t.shutdown = append(t.shutdown, tp.Shutdown)

	exporter, err := otelprom.New(otelprom.WithRegisterer(t.Registry), otelprom.WithoutScopeInfo())
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter), sdkmetric.WithResource(res))
	t.Meter = mp
	t.shutdown = append(t.shutdown, mp.Shutdown)
	return t, nil
}

// Shutdown flushes and stops the providers.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var first error
	for _, f := range t.shutdown {
		if err := f(ctx); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Module provides *Telemetry and its parts to an fx application.
var Module = fx.Module("telemetry",
	fx.Provide(
		func(lc fx.Lifecycle, cfg *config.Config) (*Telemetry, error) {
			t, err := New(context.Background(), cfg, os.Getenv)
			if err != nil {
				return nil, err
			}
			lc.Append(fx.StopHook(t.Shutdown))
			return t, nil
		},
		func(t *Telemetry) *slog.Logger { return t.Logger },
		func(t *Telemetry) *prometheus.Registry { return t.Registry },
	),
)
