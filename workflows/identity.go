package workflows

// The identity of a cancel: which merchant's order, at which provider. Merchant
// order numbers are unique only within one merchant's account at a provider, so a
// cancel is named by the paycancel merchant (the tenant, merchants.<name> in the
// worker's configuration) as well as the provider and the order:
//
//	cancel/<merchant>/<provider>/<merchantOrderNo>
//
// Cancels started before ids were scoped keep their id cancel/<provider>/<order>
// (LegacyWorkflowID) and run to their end as they started; ParseWorkflowID tells
// the two forms apart.
//
// The business key sent to the provider (contract.CancelKey, PayerMax's requestId) is
// derived from the workflow id, so two merchants' cancels of the same order number
// carry two keys. The worker's configuration refuses one provider account in two
// merchants (config.Build), so the merchant scope is never narrower than the
// provider's own scope for order numbers.

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/paycancel/paycancel/activities"
	"github.com/paycancel/paycancel/workflows/contract"
)

// changeMerchantScopedIDs versions the refusal of a new cancel without a merchant.
// Cancels started before merchant-scoped ids had none and must replay as they ran.
const changeMerchantScopedIDs = "merchant-scoped-ids"

// checkIdentity refuses, before any command, a new cancel whose identity is not
// the merchant-scoped one: no merchant, or a workflow id other than
// WorkflowID(merchant, provider, order) — the id is what makes a duplicate start
// attach instead of cancelling twice, and the business key is derived from it.
// Runs that carry a status (continue-as-new, a reconciliation's reopen) keep the
// identity their cancel started with.
func checkIdentity(ctx workflow.Context, req contract.CancelRequest) error {
	if req.Carry != nil {
		return nil
	}
	id := workflow.GetInfo(ctx).WorkflowExecution.ID
	if req.Merchant == "" {
		// Only the runs that lack a merchant pay for the version marker.
		if workflow.GetVersion(ctx, changeMerchantScopedIDs, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
			return nil
		}
		return fmt.Errorf("merchant is required (the paycancel merchant whose order this is); start it again with the merchant and the workflow id %s",
			contract.WorkflowID("<merchant>", req.Provider, req.MerchantOrderNo))
	}
	if want := contract.WorkflowID(req.Merchant, req.Provider, req.MerchantOrderNo); id != want {
		return fmt.Errorf("workflow id %q does not name this request's cancel: merchant %s's order %s at %s has the workflow id %q",
			id, req.Merchant, req.MerchantOrderNo, req.Provider, want)
	}
	return nil
}

// invalidRequest is the failure of a run whose request cannot start a cancel; the
// reuse policy lets the caller start the same id again once corrected.
func invalidRequest(msg string) error {
	return temporal.NewNonRetryableApplicationError("invalid cancel request: "+msg, activities.ErrInvalidRequest, nil)
}

// requestRefused reports whether LoadPolicy refused the request itself: the
// credential is not one of the named merchant's.
func requestRefused(err error) (string, bool) {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == activities.ErrCredentialNotOfMerchant {
		return appErr.Message(), true
	}
	return "", false
}
