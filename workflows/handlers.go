package workflows

// The status query and the resolve and resend updates.

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/paycancel/paycancel/workflows/contract"
)

func (r *run) registerHandlers() error {
	ctx := r.ctx
	if err := workflow.SetQueryHandler(ctx, contract.QueryStatus, func() (contract.Status, error) { return r.st, nil }); err != nil {
		return err
	}
	err := workflow.SetUpdateHandlerWithOptions(ctx, contract.UpdateResolve,
		func(ctx workflow.Context, res contract.Resolution) (contract.Status, error) {
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
				err := workflow.Await(ctx, func() bool { return r.st.State != contract.StateNeedsReview })
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
				return r.ending || r.st.State == contract.StateStopped || (r.steps > from && r.st.State != contract.StateCancelling)
			})
			return r.st, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, res contract.Resolution) error {
			// Rejected here, bad input never enters history.
			if r.st.State != contract.StateNeedsReview || r.resolved != nil {
				return fmt.Errorf("cancel is %s, not NEEDS_REVIEW: nothing to resolve", r.st.State)
			}
			return res.Validate()
		}})
	if err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, contract.UpdateResendNotification,
		func(ctx workflow.Context, req contract.ResendRequest) (contract.Status, error) {
			r.resend = true
			// Resends before changeResendOnce answered at once and ran the whole
			// schedule again.
			if workflow.GetVersion(ctx, changeResendOnce, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
				return r.st, nil
			}
			// Answer after the delivery attempt, with its result.
			from := r.resends
			wait, _ := workflow.NewDisconnectedContext(ctx)
			_ = workflow.Await(wait, func() bool { return r.resends > from || r.ending || r.st.State == contract.StateStopped })
			return r.st, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, req contract.ResendRequest) error {
			if r.resend || r.resending {
				return errors.New("a resend is already under way: wait for its answer")
			}
			if r.st.State != contract.StateNotifyExhausted {
				return fmt.Errorf("cancel is %s: a resend is only possible when NOTIFY_EXHAUSTED", r.st.State)
			}
			if req.Operator == "" {
				return errors.New("operator is required (who resends)")
			}
			return nil
		}})
}
