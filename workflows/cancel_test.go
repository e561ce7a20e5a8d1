package workflows_test

// Time-skipping tests of CancelPaymentWorkflow: every path of the README's
// flow, with the activities mocked by name on a real *activities.Activities
// registration (LoadPolicy, a local activity, is mocked the same way).

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/paycancel/paycancel/activities"
	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/workflows"
	"github.com/paycancel/paycancel/workflows/contract"
)

var testStart = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

// testCancelKey is the business key of the test order's cancel (workflow id
// cancel/acme/payermax/ord-1001): fixed once, the same on every attempt and run.
const testCancelKey = "pc-acme-payermax-ord-1001"

var defaultSchedule = contract.DefaultNotifySchedule

// testPolicy is the policy LoadPolicy returns: the defaults the configuration
// starts from (contract.Default*) with a 7-day window after the pay start.
func testPolicy() contract.CancelPolicy {
	return contract.CancelPolicy{
		Merchant:          "acme",
		QueryBackoff:      contract.DefaultQueryBackoff,
		CancelRetry:       contract.DefaultCancelRetry,
		MaxCancelAttempts: contract.DefaultMaxCancelAttempts,
		WindowRule:        "after",
		NotifyURL:         "https://merchant.example/paycancel",
		NotifySchedule:    defaultSchedule,
	}
}

type timerRec struct {
	At time.Time
	D  time.Duration
}

// wf is one time-skipping run of CancelPaymentWorkflow. The *Fn fields script the
// activities (n is the 1-based call number; retries of one activity count as calls).
type wf struct {
	t      *testing.T
	env    *testsuite.TestWorkflowEnvironment
	req    contract.CancelRequest
	policy contract.CancelPolicy
	window time.Duration // policy window after PayStartedAt
	id     string        // workflow id; default contract.WorkflowID
	// startWithCarry runs a request with Carry as a fresh start (a client's), not
	// as a continued run.
	startWithCarry bool

	cancelFn       func(n int, attempt int32, in activities.CancelCall) (activities.CancelResult, error)
	queryCancelFn  func(n int, in activities.QueryCall) (providers.Outcome, error)
	queryPaymentFn func(n int, in activities.QueryCall) (providers.PaymentStatus, error)
	notifyFn       func(n int, in activities.NotifyCall) (activities.NotifyResult, error)
	// policyErr, when set, is LoadPolicy's error on call n (nil: the policy).
	policyErr func(n int) error

	mu            sync.Mutex
	policyLoads   int
	cancels       []activities.CancelCall
	queryCancels  int
	queryPayments int
	notifies      []activities.NotifyCall
	timers        []timerRec
	timersFired   int
	timersCancel  int
	states        []string // CancelState values upserted, in order
	merchants     []string // Merchant values upserted, in order
	upserts       int
	needsReview   []bool
	signals       int // signals sent
	updates       int // updates accepted
}

// count adds one to a call counter and returns the new count (the calls' n).
func (w *wf) count(c *int) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	*c++
	return *c
}

// record appends a call's input to its list and returns the list's length.
func record[T any](w *wf, list *[]T, in T) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	*list = append(*list, in)
	return len(*list)
}

// newTestEnv is the SDK's test environment as the workflow tests use it: quiet,
// with a deadlock detector that 2 shared CI cores do not trip (the default 1 s
// fires on a starved workflow goroutine, not on a real deadlock).
func newTestEnv() *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := s.NewTestWorkflowEnvironment()
	env.SetTestTimeout(60 * time.Second)
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: 20 * time.Second})
	return env
}

func newWF(t *testing.T) *wf {
	t.Helper()
	env := newTestEnv()
	env.SetStartTime(testStart)
	w := &wf{t: t, env: env, policy: testPolicy(), window: 7 * 24 * time.Hour,
		req: contract.CancelRequest{Merchant: "acme", Provider: "payermax", Credential: "acme-payermax", MerchantOrderNo: "ord-1001",
			Amount: 12345, Currency: "USD"},
		cancelFn: func(int, int32, activities.CancelCall) (activities.CancelResult, error) {
			return activities.CancelResult{Outcome: providers.Outcome{Kind: providers.Succeeded, Code: "APPLY_SUCCESS"}, Attempt: 1}, nil
		},
		queryCancelFn: func(int, activities.QueryCall) (providers.Outcome, error) {
			return providers.Outcome{Kind: providers.Succeeded}, nil
		},
		queryPaymentFn: func(int, activities.QueryCall) (providers.PaymentStatus, error) {
			return providers.PaymentStatus{State: providers.PaymentPending, Outcome: providers.Outcome{Kind: providers.Succeeded}}, nil
		},
		notifyFn: func(int, activities.NotifyCall) (activities.NotifyResult, error) {
			return activities.NotifyResult{Delivered: true, Status: 204}, nil
		},
	}
	env.RegisterWorkflowWithOptions(workflows.CancelPaymentWorkflow, workflow.RegisterOptions{Name: contract.WorkflowName})
	env.RegisterActivity(&activities.Activities{})

	env.OnActivity("LoadPolicy", mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.PolicyInput) (contract.CancelPolicy, error) {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.policyLoads++
			if w.policyErr != nil {
				if err := w.policyErr(w.policyLoads); err != nil {
					return contract.CancelPolicy{}, err
				}
			}
			p := w.policy
			p.WindowDeadline = in.PayStartedAt.Add(w.window)
			if in.NotifyURL != "" {
				p.NotifyURL = in.NotifyURL
			}
			return p, nil
		})
	env.OnActivity("CancelPayment", mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.CancelCall) (activities.CancelResult, error) {
			return w.cancelFn(record(w, &w.cancels, in), activity.GetInfo(ctx).Attempt, in)
		})
	env.OnActivity("QueryCancel", mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.QueryCall) (providers.Outcome, error) {
			return w.queryCancelFn(w.count(&w.queryCancels), in)
		})
	env.OnActivity("QueryPayment", mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.QueryCall) (providers.PaymentStatus, error) {
			return w.queryPaymentFn(w.count(&w.queryPayments), in)
		})
	env.OnActivity("NotifyMerchant", mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.NotifyCall) (activities.NotifyResult, error) {
			return w.notifyFn(record(w, &w.notifies, in), in)
		})
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		sa := args.Get(0).(temporal.SearchAttributes)
		w.mu.Lock()
		defer w.mu.Unlock()
		w.upserts++
		if v, ok := sa.GetKeyword(contract.SACancelState); ok {
			w.states = append(w.states, v)
		}
		if v, ok := sa.GetKeyword(contract.SAMerchant); ok {
			w.merchants = append(w.merchants, v)
		}
		if v, ok := sa.GetBool(contract.SANeedsReview); ok {
			w.needsReview = append(w.needsReview, v)
		}
	}).Return(nil)
	env.SetOnTimerScheduledListener(func(_ string, d time.Duration) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.timers = append(w.timers, timerRec{At: env.Now(), D: d})
	})
	env.SetOnTimerFiredListener(func(string) { w.mu.Lock(); w.timersFired++; w.mu.Unlock() })
	env.SetOnTimerCanceledListener(func(string) { w.mu.Lock(); w.timersCancel++; w.mu.Unlock() })
	return w
}

// run executes the workflow to its end (or to continue-as-new) and returns its result.
func (w *wf) run() (contract.Status, error) {
	w.t.Helper()
	if w.id == "" {
		w.id = contract.WorkflowID(w.req.Merchant, w.req.Provider, w.req.MerchantOrderNo)
	}
	w.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: w.id})
	if w.req.Carry != nil && !w.startWithCarry {
		// A run that carries state is a continued run.
		w.env.SetContinuedExecutionRunID("previous-run")
	}
	w.env.ExecuteWorkflow(contract.WorkflowName, w.req)
	if !w.env.IsWorkflowCompleted() {
		w.t.Fatal("workflow did not complete")
	}
	if err := w.env.GetWorkflowError(); err != nil {
		return contract.Status{}, err
	}
	var st contract.Status
	if err := w.env.GetWorkflowResult(&st); err != nil {
		w.t.Fatal(err)
	}
	return st, nil
}

// mustRun is run for a workflow that must complete without error.
func (w *wf) mustRun() contract.Status {
	w.t.Helper()
	st, err := w.run()
	if err != nil {
		w.t.Fatalf("workflow failed: %v", err)
	}
	return st
}

// at runs fn d after the workflow's start (time-skipped).
func (w *wf) at(d time.Duration, fn func()) { w.env.RegisterDelayedCallback(fn, d) }

func (w *wf) status() contract.Status {
	w.t.Helper()
	v, err := w.env.QueryWorkflow(contract.QueryStatus)
	if err != nil {
		w.t.Fatalf("status query: %v", err)
	}
	var st contract.Status
	if err := v.Get(&st); err != nil {
		w.t.Fatal(err)
	}
	return st
}

func (w *wf) signal(name string, arg any) {
	w.mu.Lock()
	w.signals++
	w.mu.Unlock()
	w.env.SignalWorkflow(name, arg)
}

// updateResult records what became of one update.
type updateResult struct {
	accepted, rejected, completed bool
	err                           error
	status                        contract.Status
}

func (w *wf) update(name, id string, arg any) *updateResult {
	r := &updateResult{}
	w.sendUpdate(r, name, id, arg)
	return r
}

// resolveAt sends the resolve update d after the start; res fills in as the run
// goes.
func (w *wf) resolveAt(d time.Duration, id string, res contract.Resolution) *updateResult {
	r := &updateResult{}
	w.at(d, func() { w.sendUpdate(r, contract.UpdateResolve, id, res) })
	return r
}

// wantCompleted fails the test unless the update was accepted and completed
// without an error.
func wantCompleted(t *testing.T, r *updateResult) {
	t.Helper()
	if !r.accepted || !r.completed || r.err != nil {
		t.Fatalf("update %+v", r)
	}
}

// sendUpdate sends an update whose fate r records.
func (w *wf) sendUpdate(r *updateResult, name, id string, arg any) {
	w.env.UpdateWorkflow(name, id, &testsuite.TestUpdateCallback{
		OnAccept: func() {
			r.accepted = true
			w.mu.Lock()
			w.updates++
			w.mu.Unlock()
		},
		OnReject: func(err error) { r.rejected, r.err = true, err },
		OnComplete: func(v any, err error) {
			r.completed, r.err = true, err
			if st, ok := v.(contract.Status); ok {
				r.status = st
			}
		},
	}, arg)
}

// timersAfter returns the durations of the timers started at or after t0.
func (w *wf) timersAfter(t0 time.Time) []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []time.Duration
	for _, tr := range w.timers {
		if !tr.At.Before(t0) {
			out = append(out, tr.D)
		}
	}
	return out
}

func succeeded() providers.Outcome {
	return providers.Outcome{Kind: providers.Succeeded, Code: "SUCCESS"}
}
func pending() providers.Outcome {
	return providers.Outcome{Kind: providers.Pending, Code: "CANCEL_PROCESSING"}
}

func cancelPending(_ int, attempt int32, _ activities.CancelCall) (activities.CancelResult, error) {
	return activities.CancelResult{Outcome: pending(), Attempt: attempt}, nil
}

func alwaysPending(int, activities.QueryCall) (providers.Outcome, error) { return pending(), nil }

// pendingWF is a cancel the provider takes as pending (CANCEL_PROCESSING); query
// answers the status queries that confirm it.
func pendingWF(t *testing.T, query func(int, activities.QueryCall) (providers.Outcome, error)) *wf {
	t.Helper()
	w := newWF(t)
	w.cancelFn = cancelPending
	w.queryCancelFn = query
	return w
}

// pendingUntil answers status query n pending while n < k, then last.
func pendingUntil(k int, last providers.Outcome) func(int, activities.QueryCall) (providers.Outcome, error) {
	return func(n int, _ activities.QueryCall) (providers.Outcome, error) {
		if n < k {
			return pending(), nil
		}
		return last, nil
	}
}

func failWith(errType string, out providers.Outcome) func(int, int32, activities.CancelCall) (activities.CancelResult, error) {
	return func(_ int, attempt int32, _ activities.CancelCall) (activities.CancelResult, error) {
		res := activities.CancelResult{Outcome: out, Attempt: attempt}
		return res, temporal.NewNonRetryableApplicationError(out.String(), errType, nil, res)
	}
}

func wantState(t *testing.T, st contract.Status, state string) {
	t.Helper()
	if st.State != state {
		t.Fatalf("state %s, want %s (final %q, review %q, last outcome %v)", st.State, state, st.Final, st.ReviewReason, st.LastOutcome)
	}
}

func wantNotified(t *testing.T, w *wf, states ...string) {
	t.Helper()
	var got []string
	for _, n := range w.notifies {
		got = append(got, n.Event.State)
	}
	if !reflect.DeepEqual(got, states) {
		t.Fatalf("merchant notifications for %v, want %v", got, states)
	}
}

// ---- step 1: waiting for the payment's result ----

func TestPaidBySignalBeforeDeadline(t *testing.T) {
	w := newWF(t)
	w.req.PayTimeout = 10 * time.Minute
	w.at(2*time.Minute, func() {
		w.signal(contract.SignalPaymentResult, contract.PaymentResult{Status: "PAID", Source: "order-service"})
	})
	st := w.mustRun()
	wantState(t, st, contract.StatePaid)
	if len(w.cancels) != 0 || w.queryPayments != 0 {
		t.Errorf("cancel calls %d, payment queries %d; want none", len(w.cancels), w.queryPayments)
	}
	if got := w.env.Now().Sub(testStart); got > 3*time.Minute {
		t.Errorf("finished %s after the start, want right after the signal", got)
	}
	wantNotified(t, w, contract.StatePaid)
}

func TestPaidFoundByPolling(t *testing.T) {
	w := newWF(t)
	w.req.PayTimeout = 10 * time.Minute
	w.policy.PaymentPoll = time.Minute
	w.queryPaymentFn = func(n int, _ activities.QueryCall) (providers.PaymentStatus, error) {
		if n < 3 {
			return providers.PaymentStatus{State: providers.PaymentPending, Code: "PENDING"}, nil
		}
		return providers.PaymentStatus{State: providers.PaymentPaid, Code: "SUCCESS"}, nil
	}
	st := w.mustRun()
	wantState(t, st, contract.StatePaid)
	if st.PaymentChecks != 3 || len(w.cancels) != 0 {
		t.Errorf("payment checks %d (want 3), cancels %d (want 0)", st.PaymentChecks, len(w.cancels))
	}
	for i, d := range w.timersAfter(testStart)[:3] {
		if d != time.Minute {
			t.Errorf("poll timer %d is %s, want 1m", i, d)
		}
	}
}

func TestNotNeeded(t *testing.T) {
	t.Run("failed-by-signal", func(t *testing.T) {
		w := newWF(t)
		w.req.PayTimeout = 10 * time.Minute
		w.at(time.Minute, func() { w.signal(contract.SignalPaymentResult, contract.PaymentResult{Status: "FAILED"}) })
		st := w.mustRun()
		wantState(t, st, contract.StateNotNeeded)
		if len(w.cancels) != 0 {
			t.Errorf("cancel called %d times", len(w.cancels))
		}
	})
	t.Run("closed-at-deadline-check", func(t *testing.T) {
		w := newWF(t)
		w.req.PayTimeout = 10 * time.Minute
		w.queryPaymentFn = func(int, activities.QueryCall) (providers.PaymentStatus, error) {
			return providers.PaymentStatus{State: providers.PaymentClosed, Code: "CLOSED"}, nil
		}
		st := w.mustRun()
		wantState(t, st, contract.StateNotNeeded)
		if w.queryPayments != 1 || len(w.cancels) != 0 {
			t.Errorf("payment queries %d (want 1: the last look at the deadline), cancels %d", w.queryPayments, len(w.cancels))
		}
		if got := w.env.Now().Sub(testStart); got < 10*time.Minute {
			t.Errorf("decided %s after the start, before the pay deadline", got)
		}
	})
	t.Run("provider-payment-notification", func(t *testing.T) {
		w := newWF(t)
		w.req.PayTimeout = 10 * time.Minute
		w.at(time.Minute, func() {
			w.signal(contract.SignalProviderNotification, providers.Notification{Type: providers.NotifyPaymentResult, Payment: providers.PaymentFailed})
		})
		wantState(t, w.mustRun(), contract.StateNotNeeded)
	})
}

// ---- step 2: the cancel ----

func TestCancelSucceedsAndMerchantNotified(t *testing.T) {
	w := newWF(t)
	w.req.PayTimeout = 5 * time.Minute
	w.req.NotifyURL = "https://orders.example/cancel-hook"
	st := w.mustRun()
	wantState(t, st, contract.StateCancelled)
	if st.Final != contract.StateCancelled || st.NeedsReview || st.CancelAttempts != 1 || st.CancelRounds != 1 {
		t.Errorf("status %+v", st)
	}
	if w.queryPayments != 1 {
		t.Errorf("payment queries %d, want 1 (the last look at the deadline)", w.queryPayments)
	}
	wantNotified(t, w, contract.StateCancelled)
	n := w.notifies[0]
	if n.URL != "https://orders.example/cancel-hook" || n.Merchant != "acme" || n.EventID == "" ||
		n.Event.MerchantOrderNo != "ord-1001" || n.Event.Amount != 12345 || n.Event.Currency != "USD" || n.Event.Type != "cancel.outcome" {
		t.Errorf("notification %+v", n)
	}
	if !st.Notify.Delivered || st.Notify.Attempts != 1 || st.Notify.EventID != n.EventID {
		t.Errorf("notify status %+v", st.Notify)
	}
	c := w.cancels[0]
	if c.CancelKey != testCancelKey || c.Target.MerchantOrderNo != "ord-1001" || c.Credential != "acme-payermax" ||
		c.WorkflowID != contract.WorkflowID("acme", "payermax", "ord-1001") {
		t.Errorf("cancel call %+v", c)
	}
}

func TestUnknownThenSuccessKeepsTheCancelKey(t *testing.T) {
	w := newWF(t)
	w.cancelFn = func(n int, attempt int32, _ activities.CancelCall) (activities.CancelResult, error) {
		res := activities.CancelResult{Attempt: attempt}
		if n < 3 {
			res.Outcome = providers.UnknownOutcome(providers.CodeTransport, "read timeout")
			return res, temporal.NewApplicationError(res.Outcome.String(), activities.ErrUnknownOutcome, res)
		}
		res.Outcome = succeeded()
		return res, nil
	}
	st := w.mustRun()
	wantState(t, st, contract.StateCancelled)
	if len(w.cancels) != 3 {
		t.Fatalf("%d cancel calls, want 3", len(w.cancels))
	}
	for i, c := range w.cancels[1:] {
		if !reflect.DeepEqual(c, w.cancels[0]) {
			t.Errorf("attempt %d input %+v differs from the first %+v", i+2, c, w.cancels[0])
		}
	}
	if st.CancelKey != w.cancels[0].CancelKey || st.CancelAttempts != 3 || st.CancelRounds != 1 {
		t.Errorf("key %q attempts %d rounds %d", st.CancelKey, st.CancelAttempts, st.CancelRounds)
	}
}

func TestUnknownUntilAttemptsExhausted(t *testing.T) {
	w := newWF(t)
	w.policy.MaxCancelAttempts = 3
	w.cancelFn = func(_ int, attempt int32, _ activities.CancelCall) (activities.CancelResult, error) {
		res := activities.CancelResult{Attempt: attempt, Outcome: providers.UnknownOutcome("U", "unknown")}
		return res, temporal.NewApplicationError("unknown", activities.ErrUnknownOutcome, res)
	}
	w.at(time.Hour, func() {
		st := w.status()
		wantState(t, st, contract.StateNeedsReview)
		if st.ReviewReason != contract.ReviewAttemptsExhausted || st.CancelAttempts != 3 {
			t.Errorf("review %q attempts %d", st.ReviewReason, st.CancelAttempts)
		}
		w.update(contract.UpdateResolve, "r1", contract.Resolution{Action: "CANCELLED", Operator: "ops@acme"})
	})
	wantState(t, w.mustRun(), contract.StateResolvedCancelled)
	if len(w.cancels) != 3 {
		t.Errorf("%d cancel calls, want 3", len(w.cancels))
	}
}

func TestAlreadyPaidAtCancel(t *testing.T) {
	w := newWF(t)
	w.cancelFn = failWith(activities.ErrAlreadyPaid, providers.FailedOutcome(providers.ReasonAlreadyPaid, "ORDER_PAID", "paid"))
	st := w.mustRun()
	wantState(t, st, contract.StatePaidAtCancel)
	if len(w.cancels) != 1 || st.LastOutcome.Code != "ORDER_PAID" {
		t.Errorf("cancels %d, last outcome %v", len(w.cancels), st.LastOutcome)
	}
	wantNotified(t, w, contract.StatePaidAtCancel)
}

// configReview starts a cancel that fails on configuration and lands in review.
func configReview(t *testing.T) *wf {
	w := newWF(t)
	w.cancelFn = failWith(activities.ErrConfiguration, providers.FailedOutcome(providers.ReasonConfiguration, "INVALID_SIGNATURE", "bad key"))
	return w
}

func TestConfigurationFailureGoesToReviewWithoutRetries(t *testing.T) {
	w := configReview(t)
	var mid contract.Status
	w.at(time.Hour, func() {
		mid = w.status()
		w.update(contract.UpdateResolve, "r1", contract.Resolution{Action: "NOT_NEEDED", Operator: "ops@acme"})
	})
	st := w.mustRun()
	wantState(t, mid, contract.StateNeedsReview)
	if !mid.NeedsReview || mid.ReviewReason != contract.ReviewConfiguration || mid.LastOutcome.Code != "INVALID_SIGNATURE" {
		t.Errorf("review status %+v", mid)
	}
	if len(w.cancels) != 1 || mid.CancelAttempts != 1 {
		t.Errorf("cancel called %d times (attempts %d), want once: configuration failures are not retried", len(w.cancels), mid.CancelAttempts)
	}
	wantState(t, st, contract.StateResolvedNotNeeded)
}

// ---- step 3: confirming a pending cancel ----

func TestPendingThenSuccessByPolling(t *testing.T) {
	w := pendingWF(t, pendingUntil(3, succeeded()))
	st := w.mustRun()
	wantState(t, st, contract.StateCancelled)
	if st.QueryAttempts != 3 || len(w.cancels) != 1 {
		t.Errorf("query attempts %d (want 3), cancels %d", st.QueryAttempts, len(w.cancels))
	}
	backoffs := w.timersAfter(testStart)[:3]
	if !reflect.DeepEqual(backoffs, []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second}) {
		t.Errorf("backoffs %v, want 5s 10s 20s", backoffs)
	}
}

func TestBackoffGrowsToItsCap(t *testing.T) {
	w := pendingWF(t, pendingUntil(12, providers.Outcome{Kind: providers.AlreadyDone}))
	wantState(t, w.mustRun(), contract.StateCancelled)
	backoffs := w.timersAfter(testStart)[:12]
	for i := 1; i < len(backoffs); i++ {
		if backoffs[i] < backoffs[i-1] {
			t.Errorf("backoff %d (%s) shorter than the one before (%s)", i, backoffs[i], backoffs[i-1])
		}
	}
	if backoffs[0] != 5*time.Second || backoffs[len(backoffs)-1] != 10*time.Minute {
		t.Errorf("backoffs %v: want 5s first, capped at 10m", backoffs)
	}
}

func TestPendingEndedByProviderNotification(t *testing.T) {
	w := pendingWF(t, alwaysPending)
	// Queries at 5s, 15s, 35s, 75s: the notification arrives before the fourth.
	w.at(50*time.Second, func() {
		w.signal(contract.SignalProviderNotification, providers.Notification{Provider: "payermax", Type: providers.NotifyCancelResult,
			Target: providers.Target{MerchantOrderNo: "ord-1001"}, ProviderRef: "CXL-9",
			Outcome: providers.Outcome{Kind: providers.Succeeded, Code: "CANCEL_SUCCESS"}})
	})
	st := w.mustRun()
	wantState(t, st, contract.StateCancelled)
	if w.queryCancels != 3 || st.ProviderRef != "CXL-9" || st.LastOutcome.Code != "CANCEL_SUCCESS" {
		t.Errorf("queries %d (want 3), provider ref %q, last outcome %v", w.queryCancels, st.ProviderRef, st.LastOutcome)
	}
	if got := w.env.Now().Sub(testStart); got > 51*time.Second {
		t.Errorf("ended %s after the start: the notification did not end the wait at once", got)
	}
}

func TestWindowExpiresWhilePending(t *testing.T) {
	w := newWF(t)
	w.window = 30 * time.Minute
	w.cancelFn = cancelPending
	w.queryCancelFn = alwaysPending
	var mid contract.Status
	w.at(31*time.Minute, func() {
		mid = w.status()
		w.update(contract.UpdateResolve, "r1", contract.Resolution{Action: "CANCELLED", Operator: "ops@acme", Note: "closed in the provider portal"})
	})
	st := w.mustRun()
	wantState(t, mid, contract.StateNeedsReview)
	if mid.ReviewReason != contract.ReviewWindowExpired || !mid.NeedsReview {
		t.Errorf("review reason %q needs review %v", mid.ReviewReason, mid.NeedsReview)
	}
	// No timer runs past the window.
	for _, tr := range w.timers {
		if end := tr.At.Add(tr.D); tr.At.Before(testStart.Add(30*time.Minute)) && end.After(testStart.Add(30*time.Minute)) {
			t.Errorf("a %s timer started at %s runs past the window", tr.D, tr.At.Sub(testStart))
		}
	}
	wantState(t, st, contract.StateResolvedCancelled)
	wantNotified(t, w, contract.StateNeedsReview, contract.StateResolvedCancelled)
}

func TestUnknownUntilWindowCloses(t *testing.T) {
	w := newWF(t)
	w.window = time.Minute
	w.cancelFn = func(_ int, attempt int32, _ activities.CancelCall) (activities.CancelResult, error) {
		res := activities.CancelResult{Attempt: attempt, Outcome: providers.UnknownOutcome("U", "unknown")}
		return res, temporal.NewApplicationError("unknown", activities.ErrUnknownOutcome, res)
	}
	var mid contract.Status
	w.at(time.Hour, func() {
		mid = w.status()
		w.update(contract.UpdateResolve, "r1", contract.Resolution{Action: "CANCELLED", Operator: "ops@acme"})
	})
	w.mustRun()
	wantState(t, mid, contract.StateNeedsReview)
	if mid.ReviewReason != contract.ReviewWindowExpired {
		t.Errorf("review reason %q, want %s: the retries stopped at the window", mid.ReviewReason, contract.ReviewWindowExpired)
	}
	if len(w.cancels) >= 10 {
		t.Errorf("%d cancel attempts: retries did not stop at the window", len(w.cancels))
	}
}

// ---- review: operator resolutions ----

func TestResolutionValid(t *testing.T) {
	w := configReview(t)
	res := w.resolveAt(time.Hour, "r1", contract.Resolution{Action: "REFUNDED", Operator: "ops@acme", Note: "refund 123"})
	st := w.mustRun()
	wantCompleted(t, res)
	wantState(t, st, contract.StateResolvedRefunded)
	if st.Resolution == nil || st.Resolution.Operator != "ops@acme" || st.NeedsReview || st.ReviewReason != "" {
		t.Errorf("status %+v", st)
	}
	wantNotified(t, w, contract.StateNeedsReview, contract.StateResolvedRefunded)
	if last := w.notifies[1].Event; last.Resolution != "REFUNDED" {
		t.Errorf("merchant event resolution %q, want REFUNDED", last.Resolution)
	}
	if w.notifies[0].EventID == w.notifies[1].EventID {
		t.Errorf("review and resolution notifications share the event id %s", w.notifies[0].EventID)
	}
}

func TestResolutionRejected(t *testing.T) {
	cases := []struct {
		name string
		at   time.Duration // before the review (1m: still awaiting payment) or in it
		res  contract.Resolution
	}{
		{"bad-action", time.Hour, contract.Resolution{Action: "IGNORE", Operator: "ops@acme"}},
		{"missing-operator", time.Hour, contract.Resolution{Action: "CANCELLED", Operator: "  "}},
		{"wrong-state", time.Minute, contract.Resolution{Action: "CANCELLED", Operator: "ops@acme"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := configReview(t)
			w.req.PayTimeout = 10 * time.Minute
			var before, after contract.Status
			var res *updateResult
			w.at(tc.at, func() {
				before = w.status()
				res = w.update(contract.UpdateResolve, "bad", tc.res)
			})
			w.at(tc.at+time.Second, func() { after = w.status() })
			w.at(2*time.Hour, func() {
				w.update(contract.UpdateResolve, "good", contract.Resolution{Action: "CANCELLED", Operator: "ops@acme"})
			})
			st := w.mustRun()
			if !res.rejected || res.accepted || res.err == nil {
				t.Fatalf("update not rejected: %+v", res)
			}
			after.UpdatedAt, before.UpdatedAt = time.Time{}, time.Time{}
			if !reflect.DeepEqual(before, after) {
				t.Errorf("state changed by a rejected update:\nbefore %+v\nafter  %+v", before, after)
			}
			wantState(t, st, contract.StateResolvedCancelled)
			if st.Resolution == nil || st.Resolution.Action != "CANCELLED" {
				t.Errorf("resolution %+v", st.Resolution)
			}
		})
	}
}

func TestRetryCancelResumesCancelling(t *testing.T) {
	w := newWF(t)
	w.cancelFn = func(n int, attempt int32, _ activities.CancelCall) (activities.CancelResult, error) {
		if n == 1 {
			return failWith(activities.ErrConfiguration, providers.FailedOutcome(providers.ReasonConfiguration, "INVALID_SIGNATURE", "bad key"))(n, attempt, activities.CancelCall{})
		}
		return activities.CancelResult{Outcome: succeeded(), Attempt: attempt}, nil
	}
	res := w.resolveAt(time.Hour, "retry", contract.Resolution{Action: "RETRY_CANCEL", Operator: "ops@acme", Note: "key rotated"})
	st := w.mustRun()
	wantCompleted(t, res)
	// The update answers with the retry's first step: the cancel's result.
	wantState(t, res.status, contract.StateCancelled)
	wantState(t, st, contract.StateCancelled)
	if len(w.cancels) != 2 || w.cancels[0].CancelKey != w.cancels[1].CancelKey {
		t.Errorf("cancel calls %+v: want two with the same key", w.cancels)
	}
	if st.CancelRounds != 2 || st.CancelAttempts != 1 || st.ReviewReason != "" || st.NeedsReview {
		t.Errorf("status %+v", st)
	}
	wantNotified(t, w, contract.StateNeedsReview, contract.StateCancelled)
}

func TestUnknownCredentialThenRetryCancelAfterTheFix(t *testing.T) {
	// The worker does not know the credential: the cancel waits in review. An
	// operator fixes the configuration and asks for RETRY_CANCEL: the cancel must
	// now run with the credential's real policy (merchant, notify URL, window).
	w := newWF(t)
	fixed := false
	w.policyErr = func(int) error {
		if fixed {
			return nil
		}
		return temporal.NewNonRetryableApplicationError(`credential "acme-payermax" is not configured on this worker`,
			activities.ErrUnknownCredential, nil)
	}
	var mid, stillBroken contract.Status
	var retry1, retry2 *updateResult
	cancelsBefore := -1
	// A retry before the fix finds the credential still unknown: back to review.
	w.at(time.Hour, func() {
		mid = w.status()
		retry1 = w.update(contract.UpdateResolve, "retry-1", contract.Resolution{Action: "RETRY_CANCEL", Operator: "ops@acme"})
	})
	w.at(2*time.Hour, func() {
		stillBroken = w.status()
		cancelsBefore = len(w.cancels)
		fixed = true
		retry2 = w.update(contract.UpdateResolve, "retry-2", contract.Resolution{Action: "RETRY_CANCEL", Operator: "ops@acme"})
	})
	st := w.mustRun()
	// Each RETRY_CANCEL answers (the first one used to wait forever for the state
	// to leave NEEDS_REVIEW): in review again with the reason, then cancelled.
	for _, u := range []*updateResult{retry1, retry2} {
		if u == nil || !u.accepted || !u.completed || u.err != nil {
			t.Fatalf("RETRY_CANCEL update %+v: want it completed", u)
		}
	}
	wantState(t, retry1.status, contract.StateNeedsReview)
	if retry1.status.ReviewReason != contract.ReviewConfiguration || retry1.status.Resolution == nil {
		t.Errorf("first retry answered %+v", retry1.status)
	}
	wantState(t, retry2.status, contract.StateCancelled)
	wantState(t, mid, contract.StateNeedsReview)
	wantState(t, stillBroken, contract.StateNeedsReview)
	if mid.ReviewReason != contract.ReviewConfiguration || stillBroken.ReviewReason != contract.ReviewConfiguration || cancelsBefore != 0 {
		t.Errorf("review %q then %q after %d cancels; want CONFIGURATION before any cancel", mid.ReviewReason, stillBroken.ReviewReason, cancelsBefore)
	}
	if w.policyLoads != 3 {
		t.Errorf("%d policy loads, want 3 (start, each retry)", w.policyLoads)
	}
	wantState(t, st, contract.StateCancelled)
	if len(w.cancels) != 1 {
		t.Fatalf("%d cancel calls after the retry, want 1", len(w.cancels))
	}
	if len(w.notifies) == 0 {
		t.Fatalf("the merchant was never notified (notify %+v): the fixed credential's policy was not loaded", st.Notify)
	}
	last := w.notifies[len(w.notifies)-1]
	if last.Event.State != contract.StateCancelled || last.Merchant != "acme" || last.URL != "https://merchant.example/paycancel" {
		t.Errorf("outcome notification to merchant %q at %q (state %s): the fixed credential's policy was not used",
			last.Merchant, last.URL, last.Event.State)
	}
	if !st.Notify.Delivered {
		t.Errorf("notify %+v", st.Notify)
	}
}

// ---- step 4: the merchant notification ----

func TestNotificationDeliveredAfterFailures(t *testing.T) {
	w := newWF(t)
	w.notifyFn = func(n int, _ activities.NotifyCall) (activities.NotifyResult, error) {
		if n <= 2 {
			return activities.NotifyResult{Status: 503, Error: "HTTP 503"}, nil
		}
		return activities.NotifyResult{Delivered: true, Status: 200}, nil
	}
	st := w.mustRun()
	wantState(t, st, contract.StateCancelled)
	if len(w.notifies) != 3 || !st.Notify.Delivered || st.Notify.Attempts != 3 || st.Notify.LastError != "" {
		t.Fatalf("notifications %d, notify %+v", len(w.notifies), st.Notify)
	}
	for _, n := range w.notifies {
		if n.EventID != st.Notify.EventID {
			t.Errorf("event id %s changed across retries (want %s)", n.EventID, st.Notify.EventID)
		}
	}
	if got := w.timersAfter(testStart); !reflect.DeepEqual(got, defaultSchedule[1:3]) {
		t.Errorf("notification timers %v, want %v", got, defaultSchedule[1:3])
	}
}

func TestNotificationExhaustedThenResent(t *testing.T) {
	w := newWF(t)
	down := true
	w.notifyFn = func(int, activities.NotifyCall) (activities.NotifyResult, error) {
		if down {
			return activities.NotifyResult{Error: "connection refused"}, nil
		}
		return activities.NotifyResult{Delivered: true, Status: 200}, nil
	}
	var exhausted contract.Status
	var early, resend, again *updateResult
	// While the schedule runs (0,30,60,90,120,150 s) a resend is refused.
	w.at(45*time.Second, func() {
		early = w.update(contract.UpdateResendNotification, "early", contract.ResendRequest{Operator: "ops@acme"})
	})
	w.at(time.Hour, func() {
		exhausted = w.status()
		down = false
		again = w.update(contract.UpdateResendNotification, "no-operator", contract.ResendRequest{})
		resend = w.update(contract.UpdateResendNotification, "resend", contract.ResendRequest{Operator: "ops@acme"})
	})
	st := w.mustRun()
	wantState(t, exhausted, contract.StateNotifyExhausted)
	if exhausted.Final != contract.StateCancelled || !exhausted.Notify.Exhausted || exhausted.Notify.Attempts != 6 ||
		exhausted.Notify.LastError != "connection refused" {
		t.Errorf("exhausted status %+v", exhausted)
	}
	if !early.rejected || !again.rejected || !resend.accepted {
		t.Errorf("early %+v, no-operator %+v, resend %+v", early, again, resend)
	}
	if got := w.timersAfter(testStart)[:5]; !reflect.DeepEqual(got, defaultSchedule[1:]) {
		t.Errorf("notification timers %v, want %v", got, defaultSchedule[1:])
	}
	wantState(t, st, contract.StateCancelled)
	if len(w.notifies) != 7 || !st.Notify.Delivered || st.Notify.Exhausted {
		t.Errorf("%d notifications; notify %+v", len(w.notifies), st.Notify)
	}
	for _, n := range w.notifies {
		if n.EventID != w.notifies[0].EventID || n.Event.State != contract.StateCancelled {
			t.Errorf("notification %s/%s; want event %s for CANCELLED", n.EventID, n.Event.State, w.notifies[0].EventID)
		}
	}
	if got := w.env.Now().Sub(testStart); got > 2*time.Hour {
		t.Errorf("completed %s after the start, want right after the resend", got)
	}
}

func TestNotificationExhaustedAndNobodyResends(t *testing.T) {
	w := newWF(t)
	w.notifyFn = func(int, activities.NotifyCall) (activities.NotifyResult, error) {
		return activities.NotifyResult{Status: 500, Error: "HTTP 500"}, nil
	}
	st := w.mustRun()
	wantState(t, st, contract.StateCancelled)
	if !st.Notify.Exhausted || st.Notify.Delivered || len(w.notifies) != 6 {
		t.Errorf("notify %+v after %d attempts", st.Notify, len(w.notifies))
	}
	if got := w.env.Now().Sub(testStart); got < workflows.ResendWindow {
		t.Errorf("completed %s after the start, before the resend window closed", got)
	}
}

// ---- continue-as-new, status query, search attributes ----

// pendingForARun runs a cancel whose provider answers pending until the run
// continues as new, and returns it with the next run's input.
func pendingForARun(t *testing.T) (*wf, contract.CancelRequest) {
	t.Helper()
	w := pendingWF(t, alwaysPending)
	_, err := w.run()
	return w, continued(t, err)
}

// continued decodes the next run's input from a continue-as-new error.
func continued(t *testing.T, err error) contract.CancelRequest {
	t.Helper()
	var can *workflow.ContinueAsNewError
	if !errors.As(err, &can) {
		t.Fatalf("want continue-as-new, got %v", err)
	}
	if can.WorkflowType.Name != contract.WorkflowName {
		t.Errorf("continues as %q", can.WorkflowType.Name)
	}
	var next contract.CancelRequest
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.Carry == nil {
		t.Fatal("continue-as-new input carries no state")
	}
	return next
}

func TestContinueAsNewCarriesState(t *testing.T) {
	w1, next := pendingForARun(t)
	if w1.queryCancels != 100 || next.Carry.Status.QueryAttempts != 100 || next.Carry.Backoff != 10*time.Minute {
		t.Errorf("first run: %d queries, carried %d, backoff %s", w1.queryCancels, next.Carry.Status.QueryAttempts, next.Carry.Backoff)
	}

	w2 := newWF(t)
	w2.env.SetStartTime(w1.env.Now())
	w2.req = next
	var mid contract.Status
	w2.at(time.Second, func() { mid = w2.status() })
	st := w2.mustRun()
	if mid.Runs != 2 || mid.CancelKey != testCancelKey || mid.State != contract.StateConfirming ||
		mid.QueryAttempts != 100 || mid.CancelAttempts != 1 || !mid.WindowDeadline.Equal(testStart.Add(7*24*time.Hour)) {
		t.Errorf("status after continue-as-new %+v", mid)
	}
	wantState(t, st, contract.StateCancelled)
	if st.Runs != 2 || st.QueryAttempts != 101 || len(w2.cancels) != 0 || w2.policyLoads != 0 {
		t.Errorf("runs %d queries %d; second run cancels %d, policy loads %d", st.Runs, st.QueryAttempts, len(w2.cancels), w2.policyLoads)
	}
	if got := w2.timersAfter(w1.env.Now()); len(got) == 0 || got[0] != 10*time.Minute {
		t.Errorf("second run's first backoff %v, want the carried 10m", got)
	}
}

func TestContinueAsNewKeepsSignalsThatArrived(t *testing.T) {
	// Signals arrive during the last query of a run, so they wait in their channels
	// when the run hands over: a decision is acted on in the same run, a recheck is
	// carried into the next one — none is lost.
	deciding := []struct {
		name   string
		signal func(w *wf)
		want   string
	}{
		{"provider-notification", func(w *wf) {
			w.signal(contract.SignalProviderNotification, providers.Notification{Type: providers.NotifyCancelResult,
				Outcome: providers.Outcome{Kind: providers.Succeeded, Code: "CANCEL_SUCCESS"}})
		}, contract.StateCancelled},
		{"payment-paid", func(w *wf) {
			w.signal(contract.SignalPaymentResult, contract.PaymentResult{Status: "PAID", Source: "order-service"})
		}, contract.StatePaidAtCancel},
	}
	for _, tc := range deciding {
		t.Run(tc.name, func(t *testing.T) {
			w := newWF(t)
			w.cancelFn = cancelPending
			w.queryCancelFn = func(n int, _ activities.QueryCall) (providers.Outcome, error) {
				if n == 100 {
					tc.signal(w)
				}
				return pending(), nil
			}
			st := w.mustRun() // no continue-as-new: decided in this run
			wantState(t, st, tc.want)
			if st.Runs != 1 || w.queryCancels != 100 {
				t.Errorf("runs %d, queries %d: want the decision in the first run after its 100th query", st.Runs, w.queryCancels)
			}
			wantNotified(t, w, tc.want)
		})
	}
	t.Run("recheck", func(t *testing.T) {
		w := newWF(t)
		w.cancelFn = cancelPending
		w.queryCancelFn = func(n int, _ activities.QueryCall) (providers.Outcome, error) {
			if n == 100 {
				w.signal(contract.SignalRecheck, nil)
			}
			return pending(), nil
		}
		_, err := w.run()
		next := continued(t, err)
		if !next.Carry.Recheck || next.Carry.Status.State != contract.StateConfirming {
			t.Fatalf("carry: recheck %v, state %s; want the recheck carried in CONFIRMING", next.Carry.Recheck, next.Carry.Status.State)
		}
		w2 := newWF(t)
		w2.env.SetStartTime(w.env.Now())
		w2.req = next
		st := w2.mustRun()
		wantState(t, st, contract.StateCancelled)
		if w2.queryCancels != 1 {
			t.Errorf("second run made %d queries, want 1", w2.queryCancels)
		}
		if got := w2.env.Now().Sub(w.env.Now()); got > time.Second {
			t.Errorf("the carried recheck was answered %s into the next run, want at once", got)
		}
	})
}

func TestStatusQueryMidFlight(t *testing.T) {
	w := newWF(t)
	w.req.PayTimeout = 10 * time.Minute
	w.cancelFn = cancelPending
	w.queryCancelFn = pendingUntil(4, succeeded())
	var awaiting, confirming contract.Status
	w.at(time.Minute, func() { awaiting = w.status() })
	// Queries at 10m05s, 10m15s, 10m35s: after the third, the next waits 40s.
	w.at(10*time.Minute+40*time.Second, func() { confirming = w.status() })
	st := w.mustRun()

	wantState(t, awaiting, contract.StateAwaitingPayment)
	if !awaiting.PayDeadline.Equal(testStart.Add(10*time.Minute)) || !awaiting.WindowDeadline.Equal(testStart.Add(7*24*time.Hour)) ||
		!awaiting.NextCheckAt.Equal(awaiting.PayDeadline) || awaiting.CancelKey == "" || awaiting.Runs != 1 ||
		awaiting.WorkflowID != contract.WorkflowID("acme", "payermax", "ord-1001") || awaiting.Merchant != "acme" {
		t.Errorf("awaiting status %+v", awaiting)
	}
	wantState(t, confirming, contract.StateConfirming)
	if confirming.CancelAttempts != 1 || confirming.QueryAttempts != 3 || confirming.PaymentChecks != 1 ||
		confirming.LastOutcome.Kind != providers.Pending || !confirming.NextCheckAt.Equal(testStart.Add(10*time.Minute+75*time.Second)) {
		t.Errorf("confirming status %+v", confirming)
	}
	wantState(t, st, contract.StateCancelled)
}

func TestSearchAttributesUpserted(t *testing.T) {
	w := configReview(t)
	w.req.PayTimeout = time.Minute
	w.at(time.Hour, func() {
		w.update(contract.UpdateResolve, "r1", contract.Resolution{Action: "PAID", Operator: "ops@acme"})
	})
	wantState(t, w.mustRun(), contract.StateResolvedPaid)
	want := []string{contract.StateAwaitingPayment, contract.StateCancelling, contract.StateNeedsReview, contract.StateResolvedPaid}
	if !reflect.DeepEqual(w.states, want) {
		t.Errorf("CancelState upserts %v, want %v", w.states, want)
	}
	if !reflect.DeepEqual(w.needsReview, []bool{false, true, false}) {
		t.Errorf("NeedsReview upserts %v, want false, true, false", w.needsReview)
	}
	if w.upserts != len(want) {
		t.Errorf("%d upserts, want one per state change (%d)", w.upserts, len(want))
	}
}

func TestCancelKey(t *testing.T) {
	long := "o" + strings.Repeat("0123456789", 6)
	cases := []struct{ merchant, order, key string }{
		{"acme", "ord-1001", testCancelKey},
		// Another merchant's order with the same number: another key.
		{"globex", "ord-1001", "pc-globex-payermax-ord-1001"},
		// PayerMax caps requestId at 64: long ids become a stable hash.
		{"acme", long, ""},
	}
	for _, tc := range cases {
		w := newWF(t)
		w.req.Merchant, w.req.MerchantOrderNo = tc.merchant, tc.order
		st := w.mustRun()
		if len(st.CancelKey) > 64 || (tc.key != "" && st.CancelKey != tc.key) || st.CancelKey != w.cancels[0].CancelKey {
			t.Errorf("%s/%s: key %q (sent %q), want %q", tc.merchant, tc.order, st.CancelKey, w.cancels[0].CancelKey, tc.key)
		}
	}
}

func TestInvalidRequestFails(t *testing.T) {
	w := newWF(t)
	w.req.Amount = 0
	_, err := w.run()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != "InvalidCancelRequest" || !appErr.NonRetryable() {
		t.Fatalf("error %v, want a non-retryable InvalidCancelRequest", err)
	}
}

// ---- the cancel activity's notification (changeNoticeFromCancel) ----

// noticeFromCancel scripts a cancel activity that makes the notification attempt
// it is given, with result sent; it records the calls' Notify.
func noticeFromCancel(w *wf, sent activities.NotifyResult) {
	w.cancelFn = func(_ int, attempt int32, in activities.CancelCall) (activities.CancelResult, error) {
		res := activities.CancelResult{Outcome: providers.Outcome{Kind: providers.Succeeded, Code: "APPLY_SUCCESS"}, Attempt: attempt}
		if in.Notify != nil {
			res.Notified, res.NotifiedAt = &sent, testStart.Add(time.Second)
		}
		return res, nil
	}
}

func TestNoticeFromTheCancelActivity(t *testing.T) {
	t.Run("delivered", func(t *testing.T) {
		w := newWF(t)
		noticeFromCancel(w, activities.NotifyResult{Delivered: true, Status: 204})
		st := w.mustRun()
		wantState(t, st, contract.StateCancelled)
		wantNotified(t, w) // no notification activity
		n := w.cancels[0].Notify
		if n == nil || n.Event.State != contract.StateCancelled || n.URL != testPolicy().NotifyURL || n.Merchant != "acme" ||
			n.Event.MerchantOrderNo != "ord-1001" || n.Event.Amount != 12345 || n.Last {
			t.Fatalf("the cancel call's notification %+v", n)
		}
		if !st.Notify.Delivered || st.Notify.Attempts != 1 || st.Notify.Episode != 1 || st.Notify.EventID != n.EventID ||
			!st.Notify.LastAt.Equal(testStart.Add(time.Second)) {
			t.Errorf("notify status %+v, want the cancel activity's attempt under event %s", st.Notify, n.EventID)
		}
	})
	t.Run("first-attempt-failed", func(t *testing.T) {
		w := newWF(t)
		noticeFromCancel(w, activities.NotifyResult{Status: 503, Error: "HTTP 503: busy"})
		st := w.mustRun()
		wantState(t, st, contract.StateCancelled)
		wantNotified(t, w, contract.StateCancelled) // the schedule's second attempt
		if id := w.cancels[0].Notify.EventID; w.notifies[0].EventID != id || st.Notify.EventID != id {
			t.Errorf("second attempt's event %s, status's %s, want the first's %s", w.notifies[0].EventID, st.Notify.EventID, id)
		}
		if !st.Notify.Delivered || st.Notify.Attempts != 2 {
			t.Errorf("notify status %+v, want delivered at the second attempt", st.Notify)
		}
		if len(w.timers) == 0 || w.timers[len(w.timers)-1].D != defaultSchedule[1] {
			t.Errorf("timers %+v, want the schedule's pause before the second attempt (%s)", w.timers, defaultSchedule[1])
		}
	})
	t.Run("exhausted-after-it", func(t *testing.T) {
		w := newWF(t)
		w.policy.NotifySchedule = []time.Duration{0}
		noticeFromCancel(w, activities.NotifyResult{Error: "connection refused"})
		w.at(time.Hour, func() {
			w.update(contract.UpdateResendNotification, "resend-1", contract.ResendRequest{Operator: "ops@acme"})
		})
		w.notifyFn = func(int, activities.NotifyCall) (activities.NotifyResult, error) {
			return activities.NotifyResult{Delivered: true}, nil
		}
		st := w.mustRun()
		if !w.cancels[0].Notify.Last {
			t.Error("the one attempt of a one-step schedule is not marked last")
		}
		wantState(t, st, contract.StateCancelled)
		if !st.Notify.Delivered || st.Notify.Attempts != 2 || len(w.notifies) != 1 || w.notifies[0].EventID != w.cancels[0].Notify.EventID {
			t.Errorf("notify status %+v after %d resends, want exhausted then delivered by the resend, same event", st.Notify, len(w.notifies))
		}
	})
	t.Run("not-made", func(t *testing.T) {
		// The activity left it to the workflow (something arrived meanwhile).
		w := newWF(t)
		st := w.mustRun()
		wantState(t, st, contract.StateCancelled)
		wantNotified(t, w, contract.StateCancelled)
		if w.cancels[0].Notify == nil || w.notifies[0].EventID != w.cancels[0].Notify.EventID || st.Notify.Attempts != 1 {
			t.Errorf("workflow's notification %+v (status %+v), want the event id the cancel was given", w.notifies[0], st.Notify)
		}
	})
	t.Run("no-notify-url", func(t *testing.T) {
		w := newWF(t)
		w.policy.NotifyURL = ""
		wantState(t, w.mustRun(), contract.StateCancelled)
		if w.cancels[0].Notify != nil {
			t.Errorf("the cancel call carries a notification %+v with nowhere to send it", w.cancels[0].Notify)
		}
	})
}
