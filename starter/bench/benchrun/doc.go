// Package benchrun is paycancel's benchmark (go run ./starter/bench).
//
// # What it measures
//
// A baseline workflow (one no-op activity: the engine's floor) and happy-path
// cancels across the five providers (the sandboxes answer at once) run at the
// same concurrency, closed loop, on the same server and worker, in alternating
// rounds after a warm-up: baseline, cancel, cancel, baseline, baseline, cancel…
// Each pair of adjacent rounds holds one round of each kind and which goes first
// alternates, so whatever drifts during a run (the SQLite file and its WAL
// growing, caches warming, the host's other load) lands on both sides of the
// ratio. Every ratio (cancel over baseline: throughput, p50, p95, p99, CPU per
// workflow) is computed per pair and reported as the median over the pairs with
// its spread: interquartile range (quartiles interpolated linearly between the
// nearest ranks) and min–max.
//
// Throughput and latency percentiles come from each round's steady part: a
// round opens with a burst (its first Concurrency workflows start at once into
// an idle system) and ends with a drain (its last Concurrency finish with fewer
// and fewer in flight, at the mercy of the slowest); both are artefacts of
// cutting the load into rounds and the noisiest part of one, so they are left
// out (the whole round is reported beside). Each kind's steady latencies are
// also pooled over all its rounds (ratios.pooled): a round's p50 can jump between
// the humps of a two-humped latency distribution, which pooling averages out.
//
// Per round, and summarised per kind (median and spread over its rounds), the
// report says what limits the figures: CPU time per workflow of the server, the
// worker and the bench process (starter, sandboxes, merchant receiver), each a
// process of its own read from /proc/<pid>/stat; how busy that keeps the cores,
// and how busy the whole machine was (/proc/stat: other programs' share);
// workflow-task and activity schedule-to-start latency and workflow-task
// execution time (the worker's SDK metrics); and the server's persistence write
// and read latency and writes per workflow (its persistence_latency metric,
// scraped from its Prometheus endpoint; on SQLite a write's latency includes the
// wait for the single writer) and the share of tasks matching handed to a
// waiting poll (sync match) rather than through a backlog. From the sampled
// histories' event times, where an execution's time in the server went: workflow
// tasks waiting on the normal and on the sticky queue, running, activities
// waiting and running. CPU and persistence figures cover each round until
// the server is quiet again, so work it defers after a result counts.
//
// Then it parks many cancels in their 1 h pay-timeout timer and reads the worker
// process's memory: RSS with everything parked, and again after the worker is
// told to collect garbage (runtime.GC and debug.FreeOSMemory through its stats
// endpoint) — the figure that compares across runs — with the sticky cache's
// size in use and its capacity.
//
// History events and Temporal Cloud actions per execution come from the
// histories of a sample of each kind's executions (ActionRules).
//
// The embedded server (worker/devserver, SQLite file) and the worker run as
// this binary re-executed (RunChild). With --address or --profile the bench runs
// against any Temporal instead, connecting like the worker (worker/app
// ClientOptions: Temporal's environment configuration for TLS and API key); the
// server's CPU and persistence figures then need --server-pid and
// --server-metrics, and the parked cancels are terminated afterwards.
//
// Benchmarks report; they never fail a test. `go test -bench .` runs the Go
// benchmarks BenchmarkBaseline and BenchmarkCancel (one round each).
//
// # JSON report (--out), schema version 2
//
// One object, Report; every field below is always present (null where a figure
// was not measured) unless it says otherwise, and SchemaVersion changes only when a
// field is renamed, removed or changes meaning. Durations are seconds unless the
// name ends in Ms; memory is MiB unless it ends in KiB.
//
//	schemaVersion      2
//	startedAt, seconds, command
//	machine            {numCPU, cpuModel, memTotalMiB, goVersion, os, loadAvgStart, loadAvgEnd}
//	temporal           {mode: embedded|external, address, namespace, store: sqlite-file|sqlite-memory|external,
//	                    serverMetricsUrl ("" if none), serverPid (0 if none)}
//	workerMode         process|in-process
//	settings           {rounds (per kind), roundSize, concurrency, warmup, historySample, parked,
//	                    order: [kind of each round],
//	                    tuning: {the worker overrides given, each absent unless given: workflowPollers,
//	                             activityPollers, workflowSlots, activitySlots, stickyCacheSize, logLevel},
//	                    dynamicConfig: {key: value} or null}
//	ratios             null unless both kinds ran; else {pairs,
//	                    throughput, p50, p95, p99, serverCpu, workerCpu: Spread (cancel ÷ baseline per pair),
//	                    pooled: {p50, p95, p99} (cancel ÷ baseline of the pooled percentiles),
//	                    events, actions: cancel's mean over baseline's}
//	baseline, cancel   KindSummary or null:
//	                    {kind, rounds, workflows, failed,
//	                     perSecond, p50Ms, p95Ms, p99Ms, pooledLatencyMs: {p50, p95, p99, max, mean},
//	                     serverCpuMsPerWf, workerCpuMsPerWf, benchCpuMsPerWf,
//	                     cpuBusy (measured processes), hostCpuBusy (whole machine): 0–1 of all cores,
//	                     workflowTaskScheduleToStartMs, activityScheduleToStartMs, workflowTaskExecutionMs,
//	                     persistenceWriteMs, persistenceWritesPerWf, visibilityWriteMs, syncMatch: Spread over its rounds,
//	                     history: {sampled, events: Stat, actions: Stat, eventTypes: {type: mean}, actionsByKind: {rule: mean},
//	                               waitsMs: {total, wftWaitNormal, wftWaitSticky, wftRun, activityWait, activityRun,
//	                                         wftTimeouts, wftTimeoutsStartToClose (counts, not ms): {mean, max}}
//	                                         (per execution, from its history's event times; one that no
//	                                         sampled history has is absent)}}
//	rounds             [Round] in run order:
//	                    {index, pair, kind, n, concurrency, completed, failed, seconds,
//	                     perSecond, latencyMs: {p50, p95, p99, max, mean}, steadyN (the round's steady part),
//	                     overallPerSecond, latencyAllMs: {p50, p95, p99, max, mean} (the whole round), windowSeconds,
//	                     serverCpuMsPerWf, workerCpuMsPerWf (number or null), benchCpuMsPerWf, cpuBusy, hostCpuBusy,
//	                     workflowTaskScheduleToStartMs, activityScheduleToStartMs, workflowTaskExecutionMs (number or
//	                     null: none recorded), workflowTasks,
//	                     persistence: null or {writeOps, writesPerWf, writeMeanMs, readOps, readMeanMs,
//	                                           visibilityWrites, visibilityWriteMeanMs,
//	                                           syncMatch (0–1 of the tasks handed to polls; null: none)},
//	                     resourceExhausted, loadAvg, errors (null when none)}
//	parked             null or {n, startSeconds, startPerSecond, settledSeconds, failed,
//	                    limits: {serverCpuMsPerWf, workerCpuMsPerWf, benchCpuMsPerWf, cpuBusy, hostCpuBusy,
//	                             workflowTaskScheduleToStartMs, persistence} (per parked cancel, start → all parked),
//	                    idleRssMiB, rssMiB, hwmMiB, rssAfterGcMiB, anonMiB, fileMiB, idleAnonMiB, anonAfterGcMiB,
//	                    heapInuseMiB, heapInuseAfterGcMiB, stackInuseMiB, goroutines, perParkedKiB,
//	                    stickyCacheSize, stickyCacheLimit, stickyCacheMisses, inProcess,
//	                    benchProcessRssMiB, serverRssMiB, eventsPerParked}
//	actionRules        how Cloud actions are counted
//	targets            [{name, goal, value, met, detail}]: reported, never enforced
//	notes              [string]
//
// Spread is {n, median, q1, q3, iqr, min, max, values: [in run order]}; Stat is
// {mean, min, max}.
package benchrun
