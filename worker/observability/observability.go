// Package observability gives the worker its Prometheus metrics and optional
// OpenTelemetry tracing.
//
// Metrics: the Temporal SDK's worker metrics (through the SDK's OpenTelemetry
// handler) and paycancel's own, all on one Prometheus registry served at /metrics:
//
//	paycancel_cancels_started_total{provider}                       a cancel loaded its policy (once per cancel)
//	paycancel_provider_calls_total{provider,operation,outcome}      every provider call and its outcome kind/reason
//	paycancel_provider_call_seconds{provider,operation}             provider call latency
//	paycancel_notifications_total{result}                           merchant notifications: delivered, failed, exhausted
//	paycancel_cancels{provider,state}                               cancels by state (from visibility, refreshed)
//	paycancel_reviews_open                                          cancels waiting for an operator (from visibility)
//
// None is counted in workflow code: replays would count again. Counters live in
// activities (which run once per attempt) and gauges come from Temporal's visibility.
package observability

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
)

// Metrics holds paycancel's metrics and the SDK's.
type Metrics struct {
	Registry *prometheus.Registry
	// SDK is the handler to put in client.Options.MetricsHandler.
	SDK client.MetricsHandler

	cancelsStarted *prometheus.CounterVec
	providerCalls  *prometheus.CounterVec
	callSeconds    *prometheus.HistogramVec
	notifications  *prometheus.CounterVec
	cancels        *prometheus.GaugeVec
	reviewsOpen    prometheus.Gauge
}

// NewMetrics builds a registry with the Go runtime, the SDK's and paycancel's metrics.
func NewMetrics() (*Metrics, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo())
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	m := &Metrics{
		Registry: reg,
		SDK:      temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{Meter: mp.Meter("temporal-sdk")}),
		cancelsStarted: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "paycancel_cancels_started_total",
			Help: "Cancels started (policy loaded), by provider."}, []string{"provider"}),
		providerCalls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "paycancel_provider_calls_total",
			Help: "Provider calls by provider, operation and outcome."}, []string{"provider", "operation", "outcome"}),
		callSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "paycancel_provider_call_seconds",
			Help: "Provider call latency.", Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}}, []string{"provider", "operation"}),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "paycancel_notifications_total",
			Help: "Merchant notification attempts: delivered, failed (will retry) and exhausted."}, []string{"result"}),
		cancels: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "paycancel_cancels",
			Help: "Cancels by provider and CancelState, from visibility."}, []string{"provider", "state"}),
		reviewsOpen: prometheus.NewGauge(prometheus.GaugeOpts{Name: "paycancel_reviews_open",
			Help: "Running cancels waiting for an operator (NeedsReview), from visibility."}),
	}
	reg.MustRegister(m.cancelsStarted, m.providerCalls, m.callSeconds, m.notifications, m.cancels, m.reviewsOpen)
	return m, nil
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

// Recorder is what activities report to; a nil *Metrics records nothing.
type Recorder interface {
	CancelStarted(provider string)
	ProviderCall(provider, operation, outcome string, took time.Duration)
	Notification(result string)
}

// CancelStarted counts a cancel.
func (m *Metrics) CancelStarted(provider string) {
	if m != nil {
		m.cancelsStarted.WithLabelValues(provider).Inc()
	}
}

// ProviderCall counts one provider call.
func (m *Metrics) ProviderCall(provider, operation, outcome string, took time.Duration) {
	if m != nil {
		m.providerCalls.WithLabelValues(provider, operation, outcome).Inc()
		m.callSeconds.WithLabelValues(provider, operation).Observe(took.Seconds())
	}
}

// Notification counts a merchant notification attempt result.
func (m *Metrics) Notification(result string) {
	if m != nil {
		m.notifications.WithLabelValues(result).Inc()
	}
}

// Counter is the part of the Temporal client the visibility gauges use.
type Counter interface {
	CountWorkflow(ctx context.Context, req *workflowservice.CountWorkflowExecutionsRequest) (*workflowservice.CountWorkflowExecutionsResponse, error)
}

// RefreshGauges sets the visibility gauges once.
func (m *Metrics) RefreshGauges(ctx context.Context, c Counter, providers, states []string) error {
	for _, p := range providers {
		for _, s := range states {
			q := fmt.Sprintf("WorkflowType = 'CancelPaymentWorkflow' AND PaymentProvider = '%s' AND CancelState = '%s'", p, s)
			resp, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: q})
			if err != nil {
				return err
			}
			m.cancels.WithLabelValues(p, s).Set(float64(resp.GetCount()))
		}
	}
	resp, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{
		Query: "WorkflowType = 'CancelPaymentWorkflow' AND ExecutionStatus = 'Running' AND NeedsReview = true"})
	if err != nil {
		return err
	}
	m.reviewsOpen.Set(float64(resp.GetCount()))
	return nil
}

// RunGauges refreshes the visibility gauges every interval until ctx ends.
func (m *Metrics) RunGauges(ctx context.Context, c Counter, providers, states []string, every time.Duration, onErr func(error)) {
	var once sync.Once
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := m.RefreshGauges(ctx, c, providers, states); err != nil && ctx.Err() == nil {
			once.Do(func() { onErr(err) }) // say it once, not every tick
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
