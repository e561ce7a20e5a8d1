package workflows_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/paycancel/paycancel/providers"
	sandboxes "github.com/paycancel/paycancel/providers/sim"
	"github.com/paycancel/paycancel/providers/sim/simkit"
	"github.com/paycancel/paycancel/worker/config"
	"github.com/paycancel/paycancel/worker/testenv"
	"github.com/paycancel/paycancel/workflows/contract"
)

// claimAttempts is the cancel attempts each credential gets in these tests: small,
// so the review comes in seconds.
const claimAttempts = 3

// fewAttempts gives every dev credential three cancel attempts one second apart,
// and an hour's window (no same-day window closing mid-test).
func fewAttempts(f *config.File) {
	n, second := claimAttempts, config.Duration(time.Second)
	for _, c := range f.Merchants["demo"].Credentials {
		c.Policy.MaxCancelAttempts = &n
		c.Policy.CancelRetry = &config.BackoffFile{Initial: second, Max: second, Multiplier: 1}
		c.Policy.CancelWindow = &config.CancelWindow{Rule: "after", After: config.Duration(time.Hour)}
	}
}

// TestUnsignedClaimEndsInReview: for every provider, the sandbox's cancel reply
// claims the cancel happened in the form the provider does not sign (GNETE: an
// unsigned 9999 "订单已撤销"; Ksher: -5; PayerMax: a top-level code or an unsigned
// APPLY_SUCCESS; Alipay+ and Alipay Global: a success without its signature) while
// its signed status queries keep showing the payment open. Over real HTTP and a
// real Temporal server, each cancel ends NEEDS_REVIEW after its configured
// attempts — never CANCELLED — and the sandbox recorded no effective cancel.
// GNETE also meets genuinely signed answers about another order (ForeignAnswers).
func TestUnsignedClaimEndsInReview(t *testing.T) {
	env := testenv.Start(t, testenv.Options{EditConfig: fewAttempts})
	type tc struct {
		provider string
		sc       simkit.Scenario
	}
	var cases []tc
	for _, p := range sandboxes.Names {
		cases = append(cases, tc{p, simkit.Scenario{UnsignedClaim: true}})
	}
	cases = append(cases, tc{"gnete", simkit.Scenario{ForeignAnswers: true}})
	for i, c := range cases {
		name := c.provider + "/unsigned-claim"
		if c.sc.ForeignAnswers {
			name = c.provider + "/foreign-answers"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			order := testenv.Order(fmt.Sprintf("uc%d", i))
			createPayment(t, env, c.provider, simkit.Payment{MerchantOrderNo: order, Amount: 700, Currency: "USD", Scenario: c.sc})
			run := startCancel(t, env, contract.CancelRequest{Merchant: "demo", Provider: c.provider, Credential: "demo-" + c.provider,
				MerchantOrderNo: order, Amount: 700, Currency: "USD"})
			st := waitStatus(t, env, run, func(s contract.Status) bool {
				return s.State == contract.StateNeedsReview || contract.IsFinal(s.State)
			})
			if st.State != contract.StateNeedsReview || st.ReviewReason != contract.ReviewAttemptsExhausted {
				t.Fatalf("state %s (review %q, final %q), want NEEDS_REVIEW after the attempts; last outcome %v",
					st.State, st.ReviewReason, st.Final, st.LastOutcome)
			}
			if st.CancelAttempts != claimAttempts || st.LastOutcome.Kind != providers.Unknown {
				t.Errorf("attempts %d (want %d), last outcome %v", st.CancelAttempts, claimAttempts, st.LastOutcome)
			}
			store, _ := env.Sandboxes.Store(c.provider)
			p, _ := store.Get(order, "")
			if p.EffectiveCancels() != 0 || p.State != simkit.Paying || len(p.Cancels) != claimAttempts {
				t.Errorf("sandbox: %d effective of %d cancels, payment %s", p.EffectiveCancels(), len(p.Cancels), p.State)
			}
			// The operator closes it; the cancel never becomes CANCELLED.
			sendUpdate(t, env, run, contract.UpdateResolve, contract.Resolution{Action: "NOT_NEEDED", Operator: "ops@demo",
				Note: "payment still open at the provider; the claim was not signed"})
			if final := waitFinal(t, run); final.Final != contract.StateResolvedNotNeeded {
				t.Errorf("final %s", final.Final)
			}
		})
	}
}

// TestPaymentFailedEndsNotNeeded: PayerMax's signed orderQuery says the payment
// FAILED (支付失败) on its own. The first cancel attempt meets SYSTEM_ERROR; the
// retry's status check finds the payment failed and the cancel ends NOT_NEEDED with
// PayerMax's words — not CANCELLED, and no cancel took effect.
func TestPaymentFailedEndsNotNeeded(t *testing.T) {
	env := testenv.Start(t, testenv.Options{EditConfig: fewAttempts})
	order := testenv.Order("pf")
	createPayment(t, env, "payermax", simkit.Payment{MerchantOrderNo: order, Amount: 700, Currency: "USD", State: simkit.Failed,
		Scenario: simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultUnknown}}})
	run := startCancel(t, env, contract.CancelRequest{Merchant: "demo", Provider: "payermax", Credential: "demo-payermax",
		MerchantOrderNo: order, Amount: 700, Currency: "USD"})
	st := waitFinal(t, run)
	if st.Final != contract.StateNotNeeded || st.LastOutcome.Reason != providers.ReasonPaymentClosed || st.LastOutcome.Code != "FAILED" {
		t.Fatalf("final %s, last outcome %v", st.Final, st.LastOutcome)
	}
	p, _ := env.Sandboxes.PayerMax.Store.Get(order, "")
	if p.EffectiveCancels() != 0 || p.State != simkit.Failed {
		t.Errorf("sandbox: %d effective cancels, payment %s", p.EffectiveCancels(), p.State)
	}
	cred, _ := env.Config.Credential("demo-payermax")
	if ps := cred.Provider.QueryPayment(context.Background(), providers.Target{MerchantOrderNo: order}); ps.State != providers.PaymentFailed {
		t.Errorf("payment %+v", ps)
	}
}
