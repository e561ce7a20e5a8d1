package contract

import (
	"slices"
	"sort"
)

// States of a cancel. The first four are in flight; the rest are final (a final
// state can still be followed by NOTIFY_EXHAUSTED while the merchant cannot be reached).
const (
	StateAwaitingPayment = "AWAITING_PAYMENT" // waiting for the pay deadline
	StateCancelling      = "CANCELLING"       // sending the cancel
	StateConfirming      = "CONFIRMING"       // cancel pending: querying with backoff
	StateNeedsReview     = "NEEDS_REVIEW"     // waiting for an operator's resolution

	StatePaid              = "PAID"               // paid before the deadline: nothing cancelled
	StateNotNeeded         = "NOT_NEEDED"         // the payment definitely failed or closed
	StateCancelled         = "CANCELLED"          // cancelled at the provider, confirmed
	StatePaidAtCancel      = "PAID_AT_CANCEL"     // the provider says it was paid: refund or fulfil
	StateResolvedCancelled = "RESOLVED_CANCELLED" // operator: cancelled/closed by hand
	StateResolvedPaid      = "RESOLVED_PAID"      // operator: the payment stands (fulfil the order)
	StateResolvedRefunded  = "RESOLVED_REFUNDED"  // operator: paid, then refunded by hand
	StateResolvedNotNeeded = "RESOLVED_NOT_NEEDED"

	// StateNotifyExhausted: final outcome reached but the merchant notification
	// schedule ran out; an operator can resend (UpdateResendNotification).
	StateNotifyExhausted = "NOTIFY_EXHAUSTED"

	// StateStopped: an operator stopped the cancel (a workflow cancellation
	// request: the Web UI's Cancel, `temporal workflow cancel`). Nothing more is
	// done; Status.Stopped says where, LastOutcome holds the last provider answer
	// (a call under way when the request came was let finish and recorded), and
	// Final keeps a business outcome reached before the stop. Not a business
	// outcome itself: whoever stopped it decides what happens to the payment.
	StateStopped = "STOPPED"
)

// InFlightStates are the states of a cancel still working towards an outcome
// (the reconciliation re-checks those stuck in them).
var InFlightStates = []string{StateAwaitingPayment, StateCancelling, StateConfirming}

// FinalStates are the business outcomes a cancel ends in.
var FinalStates = []string{StatePaid, StateNotNeeded, StateCancelled, StatePaidAtCancel,
	StateResolvedCancelled, StateResolvedPaid, StateResolvedRefunded, StateResolvedNotNeeded}

// AllStates lists every CancelState value, sorted (for counting and for checking
// a state filter).
func AllStates() []string {
	states := append(append([]string{}, InFlightStates...), StateNeedsReview, StateNotifyExhausted, StateStopped)
	states = append(states, FinalStates...)
	sort.Strings(states)
	return states
}

// IsFinal reports whether s is a final business state.
func IsFinal(s string) bool { return slices.Contains(FinalStates, s) }

// StopCancelRequested is Stop.Reason for a workflow cancellation request.
const StopCancelRequested = "WORKFLOW_CANCEL_REQUESTED"

// Review reasons (Status.ReviewReason).
const (
	ReviewWindowExpired     = "WINDOW_EXPIRED"
	ReviewConfiguration     = "CONFIGURATION"
	ReviewAttemptsExhausted = "ATTEMPTS_EXHAUSTED"
	ReviewNotFound          = "NOT_FOUND"
	ReviewRejected          = "REJECTED"
	ReviewInvalidRequest    = "INVALID_REQUEST"
	ReviewDisagreement      = "PROVIDER_DISAGREES"
)
