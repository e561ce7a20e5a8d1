package app

import (
	"testing"

	"go.temporal.io/sdk/worker"
)

// TestWithDefaults: paycancel's poller default fills only what the caller left
// zero; an explicit count or a poller behaviour (the SDK refuses both at once)
// is kept.
func TestWithDefaults(t *testing.T) {
	if got := WithDefaults(worker.Options{}).MaxConcurrentWorkflowTaskPollers; got != DefaultWorkflowTaskPollers {
		t.Errorf("default workflow-task pollers %d, want %d", got, DefaultWorkflowTaskPollers)
	}
	if got := WithDefaults(worker.Options{MaxConcurrentWorkflowTaskPollers: 4}).MaxConcurrentWorkflowTaskPollers; got != 4 {
		t.Errorf("explicit pollers overridden: %d", got)
	}
	auto := worker.NewPollerBehaviorAutoscaling(worker.PollerBehaviorAutoscalingOptions{})
	if o := WithDefaults(worker.Options{WorkflowTaskPollerBehavior: auto}); o.MaxConcurrentWorkflowTaskPollers != 0 {
		t.Errorf("pollers %d set beside a poller behaviour", o.MaxConcurrentWorkflowTaskPollers)
	}
}
