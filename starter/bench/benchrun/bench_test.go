package benchrun

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The benchmarks share one environment (embedded server on a SQLite file in a
// temp dir, in a process of its own; sandboxes; an in-process worker), started by
// the first benchmark that needs it: a plain `go test` never starts it.
var (
	benchOnce sync.Once
	benchEnv  *env
	benchErr  error
	benchDir  string
	benchSeq  atomic.Int64
)

func TestMain(m *testing.M) {
	if IsChild() {
		// This test binary re-executed as the bench's server or worker
		// (startChildProcess uses os.Executable): be that, run no tests.
		os.Exit(RunChild(os.Stderr))
	}
	code := m.Run()
	if benchEnv != nil {
		benchEnv.close()
	}
	if benchDir != "" {
		_ = os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

func sharedEnv(b *testing.B) *env {
	b.Helper()
	benchOnce.Do(func() {
		benchDir, benchErr = os.MkdirTemp("", "paycancel-gobench-")
		if benchErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		benchEnv, benchErr = startEnv(ctx, Options{DataDir: benchDir, InProcessWorker: true}, io.Discard)
	})
	if benchErr != nil {
		b.Fatalf("bench environment: %v", benchErr)
	}
	return benchEnv
}

// benchConcurrency is the closed-loop concurrency of the Go benchmarks.
const benchConcurrency = 10

func runBench(b *testing.B, kind string) {
	e := sharedEnv(b)
	ctx := context.Background()
	prefix := fmt.Sprintf("g%d", benchSeq.Add(1))
	var job func(context.Context, int) (execRef, error)
	if kind == "cancel" {
		job = e.cancelJob(prefix, b.N) // creates the sandbox payments: not timed
	} else {
		job = e.baselineJob(prefix)
	}
	b.ResetTimer()
	r := e.runRound(ctx, kind, 0, b.N, min(benchConcurrency, b.N), job)
	b.StopTimer()
	if r.Failed > 0 {
		// A failed workflow is a bug, not slowness: benchmarks never fail on time.
		b.Fatalf("%d of %d %s workflows failed: %v", r.Failed, b.N, kind, r.Errors)
	}
	h := e.countHistories(ctx, sampleRefs(r.refs, 10))
	b.ReportMetric(r.PerSecond, "wf/s")
	b.ReportMetric(r.LatencyMs.P50, "p50-ms")
	b.ReportMetric(r.LatencyMs.P95, "p95-ms")
	b.ReportMetric(h.Events.Mean, "events/wf")
	b.ReportMetric(h.Actions.Mean, "actions/wf")
	if r.ServerCPUMsPerWf != nil {
		b.ReportMetric(*r.ServerCPUMsPerWf, "server-cpu-ms/wf")
	}
}

// BenchmarkBaseline runs b.N baseline workflows (one no-op activity) at
// concurrency 10 through the same server and worker as the cancels.
//
//	go test -run '^$' -bench . -benchtime 50x ./starter/bench/benchrun
func BenchmarkBaseline(b *testing.B) { runBench(b, "baseline") }

// BenchmarkCancel runs b.N happy-path cancels across the five providers at
// concurrency 10 (the code path of `go run ./starter/bench`).
func BenchmarkCancel(b *testing.B) { runBench(b, "cancel") }

func TestPercentiles(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	l := percentiles(d)
	if l.P50 != 50 || l.P95 != 95 || l.P99 != 99 || l.Max != 100 || l.Mean != 50.5 {
		t.Fatalf("percentiles = %+v", l)
	}
	if (percentiles(nil) != Latency{}) {
		t.Fatal("empty input")
	}
}

func TestCountEvents(t *testing.T) {
	ev := func(t enumspb.EventType) *historypb.HistoryEvent { return &historypb.HistoryEvent{EventType: t} }
	namedMarker := func(name string, wft int64) *historypb.HistoryEvent {
		return &historypb.HistoryEvent{EventType: enumspb.EVENT_TYPE_MARKER_RECORDED,
			Attributes: &historypb.HistoryEvent_MarkerRecordedEventAttributes{MarkerRecordedEventAttributes: &historypb.MarkerRecordedEventAttributes{MarkerName: name, WorkflowTaskCompletedEventId: wft}}}
	}
	marker := func(wft int64) *historypb.HistoryEvent { return namedMarker("LocalActivity", wft) }
	upsert := func(names ...string) *historypb.HistoryEvent {
		fields := map[string]*commonpb.Payload{}
		for _, n := range names {
			fields[n] = &commonpb.Payload{}
		}
		return &historypb.HistoryEvent{EventType: enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
			Attributes: &historypb.HistoryEvent_UpsertWorkflowSearchAttributesEventAttributes{UpsertWorkflowSearchAttributesEventAttributes: &historypb.UpsertWorkflowSearchAttributesEventAttributes{
				SearchAttributes: &commonpb.SearchAttributes{IndexedFields: fields}}}}
	}
	started := func(attempt int32) *historypb.HistoryEvent {
		return &historypb.HistoryEvent{EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED,
			Attributes: &historypb.HistoryEvent_ActivityTaskStartedEventAttributes{ActivityTaskStartedEventAttributes: &historypb.ActivityTaskStartedEventAttributes{Attempt: attempt}}}
	}
	wftDone := func(laRetries uint32) *historypb.HistoryEvent {
		return &historypb.HistoryEvent{EventType: enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
			Attributes: &historypb.HistoryEvent_WorkflowTaskCompletedEventAttributes{WorkflowTaskCompletedEventAttributes: &historypb.WorkflowTaskCompletedEventAttributes{
				MeteringMetadata: &commonpb.MeteringMetadata{NonfirstLocalActivityExecutionAttempts: laRetries}}}}
	}
	h := countEvents([]*historypb.HistoryEvent{
		ev(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED),
		marker(4), marker(4), // two local activities in one workflow task: one action
		upsert("CancelState"),
		namedMarker("Version", 18), upsert("TemporalChangeVersion"), // GetVersion's marker and upsert: free
		upsert("TemporalChangeVersion", "CancelState"),                      // an upsert of ours that also carries it: one action
		namedMarker("SideEffect", 18), namedMarker("MutableSideEffect", 18), // one action each

		ev(enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED), started(3), // two retries
		ev(enumspb.EVENT_TYPE_TIMER_STARTED),
		ev(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
		wftDone(1), // a local activity retried once
		marker(12),
	})
	want := map[string]int{"workflowStarted": 1, "localActivities": 2, "searchAttributeUpsert": 2, "activityScheduled": 1,
		"activityRetry": 2, "timerStarted": 1, "signal": 1, "localActivityRetry": 1, "sideEffect": 2}
	if h.Events != 15 || h.Actions != 13 {
		t.Fatalf("events %d actions %d, want 15 and 13 (%v)", h.Events, h.Actions, h.ActionsByKind)
	}
	for k, v := range want {
		if h.ActionsByKind[k] != v {
			t.Errorf("%s = %d, want %d", k, h.ActionsByKind[k], v)
		}
	}
}

// setAttributes sets e's attributes oneof to a, whichever of the
// *historypb.…EventAttributes messages it is (none when a is nil): the oneof
// field is found by a's message type, as the history's wire form does.
func setAttributes(t *testing.T, e *historypb.HistoryEvent, a proto.Message) {
	t.Helper()
	if a == nil {
		return
	}
	m, am := e.ProtoReflect(), a.ProtoReflect()
	fields := m.Descriptor().Oneofs().ByName("attributes").Fields()
	for i := range fields.Len() {
		if f := fields.Get(i); f.Message() != nil && f.Message().FullName() == am.Descriptor().FullName() {
			m.Set(f, protoreflect.ValueOfMessage(am))
			return
		}
	}
	t.Fatalf("%s is not a history event's attributes", am.Descriptor().FullName())
}

// TestWaits splits a history's time by where it went: a first workflow task
// waiting on the normal queue, a sticky one, their runs, an activity's wait and
// run, and a sticky task that timed out.
func TestWaits(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	id := int64(0)
	ev := func(ms int, typ enumspb.EventType, attrs proto.Message) *historypb.HistoryEvent {
		id++
		e := &historypb.HistoryEvent{EventId: id, EventType: typ, EventTime: timestamppb.New(t0.Add(time.Duration(ms) * time.Millisecond))}
		setAttributes(t, e, attrs)
		return e
	}
	queue := func(k enumspb.TaskQueueKind) *historypb.WorkflowTaskScheduledEventAttributes {
		return &historypb.WorkflowTaskScheduledEventAttributes{TaskQueue: &taskqueuepb.TaskQueue{Name: "q", Kind: k}}
	}
	events := []*historypb.HistoryEvent{
		ev(0, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, nil),
		ev(0, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, queue(enumspb.TASK_QUEUE_KIND_NORMAL)),                               // 2
		ev(3000, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED, &historypb.WorkflowTaskStartedEventAttributes{ScheduledEventId: 2}), // 3
		ev(3010, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, &historypb.WorkflowTaskCompletedEventAttributes{StartedEventId: 3}),
		ev(3010, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, nil),                                                                // 5
		ev(3050, enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED, &historypb.ActivityTaskStartedEventAttributes{ScheduledEventId: 5}),   // 6
		ev(3070, enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, &historypb.ActivityTaskCompletedEventAttributes{StartedEventId: 6}), // 7
		ev(3070, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, queue(enumspb.TASK_QUEUE_KIND_STICKY)),                              // 8
		ev(8070, enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, &historypb.WorkflowTaskTimedOutEventAttributes{TimeoutType: enumspb.TIMEOUT_TYPE_SCHEDULE_TO_START}),
		ev(8070, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, queue(enumspb.TASK_QUEUE_KIND_NORMAL)),                             // 10
		ev(8100, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED, &historypb.WorkflowTaskStartedEventAttributes{ScheduledEventId: 10}), // 11
		ev(8105, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, &historypb.WorkflowTaskCompletedEventAttributes{StartedEventId: 11}),
		ev(8105, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, queue(enumspb.TASK_QUEUE_KIND_STICKY)),                             // 13
		ev(8110, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED, &historypb.WorkflowTaskStartedEventAttributes{ScheduledEventId: 13}), // 14
		ev(8112, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, &historypb.WorkflowTaskCompletedEventAttributes{StartedEventId: 14}),
		ev(8112, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, nil),
	}
	got := waits(events)
	want := map[string]float64{"total": 8112, "wftWaitNormal": 3030, "wftWaitSticky": 5, "wftRun": 17, "activityWait": 40, "activityRun": 20, "wftTimeouts": 1, "wftTimeoutsStartToClose": 0}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
	if len(waits(nil)) != 0 {
		t.Error("no events, no waits")
	}
}

func TestMainFlags(t *testing.T) {
	for _, args := range [][]string{{"--rounds", "0"}, {"--round-size", "-1"}, {"--phases", "nope"}, {"--phases", ","},
		{"--dc", "novalue"}, {"--bogus"}, {"stray"}, {"--warmup", "-2"},
		{"--address", "127.0.0.1:7233", "--memory"}, {"--profile", "cloud", "--dc", "a=1"},
		{"--server-metrics", "http://127.0.0.1:9090/metrics"}, {"--server-pid", "1"}} {
		var stderr strings.Builder
		if code := Main(args, io.Discard, &stderr); code != 2 {
			t.Errorf("Main(%q) = %d, want 2", args, code)
		}
		if !strings.HasPrefix(stderr.String(), "bench: ") || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("Main(%q): stderr %q is not one line saying what is wrong", args, stderr.String())
		}
	}
	if v := parseValue("3"); v != 3 {
		t.Errorf("parseValue(3) = %#v", v)
	}
	if v := parseValue("true"); v != true {
		t.Errorf("parseValue(true) = %#v", v)
	}
}
