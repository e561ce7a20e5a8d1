package contract

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

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// WorkflowID is the id of the one cancel of a merchant's order at a provider:
// cancel/<merchant>/<provider>/<merchantOrderNo>.
func WorkflowID(merchant, provider, merchantOrderNo string) string {
	return "cancel/" + merchant + "/" + provider + "/" + merchantOrderNo
}

// LegacyWorkflowID is the id cancels had before ids were merchant-scoped:
// cancel/<provider>/<merchantOrderNo>. Only cancels started then have it; status,
// signals, resolutions and provider callbacks still find them.
func LegacyWorkflowID(provider, merchantOrderNo string) string {
	return "cancel/" + provider + "/" + merchantOrderNo
}

// Identity is what a cancel workflow id says. Merchant is "" for a legacy id.
type Identity struct {
	Merchant        string `json:"merchant,omitempty"`
	Provider        string `json:"provider"`
	MerchantOrderNo string `json:"merchantOrderNo"`
}

// Legacy reports whether the id had no merchant (LegacyWorkflowID).
func (i Identity) Legacy() bool { return i.Merchant == "" }

// ParseWorkflowID reads a cancel workflow id of either form. Merchant names,
// provider names and order numbers never contain '/', so the number of parts
// decides the form.
func ParseWorkflowID(id string) (Identity, bool) {
	parts := strings.Split(id, "/")
	if parts[0] != "cancel" {
		return Identity{}, false
	}
	switch {
	case len(parts) == 3 && IsProvider(parts[1]) && parts[2] != "":
		return Identity{Provider: parts[1], MerchantOrderNo: parts[2]}, true
	case len(parts) == 4 && CheckMerchantName(parts[1]) == nil && IsProvider(parts[2]) && parts[3] != "":
		return Identity{Merchant: parts[1], Provider: parts[2], MerchantOrderNo: parts[3]}, true
	}
	return Identity{}, false
}

// MaxNameLength bounds merchant and credential names.
const MaxNameLength = 64

// CheckMerchantName checks a merchant name as the worker's configuration writes
// them: 1 to 64 letters, digits, '-', '_' or '.'. Credential names follow the
// same rule.
func CheckMerchantName(s string) error {
	if s == "" || len(s) > MaxNameLength {
		return errors.New("must be 1 to 64 characters")
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("%q may hold only letters, digits, '-', '_' and '.'", s)
		}
	}
	return nil
}

// FieldDifference is one field in which two requests for the same cancel differ.
type FieldDifference struct {
	// Field is the request's JSON field name (credential, amount, …).
	Field string `json:"field"`
	// Existing is the value the existing cancel was started with; Requested the
	// value of the refused request. Times are RFC 3339, durations Go durations.
	Existing  string `json:"existing"`
	Requested string `json:"requested"`
}

func (d FieldDifference) String() string {
	return fmt.Sprintf("%s: existing %s, requested %s", d.Field, quoteEmpty(d.Existing), quoteEmpty(d.Requested))
}

func quoteEmpty(s string) string {
	if s == "" {
		return "(none)"
	}
	return fmt.Sprintf("%q", s)
}

// RequestDifferences lists the fields in which requested differs from existing,
// the request a cancel of the same id was started with (its recorded input). A
// duplicate start is the same request only when the list is empty: same merchant,
// provider, order, credential, amount, currency, provider payment id, notify URL
// and deadline inputs (payStartedAt, payTimeout, cancelDeadline).
//
// One allowance: a run that continued as new records the pay start its first run
// resolved (an absent payStartedAt means the workflow's start), so a requested
// payStartedAt that is absent is not compared with such a run's.
func RequestDifferences(existing, requested CancelRequest) []FieldDifference {
	var out []FieldDifference
	diff := func(field, a, b string) {
		if a != b {
			out = append(out, FieldDifference{Field: field, Existing: a, Requested: b})
		}
	}
	tm := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	ptm := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return tm(*t)
	}
	diff("merchant", existing.Merchant, requested.Merchant)
	diff("provider", existing.Provider, requested.Provider)
	diff("merchantOrderNo", existing.MerchantOrderNo, requested.MerchantOrderNo)
	diff("credential", existing.Credential, requested.Credential)
	diff("amount", fmt.Sprint(existing.Amount), fmt.Sprint(requested.Amount))
	diff("currency", existing.Currency, requested.Currency)
	diff("providerPaymentId", existing.ProviderPaymentID, requested.ProviderPaymentID)
	if !(existing.Carry != nil && requested.PayStartedAt.IsZero()) {
		diff("payStartedAt", tm(existing.PayStartedAt), tm(requested.PayStartedAt))
	}
	diff("payTimeout", existing.PayTimeout.String(), requested.PayTimeout.String())
	diff("cancelDeadline", ptm(existing.CancelDeadline), ptm(requested.CancelDeadline))
	diff("notifyUrl", existing.NotifyURL, requested.NotifyURL)
	return out
}
