package contract

import (
	"time"

	"github.com/paycancel/paycancel/providers"
)

// ReconcileRequest configures one reconciliation run (ReconcileWorkflowName).
// Zero fields take the defaults in their comments.
type ReconcileRequest struct {
	// StuckAfter: a cancel still in flight (awaiting payment, cancelling,
	// confirming) this long after its start is signalled to re-check. Default 30m.
	StuckAfter time.Duration `json:"stuckAfter,omitempty"`
	// VerifyWithin: cancels that finished CANCELLED within this period are checked
	// against the provider's payment status. Default 24h.
	VerifyWithin time.Duration `json:"verifyWithin,omitempty"`
	// MaxPerRun bounds the cancels one run touches (signals plus verifications);
	// a larger backlog continues as new. Default 500.
	MaxPerRun int `json:"maxPerRun,omitempty"`
	// QueryInterval paces provider queries (rate limit). Default 200ms.
	QueryInterval time.Duration `json:"queryInterval,omitempty"`
	// PageSize of visibility queries. Default 100.
	PageSize int `json:"pageSize,omitempty"`

	// Carried by continue-as-new; callers leave them empty.
	Cursor *ReconcileCursor `json:"cursor,omitempty"`
}

// ReconcileCursor is where a continued run picks up.
type ReconcileCursor struct {
	Phase     string          `json:"phase"` // "stuck" or "verify"
	PageToken []byte          `json:"pageToken,omitempty"`
	AsOf      time.Time       `json:"asOf"`
	Report    ReconcileReport `json:"report"`
}

// ReconcileReport is a run's result: what it found and did.
type ReconcileReport struct {
	AsOf time.Time `json:"asOf"`
	// Counts by provider, then by CancelState, of all cancels (open and closed).
	Counts map[string]map[string]int64 `json:"counts"`
	// Stuck lists the in-flight cancels signalled to re-check.
	Stuck []CancelRef `json:"stuck"`
	// Verified counts finished cancels checked against the provider.
	Verified int `json:"verified"`
	// Disagreements lists cancels the provider contradicts, moved to review.
	Disagreements []Disagreement `json:"disagreements"`
	// Skipped counts finished cancels not verified this run (limit reached, or the
	// provider could not answer); the next run tries again.
	Skipped int `json:"skipped"`
	// Runs is how many workflow runs (continue-as-new) made the report.
	Runs int `json:"runs"`
}

// CancelRef names one cancel workflow run.
type CancelRef struct {
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId"`
	// Merchant is "" for cancels started before merchant-scoped ids.
	Merchant        string `json:"merchant,omitempty"`
	Provider        string `json:"provider,omitempty"`
	MerchantOrderNo string `json:"merchantOrderNo,omitempty"`
	State           string `json:"state,omitempty"`
}

// Disagreement is a finished cancel the provider contradicts.
type Disagreement struct {
	Cancel       CancelRef              `json:"cancel"`
	PaymentState providers.PaymentState `json:"paymentState"`
	Code         string                 `json:"code,omitempty"`
	Message      string                 `json:"message,omitempty"`
}
