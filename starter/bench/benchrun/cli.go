package benchrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/pflag"
)

// Main is the bench command: exit status 0 on a run (targets missed or not), 2 for
// bad flags, 1 when the run could not be made.
func Main(args []string, stdout, stderr io.Writer) int {
	if IsChild() {
		return RunChild(stderr)
	}
	var (
		o      Options
		out    string
		dc     []string
		phases string
		quiet  bool
		prof   string
	)
	fs := pflag.NewFlagSet("bench", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	fs.IntVar(&o.N, "n", 500, "workflows per measured phase (baseline and cancels)")
	fs.IntVar(&o.Concurrency, "concurrency", 50, "workflows in flight at once (closed loop)")
	fs.IntVar(&o.Parked, "parked", 10000, "cancels parked in a 1h pay-timeout timer for the memory measurement (0: skip)")
	fs.StringVar(&out, "out", "", "write the JSON report to this file (e.g. bench.json)")
	fs.IntVar(&o.Warmup, "warmup", 20, "warm-up workflows of each kind before measuring (-1: none)")
	fs.IntVar(&o.HistorySample, "history-sample", 0, "histories read per phase to count events and actions (0: all)")
	fs.BoolVar(&o.Memory, "memory", false, "run the embedded server on an in-memory SQLite database instead of a file")
	fs.StringVar(&o.DataDir, "data-dir", "", "directory for the SQLite file and keys (default: a temp dir, removed afterwards)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temp dir")
	fs.BoolVar(&o.InProcessWorker, "in-process-worker", false, "run the worker in the bench process (RSS then includes the server)")
	fs.StringVar(&phases, "phases", "baseline,cancel,parked", "phases to run")
	fs.IntVar(&o.Tuning.WorkflowPollers, "wf-pollers", 0, "worker MaxConcurrentWorkflowTaskPollers (0: paycancel's default)")
	fs.IntVar(&o.Tuning.ActivityPollers, "act-pollers", 0, "worker MaxConcurrentActivityTaskPollers (0: default)")
	fs.IntVar(&o.Tuning.WorkflowSlots, "wf-slots", 0, "worker MaxConcurrentWorkflowTaskExecutionSize (0: default)")
	fs.IntVar(&o.Tuning.ActivitySlots, "act-slots", 0, "main worker MaxConcurrentActivityExecutionSize (0: default)")
	fs.IntVar(&o.Tuning.StickyCacheSize, "sticky-cache", 0, "worker.SetStickyWorkflowCacheSize (0: the SDK default, 10000)")
	fs.StringVar(&o.Tuning.LogLevel, "log-level", "warn", "worker log level")
	fs.StringArrayVar(&dc, "dc", nil, "server dynamic config override key=value (repeatable), e.g. --dc history.persistenceMaxQPS=20000")
	fs.BoolVar(&quiet, "quiet", false, "no progress lines")
	fs.StringVar(&prof, "cpuprofile", "", "write a CPU profile of the bench process (server, sandboxes, starter) to this file")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: go run ./starter/bench [flags]\n\nBenchmarks paycancel on the embedded Temporal server (SQLite file) with the provider\nsandboxes: a baseline workflow (one no-op activity) and happy-path cancels at the same\nconcurrency, then worker memory with many cancels parked.\n\nFlags:\n%s", fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		return 2
	}
	var problems []string
	if o.N < 1 {
		problems = append(problems, "--n must be at least 1")
	}
	if o.Concurrency < 1 {
		problems = append(problems, "--concurrency must be at least 1")
	}
	if o.Parked < 0 {
		problems = append(problems, "--parked must not be negative")
	}
	for _, p := range strings.Split(phases, ",") {
		p = strings.TrimSpace(p)
		switch p {
		case "baseline", "cancel", "parked":
			o.Phases = append(o.Phases, p)
		case "":
		default:
			problems = append(problems, fmt.Sprintf("--phases: %q is not baseline, cancel or parked", p))
		}
	}
	if len(dc) > 0 {
		o.DynamicConfig = map[string]any{}
		for _, kv := range dc {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				problems = append(problems, fmt.Sprintf("--dc %q: want key=value", kv))
				continue
			}
			o.DynamicConfig[k] = parseValue(v)
		}
	}
	if len(problems) > 0 {
		fmt.Fprintln(stderr, "bench:", strings.Join(problems, "; "))
		return 2
	}
	if !quiet {
		o.Log = stderr
	}
	if prof != "" {
		f, err := os.Create(prof)
		if err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := Run(ctx, o, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	PrintTable(stdout, rep)
	if out != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return 1
		}
		fmt.Fprintf(stdout, "\nJSON report: %s\n", out)
	}
	return 0
}

func parseValue(s string) any {
	if b, err := strconv.ParseBool(s); err == nil {
		return b
	}
	if i, err := strconv.Atoi(s); err == nil {
		return i
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f
	}
	return s
}

// PrintTable writes the report as text tables.
func PrintTable(w io.Writer, r *Report) {
	m := r.Machine
	fmt.Fprintf(w, "paycancel bench — %s, worker %s, %d CPU, %.0f MiB, %s (load %s → %s)\n\n",
		r.Store, r.WorkerMode, m.NumCPU, m.MemTotalMiB, m.GoVersion, m.LoadStart, m.LoadEnd)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "phase\tn\tconc\tok\tfailed\tper s\tp50 ms\tp95 ms\tp99 ms\tevents\tactions\tWFT sched→start ms\tact sched→start ms\tCPU ms/wf worker\tCPU ms/wf server+starter\t")
	for _, p := range []*PhaseResult{r.Baseline, r.Cancel} {
		if p == nil {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.1f\t%.0f\t%.0f\t%.0f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t\n", p.Name, p.N, p.Concurrency,
			p.Completed, p.Failed, p.PerSecond, p.LatencyMs.P50, p.LatencyMs.P95, p.LatencyMs.P99,
			p.HistoryEvents.Mean, p.Actions.Mean, p.WorkflowTaskScheduleToStartMs, p.ActivityScheduleToStartMs,
			p.WorkerCPUMsPerExec, p.BenchCPUMsPerExec)
	}
	if r.Ratios != nil {
		fmt.Fprintf(tw, "cancel/baseline\t\t\t\t\t%.2f\t%.2f\t%.2f\t\t%.2f\t%.2f\t\t\t\t\t\n", r.Ratios["throughput"], r.Ratios["p50"], r.Ratios["p95"], r.Ratios["events"], r.Ratios["actions"])
	}
	_ = tw.Flush()
	for _, p := range []*PhaseResult{r.Baseline, r.Cancel} {
		if p == nil || len(p.EventTypes) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s history per execution: %s\n", p.Name, joinCounts(p.EventTypes))
		fmt.Fprintf(w, "%s actions per execution: %s\n", p.Name, joinCounts(p.ActionsByKind))
		if p.ResourceExhausted > 0 {
			fmt.Fprintf(w, "%s: %d requests throttled by the server (resource exhausted)\n", p.Name, p.ResourceExhausted)
		}
		for _, e := range p.Errors {
			fmt.Fprintf(w, "%s error: %s\n", p.Name, e)
		}
	}
	if p := r.Parked; p != nil {
		who := "worker process"
		if p.InProcess {
			who = "bench process (worker + server, in-process)"
		}
		fmt.Fprintf(w, "\nparked: %d cancels started in %.1f s (%.0f/s), all parked after %.1f s; %d failed\n", p.N, p.StartSeconds, p.StartPerSecond, p.SettledSeconds, p.Failed)
		fmt.Fprintf(w, "parked: %s RSS %.0f MiB = %.0f MiB private (anon) + %.0f MiB mapped files (the binary's code); idle before parking %.0f MiB (%.0f private); peak %.0f MiB; %.0f MiB after a forced GC\n",
			who, p.RSSMiB, p.AnonMiB, p.FileMiB, p.IdleRSSMiB, p.IdleAnonMiB, p.HWMMiB, p.RSSAfterGCMiB)
		fmt.Fprintf(w, "parked: Go heap in use %.0f MiB, goroutine stacks %.0f MiB, %d goroutines; sticky cache %.0f of %d\n",
			p.HeapInuseMiB, p.StackInuseMiB, p.Goroutines, p.StickyCacheSize, p.StickyCacheLimit)
		if p.BenchProcessRSSMiB > 0 {
			fmt.Fprintf(w, "parked: bench process (server, sandboxes, starter) RSS %.0f MiB; a parked cancel's history so far: %.0f events\n", p.BenchProcessRSSMiB, p.EventsPerParked)
		}
	}
	if len(r.Targets) > 0 {
		fmt.Fprintln(w, "\ntargets:")
		for _, t := range r.Targets {
			mark := "MISSED"
			if t.Met {
				mark = "met"
			}
			d := ""
			if t.Detail != "" {
				d = " (" + t.Detail + ")"
			}
			fmt.Fprintf(w, "  %-40s %-20s %8.2f  %s%s\n", t.Name, t.Goal, t.Value, mark, d)
		}
	}
}

func joinCounts(m map[string]float64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %s", k, strconv.FormatFloat(math.Round(m[k]*100)/100, 'f', -1, 64)))
	}
	return strings.Join(parts, ", ")
}
