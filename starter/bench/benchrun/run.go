// Package benchrun is paycancel's benchmark (go run ./starter/bench): on the
// embedded Temporal server (worker/devserver, SQLite file) with the provider
// sandboxes answering at once, it measures a baseline workflow (one no-op
// activity) and happy-path cancels across the five providers at the same
// concurrency — throughput, latency start→final, history events and the Temporal
// Cloud actions they imply — and the worker's resident memory with many cancels
// parked in their pay-timeout timer.
package benchrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/paycancel/paycancel/providers/sandboxes"
	"github.com/paycancel/paycancel/providers/simkit"
	"github.com/paycancel/paycancel/worker/app"
	"github.com/paycancel/paycancel/workflows"
)

// Options configure a run. Zero values take the defaults in the comments.
type Options struct {
	// N is the number of workflows per measured phase (baseline and cancel). Default 500.
	N int
	// Concurrency is how many workflows are in flight at once (closed loop: each
	// of Concurrency clients starts one, waits for its end, starts the next). Default 50.
	Concurrency int
	// Parked is the number of cancels started with a 1h pay timeout for the memory
	// measurement; 0 skips it (the command's default is 10,000).
	Parked int
	// Warmup workflows of each kind run before measuring. Default 20; -1: none.
	Warmup int
	// HistorySample: how many executions per phase to read the history of; 0: all.
	HistorySample int
	// Memory runs the server on an in-memory SQLite database instead of a file.
	Memory bool
	// DataDir holds the SQLite file and keys; default a temp dir removed at the end.
	DataDir string
	// Keep keeps the temp dir.
	Keep bool
	// InProcessWorker runs the worker in this process (its RSS then includes the
	// server); default a separate worker process (this binary, re-executed).
	InProcessWorker bool
	// Tuning overrides worker options.
	Tuning WorkerTuning
	// DynamicConfig overrides the server's dynamic config (key → value).
	DynamicConfig map[string]any
	// Phases to run: any of baseline, cancel, parked. Default all.
	Phases []string
	// Settle is the pause between phases (server queues drain). Default 2s.
	Settle time.Duration
	// Log receives progress lines; nil: none.
	Log io.Writer
}

func (o *Options) defaults() {
	if o.N <= 0 {
		o.N = 500
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 50
	}
	if o.Warmup == 0 {
		o.Warmup = 20
	}
	if o.Warmup < 0 {
		o.Warmup = 0
	}
	if len(o.Phases) == 0 {
		o.Phases = []string{"baseline", "cancel", "parked"}
	}
	if o.Settle == 0 {
		o.Settle = 2 * time.Second
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

func (o Options) phase(name string) bool {
	for _, p := range o.Phases {
		if p == name {
			return true
		}
	}
	return false
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

// PhaseResult is one measured phase.
type PhaseResult struct {
	Name        string  `json:"name"`
	N           int     `json:"n"`
	Concurrency int     `json:"concurrency"`
	Completed   int     `json:"completed"`
	Failed      int     `json:"failed"`
	Seconds     float64 `json:"seconds"`
	PerSecond   float64 `json:"perSecond"`
	LatencyMs   Latency `json:"latencyMs"`
	// HistoryEvents and Actions per execution, over HistorySampled executions.
	HistorySampled int                `json:"historySampled"`
	HistoryEvents  Stat               `json:"historyEvents"`
	Actions        Stat               `json:"actions"`
	EventTypes     map[string]float64 `json:"eventTypes"`    // mean per execution
	ActionsByKind  map[string]float64 `json:"actionsByKind"` // mean per execution
	// Worker-side waits during the phase (SDK metrics, means in ms).
	WorkflowTaskScheduleToStartMs float64 `json:"workflowTaskScheduleToStartMs"`
	WorkflowTaskExecutionMs       float64 `json:"workflowTaskExecutionMs"`
	ActivityScheduleToStartMs     float64 `json:"activityScheduleToStartMs"`
	WorkflowTasks                 int64   `json:"workflowTasks"`
	// ResourceExhausted counts requests the server throttled (SDK metrics):
	// non-zero would mean a rate limit (frontend.rps, persistence QPS) was hit.
	ResourceExhausted int64 `json:"resourceExhausted"`
	// LatencySeriesMs is every completed execution's latency, in start order.
	LatencySeriesMs []float64 `json:"latencySeriesMs,omitempty"`
	// CPU time per completed execution (ms): the worker process, and the bench
	// process (server, sandboxes, starter; with an in-process worker, everything).
	// Less sensitive to other load on the machine than throughput.
	WorkerCPUMsPerExec float64  `json:"workerCpuMsPerExec"`
	BenchCPUMsPerExec  float64  `json:"benchCpuMsPerExec"`
	Errors             []string `json:"errors,omitempty"`

	refs []execRef
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
	// Worker RSS before parking (after the other phases), with everything parked,
	// and with everything parked after a forced GC (runtime.GC + FreeOSMemory).
	IdleRSSMiB    float64 `json:"idleRssMiB"`
	RSSMiB        float64 `json:"rssMiB"`
	HWMMiB        float64 `json:"hwmMiB"`
	RSSAfterGCMiB float64 `json:"rssAfterGcMiB"`
	// AnonMiB and FileMiB split RSSMiB: private memory, and mapped files (the
	// binary's code: clean, shared, reclaimable).
	AnonMiB         float64 `json:"anonMiB"`
	FileMiB         float64 `json:"fileMiB"`
	IdleAnonMiB     float64 `json:"idleAnonMiB"`
	HeapInuseMiB    float64 `json:"heapInuseMiB"`
	StackInuseMiB   float64 `json:"stackInuseMiB"`
	Goroutines      int     `json:"goroutines"`
	StickyCacheSize float64 `json:"stickyCacheSize"`
	// StickyCacheLimit is the cache's capacity (worker.SetStickyWorkflowCacheSize;
	// the SDK default is 10,000).
	StickyCacheLimit int `json:"stickyCacheLimit"`
	// InProcess: the RSS is the whole bench process (server included).
	InProcess bool `json:"inProcess"`
	// BenchProcessRSSMiB is the bench process (server, sandboxes, starter) when
	// the worker is separate.
	BenchProcessRSSMiB float64 `json:"benchProcessRssMiB"`
	// EventsPerParked is the history of a parked cancel so far (sample).
	EventsPerParked float64 `json:"eventsPerParked"`
}

// Target is one goal and whether the run met it.
type Target struct {
	Name   string  `json:"name"`
	Goal   string  `json:"goal"`
	Value  float64 `json:"value"`
	Met    bool    `json:"met"`
	Detail string  `json:"detail,omitempty"`
}

// Machine describes where the run happened.
type Machine struct {
	NumCPU      int     `json:"numCPU"`
	CPUModel    string  `json:"cpuModel,omitempty"`
	MemTotalMiB float64 `json:"memTotalMiB"`
	GoVersion   string  `json:"goVersion"`
	OS          string  `json:"os"`
	LoadStart   string  `json:"loadAvgStart,omitempty"`
	LoadEnd     string  `json:"loadAvgEnd,omitempty"`
}

// Report is the run's result (the JSON written by --out).
type Report struct {
	StartedAt   time.Time          `json:"startedAt"`
	Seconds     float64            `json:"seconds"`
	Command     string             `json:"command"`
	Machine     Machine            `json:"machine"`
	Store       string             `json:"store"`
	WorkerMode  string             `json:"workerMode"`
	Tuning      WorkerTuning       `json:"tuning"`
	DynConfig   map[string]any     `json:"dynamicConfig,omitempty"`
	N           int                `json:"n"`
	Concurrency int                `json:"concurrency"`
	Baseline    *PhaseResult       `json:"baseline,omitempty"`
	Cancel      *PhaseResult       `json:"cancel,omitempty"`
	Ratios      map[string]float64 `json:"ratios,omitempty"`
	Parked      *ParkedResult      `json:"parked,omitempty"`
	ActionRules string             `json:"actionRules"`
	Targets     []Target           `json:"targets"`
	Notes       []string           `json:"notes"`
}

type execRef struct{ ID, RunID string }

// Run runs the benchmark.
func Run(ctx context.Context, o Options, stderr io.Writer) (*Report, error) {
	o.defaults()
	rep := &Report{StartedAt: time.Now(), Command: "go run ./starter/bench " + strings.Join(os.Args[1:], " "), Machine: machine(),
		N: o.N, Concurrency: o.Concurrency, Tuning: o.Tuning, DynConfig: o.DynamicConfig, ActionRules: ActionRules}
	rep.Store = "sqlite-file"
	if o.Memory {
		rep.Store = "sqlite-memory"
	}
	rep.WorkerMode = "process"
	if o.InProcessWorker {
		rep.WorkerMode = "in-process"
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(o.Log, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, a...)...)
	}
	logf("starting the embedded server (%s), sandboxes and the worker (%s)", rep.Store, rep.WorkerMode)
	e, err := startEnv(ctx, o, stderr)
	if err != nil {
		return nil, err
	}
	defer e.close()

	if o.Warmup > 0 {
		logf("warm-up: %d baseline + %d cancels", o.Warmup, o.Warmup)
		wc := min(o.Concurrency, o.Warmup)
		if o.phase("baseline") {
			if r := e.runPhase(ctx, "warmup-baseline", o.Warmup, wc, e.baselineJob("w")); r.Failed > 0 {
				return nil, fmt.Errorf("warm-up baseline failed: %v", r.Errors)
			}
		}
		if o.phase("cancel") || o.phase("parked") {
			if r := e.runPhase(ctx, "warmup-cancel", o.Warmup, wc, e.cancelJob("w", o.Warmup)); r.Failed > 0 {
				return nil, fmt.Errorf("warm-up cancels failed: %v", r.Errors)
			}
		}
		time.Sleep(o.Settle)
	}
	if o.phase("baseline") {
		logf("baseline: %d workflows, concurrency %d", o.N, o.Concurrency)
		r := e.runPhase(ctx, "baseline", o.N, o.Concurrency, e.baselineJob("m"))
		rep.Baseline = &r
		logf("baseline: %.1f/s, p50 %.0f ms", r.PerSecond, r.LatencyMs.P50)
		time.Sleep(o.Settle)
	}
	if o.phase("cancel") {
		logf("cancels: %d across %d providers, concurrency %d", o.N, len(sandboxes.Names), o.Concurrency)
		r := e.runPhase(ctx, "cancel", o.N, o.Concurrency, e.cancelJob("m", o.N))
		rep.Cancel = &r
		logf("cancels: %.1f/s, p50 %.0f ms", r.PerSecond, r.LatencyMs.P50)
	}
	for _, r := range []*PhaseResult{rep.Baseline, rep.Cancel} {
		if r != nil {
			logf("reading the histories of the %s phase", r.Name)
			e.countHistories(ctx, r, o.HistorySample)
		}
	}
	if rep.Baseline != nil && rep.Cancel != nil && rep.Baseline.PerSecond > 0 && rep.Baseline.LatencyMs.P50 > 0 {
		rep.Ratios = map[string]float64{
			"throughput": rep.Cancel.PerSecond / rep.Baseline.PerSecond,
			"p50":        rep.Cancel.LatencyMs.P50 / rep.Baseline.LatencyMs.P50,
			"p95":        rep.Cancel.LatencyMs.P95 / rep.Baseline.LatencyMs.P95,
			"events":     rep.Cancel.HistoryEvents.Mean / rep.Baseline.HistoryEvents.Mean,
			"actions":    rep.Cancel.Actions.Mean / rep.Baseline.Actions.Mean,
		}
	}
	if o.phase("parked") && o.Parked > 0 {
		time.Sleep(o.Settle)
		logf("parking %d cancels (pay timeout 1h)", o.Parked)
		p, err := e.park(ctx, o, logf)
		if err != nil {
			return nil, err
		}
		rep.Parked = p
	}
	rep.Machine.LoadEnd = loadAvg()
	rep.Seconds = time.Since(rep.StartedAt).Seconds()
	rep.Targets = targets(rep)
	rep.Notes = notes(rep)
	logf("done in %.0f s; stopping", rep.Seconds)
	return rep, nil
}

// runPhase runs n jobs on conc closed-loop clients.
func (e *env) runPhase(ctx context.Context, name string, n, conc int, job func(context.Context, int) (execRef, error)) PhaseResult {
	before, _ := e.worker.Stats(ctx, false)
	cpu0, _ := procCPU(0)
	r := PhaseResult{Name: name, N: n, Concurrency: conc}
	lat := make([]time.Duration, n)
	refs := make([]execRef, n)
	ok := make([]bool, n)
	var (
		next   atomic.Int64
		mu     sync.Mutex
		errs   []string
		failed int
		wg     sync.WaitGroup
	)
	start := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				ref, err := job(ctx, i)
				lat[i] = time.Since(t0)
				refs[i] = ref
				if err != nil {
					mu.Lock()
					failed++
					if len(errs) < 5 {
						errs = append(errs, err.Error())
					}
					mu.Unlock()
					continue
				}
				ok[i] = true
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	after, _ := e.worker.Stats(ctx, false)
	cpu1, _ := procCPU(0)
	var good []time.Duration
	for i := range n {
		if ok[i] {
			good = append(good, lat[i])
			r.LatencySeriesMs = append(r.LatencySeriesMs, math.Round(float64(lat[i])/1e5)/10)
			r.refs = append(r.refs, refs[i])
		}
	}
	r.Completed, r.Failed, r.Errors = len(good), failed, errs
	r.Seconds = elapsed.Seconds()
	if r.Seconds > 0 {
		r.PerSecond = float64(r.Completed) / r.Seconds
	}
	r.LatencyMs = percentiles(good)
	if r.Completed > 0 {
		per := func(d time.Duration) float64 { return math.Round(float64(d)/1e4/float64(r.Completed)) / 100 }
		if before.InProcess {
			r.BenchCPUMsPerExec = per(cpu1 - cpu0)
		} else {
			r.WorkerCPUMsPerExec, r.BenchCPUMsPerExec = per(after.CPU-before.CPU), per(cpu1-cpu0)
		}
	}
	r.WorkflowTasks, r.WorkflowTaskExecutionMs = timerDelta(before.SDK, after.SDK, metricWFTExecution)
	_, r.WorkflowTaskScheduleToStartMs = timerDelta(before.SDK, after.SDK, metricWFTScheduleToStart)
	_, r.ActivityScheduleToStartMs = timerDelta(before.SDK, after.SDK, metricActScheduleToStart)
	for _, k := range []string{metricResourceExhausted, metricLongResourceExhaust} {
		r.ResourceExhausted += after.SDK.Counters[k] - before.SDK.Counters[k]
	}
	return r
}

func timerDelta(a, b SDKSnapshot, name string) (int64, float64) {
	n := b.TimerCount[name] - a.TimerCount[name]
	if n <= 0 {
		return 0, 0
	}
	sum := b.TimerMeanMs[name]*float64(b.TimerCount[name]) - a.TimerMeanMs[name]*float64(a.TimerCount[name])
	return n, sum / float64(n)
}

func percentiles(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	ms := func(x time.Duration) float64 { return math.Round(float64(x)/1e4) / 100 }
	// Nearest rank.
	p := func(q float64) time.Duration {
		k := int(math.Ceil(q*float64(len(s)))) - 1
		return s[max(0, min(k, len(s)-1))]
	}
	var sum time.Duration
	for _, x := range s {
		sum += x
	}
	return Latency{P50: ms(p(0.50)), P95: ms(p(0.95)), P99: ms(p(0.99)), Max: ms(s[len(s)-1]), Mean: ms(sum / time.Duration(len(s)))}
}

// baselineJob starts the baseline workflow and waits for its result.
func (e *env) baselineJob(prefix string) func(context.Context, int) (execRef, error) {
	return func(ctx context.Context, i int) (execRef, error) {
		id := fmt.Sprintf("bench-baseline/%s/%s%d", e.tag, prefix, i)
		run, err := e.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: e.taskQueue}, BaselineWorkflowName, BaselineInput{ID: id})
		if err != nil {
			return execRef{}, err
		}
		ref := execRef{ID: id, RunID: run.GetRunID()}
		var res BaselineResult
		if err := run.Get(ctx, &res); err != nil {
			return ref, err
		}
		if res.ID != id {
			return ref, fmt.Errorf("%s: result %q", id, res.ID)
		}
		return ref, nil
	}
}

func orderNo(tag, prefix string, i int) string { return fmt.Sprintf("b%s%s%d", prefix, tag, i) }

// cancelJob creates n sandbox payments (outside the measurement) and returns a
// job that starts the i-th cancel with paycancel's starter (the Go API order
// services use) and waits for its final status.
func (e *env) cancelJob(prefix string, n int) func(context.Context, int) (execRef, error) {
	for i := range n {
		p := sandboxes.Names[i%len(sandboxes.Names)]
		store, _ := e.set.Store(p)
		if _, err := store.Create(simkit.Payment{MerchantOrderNo: orderNo(e.tag, prefix, i), Amount: 1000, Currency: "USD"}); err != nil {
			panic(err) // a fresh tag per run: cannot exist
		}
	}
	return func(ctx context.Context, i int) (execRef, error) {
		p := sandboxes.Names[i%len(sandboxes.Names)]
		req := workflows.CancelRequest{Merchant: app.DevMerchantName, Provider: p, Credential: app.DevCredentialPrefix + p, MerchantOrderNo: orderNo(e.tag, prefix, i),
			Amount: 1000, Currency: "USD"}
		x, _, err := e.starter.Start(ctx, req)
		if err != nil {
			return execRef{}, err
		}
		ref := execRef{ID: x.WorkflowID, RunID: x.RunID}
		st, err := x.Wait(ctx)
		if err != nil {
			return ref, err
		}
		if st.Final != workflows.StateCancelled || !st.Notify.Delivered {
			return ref, fmt.Errorf("%s: final %q, review %q, notified %v, last outcome %v", x.WorkflowID, st.Final, st.ReviewReason, st.Notify.Delivered, st.LastOutcome)
		}
		return ref, nil
	}
}

// countHistories reads the histories of (a sample of) a phase's executions.
func (e *env) countHistories(ctx context.Context, r *PhaseResult, sample int) {
	refs := r.refs
	if sample > 0 && sample < len(refs) {
		step := float64(len(refs)) / float64(sample)
		var s []execRef
		for k := range sample {
			s = append(s, refs[int(float64(k)*step)])
		}
		refs = s
	}
	counts := make([]HistoryCount, len(refs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	var errs atomic.Int64
	for i, ref := range refs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			h, err := countHistory(ctx, e.c, ref.ID, ref.RunID)
			if err != nil {
				errs.Add(1)
				return
			}
			counts[i] = h
		}()
	}
	wg.Wait()
	r.EventTypes, r.ActionsByKind = map[string]float64{}, map[string]float64{}
	var evs, acts []int
	for _, h := range counts {
		if h.Events == 0 {
			continue
		}
		evs, acts = append(evs, h.Events), append(acts, h.Actions)
		for k, v := range h.ByType {
			r.EventTypes[k] += float64(v)
		}
		for k, v := range h.ActionsByKind {
			r.ActionsByKind[k] += float64(v)
		}
	}
	r.HistorySampled = len(evs)
	for k := range r.EventTypes {
		r.EventTypes[k] /= float64(len(evs))
	}
	for k := range r.ActionsByKind {
		r.ActionsByKind[k] /= float64(len(evs))
	}
	r.HistoryEvents, r.Actions = stat(evs), stat(acts)
	if n := errs.Load(); n > 0 {
		r.Errors = append(r.Errors, fmt.Sprintf("%d histories could not be read", n))
	}
}

func stat(v []int) Stat {
	if len(v) == 0 {
		return Stat{}
	}
	s := Stat{Min: v[0], Max: v[0]}
	sum := 0
	for _, x := range v {
		sum += x
		s.Min, s.Max = min(s.Min, x), max(s.Max, x)
	}
	s.Mean = float64(sum) / float64(len(v))
	return s
}

// park starts o.Parked cancels with a 1h pay timeout and measures the worker's
// memory once every one of them sits in its timer.
func (e *env) park(ctx context.Context, o Options, logf func(string, ...any)) (*ParkedResult, error) {
	idle, err := e.worker.Stats(ctx, false)
	if err != nil {
		return nil, fmt.Errorf("worker stats: %w", err)
	}
	p := &ParkedResult{N: o.Parked, IdleRSSMiB: mib(idle.RSSKiB * 1024), IdleAnonMiB: mib(idle.AnonKiB * 1024), InProcess: idle.InProcess,
		StickyCacheLimit: o.Tuning.StickyCacheSize}
	if p.StickyCacheLimit == 0 {
		p.StickyCacheLimit = 10000
	}
	wfts0 := idle.SDK.TimerCount[metricWFTExecution]
	var (
		next   atomic.Int64
		failed atomic.Int64
		wg     sync.WaitGroup
		first  sync.Once
		ferr   error
		refs   = make([]execRef, o.Parked)
	)
	start := time.Now()
	for range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= o.Parked || ctx.Err() != nil {
					return
				}
				prov := sandboxes.Names[i%len(sandboxes.Names)]
				x, _, err := e.starter.Start(ctx, workflows.CancelRequest{Merchant: app.DevMerchantName, Provider: prov, Credential: app.DevCredentialPrefix + prov,
					MerchantOrderNo: orderNo(e.tag, "p", i), Amount: 1000, Currency: "USD", PayTimeout: time.Hour})
				if err != nil {
					failed.Add(1)
					first.Do(func() { ferr = err })
					continue
				}
				refs[i] = execRef{ID: x.WorkflowID, RunID: x.RunID}
				if (i+1)%2000 == 0 {
					logf("  %d started", i+1)
				}
			}
		}()
	}
	wg.Wait()
	p.StartSeconds = time.Since(start).Seconds()
	p.Failed = int(failed.Load())
	if p.Failed > 0 {
		logf("  %d starts failed; first: %v", p.Failed, ferr)
	}
	started := int64(o.Parked - p.Failed)
	p.StartPerSecond = float64(started) / p.StartSeconds
	logf("  %d started in %.1f s (%.0f/s); waiting for the worker to park them", started, p.StartSeconds, p.StartPerSecond)
	deadline := time.Now().Add(15 * time.Minute)
	for {
		s, err := e.worker.Stats(ctx, false)
		if err == nil && s.SDK.TimerCount[metricWFTExecution]-wfts0 >= started {
			break
		}
		if time.Now().After(deadline) {
			return nil, errors.New("parked workflows did not all run their first workflow task within 15 minutes")
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	p.SettledSeconds = time.Since(start).Seconds()
	logf("  all parked after %.1f s; letting the worker settle", p.SettledSeconds)
	time.Sleep(5 * time.Second)
	s, err := e.worker.Stats(ctx, false)
	if err != nil {
		return nil, err
	}
	p.RSSMiB, p.HWMMiB = mib(s.RSSKiB*1024), mib(s.HWMKiB*1024)
	p.AnonMiB, p.FileMiB = mib(s.AnonKiB*1024), mib(s.FileKiB*1024)
	p.HeapInuseMiB, p.StackInuseMiB = mib(int64(s.HeapInuse)), mib(int64(s.StackInuse))
	p.Goroutines, p.StickyCacheSize = s.Goroutines, s.SDK.Gauges[metricStickyCacheSize]
	if g, err := e.worker.Stats(ctx, true); err == nil {
		p.RSSAfterGCMiB = mib(g.RSSKiB * 1024)
	}
	if !s.InProcess {
		if rss, _, err := procStatus(0); err == nil {
			p.BenchProcessRSSMiB = mib(rss * 1024)
		}
	}
	var evs []int
	for i := 0; i < len(refs) && len(evs) < 5; i += max(1, len(refs)/5) {
		if refs[i].ID == "" {
			continue
		}
		if h, err := countHistory(ctx, e.c, refs[i].ID, refs[i].RunID); err == nil {
			evs = append(evs, h.Events)
		}
	}
	p.EventsPerParked = stat(evs).Mean
	logf("  worker RSS %.0f MiB with %d parked (%.0f MiB after a forced GC)", p.RSSMiB, started, p.RSSAfterGCMiB)
	return p, nil
}

func mib(b int64) float64 { return math.Round(float64(b)/(1<<20)*10) / 10 }

func machine() Machine {
	m := Machine{NumCPU: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH, LoadStart: loadAvg()}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "MemTotal:" {
				var kb float64
				fmt.Sscan(f[1], &kb)
				m.MemTotalMiB = math.Round(kb / 1024)
			}
		}
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func targets(r *Report) []Target {
	var t []Target
	if r.Ratios != nil {
		t = append(t,
			Target{Name: "cancel throughput / baseline", Goal: ">= 0.50", Value: round2(r.Ratios["throughput"]), Met: r.Ratios["throughput"] >= 0.5},
			Target{Name: "cancel p50 / baseline p50", Goal: "<= 2.0", Value: round2(r.Ratios["p50"]), Met: r.Ratios["p50"] <= 2})
	}
	if r.Cancel != nil && r.Cancel.HistorySampled > 0 {
		ev := r.Cancel.HistoryEvents.Mean
		t = append(t, Target{Name: "happy-path history events", Goal: "<= 23 (stretch 17)", Value: ev, Met: ev <= 23,
			Detail: map[bool]string{true: "stretch met", false: "stretch not met"}[ev <= 17]})
	}
	if r.Parked != nil {
		t = append(t, Target{Name: fmt.Sprintf("worker RSS with %d parked (MiB)", r.Parked.N), Goal: "< 300", Value: r.Parked.RSSMiB,
			Met: r.Parked.RSSMiB < 300})
	}
	return t
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

func notes(r *Report) []string {
	n := []string{
		"Closed loop: each of the concurrency clients starts a workflow, waits for its result, then starts the next; latency is start call → result.",
		"Cancels are started with paycancel's Go API (starter/paycancel Client.Start: search attributes at start) and awaited with Cancel.Wait.",
		"Sandboxes answer at once; no provider callbacks; the merchant is a local receiver answering 204.",
		"Worker logs at warn (activities log each provider call at info in production).",
	}
	if r.Parked != nil {
		n = append(n, fmt.Sprintf("Parked cancels sit in a 1h AWAITING_PAYMENT timer. The SDK's sticky cache (capacity %d, the default unless --sticky-cache) keeps each one's workflow state and goroutines in worker memory; beyond the capacity the oldest are evicted and replayed from history when their timer fires.", r.Parked.StickyCacheLimit))
	}
	if r.Machine.NumCPU <= 2 {
		n = append(n, "Shared machine: the server, the sandboxes, the starter and the worker share the cores with other work; figures are noisy (see the load averages).")
	}
	return n
}
