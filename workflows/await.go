package workflows

// Phase 1: wait for the payment's result until the pay deadline, then one last
// look at the provider before cancelling.

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/paycancel/paycancel/activities"
	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/workflows/contract"
)

func (r *run) awaitPayment() (string, error) {
	for {
		if r.stopRequested() {
			return contract.StateStopped, nil
		}
		now := workflow.Now(r.ctx)
		if !now.Before(r.st.PayDeadline) {
			break
		}
		if (r.checks >= checksPerRun || workflow.GetInfo(r.ctx).GetContinueAsNewSuggested()) &&
			workflow.GetVersion(r.ctx, changeAwaitContinueAsNew, workflow.DefaultVersion, 1) >= 1 {
			return r.continueAsNew()
		}
		wait := r.st.PayDeadline.Sub(now)
		poll := false
		if r.policy.PaymentPoll > 0 && r.policy.PaymentPoll < wait {
			wait, poll = r.policy.PaymentPoll, true
		}
		r.st.NextCheckAt = now.Add(wait)
		decided, recheck := "", r.recheck
		r.recheck = false
		if !recheck { // a carried recheck asks at once
			decided, recheck = r.waitSignal(wait)
		}
		r.checks++
		if decided != "" {
			return decided, nil
		}
		if r.stopRequested() {
			return contract.StateStopped, nil
		}
		if poll || recheck {
			d, stopped := r.checkPayment()
			if stopped {
				return contract.StateStopped, nil
			}
			if d != "" {
				return d, nil
			}
		}
	}
	// A result signalled while the last poll ran is still in its channel: read it
	// before the last look, or a PAID signal would be answered with a cancel.
	if workflow.GetVersion(r.ctx, changeDrainBeforeDecision, workflow.DefaultVersion, 1) >= 1 {
		if d := r.drain(false); d != "" {
			return d, nil
		}
	}
	// The deadline passed: one last look before cancelling (the README step 1).
	d, stopped := r.checkPayment()
	if stopped {
		return contract.StateStopped, nil
	}
	if d != "" {
		return d, nil
	}
	return contract.StateCancelling, nil
}

// checkPayment asks the provider; it returns PAID or NOT_NEEDED when that decides
// the cancel, "" to go on, and stopped when an operator's stop came during the call.
func (r *run) checkPayment() (decided string, stopped bool) {
	r.st.PaymentChecks++
	var ps providers.PaymentStatus
	err, stopped := r.get(r.ctx, workflow.ExecuteActivity(r.queryCtx(fmt.Sprintf("payment check %d", r.st.PaymentChecks)), acts.QueryPayment, r.queryCall()), &ps)
	if err != nil {
		if !stopped {
			// The query could not be made (worker trouble after its retries): go on
			// as if unknown, which leads to a cancel — the safe side.
			r.st.LastOutcome = providers.UnknownOutcome("QUERY_FAILED", "%s", errMessage(err))
		}
		return "", stopped
	}
	r.st.LastOutcome = ps.Outcome
	if ps.Code != "" {
		r.st.LastOutcome.Code, r.st.LastOutcome.Message = ps.Code, ps.Message
	}
	return paymentStateDecision(ps.State), stopped
}

func (r *run) queryCall() activities.QueryCall {
	return activities.QueryCall{Credential: r.req.Credential,
		Target:    providers.Target{MerchantOrderNo: r.req.MerchantOrderNo, ProviderPaymentID: r.req.ProviderPaymentID},
		CancelKey: r.st.CancelKey, ProviderRef: r.st.ProviderRef}
}

// queryCtx is the context of a provider query; summary is what the Web UI shows
// of it (user metadata on its command: replay does not compare it).
func (r *run) queryCtx(summary string) workflow.Context {
	return workflow.WithActivityOptions(r.ctx, workflow.ActivityOptions{
		Summary: summary,
		// Provider calls go to the provider's own task queue (empty: this
		// workflow's), so one slow or throttling provider cannot take the slots of
		// the others. The queue comes from the recorded policy: replays see the
		// queue the cancel ran with.
		TaskQueue:           r.policy.ActivityTaskQueue,
		StartToCloseTimeout: 30 * time.Second,
		// A query's outcome (unknown included) is data for the workflow; these
		// retries only cover a worker lost mid-call.
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 3,
			NonRetryableErrorTypes: []string{activities.ErrUnknownCredential}},
		// On a stop the call under way is let finish and its answer recorded (get).
		WaitForCancellation: true,
	})
}
