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

	"github.com/paycancel/paycancel/worker/connect"
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
		phases string
		quiet  bool
		prof   string
	)
	fs := pflag.NewFlagSet("bench", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	fs.IntVar(&o.Rounds, "rounds", DefaultRounds, "rounds of each kind, alternating in pairs (baseline, cancel, cancel, baseline, …)")
	fs.IntVar(&o.RoundSize, "round-size", DefaultRoundSize, "workflows per round")
	fs.IntVar(&o.Concurrency, "concurrency", DefaultConcurrency, "workflows in flight at once (closed loop)")
	fs.IntVar(&o.Warmup, "warmup", DefaultWarmup, "warm-up workflows of each kind before the first round (0: none)")
	fs.IntVar(&o.Parked, "parked", DefaultParked, "cancels parked in a 1h pay-timeout timer for the memory measurement (0: skip)")
	fs.StringVar(&out, "out", "", "write the JSON report to this file (e.g. bench.json)")
	fs.IntVar(&o.HistorySample, "history-sample", DefaultHistory, "histories read per kind to count events and Cloud actions (0: all)")
	connect.AddFlags(fs, &o.Connection)
	fs.Lookup("address").Usage = "benchmark against this Temporal instead of an embedded one (TLS, API key: Temporal's environment configuration, as for the worker)"
	fs.Lookup("namespace").Usage = "namespace (external: env TEMPORAL_NAMESPACE, default \"default\"; embedded: created)"
	fs.Lookup("profile").Usage = "benchmark against the Temporal of this profile in Temporal's client config file"
	fs.StringVar(&o.ServerMetricsURL, "server-metrics", "", "external server's Prometheus endpoint (e.g. http://127.0.0.1:9090/metrics): persistence latency")
	fs.IntVar(&o.ServerPID, "server-pid", 0, "external server's process id on this machine: server CPU")
	fs.BoolVar(&o.Memory, "memory", false, "run the embedded server on an in-memory SQLite database instead of a file")
	fs.StringVar(&o.DataDir, "data-dir", "", "directory for the SQLite file and keys (default: a temp dir, removed afterwards)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temp dir")
	fs.BoolVar(&o.InProcessWorker, "in-process-worker", false, "run the worker in the bench process (its RSS then includes the sandboxes and starter)")
	fs.StringVar(&phases, "phases", "baseline,cancel,parked", "phases to run")
	fs.IntVar(&o.Tuning.WorkflowPollers, "wf-pollers", 0, "worker MaxConcurrentWorkflowTaskPollers (0: paycancel's default)")
	fs.IntVar(&o.Tuning.ActivityPollers, "act-pollers", 0, "worker MaxConcurrentActivityTaskPollers (0: default)")
	fs.IntVar(&o.Tuning.WorkflowSlots, "wf-slots", 0, "worker MaxConcurrentWorkflowTaskExecutionSize (0: default)")
	fs.IntVar(&o.Tuning.ActivitySlots, "act-slots", 0, "main worker MaxConcurrentActivityExecutionSize (0: default)")
	fs.IntVar(&o.Tuning.StickyCacheSize, "sticky-cache", 0, "worker sticky cache capacity (0: paycancel's default, app.DefaultStickyCacheSize)")
	fs.StringVar(&o.Tuning.LogLevel, "log-level", "warn", "worker log level")
	fs.StringArrayVar(&o.DynamicConfig, "dc", nil, "embedded server dynamic config override key=value (repeatable), e.g. --dc history.persistenceMaxQPS=20000")
	fs.BoolVar(&quiet, "quiet", false, "no progress lines")
	fs.StringVar(&prof, "cpuprofile", "", "write a CPU profile of the bench process (starter, sandboxes) to this file")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: go run ./starter/bench [flags]

Benchmarks paycancel against a baseline workflow (one no-op activity) in alternating
rounds at the same concurrency — baseline, cancel, cancel, baseline, … — on an
embedded Temporal server (SQLite file, a process of its own) or any Temporal
(--address/--profile), then the worker's memory with many cancels parked.
Prints a table; --out writes the JSON report.

Flags:
%s`, fs.FlagUsages())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "bench: %v (see --help)\n", err)
		return 2
	}
	var problems []string
	if fs.NArg() > 0 {
		problems = append(problems, fmt.Sprintf("unexpected argument %q (the bench takes flags only)", fs.Arg(0)))
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"rounds", o.Rounds}, {"round-size", o.RoundSize}, {"concurrency", o.Concurrency}} {
		if f.v < 1 {
			problems = append(problems, fmt.Sprintf("--%s must be at least 1", f.name))
		}
	}
	if o.Parked < 0 {
		problems = append(problems, "--parked must not be negative")
	}
	if o.Warmup < 0 {
		problems = append(problems, "--warmup must not be negative")
	}
	if o.HistorySample < 0 {
		problems = append(problems, "--history-sample must not be negative")
	}
	// Options take 0 as "the default": the flags' 0 means none and all.
	if o.Warmup == 0 {
		o.Warmup = -1
	}
	if o.HistorySample == 0 {
		o.HistorySample = -1
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
	if len(o.Phases) == 0 {
		problems = append(problems, "--phases: name at least one of baseline, cancel, parked")
	}
	for _, kv := range o.DynamicConfig {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			problems = append(problems, fmt.Sprintf("--dc %q: want key=value", kv))
		}
	}
	if o.External() {
		for _, f := range []string{"memory", "data-dir", "keep", "dc"} {
			if fs.Changed(f) {
				problems = append(problems, fmt.Sprintf("--%s applies to the embedded server only, not with --address or --profile", f))
			}
		}
	} else {
		for _, f := range []string{"server-metrics", "server-pid"} {
			if fs.Changed(f) {
				problems = append(problems, fmt.Sprintf("--%s needs --address or --profile (the embedded server is measured without it)", f))
			}
		}
	}
	if o.ServerPID < 0 {
		problems = append(problems, "--server-pid must be a process id")
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
		b, err := json.MarshalIndent(rep, "", "  ")
		if err == nil {
			err = os.WriteFile(out, append(b, '\n'), 0o644)
		}
		if err != nil {
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
	m, t, s := r.Machine, r.Temporal, r.Settings
	where := fmt.Sprintf("embedded Temporal (%s, own process)", t.Store)
	if t.Mode == "external" {
		where = fmt.Sprintf("Temporal at %s, namespace %s", t.Address, t.Namespace)
	}
	fmt.Fprintf(w, "paycancel bench — %s, worker %s; %d CPU, %.0f MiB, %s; load %s → %s\n", where, r.WorkerMode,
		m.NumCPU, m.MemTotalMiB, m.GoVersion, m.LoadStart, m.LoadEnd)
	if len(s.Order) > 0 {
		fmt.Fprintf(w, "%d rounds (%s) of %d workflows at concurrency %d, after a warm-up of %d of each kind; %.0f s in all\n",
			len(s.Order), orderExample(s.Order), s.RoundSize, s.Concurrency, s.Warmup, r.Seconds)
	}
	if q := r.Ratios; q != nil {
		fmt.Fprintf(w, "\ncancel / baseline over %d pairs of adjacent rounds\n", q.Pairs)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "\tmedian\tIQR (q1–q3)\tmin–max\t")
		for _, row := range []struct {
			name string
			s    *Spread
		}{{"throughput (cancels/s ÷ baseline/s)", q.Throughput}, {"p50 latency", q.P50}, {"p95 latency", q.P95}, {"p99 latency", q.P99},
			{"server CPU per workflow", q.ServerCPU}, {"worker CPU per workflow", q.WorkerCPU}} {
			if row.s == nil {
				fmt.Fprintf(tw, "%s\tn/a\t\t\t\n", row.name)
				continue
			}
			fmt.Fprintf(tw, "%s\t%.2f\t%.2f (%.2f–%.2f)\t%.2f–%.2f\t\n", row.name, row.s.Median, row.s.IQR, row.s.Q1, row.s.Q3, row.s.Min, row.s.Max)
		}
		if q.Pooled.P50 > 0 {
			fmt.Fprintf(tw, "p50 / p95 / p99, every round of a kind pooled\t%.2f / %.2f / %.2f\t\t\t\n", q.Pooled.P50, q.Pooled.P95, q.Pooled.P99)
		}
		if q.Events > 0 {
			fmt.Fprintf(tw, "history events per execution\t%.2f\t\t\t\n", q.Events)
			fmt.Fprintf(tw, "Cloud actions per execution\t%.2f\t\t\t\n", q.Actions)
		}
		_ = tw.Flush()
	}
	kinds := []*KindSummary{}
	for _, k := range []*KindSummary{r.Baseline, r.Cancel} {
		if k != nil {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) > 0 {
		fmt.Fprintln(w, "\nper kind: median over its rounds [min–max]")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprint(tw, "\t")
		for _, k := range kinds {
			fmt.Fprintf(tw, "%s\t", k.Kind)
		}
		fmt.Fprintln(tw)
		row := func(name string, f func(*KindSummary) string) {
			fmt.Fprintf(tw, "%s\t", name)
			for _, k := range kinds {
				fmt.Fprintf(tw, "%s\t", f(k))
			}
			fmt.Fprintln(tw)
		}
		row("workflows (failed)", func(k *KindSummary) string { return fmt.Sprintf("%d (%d)", k.Workflows, k.Failed) })
		row("workflows/s", func(k *KindSummary) string { return spreadCell(k.PerSecond) })
		row("p50 ms", func(k *KindSummary) string { return spreadCell(k.P50Ms) })
		row("p95 ms", func(k *KindSummary) string { return spreadCell(k.P95Ms) })
		row("p99 ms", func(k *KindSummary) string { return spreadCell(k.P99Ms) })
		row("p50 / p95 / p99 ms, rounds pooled", func(k *KindSummary) string {
			return fmt.Sprintf("%s / %s / %s", fmtMs(k.PooledLatencyMs.P50), fmtMs(k.PooledLatencyMs.P95), fmtMs(k.PooledLatencyMs.P99))
		})
		row("what limits them:", func(*KindSummary) string { return "" })
		row("server CPU ms/workflow", func(k *KindSummary) string { return spreadCell(k.ServerCPUMsPerWf) })
		row("worker CPU ms/workflow", func(k *KindSummary) string { return spreadCell(k.WorkerCPUMsPerWf) })
		row("bench CPU ms/workflow (starter, sandboxes)", func(k *KindSummary) string { return spreadCell(k.BenchCPUMsPerWf) })
		row(fmt.Sprintf("CPU busy, %% of %d cores (measured processes)", m.NumCPU), func(k *KindSummary) string { return percentCell(k.CPUBusy) })
		row("CPU busy, whole machine", func(k *KindSummary) string { return percentCell(k.HostCPUBusy) })
		row("workflow task schedule→start ms", func(k *KindSummary) string { return spreadCell(k.WorkflowTaskScheduleToStartMs) })
		row("activity schedule→start ms", func(k *KindSummary) string { return spreadCell(k.ActivityScheduleToStartMs) })
		row("workflow task execution ms", func(k *KindSummary) string { return spreadCell(k.WorkflowTaskExecutionMs) })
		row("persistence write ms (server)", func(k *KindSummary) string { return spreadCell(k.PersistenceWriteMs) })
		row("persistence writes/workflow", func(k *KindSummary) string { return spreadCell(k.PersistenceWritesPerWf) })
		row("visibility write ms", func(k *KindSummary) string { return spreadCell(k.VisibilityWriteMs) })
		row("tasks sync-matched (no backlog)", func(k *KindSummary) string { return percentCell(k.SyncMatch) })
		row("history events/execution", func(k *KindSummary) string { return histCell(k.History.Sampled, k.History.Events) })
		row("Cloud actions/execution", func(k *KindSummary) string { return histCell(k.History.Sampled, k.History.Actions) })
		_ = tw.Flush()
	}
	if len(r.Rounds) > 0 {
		fmt.Fprintln(w, "\nrounds")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "#\tpair\tkind\tok\tfailed\tper s\tp50 ms\tp95 ms\tp99 ms\tserver ms/wf\tworker ms/wf\tCPU busy\thost busy\twrite ms\tload\t")
		for _, x := range r.Rounds {
			write := "n/a"
			if x.Persistence != nil {
				write = fmtMs(x.Persistence.WriteMeanMs)
			}
			fmt.Fprintf(tw, "%d\t%d\t%s\t%d\t%d\t%.1f\t%.0f\t%.0f\t%.0f\t%s\t%s\t%.0f%%\t%.0f%%\t%s\t%s\t\n", x.Index+1, x.Pair+1, x.Kind, x.Completed, x.Failed,
				x.PerSecond, x.LatencyMs.P50, x.LatencyMs.P95, x.LatencyMs.P99, fmtMs(deref(x.ServerCPUMsPerWf)), fmtMs(deref(x.WorkerCPUMsPerWf)),
				x.CPUBusy*100, x.HostCPUBusy*100, write, x.LoadAvg)
		}
		_ = tw.Flush()
		for _, x := range r.Rounds {
			if x.ResourceExhausted > 0 {
				fmt.Fprintf(w, "round %d: %d requests throttled by the server (resource exhausted)\n", x.Index+1, x.ResourceExhausted)
			}
			for _, e := range x.Errors {
				fmt.Fprintf(w, "round %d error: %s\n", x.Index+1, e)
			}
		}
	}
	for _, k := range kinds {
		if k.History.Sampled == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s history per execution (%d sampled): %s\n", k.Kind, k.History.Sampled, joinCounts(k.History.EventTypes))
		fmt.Fprintf(w, "%s Cloud actions per execution: %s\n", k.Kind, joinCounts(k.History.ActionsByKind))
		fmt.Fprintf(w, "%s time in the server per execution, ms (mean / max):", k.Kind)
		for _, name := range waitKinds {
			if s, ok := k.History.WaitsMs[name]; ok {
				fmt.Fprintf(w, " %s %.0f / %.0f;", name, s.Mean, s.Max)
			}
		}
		fmt.Fprintln(w)
	}
	if p := r.Parked; p != nil {
		who := "worker process"
		if p.InProcess {
			who = "bench process (worker, sandboxes, starter)"
		}
		fmt.Fprintf(w, "\nparked: %d cancels started in %.1f s (%.0f/s), all parked after %.1f s; %d failed\n", p.N, p.StartSeconds, p.StartPerSecond, p.SettledSeconds, p.Failed)
		l := p.Limits
		write := "n/a"
		if l.Persistence != nil {
			write = fmtMs(l.Persistence.WriteMeanMs)
		}
		fmt.Fprintf(w, "parked: per cancel server %s, worker %s, bench %s ms CPU; CPU %.0f%% of %d cores busy (%.0f%% the measured processes); workflow task schedule→start %s ms; persistence write %s ms\n",
			fmtMs(deref(l.ServerCPUMsPerWf)), fmtMs(deref(l.WorkerCPUMsPerWf)), fmtMs(l.BenchCPUMsPerWf), l.HostCPUBusy*100, m.NumCPU, l.CPUBusy*100,
			fmtMs(deref(l.WorkflowTaskScheduleToStartMs)), write)
		fmt.Fprintf(w, "parked: %s RSS %.0f MiB (%.0f private + %.0f mapped files), peak %.0f MiB; after a forced GC %.0f MiB (%.0f private, Go heap %.0f)\n",
			who, p.RSSMiB, p.AnonMiB, p.FileMiB, p.HWMMiB, p.RSSAfterGCMiB, p.AnonAfterGCMiB, p.HeapInuseAfterGC)
		fmt.Fprintf(w, "parked: idle before parking %.0f MiB (%.0f private), so %.1f KiB private per parked cancel after GC\n", p.IdleRSSMiB, p.IdleAnonMiB, p.PerParkedKiB)
		fmt.Fprintf(w, "parked: Go heap in use %.0f MiB, goroutine stacks %.0f MiB, %d goroutines; sticky cache %.0f in use of %d (%d misses while parking)\n",
			p.HeapInuseMiB, p.StackInuseMiB, p.Goroutines, p.StickyCacheSize, p.StickyCacheLimit, p.StickyCacheMisses)
		if p.BenchProcessRSSMiB > 0 || p.ServerRSSMiB > 0 {
			fmt.Fprintf(w, "parked: server RSS %.0f MiB, bench process (sandboxes, starter) %.0f MiB; a parked cancel's history so far: %.0f events\n",
				p.ServerRSSMiB, p.BenchProcessRSSMiB, p.EventsPerParked)
		}
	}
	if len(r.Targets) > 0 {
		fmt.Fprintln(w, "\ntargets (reported, never enforced):")
		for _, t := range r.Targets {
			mark := "MISSED"
			if t.Met {
				mark = "met"
			}
			d := ""
			if t.Detail != "" {
				d = " (" + t.Detail + ")"
			}
			fmt.Fprintf(w, "  %-48s %-8s %8.2f  %s%s\n", t.Name, t.Goal, t.Value, mark, d)
		}
	}
	if row := MarkdownRow(r); row != "" {
		fmt.Fprintf(w, "\nREADME results row (Benchmark, Results):\n%s\n%s\n", MarkdownHeader, row)
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(w, "\nnotes:")
		for _, n := range r.Notes {
			fmt.Fprintf(w, "  - %s\n", n)
		}
	}
}

// MarkdownHeader heads the README's results table; MarkdownRow is one run's row.
const MarkdownHeader = "| run | throughput | p50 | p95 | p99 | pooled p50 / p95 / p99 | events / actions | RSS parked (after GC) | parking |\n" +
	"|---|---|---|---|---|---|---|---|---|"

// MarkdownRow is the run's row of the README's results table: the median ratios
// with their interquartile range, the pooled ratios, events and Cloud actions per
// cancel, the worker's RSS with the parked cancels (and after a forced GC) and
// the time to park them; "" without ratios.
func MarkdownRow(r *Report) string {
	q := r.Ratios
	if q == nil {
		return ""
	}
	cell := func(s *Spread) string {
		if s == nil {
			return "n/a"
		}
		return fmt.Sprintf("%.2f (%.2f–%.2f)", s.Median, s.Q1, s.Q3)
	}
	hist := "n/a"
	if c := r.Cancel; c != nil && c.History.Sampled > 0 {
		hist = fmt.Sprintf("%s / %s", histCell(c.History.Sampled, c.History.Events), histCell(c.History.Sampled, c.History.Actions))
	}
	rss, park := "—", "—"
	if p := r.Parked; p != nil {
		rss = fmt.Sprintf("%.0f MiB (%.0f), %d parked", p.RSSMiB, p.RSSAfterGCMiB, p.N)
		park = fmt.Sprintf("%.0f s", p.SettledSeconds)
	}
	return fmt.Sprintf("| %s | %s | %s | %s | %s | %.2f / %.2f / %.2f | %s | %s | %s |", r.StartedAt.UTC().Format("2006-01-02 15:04"),
		cell(q.Throughput), cell(q.P50), cell(q.P95), cell(q.P99), q.Pooled.P50, q.Pooled.P95, q.Pooled.P99, hist, rss, park)
}

func spreadCell(s *Spread) string {
	if s == nil {
		return "n/a"
	}
	return fmt.Sprintf("%s [%s–%s]", fmtMs(s.Median), fmtMs(s.Min), fmtMs(s.Max))
}

func percentCell(s *Spread) string {
	if s == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.0f%% [%.0f–%.0f]", s.Median*100, s.Min*100, s.Max*100)
}

func histCell(n int, s Stat) string {
	if n == 0 {
		return "n/a"
	}
	if s.Min == s.Max {
		return strconv.FormatFloat(math.Round(s.Mean*100)/100, 'f', -1, 64)
	}
	return fmt.Sprintf("%.2f [%d–%d]", s.Mean, s.Min, s.Max)
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
