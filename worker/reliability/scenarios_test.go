package reliability

import (
	"time"

	"github.com/paycancel/paycancel/providers/sim/simkit"
	"github.com/paycancel/paycancel/workflows/contract"
)

// scenario is one kind of cancel the run mixes: the sandbox payment's script, what
// the harness does as order service or operator, and the outcome it must reach.
type scenario struct {
	name  string
	sc    simkit.Scenario
	state simkit.State // the payment's state at creation ("" = PAYING)
	// payTimeout > 0: the cancel first waits for the payment's result.
	payTimeout time.Duration
	// signalPaid: the order service signals PAID while the cancel waits.
	signalPaid bool
	// review: the cancel must stop in NEEDS_REVIEW; the harness, as operator,
	// resolves it NOT_NEEDED (nothing was cancelled at the provider).
	review bool
	// want is the expected final state, by provider.
	want func(provider string) string
	// notFor lists providers the scenario does not apply to.
	notFor []string
	// knownBug names an open bug the scenario reproduces every time; such
	// scenarios run only with PAYCANCEL_RELIABILITY_KNOWN_BUGS=1 until it is fixed.
	knownBug string
	// everyProvider: plan it for every provider it applies to, short form
	// included (the other scenarios share each provider's remaining cancels).
	everyProvider bool
}

func (s scenario) appliesTo(provider string) bool {
	for _, p := range s.notFor {
		if p == provider {
			return false
		}
	}
	return true
}

func always(s string) func(string) string { return func(string) string { return s } }

// Timeouts are real: the sandbox holds the connection (simkit.HoldFor, 20 s here)
// past the adapters' 15 s HTTP client timeout (providers.Deps default, which the
// worker uses), so the client gives up as it would against a hung provider.
var catalogue = []scenario{
	{name: "happy", want: always(contract.StateCancelled)},
	{name: "unknown-then-5xx", sc: simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultUnknown, simkit.Fault5xx}},
		want: always(contract.StateCancelled)},
	{name: "reset", sc: simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultReset}, QueryFaults: []simkit.Fault{simkit.FaultReset}},
		want: always(contract.StateCancelled)},
	{name: "timeout", sc: simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultTimeout}},
		want: always(contract.StateCancelled)},
	// The side effect happened, then the connection hung: the cancel took effect
	// but the activity never heard; the retry must find it done, not cancel again.
	{name: "timeout-after-effect", sc: simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultTimeoutAfterEffect}},
		want: always(contract.StateCancelled)},
	{name: "after-effect+query-5xx", sc: simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultTimeoutAfterEffect},
		QueryFaults: []simkit.Fault{simkit.Fault5xx}}, want: always(contract.StateCancelled)},
	{name: "rate-limited", sc: simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultRateLimit, simkit.FaultRateLimit}, RetryAfterSeconds: 1},
		want: always(contract.StateCancelled)},
	{name: "pending", sc: simkit.Scenario{PendingQueries: 3}, want: always(contract.StateCancelled)},
	{name: "pending+query-faults", sc: simkit.Scenario{PendingQueries: 2,
		QueryFaults: []simkit.Fault{simkit.Fault5xx, simkit.FaultUnknown, simkit.FaultReset, simkit.FaultRateLimit}},
		want: always(contract.StateCancelled)},
	{name: "after-effect+pending", sc: simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultTimeoutAfterEffect}, PendingQueries: 2, LatencyMs: 150},
		want: always(contract.StateCancelled)},
	{name: "unknown-x3+garbage", sc: simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultUnknown, simkit.FaultGarbage, simkit.FaultUnknown}},
		want: always(contract.StateCancelled)},
	{name: "paid-before-deadline", payTimeout: 3 * time.Second, sc: simkit.Scenario{PayOnQuery: 1},
		want: always(contract.StatePaid)},
	{name: "failed-before-deadline", payTimeout: 3 * time.Second, sc: simkit.Scenario{FailOnQuery: 1},
		want: always(contract.StateNotNeeded)},
	{name: "signal-paid", payTimeout: 40 * time.Second, signalPaid: true, want: always(contract.StatePaid)},
	{name: "deadline-then-cancel", payTimeout: 3 * time.Second, sc: simkit.Scenario{QueryFaults: []simkit.Fault{simkit.FaultUnknown}},
		want: always(contract.StateCancelled)},
	// Ksher has no cancel window: its sandbox answers -6, "query before deciding"
	// (unknown), which is retried until the attempts run out.
	{name: "window-expired", sc: simkit.Scenario{WindowExpired: true}, review: true,
		want: always(contract.StateResolvedNotNeeded), notFor: []string{"ksher"}},
	{name: "refused", sc: simkit.Scenario{CancelFails: true}, review: true,
		want: always(contract.StateResolvedNotNeeded)},
	// Paid before the cancel arrived: PayerMax, Alipay+ and Ksher refuse (paid at
	// cancel); GNETE (same day) and Alipay Global reverse the payment (cancelled).
	{name: "already-paid", state: simkit.Paid, want: func(p string) string {
		if p == "gnete" || p == "alipayglobal" {
			return contract.StateCancelled
		}
		return contract.StatePaidAtCancel
	}},

	// ---- deterministic reproductions of two bugs this suite found (fixed) ----

	// The order service's PAID arrives (2 s after the start, 2 s before the pay
	// deadline) while a payment-status poll hangs (the provider times out, 15 s):
	// the poll returns after the deadline; the workflow must read the signal it
	// already holds instead of cancelling.
	{name: "paid-signal-during-slow-poll", payTimeout: 4 * time.Second, signalPaid: true,
		sc:   simkit.Scenario{QueryFaults: []simkit.Fault{simkit.FaultTimeout}},
		want: always(contract.StatePaid)},
	// A reset before the provider acted costs attempt 1; attempt 2 asks first, sees
	// the payment paid, and must still send the cancel: these two providers reverse
	// paid orders.
	{name: "already-paid+reset", state: simkit.Paid, sc: simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultReset}},
		want: always(contract.StateCancelled), notFor: []string{"payermax", "alipayplus", "ksher"}},

	// ---- the trust rule: nothing the provider did not sign (or signed about
	// another order) decides a cancel ----

	// Every cancel reply claims the cancel happened, in the provider's unsigned form
	// (or, for Alipay+ and Alipay Global, a success without its signature), while
	// the signed status queries keep showing the payment open: retried until the
	// attempts run out, then review — never CANCELLED (checkSandbox holds every
	// CANCELLED to an effective cancel at the sandbox).
	{name: "unsigned-claim", sc: simkit.Scenario{UnsignedClaim: true}, review: true,
		want: always(contract.StateResolvedNotNeeded), everyProvider: true},
	// GNETE: every answer is another order's genuinely signed one (a replay: Jeepay
	// signatures carry no nonce).
	{name: "foreign-answers", sc: simkit.Scenario{ForeignAnswers: true}, review: true,
		want: always(contract.StateResolvedNotNeeded), everyProvider: true,
		notFor: []string{"payermax", "alipayplus", "ksher", "alipayglobal"}},
}
