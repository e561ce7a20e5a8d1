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

// ResendWindow is how long a cancel whose merchant notification was exhausted
// stays open for an operator's resend before it completes.
const ResendWindow = 7 * 24 * time.Hour

// CancelPaymentWorkflow waits for a payment's result up to its deadline, cancels it
// at the provider if it is still not paid, confirms the cancel, and notifies the
// merchant. One workflow per order (WorkflowID); see shared/design.md for the flow.
func CancelPaymentWorkflow(ctx workflow.Context, req CancelRequest) (Status, error) {
	if err := req.Validate(); err != nil {
		// Orchestration cannot start on a malformed request; the starter validates
		// the same way, so this only catches clients that skip it.
		return Status{}, temporal.NewNonRetryableApplicationError("invalid cancel request: "+err.Error(), "InvalidCancelRequest", nil)
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

	paymentCh  workflow.ReceiveChannel
	providerCh workflow.ReceiveChannel
	recheckCh  workflow.ReceiveChannel
	resolved   *Resolution // set by the resolve update
	resend     bool        // set by the resend update
}

func (r *run) execute() (Status, error) {
	ctx := r.ctx
	info := workflow.GetInfo(ctx)
	r.paymentCh = workflow.GetSignalChannel(ctx, SignalPaymentResult)
	r.providerCh = workflow.GetSignalChannel(ctx, SignalProviderNotification)
	r.recheckCh = workflow.GetSignalChannel(ctx, SignalRecheck)

	if r.req.Carry != nil {
		r.st = r.req.Carry.Status
		r.policy = r.req.Carry.Policy
		r.backoff = r.req.Carry.Backoff
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
		if err := r.loadPolicy(); err != nil {
			return r.st, err
		}
	}
	if r.st.Merchant == "" {
		r.st.Merchant = r.policy.Merchant // a cancel started before merchant-scoped ids
	}
	r.st.Runs++
	if err := r.registerHandlers(); err != nil {
		return r.st, err
	}

	phase := r.st.State
	if phase == "" {
		phase = StateAwaitingPayment
		if r.req.PayTimeout == 0 {
			phase = StateCancelling
		}
	}
	for {
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

var defaultNotifySchedule = []time.Duration{0, 30 * time.Second, 60 * time.Second, 90 * time.Second, 120 * time.Second, 150 * time.Second}

func (r *run) registerHandlers() error {
	ctx := r.ctx
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (Status, error) { return r.st, nil }); err != nil {
		return err
	}
	err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateResolve,
		func(ctx workflow.Context, res Resolution) (Status, error) {
			r.resolved = &res
			// Answer with the status after the resolution took effect, so the
			// operator sees where the cancel went (RESOLVED_…, or CANCELLING again).
			// Cancels resolved before this change answered at once; their histories
			// must replay as they ran.
			if workflow.GetVersion(ctx, "resolve-answers-after-effect", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
				return r.st, nil
			}
			err := workflow.Await(ctx, func() bool { return r.st.State != StateNeedsReview })
			return r.st, err
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
			return r.st, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, req ResendRequest) error {
			if r.st.State != StateNotifyExhausted || r.resend {
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
	ctx := r.ctx
	for {
		now := workflow.Now(ctx)
		if !now.Before(r.st.PayDeadline) {
			break
		}
		wait := r.st.PayDeadline.Sub(now)
		poll := false
		if r.policy.PaymentPoll > 0 && r.policy.PaymentPoll < wait {
			wait, poll = r.policy.PaymentPoll, true
		}
		r.st.NextCheckAt = now.Add(wait)
		timerCtx, cancelTimer := workflow.WithCancel(ctx)
		timer := workflow.NewTimer(timerCtx, wait)
		var decided string
		recheck := false
		sel := workflow.NewSelector(ctx)
		sel.AddFuture(timer, func(workflow.Future) {})
		sel.AddReceive(r.paymentCh, func(c workflow.ReceiveChannel, _ bool) {
			var pr PaymentResult
			c.Receive(ctx, &pr)
			decided = paymentSignalState(pr.Status)
		})
		sel.AddReceive(r.providerCh, func(c workflow.ReceiveChannel, _ bool) {
			var n providers.Notification
			c.Receive(ctx, &n)
			if n.Type == providers.NotifyPaymentResult {
				decided = paymentStateDecision(n.Payment)
			}
		})
		sel.AddReceive(r.recheckCh, func(c workflow.ReceiveChannel, _ bool) {
			c.Receive(ctx, nil)
			recheck = true
		})
		sel.Select(ctx)
		cancelTimer()
		if decided != "" {
			return decided, nil
		}
		if poll || recheck {
			if d := r.checkPayment(); d != "" {
				return d, nil
			}
		}
	}
	// A result signalled while the last poll ran is still in its channel: read it
	// before the last look, or a PAID signal would be answered with a cancel.
	// Cancels that ran before this check replay without it.
	if workflow.GetVersion(ctx, changeDrainBeforeDecision, workflow.DefaultVersion, 1) >= 1 {
		if d := r.drainPaymentSignals(); d != "" {
			return d, nil
		}
	}
	// The deadline passed: one last look before cancelling (shared/design.md step 1).
	if d := r.checkPayment(); d != "" {
		return d, nil
	}
	return StateCancelling, nil
}

// changeDrainBeforeDecision versions the reading of pending signals before a
// deadline decides (the pay deadline's last look, the cancel window's review).
const changeDrainBeforeDecision = "drain-signals-before-deadline-decision"

// drainPaymentSignals reads payment results already received while waiting for
// the payment: PAID, or NOT_NEEDED for a failed/closed one; "" when none decides.
func (r *run) drainPaymentSignals() string {
	decided := ""
	for {
		var pr PaymentResult
		if !r.paymentCh.ReceiveAsync(&pr) {
			break
		}
		if d := paymentSignalState(pr.Status); d != "" && decided != StatePaid {
			decided = d
		}
	}
	for {
		var n providers.Notification
		if !r.providerCh.ReceiveAsync(&n) {
			break
		}
		if n.Type == providers.NotifyPaymentResult {
			if d := paymentStateDecision(n.Payment); d != "" && decided != StatePaid {
				decided = d
			}
		}
	}
	return decided
}

// checkPayment asks the provider; it returns PAID or NOT_NEEDED when that decides
// the cancel, "" to go on.
func (r *run) checkPayment() string {
	r.st.PaymentChecks++
	var ps providers.PaymentStatus
	if err := workflow.ExecuteActivity(r.queryCtx(), acts.QueryPayment, r.queryCall()).Get(r.ctx, &ps); err != nil {
		// The query could not be made (worker trouble after its retries): go on as
		// if unknown, which leads to a cancel — the safe side.
		r.st.LastOutcome = providers.UnknownOutcome("QUERY_FAILED", "%s", errMessage(err))
		return ""
	}
	r.st.LastOutcome = ps.Outcome
	if ps.Code != "" {
		r.st.LastOutcome.Code, r.st.LastOutcome.Message = ps.Code, ps.Message
	}
	return paymentStateDecision(ps.State)
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
	})
	call := activities.CancelCall{Credential: r.req.Credential,
		Target:    providers.Target{MerchantOrderNo: r.req.MerchantOrderNo, ProviderPaymentID: r.req.ProviderPaymentID},
		CancelKey: r.st.CancelKey, ProviderRef: r.st.ProviderRef, WorkflowID: r.st.WorkflowID}

	fut := workflow.ExecuteActivity(actx, acts.CancelPayment, call)
	// A provider notification or a PAID signal may arrive while the cancel is being
	// retried; they are handled after it returns (the channels keep them).
	var res activities.CancelResult
	err := fut.Get(ctx, &res)
	if err == nil {
		out := res.Outcome
		r.st.CancelAttempts += int(res.Attempt)
		r.noteOutcome(out)
		if d, ok := r.drainSignals(); ok {
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

// drainSignals handles signals that arrived while an activity ran: a verified
// provider cancel result, or the payment turning out paid.
func (r *run) drainSignals() (string, bool) {
	var decided string
	for {
		var pr PaymentResult
		if !r.paymentCh.ReceiveAsync(&pr) {
			break
		}
		if paymentSignalState(pr.Status) == StatePaid {
			decided = StatePaidAtCancel
		}
	}
	for {
		var n providers.Notification
		if !r.providerCh.ReceiveAsync(&n) {
			break
		}
		if d := r.fromNotification(n); d != "" && decided == "" {
			decided = d
		}
	}
	return decided, decided != ""
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
				if d, ok := r.drainSignals(); ok {
					return d, nil
				}
			}
			// Past the window with the cancel still pending: a human decides.
			r.st.ReviewReason = ReviewWindowExpired
			return StateNeedsReview, nil
		}
		if r.queries >= queriesPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			return "", r.continueAsNew()
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
		timerCtx, cancelTimer := workflow.WithCancel(ctx)
		timer := workflow.NewTimer(timerCtx, wait)
		var decided string
		sel := workflow.NewSelector(ctx)
		sel.AddFuture(timer, func(workflow.Future) {})
		sel.AddReceive(r.providerCh, func(c workflow.ReceiveChannel, _ bool) {
			var n providers.Notification
			c.Receive(ctx, &n)
			decided = r.fromNotification(n)
		})
		sel.AddReceive(r.paymentCh, func(c workflow.ReceiveChannel, _ bool) {
			var pr PaymentResult
			c.Receive(ctx, &pr)
			if paymentSignalState(pr.Status) == StatePaid {
				decided = StatePaidAtCancel
			}
		})
		sel.AddReceive(r.recheckCh, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
		sel.Select(ctx)
		cancelTimer()
		if decided != "" {
			return decided, nil
		}
		if !workflow.Now(ctx).Before(r.policy.WindowDeadline) {
			continue // the deadline check at the top decides
		}
		r.queries++
		r.st.QueryAttempts++
		var out providers.Outcome
		if err := workflow.ExecuteActivity(r.queryCtx(), acts.QueryCancel, r.queryCall()).Get(ctx, &out); err != nil {
			r.noteOutcome(providers.UnknownOutcome("QUERY_FAILED", "%s", errMessage(err)))
			continue
		}
		r.noteOutcome(out)
		switch {
		case out.Done():
			return StateCancelled, nil
		case out.Kind == providers.Failed && out.Reason == providers.ReasonAlreadyPaid:
			return StatePaidAtCancel, nil
		case out.Kind == providers.Failed && out.Reason != providers.ReasonRateLimited:
			r.st.ReviewReason = reviewReason(out.Reason)
			return StateNeedsReview, nil
		}
		// Pending, unknown or rate limited: ask again after the next backoff.
	}
}

func (r *run) continueAsNew() error {
	// Let update handlers finish, and keep signals that arrived: they are read
	// again by the next run only if they are re-sent, so handle them here first.
	_ = workflow.Await(r.ctx, func() bool { return workflow.AllHandlersFinished(r.ctx) })
	if d, ok := r.drainSignals(); ok {
		r.st.State = d
	}
	next := r.req
	next.Carry = &Carry{Status: r.st, Policy: r.policy, Backoff: r.backoff}
	return workflow.NewContinueAsNewError(r.ctx, CancelPaymentWorkflow, next)
}

// ---- review: wait for an operator ----

func (r *run) review() (string, error) {
	r.deliver(StateNeedsReview)
	if err := workflow.Await(r.ctx, func() bool { return r.resolved != nil }); err != nil {
		return "", err
	}
	res := *r.resolved
	r.resolved = nil
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
	if r.st.State != StateNotifyExhausted {
		r.deliver(r.st.Final)
	}
	for r.st.Notify.Exhausted {
		r.setState(StateNotifyExhausted)
		ok, err := workflow.AwaitWithTimeout(r.ctx, ResendWindow, func() bool { return r.resend })
		if err != nil {
			return r.st, err
		}
		if !ok {
			break // nobody resent within the window: end with the business outcome
		}
		r.resend = false
		r.deliver(r.st.Final)
	}
	if r.st.State != r.st.Final {
		r.setState(r.st.Final)
	}
	_ = workflow.Await(r.ctx, func() bool { return workflow.AllHandlersFinished(r.ctx) })
	return r.st, nil
}

// deliver sends the merchant notification for state on the policy's schedule. The
// event id is stable per (cancel, state): every retry and resend carries it.
func (r *run) deliver(state string) {
	url := r.policy.NotifyURL
	r.st.Notify = NotifyStatus{URL: url, EventID: "evt_" + fnv64(r.st.WorkflowID+"#"+state)}
	if url == "" {
		return
	}
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
	actx := workflow.WithActivityOptions(r.ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 20 * time.Second,
		// The schedule below is the retry policy; one attempt per step keeps each
		// delivery visible in history.
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	schedule := r.policy.NotifySchedule
	if len(schedule) == 0 {
		schedule = defaultNotifySchedule
	}
	for i, wait := range schedule {
		if wait > 0 {
			_ = workflow.Sleep(r.ctx, wait)
		}
		r.st.Notify.Attempts++
		r.st.Notify.LastAt = workflow.Now(r.ctx)
		var res activities.NotifyResult
		err := workflow.ExecuteActivity(actx, acts.NotifyMerchant, activities.NotifyCall{
			Merchant: r.policy.Merchant, URL: url, EventID: r.st.Notify.EventID, Event: event, Last: i == len(schedule)-1,
		}).Get(r.ctx, &res)
		if err == nil && res.Delivered {
			r.st.Notify.Delivered, r.st.Notify.LastError = true, ""
			return
		}
		if err != nil {
			r.st.Notify.LastError = errMessage(err)
		} else {
			r.st.Notify.LastError = res.Error
		}
	}
	r.st.Notify.Exhausted = true
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
