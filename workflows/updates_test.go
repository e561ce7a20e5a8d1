package workflows_test

// Time-skipping tests of the operator Updates — each one completes with the
// state after it took effect — and of the merchant event ids per episode.

import (
	"testing"
	"time"

	"github.com/paycancel/paycancel/activities"
	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/workflows/contract"
)

// TestRetryCancelAnswersWithItsFirstStep: RETRY_CANCEL completes once the
// retried cancel answered — CONFIRMING for a pending cancel, or NEEDS_REVIEW
// again with the new reason — not when (or if) the state leaves NEEDS_REVIEW.
func TestRetryCancelAnswersWithItsFirstStep(t *testing.T) {
	cases := []struct {
		name       string
		second     func(n int, attempt int32, in activities.CancelCall) (activities.CancelResult, error)
		wantState  string
		wantReason string
	}{
		{"pending", cancelPending, contract.StateConfirming, ""},
		{"refused-again", failWith(activities.ErrRejected, providers.FailedOutcome(providers.ReasonRejected, "ORDER_STATUS_INVALID", "refused")),
			contract.StateNeedsReview, contract.ReviewRejected},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := configReview(t)
			w.cancelFn = func(n int, attempt int32, in activities.CancelCall) (activities.CancelResult, error) {
				if n == 1 {
					return failWith(activities.ErrConfiguration, providers.FailedOutcome(providers.ReasonConfiguration, "INVALID_SIGNATURE", "bad key"))(n, attempt, in)
				}
				return tc.second(n, attempt, in)
			}
			w.queryCancelFn = func(int, activities.QueryCall) (providers.Outcome, error) { return succeeded(), nil }
			var res *updateResult
			var answeredAt time.Time
			w.at(time.Hour, func() {
				res = w.update(contract.UpdateResolve, "retry", contract.Resolution{Action: "RETRY_CANCEL", Operator: "ops@acme", Note: "key rotated"})
			})
			w.at(time.Hour+time.Second, func() {
				if res != nil && res.completed {
					answeredAt = w.env.Now()
				}
			})
			w.at(2*time.Hour, func() {
				// Close the second review, if there is one, so the run ends.
				if w.status().State == contract.StateNeedsReview {
					w.update(contract.UpdateResolve, "close", contract.Resolution{Action: "CANCELLED", Operator: "ops@acme"})
				}
			})
			w.mustRun()
			if res == nil || !res.accepted || !res.completed || res.err != nil {
				t.Fatalf("RETRY_CANCEL %+v: want it completed", res)
			}
			if answeredAt.IsZero() {
				t.Errorf("RETRY_CANCEL not answered within a second of the retry")
			}
			wantState(t, res.status, tc.wantState)
			if res.status.ReviewReason != tc.wantReason || res.status.Resolution == nil || res.status.Resolution.Action != "RETRY_CANCEL" {
				t.Errorf("answer: reason %q (want %q), resolution %+v", res.status.ReviewReason, tc.wantReason, res.status.Resolution)
			}
		})
	}
}

// TestEventIDPerEpisode: a second review episode gets a new merchant event id;
// the retries within an episode keep theirs.
func TestEventIDPerEpisode(t *testing.T) {
	w := configReview(t)
	w.notifyFn = func(n int, _ activities.NotifyCall) (activities.NotifyResult, error) {
		if n == 1 { // the first review's first attempt fails: its retry keeps the id
			return activities.NotifyResult{Status: 503, Error: "HTTP 503"}, nil
		}
		return activities.NotifyResult{Delivered: true, Status: 204}, nil
	}
	w.at(time.Hour, func() {
		w.update(contract.UpdateResolve, "retry", contract.Resolution{Action: "RETRY_CANCEL", Operator: "ops@acme"})
	})
	w.at(2*time.Hour, func() {
		w.update(contract.UpdateResolve, "close", contract.Resolution{Action: "CANCELLED", Operator: "ops@acme"})
	})
	st := w.mustRun()
	wantState(t, st, contract.StateResolvedCancelled)
	wantNotified(t, w, contract.StateNeedsReview, contract.StateNeedsReview, contract.StateNeedsReview, contract.StateResolvedCancelled)
	ids := []string{w.notifies[0].EventID, w.notifies[1].EventID, w.notifies[2].EventID, w.notifies[3].EventID}
	if ids[0] != ids[1] {
		t.Errorf("a retry of the first review changed the event id: %s then %s", ids[0], ids[1])
	}
	if ids[1] == ids[2] || ids[2] == ids[3] || ids[1] == ids[3] {
		t.Errorf("event ids %v: want one per episode (review, review again, resolution)", ids)
	}
	if st.Notify.Episode != 3 || st.Notify.EventID != ids[3] {
		t.Errorf("notify %+v: want episode 3 with the last id", st.Notify)
	}
}

// TestReopenGetsANewEventID: a run that reopens a finished cancel (reconciliation
// carries its final status into review) tells the merchant with a new event id.
func TestReopenGetsANewEventID(t *testing.T) {
	first := newWF(t)
	done := first.mustRun()
	wantState(t, done, contract.StateCancelled)

	w := newWF(t)
	w.env.SetStartTime(first.env.Now().Add(time.Hour))
	reopened := done
	reopened.State, reopened.Final, reopened.NeedsReview, reopened.ReviewReason = contract.StateNeedsReview, "", true, contract.ReviewDisagreement
	w.req.Carry = &contract.Carry{Status: reopened, Policy: testPolicy()}
	w.at(time.Hour, func() {
		w.update(contract.UpdateResolve, "refund", contract.Resolution{Action: "REFUNDED", Operator: "ops@acme"})
	})
	st := w.mustRun()
	wantState(t, st, contract.StateResolvedRefunded)
	wantNotified(t, w, contract.StateNeedsReview, contract.StateResolvedRefunded)
	if w.notifies[0].EventID == done.Notify.EventID || w.notifies[0].EventID == w.notifies[1].EventID {
		t.Errorf("reopen event ids %s, %s; the finished run's was %s", w.notifies[0].EventID, w.notifies[1].EventID, done.Notify.EventID)
	}
}

// TestResendAnswersAfterTheAttempt: a resend is one delivery attempt with the
// episode's event id, answered with its result; a second resend while one runs is
// refused by the validator.
func TestResendAnswersAfterTheAttempt(t *testing.T) {
	w := newWF(t)
	up := false
	var during *updateResult
	w.notifyFn = func(n int, _ activities.NotifyCall) (activities.NotifyResult, error) {
		if n == 7 { // the first resend's attempt: another resend arrives meanwhile
			during = w.update(contract.UpdateResendNotification, "again", contract.ResendRequest{Operator: "ops@acme"})
		}
		if up {
			return activities.NotifyResult{Delivered: true, Status: 200}, nil
		}
		return activities.NotifyResult{Status: 502, Error: "HTTP 502"}, nil
	}
	var first, second *updateResult
	w.at(time.Hour, func() {
		first = w.update(contract.UpdateResendNotification, "first", contract.ResendRequest{Operator: "ops@acme"})
	})
	w.at(2*time.Hour, func() {
		up = true
		second = w.update(contract.UpdateResendNotification, "second", contract.ResendRequest{Operator: "ops@acme"})
	})
	st := w.mustRun()
	for name, u := range map[string]*updateResult{"first": first, "second": second} {
		if u == nil || !u.accepted || !u.completed || u.err != nil {
			t.Fatalf("%s resend %+v: want it completed", name, u)
		}
	}
	wantState(t, first.status, contract.StateNotifyExhausted)
	if first.status.Notify.Delivered || first.status.Notify.LastError != "HTTP 502" || first.status.Notify.Attempts != 7 {
		t.Errorf("first resend answered notify %+v, want the failed attempt", first.status.Notify)
	}
	if during == nil || !during.rejected || during.accepted {
		t.Errorf("a resend during a resend's attempt: %+v, want it refused", during)
	}
	wantState(t, second.status, contract.StateCancelled)
	if !second.status.Notify.Delivered {
		t.Errorf("second resend answered notify %+v", second.status.Notify)
	}
	wantState(t, st, contract.StateCancelled)
	if len(w.notifies) != 8 {
		t.Errorf("%d delivery attempts, want 6 scheduled + one per resend", len(w.notifies))
	}
	for _, n := range w.notifies {
		if n.EventID != w.notifies[0].EventID {
			t.Errorf("event id %s changed to %s on a resend", w.notifies[0].EventID, n.EventID)
		}
	}
	if got := w.env.Now().Sub(testStart); got > 2*time.Hour+time.Minute {
		t.Errorf("completed %s after the start, want right after the delivered resend", got)
	}
}

// TestHandlersAnswerDuringThePolicyLoad: the query and update handlers exist
// before the first blocking call, so a status query made while the policy loads
// is answered, and an early resolve is refused by its validator.
func TestHandlersAnswerDuringThePolicyLoad(t *testing.T) {
	w := newWF(t)
	var early contract.Status
	var queryErr error
	w.policyErr = func(int) error {
		v, err := w.env.QueryWorkflow(contract.QueryStatus)
		if err == nil {
			err = v.Get(&early)
		}
		queryErr = err
		return nil
	}
	wantState(t, w.mustRun(), contract.StateCancelled)
	if queryErr != nil {
		t.Fatalf("status query during the policy load: %v", queryErr)
	}
	if early.Runs != 1 || early.CancelKey != testCancelKey {
		t.Errorf("status during the policy load %+v", early)
	}
}

// TestResolveDuringTheReviewNotice: the merchant's endpoint fails while the
// review is being notified; a resolution between attempts ends that schedule and
// its update answers at once, not after the remaining attempts (minutes).
func TestResolveDuringTheReviewNotice(t *testing.T) {
	w := configReview(t)
	w.notifyFn = func(n int, in activities.NotifyCall) (activities.NotifyResult, error) {
		if in.Event.State == contract.StateNeedsReview {
			return activities.NotifyResult{Status: 503, Error: "HTTP 503"}, nil
		}
		return activities.NotifyResult{Delivered: true, Status: 204}, nil
	}
	// Between the 30 s and 60 s attempts.
	res := w.resolveAt(45*time.Second, "close", contract.Resolution{Action: "CANCELLED", Operator: "ops@acme"})
	st := w.mustRun()
	if !res.completed || res.err != nil {
		t.Fatalf("resolve %+v: not answered", res)
	}
	if got := w.env.Now().Sub(testStart); got >= time.Minute {
		t.Errorf("the cancel ended %s after the start: the review's notice ran on after the resolution", got)
	}
	wantState(t, res.status, contract.StateResolvedCancelled)
	wantState(t, st, contract.StateResolvedCancelled)
	wantNotified(t, w, contract.StateNeedsReview, contract.StateNeedsReview, contract.StateResolvedCancelled)
}
