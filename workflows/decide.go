package workflows

// Pure functions: the business key, and the mappings of provider answers and
// signals to states.

import (
	"errors"
	"fmt"
	"strings"

	"github.com/paycancel/paycancel/providers"
)

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
