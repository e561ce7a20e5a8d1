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

	sandboxes "github.com/paycancel/paycancel/providers/sim"
	"github.com/paycancel/paycancel/providers/sim/simkit"
	"github.com/paycancel/paycancel/worker/app"
	"github.com/paycancel/paycancel/worker/connect"
	"github.com/paycancel/paycancel/workflows/contract"
)

// Defaults of the command. Rounds × RoundSize are chosen so that two consecutive
// runs on an idle 2-core machine agree on the median ratios within ±10 % (README,
// "Benchmark") while the rounds take about four and a half minutes there. Smaller
// rounds did not: with 200 workflows a round's p50 and p95 moved by a quarter
// from round to round, and the ratios' medians by 10–20 % from run to run.
const (
	DefaultRounds      = 8
	DefaultRoundSize   = 400
	DefaultConcurrency = 50
	DefaultWarmup      = 100
	DefaultParked      = 10000
	DefaultHistory     = 100
)

// Options configure a run. Zero values take the defaults in the comments.
type Options struct {
	// Rounds of each kind (baseline, cancel), run alternately in pairs; default
	// DefaultRounds. RoundSize workflows per round; default DefaultRoundSize.
	Rounds    int
	RoundSize int
	// Concurrency is how many workflows are in flight at once (closed loop: each
	// of Concurrency clients starts one, waits for its end, starts the next).
	Concurrency int
	// Parked is the number of cancels started with a 1h pay timeout for the memory
	// measurement; 0 skips it (the command's default is DefaultParked).
	Parked int
	// Warmup workflows of each kind run before the first round. -1: none.
	Warmup int
	// HistorySample: how many executions of each kind to read the history of
	// (spread over the rounds); -1: all.
	HistorySample int
	// Connection: with an Address or Profile, the bench runs against that
	// Temporal (through connect.ClientOptions, like the worker: Temporal's
	// environment configuration supplies TLS and API key) instead of embedding
	// one. Namespace alone names the embedded server's namespace.
	Connection connect.Options
	// ServerMetricsURL (external) is the server's Prometheus endpoint, for the
	// persistence latency figures; ServerPID (external, same machine) is its
	// process, for the server CPU figures.
	ServerMetricsURL string
	ServerPID        int
	// Memory runs the embedded server on an in-memory SQLite database.
	Memory bool
	// DataDir holds the SQLite file and keys; default a temp dir removed at the end.
	DataDir string
	// Keep keeps the temp dir.
	Keep bool
	// InProcessWorker runs the worker in this process; default a separate worker
	// process (this binary, re-executed).
	InProcessWorker bool
	// Tuning overrides worker options.
	Tuning WorkerTuning
	// DynamicConfig overrides the embedded server's dynamic config (key=value).
	DynamicConfig []string
	// Phases to run: any of baseline, cancel, parked. Default all.
	Phases []string
	// Settle is the pause between rounds when there is no server process to
	// watch for quiet (external server without ServerPID). Default 2s.
	Settle time.Duration
	// Log receives progress lines; nil: none.
	Log io.Writer
}

// External reports whether the run uses a Temporal it does not start.
func (o Options) External() bool { return o.Connection.Address != "" || o.Connection.Profile != "" }

func (o *Options) defaults() {
	if o.Rounds <= 0 {
		o.Rounds = DefaultRounds
	}
	if o.RoundSize <= 0 {
		o.RoundSize = DefaultRoundSize
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Warmup == 0 {
		o.Warmup = DefaultWarmup
	}
	if o.Warmup < 0 {
		o.Warmup = 0
	}
	if o.HistorySample == 0 {
		o.HistorySample = DefaultHistory
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

type execRef struct{ ID, RunID string }

// Run runs the benchmark.
func Run(ctx context.Context, o Options, stderr io.Writer) (*Report, error) {
	o.defaults()
	var kinds []string
	for _, k := range []string{"baseline", "cancel"} {
		if o.phase(k) {
			kinds = append(kinds, k)
		}
	}
	rep := &Report{SchemaVersion: SchemaVersion, StartedAt: time.Now(), Command: "go run ./starter/bench " + strings.Join(os.Args[1:], " "),
		Machine: machine(), ActionRules: ActionRules, Rounds: []Round{}, Targets: []Target{}, Notes: []string{}}
	rep.Settings = Settings{Rounds: o.Rounds, RoundSize: o.RoundSize, Concurrency: o.Concurrency, Warmup: o.Warmup,
		HistorySample: o.HistorySample, Tuning: o.Tuning, Order: []string{}}
	if len(kinds) > 0 {
		rep.Settings.Order = roundOrder(kinds, o.Rounds)
	}
	if o.phase("parked") {
		rep.Settings.Parked = o.Parked
	}
	if len(o.DynamicConfig) > 0 {
		rep.Settings.DynamicConfig = map[string]any{}
		for _, kv := range o.DynamicConfig {
			k, v, _ := strings.Cut(kv, "=")
			rep.Settings.DynamicConfig[k] = parseValue(v)
		}
	}
	rep.WorkerMode = "process"
	if o.InProcessWorker {
		rep.WorkerMode = "in-process"
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(o.Log, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, a...)...)
	}
	if o.External() {
		logf("connecting to Temporal (%s); starting the sandboxes and the worker (%s)", o.Connection.Address, rep.WorkerMode)
	} else {
		logf("starting the embedded Temporal server (own process), the sandboxes and the worker (%s)", rep.WorkerMode)
	}
	e, err := startEnv(ctx, o, stderr)
	if err != nil {
		return nil, err
	}
	defer e.close()
	rep.Temporal = e.temporal

	jobs := map[string]func(prefix string, n int) func(context.Context, int) (execRef, error){
		"baseline": func(prefix string, _ int) func(context.Context, int) (execRef, error) { return e.baselineJob(prefix) },
		"cancel":   e.cancelJob,
	}
	if o.Warmup > 0 {
		for _, k := range kinds {
			logf("warm-up: %d %s workflows", o.Warmup, k)
			r := e.runRound(ctx, k, -1, o.Warmup, min(o.Concurrency, o.Warmup), jobs[k]("w", o.Warmup))
			if r.Failed > 0 {
				return nil, fmt.Errorf("warm-up %s failed: %v", k, r.Errors)
			}
		}
	}
	refs := map[string][]execRef{}
	for i, k := range rep.Settings.Order {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r := e.runRound(ctx, k, i, o.RoundSize, o.Concurrency, jobs[k](fmt.Sprintf("r%dx", i), o.RoundSize))
		r.Pair = i / 2
		if len(kinds) == 1 {
			r.Pair = i
		}
		logf("round %2d/%d %-8s %6.1f/s  p50 %5.0f ms  p95 %5.0f ms  p99 %5.0f ms%s", i+1, len(rep.Settings.Order), k, r.PerSecond,
			r.LatencyMs.P50, r.LatencyMs.P95, r.LatencyMs.P99, failedNote(r))
		refs[k] = append(refs[k], r.refs...)
		rep.Rounds = append(rep.Rounds, r)
	}
	rep.Baseline, rep.Cancel = summarizeKind("baseline", rep.Rounds), summarizeKind("cancel", rep.Rounds)
	for _, ks := range []*KindSummary{rep.Baseline, rep.Cancel} {
		if ks != nil {
			logf("reading %s histories", ks.Kind)
			ks.History = e.countHistories(ctx, sampleRefs(refs[ks.Kind], o.HistorySample))
		}
	}
	if rep.Baseline != nil && rep.Cancel != nil {
		rep.Ratios = ratios(rep.Rounds, rep.Baseline, rep.Cancel)
	}
	if o.phase("parked") && o.Parked > 0 {
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

func failedNote(r Round) string {
	if r.Failed == 0 {
		return ""
	}
	return fmt.Sprintf("  %d FAILED: %v", r.Failed, r.Errors)
}

// runRound runs n jobs on conc closed-loop clients and measures them. idx < 0 is
// a warm-up.
func (e *env) runRound(ctx context.Context, kind string, idx, n, conc int, job func(context.Context, int) (execRef, error)) Round {
	before := e.sample(ctx)
	r := Round{Index: idx, Kind: kind, N: n, Concurrency: conc, LoadAvg: loadAvg()}
	lat := make([]time.Duration, n)
	done := make([]time.Duration, n) // since start
	refs := make([]execRef, n)
	ok := make([]bool, n)
	var (
		next      atomic.Int64
		lastStart atomic.Int64 // since start, ns: when the last workflow was started
		mu        sync.Mutex
		errs      []string
		failed    int
		wg        sync.WaitGroup
	)
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				if i == n-1 {
					lastStart.Store(int64(t0.Sub(start)))
				}
				ref, err := job(ctx, i)
				lat[i] = time.Since(t0)
				done[i] = time.Since(start)
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
	quietAt, quietHost := e.waitQuiet(ctx)
	after := e.sample(ctx)
	var good []time.Duration
	for i := range n {
		if ok[i] {
			good = append(good, lat[i])
			r.refs = append(r.refs, refs[i])
		}
	}
	r.Completed, r.Failed, r.Errors = len(good), failed, errs
	r.Seconds = round3(elapsed.Seconds())
	r.WindowSeconds = round3(after.at.Sub(start).Seconds())
	if elapsed > 0 {
		r.OverallPerSecond = round3(float64(r.Completed) / elapsed.Seconds())
	}
	r.LatencyAllMs = percentiles(good)
	r.PerSecond, r.LatencyMs, r.SteadyN, r.lats = r.OverallPerSecond, r.LatencyAllMs, len(good), good
	if rate, good := steadyRate(done, ok, conc, time.Duration(lastStart.Load())); good {
		r.PerSecond = round3(rate)
	}
	if lats := steadyLatencies(lat, ok, conc); len(lats) >= 20 {
		r.LatencyMs, r.SteadyN, r.lats = percentiles(lats), len(lats), lats
	}
	measureRound(&r, before, after, quietAt.Sub(start), quietHost)
	return r
}

// steadyLatencies are the latencies of a round's steady part: the workflows
// started after its opening burst (the first conc, started at once into an idle
// system) and before its drain (the last conc, which finish with fewer and fewer
// in flight). Index order is start order.
func steadyLatencies(lat []time.Duration, ok []bool, conc int) []time.Duration {
	var out []time.Duration
	for i := conc; i < len(lat)-conc; i++ {
		if ok[i] {
			out = append(out, lat[i])
		}
	}
	return out
}

// steadyRate is a round's throughput at full concurrency, without its opening
// burst (its first conc workflows start at once) and its drain (its last
// workflows finish with fewer and fewer in flight, at the mercy of the slowest):
// artefacts of cutting the load into rounds, and the noisiest part of one. It
// counts the completions after the conc-th one (the burst has cleared) up to the
// last start (the drain has not begun), per second of that time. ok is false
// when the round is too small for that (fewer than 10 such completions).
func steadyRate(done []time.Duration, ok []bool, conc int, lastStart time.Duration) (rate float64, good bool) {
	var ends []time.Duration
	for i := range done {
		if ok[i] {
			ends = append(ends, done[i])
		}
	}
	sort.Slice(ends, func(i, j int) bool { return ends[i] < ends[j] })
	if conc < 1 || len(ends) <= conc || lastStart <= 0 {
		return 0, false
	}
	from, count := ends[conc-1], 0
	for _, t := range ends[conc:] {
		if t <= lastStart {
			count++
		}
	}
	if count < 10 || lastStart <= from {
		return 0, false
	}
	return float64(count) / (lastStart - from).Seconds(), true
}

// measureRound fills a round's CPU, SDK and persistence figures from the
// samples around it.
func measureRound(r *Round, before, after sample, busyFor time.Duration, quietHost hostCPU) {
	if r.Completed == 0 {
		return
	}
	per := func(d time.Duration) float64 { return round3(float64(d) / 1e6 / float64(r.Completed)) }
	busy := after.benchCPU - before.benchCPU
	r.BenchCPUMsPerWf = per(after.benchCPU - before.benchCPU)
	if before.workerErr == nil && after.workerErr == nil && !before.worker.InProcess {
		d := after.worker.CPU - before.worker.CPU
		r.WorkerCPUMsPerWf = ptr(per(d))
		busy += d
	}
	if before.serverCPU >= 0 && after.serverCPU >= 0 {
		d := after.serverCPU - before.serverCPU
		r.ServerCPUMsPerWf = ptr(per(d))
		busy += d
	}
	// Busy over the time the round kept the machine working: to the server's
	// quiet, not counting the quiet windows that proved it.
	if busyFor > 0 {
		r.CPUBusy = round3(float64(busy) / float64(busyFor) / float64(runtime.NumCPU()))
	}
	// The machine over the same time.
	if dt := quietHost.total - before.host.total; dt > 0 {
		r.HostCPUBusy = round3(float64(quietHost.busy-before.host.busy) / float64(dt))
	}
	if before.workerErr == nil && after.workerErr == nil {
		mean := func(name string) (int64, *float64) {
			n, ms := timerDelta(before.worker.SDK, after.worker.SDK, name)
			if n == 0 {
				return 0, nil
			}
			return n, ptr(round3(ms))
		}
		r.WorkflowTasks, r.WorkflowTaskExecutionMs = mean(metricWFTExecution)
		_, r.WorkflowTaskScheduleToStartMs = mean(metricWFTScheduleToStart)
		_, r.ActivityScheduleToStartMs = mean(metricActScheduleToStart)
		for _, k := range []string{metricResourceExhausted, metricLongResourceExhaust} {
			r.ResourceExhausted += after.worker.SDK.Counters[k] - before.worker.SDK.Counters[k]
		}
	}
	if before.persist != nil && after.persist != nil {
		r.Persistence = persistenceDelta(before.persist, after.persist, r.Completed)
	}
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
		req := contract.CancelRequest{Merchant: app.DevMerchantName, Provider: p, Credential: app.DevCredentialPrefix + p, MerchantOrderNo: orderNo(e.tag, prefix, i),
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
		if st.Final != contract.StateCancelled || !st.Notify.Delivered {
			return ref, fmt.Errorf("%s: final %q, review %q, notified %v, last outcome %v", x.WorkflowID, st.Final, st.ReviewReason, st.Notify.Delivered, st.LastOutcome)
		}
		return ref, nil
	}
}

// sampleRefs picks n executions spread evenly over refs (n < 0: all).
func sampleRefs(refs []execRef, n int) []execRef {
	if n < 0 || n >= len(refs) {
		return refs
	}
	step := float64(len(refs)) / float64(n)
	s := make([]execRef, 0, n)
	for k := range n {
		s = append(s, refs[int(float64(k)*step)])
	}
	return s
}

// countHistories reads the histories of executions and averages their events and
// Cloud actions.
func (e *env) countHistories(ctx context.Context, refs []execRef) History {
	counts := make([]HistoryCount, len(refs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, ref := range refs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if h, err := countHistory(ctx, e.c, ref.ID, ref.RunID); err == nil {
				counts[i] = h
			}
		}()
	}
	wg.Wait()
	return summarizeHistories(counts)
}

// summarizeHistories averages history counts (zero counts: histories that could
// not be read, skipped).
func summarizeHistories(counts []HistoryCount) History {
	h := History{EventTypes: map[string]float64{}, ActionsByKind: map[string]float64{}, WaitsMs: map[string]StatF{}}
	var evs, acts []int
	for _, c := range counts {
		if c.Events == 0 {
			continue
		}
		evs, acts = append(evs, c.Events), append(acts, c.Actions)
		for k, v := range c.ByType {
			h.EventTypes[k] += float64(v)
		}
		for k, v := range c.ActionsByKind {
			h.ActionsByKind[k] += float64(v)
		}
		for k, v := range c.WaitsMs {
			s := h.WaitsMs[k]
			s.Mean += v
			s.Max = max(s.Max, v)
			h.WaitsMs[k] = s
		}
	}
	for k, s := range h.WaitsMs {
		h.WaitsMs[k] = StatF{Mean: round3(s.Mean / float64(len(evs))), Max: round3(s.Max)}
	}
	h.Sampled = len(evs)
	for k := range h.EventTypes {
		h.EventTypes[k] = round3(h.EventTypes[k] / float64(len(evs)))
	}
	for k := range h.ActionsByKind {
		h.ActionsByKind[k] = round3(h.ActionsByKind[k] / float64(len(evs)))
	}
	h.Events, h.Actions = stat(evs), stat(acts)
	return h
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
	// Idle figures after a forced GC, like the parked ones they are compared with.
	idle, err := e.worker.Stats(ctx, true)
	if err != nil {
		return nil, fmt.Errorf("worker stats: %w", err)
	}
	p := &ParkedResult{N: o.Parked, IdleRSSMiB: mib(idle.RSSKiB * 1024), IdleAnonMiB: mib(idle.AnonKiB * 1024), InProcess: idle.InProcess,
		StickyCacheLimit: idle.StickyCacheCapacity}
	wfts0 := idle.SDK.TimerCount[metricWFTExecution]
	before := e.sample(ctx)
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
				x, _, err := e.starter.Start(ctx, contract.CancelRequest{Merchant: app.DevMerchantName, Provider: prov, Credential: app.DevCredentialPrefix + prov,
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
	if e.server == nil {
		// A cluster the bench does not own keeps no parked cancels behind, however
		// the measurement ends: each would wake in an hour and call a sandbox that
		// is gone.
		defer func() {
			logf("  terminating the parked cancels")
			if n := e.terminate(ctx, refs); n > 0 {
				logf("  %d could not be terminated; terminate them by hand (workflow ids cancel/<provider>/bp%s*)", n, e.tag)
			}
		}()
	}
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
	p.SettledSeconds = round3(time.Since(start).Seconds())
	after := e.sample(ctx)
	lim := Round{Completed: int(started)}
	measureRound(&lim, before, after, after.at.Sub(before.at), after.host)
	p.Limits = ParkLimits{CPU: lim.CPU, WorkflowTaskScheduleToStartMs: lim.WorkflowTaskScheduleToStartMs, Persistence: lim.Persistence}
	p.StartSeconds = round3(p.StartSeconds)
	p.StartPerSecond = round3(p.StartPerSecond)
	logf("  all parked after %.1f s; letting the worker settle", p.SettledSeconds)
	sleepCtx(ctx, 5*time.Second)
	s, err := e.worker.Stats(ctx, false)
	if err != nil {
		return nil, err
	}
	p.RSSMiB, p.HWMMiB = mib(s.RSSKiB*1024), mib(s.HWMKiB*1024)
	p.AnonMiB, p.FileMiB = mib(s.AnonKiB*1024), mib(s.FileKiB*1024)
	p.HeapInuseMiB, p.StackInuseMiB = mib(int64(s.HeapInuse)), mib(int64(s.StackInuse))
	p.Goroutines, p.StickyCacheSize = s.Goroutines, s.SDK.Gauges[metricStickyCacheSize]
	p.StickyCacheMisses = s.SDK.Counters[metricStickyCacheMiss] - idle.SDK.Counters[metricStickyCacheMiss]
	// The worker is told to collect (runtime.GC + debug.FreeOSMemory): what is
	// left is what the parked cancels hold, whenever the collector last ran.
	g, err := e.worker.Stats(ctx, true)
	if err != nil {
		return nil, err
	}
	p.RSSAfterGCMiB, p.AnonAfterGCMiB, p.HeapInuseAfterGC = mib(g.RSSKiB*1024), mib(g.AnonKiB*1024), mib(int64(g.HeapInuse))
	if started > 0 {
		p.PerParkedKiB = round3(float64(g.AnonKiB-idle.AnonKiB) / float64(started))
	}
	if !s.InProcess {
		if m, err := procMem(0); err == nil {
			p.BenchProcessRSSMiB = mib(m.RSS * 1024)
		}
	}
	if e.serverPID > 0 {
		if m, err := procMem(e.serverPID); err == nil {
			p.ServerRSSMiB = mib(m.RSS * 1024)
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
	logf("  worker RSS %.0f MiB with %d parked, %.0f MiB after a forced GC; sticky cache %.0f of %d",
		p.RSSMiB, started, p.RSSAfterGCMiB, p.StickyCacheSize, p.StickyCacheLimit)
	return p, nil
}

// terminate ends the given executions; it returns how many it could not.
func (e *env) terminate(ctx context.Context, refs []execRef) int {
	var failed atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, ref := range refs {
		if ref.ID == "" {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := e.c.TerminateWorkflow(context.WithoutCancel(ctx), ref.ID, ref.RunID, "paycancel bench: parked-memory measurement over"); err != nil {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	return int(failed.Load())
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

// Targets of the cost work (same run, same concurrency, default settings), judged
// on the median ratios. Parking is judged against 375 s for 10,000, the time
// measured when the targets were set.
const (
	targetThroughput   = 0.7
	targetP50          = 1.8
	targetEvents       = 17
	targetActions      = 4
	targetRSSMiB       = 300
	targetParkBaseline = 375.0
	targetParkSpeedup  = 1.5
)

func targets(r *Report) []Target {
	t := []Target{}
	if q := r.Ratios; q != nil {
		if q.Throughput != nil {
			t = append(t, Target{Name: "cancels/s over baseline/s (median of pairs)", Goal: fmt.Sprintf(">= %.2f", targetThroughput),
				Value: q.Throughput.Median, Met: q.Throughput.Median >= targetThroughput,
				Detail: fmt.Sprintf("IQR %.2f–%.2f", q.Throughput.Q1, q.Throughput.Q3)})
		}
		if q.P50 != nil {
			t = append(t, Target{Name: "cancel p50 over baseline p50 (median of pairs)", Goal: fmt.Sprintf("<= %.1f", targetP50),
				Value: q.P50.Median, Met: q.P50.Median <= targetP50, Detail: fmt.Sprintf("IQR %.2f–%.2f", q.P50.Q1, q.P50.Q3)})
		}
	}
	if c := r.Cancel; c != nil && c.History.Sampled > 0 {
		t = append(t,
			Target{Name: "happy-path history events per cancel", Goal: fmt.Sprintf("<= %d", targetEvents), Value: c.History.Events.Mean,
				Met: c.History.Events.Mean <= targetEvents},
			Target{Name: "happy-path Cloud actions per cancel", Goal: fmt.Sprintf("<= %d", targetActions), Value: c.History.Actions.Mean,
				Met: c.History.Actions.Mean <= targetActions})
	}
	if p := r.Parked; p != nil {
		t = append(t, Target{Name: fmt.Sprintf("worker RSS with %d parked (MiB)", p.N), Goal: fmt.Sprintf("< %d", targetRSSMiB), Value: p.RSSMiB,
			Met: p.RSSMiB < targetRSSMiB, Detail: fmt.Sprintf("%.0f MiB after a forced GC", p.RSSAfterGCMiB)})
		if p.N == 10000 {
			goal := targetParkBaseline / targetParkSpeedup
			t = append(t, Target{Name: "parking 10,000 (s)", Goal: fmt.Sprintf("<= %.0f", goal), Value: p.SettledSeconds,
				Met: p.SettledSeconds <= goal, Detail: fmt.Sprintf("%.1fx faster than %.0f s", targetParkBaseline/p.SettledSeconds, targetParkBaseline)})
		}
	}
	return t
}

func notes(r *Report) []string {
	n := []string{
		fmt.Sprintf("Rounds alternate %s so that drift over the run lands on both kinds; each ratio is one pair of adjacent rounds, and the report gives the median over pairs with its interquartile range (q1–q3) and min–max.", orderExample(r.Settings.Order)),
		"Closed loop: each of the concurrency clients starts a workflow, waits for its result, then starts the next; latency is start call → result.",
		"Throughput and latency are each round's steady part: without its opening burst (the first concurrency workflows start at once into an idle system) and its drain (the last ones finish with fewer in flight); the JSON has the whole round's figures beside them.",
		"CPU and persistence figures cover each round until the server is quiet again, so the work the server defers after a result (visibility, transfer and timer tasks) counts too.",
		"Cancels are started with paycancel's Go API (starter/paycancel Client.Start: search attributes at start) and awaited with Cancel.Wait.",
		"Sandboxes answer at once; no provider callbacks; the merchant is a local receiver answering 204. Worker logs at warn.",
	}
	for _, k := range []*KindSummary{r.Baseline, r.Cancel} {
		if k != nil {
			n = append(n, limitNote(k, r.Machine.NumCPU))
		}
	}
	if r.Parked != nil {
		n = append(n, fmt.Sprintf("Parked cancels sit in a 1h AWAITING_PAYMENT timer. The SDK's sticky cache (capacity %d) keeps each one's workflow state and goroutines in worker memory; beyond the capacity the oldest are evicted and replayed from history when their timer fires.", r.Parked.StickyCacheLimit))
	}
	if r.Temporal.ServerPID == 0 {
		n = append(n, "Server CPU not measured (an external server without --server-pid).")
	}
	if r.Temporal.ServerMetricsURL == "" {
		n = append(n, "Server persistence latency not measured (an external server without --server-metrics).")
	}
	return n
}

func orderExample(order []string) string {
	if len(order) > 4 {
		order = order[:4]
	}
	return strings.Join(order, ", ") + ", …"
}

// limitNote says, from the medians, what bounds a kind's throughput: the cores
// when the measured processes keep them busy, otherwise the waits.
func limitNote(k *KindSummary, cores int) string {
	med := func(s *Spread) float64 {
		if s == nil {
			return math.NaN()
		}
		return s.Median
	}
	cpu := fmt.Sprintf("server %s, worker %s, bench (starter, sandboxes) %s ms CPU per workflow",
		fmtMs(med(k.ServerCPUMsPerWf)), fmtMs(med(k.WorkerCPUMsPerWf)), fmtMs(med(k.BenchCPUMsPerWf)))
	waits := fmt.Sprintf("workflow task schedule→start %s ms, activity schedule→start %s ms, persistence write %s ms",
		fmtMs(med(k.WorkflowTaskScheduleToStartMs)), fmtMs(med(k.ActivityScheduleToStartMs)), fmtMs(med(k.PersistenceWriteMs)))
	busy, host := med(k.CPUBusy), med(k.HostCPUBusy)
	verdict := ""
	switch {
	case busy >= 0.85:
		verdict = "CPU-bound by the measured processes; "
	case host >= 0.85:
		verdict = "CPU-bound by the machine, other programs included; "
	}
	return fmt.Sprintf("%s: %sCPU %.0f%% of %d cores busy, %.0f%% by the measured processes (%s); waits: %s.", k.Kind, verdict, host*100, cores, busy*100, cpu, waits)
}

func fmtMs(x float64) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	if x >= 100 {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.1f", x)
}
