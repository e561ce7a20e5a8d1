// Package providers holds what every payment-provider adapter shares: the Provider
// interface the activities call, the one outcome taxonomy every adapter maps its
// documented codes onto, RSA key handling, and the HTTP plumbing that turns a
// transport failure into an "unknown" outcome.
//
// Trust: an outcome that decides a cancel comes only from a verified answer about
// the id asked about; an unsigned claim is a hint confirmed by a signed status query
// in the same call, else Unknown. The rule is written once, in trust.go (Decides,
// CheckIDs, Unsigned), and every adapter applies it.
//
// One sub-package per provider (payermax, alipayplus, gnete, ksher, alipayglobal)
// implements Provider with the same file layout:
//
//	client.go         the Provider implementation (one exported method per API call)
//	signing.go        the provider's exact signing and verification
//	wire.go           request/response/notification wire types
//	codes.go          the documented code → Outcome table (rows that arrive unsigned marked)
//	notification.go   parsing and verifying the provider's asynchronous notifications
//	*_test.go         vectors, code tables, fuzz targets
//
// Each provider's simulator lives apart, in providers/sim/<p>sim (sandbox.go, an
// HTTP simulator of the provider's API; devcreds.go, its development credentials;
// sandbox_test.go, the adapter's round trips against it). Simulators import
// adapters, never the reverse, so nothing that links an adapter links a server
// that signs as the provider. The contract suite every adapter+simulator pair runs
// is providers/sim/contracttest.
package providers

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// Kind is the top-level class of a provider outcome.
type Kind string

const (
	// Succeeded: the provider confirms the operation took effect (cancel done).
	Succeeded Kind = "SUCCEEDED"
	// AlreadyDone: the provider says it was done before (already cancelled); as good as Succeeded.
	AlreadyDone Kind = "ALREADY_DONE"
	// Pending: accepted, outcome not final yet; confirm with a status query or a notification.
	Pending Kind = "PENDING"
	// Unknown: we do not know what happened (timeout after sending, 5xx, garbage, an
	// unverifiable response, the provider's own "unknown"). Ask again; never a failure.
	Unknown Kind = "UNKNOWN"
	// Failed: a definite failure; Reason says which class.
	Failed Kind = "FAILED"
)

// Reason classifies a definite failure. The workflow decides on the reason, never on
// a provider's raw code.
type Reason string

const (
	ReasonNone           Reason = ""
	ReasonWindowExpired  Reason = "WINDOW_EXPIRED"  // past the provider's cancel window
	ReasonAlreadyPaid    Reason = "ALREADY_PAID"    // the payment succeeded; a cancel cannot undo it (refund/review)
	ReasonNotFound       Reason = "NOT_FOUND"       // the provider has no such payment
	ReasonConfiguration  Reason = "CONFIGURATION"   // credentials, keys, merchant ids, signature rejected
	ReasonRateLimited    Reason = "RATE_LIMITED"    // throttled; RetryAfter may say when to come back
	ReasonInvalidRequest Reason = "INVALID_REQUEST" // the request itself is wrong (bad parameters)
	ReasonRejected       Reason = "REJECTED"        // any other definite business refusal
	// ReasonPaymentClosed: the payment failed or was closed at the provider on its
	// own, not by this cancel. No money moves and nothing was cancelled: the cancel
	// is not needed (the workflow ends NOT_NEEDED with the provider's words). It is
	// never a cancel success.
	ReasonPaymentClosed Reason = "PAYMENT_CLOSED"
)

// Outcome is what one provider call means, as data. It never carries secrets.
type Outcome struct {
	Kind   Kind   `json:"kind"`
	Reason Reason `json:"reason,omitempty"`
	// Code and Message are the provider's raw result code and text (or one of the
	// Code* constants below for failures that happen before the provider answers).
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	// RetryAfter is the provider's hint for a rate limit; zero when none was given.
	RetryAfter time.Duration `json:"retryAfter,omitempty"`
	// ProviderRef is the provider's id for the cancel, when it returns one (PayerMax
	// cancelNo, GNETE cancelOrderId). The workflow keeps it for later queries.
	ProviderRef string `json:"providerRef,omitempty"`
}

// Codes for outcomes decided on our side of the wire.
const (
	CodeTransport       = "TRANSPORT_ERROR"            // timeout, reset, refused: unknown
	CodeHTTPStatus      = "HTTP_STATUS"                // a non-2xx status without a readable provider answer
	CodeBadResponse     = "BAD_RESPONSE"               // a body we cannot parse
	CodeUnverified      = "RESPONSE_SIGNATURE_INVALID" // a response whose signature does not verify
	CodeInvalidRequest  = "LOCAL_INVALID_REQUEST"      // rejected before sending (missing id, field too long)
	CodeLocalConfigFail = "LOCAL_CONFIGURATION"        // a key or credential we cannot use
)

// Definite reports whether the outcome ends the question (success or definite failure).
func (o Outcome) Definite() bool {
	return o.Kind == Succeeded || o.Kind == AlreadyDone || o.Kind == Failed
}

// Done reports whether the cancel took effect (now or before).
func (o Outcome) Done() bool { return o.Kind == Succeeded || o.Kind == AlreadyDone }

func (o Outcome) String() string { return o.text(" code=", " msg=") }

// text renders the outcome with the code and the message after their prefixes.
func (o Outcome) text(codePrefix, msgPrefix string) string {
	s := string(o.Kind)
	if o.Reason != "" {
		s += "/" + string(o.Reason)
	}
	if o.Code != "" {
		s += codePrefix + o.Code
	}
	if o.Message != "" {
		s += msgPrefix + fmt.Sprintf("%q", o.Message)
	}
	return s
}

// UnknownOutcome builds an Unknown outcome for a failure on our side of the wire.
func UnknownOutcome(code, format string, args ...any) Outcome {
	return Outcome{Kind: Unknown, Code: code, Message: fmt.Sprintf(format, args...)}
}

// FailedOutcome builds a definite failure.
func FailedOutcome(reason Reason, code, message string) Outcome {
	return Outcome{Kind: Failed, Reason: reason, Code: code, Message: message}
}

// PaymentState is the provider's view of the original payment, normalised.
type PaymentState string

const (
	PaymentPaid     PaymentState = "PAID"      // money moved
	PaymentPending  PaymentState = "PENDING"   // still paying (created, in progress, user paying)
	PaymentFailed   PaymentState = "FAILED"    // definitely not paid and will not be (failed)
	PaymentClosed   PaymentState = "CLOSED"    // closed or cancelled: will not be paid
	PaymentNotFound PaymentState = "NOT_FOUND" // the provider has no such payment
	PaymentRefunded PaymentState = "REFUNDED"  // paid, then refunded
	PaymentUnknown  PaymentState = "UNKNOWN"   // could not tell: ask again
)

// StateOf maps a provider's payment status through its table; a status the
// table does not list is PaymentUnknown.
func StateOf(table map[string]PaymentState, status string) PaymentState {
	if st, ok := table[status]; ok {
		return st
	}
	return PaymentUnknown
}

// PaymentStatus is the answer to a payment-status query.
type PaymentStatus struct {
	State   PaymentState `json:"state"`
	Code    string       `json:"code,omitempty"`
	Message string       `json:"message,omitempty"`
	// Outcome carries transport/verification failures and rate limits of the query
	// itself (Kind Unknown or Failed); it is Succeeded when the query was answered.
	Outcome Outcome `json:"outcome"`
}

// Target names the payment to cancel or query. MerchantOrderNo is always set; the
// provider's own payment id is optional and preferred where the provider says so.
type Target struct {
	// MerchantOrderNo is the merchant's order id as the provider knows it
	// (PayerMax outTradeNo, Alipay+ paymentRequestId, GNETE mchOrderNo, Ksher
	// mch_order_no, Alipay Global merchantTransId).
	MerchantOrderNo string `json:"merchantOrderNo"`
	// ProviderPaymentID is the provider's payment id when known (Alipay+ paymentId,
	// GNETE payOrderId, Alipay Global acquirementId). Empty when unknown.
	ProviderPaymentID string `json:"providerPaymentId,omitempty"`
}

// CancelRequest is one cancel attempt. Everything in it is fixed by the workflow and
// identical on every retry; per-attempt fields (timestamps, nonces, message ids) are
// made by the adapter inside the attempt.
type CancelRequest struct {
	Target
	// CancelKey is the merchant's business key for this cancel (PayerMax requestId).
	// Fixed by the workflow, the same on every attempt.
	CancelKey string `json:"cancelKey"`
	// NotifyURL is where a provider that takes a per-request callback URL (GNETE)
	// should send its cancel notification. Empty: none requested.
	NotifyURL string `json:"notifyUrl,omitempty"`
	// ProviderRef is the provider's cancel id from an earlier attempt (GNETE
	// cancelOrderId); adapters that have one query it before cancelling again.
	ProviderRef string `json:"providerRef,omitempty"`
}

// CancelQuery asks for the state of a cancel sent earlier.
type CancelQuery struct {
	Target
	CancelKey   string `json:"cancelKey"`
	ProviderRef string `json:"providerRef,omitempty"`
}

// Provider is one configured credential set of one payment provider.
//
// Methods never return Go errors for provider behaviour: every answer, including
// transport failures and unverifiable responses, is an Outcome. A timeout or a reset
// after the request was sent is Unknown, never Failed.
type Provider interface {
	// Name is the provider's short name ("payermax", "alipayplus", "gnete", "ksher", "alipayglobal").
	Name() string
	// Cancel sends one cancel attempt.
	Cancel(ctx context.Context, req CancelRequest) Outcome
	// QueryCancel asks whether an earlier cancel took effect. Providers without a
	// cancel query answer from the payment status (cancelled → Succeeded, paid →
	// Failed/ALREADY_PAID, failed or closed on its own → Failed/PAYMENT_CLOSED, in
	// progress → Pending).
	QueryCancel(ctx context.Context, q CancelQuery) Outcome
	// QueryPayment asks for the state of the original payment.
	QueryPayment(ctx context.Context, t Target) PaymentStatus
}

// NotificationType says what an asynchronous provider notification reports.
type NotificationType string

const (
	NotifyCancelResult  NotificationType = "CANCEL_RESULT"
	NotifyPaymentResult NotificationType = "PAYMENT_RESULT"
)

// Notification is a verified asynchronous notification, normalised.
type Notification struct {
	Provider string           `json:"provider"`
	Type     NotificationType `json:"type"`
	Target
	CancelKey   string `json:"cancelKey,omitempty"`
	ProviderRef string `json:"providerRef,omitempty"`
	// Outcome is set for cancel results (Succeeded, Failed, Pending).
	Outcome Outcome `json:"outcome"`
	// Payment is set for payment results.
	Payment PaymentState `json:"payment,omitempty"`
}

// NotificationParser is implemented by adapters whose provider sends notifications.
type NotificationParser interface {
	// ParseNotification verifies the signature over the raw body and parses it.
	// A bad signature or a malformed body is an error (ErrBadSignature / ErrMalformed).
	ParseNotification(header http.Header, body []byte) (Notification, error)
	// Ack is the exact acknowledgement the provider expects.
	Ack() (contentType string, body []byte)
}

// Errors returned by notification parsing; wrap them with detail.
var (
	ErrBadSignature = fmt.Errorf("signature does not verify")
	ErrMalformed    = fmt.Errorf("malformed notification")
)
