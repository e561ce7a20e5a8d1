package paycancel

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/paycancel/paycancel/workflows/contract"
)

// Cancel is one order's cancel workflow. Get one from Client.Start, Client.Find or
// Client.Attach.
type Cancel struct {
	// WorkflowID is contract.WorkflowID(Merchant, Provider, MerchantOrderNo), or
	// for a cancel started before merchant-scoped ids (found by Find or Start)
	// contract.LegacyWorkflowID(Provider, MerchantOrderNo).
	WorkflowID string
	// RunID is the run Start started or attached to; "" from Attach and Find (the latest run).
	RunID           string
	Merchant        string
	Provider        string
	MerchantOrderNo string

	c *Client
}

// Wait blocks until the cancel workflow completes and returns its final Status
// (following continue-as-new). A cancel waiting in NEEDS_REVIEW stays open until an
// operator resolves it, and one whose merchant notification was exhausted stays
// open for a resend (contract.ResendWindow): use WaitUntil(ctx, Settled) to stop
// at the business outcome instead. Bound it with ctx.
func (x *Cancel) Wait(ctx context.Context) (contract.Status, error) {
	var st contract.Status
	err := x.c.tc.GetWorkflow(ctx, x.WorkflowID, x.RunID).Get(ctx, &st)
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return st, &NotFoundError{WorkflowID: x.WorkflowID}
		}
		return st, fmt.Errorf("waiting for %s: %w", x.WorkflowID, err)
	}
	return st, nil
}

// Status returns the cancel's live status (the contract.QueryStatus query). For a
// workflow that has completed it returns the workflow's result instead, so it works
// without a worker once the cancel is over. A cancel that closed without a result
// (failed, terminated) is an error naming its close status.
func (x *Cancel) Status(ctx context.Context) (contract.Status, error) {
	st, _, err := x.status(ctx)
	return st, err
}

// status also reports whether the workflow has closed.
func (x *Cancel) status(ctx context.Context) (contract.Status, bool, error) {
	st, closed, err := contract.ReadStatus(ctx, x.c.tc, x.WorkflowID)
	return st, closed, notFound(x.WorkflowID, err)
}

// notFound types a missing cancel as *NotFoundError.
func notFound(id string, err error) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return &NotFoundError{WorkflowID: id}
	}
	return err
}

// Settled reports whether a status needs nothing more from the provider: the
// business outcome is known (st.Final), or the cancel waits for an operator
// (NEEDS_REVIEW). The merchant notification may still be under way.
func Settled(st contract.Status) bool {
	return st.Final != "" || st.State == contract.StateNeedsReview
}

// WaitUntil polls the cancel's Status every Options.PollInterval until done
// returns true or the workflow closes, and returns the last status. Use it with
// Settled to stop at the business outcome or a review. A poll that fails (a query
// timing out while the worker is busy, the server briefly unreachable) is retried
// at the next interval; ErrNotFound and a cancel that closed without an outcome
// end the wait at once. Bound it with ctx: when ctx ends, the error says the state
// last seen and the last poll error.
func (x *Cancel) WaitUntil(ctx context.Context, done func(contract.Status) bool) (contract.Status, error) {
	st, err := contract.WaitStatus(ctx, x.c.tc, x.WorkflowID, x.c.opts.PollInterval, done)
	return st, notFound(x.WorkflowID, err)
}

// PaymentStatuses are the values of contract.PaymentResult.Status.
var PaymentStatuses = contract.PaymentStatuses

// SignalPaymentResult tells ref's cancel (found by Find) the payment's result,
// learnt by the order service or a provider payment webhook
// (contract.SignalPaymentResult). While the cancel waits for the pay deadline,
// PAID ends it as PAID and FAILED/CLOSED as NOT_NEEDED; once it is cancelling,
// PAID sends it to PAID_AT_CANCEL.
func (c *Client) SignalPaymentResult(ctx context.Context, ref Ref, res contract.PaymentResult) error {
	if err := res.Validate(); err != nil {
		return &InvalidRequestError{err}
	}
	x, err := c.Find(ctx, ref)
	if err != nil {
		return err
	}
	return x.SignalPaymentResult(ctx, res)
}

// SignalPaymentResult signals this cancel (see Client.SignalPaymentResult).
func (x *Cancel) SignalPaymentResult(ctx context.Context, res contract.PaymentResult) error {
	if err := res.Validate(); err != nil {
		return &InvalidRequestError{err}
	}
	if err := x.c.tc.SignalWorkflow(ctx, x.WorkflowID, "", contract.SignalPaymentResult, res); err != nil {
		return x.c.mapErr(ctx, x.WorkflowID, "signalling", err)
	}
	return nil
}

// Resolve resolves ref's cancel (found by Find) in NEEDS_REVIEW with an
// operator's decision (the contract.UpdateResolve update) and returns the status
// after the workflow took it. The workflow's validator checks the state and the
// resolution; its refusal is a *RejectedError (ErrRejected) with the validator's
// message, and nothing changes.
func (c *Client) Resolve(ctx context.Context, ref Ref, res contract.Resolution) (contract.Status, error) {
	x, err := c.Find(ctx, ref)
	if err != nil {
		return contract.Status{}, err
	}
	st, err := c.update(ctx, x.WorkflowID, contract.UpdateResolve, res)
	if err != nil {
		return st, err
	}
	if st.State != contract.StateNeedsReview {
		return st, nil
	}
	// The update returns the status as the handler saw it, before the workflow
	// acted on the resolution; read it again once it moved on.
	return x.WaitUntil(ctx, func(s contract.Status) bool {
		return s.State != contract.StateNeedsReview || s.Resolution != nil
	})
}

// ResendNotification asks ref's cancel (found by Find), whose merchant
// notification schedule ran out (state NOTIFY_EXHAUSTED), to deliver it again
// (contract.UpdateResendNotification): one attempt with the same event id,
// answered with the status after it. A second resend while one is under way is a
// *RejectedError.
func (c *Client) ResendNotification(ctx context.Context, ref Ref, operator string) (contract.Status, error) {
	x, err := c.Find(ctx, ref)
	if err != nil {
		return contract.Status{}, err
	}
	return c.update(ctx, x.WorkflowID, contract.UpdateResendNotification, contract.ResendRequest{Operator: operator})
}

func (c *Client) update(ctx context.Context, id, name string, arg any) (contract.Status, error) {
	var st contract.Status
	h, err := c.tc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: id, UpdateName: name, Args: []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = h.Get(ctx, &st)
	}
	if err == nil {
		return st, nil
	}
	// The handlers never fail, so an application error is the validator's refusal.
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return st, &RejectedError{WorkflowID: id, Update: name, Message: appErr.Message()}
	}
	return st, c.mapErr(ctx, id, name+" on", err)
}
