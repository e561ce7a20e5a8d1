package benchrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/paycancel/paycancel/activities"
	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/worker/app"
	"github.com/paycancel/paycancel/worker/config"
	"github.com/paycancel/paycancel/worker/connect"
	"github.com/paycancel/paycancel/worker/logging"
)

// WorkerTuning overrides worker options; zero fields keep paycancel's defaults
// (app.StartWorkers with the options the worker binary uses).
type WorkerTuning struct {
	// WorkflowPollers: worker.Options.MaxConcurrentWorkflowTaskPollers.
	WorkflowPollers int `json:"workflowPollers,omitempty"`
	// ActivityPollers: worker.Options.MaxConcurrentActivityTaskPollers.
	ActivityPollers int `json:"activityPollers,omitempty"`
	// WorkflowSlots: worker.Options.MaxConcurrentWorkflowTaskExecutionSize.
	WorkflowSlots int `json:"workflowSlots,omitempty"`
	// ActivitySlots: worker.Options.MaxConcurrentActivityExecutionSize (main worker;
	// provider workers keep their configured concurrency).
	ActivitySlots int `json:"activitySlots,omitempty"`
	// StickyCacheSize: the process-wide sticky cache (app.StickyCacheSize). 0:
	// paycancel's default, app.DefaultStickyCacheSize.
	StickyCacheSize int `json:"stickyCacheSize,omitempty"`
	// LogLevel of the SDK and activity logs. Default warn (activities log every
	// provider call at info).
	LogLevel string `json:"logLevel,omitempty"`
}

func (t WorkerTuning) options() worker.Options {
	o := baseWorkerOptions()
	if t.WorkflowPollers > 0 {
		o.MaxConcurrentWorkflowTaskPollers = t.WorkflowPollers
	}
	if t.ActivityPollers > 0 {
		o.MaxConcurrentActivityTaskPollers = t.ActivityPollers
	}
	if t.WorkflowSlots > 0 {
		o.MaxConcurrentWorkflowTaskExecutionSize = t.WorkflowSlots
	}
	if t.ActivitySlots > 0 {
		o.MaxConcurrentActivityExecutionSize = t.ActivitySlots
	}
	return o
}

// WorkerStats is a snapshot of the worker process.
type WorkerStats struct {
	PID    int   `json:"pid"`
	RSSKiB int64 `json:"rssKiB"`
	HWMKiB int64 `json:"hwmKiB"`
	// AnonKiB is private memory (heap, stacks); FileKiB is mapped files, mostly
	// the binary's code, clean and shared with other processes running it.
	AnonKiB    int64         `json:"anonKiB"`
	FileKiB    int64         `json:"fileKiB"`
	HeapInuse  uint64        `json:"heapInuse"`
	HeapSys    uint64        `json:"heapSys"`
	StackInuse uint64        `json:"stackInuse"`
	GoSys      uint64        `json:"goSys"`
	Goroutines int           `json:"goroutines"`
	NumGC      uint32        `json:"numGC"`
	CPU        time.Duration `json:"cpu"`
	SDK        SDKSnapshot   `json:"sdk"`
	// StickyCacheCapacity is the sticky cache's capacity the worker runs with.
	StickyCacheCapacity int       `json:"stickyCacheCapacity"`
	InProcess           bool      `json:"inProcess"`
	CollectedAt         time.Time `json:"collectedAt"`
}

// workerHandle is the worker the bench drives: in this process or a child.
type workerHandle interface {
	Stats(ctx context.Context, gc bool) (WorkerStats, error)
	Stop()
}

// procCPU returns the user+system CPU time a process has used (/proc/<pid>/stat;
// pid 0: this process).
func procCPU(pid int) (time.Duration, error) {
	path := "/proc/self/stat"
	if pid > 0 {
		path = "/proc/" + strconv.Itoa(pid) + "/stat"
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: fields count from after its ')'.
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b)[i+1:])
	if len(f) < 13 {
		return 0, errors.New("short " + path)
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / ticks, nil
}

// memStatus is a process's memory from /proc/<pid>/status, in KiB.
type memStatus struct {
	RSS, HWM, Anon, File int64
}

// procStatus reads VmRSS and VmHWM (KiB) from /proc/<pid>/status.
func procStatus(pid int) (rss, hwm int64, err error) {
	m, err := procMem(pid)
	return m.RSS, m.HWM, err
}

// procMem reads VmRSS, VmHWM, RssAnon and RssFile from /proc/<pid>/status
// (pid 0: this process).
func procMem(pid int) (m memStatus, err error) {
	path := "/proc/self/status"
	if pid > 0 {
		path = "/proc/" + strconv.Itoa(pid) + "/status"
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return m, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			m.RSS = v
		case "VmHWM:":
			m.HWM = v
		case "RssAnon:":
			m.Anon = v
		case "RssFile:":
			m.File = v
		}
	}
	return m, nil
}

func stickyCapacity(t WorkerTuning) int {
	if t.StickyCacheSize > 0 {
		return t.StickyCacheSize
	}
	return app.DefaultStickyCacheSize
}

func selfStats(m *sdkMetrics, gc bool, t WorkerTuning) WorkerStats {
	if gc {
		runtime.GC()
		debug.FreeOSMemory()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	pm, _ := procMem(0)
	cpu, _ := procCPU(0)
	return WorkerStats{CPU: cpu, PID: os.Getpid(), RSSKiB: pm.RSS, HWMKiB: pm.HWM, AnonKiB: pm.Anon, FileKiB: pm.File, HeapInuse: ms.HeapInuse, HeapSys: ms.HeapSys,
		StackInuse: ms.StackInuse, GoSys: ms.Sys, Goroutines: runtime.NumGoroutine(), NumGC: ms.NumGC,
		SDK: m.snapshot(), StickyCacheCapacity: stickyCapacity(t), CollectedAt: time.Now()}
}

// workerSpec is what a worker needs to start; the child process gets it as JSON.
type workerSpec struct {
	// External: connect like the worker binary (connect.ClientOptions: Temporal's
	// environment configuration, with Connection on top: TLS, API key, profile);
	// otherwise plainly to Address (the embedded server).
	External   bool            `json:"external"`
	Connection connect.Options `json:"connection"`
	Address    string          `json:"address"`
	Namespace  string          `json:"namespace"`
	TaskQueue  string          `json:"taskQueue"`
	ConfigPath string          `json:"configPath"`
	Tuning     WorkerTuning    `json:"tuning"`
}

// clientOptions are the options the bench's clients (starter and worker) dial with.
func (s workerSpec) clientOptions(logger log.Logger) (client.Options, error) {
	if s.External {
		return connect.ClientOptions(s.Connection, logger)
	}
	return client.Options{HostPort: s.Address, Namespace: s.Namespace, Logger: logger}, nil
}

// startWorkers starts paycancel's workers (app.StartWorkers: the real
// registration) plus the baseline, on their own client.
func startWorkers(ctx context.Context, spec workerSpec, m *sdkMetrics) (*app.Workers, client.Client, error) {
	if spec.Tuning.StickyCacheSize > 0 {
		app.StickyCacheSize = spec.Tuning.StickyCacheSize
	}
	level := spec.Tuning.LogLevel
	if level == "" {
		level = "warn"
	}
	z, err := logging.New(level)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := config.Load(spec.ConfigPath, providers.Deps{})
	if err != nil {
		return nil, nil, err
	}
	// No provider callbacks: the sandboxes run without a callback URL, and a
	// per-request notify URL (GNETE) would only reach a receiver that cannot
	// answer like the worker's. The happy path does not need them.
	cfg.CallbackBaseURL = ""
	copts, err := spec.clientOptions(logging.NewTemporal(z))
	if err != nil {
		return nil, nil, err
	}
	copts.MetricsHandler = m
	c, err := client.DialContext(ctx, copts)
	if err != nil {
		return nil, nil, fmt.Errorf("connecting to Temporal at %s (namespace %s): %w", copts.HostPort, copts.Namespace, err)
	}
	plugin, err := baselinePlugin(spec.TaskQueue)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	opts := spec.Tuning.options()
	opts.Plugins = append(opts.Plugins, plugin)
	ws, err := app.StartWorkers(c, spec.TaskQueue, &activities.Activities{Config: cfg, Temporal: c}, cfg.ProviderLimits, opts)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return ws, c, nil
}

// inProcessWorker runs in the bench's process: its RSS includes the server.
type inProcessWorker struct {
	ws *app.Workers
	c  client.Client
	m  *sdkMetrics
	t  WorkerTuning
}

func startInProcess(ctx context.Context, spec workerSpec) (*inProcessWorker, error) {
	m := newSDKMetrics()
	ws, c, err := startWorkers(ctx, spec, m)
	if err != nil {
		return nil, err
	}
	return &inProcessWorker{ws: ws, c: c, m: m, t: spec.Tuning}, nil
}

func (w *inProcessWorker) Stats(_ context.Context, gc bool) (WorkerStats, error) {
	s := selfStats(w.m, gc, w.t)
	s.InProcess = true
	return s, nil
}

func (w *inProcessWorker) Stop() {
	w.ws.Stop()
	w.c.Close()
}

// childWorker is a separate process (this binary, re-executed): its RSS is the
// worker's alone.
type childWorker struct {
	*child
	stats string // http://host:port of its stats endpoint
}

func startChild(ctx context.Context, spec workerSpec, stderr io.Writer) (*childWorker, error) {
	c, err := startChildProcess(ctx, "worker", workerEnv, spec, stderr, 60*time.Second, 1)
	if err != nil {
		return nil, err
	}
	return &childWorker{child: c, stats: c.ready[0]}, nil
}

func (w *childWorker) Stats(ctx context.Context, gc bool) (WorkerStats, error) {
	u := w.stats + "/stats"
	if gc {
		u += "?gc=1"
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return WorkerStats{}, err
	}
	defer resp.Body.Close()
	var s WorkerStats
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		return s, err
	}
	// Read the RSS from outside too: it is what the OS charges the process.
	if pm, err := procMem(w.pid()); err == nil {
		s.RSSKiB, s.HWMKiB, s.AnonKiB, s.FileKiB = pm.RSS, pm.HWM, pm.Anon, pm.File
	}
	if cpu, err := procCPU(w.pid()); err == nil {
		s.CPU = cpu
	}
	return s, nil
}

// Stop stops the worker process (20 s for its running tasks, then a kill).
func (w *childWorker) Stop() { w.stop(20 * time.Second) }

// runWorkerChild is the worker process: it starts the workers, serves /stats on a
// free local port (?gc=1 forces a garbage collection first: the parked-memory
// figure after GC), prints "READY <url>" and runs until stdin closes or SIGTERM.
func runWorkerChild(stderr io.Writer) int {
	return runChild(workerEnv, "bench worker", stderr, func(ctx context.Context, spec workerSpec) int {
		m := newSDKMetrics()
		ws, c, err := startWorkers(ctx, spec, m)
		if err != nil {
			fmt.Fprintln(stderr, "bench worker:", err)
			return 1
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(stderr, "bench worker:", err)
			return 1
		}
		mux := http.NewServeMux()
		mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(selfStats(m, r.URL.Query().Get("gc") == "1", spec.Tuning))
		})
		// Profiles of the worker: go tool pprof <url>/debug/pprof/heap.
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		fmt.Printf("READY http://%s\n", ln.Addr())
		<-ctx.Done()
		_ = srv.Close()
		ws.Stop()
		c.Close()
		return 0
	})
}

// baseWorkerOptions are the options the worker binary runs with: none of its
// own, so app.StartWorkers applies paycancel's defaults (app.WithDefaults).
func baseWorkerOptions() worker.Options { return worker.Options{} }
