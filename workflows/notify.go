package workflows

// Phase 4: tell the merchant, on the policy's schedule, and keep an exhausted
// notification open for a resend.

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/paycancel/paycancel/activities"
	"github.com/paycancel/paycancel/workflows/contract"
)

func (r *run) finish() (contract.Status, error) {
	if r.stopRequested() {
		return r.stop()
	}
	if r.st.State != contract.StateNotifyExhausted {
		stopped := false
		if r.noticeSent {
			// The cancel activity made the first attempt: the schedule goes on
			// from the second, in the same episode.
			stopped = r.runSchedule(r.st.Final, 1)
		} else {
			stopped = r.deliver(r.st.Final)
		}
		if stopped {
			return r.stop()
		}
	}
	for r.st.Notify.Exhausted {
		r.setState(contract.StateNotifyExhausted) // shows the exhausted notification
		ok, err := workflow.AwaitWithTimeout(r.ctx, ResendWindow, func() bool { return r.resend })
		if err != nil {
			if r.stopRequested() {
				return r.stop()
			}
			return r.st, err
		}
		if !ok {
			break // nobody resent within the window: end with the business outcome
		}
		r.resend = false
		if workflow.GetVersion(r.ctx, changeResendOnce, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
			// The whole schedule again, in the same episode (same event id).
			if r.runSchedule(r.st.Final, 0) {
				return r.stop()
			}
			continue
		}
		// One attempt with the episode's event id; the update answers after it.
		r.resending = true
		stopped := r.notifyAttempt(r.ctx, r.event(r.st.Final), true)
		r.resending = false
		r.resends++
		if r.st.Notify.Delivered {
			r.st.Notify.Exhausted = false
		}
		if stopped {
			return r.stop()
		}
	}
	if r.st.State != r.st.Final {
		r.setState(r.st.Final)
	}
	// A resend accepted as the window closed is not made; its update answers with
	// the final status rather than keep the run open.
	r.ending = true
	r.showDetails()
	_ = workflow.Await(r.ctx, func() bool { return workflow.AllHandlersFinished(r.ctx) })
	return r.st, nil
}

// deliver starts a notification episode for state and runs it on the policy's
// schedule. Each episode (an outcome, a review — a new review episode included —,
// a stop) has its own event id, which its retries and resends keep. It returns
// true when an operator's stop ended it (the attempt under way recorded).
func (r *run) deliver(state string) (stopped bool) {
	r.newEpisode(state)
	return r.runSchedule(state, 0)
}

// runSchedule delivers the current episode's event on the policy's schedule,
// from its attempt from (0: the whole schedule, the status reset; 1: after the
// cancel activity made the first attempt).
func (r *run) runSchedule(state string, from int) (stopped bool) {
	if from == 0 {
		n := r.st.Notify
		r.st.Notify = contract.NotifyStatus{URL: n.URL, EventID: n.EventID, Episode: n.Episode}
	}
	if r.st.Notify.URL == "" || r.st.Notify.Delivered {
		return false
	}
	event := r.event(state)
	schedule := r.notifySchedule()
	for i := from; i < len(schedule); i++ {
		if wait := schedule[i]; wait > 0 && r.pause(wait) {
			return false // a resolution made the review's notice outdated
		}
		if r.stopRequested() {
			return true
		}
		stopped := r.notifyAttempt(r.ctx, event, i == len(schedule)-1)
		if r.st.Notify.Delivered || stopped {
			return stopped
		}
	}
	r.st.Notify.Exhausted = true
	return false
}

// pause waits d between delivery attempts. While in review, a resolution that
// arrives meanwhile ends the wait and the schedule (true): the review's notice is
// outdated, the resolution's own event follows. Runs before
// changeResolutionEndsReviewNotice waited the whole pause and went on.
func (r *run) pause(d time.Duration) (superseded bool) {
	r.showDetails() // the last delivery error, while waiting to try again
	if r.st.State != contract.StateNeedsReview {
		_ = workflow.Sleep(r.ctx, d)
		return false
	}
	resolved := false
	timer, cancelTimer := r.waitTimerOr(d, func(sel workflow.Selector) {
		sel.AddReceive(r.resolvedCh, func(c workflow.ReceiveChannel, _ bool) { c.Receive(r.ctx, nil); resolved = true })
	})
	defer cancelTimer()
	if !resolved {
		return false
	}
	if workflow.GetVersion(r.ctx, changeResolutionEndsReviewNotice, workflow.DefaultVersion, 1) >= 1 {
		return true
	}
	_ = timer.Get(r.ctx, nil)
	return false
}

// notifySchedule is the policy's notification schedule (the default when none).
func (r *run) notifySchedule() []time.Duration {
	if len(r.policy.NotifySchedule) == 0 {
		return contract.DefaultNotifySchedule
	}
	return r.policy.NotifySchedule
}

// newEpisode resets the notification status for a new episode with a new event id.
func (r *run) newEpisode(state string) {
	ep := r.st.Notify.Episode + 1
	r.st.Notify = contract.NotifyStatus{URL: r.policy.NotifyURL, Episode: ep, EventID: r.eventID(state, ep)}
}

// eventID is the webhook-id of episode ep, whose event reports state.
func (r *run) eventID(state string, ep int) string {
	return "evt_" + contract.StableHash(fmt.Sprintf("%s#%s#%d", r.st.WorkflowID, state, ep))
}

// inlineNotice is the CANCELLED notification's first attempt for the cancel
// activity to make, or nil when the workflow must notify itself: no notify URL,
// or a payment result or provider notification already waiting here, which the
// workflow reads before it decides. The activity adds the provider's answer and
// makes the attempt only when nothing else reached the workflow after it
// scheduled the call. Asking is not versioned: it changes the call's input, not
// the commands; acting on the attempt is (noticeFromCancel).
func (r *run) inlineNotice() *activities.NotifyCall {
	if r.policy.NotifyURL == "" || r.paymentCh.Len() > 0 || r.providerCh.Len() > 0 || r.stopRequested() {
		return nil
	}
	state := contract.StateCancelled
	return &activities.NotifyCall{Merchant: r.policy.Merchant, URL: r.policy.NotifyURL,
		EventID: r.eventID(state, r.st.Notify.Episode+1), Event: r.event(state), Last: len(r.notifySchedule()) == 1}
}

// noticeFromCancel is asked when the cancel activity reports an attempt made:
// taking it (no notification activity of the workflow's own) changes the
// commands the result's workflow task issues. A history in which an older
// worker ran that task — the attempt ignored, the whole schedule run — replays
// the older way.
func (r *run) noticeFromCancel() bool {
	return workflow.GetVersion(r.ctx, changeNoticeFromCancel, workflow.DefaultVersion, 1) >= 1
}

// noteInlineNotice records the attempt the cancel activity made as the first of
// the CANCELLED episode (the event id inlineNotice gave it).
func (r *run) noteInlineNotice(res activities.CancelResult) {
	r.newEpisode(contract.StateCancelled)
	r.noticeSent = true
	r.st.Notify.Attempts, r.st.Notify.LastAt = 1, res.NotifiedAt
	if res.Notified.Delivered {
		r.st.Notify.Delivered = true
	} else {
		r.st.Notify.LastError = res.Notified.Error
	}
}

// event is the merchant event for state, as things stand now.
func (r *run) event(state string) activities.MerchantEvent {
	event := activities.MerchantEvent{
		Type: "cancel.outcome", WorkflowID: r.st.WorkflowID, Provider: r.req.Provider, Credential: r.req.Credential,
		MerchantOrderNo: r.req.MerchantOrderNo, ProviderPaymentID: r.req.ProviderPaymentID,
		Amount: r.req.Amount, Currency: r.req.Currency, State: state, Reason: r.st.ReviewReason,
		ProviderCode: r.st.LastOutcome.Code, ProviderMessage: r.st.LastOutcome.Message, ProviderRef: r.st.ProviderRef,
		OccurredAt: workflow.Now(r.ctx),
	}
	if r.st.Resolution != nil {
		event.Resolution = r.st.Resolution.Action
	}
	if state == contract.StateStopped && r.st.Stopped != nil {
		event.Reason, event.Final = r.st.Stopped.Reason, r.st.Final
	}
	return event
}

// notifyAttempt makes one delivery attempt of the current episode, watching ctx
// for a stop (the attempt then finishes and is recorded). It reports the stop.
func (r *run) notifyAttempt(ctx workflow.Context, event activities.MerchantEvent, last bool) (stopped bool) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		Summary:             fmt.Sprintf("merchant notification attempt %d", r.st.Notify.Attempts+1),
		StartToCloseTimeout: 20 * time.Second,
		// The schedule is the retry policy; one attempt per step keeps each
		// delivery visible in history.
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
		WaitForCancellation: true,
	})
	r.st.Notify.Attempts++
	r.st.Notify.LastAt = workflow.Now(ctx)
	var res activities.NotifyResult
	err, stopped := r.get(ctx, workflow.ExecuteActivity(actx, acts.NotifyMerchant, activities.NotifyCall{
		Merchant: r.policy.Merchant, URL: r.st.Notify.URL, EventID: r.st.Notify.EventID, Event: event, Last: last,
	}), &res)
	switch {
	case err == nil && res.Delivered:
		r.st.Notify.Delivered, r.st.Notify.LastError = true, ""
	case err != nil:
		r.st.Notify.LastError = errMessage(err)
	default:
		r.st.Notify.LastError = res.Error
	}
	return stopped
}
