package workflows

// Pure functions: the business key, and the mappings of provider answers and
// signals to states.

import (
	"errors"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/workflows/contract"
)

func paymentStateDecision(s providers.PaymentState) string {
	switch s {
	case providers.PaymentPaid:
		return contract.StatePaid
	case providers.PaymentFailed, providers.PaymentClosed:
		return contract.StateNotNeeded
	}
	// Pending, unknown, not found (it may still appear), refunded: cancel to be sure.
	return ""
}

func paymentSignalState(status string) string {
	switch status {
	case "PAID":
		return contract.StatePaid
	case "FAILED", "CLOSED":
		return contract.StateNotNeeded
	}
	return ""
}

func reviewReason(r providers.Reason) string {
	switch r {
	case providers.ReasonWindowExpired:
		return contract.ReviewWindowExpired
	case providers.ReasonConfiguration:
		return contract.ReviewConfiguration
	case providers.ReasonNotFound:
		return contract.ReviewNotFound
	case providers.ReasonInvalidRequest:
		return contract.ReviewInvalidRequest
	default:
		return contract.ReviewRejected
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
