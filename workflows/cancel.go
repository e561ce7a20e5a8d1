package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/paycancel/paycancel/activities"
	"github.com/paycancel/paycancel/providers"
)

// Activities are referenced through a nil pointer: the worker registers the real
// struct; here only the method names matter.
var acts *activities.Activities

// queriesPerRun bounds one run's history in a long confirmation: after this many
// status queries the workflow continues as new, carrying its Status. One query costs
// about 11 events (timer, activity, two workflow tasks), so a run stays near 1,100
// events however long the provider takes (a cancel window can be 7 days). A timer
// loop with continue-as-new keeps every query visible in history, which a
// retry-policy poll (one activity retried server-side) would hide.
const queriesPerRun = 100

// checksPerRun bounds one run's history while awaiting the payment the same way:
// a poll (or a recheck, or a signal that decides nothing) costs at most the
// events of a status query, so a run continues as new after this many wake-ups
// (a 1 s poll over a 720 h pay timeout would otherwise write millions of events).
const checksPerRun = 100

// Change ids of workflow.GetVersion: each guards a change to the commands the
// workflow issues, so histories recorded before it replay as they ran.
const (
	// changeDrainBeforeDecision versions the reading of pending signals before a
	// deadline decides (the pay deadline's last look, the cancel window's review).
	changeDrainBeforeDecision = "drain-signals-before-deadline-decision"
	// changeResolveAnswers: v1 answers the resolve update once the state left
	// NEEDS_REVIEW; v2 once the resolution took its first step (a RETRY_CANCEL
	// that lands in review again answers too).
	changeResolveAnswers = "resolve-answers-after-effect"
	// changeStop: a workflow cancellation request stops the cancel (STOPPED). Taken
	// when a request is first seen, so a run stuck on a request under the earlier
	// code stops once this code runs it.
	changeStop = "stop-on-cancel-request"
	// changeAwaitContinueAsNew: awaiting the payment continues as new (checksPerRun).
	changeAwaitContinueAsNew = "await-payment-continue-as-new"
	// changeDrainContinueAsNew: before continuing as new, every signal channel is
	// drained; a decision found is acted on in the same run, a recheck is carried.
	changeDrainContinueAsNew = "drain-all-before-continue-as-new"
	// changeResendOnce: a resend is one delivery attempt, answered after it.
	changeResendOnce = "resend-one-attempt"
	// changeResolutionEndsReviewNotice: a resolution that arrives between the
	// attempts of the review's merchant notification ends that schedule, so the
	// resolve update answers at once instead of after the remaining attempts.
	changeResolutionEndsReviewNotice = "resolution-ends-review-notice"
)

// ResendWindow is how long a cancel whose merchant notification was exhausted
// stays open for an operator's resend before it completes.
const ResendWindow = 7 * 24 * time.Hour

// CancelPaymentWorkflow waits for a payment's result up to its deadline, cancels it
// at the provider if it is still not paid, confirms the cancel, and notifies the
// merchant. One workflow per order (WorkflowID); see the README, "How a cancel runs".
func CancelPaymentWorkflow(ctx workflow.Context, req CancelRequest) (Status, error) {
	if err := req.Validate(); err != nil {
		// Orchestration cannot start on a malformed request; the starter validates
		// the same way, so this only catches clients that skip it.
		return Status{}, invalidRequest(err.Error())
	}
	if info := workflow.GetInfo(ctx); req.Carry != nil && info.ContinuedExecutionRunID == "" && info.ParentWorkflowExecution == nil {
		// Carry is a run's hand-over to its successor (continue-as-new) or a
		// reconciliation's reopen (a child workflow: no client can pose as one). A
		// client's start with it would skip the policy and the checks.
		return Status{}, invalidRequest("carry is set only by the workflow's continue-as-new; leave it empty")
	}
	if err := checkIdentity(ctx, req); err != nil {
		return Status{}, invalidRequest(err.Error())
	}
	r := &run{ctx: ctx, req: req}
	return r.execute()
}

type run struct {
	ctx     workflow.Context
	req     CancelRequest
	policy  activities.CancelPolicy
	st      Status
	backoff time.Duration // the confirmation's current backoff
	queries int           // status queries in this run
	checks  int           // wake-ups while awaiting the payment in this run
	recheck bool          // a recheck is due: read while draining, or carried

	paymentCh  workflow.ReceiveChannel
	providerCh workflow.ReceiveChannel
	recheckCh  workflow.ReceiveChannel
	resolved   *Resolution      // set by the resolve update
	resolvedCh workflow.Channel // wakes a pause of the review's notification
	resend     bool             // set by the resend update
	resending  bool             // a resend's delivery attempt is under way
	resends    int              // resend attempts finished in this run
	steps      int              // state changes in this run (setState)
	ending     bool             // the run is about to return: waiting updates answer now

	stopSeen    bool // the stop version was taken
	stopVersion workflow.Version
}

func (r *run) execute() (Status, error) {
	ctx := r.ctx
	info := workflow.GetInfo(ctx)
	r.paymentCh = workflow.GetSignalChannel(ctx, SignalPaymentResult)
	r.providerCh = workflow.GetSignalChannel(ctx, SignalProviderNotification)
	r.recheckCh = workflow.GetSignalChannel(ctx, SignalRecheck)
	r.resolvedCh = workflow.NewBufferedChannel(ctx, 1)

	fresh := r.req.Carry == nil
	if !fresh {
		r.st = r.req.Carry.Status
		r.policy = r.req.Carry.Policy
		r.backoff = r.req.Carry.Backoff
		r.recheck = r.req.Carry.Recheck
		r.req.Carry = nil
	} else {
		if r.req.PayStartedAt.IsZero() {
			r.req.PayStartedAt = workflow.Now(ctx)
		}
		r.st = Status{
			WorkflowID: info.WorkflowExecution.ID, Merchant: r.req.Merchant, Provider: r.req.Provider, Credential: r.req.Credential,
			MerchantOrderNo: r.req.MerchantOrderNo,
			// The business key is fixed here, once, and survives every retry and
			// continue-as-new: the workflow id is unique per order.
			CancelKey:   cancelKey(info.WorkflowExecution.ID),
			PayDeadline: r.req.PayStartedAt.Add(r.req.PayTimeout),
		}
	}
	r.st.Runs++
	// Handlers before the first blocking call (the policy's local activity): a
	// query or update that arrives with the start finds them.
	if err := r.registerHandlers(); err != nil {
		return r.st, err
	}
	if fresh {
		if err := r.loadPolicy(); err != nil {
			return r.st, err
		}
	}
	if r.st.Merchant == "" {
		r.st.Merchant = r.policy.Merchant // a cancel started before merchant-scoped ids
	}

	phase := r.st.State
	if phase == "" {
		phase = StateAwaitingPayment
		if r.req.PayTimeout == 0 {
			phase = StateCancelling
		}
	}
	for {
		// An operator's stop ends any phase still in flight; a final one ends in
		// finish(), which records the outcome first.
		if phase == StateStopped || (!IsFinal(phase) && phase != StateNotifyExhausted && r.stopRequested()) {
			if r.st.State == "" {
				r.st.State = phase // stopped before its first phase began
			}
			return r.stop()
		}
		r.setState(phase)
		var (
			next string
			err  error
		)
		switch phase {
		case StateAwaitingPayment:
			next, err = r.awaitPayment()
		case StateCancelling:
			next, err = r.cancel()
		case StateConfirming:
			next, err = r.confirm()
		case StateNeedsReview:
			next, err = r.review()
		default:
			if IsFinal(phase) || phase == StateNotifyExhausted {
				return r.finish()
			}
			return r.st, fmt.Errorf("unknown phase %q", phase)
		}
		if err != nil {
			return r.st, err
		}
		phase = next
	}
}

// cancelKey derives the business key from the workflow id. PayerMax caps requestId at
// 64 characters, so long ids are shortened to a stable hash.
func cancelKey(workflowID string) string {
	// TrimPrefix, not slicing: a cancel started by hand with another id must not
	// panic the workflow task.
	// Providers' business keys are ids, not paths: "cancel/payermax/o-1" becomes
	// "pc-payermax-o-1" (order numbers never contain '/': CancelRequest.Validate).
	key := "pc-" + strings.ReplaceAll(strings.TrimPrefix(workflowID, "cancel/"), "/", "-")
	if len(key) <= 64 {
		return key
	}
	return "pc-" + fnv64(workflowID)
}

func fnv64(s string) string {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return fmt.Sprintf("%016x", h)
}

func (r *run) loadPolicy() error {
	ctx := workflow.WithLocalActivityOptions(r.ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	err := workflow.ExecuteLocalActivity(ctx, acts.LoadPolicy, activities.PolicyInput{
		Merchant: r.req.Merchant, Credential: r.req.Credential, Provider: r.req.Provider, PayStartedAt: r.req.PayStartedAt, NotifyURL: r.req.NotifyURL,
	}).Get(ctx, &r.policy)
	if msg, refused := requestRefused(err); refused && r.st.State == "" {
		// Another merchant's credential: the request is wrong, not the
		// configuration. The run fails before anything is sent, and the caller
		// starts it again corrected (the reuse policy allows it after a failure).
		return invalidRequest(msg)
	}
	if err != nil {
		// An unknown credential is a configuration problem a human must fix: the
		// cancel is not dropped, it waits in review with the reason.
		r.policy = activities.CancelPolicy{NotifyURL: r.req.NotifyURL, NotifySchedule: defaultNotifySchedule,
			WindowDeadline: r.req.PayStartedAt.Add(7 * 24 * time.Hour), MaxCancelAttempts: 10,
			CancelRetry:  activities.Backoff{Initial: 2 * time.Second, Max: 2 * time.Minute, Multiplier: 2},
			QueryBackoff: activities.Backoff{Initial: 5 * time.Second, Max: 10 * time.Minute, Multiplier: 2}}
		r.st.WindowDeadline = r.policy.WindowDeadline
		if r.stopRequested() {
			return nil // stopped while the policy loaded: not a configuration problem
		}
		r.st.State = StateNeedsReview
		r.st.ReviewReason = ReviewConfiguration
		r.st.LastOutcome = providers.FailedOutcome(providers.ReasonConfiguration, activities.ErrUnknownCredential, errMessage(err))
		return nil
	}
	if r.req.CancelDeadline != nil {
		r.policy.WindowDeadline = *r.req.CancelDeadline
	}
	r.st.WindowDeadline = r.policy.WindowDeadline
	return nil
}

func (r *run) registerHandlers() error {
	ctx := r.ctx
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (Status, error) { return r.st, nil }); err != nil {
		return err
	}
	err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateResolve,
		func(ctx workflow.Context, res Resolution) (Status, error) {
			r.resolved = &res
			r.resolvedCh.SendAsync(true)
			// Answer with the status after the resolution took effect, so the
			// operator sees where the cancel went. Cancels resolved before v1
			// answered at once, and v1 waited for the state to leave NEEDS_REVIEW
			// (which a RETRY_CANCEL landing in review again never does); their
			// histories replay as they ran.
			switch workflow.GetVersion(ctx, changeResolveAnswers, workflow.DefaultVersion, 2) {
			case workflow.DefaultVersion:
				return r.st, nil
			case 1:
				err := workflow.Await(ctx, func() bool { return r.st.State != StateNeedsReview })
				return r.st, err
			}
			// The first step after the resolution: RESOLVED_…, or for RETRY_CANCEL
			// the cancel's answer (CANCELLED, CONFIRMING, PAID_AT_CANCEL, or
			// NEEDS_REVIEW again with the new reason) — not CANCELLING, which is
			// only the call under way. A stop answers too. The wait is disconnected
			// from the workflow's cancellation so a stop yields STOPPED, not an
			// error.
			from := r.steps
			wait, _ := workflow.NewDisconnectedContext(ctx)
			_ = workflow.Await(wait, func() bool {
				return r.ending || r.st.State == StateStopped || (r.steps > from && r.st.State != StateCancelling)
			})
			return r.st, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, res Resolution) error {
			// Rejected here, bad input never enters history.
			if r.st.State != StateNeedsReview || r.resolved != nil {
				return fmt.Errorf("cancel is %s, not NEEDS_REVIEW: nothing to resolve", r.st.State)
			}
			return res.Validate()
		}})
	if err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateResendNotification,
		func(ctx workflow.Context, req ResendRequest) (Status, error) {
			r.resend = true
			// Resends before changeResendOnce answered at once and ran the whole
			// schedule again.
			if workflow.GetVersion(ctx, changeResendOnce, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
				return r.st, nil
			}
			// Answer after the delivery attempt, with its result.
			from := r.resends
			wait, _ := workflow.NewDisconnectedContext(ctx)
			_ = workflow.Await(wait, func() bool { return r.resends > from || r.ending || r.st.State == StateStopped })
			return r.st, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, req ResendRequest) error {
			if r.resend || r.resending {
				return errors.New("a resend is already under way: wait for its answer")
			}
			if r.st.State != StateNotifyExhausted {
				return fmt.Errorf("cancel is %s: a resend is only possible when NOTIFY_EXHAUSTED", r.st.State)
			}
			if req.Operator == "" {
				return errors.New("operator is required (who resends)")
			}
			return nil
		}})
}

// setState records a state change and upserts the search attributes that changed.
func (r *run) setState(state string) {
	r.steps++
	r.st.State = state
	r.st.NeedsReview = state == StateNeedsReview
	if IsFinal(state) {
		r.st.Final = state
	}
	r.st.UpdatedAt = workflow.Now(r.ctx)
	r.upsertSearchAttributes()
}

func (r *run) upsertSearchAttributes() {
	current := workflow.GetTypedSearchAttributes(r.ctx)
	var updates []temporal.SearchAttributeUpdate
	if r.req.Merchant != "" { // cancels started before merchant-scoped ids have none
		if v, ok := current.GetKeyword(SAMerchant); !ok || v != r.req.Merchant {
			updates = append(updates, SAMerchant.ValueSet(r.req.Merchant))
		}
	}
	if v, ok := current.GetKeyword(SAProvider); !ok || v != r.req.Provider {
		updates = append(updates, SAProvider.ValueSet(r.req.Provider))
	}
	if v, ok := current.GetKeyword(SAMerchantOrderNo); !ok || v != r.req.MerchantOrderNo {
		updates = append(updates, SAMerchantOrderNo.ValueSet(r.req.MerchantOrderNo))
	}
	if v, ok := current.GetKeyword(SACancelState); !ok || v != r.st.State {
		updates = append(updates, SACancelState.ValueSet(r.st.State))
	}
	if v, ok := current.GetBool(SANeedsReview); !ok || v != r.st.NeedsReview {
		updates = append(updates, SANeedsReview.ValueSet(r.st.NeedsReview))
	}
	if len(updates) > 0 {
		// An unregistered attribute fails the workflow task, not the cancel: the
		// task retries until an operator registers it.
		_ = workflow.UpsertTypedSearchAttributes(r.ctx, updates...)
	}
}

// ---- phase 1: wait for the payment's result until the pay deadline ----

func (r *run) awaitPayment() (string, error) {
	for {
		if r.stopRequested() {
			return StateStopped, nil
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
			return StateStopped, nil
		}
		if poll || recheck {
			d, stopped := r.checkPayment()
			if stopped {
				return StateStopped, nil
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
		return StateStopped, nil
	}
	if d != "" {
		return d, nil
	}
	return StateCancelling, nil
}

// waitSignal is the one wait of the polling phases (awaiting the payment,
// confirming a pending cancel): up to d, or until a payment result, a provider
// notification or a recheck arrives, or an operator stops the cancel. decided is
// what a signal decides under the current phase's rules (decision).
func (r *run) waitSignal(d time.Duration) (decided string, recheck bool) {
	timerCtx, cancelTimer := workflow.WithCancel(r.ctx)
	defer cancelTimer()
	timer := workflow.NewTimer(timerCtx, d)
	sel := workflow.NewSelector(r.ctx)
	sel.AddFuture(timer, func(workflow.Future) {})
	payment := func(c workflow.ReceiveChannel, _ bool) {
		var pr PaymentResult
		c.Receive(r.ctx, &pr)
		decided = r.paymentDecision(pr)
	}
	provider := func(c workflow.ReceiveChannel, _ bool) {
		var n providers.Notification
		c.Receive(r.ctx, &n)
		decided = r.notificationDecision(n)
	}
	// When two signals wait together, the first case added is read first: each
	// phase keeps the order it had before this helper, so recorded histories
	// replay as they ran.
	if r.st.State == StateAwaitingPayment {
		sel.AddReceive(r.paymentCh, payment)
		sel.AddReceive(r.providerCh, provider)
	} else {
		sel.AddReceive(r.providerCh, provider)
		sel.AddReceive(r.paymentCh, payment)
	}
	sel.AddReceive(r.recheckCh, func(c workflow.ReceiveChannel, _ bool) {
		c.Receive(r.ctx, nil)
		recheck = true
	})
	// A stop cancels the timer too; this case only makes the wake-up explicit.
	sel.AddReceive(r.ctx.Done(), func(c workflow.ReceiveChannel, _ bool) { c.Receive(r.ctx, nil) })
	sel.Select(r.ctx)
	return decided, recheck
}

// paymentDecision maps a payment-result signal: while awaiting the payment PAID or
// NOT_NEEDED; once cancelling, a payment reported paid is PAID_AT_CANCEL.
func (r *run) paymentDecision(pr PaymentResult) string {
	d := paymentSignalState(pr.Status)
	switch {
	case r.st.State == StateAwaitingPayment:
		return d
	case d == StatePaid:
		return StatePaidAtCancel
	}
	return ""
}

// notificationDecision maps a verified provider notification under the current phase.
func (r *run) notificationDecision(n providers.Notification) string {
	if r.st.State == StateAwaitingPayment {
		if n.Type == providers.NotifyPaymentResult {
			return paymentStateDecision(n.Payment)
		}
		return ""
	}
	return r.fromNotification(n)
}

// drain reads the signals already received without waiting, and returns what
// they decide under the current phase's rules: evidence of a payment (PAID,
// PAID_AT_CANCEL) wins, otherwise the first decision. With withRecheck it also
// reads recheck signals into r.recheck (continue-as-new carries it); otherwise
// those stay for the next wait.
func (r *run) drain(withRecheck bool) string {
	decided := ""
	take := func(d string) {
		paid := func(s string) bool { return s == StatePaid || s == StatePaidAtCancel }
		if d != "" && (decided == "" || (paid(d) && !paid(decided))) {
			decided = d
		}
	}
	for {
		var pr PaymentResult
		if !r.paymentCh.ReceiveAsync(&pr) {
			break
		}
		take(r.paymentDecision(pr))
	}
	for {
		var n providers.Notification
		if !r.providerCh.ReceiveAsync(&n) {
			break
		}
		take(r.notificationDecision(n))
	}
	for withRecheck && r.recheckCh.ReceiveAsync(nil) {
		r.recheck = true
	}
	return decided
}

// checkPayment asks the provider; it returns PAID or NOT_NEEDED when that decides
// the cancel, "" to go on, and stopped when an operator's stop came during the call.
func (r *run) checkPayment() (decided string, stopped bool) {
	r.st.PaymentChecks++
	var ps providers.PaymentStatus
	err, stopped := r.get(r.ctx, workflow.ExecuteActivity(r.queryCtx(), acts.QueryPayment, r.queryCall()), &ps)
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

func paymentStateDecision(s providers.PaymentState) string {
	switch s {
	case providers.PaymentPaid:
		return StatePaid
	case providers.PaymentFailed, providers.PaymentClosed:
		return StateNotNeeded
	}
	// Pending, unknown, not found (it may still appear), refunded: cancel to be sure.
	return ""
}

func paymentSignalState(status string) string {
	switch status {
	case "PAID":
		return StatePaid
	case "FAILED", "CLOSED":
		return StateNotNeeded
	}
	return ""
}

func (r *run) queryCall() activities.QueryCall {
	return activities.QueryCall{Credential: r.req.Credential,
		Target:    providers.Target{MerchantOrderNo: r.req.MerchantOrderNo, ProviderPaymentID: r.req.ProviderPaymentID},
		CancelKey: r.st.CancelKey, ProviderRef: r.st.ProviderRef}
}

func (r *run) queryCtx() workflow.Context {
	return workflow.WithActivityOptions(r.ctx, workflow.ActivityOptions{
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

// ---- phase 2: cancel at the provider ----

func (r *run) cancel() (string, error) {
	ctx := r.ctx
	now := workflow.Now(ctx)
	if !now.Before(r.policy.WindowDeadline) {
		r.st.ReviewReason = ReviewWindowExpired
		r.st.LastOutcome = providers.FailedOutcome(providers.ReasonWindowExpired, "LOCAL_WINDOW_EXPIRED",
			"the cancel window closed at "+r.policy.WindowDeadline.UTC().Format(time.RFC3339)+" before a cancel could be sent")
		return StateNeedsReview, nil
	}
	r.st.CancelRounds++
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
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
		CancelKey: r.st.CancelKey, ProviderRef: r.st.ProviderRef, WorkflowID: r.st.WorkflowID}

	// A provider notification or a PAID signal may arrive while the cancel is being
	// retried; they are handled after it returns (the channels keep them).
	var res activities.CancelResult
	err, stopped := r.get(ctx, workflow.ExecuteActivity(actx, acts.CancelPayment, call), &res)
	if stopped {
		r.noteStoppedCall(err, &res)
		return StateStopped, nil
	}
	if err == nil {
		out := res.Outcome
		r.st.CancelAttempts += int(res.Attempt)
		r.noteOutcome(out)
		if d := r.drain(false); d != "" {
			return d, nil
		}
		switch out.Kind {
		case providers.Succeeded, providers.AlreadyDone:
			return StateCancelled, nil
		default: // Pending (the activity returns only done or pending as results)
			r.backoff = 0
			return StateConfirming, nil
		}
	}
	return r.cancelFailure(err), nil
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
			return StatePaidAtCancel
		case activities.ErrWindowExpired:
			r.st.ReviewReason = ReviewWindowExpired
		case activities.ErrConfiguration, activities.ErrUnknownCredential:
			r.st.ReviewReason = ReviewConfiguration
		case activities.ErrNotFound:
			r.st.ReviewReason = ReviewNotFound
		case activities.ErrInvalidRequest:
			r.st.ReviewReason = ReviewInvalidRequest
		case activities.ErrRejected:
			r.st.ReviewReason = ReviewRejected
		case activities.ErrPaymentClosed:
			if r.paymentClosedIsNotNeeded() {
				return StateNotNeeded
			}
			r.st.ReviewReason = ReviewRejected
		default: // unknown or rate limited until the retries stopped
			r.st.ReviewReason = ReviewAttemptsExhausted
			// Retries that stop at the cancel window (ScheduleToCloseTimeout) arrive as
			// the last attempt's application error too — the server reports RetryState
			// TIMEOUT, or a schedule-to-close timeout whose cause is that error — so the
			// window is told apart here, not by the timeout branch below.
			var actErr *temporal.ActivityError
			if (errors.As(err, &actErr) && actErr.RetryState() == enumspb.RETRY_STATE_TIMEOUT) ||
				(res.Attempt > 0 && int(res.Attempt) < r.policy.MaxCancelAttempts) {
				r.st.ReviewReason = ReviewWindowExpired
			}
		}
	case errors.As(err, &timeoutErr) && timeoutErr.TimeoutType() == enumspb.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE:
		r.st.ReviewReason = ReviewWindowExpired
		r.noteOutcome(providers.UnknownOutcome("WINDOW_EXPIRED_WHILE_RETRYING", "%s", errMessage(err)))
	default:
		// Start-to-close or heartbeat timeouts until the attempts ran out.
		r.st.CancelAttempts += r.policy.MaxCancelAttempts
		r.st.ReviewReason = ReviewAttemptsExhausted
		r.noteOutcome(providers.UnknownOutcome("ACTIVITY_FAILED", "%s", errMessage(err)))
	}
	return StateNeedsReview
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
			return StateCancelled
		case n.Outcome.Kind == providers.Failed:
			r.st.LastOutcome = n.Outcome
			if n.Outcome.Reason == providers.ReasonAlreadyPaid {
				return StatePaidAtCancel
			}
			r.st.ReviewReason = reviewReason(n.Outcome.Reason)
			return StateNeedsReview
		}
	case providers.NotifyPaymentResult:
		if n.Payment == providers.PaymentPaid {
			r.st.LastOutcome = providers.FailedOutcome(providers.ReasonAlreadyPaid, "PAYMENT_NOTIFICATION", "the provider reported the payment paid")
			return StatePaidAtCancel
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

func reviewReason(r providers.Reason) string {
	switch r {
	case providers.ReasonWindowExpired:
		return ReviewWindowExpired
	case providers.ReasonConfiguration:
		return ReviewConfiguration
	case providers.ReasonNotFound:
		return ReviewNotFound
	case providers.ReasonInvalidRequest:
		return ReviewInvalidRequest
	default:
		return ReviewRejected
	}
}

// ---- phase 3: confirm a pending cancel with capped exponential backoff ----

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
			r.st.ReviewReason = ReviewWindowExpired
			return StateNeedsReview, nil
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
			return StateStopped, nil
		}
		if !workflow.Now(ctx).Before(r.policy.WindowDeadline) {
			continue // the deadline check at the top decides
		}
		r.queries++
		r.st.QueryAttempts++
		var out providers.Outcome
		err, stopped := r.get(ctx, workflow.ExecuteActivity(r.queryCtx(), acts.QueryCancel, r.queryCall()), &out)
		if stopped {
			if err == nil {
				r.noteOutcome(out)
			}
			return StateStopped, nil
		}
		if err != nil {
			r.noteOutcome(providers.UnknownOutcome("QUERY_FAILED", "%s", errMessage(err)))
			continue
		}
		r.noteOutcome(out)
		switch {
		case out.Done():
			return StateCancelled, nil
		case out.Kind == providers.Failed && out.Reason == providers.ReasonAlreadyPaid:
			return StatePaidAtCancel, nil
		case out.Kind == providers.Failed && out.Reason == providers.ReasonPaymentClosed && r.paymentClosedIsNotNeeded():
			return StateNotNeeded, nil
		case out.Kind == providers.Failed && out.Reason != providers.ReasonRateLimited:
			r.st.ReviewReason = reviewReason(out.Reason)
			return StateNeedsReview, nil
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
	_ = workflow.Await(r.ctx, func() bool { return workflow.AllHandlersFinished(r.ctx) })
	if workflow.GetVersion(r.ctx, changeDrainContinueAsNew, workflow.DefaultVersion, 1) >= 1 {
		if r.stopRequested() {
			return StateStopped, nil
		}
		if d := r.drain(true); d != "" {
			return d, nil
		}
	} else if d := r.drain(false); d != "" {
		r.st.State = d
	}
	next := r.req
	next.Carry = &Carry{Status: r.st, Policy: r.policy, Backoff: r.backoff, Recheck: r.recheck}
	return "", workflow.NewContinueAsNewError(r.ctx, CancelPaymentWorkflow, next)
}

// ---- review: wait for an operator ----

func (r *run) review() (string, error) {
	if r.deliver(StateNeedsReview) {
		return StateStopped, nil
	}
	if err := workflow.Await(r.ctx, func() bool { return r.resolved != nil }); err != nil {
		if r.stopRequested() {
			return StateStopped, nil
		}
		return "", err
	}
	res := *r.resolved
	r.resolved = nil
	for r.resolvedCh.ReceiveAsync(nil) { // this resolution's wake-up, if no pause read it
	}
	r.st.Resolution = &res
	r.st.ReviewReason = ""
	next := ResolutionActions[res.Action]
	if next == StateCancelling {
		r.st.CancelAttempts = 0
		if r.policy.Merchant == "" {
			// The policy never loaded (unknown credential) and the run holds the
			// fallback: load it now that the configuration is fixed, so the cancel gets
			// the credential's window, merchant and notify URL.
			if err := r.loadPolicy(); err != nil {
				return "", err
			}
			if r.policy.Merchant == "" {
				return StateNeedsReview, nil // still unknown: loadPolicy set the reason
			}
		}
	}
	return next, nil
}

// ---- phase 4: tell the merchant ----

func (r *run) finish() (Status, error) {
	if r.stopRequested() {
		return r.stop()
	}
	if r.st.State != StateNotifyExhausted && r.deliver(r.st.Final) {
		return r.stop()
	}
	for r.st.Notify.Exhausted {
		r.setState(StateNotifyExhausted)
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
			if r.runSchedule(r.st.Final) {
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
	_ = workflow.Await(r.ctx, func() bool { return workflow.AllHandlersFinished(r.ctx) })
	return r.st, nil
}

// deliver starts a notification episode for state and runs it on the policy's
// schedule. Each episode (an outcome, a review — a new review episode included —,
// a stop) has its own event id, which its retries and resends keep. It returns
// true when an operator's stop ended it (the attempt under way recorded).
func (r *run) deliver(state string) (stopped bool) {
	r.newEpisode(state)
	return r.runSchedule(state)
}

// runSchedule delivers the current episode's event on the policy's schedule.
func (r *run) runSchedule(state string) (stopped bool) {
	n := r.st.Notify
	r.st.Notify = NotifyStatus{URL: n.URL, EventID: n.EventID, Episode: n.Episode}
	if r.st.Notify.URL == "" {
		return false
	}
	event := r.event(state)
	schedule := r.policy.NotifySchedule
	if len(schedule) == 0 {
		schedule = defaultNotifySchedule
	}
	for i, wait := range schedule {
		if wait > 0 && r.pause(wait) {
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
	if r.st.State != StateNeedsReview {
		_ = workflow.Sleep(r.ctx, d)
		return false
	}
	timerCtx, cancelTimer := workflow.WithCancel(r.ctx)
	defer cancelTimer()
	timer := workflow.NewTimer(timerCtx, d)
	resolved := false
	sel := workflow.NewSelector(r.ctx)
	sel.AddFuture(timer, func(workflow.Future) {})
	sel.AddReceive(r.resolvedCh, func(c workflow.ReceiveChannel, _ bool) { c.Receive(r.ctx, nil); resolved = true })
	sel.Select(r.ctx)
	if !resolved {
		return false
	}
	if workflow.GetVersion(r.ctx, changeResolutionEndsReviewNotice, workflow.DefaultVersion, 1) >= 1 {
		return true
	}
	_ = timer.Get(r.ctx, nil)
	return false
}

// newEpisode resets the notification status for a new episode with a new event id.
func (r *run) newEpisode(state string) {
	ep := r.st.Notify.Episode + 1
	r.st.Notify = NotifyStatus{URL: r.policy.NotifyURL, Episode: ep,
		EventID: "evt_" + fnv64(fmt.Sprintf("%s#%s#%d", r.st.WorkflowID, state, ep))}
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
	if state == StateStopped && r.st.Stopped != nil {
		event.Reason, event.Final = r.st.Stopped.Reason, r.st.Final
	}
	return event
}

// notifyAttempt makes one delivery attempt of the current episode, watching ctx
// for a stop (the attempt then finishes and is recorded). It reports the stop.
func (r *run) notifyAttempt(ctx workflow.Context, event activities.MerchantEvent, last bool) (stopped bool) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
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

// ---- an operator's stop ----

// stopRequested reports whether the workflow's cancellation was requested and is
// handled as a stop. The version is taken when a request is first seen: runs that
// saw one under the earlier code (DefaultVersion) replay the earlier handling.
func (r *run) stopRequested() bool {
	if r.ctx.Err() == nil {
		return false
	}
	if !r.stopSeen {
		r.stopSeen = true
		r.stopVersion = workflow.GetVersion(r.ctx, changeStop, workflow.DefaultVersion, 1)
	}
	return r.stopVersion >= 1
}

// get waits for a provider or merchant call (scheduled with WaitForCancellation)
// and reports whether an operator's stop came while it ran. A stop cancels the
// activity with the workflow: the server ends it at once between retries, and an
// attempt under way finishes its call (the activities shield it) — get waits for
// that answer so it is recorded. ctx is the context whose cancellation is the
// stop (a disconnected one never stops).
func (r *run) get(ctx workflow.Context, fut workflow.Future, v any) (err error, stopped bool) {
	if !fut.IsReady() {
		sel := workflow.NewSelector(ctx)
		sel.AddFuture(fut, func(workflow.Future) {})
		sel.AddReceive(ctx.Done(), func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
		sel.Select(ctx)
		if !fut.IsReady() && !r.stopRequested() {
			// Runs from before changeStop took the cancellation for the call's
			// failure at once (the call was not waited for).
			return temporal.NewCanceledError(), false
		}
	}
	err = fut.Get(ctx, v)
	return err, ctx.Err() != nil && r.stopRequested()
}

// stop ends the cancel in STOPPED: the phase and reason in Status.Stopped and the
// search attributes, the last provider answer in LastOutcome, one attempt to tell
// the merchant (with a business outcome reached before the stop as "final"),
// and every update answered. It returns the Status as the workflow's result — the
// execution completes rather than closing as canceled, so the result shows in the
// Web UI and `starter status` — and it never fails a workflow task: its calls run
// on a context the cancellation does not reach.
func (r *run) stop() (Status, error) {
	ctx, _ := workflow.NewDisconnectedContext(r.ctx)
	r.st.Stopped = &Stop{Phase: r.st.State, Reason: StopCancelRequested, At: workflow.Now(ctx)}
	r.st.NextCheckAt = time.Time{}
	r.setState(StateStopped)
	r.newEpisode(StateStopped)
	if r.st.Notify.URL != "" {
		r.notifyAttempt(ctx, r.event(StateStopped), true)
	}
	r.ending = true
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return r.st, nil
}

func errMessage(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}
