package workflows_test

// History bounds: how many events a cancel writes. The happy path is measured on a
// real server (e2e_start_test.go); a seven-day pending confirmation is run in the
// time-skipping environment, which has no event history, so each run's events are
// estimated from what it did (runShape.estimate). The estimate is checked against
// every real history in testdata/histories (TestEventEstimateBoundsRealHistories):
// it never undercounts.

import (
	"context"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"

	"github.com/paycancel/paycancel/activities"
	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/workflows/contract"
)

const (
	// happyPathEventBound bounds a cancel with no pay wait, one successful cancel
	// and one notification delivered first try. Measured on the in-process server,
	// started without search attributes (the Go API gives them at start: one
	// event less): 16 events when the cancel activity notifies the merchant
	// (changeNoticeFromCancel); the provider's cancel notification adds a signal
	// (and a workflow task when it gets one of its own: 20). When the activity
	// leaves the notification to the workflow (no version marker then), 20
	// events, and with the provider's notification 21, or 24 when it gets a
	// workflow task of its own.
	happyPathEventBound = 25
	// runEventBound bounds any one run of a cancel: a long confirmation continues
	// as new after 100 status queries of 11 events each (the runs of a seven-day
	// pending wait measure at most 1,114 by runShape.estimate).
	runEventBound = 1150
)

// runShape is what one run did, as far as its history is concerned.
type runShape struct {
	TimersStarted, TimersFired int
	TimersCanceled             int
	Activities                 int // activity executions (server-side retries add no events)
	LocalActivities            int
	Upserts                    int
	Signals                    int
	Updates                    int // accepted updates (rejected ones leave no events)
	CancelRequests             int // workflow cancellation requests (an operator's stop)
}

// estimate is an upper bound on the run's events: start and close, one marker per
// local activity, one event per upsert and signal, one per timer started, fired or
// cancelled (AwaitWithTimeout leaves its timer open when the condition wins), two
// per update, three per activity, two per cancellation request (the request, and
// the cancel request of a call under way), and three per workflow task — one for
// the start and one for each wake-up (timer, activity result, signal, update,
// cancellation request), which the server may batch but never splits further.
func (s runShape) estimate() int {
	tasks := 1 + s.TimersFired + s.Activities + s.Signals + s.Updates + s.CancelRequests
	return 2 + 3*tasks + s.TimersStarted + s.TimersFired + s.TimersCanceled + 3*s.Activities + s.LocalActivities +
		s.Upserts + s.Signals + 2*s.Updates + 2*s.CancelRequests
}

// shapeOf reads a run's shape from its history.
func shapeOf(h *historypb.History) runShape {
	var s runShape
	for _, e := range h.GetEvents() {
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			s.TimersStarted++
		case enumspb.EVENT_TYPE_TIMER_FIRED:
			s.TimersFired++
		case enumspb.EVENT_TYPE_TIMER_CANCELED:
			s.TimersCanceled++
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			s.Activities++
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			s.LocalActivities++
		case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
			s.Upserts++
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			s.Signals++
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			s.Updates++
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
			s.CancelRequests++
		}
	}
	return s
}

// handOverVersionEvents are the events of a hand-over's GetVersion calls
// (await-payment-continue-as-new, drain-all-before-continue-as-new), which the
// time-skipping environment does not report: a marker and a TemporalChangeVersion
// upsert each.
const handOverVersionEvents = 4

// shape is what this time-skipped run did.
func (w *wf) shape() runShape {
	w.mu.Lock()
	defer w.mu.Unlock()
	return runShape{TimersStarted: len(w.timers), TimersFired: w.timersFired, TimersCanceled: w.timersCancel,
		Activities:      len(w.cancels) + w.queryCancels + w.queryPayments + len(w.notifies),
		LocalActivities: w.policyLoads, Upserts: w.upserts, Signals: w.signals, Updates: w.updates}
}

func fetchHistory(t testing.TB, c client.Client, id, runID string) *historypb.History {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	it := c.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", id, err)
		}
		h.Events = append(h.Events, e)
	}
	return h
}

// TestHistoryBoundSevenDayPendingWait: the provider answers "pending" to every
// status query for the whole seven-day window (default backoff 5s→10m). Every run
// stays under runEventBound, the workflow continues as new instead of growing, and
// the state crosses every run.
func TestHistoryBoundSevenDayPendingWait(t *testing.T) {
	const window = 7 * 24 * time.Hour
	deadline := testStart.Add(window)
	start := testStart
	var next *contract.CancelRequest
	queries, maxEstimate := 0, 0
	for run := 1; ; run++ {
		if run > 20 {
			t.Fatal("more than 20 runs")
		}
		w := newWF(t)
		w.env.SetStartTime(start)
		if next != nil {
			w.req = *next
		}
		w.cancelFn = cancelPending
		w.queryCancelFn = alwaysPending
		// The run that reaches the window's end goes to review; an operator closes it.
		w.at(deadline.Sub(start)+time.Minute, func() {
			w.update(contract.UpdateResolve, "close", contract.Resolution{Action: "CANCELLED", Operator: "ops@acme"})
		})
		st, err := w.run()
		shape := w.shape()
		est := shape.estimate() + handOverVersionEvents
		queries += w.queryCancels
		if est > maxEstimate {
			maxEstimate = est
		}
		if est > runEventBound {
			t.Errorf("run %d: about %d events (%+v), over the bound %d", run, est, shape, runEventBound)
		}
		if err == nil {
			wantState(t, st, contract.StateResolvedCancelled)
			if st.Runs != run || st.QueryAttempts != queries || st.CancelKey != testCancelKey {
				t.Errorf("final status: runs %d (want %d), queries %d (want %d), key %q", st.Runs, run, st.QueryAttempts, queries, st.CancelKey)
			}
			if st.Resolution == nil || st.LastOutcome.Kind != "PENDING" {
				t.Errorf("final status %+v", st)
			}
			t.Logf("seven-day pending wait: %d runs, %d status queries, at most about %d events per run (last run %d)",
				run, queries, maxEstimate, est)
			if run < 10 {
				t.Errorf("%d runs for %d queries: continue-as-new did not happen every 100 queries", run, queries)
			}
			return
		}
		n := continued(t, err)
		next = &n
		if w.queryCancels != 100 {
			t.Errorf("run %d continued after %d queries, want 100", run, w.queryCancels)
		}
		if n.Carry.Status.Runs != run || n.Carry.Status.CancelKey != testCancelKey {
			t.Errorf("run %d carries %+v", run, n.Carry.Status)
		}
		start = w.env.Now()
	}
}

// TestHistoryBoundLongPaymentPoll: awaiting a payment with a 1 s poll and the
// longest pay timeout (720 h) would write millions of events in one run; every run
// continues as new after checksPerRun (100) wake-ups instead, under the same per-run
// bound as a long confirmation, carrying the state. Three runs are measured (the
// next 26,000 are the same); then a payment result that arrives during a run's last
// poll is acted on in that run, and a recheck is carried into the next.
func TestHistoryBoundLongPaymentPoll(t *testing.T) {
	const payTimeout = 720 * time.Hour
	start := testStart
	var next *contract.CancelRequest
	checks := 0
	for run := 1; run <= 3; run++ {
		w := newWF(t)
		w.env.SetStartTime(start)
		w.req.PayTimeout = payTimeout
		w.policy.PaymentPoll = time.Second
		if next != nil {
			w.req = *next
		}
		_, err := w.run()
		n := continued(t, err)
		shape := w.shape()
		if est := shape.estimate() + handOverVersionEvents; est > runEventBound {
			t.Errorf("run %d: about %d events (%+v), over the bound %d", run, est, shape, runEventBound)
		} else {
			t.Logf("run %d: %d payment checks, about %d events", run, w.queryPayments, est)
		}
		checks += w.queryPayments
		st := n.Carry.Status
		if w.queryPayments != 100 || st.PaymentChecks != checks || st.Runs != run || st.State != contract.StateAwaitingPayment ||
			!st.PayDeadline.Equal(testStart.Add(payTimeout)) || st.CancelKey != testCancelKey {
			t.Fatalf("run %d: %d checks, carries %+v", run, w.queryPayments, st)
		}
		if len(w.cancels) != 0 {
			t.Fatalf("run %d cancelled before the pay deadline", run)
		}
		next, start = &n, w.env.Now()
	}

	// lastPoll is the fourth run, whose last payment check (the 100th) sends a
	// signal while it runs.
	lastPoll := func(t *testing.T, name string, arg any) *wf {
		w := newWF(t)
		w.env.SetStartTime(start)
		w.req = *next
		w.queryPaymentFn = func(n int, _ activities.QueryCall) (providers.PaymentStatus, error) {
			if n == 100 {
				w.signal(name, arg)
			}
			return providers.PaymentStatus{State: providers.PaymentPending}, nil
		}
		return w
	}
	t.Run("paid-during-the-last-poll", func(t *testing.T) {
		w := lastPoll(t, contract.SignalPaymentResult, contract.PaymentResult{Status: "PAID", Source: "order-service"})
		st := w.mustRun() // decided in this run, no continue-as-new
		wantState(t, st, contract.StatePaid)
		if st.Runs != 4 || len(w.cancels) != 0 {
			t.Errorf("runs %d, cancels %d", st.Runs, len(w.cancels))
		}
	})
	t.Run("recheck-during-the-last-poll", func(t *testing.T) {
		w := lastPoll(t, contract.SignalRecheck, nil)
		_, err := w.run()
		n := continued(t, err)
		if !n.Carry.Recheck {
			t.Fatal("the recheck was not carried")
		}
		w2 := newWF(t)
		w2.env.SetStartTime(w.env.Now())
		w2.req = n
		w2.queryPaymentFn = func(int, activities.QueryCall) (providers.PaymentStatus, error) {
			return providers.PaymentStatus{State: providers.PaymentPaid}, nil
		}
		st := w2.mustRun()
		wantState(t, st, contract.StatePaid)
		if got := w2.env.Now().Sub(w.env.Now()); got >= time.Second {
			t.Errorf("the carried recheck asked %s into the next run, want at once", got)
		}
	})
}
