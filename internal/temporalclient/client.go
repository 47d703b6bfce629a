// Package temporalclient connects bkflow to Temporal: one client per process
// with bkflow's logger, metrics and W3C trace propagation, plus the one-time
// setup of the namespace and bkflow's search attributes.
package temporalclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdkotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/fx"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/bkflow/bkflow/internal/config"
	"github.com/bkflow/bkflow/internal/telemetry"
)

// Search attributes bkflow sets on every task workflow, so operators can find
// a task in the Temporal UI by space, template, task, creator or state.
var (
	SpaceID    = temporal.NewSearchAttributeKeyInt64("BkflowSpaceId")
	TemplateID = temporal.NewSearchAttributeKeyInt64("BkflowTemplateId")
	TaskID     = temporal.NewSearchAttributeKeyInt64("BkflowTaskId")
	Creator    = temporal.NewSearchAttributeKeyKeyword("BkflowCreator")
	State      = temporal.NewSearchAttributeKeyKeyword("BkflowState")
)

// SearchAttributes lists bkflow's search attributes with their Temporal types.
func SearchAttributes() map[string]enums.IndexedValueType {
	return map[string]enums.IndexedValueType{
		SpaceID.GetName():    enums.INDEXED_VALUE_TYPE_INT,
		TemplateID.GetName(): enums.INDEXED_VALUE_TYPE_INT,
		TaskID.GetName():     enums.INDEXED_VALUE_TYPE_INT,
		Creator.GetName():    enums.INDEXED_VALUE_TYPE_KEYWORD,
		State.GetName():      enums.INDEXED_VALUE_TYPE_KEYWORD,
	}
}

// Options for New.
type Options struct {
	Address   string
	Namespace string
	Telemetry *telemetry.Telemetry
}

// New returns a lazy client: it connects on first use, so it can be built
// before an embedded server has started.
func New(o Options) (client.Client, error) {
	tracer, err := sdkotel.NewTracingInterceptor(sdkotel.TracerOptions{
		Tracer:            o.Telemetry.Tracer.Tracer("github.com/bkflow/bkflow/temporal"),
		TextMapPropagator: o.Telemetry.Propagator,
		SpanStarter:       telemetry.SpanStarter,
	})
	if err != nil {
		return nil, fmt.Errorf("temporal tracing interceptor: %w", err)
	}
	c, err := client.NewLazyClient(client.Options{
		HostPort:  o.Address,
		Namespace: o.Namespace,
		Logger:    sdklog.NewStructuredLogger(o.Telemetry.Logger.With("component", "temporal-client")),
		MetricsHandler: sdkotel.NewMetricsHandler(sdkotel.MetricsHandlerOptions{
			Meter: o.Telemetry.Meter.Meter("go.temporal.io/sdk"),
		}),
		Interceptors:  []interceptor.ClientInterceptor{tracer},
		DataConverter: DataConverter(),
		ConnectionOptions: client.ConnectionOptions{
			GrpcCompression: compressionFor(o.Address),
		},
	})
	if err != nil {
		return nil, fmt.Errorf("temporal client for %s: %w", o.Address, err)
	}
	return c, nil
}

// compressionFor turns gRPC compression off for a frontend on this machine
// (the embedded dev server): gzip there only burns CPU, about 6% of the dev
// stack's under load. Remote clusters keep the SDK's gzip.
func compressionFor(address string) client.GrpcCompression {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return &client.GrpcCompressionGzip{}
	}
	if host == "localhost" {
		return &client.GrpcCompressionNone{}
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsLoopback() {
		return &client.GrpcCompressionNone{}
	}
	return &client.GrpcCompressionGzip{}
}

// Setup makes sure namespace exists and carries bkflow's search attributes.
// It retries while the frontend is still starting, until ctx ends.
func Setup(ctx context.Context, c client.Client, namespace string, log *slog.Logger) error {
	var last error
	for attempt := 0; ; attempt++ {
		if last = setupOnce(ctx, c, namespace); last == nil {
			return nil
		}
		if !retryable(last) {
			return last
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("temporal setup: %w (last error: %v)", ctx.Err(), last)
		case <-time.After(backoff(attempt)):
		}
		log.DebugContext(ctx, "retrying temporal setup", "error", last)
	}
}

func setupOnce(ctx context.Context, c client.Client, namespace string) error {
	_, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	var nf *serviceerror.NamespaceNotFound
	if errors.As(err, &nf) {
		_, err = c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
			Namespace:                        namespace,
			WorkflowExecutionRetentionPeriod: durationpb.New(7 * 24 * time.Hour),
		})
		var exists *serviceerror.NamespaceAlreadyExists
		if err != nil && !errors.As(err, &exists) {
			return fmt.Errorf("register namespace %s: %w", namespace, err)
		}
	} else if err != nil {
		return fmt.Errorf("describe namespace %s: %w", namespace, err)
	}

	have, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	missing := map[string]enums.IndexedValueType{}
	for name, typ := range SearchAttributes() {
		got, ok := have.GetCustomAttributes()[name]
		if !ok {
			missing[name] = typ
			continue
		}
		if got != typ {
			return fmt.Errorf("search attribute %s exists with type %s, bkflow needs %s", name, got, typ)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: missing,
	})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("add search attributes: %w", err)
	}
	return searchAttributesUsable(ctx, c, namespace)
}

// searchAttributesUsable waits until the frontend accepts queries naming
// bkflow's search attributes: a newly added attribute is refused until the
// frontend's namespace cache refreshes.
func searchAttributesUsable(ctx context.Context, c client.Client, namespace string) error {
	query := fmt.Sprintf("%s = 0 AND %s = 0 AND %s = 0 AND %s = '' AND %s = ''",
		SpaceID.GetName(), TemplateID.GetName(), TaskID.GetName(), Creator.GetName(), State.GetName())
	for attempt := 0; ; attempt++ {
		_, err := c.WorkflowService().CountWorkflowExecutions(ctx, &workflowservice.CountWorkflowExecutionsRequest{
			Namespace: namespace, Query: query,
		})
		if err == nil {
			return nil
		}
		var invalid *serviceerror.InvalidArgument
		if !errors.As(err, &invalid) {
			return fmt.Errorf("check search attributes: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("search attributes not usable yet: %w (last error: %v)", ctx.Err(), err)
		case <-time.After(backoff(attempt)):
		}
	}
}

// retryable reports whether err may pass once the frontend is up.
func retryable(err error) bool {
	var unavailable *serviceerror.Unavailable
	var nsNotFound *serviceerror.NamespaceNotFound
	var deadline *serviceerror.DeadlineExceeded
	return errors.As(err, &unavailable) || errors.As(err, &nsNotFound) || errors.As(err, &deadline) ||
		errors.Is(err, context.DeadlineExceeded)
}

func backoff(attempt int) time.Duration {
	d := 50 * time.Millisecond << min(attempt, 5)
	return min(d, time.Second)
}

// Address is the host:port of the Temporal frontend the process talks to. In
// the dev stack it is provided by the embedded server (so the server starts
// before the client's setup); otherwise it comes from the configuration.
type Address string

// AddressFromConfig provides Address from --temporal-address, defaulting to
// the local frontend.
func AddressFromConfig(cfg *config.Config) Address {
	if cfg.TemporalAddress == "" {
		return "127.0.0.1:7233"
	}
	return Address(cfg.TemporalAddress)
}

// Params are Module's dependencies.
type Params struct {
	fx.In
	Lifecycle fx.Lifecycle
	Config    *config.Config
	Telemetry *telemetry.Telemetry
	Address   Address
}

// Module provides the process's client.Client. With temporal-setup on, the
// namespace and search attributes are ensured at start.
var Module = fx.Module("temporalclient",
	fx.Provide(func(p Params) (client.Client, error) {
		c, err := New(Options{Address: string(p.Address), Namespace: p.Config.TemporalNamespace, Telemetry: p.Telemetry})
		if err != nil {
			return nil, err
		}
		p.Lifecycle.Append(fx.Hook{
			OnStart: func(ctx context.Context) error {
				if !p.Config.TemporalSetup {
					return nil
				}
				return Setup(ctx, c, p.Config.TemporalNamespace, p.Telemetry.Logger)
			},
			OnStop: func(context.Context) error { c.Close(); return nil },
		})
		return c, nil
	}),
)
