package app

import (
	"fmt"
	"sort"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/paycancel/paycancel/activities"
	"github.com/paycancel/paycancel/worker/config"
)

// Workers are the workers one process runs: the main one (workflows, merchant
// notifications, reconciliation, and provider calls of cancels started before
// per-provider queues) and one activity-only worker per provider, each on
// "<queue>-<provider>" with that provider's concurrency and rate limits.
type Workers struct {
	Main       worker.Worker
	ByProvider map[string]worker.Worker
}

// StartWorkers creates and starts every worker with the real registration.
func StartWorkers(c client.Client, taskQueue string, a *activities.Activities, limits map[string]config.ProviderLimits, base worker.Options) (*Workers, error) {
	ws := &Workers{Main: worker.New(c, taskQueue, base), ByProvider: map[string]worker.Worker{}}
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
		w := worker.New(c, activities.ProviderTaskQueue(taskQueue, p), opts)
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

// Stop stops every worker, waiting for running activities.
func (ws *Workers) Stop() {
	for _, w := range ws.ByProvider {
		w.Stop()
	}
	ws.Main.Stop()
}
