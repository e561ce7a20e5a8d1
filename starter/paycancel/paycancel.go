// Package paycancel is the Go API for order services and operators: start a
// payment cancel (idempotent per merchant order), attach to it, wait for its
// outcome, read its live status, signal a payment result, resolve a review,
// resend an exhausted merchant notification, list cancels, and verify paycancel's
// merchant notifications. The starter CLI (package starter/cli) is built on it.
//
// A cancel is one CancelPaymentWorkflow per (merchant, provider, merchant order
// number), with the workflow id contract.WorkflowID: merchant order numbers are
// unique only within one merchant's account at a provider, so two merchants'
// orders with the same number are two cancels. A Ref names one. Every call that
// names a cancel by its Ref addresses the latest run of that id, so a cancel that
// continued as new is still found; cancels started before ids were
// merchant-scoped (contract.LegacyWorkflowID) are found too, when their own
// history says they are the merchant's (Find).
//
// Errors callers can act on are typed: ErrInvalidRequest (fix the input),
// ErrNotFound (no cancel for that order), ErrAlreadyFinished (the order's cancel
// has ended; *AlreadyFinishedError carries its outcome), ErrConflictingRequest (a
// start that differs from the existing cancel of the order; *ConflictError names
// the fields), ErrAmbiguous (an address that could mean another merchant's
// cancel), ErrRejected (the workflow refused an update, with its validator's
// message). Anything else is a transport or server problem.
package paycancel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/paycancel/paycancel/workflows/contract"
)

// Options configure a Client. The zero value works.
type Options struct {
	// TaskQueue the cancel workflows run on. Default contract.DefaultTaskQueue
	// ("paycancel"); it must be the worker's --task-queue.
	TaskQueue string
	// PollInterval is how often WaitUntil asks a cancel for its status. Default 1s.
	PollInterval time.Duration
	// NoLegacyIDs skips looking for cancels started before merchant-scoped ids
	// (contract.LegacyWorkflowID), which costs Start, Find and the calls built on
	// Find one extra request. Set it once none is left: List with
	// ListFilter{Legacy: true} finds them.
	NoLegacyIDs bool
}

// Client drives paycancel's cancel workflows through a Temporal client. It is safe
// for concurrent use; it does not own the Temporal client (close that yourself).
type Client struct {
	tc   client.Client
	opts Options
}

// New wraps a connected Temporal client (for example from worker/connect.Dial, which
// reads the same flags and environment as the worker).
func New(c client.Client, opts Options) *Client {
	if opts.TaskQueue == "" {
		opts.TaskQueue = contract.DefaultTaskQueue
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

// PollInterval returns how often the client reads a cancel's status while waiting.
func (c *Client) PollInterval() time.Duration { return c.opts.PollInterval }

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
	// ErrConflictingRequest: a start named an order whose cancel (running or
	// finished) was started with a different request: another credential,
	// amount, currency, provider payment id, notify URL or deadline input. Nothing
	// was started or attached. errors.As with *ConflictError gives the fields.
	ErrConflictingRequest = errors.New("a different request for an existing cancel")
	// ErrAmbiguous: the address could mean a cancel of another merchant (one
	// started before merchant-scoped ids whose history does not say whose it is);
	// nothing was done. The message says what to add (the credential).
	ErrAmbiguous = errors.New("ambiguous cancel address")
)

// ConflictError is a start refused because the order's existing cancel was
// started with a different request. It matches ErrConflictingRequest.
type ConflictError struct {
	WorkflowID string
	RunID      string
	// Status of the existing cancel's run: RUNNING, or how it closed (COMPLETED…).
	Status string
	// Differences are the fields that differ, existing against requested.
	Differences []contract.FieldDifference
}

func (e *ConflictError) Error() string {
	parts := make([]string, len(e.Differences))
	for i, d := range e.Differences {
		parts[i] = d.String()
	}
	return fmt.Sprintf("the cancel %s (%s) was started with a different request; nothing was started or attached: %s",
		e.WorkflowID, e.Status, strings.Join(parts, "; "))
}

// Is makes errors.Is(err, ErrConflictingRequest) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflictingRequest }

// AmbiguousError is an address that does not say which merchant's cancel it
// means. It matches ErrAmbiguous.
type AmbiguousError struct {
	WorkflowID string
	Reason     string
}

func (e *AmbiguousError) Error() string { return "ambiguous address " + e.WorkflowID + ": " + e.Reason }

// Is makes errors.Is(err, ErrAmbiguous) true.
func (e *AmbiguousError) Is(target error) bool { return target == ErrAmbiguous }

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
	Outcome *contract.Status
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
// running with the same request: started reports whether this call created it.
// The request is validated first (req.ValidateStart; ErrInvalidRequest names the
// fields; Merchant is required). The workflow id is contract.WorkflowID(merchant,
// provider, order), so one merchant's order has one cancel. An existing cancel of
// the order — running or finished — that was started with a different request is
// never attached to: Start returns a *ConflictError (ErrConflictingRequest) naming
// the fields, and nothing changes. A finished cancel is never started again: Start
// returns an *AlreadyFinishedError (ErrAlreadyFinished) with the existing outcome.
//
// The worker checks that the credential is one of the merchant's: a credential of
// another merchant fails the run at once (InvalidCancelRequest, see Status); start
// again corrected (the reuse policy allows a new run after a failed one).
//
// Search attributes Merchant, PaymentProvider, MerchantOrderNo, CancelState
// (AWAITING_PAYMENT, or CANCELLING when PayTimeout is 0) and NeedsReview=false are
// set at start, so the cancel is findable before its first workflow task runs.
//
// How attach works: the start asks the server with conflict policy FAIL and reuse
// policy ALLOW_DUPLICATE_FAILED_ONLY (only a failed or terminated run may be
// followed by a new one), so a new run is created only by a call that reports
// started=true. On the server's "already started" answer Start reads the request
// the existing cancel was started with (the first event of its first run) and
// compares it (contract.RequestDifferences); then running → attached
// (started=false, its run id), closed → AlreadyFinishedError. Other SDKs can do the
// same (see the README).
//
// Unless Options.NoLegacyIDs, Start first looks for a cancel of the order started
// before merchant-scoped ids (contract.LegacyWorkflowID) that is the merchant's
// by its own history (its recorded merchant, or the same credential): that cancel
// is the order's, and Start attaches to it or refuses exactly as above, rather
// than cancelling the order a second time.
func (c *Client) Start(ctx context.Context, req contract.CancelRequest) (*Cancel, bool, error) {
	if err := req.ValidateStart(); err != nil {
		return nil, false, &InvalidRequestError{err}
	}
	if !c.opts.NoLegacyIDs {
		x, found, err := c.startLegacy(ctx, req)
		if found || err != nil {
			return x, false, err
		}
	}
	opts := contract.StartOptions(req, c.opts.TaskQueue)
	id := opts.ID
	run, err := c.tc.ExecuteWorkflow(ctx, opts, contract.WorkflowName, req)
	if err == nil {
		return c.cancel(id, run.GetRunID(), req.Merchant, req.Provider, req.MerchantOrderNo), true, nil
	}
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if !errors.As(err, &already) {
		return nil, false, fmt.Errorf("starting %s: %w", id, err)
	}
	x, err := c.existing(ctx, id, already.RunId, req, true)
	return x, false, err
}

// existing decides a start that met an existing run of id: a conflict when its
// request differs, else attached (running) or AlreadyFinished (closed). scoped is
// false for a cancel started before merchant-scoped ids.
func (c *Client) existing(ctx context.Context, id, runID string, req contract.CancelRequest, scoped bool) (*Cancel, error) {
	desc, err := c.tc.DescribeWorkflowExecution(ctx, id, runID)
	if err != nil {
		return nil, c.mapErr(ctx, id, "describing the existing cancel", err)
	}
	info := desc.GetWorkflowExecutionInfo()
	runID = info.GetExecution().GetRunId()
	// The first run of the chain holds the request as the caller sent it (later
	// runs carry the state continue-as-new added).
	first := info.GetFirstRunId()
	if first == "" {
		first = runID
	}
	rec, err := contract.ReadRecorded(ctx, c.tc, id, first)
	if err != nil {
		return nil, fmt.Errorf("reading the request the cancel %s was started with: %w", id, err)
	}
	var existing contract.CancelRequest
	if err := json.Unmarshal(rec.Request, &existing); err != nil {
		return nil, fmt.Errorf("reading the request the cancel %s was started with: %w", id, err)
	}
	if !scoped {
		// A cancel started before merchant-scoped ids names no merchant; the
		// caller's is the one its history attributes to it (startLegacy).
		existing.Merchant = req.Merchant
	}
	status := info.GetStatus()
	if diffs := contract.RequestDifferences(existing, req); len(diffs) > 0 {
		return nil, &ConflictError{WorkflowID: id, RunID: runID, Status: contract.ExecutionStatusName(status), Differences: diffs}
	}
	if status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return c.cancel(id, runID, req.Merchant, req.Provider, req.MerchantOrderNo), nil
	}
	return nil, c.finished(ctx, id, runID, status)
}

// startLegacy looks for the order's cancel started before merchant-scoped ids.
// found is true when it is the merchant's and decides the start (attach, conflict
// or finished); a failed or terminated one, or another merchant's, lets the
// merchant-scoped start go on.
func (c *Client) startLegacy(ctx context.Context, req contract.CancelRequest) (x *Cancel, found bool, err error) {
	id := contract.LegacyWorkflowID(req.Provider, req.MerchantOrderNo)
	desc, err := c.tc.DescribeWorkflowExecution(ctx, id, "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("looking for a cancel started before merchant-scoped ids (%s): %w", id, err)
	}
	switch desc.GetWorkflowExecutionInfo().GetStatus() {
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED,
		enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED, enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		return nil, false, nil // ended without an outcome: a new cancel may start
	}
	rec, err := contract.ReadRecorded(ctx, c.tc, id, "")
	if err != nil {
		return nil, false, fmt.Errorf("reading %s: %w", id, err)
	}
	if !(rec.Merchant == req.Merchant || (rec.Merchant == "" && rec.Credential == req.Credential)) {
		return nil, false, nil // another merchant's order with the same number
	}
	x, err = c.existing(ctx, id, desc.GetWorkflowExecutionInfo().GetExecution().GetRunId(), req, false)
	return x, true, err
}

// Attach returns the merchant-scoped cancel ref names without contacting the
// server; its calls report ErrNotFound when there is no such cancel. It follows
// the latest run. Find also finds cancels started before merchant-scoped ids.
func (c *Client) Attach(ref Ref) *Cancel {
	return c.cancel(ref.WorkflowID(), "", ref.Merchant, ref.Provider, ref.MerchantOrderNo)
}

func (c *Client) cancel(id, runID, merchant, provider, order string) *Cancel {
	return &Cancel{c: c, WorkflowID: id, RunID: runID, Merchant: merchant, Provider: provider, MerchantOrderNo: order}
}

// finished builds the AlreadyFinishedError of a closed run, with its outcome when
// it completed.
func (c *Client) finished(ctx context.Context, id, runID string, status enumspb.WorkflowExecutionStatus) error {
	e := &AlreadyFinishedError{WorkflowID: id, RunID: runID, CloseStatus: contract.ExecutionStatusName(status)}
	if status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		var st contract.Status
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
