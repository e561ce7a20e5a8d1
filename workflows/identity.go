package workflows

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
//
// The business key sent to the provider (cancelKey, PayerMax's requestId) is
// derived from the workflow id, so two merchants' cancels of the same order number
// carry two keys. The worker's configuration refuses one provider account in two
// merchants (config.Build), so the merchant scope is never narrower than the
// provider's own scope for order numbers.

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/paycancel/paycancel/activities"
)

// WorkflowID is the id of the one cancel of a merchant's order at a provider:
// cancel/<merchant>/<provider>/<merchantOrderNo>.
func WorkflowID(merchant, provider, merchantOrderNo string) string {
	return "cancel/" + merchant + "/" + provider + "/" + merchantOrderNo
}

// CancelKey is the business key of the cancel with this workflow id, the same on
// every attempt and run (PayerMax's requestId): "pc-" and the id without its
// "cancel/" prefix, '/' written '-' (pc-acme-payermax-A1001), or, beyond
// PayerMax's 64 characters, "pc-" and a stable 64-bit FNV-1a hash of the id. The
// workflow fixes it once, at the start of its first run, and keeps it in its
// status. The derivation is the one cancels had before ids were merchant-scoped.
func CancelKey(workflowID string) string { return cancelKey(workflowID) }

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
	known := func(p string) bool {
		for _, n := range ProviderNames {
			if p == n {
				return true
			}
		}
		return false
	}
	switch {
	case len(parts) == 3 && known(parts[1]) && parts[2] != "":
		return Identity{Provider: parts[1], MerchantOrderNo: parts[2]}, true
	case len(parts) == 4 && CheckMerchantName(parts[1]) == nil && known(parts[2]) && parts[3] != "":
		return Identity{Merchant: parts[1], Provider: parts[2], MerchantOrderNo: parts[3]}, true
	}
	return Identity{}, false
}

// CheckMerchantName checks a merchant name as the worker's configuration writes
// them: 1 to 64 letters, digits, '-', '_' or '.'.
func CheckMerchantName(s string) error {
	if s == "" || len(s) > 64 {
		return errors.New("must be 1 to 64 characters")
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("%q may hold only letters, digits, '-', '_' and '.'", s)
		}
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

// changeMerchantScopedIDs versions the refusal of a new cancel without a merchant.
// Cancels started before merchant-scoped ids had none and must replay as they ran.
const changeMerchantScopedIDs = "merchant-scoped-ids"

// checkIdentity refuses, before any command, a new cancel whose identity is not
// the merchant-scoped one: no merchant, or a workflow id other than
// WorkflowID(merchant, provider, order) — the id is what makes a duplicate start
// attach instead of cancelling twice, and the business key is derived from it.
// Runs that carry a status (continue-as-new, a reconciliation's reopen) keep the
// identity their cancel started with.
func checkIdentity(ctx workflow.Context, req CancelRequest) error {
	if req.Carry != nil {
		return nil
	}
	id := workflow.GetInfo(ctx).WorkflowExecution.ID
	if req.Merchant == "" {
		// Only the runs that lack a merchant pay for the version marker.
		if workflow.GetVersion(ctx, changeMerchantScopedIDs, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
			return nil
		}
		return fmt.Errorf("merchant is required (the paycancel merchant whose order this is); start it again with the merchant and the workflow id %s",
			WorkflowID("<merchant>", req.Provider, req.MerchantOrderNo))
	}
	if want := WorkflowID(req.Merchant, req.Provider, req.MerchantOrderNo); id != want {
		return fmt.Errorf("workflow id %q does not name this request's cancel: merchant %s's order %s at %s has the workflow id %q",
			id, req.Merchant, req.MerchantOrderNo, req.Provider, want)
	}
	return nil
}

// invalidRequest is the failure of a run whose request cannot start a cancel; the
// reuse policy lets the caller start the same id again once corrected.
func invalidRequest(msg string) error {
	return temporal.NewNonRetryableApplicationError("invalid cancel request: "+msg, activities.ErrInvalidRequest, nil)
}

// requestRefused reports whether LoadPolicy refused the request itself: the
// credential is not one of the named merchant's.
func requestRefused(err error) (string, bool) {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == activities.ErrCredentialNotOfMerchant {
		return appErr.Message(), true
	}
	return "", false
}
