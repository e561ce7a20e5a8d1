package observability

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.temporal.io/sdk/interceptor"

	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
)

// Tracing is OpenTelemetry tracing through the SDK's interceptor: spans for
// workflow starts, activities, signals and queries, exported over OTLP/gRPC to
// the endpoint in the standard OTEL_EXPORTER_OTLP_* environment. Off by default.
type Tracing struct {
	Interceptor interceptor.Interceptor
	provider    *sdktrace.TracerProvider
}

// NewTracing sets tracing up for the named service.
func NewTracing(ctx context.Context, service string) (*Tracing, error) {
	exp, err := otlptracegrpc.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(service))))
	ic, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{Tracer: tp.Tracer("paycancel")})
	if err != nil {
		return nil, err
	}
	return &Tracing{Interceptor: ic, provider: tp}, nil
}

// Shutdown flushes spans.
func (t *Tracing) Shutdown(ctx context.Context) error { return t.provider.Shutdown(ctx) }
