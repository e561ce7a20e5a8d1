// Package paycancel is the Go API for order services and operators: start a
// payment cancel (idempotent per order), attach to it, wait for its outcome, read
// its live status, signal a payment result, resolve a review, resend an exhausted
// merchant notification, list cancels, and verify paycancel's merchant
// notifications. The starter CLI (package starter/cli) is built on it.
//
// A cancel is one CancelPaymentWorkflow per (provider, merchant order number),
// with the workflow id workflows.WorkflowID. Every call that names a cancel by
// provider and order addresses the latest run of that id, so a cancel that
// continued as new is still found.
//
// Errors callers can act on are typed: ErrInvalidRequest (fix the input),
// ErrNotFound (no cancel for that order), ErrAlreadyFinished (the order's cancel
// has ended; *AlreadyFinishedError carries its outcome), ErrRejected (the
// workflow refused an update, with its validator's message). Anything else is a
// transport or server problem.
package paycancel

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

// Options configure a Client. The zero value works.
type Options struct {
	// TaskQueue the cancel workflows run on. Default workflows.DefaultTaskQueue
	// ("paycancel"); it must be the worker's --task-queue.
	TaskQueue string
	// PollInterval is how often WaitUntil asks a cancel for its status. Default 1s.
	PollInterval time.Duration
}

// Client drives paycancel's cancel workflows through a Temporal client. It is safe
// for concurrent use; it does not own the Temporal client (close that yourself).
type Client struct {
	tc   client.Client
	opts Options
}

// New wraps a connected Temporal client (for example from worker/app.Dial, which
// reads the same flags and environment as the worker).
func New(c client.Client, opts Options) *Client {
	if opts.TaskQueue == "" {
		opts.TaskQueue = workflows.DefaultTaskQueue
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	return &Client{tc: c, opts: opts}
}

// Temporal returns the underlying Temporal client.
func (c *Client) Temporal() client.Client { return c.tc }

// TaskQueue returns the task queue cancels are started on.
func (c *Client) TaskQueue() string { return c.opts.TaskQueue }

// Sentinel errors; test with errors.Is.
var (
	// ErrInvalidRequest: the input is malformed; the message says which field.
	ErrInvalidRequest = errors.New("invalid request")
	// ErrNotFound: there is no cancel for this provider and order.
	ErrNotFound = errors.New("no cancel for this order")
	// ErrAlreadyFinished: the order's cancel has already ended. Start refuses a
	// second cancel of a finished order (one cancel per order, ever); signals and
	// updates cannot reach it either. errors.As with *AlreadyFinishedError gives
	// the outcome.
	ErrAlreadyFinished = errors.New("the cancel of this order has already finished")
	// ErrRejected: the workflow's update validator refused the request (for
	// example a resolve while the cancel is not NEEDS_REVIEW); the error's message
	// is the validator's.
	ErrRejected = errors.New("rejected by the cancel workflow")
)

// InvalidRequestError says what is wrong with an input. It matches ErrInvalidRequest.
type InvalidRequestError struct{ Err error }

func (e *InvalidRequestError) Error() string        { return "invalid request: " + e.Err.Error() }
func (e *InvalidRequestError) Unwrap() error        { return e.Err }
func (e *InvalidRequestError) Is(target error) bool { return target == ErrInvalidRequest }

func invalid(format string, a ...any) error {
	return &InvalidRequestError{fmt.Errorf(format, a...)}
}

// NotFoundError names the cancel that does not exist. It matches ErrNotFound.
type NotFoundError struct{ WorkflowID string }

func (e *NotFoundError) Error() string        { return "no cancel " + e.WorkflowID }
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// AlreadyFinishedError is returned when the order's cancel has ended. It matches
// ErrAlreadyFinished.
type AlreadyFinishedError struct {
	WorkflowID string
	RunID      string
	// CloseStatus is Temporal's execution status: COMPLETED, FAILED, TERMINATED…
	CloseStatus string
	// Outcome is the finished cancel's result when it completed (nil otherwise, or
	// when it could not be fetched).
	Outcome *workflows.Status
}

func (e *AlreadyFinishedError) Error() string {
	s := fmt.Sprintf("the cancel %s has already finished (%s", e.WorkflowID, e.CloseStatus)
	if e.Outcome != nil && e.Outcome.Final != "" {
		s += ", outcome " + e.Outcome.Final
	}
	return s + ")"
}

// Is makes errors.Is(err, ErrAlreadyFinished) true.
func (e *AlreadyFinishedError) Is(target error) bool { return target == ErrAlreadyFinished }

// RejectedError carries the workflow validator's message. It matches ErrRejected.
type RejectedError struct {
	WorkflowID string
	Update     string
	Message    string
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("%s rejected by %s: %s", e.Update, e.WorkflowID, e.Message)
}

// Is makes errors.Is(err, ErrRejected) true.
func (e *RejectedError) Is(target error) bool { return target == ErrRejected }

// Start starts the cancel of req's order, or attaches to it when it is already
// running: started reports whether this call created it. The request is validated
// first (req.Validate; ErrInvalidRequest names the fields). The workflow id is
// workflows.WorkflowID(provider, order), so one order has one cancel; a finished
// cancel is never started again: Start returns an *AlreadyFinishedError (matching
// ErrAlreadyFinished) with the existing outcome.
//
// Search attributes PaymentProvider, MerchantOrderNo, CancelState (AWAITING_PAYMENT,
// or CANCELLING when PayTimeout is 0) and NeedsReview=false are set at start, so
// the cancel is findable before its first workflow task runs.
//
// How attach works: the start asks the server with conflict policy FAIL and reuse
// policy ALLOW_DUPLICATE_FAILED_ONLY (only a failed or terminated run may be
// followed by a new one), so a new run is created only by a call that reports
// started=true (the Go SDK does not expose the server's "started" flag for
// USE_EXISTING). On the server's "already started" answer Start describes the
// existing run: running → attached (started=false, its run id), closed →
// AlreadyFinishedError. The observable behaviour is USE_EXISTING's, which other
// SDKs can use directly (see the README).
func (c *Client) Start(ctx context.Context, req workflows.CancelRequest) (*Cancel, bool, error) {
	if err := req.Validate(); err != nil {
		return nil, false, &InvalidRequestError{err}
	}
	if req.Carry != nil {
		return nil, false, invalid("carry is set only by the workflow's continue-as-new; leave it empty")
	}
	id := workflows.WorkflowID(req.Provider, req.MerchantOrderNo)
	state := workflows.StateAwaitingPayment
	if req.PayTimeout == 0 {
		state = workflows.StateCancelling
	}
	run, err := c.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                c.opts.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		// A cancel that ended in a business outcome is never started again; one
		// that failed (a malformed input from another SDK, a terminated run) may be,
		// and the retry reuses the same business key (derived from the id).
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.SAProvider.ValueSet(req.Provider),
			workflows.SAMerchantOrderNo.ValueSet(req.MerchantOrderNo),
			workflows.SACancelState.ValueSet(state),
			workflows.SANeedsReview.ValueSet(false),
		),
	}, workflows.WorkflowName, req)
	if err == nil {
		return c.cancel(req.Provider, req.MerchantOrderNo, run.GetRunID()), true, nil
	}
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if !errors.As(err, &already) {
		return nil, false, fmt.Errorf("starting %s: %w", id, err)
	}
	desc, err := c.tc.DescribeWorkflowExecution(ctx, id, already.RunId)
	if err != nil {
		return nil, false, c.mapErr(ctx, id, "describing the existing cancel", err)
	}
	info := desc.GetWorkflowExecutionInfo()
	if info.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return c.cancel(req.Provider, req.MerchantOrderNo, info.GetExecution().GetRunId()), false, nil
	}
	return nil, false, c.finished(ctx, id, info.GetExecution().GetRunId(), info.GetStatus())
}

// Attach returns the cancel of an order without contacting the server; its calls
// report ErrNotFound when there is no such cancel. It follows the latest run.
func (c *Client) Attach(provider, merchantOrderNo string) *Cancel {
	return c.cancel(provider, merchantOrderNo, "")
}

func (c *Client) cancel(provider, order, runID string) *Cancel {
	return &Cancel{c: c, WorkflowID: workflows.WorkflowID(provider, order), RunID: runID,
		Provider: provider, MerchantOrderNo: order}
}

// finished builds the AlreadyFinishedError of a closed run, with its outcome when
// it completed.
func (c *Client) finished(ctx context.Context, id, runID string, status enumspb.WorkflowExecutionStatus) error {
	e := &AlreadyFinishedError{WorkflowID: id, RunID: runID, CloseStatus: statusName(status)}
	if status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		var st workflows.Status
		if err := c.tc.GetWorkflow(ctx, id, runID).Get(ctx, &st); err == nil {
			e.Outcome = &st
		}
	}
	return e
}

// mapErr turns server errors about a cancel into the package's typed errors: a
// missing execution is ErrNotFound, or ErrAlreadyFinished when the id exists but
// its latest run has closed ("workflow execution already completed").
func (c *Client) mapErr(ctx context.Context, id, doing string, err error) error {
	var nf *serviceerror.NotFound
	if !errors.As(err, &nf) {
		return fmt.Errorf("%s %s: %w", doing, id, err)
	}
	desc, derr := c.tc.DescribeWorkflowExecution(ctx, id, "")
	if derr == nil {
		info := desc.GetWorkflowExecutionInfo()
		if info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			return c.finished(ctx, id, info.GetExecution().GetRunId(), info.GetStatus())
		}
		return fmt.Errorf("%s %s: %w", doing, id, err)
	}
	return &NotFoundError{WorkflowID: id}
}

// statusName renders an execution status as the Web UI and tctl do (COMPLETED…).
func statusName(s enumspb.WorkflowExecutionStatus) string {
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
