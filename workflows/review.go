package workflows

// NEEDS_REVIEW: wait for an operator's resolution.

import (
	"go.temporal.io/sdk/workflow"

	"github.com/paycancel/paycancel/workflows/contract"
)

func (r *run) review() (string, error) {
	if r.deliver(contract.StateNeedsReview) {
		return contract.StateStopped, nil
	}
	r.showDetails()
	if err := workflow.Await(r.ctx, func() bool { return r.resolved != nil }); err != nil {
		if r.stopRequested() {
			return contract.StateStopped, nil
		}
		return "", err
	}
	res := *r.resolved
	r.resolved = nil
	for r.resolvedCh.ReceiveAsync(nil) { // this resolution's wake-up, if no pause read it
	}
	r.st.Resolution = &res
	r.st.ReviewReason = ""
	next := contract.ResolutionActions[res.Action]
	if next == contract.StateCancelling {
		r.st.CancelAttempts = 0
		if r.policy.Merchant == "" {
			// The policy never loaded (unknown credential) and the run holds the
			// fallback: load it now that the configuration is fixed, so the cancel gets
			// the credential's window, merchant and notify URL.
			if err := r.loadPolicy(); err != nil {
				return "", err
			}
			if r.policy.Merchant == "" {
				return contract.StateNeedsReview, nil // still unknown: loadPolicy set the reason
			}
		}
	}
	return next, nil
}
