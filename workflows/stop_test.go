package workflows_test

// Time-skipping tests of an operator's stop (a workflow cancellation request, as
// the Web UI's Cancel and `temporal workflow cancel` send): in every phase the
// cancel ends promptly in STOPPED with the phase, the reason and the last provider
// answer, tells the merchant once, answers waiting updates, and never loops, fails
// or reports ATTEMPTS_EXHAUSTED.

import (
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/paycancel/paycancel/activities"
	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/workflows/contract"
)

// stop requests the workflow's cancellation d after the start.
func (w *wf) stopAt(d time.Duration) { w.at(d, func() { w.env.CancelWorkflow() }) }

// wantStopped checks the common shape of a stopped cancel: the state, phase and
// reason, the search attributes, and one STOPPED merchant event with a new id.
func wantStopped(t *testing.T, w *wf, st contract.Status, phase string) {
	t.Helper()
	wantState(t, st, contract.StateStopped)
	if st.Stopped == nil || st.Stopped.Phase != phase || st.Stopped.Reason != contract.StopCancelRequested {
		t.Fatalf("stopped %+v, want phase %s, reason %s", st.Stopped, phase, contract.StopCancelRequested)
	}
	if st.NeedsReview || !st.NextCheckAt.IsZero() {
		t.Errorf("stopped status still waits: needs review %v, next check %s", st.NeedsReview, st.NextCheckAt)
	}
	if st.ReviewReason == contract.ReviewAttemptsExhausted {
		t.Errorf("a stop reported %s", st.ReviewReason)
	}
	if n := len(w.states); n == 0 || w.states[n-1] != contract.StateStopped {
		t.Errorf("CancelState upserts %v, want STOPPED last", w.states)
	}
	if n := len(w.needsReview); n > 0 && w.needsReview[n-1] {
		t.Errorf("NeedsReview still true after the stop: %v", w.needsReview)
	}
	if len(w.notifies) == 0 {
		t.Fatal("the merchant was not told of the stop")
	}
	last := w.notifies[len(w.notifies)-1]
	if last.Event.State != contract.StateStopped || last.Event.Reason != contract.StopCancelRequested || !last.Last {
		t.Errorf("last merchant event %+v, want one STOPPED attempt with the reason", last.Event)
	}
	if last.Event.Final != st.Final {
		t.Errorf("STOPPED event final %q, status final %q", last.Event.Final, st.Final)
	}
	for _, n := range w.notifies[:len(w.notifies)-1] {
		if n.EventID == last.EventID {
			t.Errorf("the STOPPED event reuses the %s event id %s", n.Event.State, n.EventID)
		}
	}
	if st.Notify.EventID != last.EventID || st.Notify.Attempts != 1 {
		t.Errorf("notify status %+v after the stop", st.Notify)
	}
}

// TestStopWhileAwaitingPayment is the reported case: a cancel with a one-hour pay
// timeout is cancelled from the Web UI and must close at once.
func TestStopWhileAwaitingPayment(t *testing.T) {
	for _, poll := range []time.Duration{0, time.Second} {
		t.Run("poll-"+poll.String(), func(t *testing.T) {
			w := newWF(t)
			w.req.PayTimeout = time.Hour
			w.policy.PaymentPoll = poll
			w.stopAt(50 * time.Second)
			st := w.mustRun()
			wantStopped(t, w, st, contract.StateAwaitingPayment)
			if got := w.env.Now().Sub(testStart); got > 51*time.Second {
				t.Errorf("closed %s after the start, want right after the stop at 50s", got)
			}
			if len(w.cancels) != 0 || st.Final != "" {
				t.Errorf("%d cancel calls, final %q after a stop while awaiting the payment", len(w.cancels), st.Final)
			}
			if poll > 0 && (st.PaymentChecks < 40 || st.PaymentChecks > 51) {
				t.Errorf("%d payment checks in 50s of 1s polls", st.PaymentChecks)
			}
		})
	}
}

func TestStopWhileCancelling(t *testing.T) {
	// The stop arrives while the cancel call runs. The time-skipping environment
	// cancels a running activity at once (the real server lets the attempt finish,
	// see TestEndToEndStop), so here the call ends without an answer: the status
	// keeps the outcome it had and the cancel is not sent again.
	w := newWF(t)
	w.cancelFn = func(int, int32, activities.CancelCall) (activities.CancelResult, error) {
		w.env.CancelWorkflow()
		time.Sleep(50 * time.Millisecond) // the stop is handled while the call runs
		return activities.CancelResult{Outcome: succeeded(), Attempt: 1}, nil
	}
	st := w.mustRun()
	wantStopped(t, w, st, contract.StateCancelling)
	if len(w.cancels) != 1 || st.CancelRounds != 1 {
		t.Errorf("%d cancel calls (rounds %d), want the one under way only", len(w.cancels), st.CancelRounds)
	}
	if st.LastOutcome.Code == "ACTIVITY_FAILED" || st.LastOutcome.Code == "QUERY_FAILED" {
		t.Errorf("the stop was recorded as a provider failure: %v", st.LastOutcome)
	}
}

func TestStopWhileConfirming(t *testing.T) {
	w := pendingWF(t, alwaysPending)
	w.stopAt(time.Hour)
	st := w.mustRun()
	wantStopped(t, w, st, contract.StateConfirming)
	if st.QueryAttempts == 0 || st.LastOutcome.Kind != providers.Pending || st.Final != "" || st.Runs != 1 {
		t.Errorf("status %+v: want the pending queries and their last answer, one run", st)
	}
	if got := w.env.Now().Sub(testStart); got > time.Hour+time.Second {
		t.Errorf("closed %s after the start, want at the stop (1h)", got)
	}
}

func TestStopWhileConfirmingQueryRuns(t *testing.T) {
	// The stop comes while a status query runs: no further query, no review.
	w := newWF(t)
	w.cancelFn = cancelPending
	w.queryCancelFn = func(n int, _ activities.QueryCall) (providers.Outcome, error) {
		if n == 3 {
			w.env.CancelWorkflow()
			time.Sleep(50 * time.Millisecond)
		}
		return pending(), nil
	}
	st := w.mustRun()
	wantStopped(t, w, st, contract.StateConfirming)
	if w.queryCancels != 3 {
		t.Errorf("%d status queries, want none after the stop", w.queryCancels)
	}
}

func TestStopWhileInReview(t *testing.T) {
	w := configReview(t)
	w.stopAt(time.Hour)
	st := w.mustRun()
	wantStopped(t, w, st, contract.StateNeedsReview)
	wantNotified(t, w, contract.StateNeedsReview, contract.StateStopped)
	if st.LastOutcome.Code != "INVALID_SIGNATURE" {
		t.Errorf("last outcome %v, want the provider's refusal kept", st.LastOutcome)
	}
}

func TestStopAnswersAWaitingRetryCancel(t *testing.T) {
	// RETRY_CANCEL waits for the retry's first step; a stop during the retried
	// call answers it with STOPPED instead of leaving the caller hanging.
	w := configReview(t)
	w.cancelFn = func(n int, attempt int32, in activities.CancelCall) (activities.CancelResult, error) {
		if n == 1 {
			return failWith(activities.ErrConfiguration, providers.FailedOutcome(providers.ReasonConfiguration, "INVALID_SIGNATURE", "bad key"))(n, attempt, in)
		}
		w.env.CancelWorkflow()
		time.Sleep(50 * time.Millisecond)
		return activities.CancelResult{Outcome: pending(), Attempt: attempt}, nil
	}
	res := w.resolveAt(time.Hour, "retry", contract.Resolution{Action: "RETRY_CANCEL", Operator: "ops@acme"})
	st := w.mustRun()
	wantStopped(t, w, st, contract.StateCancelling)
	if !res.accepted || !res.completed || res.err != nil || res.status.State != contract.StateStopped {
		t.Fatalf("RETRY_CANCEL update %+v: want it completed with STOPPED", res)
	}
}

func TestStopWhileNotifying(t *testing.T) {
	// The outcome is reached; the merchant's endpoint fails and the stop comes
	// between attempts. The business outcome stays in Final and in the event.
	w := newWF(t)
	w.notifyFn = func(int, activities.NotifyCall) (activities.NotifyResult, error) {
		return activities.NotifyResult{Status: 503, Error: "HTTP 503"}, nil
	}
	w.stopAt(45 * time.Second)
	st := w.mustRun()
	wantStopped(t, w, st, contract.StateCancelled)
	if st.Final != contract.StateCancelled {
		t.Errorf("final %q, want CANCELLED kept", st.Final)
	}
	if n := len(w.notifies); n != 3 { // 0s and 30s for CANCELLED, then the STOPPED attempt
		t.Errorf("%d notification attempts, want 3", n)
	}
}

func TestStopWhileNotifyExhausted(t *testing.T) {
	w := newWF(t)
	w.notifyFn = func(int, activities.NotifyCall) (activities.NotifyResult, error) {
		return activities.NotifyResult{Error: "connection refused"}, nil
	}
	w.stopAt(time.Hour)
	st := w.mustRun()
	wantStopped(t, w, st, contract.StateNotifyExhausted)
	if st.Final != contract.StateCancelled {
		t.Errorf("final %q, want CANCELLED kept", st.Final)
	}
	if got := w.env.Now().Sub(testStart); got > time.Hour+time.Second {
		t.Errorf("closed %s after the start: the stop did not end the resend window", got)
	}
}

func TestStopDuringPolicyLoad(t *testing.T) {
	// A stop that comes with the start: the policy's local activity is cut short,
	// which must not read as an unknown credential.
	w := newWF(t)
	w.req.PayTimeout = time.Hour
	w.policyErr = func(int) error {
		w.env.CancelWorkflow()
		time.Sleep(50 * time.Millisecond)
		return nil
	}
	st := w.mustRun()
	wantState(t, st, contract.StateStopped)
	if st.ReviewReason == contract.ReviewConfiguration || len(w.cancels) != 0 {
		t.Errorf("status %+v after a stop at the start", st)
	}
}

func TestCarryRefusedOnAFreshStart(t *testing.T) {
	w := newWF(t)
	w.req.Carry = &contract.Carry{Status: contract.Status{State: contract.StateCancelled, Final: contract.StateCancelled}}
	w.startWithCarry = true
	_, err := w.run()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != "InvalidCancelRequest" || !appErr.NonRetryable() {
		t.Fatalf("error %v, want a non-retryable InvalidCancelRequest", err)
	}
	if len(w.cancels)+len(w.notifies)+w.policyLoads != 0 {
		t.Errorf("a refused start did work: %d cancels, %d notifications, %d policy loads", len(w.cancels), len(w.notifies), w.policyLoads)
	}
}
