package workflows

// Pure functions: the business key, and the mappings of provider answers and
// signals to states.

import (
	"errors"

	"github.com/paycancel/paycancel/activities"
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

// reviewOfFailure is the review reason of a failed cancel activity's error type
// (activities.Err*). A cancel that is paid or needs no cancel has no review; its
// caller decides that first.
func reviewOfFailure(errType string) string {
	switch errType {
	case activities.ErrWindowExpired:
		return contract.ReviewWindowExpired
	case activities.ErrConfiguration, activities.ErrUnknownCredential:
		return contract.ReviewConfiguration
	case activities.ErrNotFound:
		return contract.ReviewNotFound
	case activities.ErrInvalidRequest:
		return contract.ReviewInvalidRequest
	case activities.ErrRejected, activities.ErrPaymentClosed, activities.ErrAlreadyPaid:
		return contract.ReviewRejected
	default: // unknown or rate limited until the retries stopped
		return contract.ReviewAttemptsExhausted
	}
}

// reviewReason is the review reason of a verified failed answer (a status query's,
// a provider notification's): the one the cancel activity's failure of that
// reason gets (activities.ReasonErrorType), so both paths map alike. Its callers
// handle a rate-limited answer (ask again) before asking.
func reviewReason(r providers.Reason) string {
	return reviewOfFailure(activities.ReasonErrorType(r))
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
