package benchrun

import (
	"math"
	"sort"
	"time"
)

// SchemaVersion is the version of the JSON report (Report.SchemaVersion). It
// changes only when a field is renamed, removed or changes meaning; adding a
// field keeps it. Version 1 was the single-phase report (one baseline phase, then
// one cancel phase) and had no version field.
const SchemaVersion = 2

// Report is the run's result, written as JSON by --out. The package doc describes
// the schema; TestReportSchema keeps the field names stable.
type Report struct {
	SchemaVersion int       `json:"schemaVersion"`
	StartedAt     time.Time `json:"startedAt"`
	Seconds       float64   `json:"seconds"`
	Command       string    `json:"command"`
	Machine       Machine   `json:"machine"`
	Temporal      Temporal  `json:"temporal"`
	// WorkerMode is "process" (a worker process of its own) or "in-process".
	WorkerMode string   `json:"workerMode"`
	Settings   Settings `json:"settings"`
	// Ratios are cancel/baseline per adjacent pair of rounds; null unless both
	// kinds ran.
	Ratios   *Ratios       `json:"ratios"`
	Baseline *KindSummary  `json:"baseline"`
	Cancel   *KindSummary  `json:"cancel"`
	Rounds   []Round       `json:"rounds"`
	Parked   *ParkedResult `json:"parked"`
	// ActionRules says how Cloud actions are counted from a history.
	ActionRules string   `json:"actionRules"`
	Targets     []Target `json:"targets"`
	Notes       []string `json:"notes"`
}

// Temporal is the server the run used.
type Temporal struct {
	// Mode is "embedded" (worker/devserver in a process of the bench's own) or
	// "external" (--address or --profile).
	Mode      string `json:"mode"`
	Address   string `json:"address"`
	Namespace string `json:"namespace"`
	// Store is "sqlite-file" or "sqlite-memory" (embedded), "external" otherwise.
	Store string `json:"store"`
	// ServerMetricsURL is the server's Prometheus endpoint the persistence
	// figures come from; "" when there is none (then they are null).
	ServerMetricsURL string `json:"serverMetricsUrl"`
	// ServerPID is the server process whose CPU is measured; 0 when none (then
	// the server CPU figures are null).
	ServerPID int `json:"serverPid"`
}

// Settings are the run's parameters.
type Settings struct {
	// Rounds of each kind; RoundSize workflows each, Concurrency in flight.
	Rounds      int `json:"rounds"`
	RoundSize   int `json:"roundSize"`
	Concurrency int `json:"concurrency"`
	// Warmup workflows of each kind before the first round.
	Warmup        int `json:"warmup"`
	HistorySample int `json:"historySample"`
	Parked        int `json:"parked"`
	// Order is the kind of each round, in run order.
	Order         []string       `json:"order"`
	Tuning        WorkerTuning   `json:"tuning"`
	DynamicConfig map[string]any `json:"dynamicConfig"`
}

// Spread is a figure's median and spread over rounds (or over pairs of rounds
// for a ratio). Quartiles interpolate linearly between the two nearest ranks.
type Spread struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	Q1     float64 `json:"q1"`
	Q3     float64 `json:"q3"`
	IQR    float64 `json:"iqr"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	// Values in run order (rounds of one kind, or pairs).
	Values []float64 `json:"values"`
}

// Ratios compare the two kinds pair by pair: each is cancel / baseline for one
// pair of adjacent rounds, then summarised over the pairs. Throughput: cancels/s
// over baseline/s (higher is better for cancels); latency and CPU: cancel's over
// baseline's (lower is better).
type Ratios struct {
	Pairs      int     `json:"pairs"`
	Throughput *Spread `json:"throughput"`
	P50        *Spread `json:"p50"`
	P95        *Spread `json:"p95"`
	P99        *Spread `json:"p99"`
	ServerCPU  *Spread `json:"serverCpu"`
	WorkerCPU  *Spread `json:"workerCpu"`
	// Pooled are the latency ratios of the kinds' pooled percentiles
	// (KindSummary.PooledLatencyMs): every round of a kind together, rather than
	// pair by pair. Rounds alternate, so drift still falls on both kinds; a
	// round's p50 can jump between the modes of a two-humped latency
	// distribution, which pooling averages out.
	Pooled PooledRatios `json:"pooled"`
	// Events and Actions: mean history events and Cloud actions per execution,
	// cancel over baseline (from the history samples; no noise).
	Events  float64 `json:"events"`
	Actions float64 `json:"actions"`
}

// PooledRatios are cancel over baseline pooled latency percentiles.
type PooledRatios struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
}

// KindSummary is one kind (baseline or cancel) over all its rounds: the median and
// spread of each per-round figure, and its history per execution.
type KindSummary struct {
	Kind      string `json:"kind"`
	Rounds    int    `json:"rounds"`
	Workflows int    `json:"workflows"`
	Failed    int    `json:"failed"`
	// Throughput (workflows/s) and latency start→result percentiles (ms).
	PerSecond *Spread `json:"perSecond"`
	P50Ms     *Spread `json:"p50Ms"`
	P95Ms     *Spread `json:"p95Ms"`
	P99Ms     *Spread `json:"p99Ms"`
	// PooledLatencyMs: percentiles of all its rounds' steady-part latencies together.
	PooledLatencyMs Latency `json:"pooledLatencyMs"`
	// What limits them (see Round).
	ServerCPUMsPerWf              *Spread `json:"serverCpuMsPerWf"`
	WorkerCPUMsPerWf              *Spread `json:"workerCpuMsPerWf"`
	BenchCPUMsPerWf               *Spread `json:"benchCpuMsPerWf"`
	CPUBusy                       *Spread `json:"cpuBusy"`
	HostCPUBusy                   *Spread `json:"hostCpuBusy"`
	WorkflowTaskScheduleToStartMs *Spread `json:"workflowTaskScheduleToStartMs"`
	ActivityScheduleToStartMs     *Spread `json:"activityScheduleToStartMs"`
	WorkflowTaskExecutionMs       *Spread `json:"workflowTaskExecutionMs"`
	PersistenceWriteMs            *Spread `json:"persistenceWriteMs"`
	PersistenceWritesPerWf        *Spread `json:"persistenceWritesPerWf"`
	VisibilityWriteMs             *Spread `json:"visibilityWriteMs"`
	SyncMatch                     *Spread `json:"syncMatch"`
	History                       History `json:"history"`
}

// History is a kind's history per execution over a sample of its executions.
type History struct {
	Sampled int  `json:"sampled"`
	Events  Stat `json:"events"`
	// Actions are Temporal Cloud actions (ActionRules).
	Actions       Stat               `json:"actions"`
	EventTypes    map[string]float64 `json:"eventTypes"`    // mean per execution
	ActionsByKind map[string]float64 `json:"actionsByKind"` // mean per execution
	// WaitsMs: where an execution's time in the server went (HistoryCount.WaitsMs),
	// mean and max per execution over the sample.
	WaitsMs map[string]StatF `json:"waitsMs"`
}

// StatF is the mean and max of a figure over a sample.
type StatF struct {
	Mean float64 `json:"mean"`
	Max  float64 `json:"max"`
}

// Round is one measured round.
type Round struct {
	// Index in run order (0-based); Pair is Index/2: the two rounds of a pair are
	// adjacent and of different kinds.
	Index       int     `json:"index"`
	Pair        int     `json:"pair"`
	Kind        string  `json:"kind"`
	N           int     `json:"n"`
	Concurrency int     `json:"concurrency"`
	Completed   int     `json:"completed"`
	Failed      int     `json:"failed"`
	Seconds     float64 `json:"seconds"` // first start → last result
	// PerSecond and LatencyMs are the round's steady part, without its opening
	// burst (its first Concurrency workflows start at once into an idle system)
	// and its drain (its last workflows finish with fewer and fewer in flight):
	// PerSecond counts the completions after the Concurrency-th one up to the
	// last start, per second of that time; LatencyMs covers the SteadyN
	// workflows started after the first Concurrency and before the last
	// Concurrency. A round too small for a steady part reports the whole round.
	// OverallPerSecond (completed / seconds) and LatencyAllMs are the whole round.
	PerSecond        float64 `json:"perSecond"`
	LatencyMs        Latency `json:"latencyMs"`
	SteadyN          int     `json:"steadyN"`
	OverallPerSecond float64 `json:"overallPerSecond"`
	LatencyAllMs     Latency `json:"latencyAllMs"`
	// WindowSeconds is Seconds plus the wait for the server to go quiet after
	// the last result: CPU and persistence figures cover the whole window, so
	// work the server defers (visibility, transfer and timer tasks) is counted.
	WindowSeconds float64 `json:"windowSeconds"`
	CPU
	// Worker-side waits (SDK metrics, means in ms): a workflow task or activity
	// scheduled until a worker poll picked it up, and a workflow task's
	// execution. Null when none was recorded (the baseline's activity is
	// dispatched eagerly, in the workflow task's completion: no schedule-to-start).
	WorkflowTaskScheduleToStartMs *float64 `json:"workflowTaskScheduleToStartMs"`
	ActivityScheduleToStartMs     *float64 `json:"activityScheduleToStartMs"`
	WorkflowTaskExecutionMs       *float64 `json:"workflowTaskExecutionMs"`
	WorkflowTasks                 int64    `json:"workflowTasks"`
	// Persistence is the server's own persistence latency; null without server
	// metrics.
	Persistence *Persistence `json:"persistence"`
	// ResourceExhausted counts requests the server throttled (SDK metrics).
	ResourceExhausted int64    `json:"resourceExhausted"`
	LoadAvg           string   `json:"loadAvg"`
	Errors            []string `json:"errors"`

	refs []execRef
	lats []time.Duration
}

// CPU is what a round (or the parking) cost in CPU; its fields sit directly in
// the JSON object that embeds it.
type CPU struct {
	// CPU time per completed workflow (ms) of the server process, the worker
	// process, and the bench process (starter, sandboxes, merchant receiver; and
	// the worker when it runs in-process). Null: not measured (an external server
	// without --server-pid; an in-process worker).
	ServerCPUMsPerWf *float64 `json:"serverCpuMsPerWf"`
	WorkerCPUMsPerWf *float64 `json:"workerCpuMsPerWf"`
	BenchCPUMsPerWf  float64  `json:"benchCpuMsPerWf"`
	// CPUBusy is the measured processes' CPU over the window, as a fraction of
	// all cores for the time until the server went quiet (1: every core busy the
	// whole time).
	CPUBusy float64 `json:"cpuBusy"`
	// HostCPUBusy is the whole machine's CPU use over the same time (/proc/stat),
	// as a fraction of all cores: above CPUBusy by what other programs took.
	HostCPUBusy float64 `json:"hostCpuBusy"`
}

// Persistence is the server's persistence_latency (and
// visibility_persistence_latency) over a round's window: writes are the
// operations that change the store (create, update, append, complete, delete…),
// reads the rest (get, list, read…). On SQLite, a write's latency includes its
// wait for the database's single writer.
type Persistence struct {
	WriteOps         int64   `json:"writeOps"`
	WritesPerWf      float64 `json:"writesPerWf"`
	WriteMeanMs      float64 `json:"writeMeanMs"`
	ReadOps          int64   `json:"readOps"`
	ReadMeanMs       float64 `json:"readMeanMs"`
	VisibilityWrites int64   `json:"visibilityWrites"`
	VisibilityMeanMs float64 `json:"visibilityWriteMeanMs"`
	// SyncMatch is the share of tasks (workflow and activity, sticky included)
	// that matching handed to a waiting poll rather than through a backlog
	// (its poll_success_sync over poll_success); null: no tasks polled.
	SyncMatch *float64 `json:"syncMatch"`
}

// ParkedResult is the memory measurement.
type ParkedResult struct {
	N int `json:"n"`
	// StartSeconds: until every start call returned; SettledSeconds: until the
	// worker had run every parked workflow's first workflow task.
	StartSeconds   float64 `json:"startSeconds"`
	StartPerSecond float64 `json:"startPerSecond"`
	SettledSeconds float64 `json:"settledSeconds"`
	Failed         int     `json:"failed"`
	// Limits is what bounded the parking, from its start until all were
	// parked, per parked cancel (the Round fields of the same names).
	Limits ParkLimits `json:"limits"`
	// Worker RSS before parking (after the rounds), with everything parked, and
	// with everything parked after a forced GC (runtime.GC + debug.FreeOSMemory
	// in the worker): the last is the figure to compare across runs, since the
	// first depends on when the collector last ran.
	IdleRSSMiB    float64 `json:"idleRssMiB"`
	RSSMiB        float64 `json:"rssMiB"`
	HWMMiB        float64 `json:"hwmMiB"`
	RSSAfterGCMiB float64 `json:"rssAfterGcMiB"`
	// AnonMiB and FileMiB split RSSMiB: private memory, and mapped files (the
	// binary's code: clean, shared, reclaimable).
	AnonMiB           float64 `json:"anonMiB"`
	FileMiB           float64 `json:"fileMiB"`
	IdleAnonMiB       float64 `json:"idleAnonMiB"`
	AnonAfterGCMiB    float64 `json:"anonAfterGcMiB"`
	HeapInuseMiB      float64 `json:"heapInuseMiB"`
	HeapInuseAfterGC  float64 `json:"heapInuseAfterGcMiB"`
	StackInuseMiB     float64 `json:"stackInuseMiB"`
	Goroutines        int     `json:"goroutines"`
	PerParkedKiB      float64 `json:"perParkedKiB"` // (anon after GC − idle anon) / parked
	StickyCacheSize   float64 `json:"stickyCacheSize"`
	StickyCacheLimit  int     `json:"stickyCacheLimit"`
	StickyCacheMisses int64   `json:"stickyCacheMisses"`
	// InProcess: the RSS is the whole bench process (sandboxes, starter).
	InProcess bool `json:"inProcess"`
	// BenchProcessRSSMiB and ServerRSSMiB are the other processes (0: not measured).
	BenchProcessRSSMiB float64 `json:"benchProcessRssMiB"`
	ServerRSSMiB       float64 `json:"serverRssMiB"`
	// EventsPerParked is the history of a parked cancel so far (sample).
	EventsPerParked float64 `json:"eventsPerParked"`
}

// ParkLimits are the parking's CPU, waits and persistence, per parked cancel.
type ParkLimits struct {
	CPU
	WorkflowTaskScheduleToStartMs *float64     `json:"workflowTaskScheduleToStartMs"`
	Persistence                   *Persistence `json:"persistence"`
}

// Target is one goal and whether the run met it.
type Target struct {
	Name   string  `json:"name"`
	Goal   string  `json:"goal"`
	Value  float64 `json:"value"`
	Met    bool    `json:"met"`
	Detail string  `json:"detail"`
}

// Machine describes where the run happened.
type Machine struct {
	NumCPU      int     `json:"numCPU"`
	CPUModel    string  `json:"cpuModel"`
	MemTotalMiB float64 `json:"memTotalMiB"`
	GoVersion   string  `json:"goVersion"`
	OS          string  `json:"os"`
	LoadStart   string  `json:"loadAvgStart"`
	LoadEnd     string  `json:"loadAvgEnd"`
}

// Latency percentiles in milliseconds.
type Latency struct {
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// Stat summarises a count over executions.
type Stat struct {
	Mean float64 `json:"mean"`
	Min  int     `json:"min"`
	Max  int     `json:"max"`
}

// roundOrder is the kind of each of 2×rounds rounds when both kinds run:
// baseline, cancel, cancel, baseline, baseline, cancel… Each pair holds one round
// of each kind, and which goes first alternates, so a drift over the run (the
// SQLite file and its WAL growing, caches, the host's other load) lands on both
// sides of the ratio instead of on the kind that runs later.
func roundOrder(kinds []string, rounds int) []string {
	if len(kinds) == 1 {
		o := make([]string, rounds)
		for i := range o {
			o[i] = kinds[0]
		}
		return o
	}
	o := make([]string, 0, 2*rounds)
	for p := range rounds {
		if p%2 == 0 {
			o = append(o, kinds[0], kinds[1])
		} else {
			o = append(o, kinds[1], kinds[0])
		}
	}
	return o
}

// quantile of sorted values, interpolating linearly between the two nearest
// ranks (R type 7, numpy's default).
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	h := q * float64(len(sorted)-1)
	lo := int(math.Floor(h))
	if lo >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

// summarize returns the median and spread of values, skipping NaNs (figures not
// measured); nil when nothing is left.
func summarize(values []float64) *Spread {
	var v []float64
	for _, x := range values {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return nil
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	sp := &Spread{N: len(v), Median: round3(quantile(s, 0.5)), Q1: round3(quantile(s, 0.25)), Q3: round3(quantile(s, 0.75)),
		Min: round3(s[0]), Max: round3(s[len(s)-1])}
	sp.IQR = round3(sp.Q3 - sp.Q1)
	for _, x := range v {
		sp.Values = append(sp.Values, round3(x))
	}
	return sp
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// pairRatios divides, for each pair of adjacent rounds (Round.Pair) holding one
// round of each kind, the cancel round's figure by the baseline round's. A pair
// whose figure is missing or zero on the baseline side yields NaN (skipped by
// summarize).
func pairRatios(rounds []Round, figure func(Round) float64) []float64 {
	type pair struct{ base, cancel *Round }
	byPair := map[int]*pair{}
	var order []int
	for i := range rounds {
		r := &rounds[i]
		p, ok := byPair[r.Pair]
		if !ok {
			p = &pair{}
			byPair[r.Pair] = p
			order = append(order, r.Pair)
		}
		switch r.Kind {
		case "baseline":
			p.base = r
		case "cancel":
			p.cancel = r
		}
	}
	sort.Ints(order)
	var out []float64
	for _, k := range order {
		p := byPair[k]
		if p.base == nil || p.cancel == nil {
			continue
		}
		b, c := figure(*p.base), figure(*p.cancel)
		if b == 0 || math.IsNaN(b) || math.IsNaN(c) {
			out = append(out, math.NaN())
			continue
		}
		out = append(out, c/b)
	}
	return out
}

// ratios summarises the per-pair ratios of a run's rounds.
func ratios(rounds []Round, base, cancel *KindSummary) *Ratios {
	r := &Ratios{
		Throughput: summarize(pairRatios(rounds, func(x Round) float64 { return x.PerSecond })),
		P50:        summarize(pairRatios(rounds, func(x Round) float64 { return x.LatencyMs.P50 })),
		P95:        summarize(pairRatios(rounds, func(x Round) float64 { return x.LatencyMs.P95 })),
		P99:        summarize(pairRatios(rounds, func(x Round) float64 { return x.LatencyMs.P99 })),
		ServerCPU:  summarize(pairRatios(rounds, func(x Round) float64 { return deref(x.ServerCPUMsPerWf) })),
		WorkerCPU:  summarize(pairRatios(rounds, func(x Round) float64 { return deref(x.WorkerCPUMsPerWf) })),
	}
	if r.Throughput != nil {
		r.Pairs = r.Throughput.N
	}
	if base != nil && cancel != nil {
		b, c := base.PooledLatencyMs, cancel.PooledLatencyMs
		div := func(x, y float64) float64 {
			if y == 0 {
				return 0
			}
			return round3(x / y)
		}
		r.Pooled = PooledRatios{P50: div(c.P50, b.P50), P95: div(c.P95, b.P95), P99: div(c.P99, b.P99)}
	}
	if base != nil && cancel != nil && base.History.Sampled > 0 && cancel.History.Sampled > 0 {
		r.Events = round3(cancel.History.Events.Mean / base.History.Events.Mean)
		r.Actions = round3(cancel.History.Actions.Mean / base.History.Actions.Mean)
	}
	return r
}

// summarizeKind gathers the rounds of one kind.
func summarizeKind(kind string, rounds []Round) *KindSummary {
	var rs []Round
	for _, r := range rounds {
		if r.Kind == kind {
			rs = append(rs, r)
		}
	}
	if len(rs) == 0 {
		return nil
	}
	k := &KindSummary{Kind: kind, Rounds: len(rs)}
	col := func(f func(Round) float64) *Spread {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		return summarize(v)
	}
	persist := func(f func(Persistence) float64) func(Round) float64 {
		return func(r Round) float64 {
			if r.Persistence == nil {
				return math.NaN()
			}
			return f(*r.Persistence)
		}
	}
	var all []time.Duration
	for _, r := range rs {
		k.Workflows += r.Completed
		k.Failed += r.Failed
		all = append(all, r.lats...)
	}
	k.PooledLatencyMs = percentiles(all)
	k.PerSecond = col(func(r Round) float64 { return r.PerSecond })
	k.P50Ms = col(func(r Round) float64 { return r.LatencyMs.P50 })
	k.P95Ms = col(func(r Round) float64 { return r.LatencyMs.P95 })
	k.P99Ms = col(func(r Round) float64 { return r.LatencyMs.P99 })
	k.ServerCPUMsPerWf = col(func(r Round) float64 { return deref(r.ServerCPUMsPerWf) })
	k.WorkerCPUMsPerWf = col(func(r Round) float64 { return deref(r.WorkerCPUMsPerWf) })
	k.BenchCPUMsPerWf = col(func(r Round) float64 { return r.BenchCPUMsPerWf })
	k.CPUBusy = col(func(r Round) float64 { return r.CPUBusy })
	k.HostCPUBusy = col(func(r Round) float64 { return r.HostCPUBusy })
	k.WorkflowTaskScheduleToStartMs = col(func(r Round) float64 { return deref(r.WorkflowTaskScheduleToStartMs) })
	k.ActivityScheduleToStartMs = col(func(r Round) float64 { return deref(r.ActivityScheduleToStartMs) })
	k.WorkflowTaskExecutionMs = col(func(r Round) float64 { return deref(r.WorkflowTaskExecutionMs) })
	k.PersistenceWriteMs = col(persist(func(p Persistence) float64 { return p.WriteMeanMs }))
	k.PersistenceWritesPerWf = col(persist(func(p Persistence) float64 { return p.WritesPerWf }))
	k.VisibilityWriteMs = col(persist(func(p Persistence) float64 { return p.VisibilityMeanMs }))
	k.SyncMatch = col(persist(func(p Persistence) float64 {
		if p.SyncMatch == nil {
			return math.NaN()
		}
		return *p.SyncMatch
	}))
	return k
}

func deref(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func ptr(x float64) *float64 { return &x }
