package workflows

// Pure functions: the business key, and the mappings of provider answers and
// signals to states.

import (
	"errors"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/workflows/contract"
)

// cancelKey is the business key (contract.CancelKey): the same on every attempt and run.
func cancelKey(workflowID string) string { return contract.CancelKey(workflowID) }

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

func errMessage(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}
