package workflows

// CancelPaymentWorkflow's entry and run loop. The phases live one a file:
// await.go (the payment's result), cancelcall.go (the cancel and its failure
// mapping), confirm.go (confirmation and continue-as-new), review.go, notify.go,
// stop.go; handlers.go holds the query and updates, signals.go the one wait and
// drain of the polling phases, decide.go the pure mappings.

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/paycancel/paycancel/activities"
	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/workflows/contract"
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
	// changeNoticeFromCancel: the workflow takes the first attempt of the
	// CANCELLED notification the cancel activity made (inlineNotice asks for it)
	// instead of running its own, so the happy path has no notification
	// activity: asked in the cancel result's workflow task (noticeFromCancel).
	changeNoticeFromCancel = "notice-from-the-cancel-activity"
)

// ResendWindow is how long a cancel whose merchant notification was exhausted
// stays open for an operator's resend before it completes.
const ResendWindow = 7 * 24 * time.Hour

// CancelPaymentWorkflow waits for a payment's result up to its deadline, cancels it
// at the provider if it is still not paid, confirms the cancel, and notifies the
// merchant. One workflow per order (WorkflowID); see the README, "How a cancel runs".
func CancelPaymentWorkflow(ctx workflow.Context, req contract.CancelRequest) (contract.Status, error) {
	if err := req.Validate(); err != nil {
		// Orchestration cannot start on a malformed request; the starter validates
		// the same way, so this only catches clients that skip it.
		return contract.Status{}, invalidRequest(err.Error())
	}
	if info := workflow.GetInfo(ctx); req.Carry != nil && info.ContinuedExecutionRunID == "" && info.ParentWorkflowExecution == nil {
		// Carry is a run's hand-over to its successor (continue-as-new) or a
		// reconciliation's reopen (a child workflow: no client can pose as one). A
		// client's start with it would skip the policy and the checks.
		return contract.Status{}, invalidRequest("carry is set only by the workflow's continue-as-new; leave it empty")
	}
	if err := checkIdentity(ctx, req); err != nil {
		return contract.Status{}, invalidRequest(err.Error())
	}
	r := &run{ctx: ctx, req: req}
	return r.execute()
}

type run struct {
	ctx     workflow.Context
	req     contract.CancelRequest
	policy  contract.CancelPolicy
	st      contract.Status
	backoff time.Duration // the confirmation's current backoff
	queries int           // status queries in this run
	checks  int           // wake-ups while awaiting the payment in this run
	recheck bool          // a recheck is due: read while draining, or carried

	paymentCh  workflow.ReceiveChannel
	providerCh workflow.ReceiveChannel
	recheckCh  workflow.ReceiveChannel
	resolved   *contract.Resolution // set by the resolve update
	resolvedCh workflow.Channel     // wakes a pause of the review's notification
	resend     bool                 // set by the resend update
	resending  bool                 // a resend's delivery attempt is under way
	resends    int                  // resend attempts finished in this run
	steps      int                  // state changes in this run (setState)
	ending     bool                 // the run is about to return: waiting updates answer now

	stopSeen    bool // the stop version was taken
	stopVersion workflow.Version

	noticeSent bool // the cancel activity made the outcome's first notification attempt
}

func (r *run) execute() (contract.Status, error) {
	ctx := r.ctx
	info := workflow.GetInfo(ctx)
	r.paymentCh = workflow.GetSignalChannel(ctx, contract.SignalPaymentResult)
	r.providerCh = workflow.GetSignalChannel(ctx, contract.SignalProviderNotification)
	r.recheckCh = workflow.GetSignalChannel(ctx, contract.SignalRecheck)
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
		r.st = contract.Status{
			WorkflowID: info.WorkflowExecution.ID, Merchant: r.req.Merchant, Provider: r.req.Provider, Credential: r.req.Credential,
			MerchantOrderNo: r.req.MerchantOrderNo,
			// The business key is fixed here, once, and survives every retry and
			// continue-as-new: the workflow id is unique per order.
			CancelKey:   contract.CancelKey(info.WorkflowExecution.ID),
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
		phase = contract.StateAwaitingPayment
		if r.req.PayTimeout == 0 {
			phase = contract.StateCancelling
		}
	}
	for {
		// An operator's stop ends any phase still in flight; a final one ends in
		// finish(), which records the outcome first.
		if phase == contract.StateStopped || (!contract.IsFinal(phase) && phase != contract.StateNotifyExhausted && r.stopRequested()) {
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
		case contract.StateAwaitingPayment:
			next, err = r.awaitPayment()
		case contract.StateCancelling:
			next, err = r.cancel()
		case contract.StateConfirming:
			next, err = r.confirm()
		case contract.StateNeedsReview:
			next, err = r.review()
		default:
			if contract.IsFinal(phase) || phase == contract.StateNotifyExhausted {
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

func (r *run) loadPolicy() error {
	ctx := workflow.WithLocalActivityOptions(r.ctx, workflow.LocalActivityOptions{
		Summary:             "load the merchant's cancel policy",
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
		r.policy = contract.CancelPolicy{NotifyURL: r.req.NotifyURL, NotifySchedule: contract.DefaultNotifySchedule,
			WindowDeadline: r.req.PayStartedAt.Add(7 * 24 * time.Hour), MaxCancelAttempts: contract.DefaultMaxCancelAttempts,
			CancelRetry: contract.DefaultCancelRetry, QueryBackoff: contract.DefaultQueryBackoff}
		r.st.WindowDeadline = r.policy.WindowDeadline
		if r.stopRequested() {
			return nil // stopped while the policy loaded: not a configuration problem
		}
		r.st.State = contract.StateNeedsReview
		r.st.ReviewReason = contract.ReviewConfiguration
		r.st.LastOutcome = providers.FailedOutcome(providers.ReasonConfiguration, activities.ErrUnknownCredential, errMessage(err))
		return nil
	}
	if r.req.CancelDeadline != nil {
		r.policy.WindowDeadline = *r.req.CancelDeadline
	}
	r.st.WindowDeadline = r.policy.WindowDeadline
	return nil
}

// setState records a state change and upserts the search attributes that changed.
func (r *run) setState(state string) {
	r.steps++
	r.st.State = state
	r.st.NeedsReview = state == contract.StateNeedsReview
	if contract.IsFinal(state) {
		r.st.Final = state
	}
	r.st.UpdatedAt = workflow.Now(r.ctx)
	r.upsertSearchAttributes()
	r.showDetails()
}

func (r *run) upsertSearchAttributes() {
	current := workflow.GetTypedSearchAttributes(r.ctx)
	var updates []temporal.SearchAttributeUpdate
	if r.req.Merchant != "" { // cancels started before merchant-scoped ids have none
		if v, ok := current.GetKeyword(contract.SAMerchant); !ok || v != r.req.Merchant {
			updates = append(updates, contract.SAMerchant.ValueSet(r.req.Merchant))
		}
	}
	if v, ok := current.GetKeyword(contract.SAProvider); !ok || v != r.req.Provider {
		updates = append(updates, contract.SAProvider.ValueSet(r.req.Provider))
	}
	if v, ok := current.GetKeyword(contract.SAMerchantOrderNo); !ok || v != r.req.MerchantOrderNo {
		updates = append(updates, contract.SAMerchantOrderNo.ValueSet(r.req.MerchantOrderNo))
	}
	if v, ok := current.GetKeyword(contract.SACancelState); !ok || v != r.st.State {
		updates = append(updates, contract.SACancelState.ValueSet(r.st.State))
	}
	if v, ok := current.GetBool(contract.SANeedsReview); !ok || v != r.st.NeedsReview {
		updates = append(updates, contract.SANeedsReview.ValueSet(r.st.NeedsReview))
	}
	if len(updates) > 0 {
		// An unregistered attribute fails the workflow task, not the cancel: the
		// task retries until an operator registers it.
		_ = workflow.UpsertTypedSearchAttributes(r.ctx, updates...)
	}
}
