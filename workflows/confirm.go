package workflows

// Phase 3: confirm a pending cancel with capped exponential backoff, handing long
// confirmations over to a fresh run (continue-as-new).

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/workflows/contract"
)

func (r *run) confirm() (string, error) {
	ctx := r.ctx
	for {
		now := workflow.Now(ctx)
		if !now.Before(r.policy.WindowDeadline) {
			// A provider notification that arrived with the deadline still decides.
			if workflow.GetVersion(ctx, changeDrainBeforeDecision, workflow.DefaultVersion, 1) >= 1 {
				if d := r.drain(false); d != "" {
					return d, nil
				}
			}
			// Past the window with the cancel still pending: a human decides.
			r.st.ReviewReason = contract.ReviewWindowExpired
			return contract.StateNeedsReview, nil
		}
		if r.queries >= queriesPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			return r.continueAsNew()
		}
		r.backoff = r.policy.QueryBackoff.Next(r.backoff)
		if r.st.LastOutcome.Kind == providers.Failed && r.st.LastOutcome.RetryAfter > r.backoff {
			r.backoff = r.st.LastOutcome.RetryAfter
		}
		wait := r.backoff
		if left := r.policy.WindowDeadline.Sub(now); left < wait {
			wait = left
		}
		r.st.NextCheckAt = now.Add(wait)
		decided, recheck := "", r.recheck
		r.recheck = false
		if !recheck { // a carried recheck asks at once
			decided, _ = r.waitSignal(wait)
		}
		if decided != "" {
			return decided, nil
		}
		if r.stopRequested() {
			return contract.StateStopped, nil
		}
		if !workflow.Now(ctx).Before(r.policy.WindowDeadline) {
			continue // the deadline check at the top decides
		}
		r.queries++
		r.st.QueryAttempts++
		var out providers.Outcome
		err, stopped := r.get(ctx, workflow.ExecuteActivity(r.queryCtx(fmt.Sprintf("status query %d", r.st.QueryAttempts)), acts.QueryCancel, r.queryCall()), &out)
		if stopped {
			if err == nil {
				r.noteOutcome(out)
			}
			return contract.StateStopped, nil
		}
		if err != nil {
			r.noteOutcome(providers.UnknownOutcome("QUERY_FAILED", "%s", errMessage(err)))
			continue
		}
		r.noteOutcome(out)
		switch {
		case out.Done():
			return contract.StateCancelled, nil
		case out.Kind == providers.Failed && out.Reason == providers.ReasonAlreadyPaid:
			return contract.StatePaidAtCancel, nil
		case out.Kind == providers.Failed && out.Reason == providers.ReasonPaymentClosed && r.paymentClosedIsNotNeeded():
			return contract.StateNotNeeded, nil
		case out.Kind == providers.Failed && out.Reason != providers.ReasonRateLimited:
			r.st.ReviewReason = reviewReason(out.Reason)
			return contract.StateNeedsReview, nil
		}
		// Pending, unknown or rate limited: ask again after the next backoff.
	}
}

// continueAsNew hands a polling phase (awaiting the payment, confirming) over to a
// fresh run with the same state, so no run's history grows without bound. Update
// handlers finish first; the signals already received are read: a decision is
// acted on here (returned as the next state), a recheck is carried. Runs before
// changeDrainContinueAsNew carried a decision as the next run's state instead.
func (r *run) continueAsNew() (string, error) {
	r.showDetails()
	_ = workflow.Await(r.ctx, func() bool { return workflow.AllHandlersFinished(r.ctx) })
	if workflow.GetVersion(r.ctx, changeDrainContinueAsNew, workflow.DefaultVersion, 1) >= 1 {
		if r.stopRequested() {
			return contract.StateStopped, nil
		}
		if d := r.drain(true); d != "" {
			return d, nil
		}
	} else if d := r.drain(false); d != "" {
		r.st.State = d
	}
	next := r.req
	next.Carry = &contract.Carry{Status: r.st, Policy: r.policy, Backoff: r.backoff, Recheck: r.recheck}
	return "", workflow.NewContinueAsNewError(r.ctx, CancelPaymentWorkflow, next)
}
