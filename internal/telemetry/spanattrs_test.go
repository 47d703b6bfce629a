package telemetry

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestSpanAttributesTravelAsBaggage(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tracer := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)).Tracer("test")

	ctx, skipped := WithSpanAttributes(context.Background(), map[string]any{
		"team": "ops", "priority": 3, "on call": "x", "where": "a b,c;d",
	})
	require.Equal(t, []string{"on call"}, skipped)

	// Across a header, as Temporal's interceptor carries it.
	carrier := propagation.MapCarrier{}
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	prop.Inject(ctx, carrier)
	remote := prop.Extract(context.Background(), carrier)
	require.Equal(t, "a b,c;d", baggage.FromContext(remote).Member("bkflow.span.where").Value())
	require.Equal(t, "ops", baggage.FromContext(remote).Member("bkflow.span.team").Value())

	SpanStarter(remote, tracer, "RunWorkflow:TaskWorkflow").End()
	SpanStarter(context.Background(), tracer, "plain").End()
	spans := rec.Ended()
	require.Len(t, spans, 2)
	require.ElementsMatch(t, []attribute.KeyValue{attribute.String("team", "ops"), attribute.String("priority", "3"),
		attribute.String("where", "a b,c;d")},
		spans[0].Attributes())
	require.Empty(t, spans[1].Attributes())
}
