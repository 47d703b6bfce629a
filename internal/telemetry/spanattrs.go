package telemetry

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/trace"
)

// baggageKey matches the keys W3C baggage carries across a header (an HTTP
// token); others would be dropped on the way.
var baggageKey = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// spanAttrPrefix marks the baggage members that become span attributes.
const spanAttrPrefix = "bkflow.span."

// WithSpanAttributes returns ctx carrying attrs (a task's
// custom_span_attributes) as baggage. Temporal's tracing interceptor
// propagates baggage through workflow and activity headers, and SpanStarter
// turns it back into attributes, so every span of the task carries them.
// Keys that baggage cannot carry (not HTTP tokens) are left out and
// returned.
func WithSpanAttributes(ctx context.Context, attrs map[string]any) (context.Context, []string) {
	if len(attrs) == 0 {
		return ctx, nil
	}
	bag := baggage.FromContext(ctx)
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var skipped []string
	for _, k := range keys {
		v, ok := attrs[k].(string)
		if !ok {
			v = fmt.Sprint(attrs[k])
		}
		m, err := baggage.NewMemberRaw(spanAttrPrefix+k, v)
		if err != nil || !baggageKey.MatchString(k) {
			skipped = append(skipped, k)
			continue
		}
		if next, err := bag.SetMember(m); err == nil {
			bag = next
		} else {
			skipped = append(skipped, k)
		}
	}
	return baggage.ContextWithBaggage(ctx, bag), skipped
}

// SpanStarter starts a span with the custom attributes found in ctx's
// baggage; it is the Temporal tracing interceptor's SpanStarter.
func SpanStarter(ctx context.Context, t trace.Tracer, name string, opts ...trace.SpanStartOption) trace.Span {
	var attrs []attribute.KeyValue
	for _, m := range baggage.FromContext(ctx).Members() {
		if k, ok := strings.CutPrefix(m.Key(), spanAttrPrefix); ok {
			attrs = append(attrs, attribute.String(k, m.Value()))
		}
	}
	if len(attrs) > 0 {
		opts = append(opts, trace.WithAttributes(attrs...))
	}
	_, span := t.Start(ctx, name, opts...)
	return span
}
