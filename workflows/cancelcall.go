package workflows

// Phase 2: the cancel at the provider, and how its answer or failure maps to the
// next state.

import (
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/paycancel/paycancel/activities"
	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/workflows/contract"
)

func (r *run) cancel() (string, error) {
	ctx := r.ctx
	now := workflow.Now(ctx)
	if !now.Before(r.policy.WindowDeadline) {
		r.st.ReviewReason = contract.ReviewWindowExpired
		r.st.LastOutcome = providers.FailedOutcome(providers.ReasonWindowExpired, "LOCAL_WINDOW_EXPIRED",
			"the cancel window closed at "+r.policy.WindowDeadline.UTC().Format(time.RFC3339)+" before a cancel could be sent")
		return contract.StateNeedsReview, nil
	}
	r.st.CancelRounds++
	notice := r.inlineNotice()
	summary := "cancel at the provider, key " + r.st.CancelKey
	if notice != nil {
		summary += ", then the merchant's notification"
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		Summary:             summary,
		TaskQueue:           r.policy.ActivityTaskQueue,
		StartToCloseTimeout: 45 * time.Second,
		HeartbeatTimeout:    15 * time.Second,
		// Retries stop at the cancel window: past it the provider refuses anyway.
		ScheduleToCloseTimeout: r.policy.WindowDeadline.Sub(now),
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    r.policy.CancelRetry.Initial,
			BackoffCoefficient: r.policy.CancelRetry.Multiplier,
			MaximumInterval:    r.policy.CancelRetry.Max,
			MaximumAttempts:    int32(r.policy.MaxCancelAttempts),
		},
		// A stop cancels the activity: between retries it ends at once, and an
		// attempt under way finishes its call, whose answer get waits for.
		WaitForCancellation: true,
	})
	call := activities.CancelCall{Credential: r.req.Credential,
		Target:    providers.Target{MerchantOrderNo: r.req.MerchantOrderNo, ProviderPaymentID: r.req.ProviderPaymentID},
		CancelKey: r.st.CancelKey, ProviderRef: r.st.ProviderRef, WorkflowID: r.st.WorkflowID,
		Notify: notice}

	// A provider notification or a PAID signal may arrive while the cancel is being
	// retried; they are handled after it returns (the channels keep them).
	var res activities.CancelResult
	err, stopped := r.get(ctx, workflow.ExecuteActivity(actx, acts.CancelPayment, call), &res)
	// The activity decided CANCELLED when nothing that could change it had
	// reached this workflow since it scheduled the call, and told the merchant:
	// what arrived after that decision does not change it, as a signal that
	// arrives while the workflow's own notification runs does not. A stop that
	// came meanwhile ends the cancel after the outcome (finish).
	noticed := err == nil && res.Notified != nil && res.Outcome.Done() && r.noticeFromCancel()
	if stopped && !noticed {
		r.noteStoppedCall(err, &res)
		return contract.StateStopped, nil
	}
	if err == nil {
		out := res.Outcome
		r.st.CancelAttempts += int(res.Attempt)
		r.noteOutcome(out)
		if noticed {
			r.noteInlineNotice(res)
			r.setAsideLateSignals()
			return contract.StateCancelled, nil
		}
		if d := r.drain(false); d != "" {
			return d, nil
		}
		switch out.Kind {
		case providers.Succeeded, providers.AlreadyDone:
			return contract.StateCancelled, nil
		default: // Pending (the activity returns only done or pending as results)
			r.backoff = 0
			return contract.StateConfirming, nil
		}
	}
	return r.cancelFailure(err), nil
}

// setAsideLateSignals reads the payment results, provider notifications and
// rechecks still waiting when the cancel activity decided CANCELLED and notified
// the merchant, without acting on them (nor on the status: a notification would
// overwrite the last answer): the activity let only notifications that agree
// pass, and the rest came after its decision. Each is logged, and the run does
// not end with signals unread.
func (r *run) setAsideLateSignals() {
	log := workflow.GetLogger(r.ctx)
	drainEach(r.paymentCh, func(pr contract.PaymentResult) {
		log.Info("payment result not acted on: the cancel activity had decided CANCELLED and notified the merchant",
			"status", pr.Status, "source", pr.Source)
	})
	drainEach(r.providerCh, func(n providers.Notification) {
		log.Info("provider notification not acted on: the cancel activity had decided CANCELLED and notified the merchant",
			"type", n.Type, "outcome", n.Outcome.String())
	})
	for r.recheckCh.ReceiveAsync(nil) {
		log.Info("recheck not acted on: the cancel activity had decided CANCELLED and notified the merchant")
	}
}

// noteStoppedCall records the answer of a cancel call that a stop waited for: its
// result, or the outcome a failed attempt carried. A call cancelled before any
// attempt answered leaves the last outcome as it was.
func (r *run) noteStoppedCall(err error, res *activities.CancelResult) {
	var appErr *temporal.ApplicationError
	switch {
	case err == nil:
	case errors.As(err, &appErr) && appErr.HasDetails() && appErr.Details(res) == nil:
	default:
		return
	}
	r.st.CancelAttempts += int(res.Attempt)
	if res.Outcome.Kind != "" {
		r.noteOutcome(res.Outcome)
	}
}

// cancelFailure maps a failed cancel activity to the next state.
func (r *run) cancelFailure(err error) string {
	var appErr *temporal.ApplicationError
	var timeoutErr *temporal.TimeoutError
	var res activities.CancelResult
	switch {
	case errors.As(err, &appErr):
		if appErr.HasDetails() {
			_ = appErr.Details(&res)
		}
		out := res.Outcome
		r.st.CancelAttempts += int(res.Attempt)
		if out.Kind == "" {
			out = providers.Outcome{Kind: providers.Failed, Code: appErr.Type(), Message: appErr.Message()}
		}
		r.noteOutcome(out)
		switch appErr.Type() {
		case activities.ErrAlreadyPaid:
			return contract.StatePaidAtCancel
		case activities.ErrPaymentClosed:
			if r.paymentClosedIsNotNeeded() {
				return contract.StateNotNeeded
			}
		}
		r.st.ReviewReason = reviewOfFailure(appErr.Type())
		// Retries that stop at the cancel window (ScheduleToCloseTimeout) arrive as
		// the last attempt's application error too — the server reports RetryState
		// TIMEOUT, or a schedule-to-close timeout whose cause is that error — so the
		// window is told apart here, not by the timeout branch below.
		var actErr *temporal.ActivityError
		if r.st.ReviewReason == contract.ReviewAttemptsExhausted &&
			((errors.As(err, &actErr) && actErr.RetryState() == enumspb.RETRY_STATE_TIMEOUT) ||
				(res.Attempt > 0 && int(res.Attempt) < r.policy.MaxCancelAttempts)) {
			r.st.ReviewReason = contract.ReviewWindowExpired
		}
	case errors.As(err, &timeoutErr) && timeoutErr.TimeoutType() == enumspb.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE:
		r.st.ReviewReason = contract.ReviewWindowExpired
		r.noteOutcome(providers.UnknownOutcome("WINDOW_EXPIRED_WHILE_RETRYING", "%s", errMessage(err)))
	default:
		// Start-to-close or heartbeat timeouts until the attempts ran out.
		r.st.CancelAttempts += r.policy.MaxCancelAttempts
		r.st.ReviewReason = contract.ReviewAttemptsExhausted
		r.noteOutcome(providers.UnknownOutcome("ACTIVITY_FAILED", "%s", errMessage(err)))
	}
	return contract.StateNeedsReview
}

func (r *run) noteOutcome(o providers.Outcome) {
	r.st.LastOutcome = o
	if o.ProviderRef != "" {
		r.st.ProviderRef = o.ProviderRef
	}
}

// fromNotification maps a provider notification during cancelling/confirming.
func (r *run) fromNotification(n providers.Notification) string {
	switch n.Type {
	case providers.NotifyCancelResult:
		if n.ProviderRef != "" {
			r.st.ProviderRef = n.ProviderRef
		}
		switch {
		case n.Outcome.Done():
			r.st.LastOutcome = n.Outcome
			return contract.StateCancelled
		case n.Outcome.Kind == providers.Failed:
			r.st.LastOutcome = n.Outcome
			if n.Outcome.Reason == providers.ReasonAlreadyPaid {
				return contract.StatePaidAtCancel
			}
			r.st.ReviewReason = reviewReason(n.Outcome.Reason)
			return contract.StateNeedsReview
		}
	case providers.NotifyPaymentResult:
		if n.Payment == providers.PaymentPaid {
			r.st.LastOutcome = providers.FailedOutcome(providers.ReasonAlreadyPaid, "PAYMENT_NOTIFICATION", "the provider reported the payment paid")
			return contract.StatePaidAtCancel
		}
	}
	return ""
}

// changePaymentClosedNotNeeded versions ending a cancel NOT_NEEDED when a verified
// answer says the payment failed or closed on its own (providers.ReasonPaymentClosed):
// no money moves and nothing was cancelled, so it is neither CANCELLED nor a review.
const changePaymentClosedNotNeeded = "payment-closed-not-needed"

// paymentClosedIsNotNeeded is asked only when such an answer arrived, which no
// history before this change holds; the version marker keeps the rule explicit.
func (r *run) paymentClosedIsNotNeeded() bool {
	return workflow.GetVersion(r.ctx, changePaymentClosedNotNeeded, workflow.DefaultVersion, 1) >= 1
}
