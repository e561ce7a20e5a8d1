package contract

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// The client side of the contract, in the SDK's terms: how a cancel is started,
// how its status is read, how the reconciliation is scheduled. starter/paycancel
// builds the order services' API on these; the worker uses them directly (it must
// not import the starter).

// StartOptions are the options a cancel of req is started with on taskQueue: the
// merchant-scoped workflow id (WorkflowID), conflict policy FAIL and reuse policy
// ALLOW_DUPLICATE_FAILED_ONLY (a cancel that ended in a business outcome is never
// started again; one that failed — a malformed input from another SDK, a
// terminated run — may be, and the retry reuses the same business key, derived
// from the id), an error when the id is already started, and the search
// attributes set at start (CancelState AWAITING_PAYMENT, or CANCELLING when
// PayTimeout is 0), so the cancel is findable before its first workflow task.
func StartOptions(req CancelRequest, taskQueue string) client.StartWorkflowOptions {
	state := StateAwaitingPayment
	if req.PayTimeout == 0 {
		state = StateCancelling
	}
	return client.StartWorkflowOptions{
		ID:                                       WorkflowID(req.Merchant, req.Provider, req.MerchantOrderNo),
		TaskQueue:                                taskQueue,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		// What the Web UI shows of the cancel (the workflow keeps its current
		// details up to date).
		StaticSummary: Summary(req),
		StaticDetails: StaticDetails(req, WorkflowID(req.Merchant, req.Provider, req.MerchantOrderNo)),
		TypedSearchAttributes: temporal.NewSearchAttributes(
			SAMerchant.ValueSet(req.Merchant),
			SAProvider.ValueSet(req.Provider),
			SAMerchantOrderNo.ValueSet(req.MerchantOrderNo),
			SACancelState.ValueSet(state),
			SANeedsReview.ValueSet(false),
		),
	}
}

// ReadStatus reads the status of the latest run of workflowID and reports whether
// that run has closed: the QueryStatus query while it runs, its result once it
// completed (so it works without a worker once the cancel is over). A run that
// closed without a result (failed, terminated…) is an error naming its close
// status and, for a failure, its type and message. A missing cancel is the
// server's *serviceerror.NotFound, wrapped (errors.As finds it).
func ReadStatus(ctx context.Context, c client.Client, workflowID string) (Status, bool, error) {
	var st Status
	desc, err := c.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil {
		return st, false, fmt.Errorf("describing %s: %w", workflowID, err)
	}
	info := desc.GetWorkflowExecutionInfo()
	runID := info.GetExecution().GetRunId()
	switch info.GetStatus() {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		v, err := c.QueryWorkflow(ctx, workflowID, runID, QueryStatus)
		if err != nil {
			return st, false, fmt.Errorf("querying the status of %s: %w", workflowID, err)
		}
		if err := v.Get(&st); err != nil {
			return st, false, fmt.Errorf("decoding the status of %s: %w", workflowID, err)
		}
		return st, false, nil
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		if err := c.GetWorkflow(ctx, workflowID, runID).Get(ctx, &st); err != nil {
			return st, true, fmt.Errorf("reading the result of %s: %w", workflowID, err)
		}
		return st, true, nil
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
		// Say why: an invalid request (a credential of another merchant, …) is
		// fixed by starting again corrected.
		ferr := c.GetWorkflow(ctx, workflowID, runID).Get(ctx, nil)
		var appErr *temporal.ApplicationError
		if errors.As(ferr, &appErr) {
			return st, true, fmt.Errorf("the cancel %s ended FAILED without an outcome (%s: %s)", workflowID, appErr.Type(), appErr.Message())
		}
		return st, true, fmt.Errorf("the cancel %s ended FAILED without an outcome", workflowID)
	default:
		return st, true, fmt.Errorf("the cancel %s ended %s without an outcome", workflowID, ExecutionStatusName(info.GetStatus()))
	}
}

// PollTimeout bounds one status poll of WaitStatus.
const PollTimeout = 10 * time.Second

// WaitStatus reads workflowID's status (ReadStatus) every interval until done
// returns true or the run closes, and returns the last status. A poll that fails
// (a query timing out while the worker is busy, the server briefly unreachable)
// is retried at the next interval; a missing cancel (*serviceerror.NotFound) and
// a cancel that closed without an outcome end the wait at once. When ctx ends,
// the error says the state last seen and the last poll error.
func WaitStatus(ctx context.Context, c client.Client, workflowID string, interval time.Duration, done func(Status) bool) (Status, error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var last Status
	var lastErr error
	var nf *serviceerror.NotFound
	for {
		// One slow poll must not use up the whole wait.
		pctx, cancel := context.WithTimeout(ctx, PollTimeout)
		st, closed, err := ReadStatus(pctx, c, workflowID)
		cancel()
		switch {
		case err == nil:
			if closed || done(st) {
				return st, nil
			}
			last, lastErr = st, nil
		case closed || errors.As(err, &nf):
			return st, err
		default:
			lastErr = err
		}
		select {
		case <-ctx.Done():
			err := fmt.Errorf("waiting for %s (last seen in state %q): %w", workflowID, last.State, ctx.Err())
			if lastErr != nil {
				err = fmt.Errorf("%w; last poll: %v", err, lastErr)
			}
			return last, err
		case <-t.C:
		}
	}
}

// ExecutionStatusName renders an execution status as the Web UI and the temporal
// CLI do (RUNNING, COMPLETED…).
func ExecutionStatusName(s enumspb.WorkflowExecutionStatus) string {
	switch s {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return "RUNNING"
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		return "COMPLETED"
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
		return "FAILED"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:
		return "CANCELED"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED:
		return "TERMINATED"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
		return "CONTINUED_AS_NEW"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		return "TIMED_OUT"
	}
	return s.String()
}

// ReconcileSchedule describes the Temporal Schedule that runs the reconciliation.
type ReconcileSchedule struct {
	// Every is the interval. Required.
	Every time.Duration
	// TaskQueue of the worker. Default DefaultTaskQueue.
	TaskQueue string
	// Request holds the thresholds each run uses (zero fields: the workflow's defaults).
	Request ReconcileRequest
	// Paused creates or leaves the schedule paused.
	Paused bool
}

// EnsureReconcileSchedule creates the reconciliation schedule (ReconcileScheduleID),
// or updates it in place when it exists (idempotent: run it at every deploy).
// Overlap policy: skip — a run still going when the next is due means the next is
// not started. The worker (--reconcile-every) and `starter reconcile --every`
// both call it, so the schedule is defined here once.
func EnsureReconcileSchedule(ctx context.Context, c client.Client, s ReconcileSchedule) error {
	if s.Every < time.Second {
		return fmt.Errorf("reconciliation interval %s: at least 1s", s.Every)
	}
	if s.TaskQueue == "" {
		s.TaskQueue = DefaultTaskQueue
	}
	action := &client.ScheduleWorkflowAction{
		ID:        ReconcileScheduleID + "-run",
		Workflow:  ReconcileWorkflowName,
		Args:      []any{s.Request},
		TaskQueue: s.TaskQueue,
	}
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: s.Every}}}
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:      ReconcileScheduleID,
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
		return fmt.Errorf("creating schedule %s: %w", ReconcileScheduleID, err)
	}
	h := c.ScheduleClient().GetHandle(ctx, ReconcileScheduleID)
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
