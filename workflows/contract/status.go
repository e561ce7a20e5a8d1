package contract

import (
	"time"

	"github.com/paycancel/paycancel/providers"
)

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

// StateText is the state with its review reason, or for a stopped cancel where
// it was stopped: "NEEDS_REVIEW (WINDOW_EXPIRED)".
func (st Status) StateText() string {
	if st.State == StateStopped && st.Stopped != nil {
		return st.State + " (" + st.Stopped.Reason + " while " + st.Stopped.Phase + ")"
	}
	if st.ReviewReason != "" {
		return st.State + " (" + st.ReviewReason + ")"
	}
	return st.State
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
	Status  Status        `json:"status"`
	Policy  CancelPolicy  `json:"policy"`
	Backoff time.Duration `json:"backoff"`
	// Recheck: a recheck signal was read while the run handed over; the next run
	// asks the provider at once.
	Recheck bool `json:"recheck,omitempty"`
}

// CancelPolicy is everything non-secret the workflow needs from the worker's
// configuration for one cancel. The worker's LoadPolicy activity builds it; it is
// recorded in history once (a local activity) and carried by continue-as-new, so
// replays see the policy the cancel ran with even if the configuration changed.
type CancelPolicy struct {
	Merchant string `json:"merchant"`
	// PaymentPoll: poll the payment status this often while waiting for the pay
	// deadline; 0 means signals only.
	PaymentPoll time.Duration `json:"paymentPoll,omitempty"`
	// QueryBackoff paces status queries of a pending cancel.
	QueryBackoff Backoff `json:"queryBackoff"`
	// CancelRetry paces cancel attempts after unknown results.
	CancelRetry Backoff `json:"cancelRetry"`
	// MaxCancelAttempts bounds cancel attempts before review.
	MaxCancelAttempts int `json:"maxCancelAttempts"`
	// WindowDeadline is when the provider stops accepting the cancel (or, for
	// providers without a clock window, the longest we keep trying).
	WindowDeadline time.Time `json:"windowDeadline"`
	WindowRule     string    `json:"windowRule"`
	// NotifyURL is where the merchant hears the outcome ("" = nowhere configured).
	NotifyURL string `json:"notifyUrl,omitempty"`
	// NotifySchedule is the wait before each notification attempt.
	NotifySchedule []time.Duration `json:"notifySchedule"`
	// ActivityTaskQueue is the provider's own task queue for provider calls
	// (ProviderTaskQueue); empty means the workflow's queue (cancels started
	// before per-provider queues existed).
	ActivityTaskQueue string `json:"activityTaskQueue,omitempty"`
}

// Backoff is a capped exponential backoff: Initial, then ×Multiplier up to Max.
// The worker's configuration writes it (queryBackoff, cancelRetry) and the
// workflow paces its queries and cancel rounds with it.
type Backoff struct {
	Initial    time.Duration `json:"initial"`
	Max        time.Duration `json:"max"`
	Multiplier float64       `json:"multiplier"`
}

// Next returns the delay after d (the first delay when d is 0).
func (b Backoff) Next(d time.Duration) time.Duration {
	if d <= 0 {
		return b.Initial
	}
	n := time.Duration(float64(d) * b.Multiplier)
	if n > b.Max || n <= 0 {
		return b.Max
	}
	return n
}

// DefaultNotifySchedule is the merchant notification schedule when none is
// configured: an attempt at once, then after 30, 60, 90, 120 and 150 seconds
// (the payment gateways' own convention for their notifications). The workflow
// uses it too when a cancel's policy could not be loaded.
var DefaultNotifySchedule = []time.Duration{0, 30 * time.Second, 60 * time.Second, 90 * time.Second, 120 * time.Second, 150 * time.Second}

// The policy defaults where the configuration names none: the status-query and
// cancel-retry backoffs and the bound on cancel attempts. The worker's
// configuration starts from them, and the workflow uses them when a cancel's
// policy could not be loaded.
var (
	DefaultQueryBackoff = Backoff{Initial: 5 * time.Second, Max: 10 * time.Minute, Multiplier: 2}
	DefaultCancelRetry  = Backoff{Initial: 2 * time.Second, Max: 2 * time.Minute, Multiplier: 2}
)

// DefaultMaxCancelAttempts bounds cancel attempts before review when the
// configuration names no bound.
const DefaultMaxCancelAttempts = 10
