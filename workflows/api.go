// Package workflows holds paycancel's workflows — CancelPaymentWorkflow and, later,
// the reconciliation workflow — with their signal, query and update names, search
// attributes and workflow-id helpers. Deterministic code only: all I/O happens in
// activities (package activities), referenced here through a nil *Activities.
package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"go.temporal.io/sdk/temporal"

	"github.com/paycancel/paycancel/activities"
	"github.com/paycancel/paycancel/providers"
)

// DefaultTaskQueue is the task queue workers poll and starters use.
const DefaultTaskQueue = "paycancel"

// Names of the workflow's handlers (the wire contract for every SDK).
const (
	WorkflowName = "CancelPaymentWorkflow"

	// SignalPaymentResult: the order service (or a provider payment webhook) learnt
	// the payment's result. Payload PaymentResult.
	SignalPaymentResult = "payment-result"
	// SignalProviderNotification: a verified provider notification. Payload providers.Notification.
	SignalProviderNotification = "provider-notification"
	// SignalRecheck: ask the provider again now (reconciliation, operators). No payload.
	SignalRecheck = "recheck"
	// QueryStatus returns Status.
	QueryStatus = "status"
	// UpdateResolve resolves a NEEDS_REVIEW cancel. Payload Resolution; returns Status.
	UpdateResolve = "resolve"
	// UpdateResendNotification resends an exhausted merchant notification. Payload ResendRequest.
	UpdateResendNotification = "resend-notification"
)

// Search attributes paycancel registers (keyword/bool), upserted at each state change.
// Merchant is set on every cancel started with a merchant (merchant-scoped ids);
// cancels started before have none (list them with "Merchant IS NULL").
var (
	SAMerchant        = temporal.NewSearchAttributeKeyKeyword("Merchant")
	SAProvider        = temporal.NewSearchAttributeKeyKeyword("PaymentProvider")
	SAMerchantOrderNo = temporal.NewSearchAttributeKeyKeyword("MerchantOrderNo")
	SACancelState     = temporal.NewSearchAttributeKeyKeyword("CancelState")
	SANeedsReview     = temporal.NewSearchAttributeKeyBool("NeedsReview")
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

// StopCancelRequested is Stop.Reason for a workflow cancellation request.
const StopCancelRequested = "WORKFLOW_CANCEL_REQUESTED"

// FinalStates are the business outcomes a cancel ends in.
var FinalStates = []string{StatePaid, StateNotNeeded, StateCancelled, StatePaidAtCancel,
	StateResolvedCancelled, StateResolvedPaid, StateResolvedRefunded, StateResolvedNotNeeded}

// IsFinal reports whether s is a final business state.
func IsFinal(s string) bool {
	for _, f := range FinalStates {
		if s == f {
			return true
		}
	}
	return false
}

// Review reasons.
const (
	ReviewWindowExpired     = "WINDOW_EXPIRED"
	ReviewConfiguration     = "CONFIGURATION"
	ReviewAttemptsExhausted = "ATTEMPTS_EXHAUSTED"
	ReviewNotFound          = "NOT_FOUND"
	ReviewRejected          = "REJECTED"
	ReviewInvalidRequest    = "INVALID_REQUEST"
	ReviewDisagreement      = "PROVIDER_DISAGREES"
)

// CancelRequest is CancelPaymentWorkflow's input. It never carries secrets: the
// credential is named, and the worker holds its keys.
type CancelRequest struct {
	// Merchant is the paycancel merchant (a tenant: merchants.<name> in the
	// worker's configuration) whose order this is; the credential must be one of
	// its credential sets. Required for every new cancel: the workflow id is
	// scoped by it (WorkflowID). Empty only in cancels started before ids were
	// merchant-scoped (LegacyWorkflowID), which keep running as they started.
	Merchant string `json:"merchant,omitempty"`
	// Provider: payermax, alipayplus, gnete, ksher or alipayglobal.
	Provider string `json:"provider"`
	// Credential names the credential set in the worker's configuration.
	Credential string `json:"credential"`
	// MerchantOrderNo is the merchant's order id as the provider knows it.
	MerchantOrderNo string `json:"merchantOrderNo"`
	// ProviderPaymentID is the provider's payment id, when the pay call returned one.
	ProviderPaymentID string `json:"providerPaymentId,omitempty"`
	// Amount in minor units (cents) and its ISO 4217 currency.
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	// PayStartedAt is when the pay call was made. Default: the workflow's start.
	PayStartedAt time.Time `json:"payStartedAt,omitzero"`
	// PayTimeout is how long after PayStartedAt to wait for the result before
	// cancelling. 0: cancel at once.
	PayTimeout time.Duration `json:"payTimeout,omitempty"`
	// CancelDeadline overrides the provider's cancel window, when the order service knows better.
	CancelDeadline *time.Time `json:"cancelDeadline,omitempty"`
	// NotifyURL receives the merchant notification; default: the merchant's configured URL.
	NotifyURL string `json:"notifyUrl,omitempty"`

	// Carry is set only by continue-as-new: the state a long confirmation carries
	// into its next run. Order services leave it empty.
	Carry *Carry `json:"carry,omitempty"`
}

// Provider names accepted in CancelRequest.Provider.
var ProviderNames = []string{"payermax", "alipayplus", "gnete", "ksher", "alipayglobal"}

// orderNoLimits are the providers' limits on the merchant order number
// (the provider's API notes: GNETE ids ≤ 30, Ksher mch_order_no ≤ 32; the others 64).
var orderNoLimits = map[string]int{"gnete": 30, "ksher": 32}

// Validate checks the request and says what is wrong, field by field. It accepts
// an empty Merchant, as cancels started before merchant-scoped ids have none and
// replay through it; a new start must pass ValidateStart.
func (r CancelRequest) Validate() error {
	var problems []string
	bad := func(f string, a ...any) { problems = append(problems, fmt.Sprintf(f, a...)) }
	if r.Merchant != "" {
		if err := CheckMerchantName(r.Merchant); err != nil {
			bad("merchant %s", err.Error())
		}
	}
	known := false
	for _, p := range ProviderNames {
		known = known || r.Provider == p
	}
	if !known {
		bad("provider %q is not one of %s", r.Provider, strings.Join(ProviderNames, ", "))
	}
	if r.Credential == "" {
		bad("credential is required")
	}
	checkID := func(name, v string, required bool) {
		switch {
		case v == "" && required:
			bad("%s is required", name)
		case len(v) > 64:
			bad("%s is longer than 64 characters", name)
		case !utf8.ValidString(v) || strings.ContainsAny(v, "/\x00\r\n\t "):
			bad("%s must not contain '/', spaces or control characters", name)
		}
	}
	checkID("merchantOrderNo", r.MerchantOrderNo, true)
	if max, ok := orderNoLimits[r.Provider]; ok && len(r.MerchantOrderNo) > max {
		bad("merchantOrderNo is %d characters; %s allows at most %d", len(r.MerchantOrderNo), r.Provider, max)
	}
	checkID("providerPaymentId", r.ProviderPaymentID, false)
	if r.Amount <= 0 {
		bad("amount must be positive (minor units), got %d", r.Amount)
	}
	if len(r.Currency) != 3 || strings.ToUpper(r.Currency) != r.Currency {
		bad("currency %q is not a 3-letter ISO 4217 code in capitals", r.Currency)
	}
	if r.PayTimeout < 0 || r.PayTimeout > 30*24*time.Hour {
		bad("payTimeout must be between 0 and 720h, got %s", r.PayTimeout)
	}
	if r.NotifyURL != "" && !(strings.HasPrefix(r.NotifyURL, "http://") || strings.HasPrefix(r.NotifyURL, "https://")) {
		bad("notifyUrl %q is not an http(s) URL", r.NotifyURL)
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// PaymentResult is the payload of SignalPaymentResult.
type PaymentResult struct {
	// Status: PAID, FAILED or CLOSED.
	Status string `json:"status"`
	// Source says who learnt it ("order-service", "provider-webhook").
	Source string `json:"source,omitempty"`
}

// Resolution is the payload of UpdateResolve.
type Resolution struct {
	// Action: CANCELLED (closed by hand), PAID (the payment stands), REFUNDED,
	// NOT_NEEDED, or RETRY_CANCEL (send the cancel again, e.g. after fixing credentials).
	Action   string `json:"action"`
	Operator string `json:"operator"`
	Note     string `json:"note,omitempty"`
}

// Resolution actions.
var ResolutionActions = map[string]string{
	"CANCELLED":    StateResolvedCancelled,
	"PAID":         StateResolvedPaid,
	"REFUNDED":     StateResolvedRefunded,
	"NOT_NEEDED":   StateResolvedNotNeeded,
	"RETRY_CANCEL": StateCancelling,
}

// Validate checks a resolution's fields (the state check is the workflow's).
func (r Resolution) Validate() error {
	if _, ok := ResolutionActions[r.Action]; !ok {
		return fmt.Errorf("action %q is not one of CANCELLED, PAID, REFUNDED, NOT_NEEDED, RETRY_CANCEL", r.Action)
	}
	if strings.TrimSpace(r.Operator) == "" {
		return errors.New("operator is required (who resolves this)")
	}
	if len(r.Operator) > 128 || len(r.Note) > 2048 {
		return errors.New("operator is limited to 128 characters and note to 2048")
	}
	return nil
}

// ResendRequest is the payload of UpdateResendNotification.
type ResendRequest struct {
	Operator string `json:"operator"`
}

// NotifyStatus tracks the merchant notification.
type NotifyStatus struct {
	URL string `json:"url,omitempty"`
	// EventID is the webhook-id merchants deduplicate on: one per episode (an
	// outcome, a review, a stop), kept by that episode's retries and resends.
	EventID string `json:"eventId,omitempty"`
	// Episode numbers the cancel's notification episodes (1, 2, …), across
	// continue-as-new and reconciliation reopens; it makes each EventID new.
	Episode   int       `json:"episode,omitempty"`
	Attempts  int       `json:"attempts"`
	Delivered bool      `json:"delivered"`
	Exhausted bool      `json:"exhausted"`
	LastError string    `json:"lastError,omitempty"`
	LastAt    time.Time `json:"lastAt,omitzero"`
}

// Status is what QueryStatus returns and the workflow's result.
type Status struct {
	WorkflowID string `json:"workflowId"`
	// Merchant is the paycancel merchant the cancel belongs to: the request's, or
	// for a cancel started before merchant-scoped ids, the one its credential's
	// policy named ("" when that policy never loaded).
	Merchant        string `json:"merchant,omitempty"`
	Provider        string `json:"provider"`
	Credential      string `json:"credential"`
	MerchantOrderNo string `json:"merchantOrderNo"`
	// State is the cancel's state (see the State* constants).
	State string `json:"state"`
	// Final is the business outcome once reached ("" before).
	Final          string            `json:"final,omitempty"`
	NeedsReview    bool              `json:"needsReview"`
	ReviewReason   string            `json:"reviewReason,omitempty"`
	CancelKey      string            `json:"cancelKey"`
	CancelAttempts int               `json:"cancelAttempts"`
	CancelRounds   int               `json:"cancelRounds"`
	QueryAttempts  int               `json:"queryAttempts"`
	PaymentChecks  int               `json:"paymentChecks"`
	LastOutcome    providers.Outcome `json:"lastOutcome"`
	ProviderRef    string            `json:"providerRef,omitempty"`
	PayDeadline    time.Time         `json:"payDeadline"`
	WindowDeadline time.Time         `json:"windowDeadline"`
	NextCheckAt    time.Time         `json:"nextCheckAt,omitzero"`
	Resolution     *Resolution       `json:"resolution,omitempty"`
	Notify         NotifyStatus      `json:"notify"`
	Runs           int               `json:"runs"`
	UpdatedAt      time.Time         `json:"updatedAt"`

	// Stopped is set when an operator stopped the cancel (state STOPPED).
	Stopped *Stop `json:"stopped,omitempty"`
}

// Stop records an operator's stop (StateStopped).
type Stop struct {
	// Phase is the state the cancel was in when the stop was requested.
	Phase string `json:"phase"`
	// Reason is StopCancelRequested.
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// Carry is the state handed to the next run by continue-as-new.
type Carry struct {
	Status  Status                  `json:"status"`
	Policy  activities.CancelPolicy `json:"policy"`
	Backoff time.Duration           `json:"backoff"`
	// Recheck: a recheck signal was read while the run handed over; the next run
	// asks the provider at once.
	Recheck bool `json:"recheck,omitempty"`
}
