package benchrun

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
)

// sdkMetrics is a minimal client.MetricsHandler that keeps, per metric name (tags
// ignored), the sum of counters, the last gauge value and the count and sum of
// timers. The bench reads it to tell when parked workflows have run their first
// workflow task, how full the sticky cache is, and where tasks waited.
type sdkMetrics struct {
	mu      sync.Mutex
	counter map[string]*atomic.Int64
	gauge   map[string]*atomic.Uint64 // float64 bits
	timer   map[string]*timerStat
}

type timerStat struct {
	n   atomic.Int64
	sum atomic.Int64 // nanoseconds
}

func newSDKMetrics() *sdkMetrics {
	return &sdkMetrics{counter: map[string]*atomic.Int64{}, gauge: map[string]*atomic.Uint64{}, timer: map[string]*timerStat{}}
}

func (m *sdkMetrics) WithTags(map[string]string) client.MetricsHandler { return m }

func (m *sdkMetrics) Counter(name string) client.MetricsCounter {
	c := named(&m.mu, m.counter, name)
	return counterFunc(func(d int64) { c.Add(d) })
}

func (m *sdkMetrics) Gauge(name string) client.MetricsGauge {
	g := named(&m.mu, m.gauge, name)
	return gaugeFunc(func(v float64) { g.Store(math.Float64bits(v)) })
}

func (m *sdkMetrics) Timer(name string) client.MetricsTimer {
	t := named(&m.mu, m.timer, name)
	return timerFunc(func(d time.Duration) { t.n.Add(1); t.sum.Add(int64(d)) })
}

// named returns the metric of that name, creating it on first use.
func named[T any](mu *sync.Mutex, m map[string]*T, name string) *T {
	mu.Lock()
	defer mu.Unlock()
	v, ok := m[name]
	if !ok {
		v = new(T)
		m[name] = v
	}
	return v
}

type counterFunc func(int64)

func (f counterFunc) Inc(d int64) { f(d) }

type gaugeFunc func(float64)

func (f gaugeFunc) Update(v float64) { f(v) }

type timerFunc func(time.Duration)

func (f timerFunc) Record(d time.Duration) { f(d) }

// SDKSnapshot is what the bench reads from the worker's SDK metrics.
type SDKSnapshot struct {
	Counters map[string]int64   `json:"counters"`
	Gauges   map[string]float64 `json:"gauges"`
	// TimerCount and TimerMeanMs per timer metric.
	TimerCount  map[string]int64   `json:"timerCount"`
	TimerMeanMs map[string]float64 `json:"timerMeanMs"`
}

func (m *sdkMetrics) snapshot() SDKSnapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := SDKSnapshot{Counters: map[string]int64{}, Gauges: map[string]float64{}, TimerCount: map[string]int64{}, TimerMeanMs: map[string]float64{}}
	for k, c := range m.counter {
		s.Counters[k] = c.Load()
	}
	for k, g := range m.gauge {
		s.Gauges[k] = math.Float64frombits(g.Load())
	}
	for k, t := range m.timer {
		n := t.n.Load()
		s.TimerCount[k] = n
		if n > 0 {
			s.TimerMeanMs[k] = float64(t.sum.Load()) / float64(n) / 1e6
		}
	}
	return s
}

// Metric names read from the SDK (go.temporal.io/sdk/internal/common/metrics).
const (
	metricWFTExecution        = "temporal_workflow_task_execution_latency"
	metricWFTScheduleToStart  = "temporal_workflow_task_schedule_to_start_latency"
	metricActScheduleToStart  = "temporal_activity_schedule_to_start_latency"
	metricStickyCacheSize     = "temporal_sticky_cache_size"
	metricStickyCacheMiss     = "temporal_sticky_cache_miss"
	metricStickyCacheHit      = "temporal_sticky_cache_hit"
	metricActiveThreads       = "temporal_workflow_active_thread_count"
	metricResourceExhausted   = "temporal_request_resource_exhausted"
	metricLongResourceExhaust = "temporal_long_request_resource_exhausted"
)
