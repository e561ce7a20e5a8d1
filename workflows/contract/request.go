package contract

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
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
	// (omitzero: "omitempty" never omits a time.Time; an absent field decodes as
	// the zero time, so old and new encodings read the same.)
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

// MaxIDLength bounds the ids a request names (merchant order number, provider
// payment id), in bytes: no provider accepts a longer one.
const MaxIDLength = 64

// orderNoLimits are the providers whose merchant order number is shorter than
// MaxIDLength (the providers' API pages: GNETE merOrderId ≤ 30, Ksher
// mch_order_no ≤ 32).
var orderNoLimits = map[string]int{"gnete": 30, "ksher": 32}

// CheckOrderNo checks a merchant order number for provider: present, at most the
// provider's length, no '/', space or control character (the order number is a
// part of the workflow id). Lengths are counted in bytes: Ksher counts bytes,
// GNETE and PayerMax count characters, and a byte count is never below the
// character count, so an order number that passes here passes every provider.
// An unknown provider is held to MaxIDLength (the provider check is the caller's).
func CheckOrderNo(provider, v string) error {
	return checkID("merchantOrderNo", v, true, orderNoLimit(provider), provider)
}

func orderNoLimit(provider string) int {
	if max, ok := orderNoLimits[provider]; ok {
		return max
	}
	return MaxIDLength
}

// checkID checks one id field; provider names whose limit max is, "" for the
// common one.
func checkID(name, v string, required bool, max int, provider string) error {
	switch {
	case v == "" && required:
		return fmt.Errorf("%s is required", name)
	case len(v) > max && provider != "" && max < MaxIDLength:
		return fmt.Errorf("%s is %d bytes; %s allows at most %d", name, len(v), provider, max)
	case len(v) > max:
		return fmt.Errorf("%s is longer than %d bytes", name, max)
	case !utf8.ValidString(v) || strings.ContainsAny(v, "/\x00\r\n\t "):
		return fmt.Errorf("%s %q must not contain '/', spaces or control characters", name, v)
	}
	return nil
}

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
	if !IsProvider(r.Provider) {
		bad("provider %q is not one of %s", r.Provider, strings.Join(ProviderNames, ", "))
	}
	if r.Credential == "" {
		bad("credential is required")
	}
	if err := CheckOrderNo(r.Provider, r.MerchantOrderNo); err != nil {
		bad("%s", err.Error())
	}
	if err := checkID("providerPaymentId", r.ProviderPaymentID, false, MaxIDLength, ""); err != nil {
		bad("%s", err.Error())
	}
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

// ValidateStart checks a request for a new cancel: Validate, plus a merchant (the
// id is scoped by it) and no continue-as-new carry.
func (r CancelRequest) ValidateStart() error {
	var problems []string
	if r.Merchant == "" {
		problems = append(problems, "merchant is required (the paycancel merchant whose order this is: merchants.<name> in the worker's configuration)")
	}
	if err := r.Validate(); err != nil {
		problems = append(problems, err.Error())
	}
	if r.Carry != nil {
		problems = append(problems, "carry is set only by the workflow's continue-as-new; leave it empty")
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// PaymentStatuses are the values of PaymentResult.Status.
var PaymentStatuses = []string{"PAID", "FAILED", "CLOSED"}

// PaymentResult is the payload of SignalPaymentResult.
type PaymentResult struct {
	// Status: PAID, FAILED or CLOSED.
	Status string `json:"status"`
	// Source says who learnt it ("order-service", "provider-webhook").
	Source string `json:"source,omitempty"`
}

// Validate checks the status.
func (p PaymentResult) Validate() error {
	for _, s := range PaymentStatuses {
		if p.Status == s {
			return nil
		}
	}
	return fmt.Errorf("payment status %q is not one of %s", p.Status, strings.Join(PaymentStatuses, ", "))
}

// Resolution is the payload of UpdateResolve.
type Resolution struct {
	// Action: CANCELLED (closed by hand), PAID (the payment stands), REFUNDED,
	// NOT_NEEDED, or RETRY_CANCEL (send the cancel again, e.g. after fixing credentials).
	Action   string `json:"action"`
	Operator string `json:"operator"`
	Note     string `json:"note,omitempty"`
}

// ResolutionActions maps each resolution action to the state it leads to.
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
