// Package simkit is what the provider sandboxes share: a store of simulated payments
// with their states and scripted scenarios, the generic cancel rules, a record of
// every cancel received (to assert that retries reused the business key and at most
// one cancel took effect), HTTP-level faults, an admin API, and a notifier that
// retries on a schedule. Each provider's simulator (providers/sim/<p>sim/sandbox.go)
// renders these in its own wire format and signs like the real provider. It also
// holds the development credential generators (devkeys.go, dev.go) and the
// Contract a simulator states for the contract suite.
package simkit

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// State is a simulated payment's state.
type State string

const (
	Paying    State = "PAYING"    // created, not paid yet (QR shown, link open)
	InOTP     State = "OTP"       // card payment under way (Ksher: cannot be cancelled)
	Paid      State = "PAID"      // money moved
	Failed    State = "FAILED"    // payment failed; will not be paid
	Cancelled State = "CANCELLED" // cancelled/closed by a cancel
	Refunded  State = "REFUNDED"  // paid, then reversed by a cancel (providers that cancel paid orders)
)

// Fault is one scripted misbehaviour, applied to one call.
type Fault string

const (
	FaultNone Fault = ""
	// FaultTimeout holds the connection past the client's timeout without acting.
	FaultTimeout Fault = "timeout"
	// FaultTimeoutAfterEffect acts (the cancel takes effect) and then holds the
	// connection: the side effect happened, the client sees a timeout.
	FaultTimeoutAfterEffect Fault = "timeout_after_effect"
	// FaultReset closes the connection without answering.
	FaultReset Fault = "reset"
	// Fault5xx answers 502 with an HTML body, as a proxy would.
	Fault5xx Fault = "5xx"
	// FaultGarbage answers 200 with a body that is not the provider's format.
	FaultGarbage Fault = "garbage"
	// FaultUnsigned answers normally but without the response signature.
	FaultUnsigned Fault = "unsigned"
	// FaultBadSignature answers normally with a wrong response signature.
	FaultBadSignature Fault = "bad_signature"
	// FaultUnknown answers with the provider's own "unknown" result.
	FaultUnknown Fault = "unknown"
	// FaultRateLimit answers with the provider's own rate-limit result.
	FaultRateLimit Fault = "rate_limit"
)

// Faults lists every fault, for validation and docs.
var Faults = []Fault{FaultTimeout, FaultTimeoutAfterEffect, FaultReset, Fault5xx, FaultGarbage, FaultUnsigned, FaultBadSignature, FaultUnknown, FaultRateLimit}

// Scenario scripts one payment's behaviour. The zero value is the happy path: the
// payment stays PAYING and a cancel takes effect at once.
type Scenario struct {
	// CancelFaults are applied to the first cancel calls, one each, in order.
	CancelFaults []Fault `json:"cancelFaults,omitempty"`
	// QueryFaults are applied to the first query calls (cancel or payment), one each.
	QueryFaults []Fault `json:"queryFaults,omitempty"`
	// LatencyMs delays every answer.
	LatencyMs int `json:"latencyMs,omitempty"`
	// PendingQueries > 0: a cancel is accepted as pending and completes after that
	// many status queries (cancel or payment queries).
	PendingQueries int `json:"pendingQueries,omitempty"`
	// WindowExpired: the provider's cancel window has passed.
	WindowExpired bool `json:"windowExpired,omitempty"`
	// PaidAfterCancel: after the cancel took effect the customer still pays (a saved
	// QR code); the next payment query shows PAID.
	PaidAfterCancel bool `json:"paidAfterCancel,omitempty"`
	// PayOnQuery > 0: the payment becomes PAID at that payment query (paid before the deadline).
	PayOnQuery int `json:"payOnQuery,omitempty"`
	// FailOnQuery > 0: the payment becomes FAILED at that payment query.
	FailOnQuery int `json:"failOnQuery,omitempty"`
	// RetryAfterSeconds is the hint sent with a rate-limit fault (where the provider has one).
	RetryAfterSeconds int `json:"retryAfterSeconds,omitempty"`
	// CancelFails: the provider refuses the cancel with a generic definite failure.
	CancelFails bool `json:"cancelFails,omitempty"`
	// UnsignedClaim: every cancel reply claims the cancel happened, in the form the
	// provider does not sign (GNETE: a code-9999 "already cancelled" body; Ksher:
	// code -5; PayerMax: a top-level error code), or, for a provider that signs every
	// answer (Alipay+, Alipay Global), as a success without its signature. Nothing
	// happens: status queries keep showing the payment as it was, and the store
	// records the calls as not effective. An adapter that believed the claim would
	// end the cancel CANCELLED while the payment is still open.
	UnsignedClaim bool `json:"unsignedClaim,omitempty"`
	// ForeignAnswers: every answer about this payment is a genuine, correctly signed
	// answer about another order, as a replay would deliver (GNETE's signatures carry
	// no nonce): the cancel reply is another order's "cancel success", the status
	// queries show another, cancelled order. Nothing happens to this payment. GNETE
	// renders it; the other sandboxes answer their own "unknown" to the cancel.
	ForeignAnswers bool `json:"foreignAnswers,omitempty"`
}

// Validate checks a scenario's faults by name.
func (s Scenario) Validate() error {
	for _, list := range [][]Fault{s.CancelFaults, s.QueryFaults} {
		for _, f := range list {
			if !knownFault(f) {
				return fmt.Errorf("unknown fault %q", f)
			}
		}
	}
	if s.PendingQueries < 0 || s.PayOnQuery < 0 || s.FailOnQuery < 0 || s.LatencyMs < 0 || s.RetryAfterSeconds < 0 {
		return errors.New("scenario counts must not be negative")
	}
	return nil
}

func knownFault(f Fault) bool {
	for _, k := range Faults {
		if f == k {
			return true
		}
	}
	return false
}

// CancelRecord is one cancel request the sandbox received and accepted as signed.
type CancelRecord struct {
	At time.Time `json:"at"`
	// Key is the request's business key (PayerMax requestId; for providers without
	// one, the target id the cancel named).
	Key string `json:"key"`
	// Effective is true for the one call that moved the payment to cancelled (or to
	// cancel-pending); repeats are false.
	Effective bool `json:"effective"`
	// Result is the generic result the call got.
	Result CancelResult `json:"result"`
	// Fault is the fault applied to the call, if any.
	Fault Fault `json:"fault,omitempty"`
}

// CancelResult is the provider-neutral result of a cancel; each sandbox renders it
// with its own codes.
type CancelResult string

const (
	CancelDone         CancelResult = "CANCELLED"         // took effect now
	CancelPendingNow   CancelResult = "PENDING"           // accepted, completes later
	CancelAlready      CancelResult = "ALREADY_CANCELLED" // was cancelled before
	CancelPaid         CancelResult = "ALREADY_PAID"      // the payment succeeded
	CancelWindow       CancelResult = "WINDOW_EXPIRED"    // too late
	CancelNotFound     CancelResult = "NOT_FOUND"         // no such payment
	CancelInProgress   CancelResult = "IN_PROGRESS"       // payment under way (card OTP): cannot cancel now
	CancelRefused      CancelResult = "REFUSED"           // a generic definite refusal (Scenario.CancelFails)
	CancelClaimed      CancelResult = "CLAIMED_UNSIGNED"  // Scenario.UnsignedClaim: claimed unsigned, nothing happened
	CancelForeign      CancelResult = "FOREIGN_ANSWER"    // Scenario.ForeignAnswers: answered about another order
	CancelNotAttempted CancelResult = "NOT_ATTEMPTED"     // a fault answered before acting
)

// Payment is one simulated payment.
type Payment struct {
	MerchantOrderNo   string    `json:"merchantOrderNo"`
	ProviderPaymentID string    `json:"providerPaymentId"`
	Amount            int64     `json:"amount"`
	Currency          string    `json:"currency"`
	State             State     `json:"state"`
	CreatedAt         time.Time `json:"createdAt"`
	Scenario          Scenario  `json:"scenario"`
	// CancelPending is true while an accepted cancel has not completed.
	CancelPending bool `json:"cancelPending"`
	// CancelRef is the sandbox's id for the cancel (cancelNo, cancelOrderId).
	CancelRef string `json:"cancelRef,omitempty"`
	// CancelledAt is when the cancel took effect.
	CancelledAt time.Time      `json:"cancelledAt,omitempty"`
	Cancels     []CancelRecord `json:"cancels"`
	// PaymentQueries and CancelQueries count status queries received.
	PaymentQueries int `json:"paymentQueries"`
	CancelQueries  int `json:"cancelQueries"`

	cancelFaultsUsed int
	queryFaultsUsed  int
	pendingQueries   int
}

// StatusNames is how a provider's payment query names each simulated state.
type StatusNames struct {
	Paying, InOTP, Paid, Failed, Cancelled, Refunded string
}

// Of names p's state. A payment whose cancel has been accepted but has not
// completed shows what it showed before the cancel: Paying for Cancelled, Paid
// for Refunded. A state without a name shows as Paying.
func (n StatusNames) Of(p Payment) string {
	state := p.State
	if p.CancelPending {
		switch state {
		case Cancelled:
			state = Paying
		case Refunded:
			state = Paid
		}
	}
	switch state {
	case InOTP:
		return n.InOTP
	case Paid:
		return n.Paid
	case Failed:
		return n.Failed
	case Cancelled:
		return n.Cancelled
	case Refunded:
		return n.Refunded
	}
	return n.Paying
}

// EffectiveCancels counts the cancels that took effect.
func (p *Payment) EffectiveCancels() int {
	n := 0
	for _, c := range p.Cancels {
		if c.Effective {
			n++
		}
	}
	return n
}

// Store keeps the sandbox's payments. It is safe for concurrent use.
type Store struct {
	// Prefix starts generated provider payment ids ("P", "2015…").
	Prefix string
	// Now is the sandbox's clock. Nil: time.Now.
	Now func() time.Time

	mu         sync.Mutex
	byOrder    map[string]*Payment
	byProvider map[string]*Payment
	seq        atomic.Int64
}

// NewStore makes an empty store; prefix starts generated provider ids.
func NewStore(prefix string) *Store {
	return &Store{Prefix: prefix, byOrder: map[string]*Payment{}, byProvider: map[string]*Payment{}}
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// NextID makes a fresh sandbox id with the given prefix.
func (s *Store) NextID(prefix string) string {
	n := s.seq.Add(1)
	return prefix + s.now().UTC().Format("20060102150405") + fmt.Sprintf("%06d", n)
}

// ErrExists is returned when a payment with the same merchant order number exists.
var ErrExists = errors.New("payment already exists")

// Create adds a payment. State defaults to PAYING, the provider id to a fresh one.
func (s *Store) Create(p Payment) (Payment, error) {
	if p.MerchantOrderNo == "" {
		return Payment{}, errors.New("merchantOrderNo is required")
	}
	if p.State == "" {
		p.State = Paying
	}
	switch p.State {
	case Paying, InOTP, Paid, Failed, Cancelled, Refunded:
	default:
		return Payment{}, fmt.Errorf("unknown state %q", p.State)
	}
	if err := p.Scenario.Validate(); err != nil {
		return Payment{}, err
	}
	if p.Currency == "" {
		p.Currency = "USD"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byOrder[p.MerchantOrderNo]; ok {
		return Payment{}, fmt.Errorf("%w: %s", ErrExists, p.MerchantOrderNo)
	}
	if p.ProviderPaymentID == "" {
		p.ProviderPaymentID = s.NextID(s.Prefix)
	}
	if _, ok := s.byProvider[p.ProviderPaymentID]; ok {
		return Payment{}, fmt.Errorf("%w: provider id %s", ErrExists, p.ProviderPaymentID)
	}
	p.CreatedAt = s.now()
	p.Cancels = nil
	stored := p
	s.byOrder[p.MerchantOrderNo] = &stored
	s.byProvider[p.ProviderPaymentID] = &stored
	return stored.snapshot(), nil
}

func (p *Payment) snapshot() Payment {
	c := *p
	c.Cancels = append([]CancelRecord(nil), p.Cancels...)
	return c
}

// Get returns a copy of the payment found by merchant order number or provider id
// (the provider id wins when both are given, as the providers document).
func (s *Store) Get(merchantOrderNo, providerPaymentID string) (Payment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.find(merchantOrderNo, providerPaymentID)
	if p == nil {
		return Payment{}, false
	}
	return p.snapshot(), true
}

// FindByCancelRef returns the payment whose cancel has the given reference.
func (s *Store) FindByCancelRef(ref string) (Payment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.byOrder {
		if p.CancelRef != "" && p.CancelRef == ref {
			return p.snapshot(), true
		}
	}
	return Payment{}, false
}

// List returns copies of all payments, by creation.
func (s *Store) List() []Payment {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Payment, 0, len(s.byOrder))
	for _, p := range s.byOrder {
		out = append(out, p.snapshot())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out
}

func (s *Store) find(merchantOrderNo, providerPaymentID string) *Payment {
	if providerPaymentID != "" {
		if p, ok := s.byProvider[providerPaymentID]; ok {
			return p
		}
		return nil
	}
	return s.byOrder[merchantOrderNo]
}

// SetState moves a payment to a state (admin API: "the customer paid now").
func (s *Store) SetState(merchantOrderNo string, st State) (Payment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.byOrder[merchantOrderNo]
	if p == nil {
		return Payment{}, fmt.Errorf("no payment %s", merchantOrderNo)
	}
	p.State = st
	return p.snapshot(), nil
}

// CancelRules are a provider's cancel rules beyond the generic ones.
type CancelRules struct {
	// CancelPaid: the provider cancels a paid order by reversing it (GNETE same day,
	// Alipay Global refunds): the payment goes to REFUNDED and the cancel succeeds.
	CancelPaid bool
	// AlreadyCancelledIsSuccess: a repeat cancel answers success (idempotent by target)
	// rather than an "already cancelled" code.
	AlreadyCancelledIsSuccess bool
	// NewCancelRef makes the provider's cancel id; nil: none.
	NewCancelRef func() string
}

// Call is one sandbox call's view of its payment, taken under the store's lock.
type Call struct {
	Payment Payment // snapshot after the call
	Found   bool
	Fault   Fault
	Result  CancelResult
}

// Cancel applies one cancel call: it takes the next scripted fault, applies the
// provider's rules and records the call with its business key. Faults that answer
// before acting (all but FaultTimeoutAfterEffect, FaultUnsigned, FaultBadSignature)
// leave the payment untouched; the sandbox renders the fault.
func (s *Store) Cancel(merchantOrderNo, providerPaymentID, key string, rules CancelRules) Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.find(merchantOrderNo, providerPaymentID)
	if p == nil {
		return Call{Result: CancelNotFound}
	}
	fault := FaultNone
	if p.cancelFaultsUsed < len(p.Scenario.CancelFaults) {
		fault = p.Scenario.CancelFaults[p.cancelFaultsUsed]
		p.cancelFaultsUsed++
	}
	rec := CancelRecord{At: s.now(), Key: key, Fault: fault}
	if actsBefore(fault) {
		rec.Result = CancelNotAttempted
		p.Cancels = append(p.Cancels, rec)
		return Call{Payment: p.snapshot(), Found: true, Fault: fault, Result: CancelNotAttempted}
	}
	rec.Result = s.applyCancel(p, rules, &rec)
	p.Cancels = append(p.Cancels, rec)
	return Call{Payment: p.snapshot(), Found: true, Fault: fault, Result: rec.Result}
}

// actsBefore reports whether a fault answers before the provider acts.
func actsBefore(f Fault) bool {
	switch f {
	case FaultNone, FaultTimeoutAfterEffect, FaultUnsigned, FaultBadSignature:
		return false
	}
	return true
}

func (s *Store) applyCancel(p *Payment, rules CancelRules, rec *CancelRecord) CancelResult {
	switch {
	case p.State == Cancelled || p.State == Refunded:
		if p.CancelPending {
			return CancelPendingNow
		}
		if rules.AlreadyCancelledIsSuccess {
			return CancelDone
		}
		return CancelAlready
	case p.CancelPending:
		return CancelPendingNow
	case p.Scenario.UnsignedClaim:
		return CancelClaimed
	case p.Scenario.ForeignAnswers:
		return CancelForeign
	case p.Scenario.WindowExpired:
		return CancelWindow
	case p.Scenario.CancelFails:
		return CancelRefused
	case p.State == Paid && !rules.CancelPaid:
		return CancelPaid
	case p.State == InOTP:
		return CancelInProgress
	}
	rec.Effective = true
	if rules.NewCancelRef != nil && p.CancelRef == "" {
		p.CancelRef = rules.NewCancelRef()
	}
	if p.State == Paid {
		p.State = Refunded
	} else {
		p.State = Cancelled
	}
	if p.Scenario.PendingQueries > 0 {
		p.CancelPending = true
		p.pendingQueries = 0
		return CancelPendingNow
	}
	p.CancelledAt = s.now()
	return CancelDone
}

// QueryKind says what a status query asks about.
type QueryKind int

const (
	QueryPayment QueryKind = iota
	QueryCancel
)

// Query applies one status query: the next scripted query fault, the pending-cancel
// counter and the payment-state scripts. It returns the payment as the query sees it.
func (s *Store) Query(merchantOrderNo, providerPaymentID string, kind QueryKind) Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.find(merchantOrderNo, providerPaymentID)
	if p == nil {
		return Call{}
	}
	return s.query(p, kind)
}

// QueryByCancelRef is Query for providers that query a cancel by its own id.
func (s *Store) QueryByCancelRef(ref string) Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.byOrder {
		if p.CancelRef != "" && p.CancelRef == ref {
			return s.query(p, QueryCancel)
		}
	}
	return Call{}
}

func (s *Store) query(p *Payment, kind QueryKind) Call {
	fault := FaultNone
	if p.queryFaultsUsed < len(p.Scenario.QueryFaults) {
		fault = p.Scenario.QueryFaults[p.queryFaultsUsed]
		p.queryFaultsUsed++
	}
	if actsBefore(fault) {
		return Call{Payment: p.snapshot(), Found: true, Fault: fault}
	}
	if kind == QueryPayment {
		p.PaymentQueries++
	} else {
		p.CancelQueries++
	}
	if p.CancelPending {
		p.pendingQueries++
		if p.pendingQueries >= p.Scenario.PendingQueries {
			p.CancelPending = false
			p.CancelledAt = s.now()
		}
	}
	if kind == QueryPayment {
		switch {
		case p.State == Paying && p.Scenario.PayOnQuery > 0 && p.PaymentQueries >= p.Scenario.PayOnQuery:
			p.State = Paid
		case p.State == Paying && p.Scenario.FailOnQuery > 0 && p.PaymentQueries >= p.Scenario.FailOnQuery:
			p.State = Failed
		case p.State == Cancelled && !p.CancelPending && p.Scenario.PaidAfterCancel:
			// The customer scanned a saved QR code after the cancel.
			p.State = Paid
		}
	}
	return Call{Payment: p.snapshot(), Found: true, Fault: fault}
}

// Reset forgets every payment.
func (s *Store) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byOrder = map[string]*Payment{}
	s.byProvider = map[string]*Payment{}
}
