package benchrun

import (
	"context"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// The baseline is the engine's floor: a workflow that runs one no-op activity and
// returns. It goes through the same server, task queue and worker as the cancels,
// so the ratio cancel/baseline is what paycancel's own logic costs.
const (
	BaselineWorkflowName = "BenchBaselineWorkflow"
	NoopActivityName     = "BenchNoopActivity"
)

// BaselineInput is the baseline workflow's input and its activity's.
type BaselineInput struct {
	ID string `json:"id"`
}

// BaselineResult echoes the input.
type BaselineResult struct {
	ID string `json:"id"`
}

// BaselineWorkflow runs NoopActivity once.
func BaselineWorkflow(ctx workflow.Context, in BaselineInput) (BaselineResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second})
	var out BaselineResult
	err := workflow.ExecuteActivity(ctx, NoopActivityName, in).Get(ctx, &out)
	return out, err
}

// NoopActivity does nothing.
func NoopActivity(_ context.Context, in BaselineInput) (BaselineResult, error) {
	return BaselineResult(in), nil
}

// baselinePlugin registers the baseline on the main (workflow) worker of a task
// queue when app.StartWorkers starts it, so the bench uses the real StartWorkers
// and Register unchanged. Provider workers (activity-only, other queues) are skipped.
func baselinePlugin(taskQueue string) (worker.Plugin, error) {
	var mu sync.Mutex
	main := map[string]bool{} // worker instance keys of the main worker
	return temporal.NewSimplePlugin(temporal.SimplePluginOptions{
		Name: "paycancel-bench-baseline",
		ConfigureWorker: func(_ context.Context, o worker.PluginConfigureWorkerOptions) error {
			if o.TaskQueue == taskQueue && !o.WorkerOptions.DisableWorkflowWorker {
				mu.Lock()
				main[o.WorkerInstanceKey] = true
				mu.Unlock()
			}
			return nil
		},
		RunContextBefore: func(_ context.Context, o temporal.SimplePluginRunContextBeforeOptions) error {
			mu.Lock()
			ok := main[o.InstanceKey]
			mu.Unlock()
			if ok && !o.WorkflowReplayer {
				o.Registry.RegisterWorkflowWithOptions(BaselineWorkflow, workflow.RegisterOptions{Name: BaselineWorkflowName})
				o.Registry.RegisterActivityWithOptions(NoopActivity, activity.RegisterOptions{Name: NoopActivityName})
			}
			return nil
		},
	})
}
