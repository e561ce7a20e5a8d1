package simkit

import (
	"fmt"
	"net/http"

	"github.com/paycancel/paycancel/providers"
)

// Sim is what every provider simulator offers the set that mounts it and the
// provider contract suite (providers/sim/contracttest) that drives it.
type Sim interface {
	// Handler serves the provider's API at its real paths and the admin API.
	Handler() http.Handler
	// Payments is the store of simulated payments and the cancels they received.
	Payments() *Store
	// Deliveries lists the notification attempts made so far (none for a
	// provider that sends no notifications).
	Deliveries() []Delivery
	// WaitDeliveries waits until every notification has ended on its own:
	// acknowledged, or its schedule run out. Tests use it to see that nothing is
	// sent after an ack (Close would cut the schedule short).
	WaitDeliveries()
	// Close stops notification retries.
	Close()
}

// Want is an outcome's kind and, for a failure, its reason.
type Want struct {
	Kind   providers.Kind
	Reason providers.Reason
}

// Contract is how an adapter must read its simulator's answers where the
// providers' rules differ. Each simulator package states its provider's contract;
// the contract suite checks the pair against it and against the rules that hold
// for every provider (one effective cancel per payment, no decision from an
// unverified or foreign answer, transport faults are unknown).
type Contract struct {
	// AlreadyCancelled: a cancel of a payment that was cancelled before.
	AlreadyCancelled Want
	// Paid: a cancel of a paid payment.
	Paid Want
	// PaidIsReversed: the provider cancels a paid payment by reversing it (the
	// payment ends REFUNDED).
	PaidIsReversed bool
	// NotFound: a cancel naming an order number the provider does not know.
	NotFound Want
	// FailedShowsAs is how a payment query shows a failed payment (zero:
	// PaymentFailed; a provider that closes failed payments shows PaymentClosed).
	FailedShowsAs providers.PaymentState
	// WindowExpired: a cancel after the provider's cancel window (Scenario.WindowExpired).
	WindowExpired Want
	// Refused: a cancel the provider refuses (Scenario.CancelFails).
	Refused Want
	// InOTP: a cancel of a card payment under way.
	InOTP Want
	// Pending: the first answer to a cancel that completes later (Scenario.PendingQueries).
	Pending providers.Kind
	// PaidAfterCancel: a cancel of a payment the customer pays right after the
	// cancel took effect (Scenario.PaidAfterCancel); the adapter may confirm with a
	// payment query that already shows it paid.
	PaidAfterCancel Want
	// Notifies is what the provider notifies: a cancel's result (to the URL the
	// cancel names or the one set in its console), a payment's result, or nothing ("").
	Notifies providers.NotificationType
}

// DefaultContract is how most providers answer: a simulator package starts from it
// and states where its provider differs, and why.
var DefaultContract = Contract{
	AlreadyCancelled: Want{Kind: providers.AlreadyDone},
	Paid:             Want{Kind: providers.Failed, Reason: providers.ReasonAlreadyPaid},
	NotFound:         Want{Kind: providers.Failed, Reason: providers.ReasonNotFound},
	WindowExpired:    Want{Kind: providers.Failed, Reason: providers.ReasonWindowExpired},
	Refused:          Want{Kind: providers.Failed, Reason: providers.ReasonRejected},
	InOTP:            Want{Kind: providers.Failed, Reason: providers.ReasonRejected},
	Pending:          providers.Pending,
	PaidAfterCancel:  Want{Kind: providers.Succeeded},
}

// Starter starts a pair's simulator with development credentials kept in dir,
// served at baseURL, and returns it with the adapter configuration that talks to
// it and the adapter's constructor.
type Starter func(dir, baseURL string, o DevOptions) (cfg any, sim Sim, newAdapter NewAdapter, err error)

// NewAdapter makes an adapter from a configuration of its own type.
type NewAdapter func(cfg any, deps providers.Deps) (providers.Provider, error)

// Bind makes a Starter from a simulator package's Dev and its adapter's New.
func Bind[C any, S Sim, P providers.Provider](dev func(string, string, DevOptions) (C, S, error), newAdapter func(C, providers.Deps) (P, error)) Starter {
	return func(dir, baseURL string, o DevOptions) (any, Sim, NewAdapter, error) {
		cfg, sb, err := dev(dir, baseURL, o)
		if err != nil {
			return nil, nil, nil, err
		}
		return cfg, sb, Adapt(newAdapter), nil
	}
}

// Adapt makes a NewAdapter from an adapter package's New.
func Adapt[C any, P providers.Provider](newAdapter func(C, providers.Deps) (P, error)) NewAdapter {
	return func(cfg any, d providers.Deps) (providers.Provider, error) {
		c, ok := cfg.(C)
		if !ok {
			return nil, fmt.Errorf("configuration %T, want %T", cfg, c)
		}
		return newAdapter(c, d)
	}
}

// Pair is one adapter and its simulator: the set runs the simulator, the
// provider contract suite (providers/sim/contracttest) runs the adapter against
// it and checks the answers against Contract.
type Pair struct {
	Name     string
	Start    Starter
	Contract Contract
}
