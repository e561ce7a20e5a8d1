package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/paycancel/paycancel/workflows"
)

// ReconcileSchedule describes the Temporal Schedule that runs ReconcileWorkflow.
type ReconcileSchedule struct {
	// Every is the interval. Required.
	Every time.Duration
	// TaskQueue of the worker. Default workflows.DefaultTaskQueue.
	TaskQueue string
	// Request holds the thresholds each run uses (zero fields: the workflow's defaults).
	Request workflows.ReconcileRequest
	// Paused creates or leaves the schedule paused.
	Paused bool
}

// EnsureReconcileSchedule creates the reconciliation schedule, or updates it in
// place when it exists (idempotent: run it at every deploy). Overlap policy: skip —
// a run still going when the next is due means the next is not started.
func EnsureReconcileSchedule(ctx context.Context, c client.Client, s ReconcileSchedule) error {
	if s.Every < time.Second {
		return fmt.Errorf("reconciliation interval %s: at least 1s", s.Every)
	}
	if s.TaskQueue == "" {
		s.TaskQueue = workflows.DefaultTaskQueue
	}
	action := &client.ScheduleWorkflowAction{
		ID:        workflows.ReconcileScheduleID + "-run",
		Workflow:  workflows.ReconcileWorkflowName,
		Args:      []any{s.Request},
		TaskQueue: s.TaskQueue,
	}
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: s.Every}}}
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:      workflows.ReconcileScheduleID,
		Spec:    spec,
		Action:  action,
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		Paused:  s.Paused,
		Note:    "paycancel reconciliation: re-check stuck cancels, verify recent ones",
	})
	if err == nil {
		return nil
	}
	var exists *serviceerror.WorkflowExecutionAlreadyStarted
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) && !errors.As(err, &exists) {
		return fmt.Errorf("creating schedule %s: %w", workflows.ReconcileScheduleID, err)
	}
	h := c.ScheduleClient().GetHandle(ctx, workflows.ReconcileScheduleID)
	return h.Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			sched := in.Description.Schedule
			sched.Spec = &spec
			sched.Action = action
			if sched.Policy == nil {
				sched.Policy = &client.SchedulePolicies{}
			}
			sched.Policy.Overlap = enumspb.SCHEDULE_OVERLAP_POLICY_SKIP
			if sched.State == nil {
				sched.State = &client.ScheduleState{}
			}
			sched.State.Paused = s.Paused
			return &client.ScheduleUpdate{Schedule: &sched}, nil
		},
	})
}
