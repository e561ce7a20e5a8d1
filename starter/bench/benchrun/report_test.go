package benchrun

import (
	"encoding/json"
	"math"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestRoundOrder(t *testing.T) {
	got := strings.Join(roundOrder([]string{"baseline", "cancel"}, 4), " ")
	want := "baseline cancel cancel baseline baseline cancel cancel baseline"
	if got != want {
		t.Errorf("order %q, want %q", got, want)
	}
	if got := strings.Join(roundOrder([]string{"cancel"}, 3), " "); got != "cancel cancel cancel" {
		t.Errorf("one kind: %q", got)
	}
}

func TestQuantileAndSpread(t *testing.T) {
	// Quartiles of 1..8 interpolated between ranks (numpy: 2.75, 4.5, 6.25).
	s := summarize([]float64{8, 1, 7, 2, 6, 3, 5, 4})
	want := &Spread{N: 8, Median: 4.5, Q1: 2.75, Q3: 6.25, IQR: 3.5, Min: 1, Max: 8, Values: []float64{8, 1, 7, 2, 6, 3, 5, 4}}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("summarize(1..8) = %+v, want %+v", s, want)
	}
	// Odd count: the median is the middle value; NaN (not measured) is skipped.
	s = summarize([]float64{0.5, math.NaN(), 0.7, 0.6, 0.9, 0.4})
	if s.N != 5 || s.Median != 0.6 || s.Q1 != 0.5 || s.Q3 != 0.7 || s.IQR != 0.2 || s.Min != 0.4 || s.Max != 0.9 {
		t.Errorf("summarize with NaN = %+v", s)
	}
	if summarize(nil) != nil || summarize([]float64{math.NaN()}) != nil {
		t.Error("nothing measured must give nil (null in JSON)")
	}
	if one := summarize([]float64{3}); one.Median != 3 || one.IQR != 0 || one.Min != 3 || one.Max != 3 {
		t.Errorf("one value: %+v", one)
	}
}

// rounds builds rounds in the bench's order with the given throughput and p50 per
// round (pairs of two).
func testRounds(perSecond, p50 []float64) []Round {
	order := roundOrder([]string{"baseline", "cancel"}, len(perSecond)/2)
	rs := make([]Round, len(order))
	for i, k := range order {
		rs[i] = Round{Index: i, Pair: i / 2, Kind: k, PerSecond: perSecond[i], LatencyMs: Latency{P50: p50[i]}}
	}
	return rs
}

func TestSteadyRate(t *testing.T) {
	// 100 workflows at concurrency 10, each 1 s long: ten start at each whole
	// second and end 1 s later; the last starts at 9 s. Completions after the
	// 10th (at 1 s) up to the last start: workflows 10..89 end at 2..9 s (80),
	// one failed: 79 in 8 s. The burst's and the drain's do not count.
	const n, conc = 100, 10
	done, ok := make([]time.Duration, n), make([]bool, n)
	for i := range n {
		done[i], ok[i] = time.Duration(i/conc+1)*time.Second, true
	}
	done[95] = 40 * time.Second // a slow one in the drain
	ok[50] = false
	rate, good := steadyRate(done, ok, conc, 9*time.Second)
	if !good || math.Abs(rate-79.0/8) > 1e-9 {
		t.Fatalf("steady rate %v (%v), want %v", rate, good, 79.0/8)
	}
	// Too few completions between the burst and the last start: no figure.
	if _, good := steadyRate(done[:15], ok[:15], conc, 1500*time.Millisecond); good {
		t.Error("15 workflows at concurrency 10 must not give a steady rate")
	}
	if _, good := steadyRate(done, ok, conc, 0); good {
		t.Error("no last start must not give a steady rate")
	}
}

func TestSteadyLatencies(t *testing.T) {
	lat, ok := make([]time.Duration, 100), make([]bool, 100)
	for i := range lat {
		lat[i], ok[i] = time.Second, true
	}
	lat[9], lat[90] = time.Minute, time.Minute // the burst's last and the drain's first
	ok[50] = false
	got := steadyLatencies(lat, ok, 10)
	if len(got) != 79 {
		t.Fatalf("%d steady latencies, want 79 (indices 10..89, one failed)", len(got))
	}
	for _, l := range got {
		if l != time.Second {
			t.Fatalf("a burst or drain latency in the steady part: %v", l)
		}
	}
	if got := steadyLatencies(lat[:15], ok[:15], 10); len(got) != 0 {
		t.Errorf("15 workflows at concurrency 10 have no steady part, got %d", len(got))
	}
}

func TestPooledRatios(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		d := make([]time.Duration, len(v))
		for i, x := range v {
			d[i] = time.Duration(x) * time.Millisecond
		}
		return d
	}
	rs := testRounds([]float64{40, 20, 20, 40}, []float64{0, 0, 0, 0})
	// Baseline rounds: 100 ms ×3 and 300 ms ×1 → pooled p50 100 ms. Cancel
	// rounds: 200, 200, 900, 900 → pooled p50 200 ms (nearest rank): ratio 2.
	rs[0].lats, rs[3].lats = ms(100, 100), ms(100, 300)
	rs[1].lats, rs[2].lats = ms(200, 900), ms(200, 900)
	b, c := summarizeKind("baseline", rs), summarizeKind("cancel", rs)
	if b.PooledLatencyMs.P50 != 100 || c.PooledLatencyMs.P50 != 200 || c.PooledLatencyMs.P99 != 900 {
		t.Fatalf("pooled: baseline %+v, cancel %+v", b.PooledLatencyMs, c.PooledLatencyMs)
	}
	if q := ratios(rs, b, c); q.Pooled != (PooledRatios{P50: 2, P95: 3, P99: 3}) {
		t.Errorf("pooled ratios %+v", q.Pooled)
	}
}

func TestPairRatios(t *testing.T) {
	// Order: b c | c b | b c | c b. Ratios pair by pair, cancel over baseline,
	// whichever ran first in the pair.
	rs := testRounds(
		[]float64{40, 20, 30, 60, 50, 35, 24, 40},
		[]float64{300, 600, 700, 350, 320, 640, 660, 330})
	tp := pairRatios(rs, func(r Round) float64 { return r.PerSecond })
	want := []float64{0.5, 0.5, 0.7, 0.6}
	for i := range want {
		if math.Abs(tp[i]-want[i]) > 1e-9 {
			t.Fatalf("throughput ratios %v, want %v", tp, want)
		}
	}
	q := ratios(rs, nil, nil)
	if q.Pairs != 4 || q.Throughput.Median != 0.55 || q.Throughput.Q1 != 0.5 || q.Throughput.Q3 != 0.625 || q.Throughput.Min != 0.5 || q.Throughput.Max != 0.7 {
		t.Errorf("throughput spread %+v", q.Throughput)
	}
	// p50: 2, 2, 2, 2 → median 2, IQR 0.
	if q.P50.Median != 2 || q.P50.IQR != 0 {
		t.Errorf("p50 spread %+v", q.P50)
	}
	if q.ServerCPU != nil {
		t.Errorf("server CPU not measured must be nil, got %+v", q.ServerCPU)
	}
	// A pair whose baseline figure is zero is skipped, not infinite.
	rs[0].PerSecond = 0
	if s := summarize(pairRatios(rs, func(r Round) float64 { return r.PerSecond })); s.N != 3 || s.Median != 0.6 {
		t.Errorf("with a zero baseline: %+v", s)
	}
}

func TestSummarizeKind(t *testing.T) {
	rs := testRounds([]float64{40, 20, 30, 60}, []float64{300, 600, 700, 350})
	rs[0].ServerCPUMsPerWf, rs[3].ServerCPUMsPerWf = ptr(30), ptr(34)
	rs[0].Persistence = &Persistence{WriteMeanMs: 2}
	rs[3].Persistence = &Persistence{WriteMeanMs: 4}
	rs[0].Completed, rs[3].Completed, rs[3].Failed = 200, 199, 1
	k := summarizeKind("baseline", rs)
	if k.Rounds != 2 || k.Workflows != 399 || k.Failed != 1 {
		t.Errorf("kind totals %+v", k)
	}
	if k.PerSecond.Median != 50 || k.P50Ms.Median != 325 || k.ServerCPUMsPerWf.Median != 32 || k.PersistenceWriteMs.Median != 3 {
		t.Errorf("kind medians: per s %+v, p50 %+v, cpu %+v, write %+v", k.PerSecond, k.P50Ms, k.ServerCPUMsPerWf, k.PersistenceWriteMs)
	}
	if k.WorkerCPUMsPerWf != nil {
		t.Error("worker CPU not measured must be nil")
	}
	if summarizeKind("parked", rs) != nil {
		t.Error("no rounds of a kind must give nil")
	}
}

func TestPersistence(t *testing.T) {
	scrape := func(s string) persistSnapshot {
		t.Helper()
		p, err := parsePersistence(strings.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	before := scrape(`# HELP persistence_latency persistence_latency histogram
# TYPE persistence_latency histogram
persistence_latency_bucket{operation="UpdateWorkflowExecution",service_name="history",le="0.001"} 3
persistence_latency_sum{operation="UpdateWorkflowExecution",service_name="history"} 0.01
persistence_latency_count{operation="UpdateWorkflowExecution",service_name="history"} 4
persistence_latency_sum{operation="GetWorkflowExecution",service_name="history"} 0.002
persistence_latency_count{operation="GetWorkflowExecution",service_name="history"} 2
visibility_persistence_latency_sum{operation="RecordWorkflowExecutionStarted",service_name="history"} 0
visibility_persistence_latency_count{operation="RecordWorkflowExecutionStarted",service_name="history"} 0
poll_success{task_type="Workflow",taskqueue="paycancel"} 10
poll_success_sync{task_type="Workflow",taskqueue="paycancel"} 2
`)
	after := scrape(`persistence_latency_sum{operation="UpdateWorkflowExecution",service_name="history"} 0.05
persistence_latency_count{operation="UpdateWorkflowExecution",service_name="history"} 14
persistence_latency_sum{operation="CreateWorkflowExecution",namespace="a \"quoted\", name",service_name="history"} 0.02
persistence_latency_count{namespace="x",operation="CreateWorkflowExecution",service_name="history"} 5
persistence_latency_sum{operation="CreateWorkflowExecution",service_name="frontend"} 0.01
persistence_latency_count{operation="CreateWorkflowExecution",service_name="frontend"} 5
persistence_latency_sum{operation="GetWorkflowExecution",service_name="history"} 0.012
persistence_latency_count{operation="GetWorkflowExecution",service_name="history"} 7
visibility_persistence_latency_sum{operation="RecordWorkflowExecutionStarted",service_name="history"} 0.1
visibility_persistence_latency_count{operation="RecordWorkflowExecutionStarted",service_name="history"} 5
visibility_persistence_latency_sum{operation="ListWorkflowExecutions",service_name="frontend"} 9
visibility_persistence_latency_count{operation="ListWorkflowExecutions",service_name="frontend"} 1
service_latency_sum{operation="UpdateWorkflowExecution"} 99
poll_success{task_type="Workflow",taskqueue="paycancel"} 30
poll_success{task_type="Activity",taskqueue="paycancel-gnete"} 10
poll_success_sync{task_type="Workflow",taskqueue="paycancel"} 17
poll_success_sync_total{task_type="Activity",taskqueue="paycancel-gnete"} 9
`)
	// Writes: 10 updates (0.04 s) + 10 creates (0.03 s) = 20 in 0.07 s → 3.5 ms;
	// reads: 5 gets in 0.01 s → 2 ms; visibility: 5 records in 0.1 s → 20 ms (the
	// list is a read, not counted); polls: 30 answered, 24 of them by sync
	// match → 0.8.
	p := persistenceDelta(before, after, 5)
	if p.SyncMatch == nil || *p.SyncMatch != 0.8 {
		t.Errorf("sync match %v, want 0.8", p.SyncMatch)
	}
	p.SyncMatch = nil
	want := Persistence{WriteOps: 20, WritesPerWf: 4, WriteMeanMs: 3.5, ReadOps: 5, ReadMeanMs: 2, VisibilityWrites: 5, VisibilityMeanMs: 20}
	if *p != want {
		t.Errorf("persistence %+v, want %+v", *p, want)
	}
}

// sampleReport has every field set, so the round trip covers them all.
func sampleReport() *Report {
	sp := &Spread{N: 2, Median: 1.5, Q1: 1.25, Q3: 1.75, IQR: 0.5, Min: 1, Max: 2, Values: []float64{1, 2}}
	kind := func(k string) *KindSummary {
		return &KindSummary{Kind: k, Rounds: 2, Workflows: 400, Failed: 1, PerSecond: sp, P50Ms: sp, P95Ms: sp, P99Ms: sp,
			PooledLatencyMs:  Latency{P50: 1, P95: 2, P99: 3, Max: 4, Mean: 1.5},
			ServerCPUMsPerWf: sp, WorkerCPUMsPerWf: sp, BenchCPUMsPerWf: sp, CPUBusy: sp, HostCPUBusy: sp, WorkflowTaskScheduleToStartMs: sp,
			ActivityScheduleToStartMs: sp, WorkflowTaskExecutionMs: sp, PersistenceWriteMs: sp, PersistenceWritesPerWf: sp, VisibilityWriteMs: sp, SyncMatch: sp,
			History: History{Sampled: 100, Events: Stat{Mean: 19, Min: 19, Max: 19}, Actions: Stat{Mean: 5, Min: 5, Max: 5},
				EventTypes: map[string]float64{"WorkflowExecutionStarted": 1}, ActionsByKind: map[string]float64{"workflowStarted": 1},
				WaitsMs: map[string]StatF{"total": {Mean: 1, Max: 2}}}}
	}
	return &Report{
		SchemaVersion: SchemaVersion, StartedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Seconds: 180, Command: "go run ./starter/bench",
		Machine:    Machine{NumCPU: 2, CPUModel: "x", MemTotalMiB: 1024, GoVersion: "go1.26", OS: "linux/amd64", LoadStart: "0.1 0.1 0.1", LoadEnd: "1 1 1"},
		Temporal:   Temporal{Mode: "embedded", Address: "127.0.0.1:7233", Namespace: "default", Store: "sqlite-file", ServerMetricsURL: "http://127.0.0.1:1/metrics", ServerPID: 42},
		WorkerMode: "process",
		Settings: Settings{Rounds: 1, RoundSize: 200, Concurrency: 50, Warmup: 100, HistorySample: 100, Parked: 10000, Order: []string{"baseline", "cancel"},
			Tuning:        WorkerTuning{WorkflowPollers: 1, ActivityPollers: 2, WorkflowSlots: 3, ActivitySlots: 4, StickyCacheSize: 5, LogLevel: "warn"},
			DynamicConfig: map[string]any{"history.persistenceMaxQPS": float64(20000)}},
		Ratios: &Ratios{Pairs: 2, Throughput: sp, P50: sp, P95: sp, P99: sp, ServerCPU: sp, WorkerCPU: sp, Events: 1.727, Actions: 2.5,
			Pooled: PooledRatios{P50: 1.5, P95: 1.4, P99: 1.3}},
		Baseline: kind("baseline"), Cancel: kind("cancel"),
		Rounds: []Round{{Index: 0, Pair: 0, Kind: "baseline", N: 200, Concurrency: 50, Completed: 199, Failed: 1, Seconds: 4, PerSecond: 52, OverallPerSecond: 49.75,
			LatencyMs: Latency{P50: 1, P95: 2, P99: 3, Max: 4, Mean: 1.5}, SteadyN: 99, LatencyAllMs: Latency{P50: 2, P95: 3, P99: 4, Max: 5, Mean: 2.5}, WindowSeconds: 5,
			CPU: CPU{ServerCPUMsPerWf: ptr(30), WorkerCPUMsPerWf: ptr(4), BenchCPUMsPerWf: 1, CPUBusy: 0.9, HostCPUBusy: 0.95}, WorkflowTaskScheduleToStartMs: ptr(100), ActivityScheduleToStartMs: ptr(2), WorkflowTaskExecutionMs: ptr(0.4),
			WorkflowTasks: 400, Persistence: &Persistence{WriteOps: 1, WritesPerWf: 2, WriteMeanMs: 3, ReadOps: 4, ReadMeanMs: 5, VisibilityWrites: 6, VisibilityMeanMs: 7, SyncMatch: ptr(0.9)},
			ResourceExhausted: 1, LoadAvg: "1 1 1", Errors: []string{"x"}}},
		Parked: &ParkedResult{N: 10000, StartSeconds: 1, StartPerSecond: 2, SettledSeconds: 3, Failed: 4,
			Limits: ParkLimits{CPU: CPU{ServerCPUMsPerWf: ptr(1), WorkerCPUMsPerWf: ptr(2), BenchCPUMsPerWf: 3, CPUBusy: 0.4, HostCPUBusy: 0.5},
				WorkflowTaskScheduleToStartMs: ptr(6), Persistence: &Persistence{WriteOps: 7}}, IdleRSSMiB: 5, RSSMiB: 6, HWMMiB: 7,
			RSSAfterGCMiB: 8, AnonMiB: 9, FileMiB: 10, IdleAnonMiB: 11, AnonAfterGCMiB: 12, HeapInuseMiB: 13, HeapInuseAfterGC: 14, StackInuseMiB: 15,
			Goroutines: 16, PerParkedKiB: 17, StickyCacheSize: 18, StickyCacheLimit: 19, StickyCacheMisses: 20, InProcess: true,
			BenchProcessRSSMiB: 21, ServerRSSMiB: 22, EventsPerParked: 23},
		ActionRules: ActionRules,
		Targets:     []Target{{Name: "t", Goal: ">= 1", Value: 2, Met: true, Detail: "d"}},
		Notes:       []string{"n"},
	}
}

// TestReportSchema pins the JSON report's field names (the schema documented in
// doc.go, version SchemaVersion) and checks a report survives a round trip.
// A renamed or removed field fails here: bump SchemaVersion and the doc with it.
func TestReportSchema(t *testing.T) {
	rep := sampleReport()
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	back.Rounds[0].refs, rep.Rounds[0].refs = nil, nil
	if !reflect.DeepEqual(&back, rep) {
		t.Errorf("round trip differs:\n got %+v\nwant %+v", back, *rep)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	got := keyPaths("", doc)
	spread := "{n,median,q1,q3,iqr,min,max,values}"
	kind := "{kind,rounds,workflows,failed,perSecond" + spread + ",p50Ms" + spread + ",p95Ms" + spread + ",p99Ms" + spread +
		",pooledLatencyMs{p50,p95,p99,max,mean}" +
		",serverCpuMsPerWf" + spread + ",workerCpuMsPerWf" + spread + ",benchCpuMsPerWf" + spread + ",cpuBusy" + spread + ",hostCpuBusy" + spread +
		",workflowTaskScheduleToStartMs" + spread + ",activityScheduleToStartMs" + spread + ",workflowTaskExecutionMs" + spread +
		",persistenceWriteMs" + spread + ",persistenceWritesPerWf" + spread + ",visibilityWriteMs" + spread + ",syncMatch" + spread +
		",history{sampled,events{mean,min,max},actions{mean,min,max},eventTypes{*},actionsByKind{*},waitsMs{*}}}"
	want := "{schemaVersion,startedAt,seconds,command," +
		"machine{numCPU,cpuModel,memTotalMiB,goVersion,os,loadAvgStart,loadAvgEnd}," +
		"temporal{mode,address,namespace,store,serverMetricsUrl,serverPid}," +
		"workerMode," +
		"settings{rounds,roundSize,concurrency,warmup,historySample,parked,order,tuning{workflowPollers,activityPollers,workflowSlots,activitySlots,stickyCacheSize,logLevel},dynamicConfig{*}}," +
		"ratios{pairs,throughput" + spread + ",p50" + spread + ",p95" + spread + ",p99" + spread + ",serverCpu" + spread + ",workerCpu" + spread + ",pooled{p50,p95,p99},events,actions}," +
		"baseline" + kind + ",cancel" + kind + "," +
		"rounds[{index,pair,kind,n,concurrency,completed,failed,seconds,perSecond,latencyMs{p50,p95,p99,max,mean},steadyN," +
		"overallPerSecond,latencyAllMs{p50,p95,p99,max,mean},windowSeconds," +
		"serverCpuMsPerWf,workerCpuMsPerWf,benchCpuMsPerWf,cpuBusy,hostCpuBusy,workflowTaskScheduleToStartMs,activityScheduleToStartMs," +
		"workflowTaskExecutionMs,workflowTasks,persistence{writeOps,writesPerWf,writeMeanMs,readOps,readMeanMs,visibilityWrites,visibilityWriteMeanMs,syncMatch}," +
		"resourceExhausted,loadAvg,errors}]," +
		"parked{n,startSeconds,startPerSecond,settledSeconds,failed," +
		"limits{serverCpuMsPerWf,workerCpuMsPerWf,benchCpuMsPerWf,cpuBusy,hostCpuBusy,workflowTaskScheduleToStartMs," +
		"persistence{writeOps,writesPerWf,writeMeanMs,readOps,readMeanMs,visibilityWrites,visibilityWriteMeanMs,syncMatch}},idleRssMiB,rssMiB,hwmMiB,rssAfterGcMiB,anonMiB,fileMiB,idleAnonMiB," +
		"anonAfterGcMiB,heapInuseMiB,heapInuseAfterGcMiB,stackInuseMiB,goroutines,perParkedKiB,stickyCacheSize,stickyCacheLimit," +
		"stickyCacheMisses,inProcess,benchProcessRssMiB,serverRssMiB,eventsPerParked}," +
		"actionRules,targets[{name,goal,value,met,detail}],notes}"
	if g, w := normalizeShape(got), normalizeShape(want); g != w {
		t.Errorf("report shape changed (update doc.go and SchemaVersion if meant):\n got %s\nwant %s", g, w)
	}
	if back.SchemaVersion != 2 {
		t.Errorf("schemaVersion %d", back.SchemaVersion)
	}
	// Not measured is null, not absent: scripts can rely on the keys.
	rep.Ratios, rep.Parked, rep.Rounds[0].ServerCPUMsPerWf, rep.Rounds[0].Persistence = nil, nil, nil, nil
	b, _ = json.Marshal(rep)
	for _, k := range []string{`"ratios":null`, `"parked":null`, `"serverCpuMsPerWf":null`, `"persistence":null`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("%s missing from %s", k, b)
		}
	}
}

// keyPaths renders a decoded JSON value's shape: objects as {k,...} sorted, arrays as [first element], map-like objects (whose keys are data:
// event types, dynamic config keys) as {*}.
func keyPaths(name string, v any) string {
	switch x := v.(type) {
	case map[string]any:
		if name == "eventTypes" || name == "actionsByKind" || name == "dynamicConfig" || name == "waitsMs" {
			return "{*}"
		}
		parts := make([]string, 0, len(x))
		for k, sub := range x {
			parts = append(parts, k+keyPaths(k, sub))
		}
		sort.Strings(parts)
		return "{" + strings.Join(parts, ",") + "}"
	case []any:
		if len(x) > 0 {
			if _, ok := x[0].(map[string]any); ok {
				return "[" + keyPaths(name, x[0]) + "]"
			}
		}
		return ""
	default:
		return ""
	}
}

// normalizeShape sorts the keys of a shape written by hand in field order.
func normalizeShape(s string) string {
	var parse func(string) (string, string)
	parse = func(s string) (string, string) { // returns rendered object, rest after '}'
		var parts []string
		s = s[1:]
		for len(s) > 0 && s[0] != '}' {
			i := strings.IndexAny(s, ",{}[")
			key := s[:i]
			s = s[i:]
			sub := ""
			switch s[0] {
			case '{':
				if strings.HasPrefix(s, "{*}") {
					sub, s = "{*}", s[3:]
				} else {
					sub, s = parse(s)
				}
			case '[':
				var inner string
				inner, s = parse(s[1:])
				sub, s = "["+inner+"]", s[1:]
			}
			parts = append(parts, key+sub)
			if len(s) > 0 && s[0] == ',' {
				s = s[1:]
			}
		}
		sort.Strings(parts)
		return "{" + strings.Join(parts, ",") + "}", s[1:]
	}
	out, _ := parse(s)
	return out
}

func TestMarkdownRow(t *testing.T) {
	r := sampleReport()
	want := "| 2026-01-02 03:04 | 1.50 (1.25–1.75) | 1.50 (1.25–1.75) | 1.50 (1.25–1.75) | 1.50 (1.25–1.75) | 1.50 / 1.40 / 1.30 | 19 / 5 | 6 MiB (8), 10000 parked | 3 s |"
	if got := MarkdownRow(r); got != want {
		t.Errorf("row\n got %s\nwant %s", got, want)
	}
	if n, m := strings.Count(MarkdownRow(r), "|"), strings.Count(strings.Split(MarkdownHeader, "\n")[0], "|"); n != m {
		t.Errorf("row has %d bars, header %d", n, m)
	}
	r.Parked = nil
	if got := MarkdownRow(r); !strings.HasSuffix(got, "| 19 / 5 | — | — |") {
		t.Errorf("without parking: %s", got)
	}
	r.Ratios = nil
	if MarkdownRow(r) != "" {
		t.Error("a row without ratios")
	}
}
