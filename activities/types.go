package activities

import (
	"time"

	"github.com/paycancel/paycancel/providers"
)

// PolicyInput asks for one cancel's policy.
type PolicyInput struct {
	// Merchant is the paycancel merchant the request names; the credential must be
	// one of its credential sets. Empty for cancels started before merchant-scoped
	// ids (no check: their credential named the merchant).
	Merchant     string    `json:"merchant,omitempty"`
	Credential   string    `json:"credential"`
	Provider     string    `json:"provider"`
	PayStartedAt time.Time `json:"payStartedAt"`
	// NotifyURL is the cancel's own notify URL, if the order service gave one.
	NotifyURL string `json:"notifyUrl,omitempty"`
}

// CancelCall is one cancel activity call. Every field is fixed by the workflow and
// identical on every attempt (retries included); per-attempt fields are made by the
// adapter inside the attempt.
type CancelCall struct {
	Credential string           `json:"credential"`
	Target     providers.Target `json:"target"`
	// CancelKey is the business key of this cancel (PayerMax requestId).
	CancelKey string `json:"cancelKey"`
	// ProviderRef is the provider's cancel id from an earlier call (GNETE cancelOrderId).
	ProviderRef string `json:"providerRef,omitempty"`
	// WorkflowID names the cancel in the call's recorded input (the Web UI shows
	// it); the callback URL the activity builds names the order instead.
	WorkflowID string `json:"workflowId"`
	// Notify is the first attempt of the merchant notification a done cancel
	// starts (state CANCELLED; the activity adds the provider's code, message and
	// reference, and the time). The activity makes it only when nothing reached
	// the workflow since it scheduled the call, and reports it in
	// CancelResult.Notified; otherwise the workflow notifies. Nil: never.
	Notify *NotifyCall `json:"notify,omitempty"`
}

// QueryCall asks for a cancel's or a payment's status.
type QueryCall struct {
	Credential  string           `json:"credential"`
	Target      providers.Target `json:"target"`
	CancelKey   string           `json:"cancelKey,omitempty"`
	ProviderRef string           `json:"providerRef,omitempty"`
}

// NotifyCall is one merchant notification attempt.
type NotifyCall struct {
	Merchant string `json:"merchant"`
	URL      string `json:"url"`
	// EventID is the webhook-id: stable across every retry and resend of this event.
	EventID string `json:"eventId"`
	// Event is the JSON body's content.
	Event MerchantEvent `json:"event"`
	// Last is true on the schedule's last attempt (for the "exhausted" metric).
	Last bool `json:"last,omitempty"`
}

// MerchantEvent is the body of a merchant notification.
type MerchantEvent struct {
	Type              string    `json:"type"` // "cancel.outcome"
	WorkflowID        string    `json:"workflowId"`
	Provider          string    `json:"provider"`
	Credential        string    `json:"credential"`
	MerchantOrderNo   string    `json:"merchantOrderNo"`
	ProviderPaymentID string    `json:"providerPaymentId,omitempty"`
	Amount            int64     `json:"amount"`
	Currency          string    `json:"currency"`
	State             string    `json:"state"`
	Reason            string    `json:"reason,omitempty"`
	ProviderCode      string    `json:"providerCode,omitempty"`
	ProviderMessage   string    `json:"providerMessage,omitempty"`
	ProviderRef       string    `json:"providerRef,omitempty"`
	Resolution        string    `json:"resolution,omitempty"`
	OccurredAt        time.Time `json:"occurredAt"`

	// Final is the business outcome on a STOPPED event, when one was reached
	// before the stop (on every other event the state names it).
	Final string `json:"final,omitempty"`
}

// NotifyResult is the outcome of one notification attempt.
type NotifyResult struct {
	Delivered bool   `json:"delivered"`
	Status    int    `json:"status,omitempty"`
	Error     string `json:"error,omitempty"`
}

// Error types of definite cancel failures (stable strings; workflows switch on them).
const (
	ErrWindowExpired  = "CancelWindowExpired"
	ErrAlreadyPaid    = "PaymentAlreadyPaid"
	ErrNotFound       = "PaymentNotFound"
	ErrConfiguration  = "ProviderConfiguration"
	ErrInvalidRequest = "InvalidCancelRequest"
	ErrRejected       = "CancelRejected"
	// ErrPaymentClosed: a verified answer says the payment failed or closed on its
	// own (providers.ReasonPaymentClosed): no money moves, nothing to cancel.
	ErrPaymentClosed = "PaymentClosed"
	// ErrUnknownOutcome marks a retryable "we do not know"; after the last attempt
	// the workflow sees it as the cause of exhaustion.
	ErrUnknownOutcome = "CancelOutcomeUnknown"
	ErrRateLimited    = "ProviderRateLimited"
	// ErrUnknownCredential: the workflow names a credential this worker does not have.
	ErrUnknownCredential = "UnknownCredential"
	// ErrCredentialNotOfMerchant: the request names a credential of another
	// merchant (or of none the request names): the request is wrong, and the
	// workflow fails it as an invalid request.
	ErrCredentialNotOfMerchant = "CredentialNotOfMerchant"
)

// ReasonErrorType maps a failure reason to its error type.
func ReasonErrorType(r providers.Reason) string {
	switch r {
	case providers.ReasonWindowExpired:
		return ErrWindowExpired
	case providers.ReasonAlreadyPaid:
		return ErrAlreadyPaid
	case providers.ReasonNotFound:
		return ErrNotFound
	case providers.ReasonConfiguration:
		return ErrConfiguration
	case providers.ReasonInvalidRequest:
		return ErrInvalidRequest
	case providers.ReasonRateLimited:
		return ErrRateLimited
	case providers.ReasonPaymentClosed:
		return ErrPaymentClosed
	default:
		return ErrRejected
	}
}

// CancelResult is a cancel activity's result, and the details of its failures.
type CancelResult struct {
	Outcome providers.Outcome `json:"outcome"`
	// Attempt is the activity attempt that produced it (server-side retries leave
	// no history events; this is how the workflow counts them).
	Attempt int32 `json:"attempt"`
	// Notified is the result of CancelCall.Notify's attempt, made at NotifiedAt;
	// nil when the activity left the notification to the workflow.
	Notified   *NotifyResult `json:"notified,omitempty"`
	NotifiedAt time.Time     `json:"notifiedAt,omitzero"`
}
