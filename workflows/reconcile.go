package workflows

import (
	"encoding/json"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/paycancel/paycancel/activities"
	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/workflows/contract"
)

// reconcileDefaults fills the zero fields of r with the defaults its comments name.
func reconcileDefaults(r *contract.ReconcileRequest) {
	if r.StuckAfter <= 0 {
		r.StuckAfter = 30 * time.Minute
	}
	if r.VerifyWithin <= 0 {
		r.VerifyWithin = 24 * time.Hour
	}
	if r.MaxPerRun <= 0 {
		r.MaxPerRun = 500
	}
	if r.QueryInterval <= 0 {
		r.QueryInterval = 200 * time.Millisecond
	}
	if r.PageSize <= 0 || r.PageSize > 1000 {
		r.PageSize = 100
	}
}

// ReconcileWorkflow finds cancels stuck in flight and signals them to re-check
// (it never calls a provider's cancel itself, so it can never cancel twice), then
// re-verifies recently finished cancels against the provider's payment status and
// moves disagreeing ones (cancelled here, paid there) to review. It pages through
// visibility, bounds its work per run and continues as new when there is more.
func ReconcileWorkflow(ctx workflow.Context, req contract.ReconcileRequest) (contract.ReconcileReport, error) {
	reconcileDefaults(&req)
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: 5},
	})
	cur := req.Cursor
	if cur == nil {
		cur = &contract.ReconcileCursor{Phase: "stuck", AsOf: workflow.Now(ctx)}
		cur.Report.AsOf = cur.AsOf
	}
	cur.Report.Runs++
	rep := &cur.Report
	budget := req.MaxPerRun

	if cur.Phase == "stuck" {
		for budget > 0 {
			var page activities.CancelPage
			err := workflow.ExecuteActivity(ctx, acts.FindStuckCancels, activities.FindRequest{
				Before: cur.AsOf.Add(-req.StuckAfter), PageSize: min(req.PageSize, budget), PageToken: cur.PageToken,
			}).Get(ctx, &page)
			if err != nil {
				return *rep, err
			}
			if len(page.Cancels) > 0 {
				var signalled []contract.CancelRef
				if err := workflow.ExecuteActivity(ctx, acts.SignalRecheck, page.Cancels).Get(ctx, &signalled); err != nil {
					return *rep, err
				}
				rep.Stuck = append(rep.Stuck, signalled...)
				budget -= len(page.Cancels)
			}
			cur.PageToken = page.NextPageToken
			if len(cur.PageToken) == 0 {
				cur.Phase = "verify"
				break
			}
		}
	}
	if cur.Phase == "verify" {
		for budget > 0 {
			var page activities.CancelPage
			err := workflow.ExecuteActivity(ctx, acts.FindRecentlyCancelled, activities.FindRequest{
				After: cur.AsOf.Add(-req.VerifyWithin), Before: cur.AsOf, PageSize: min(req.PageSize, budget), PageToken: cur.PageToken,
			}).Get(ctx, &page)
			if err != nil {
				return *rep, err
			}
			for _, c := range page.Cancels {
				// One provider query at a time, paced: reconciliation must never
				// crowd out live cancels at a provider's rate limit.
				_ = workflow.Sleep(ctx, req.QueryInterval)
				var v activities.Verification
				if err := workflow.ExecuteActivity(verifyCtx(ctx, c.Provider), acts.VerifyCancelled, c).Get(ctx, &v); err != nil {
					rep.Skipped++
					continue
				}
				switch {
				case v.Disagreement != nil:
					rep.Verified++
					if reopenForReview(ctx, v) {
						rep.Disagreements = append(rep.Disagreements, *v.Disagreement)
					}
				case v.Verified:
					rep.Verified++
				default:
					rep.Skipped++
				}
				budget--
			}
			cur.PageToken = page.NextPageToken
			if len(cur.PageToken) == 0 {
				cur.Phase = "report"
				break
			}
		}
	}
	if cur.Phase != "report" {
		// More than one run's worth: carry on in a fresh history.
		req.Cursor = cur
		return *rep, workflow.NewContinueAsNewError(ctx, ReconcileWorkflow, req)
	}
	var counts map[string]map[string]int64
	if err := workflow.ExecuteActivity(ctx, acts.CountCancels, contract.AllStates()).Get(ctx, &counts); err != nil {
		return *rep, err
	}
	rep.Counts = counts
	workflow.GetLogger(ctx).Info("reconciliation report", "stuck", len(rep.Stuck), "verified", rep.Verified,
		"disagreements", len(rep.Disagreements), "skipped", rep.Skipped, "runs", rep.Runs)
	return *rep, nil
}

// changeReconcileProviderQueues: verifications query the provider on its own task
// queue (the cancels' provider calls go there too), so the worker's per-provider
// concurrency and rate limits (providerLimits) bound reconciliation as well.
const changeReconcileProviderQueues = "reconcile-provider-queues"

// verifyCtx routes a verification to the provider's task queue. A cancel whose
// provider visibility does not name (or names wrongly) stays on this workflow's
// queue: no worker polls a queue for an unknown provider.
func verifyCtx(ctx workflow.Context, provider string) workflow.Context {
	if workflow.GetVersion(ctx, changeReconcileProviderQueues, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return ctx
	}
	for _, p := range contract.ProviderNames {
		if p == provider {
			return workflow.WithTaskQueue(ctx, contract.ProviderTaskQueue(workflow.GetInfo(ctx).TaskQueueName, provider))
		}
	}
	return ctx
}

// reopenForReview starts a new run of the disagreeing cancel (same workflow id)
// that carries its final status into NEEDS_REVIEW with the reason, so the
// disagreement, the merchant notification and the operator's resolution are all
// in that cancel's history. It runs as an abandoned child: visible here too, and
// living on after this run. Only this path may start a run of a finished cancel
// (reuse policy ALLOW_DUPLICATE); order services' starts refuse one. If another
// reconciliation reopened it first, the start fails and nothing is done twice.
func reopenForReview(ctx workflow.Context, v activities.Verification) bool {
	var req contract.CancelRequest
	var st contract.Status
	// Decoding JSON that the activity's result recorded in history is deterministic;
	// workflowcheck flags encoding/json for its reflection, not for this use.
	//workflowcheck:ignore
	if json.Unmarshal(v.Request, &req) != nil || json.Unmarshal(v.Status, &st) != nil || v.Policy == nil {
		workflow.GetLogger(ctx).Error("cannot reopen a disagreeing cancel: unreadable request or status", "workflowId", v.Disagreement.Cancel.WorkflowID)
		return false
	}
	d := v.Disagreement
	st.State, st.Final, st.NeedsReview = contract.StateNeedsReview, "", true
	st.ReviewReason = contract.ReviewDisagreement
	st.LastOutcome = providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonAlreadyPaid, Code: d.Code,
		Message: "reconciliation: the provider reports the payment " + string(d.PaymentState) + " after it was cancelled here"}
	pol := *v.Policy
	if pol.ActivityTaskQueue == "" {
		// The reopened run is this workflow's child, on this task queue: its
		// provider calls go to the provider's queue beside it.
		pol.ActivityTaskQueue = contract.ProviderTaskQueue(workflow.GetInfo(ctx).TaskQueueName, req.Provider)
	}
	req.Carry = &contract.Carry{Status: st, Policy: pol}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            d.Cancel.WorkflowID,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		// The reopened cancel's page says what it is, like a starter's start.
		StaticSummary: contract.Summary(req) + " · reopened for review",
		StaticDetails: contract.StaticDetails(req, d.Cancel.WorkflowID),
	})
	child := workflow.ExecuteChildWorkflow(cctx, contract.WorkflowName, req)
	var started workflow.Execution
	if err := child.GetChildWorkflowExecution().Get(ctx, &started); err != nil {
		workflow.GetLogger(ctx).Info("disagreeing cancel already reopened elsewhere", "workflowId", d.Cancel.WorkflowID, "error", err)
		return false
	}
	return true
}
