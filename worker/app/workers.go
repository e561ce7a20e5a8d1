package app

import (
	"fmt"
	"sort"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/paycancel/paycancel/activities"
	"github.com/paycancel/paycancel/worker/config"
	"github.com/paycancel/paycancel/workflows/contract"
)

// Workers are the workers one process runs: the main one (workflows, merchant
// notifications, reconciliation, and provider calls of cancels started before
// per-provider queues) and one activity-only worker per provider, each on
// "<queue>-<provider>" with that provider's concurrency and rate limits.
type Workers struct {
	Main       worker.Worker
	ByProvider map[string]worker.Worker
	acts       *activities.Activities
}

// Worker defaults, applied where StartWorkers' base options leave a field zero.
//
// Pollers: the SDK's default is two workflow-task pollers, which it splits
// between the worker's sticky queue and the normal one, and two activity
// pollers. The server splits every task queue into 4 partitions
// (matching.numTaskqueueReadPartitions); a task that finds no poll waiting on its
// partition goes to that partition's backlog, and matching keeps handing newly
// arriving tasks to arriving polls (sync match) until the backlog's head is 5 s
// old (matching.backlogNegligibleAge). With one normal-queue poll in flight at a
// time, about two thirds of the tasks went through a backlog at 50 cancels in
// flight, and a cancel's first workflow task waited up to 5–6 s there: the
// benchmark's two-humped latency. With 32 workflow-task pollers (16 on the
// normal queue, 4 per partition) and 8 on each provider's queue (provider calls
// are never eager: they run on another queue than their workflow) eight or
// nine tasks in ten meet a waiting poll. An idle poll is a goroutine here and one held
// request at the server.
//
// Sticky cache: the SDK keeps 10,000 workflows (their state and goroutines,
// about 50 KiB each) cached between workflow tasks. A cancel parks for up to its
// pay timeout (an hour) between two workflow tasks, so a full cache is mostly
// parked cancels; evicting one costs a replay of its few events when its timer
// fires, while the in-flight ones (a few hundred at a time) stay cached. With
// 2,000 the worker holds about 265 MiB with 10,000 cancels parked (635 MiB with
// the SDK's 10,000).
const (
	DefaultWorkflowTaskPollers     = 32
	DefaultProviderActivityPollers = 8
	DefaultStickyCacheSize         = 2000
)

// StickyCacheSize is the process-wide sticky cache capacity StartWorkers sets
// (worker.SetStickyWorkflowCacheSize; the SDK reads it when the process's first
// worker starts). The benchmark changes it to measure other sizes.
var StickyCacheSize = DefaultStickyCacheSize

// WithDefaults returns o with paycancel's defaults where o leaves them zero.
func WithDefaults(o worker.Options) worker.Options {
	if o.MaxConcurrentWorkflowTaskPollers == 0 && o.WorkflowTaskPollerBehavior == nil {
		o.MaxConcurrentWorkflowTaskPollers = DefaultWorkflowTaskPollers
	}
	return o
}

// StartWorkers creates and starts every worker with the real registration.
func StartWorkers(c client.Client, taskQueue string, a *activities.Activities, limits map[string]config.ProviderLimits, base worker.Options) (*Workers, error) {
	if StickyCacheSize > 0 {
		worker.SetStickyWorkflowCacheSize(StickyCacheSize)
	}
	base = WithDefaults(base)
	ws := &Workers{Main: worker.New(c, taskQueue, base), ByProvider: map[string]worker.Worker{}, acts: a}
	Register(ws.Main, a)
	names := make([]string, 0, len(limits))
	for p := range limits {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		l := limits[p]
		opts := base
		opts.DisableWorkflowWorker = true
		opts.MaxConcurrentActivityExecutionSize = l.Concurrency
		opts.TaskQueueActivitiesPerSecond = l.RatePerSecond
		if opts.MaxConcurrentActivityTaskPollers == 0 && opts.ActivityTaskPollerBehavior == nil {
			opts.MaxConcurrentActivityTaskPollers = DefaultProviderActivityPollers
		}
		w := worker.New(c, contract.ProviderTaskQueue(taskQueue, p), opts)
		// All activities are registered; only provider calls are ever sent here.
		w.RegisterActivity(a)
		ws.ByProvider[p] = w
	}
	if err := ws.Main.Start(); err != nil {
		return nil, fmt.Errorf("starting the worker on task queue %s: %w", taskQueue, err)
	}
	for _, p := range names {
		if err := ws.ByProvider[p].Start(); err != nil {
			ws.Stop()
			return nil, fmt.Errorf("starting the %s worker: %w", p, err)
		}
	}
	return ws, nil
}

// Stop stops every worker, waiting for running activities and for the merchant
// notifications cancel activities made and still have to report (the client
// must stay open until Stop returns).
func (ws *Workers) Stop() {
	for _, w := range ws.ByProvider {
		w.Stop()
	}
	ws.Main.Stop()
	activities.WaitNotices(ws.acts)
}
