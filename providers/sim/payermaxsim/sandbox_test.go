package payermaxsim_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/payermax"
	"github.com/paycancel/paycancel/providers/providertest"
	"github.com/paycancel/paycancel/providers/sim/contracttest"
	"github.com/paycancel/paycancel/providers/sim/payermaxsim"
	"github.com/paycancel/paycancel/providers/sim/simkit"
)

// The tests here drive the adapter against its simulator; what every provider
// shares is in the contract suite (providers/sim/contracttest).

var pair = simkit.Pair{Name: payermax.Name, Start: simkit.Bind(payermaxsim.Dev, payermax.New)}

func TestMain(m *testing.M) { os.Exit(contracttest.Main(m)) }

func start(t *testing.T) *contracttest.Env {
	return contracttest.StartDev(t, pair, simkit.DevOptions{})
}

func order(no string) providers.Target { return providers.Target{MerchantOrderNo: no} }

func cancel(c providers.Provider, no, key string) providers.Outcome {
	return c.Cancel(context.Background(), providers.CancelRequest{Target: order(no), CancelKey: key})
}

func expect(t *testing.T, o providers.Outcome, kind providers.Kind, reason providers.Reason, code string) {
	t.Helper()
	providertest.Expect(t, "", o, kind, reason, code)
}

func TestCancelHappyPath(t *testing.T) {
	e := start(t)
	e.Create("order-1", simkit.Paying, simkit.Scenario{})
	o := cancel(e.Client, "order-1", "cancel-key-1")
	expect(t, o, providers.Succeeded, "", payermax.CancelSuccess)
	if o.ProviderRef == "" {
		t.Error("no cancelNo")
	}
	p := e.Payment("order-1")
	contracttest.ExpectOneEffective(t, p, 1)
	if p.State != simkit.Cancelled || p.CancelRef != o.ProviderRef {
		t.Errorf("payment %s ref %s", p.State, p.CancelRef)
	}
	ps := e.Client.QueryPayment(context.Background(), order("order-1"))
	if ps.State != providers.PaymentClosed || ps.Outcome.Kind != providers.Succeeded {
		t.Errorf("query payment %+v", ps)
	}
	expect(t, e.Client.QueryCancel(context.Background(), providers.CancelQuery{Target: order("order-1"), CancelKey: "cancel-key-1"}), providers.Succeeded, "", "CLOSED")

	// The request carried what the provider's API page says.
	var env payermax.Envelope
	if err := json.Unmarshal(e.Requests()[0], &env); err != nil {
		t.Fatal(err)
	}
	if env.Version != "1.5" || env.KeyVersion != "1" || env.AppID != payermaxsim.DevAppID || env.MerchantNo != payermaxsim.DevMerchantNo ||
		env.Data.RequestID != "cancel-key-1" || env.Data.OutTradeNo != "order-1" {
		t.Errorf("request %s", e.Requests()[0])
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000-07:00", env.RequestTime); err != nil {
		t.Errorf("requestTime %q: %v", env.RequestTime, err)
	}
}

func TestCancelAlreadyCancelled(t *testing.T) {
	e := start(t)
	e.Create("order-c", simkit.Cancelled, simkit.Scenario{})
	// ORDER_ALREADY_CANCELLED is signed but undocumented: the signed orderQuery
	// (CLOSED) confirms it, and its code is the evidence.
	o := cancel(e.Client, "order-c", "k1")
	expect(t, o, providers.AlreadyDone, "", "CLOSED")
	if !strings.Contains(o.Message, payermax.ErrCodeAlreadyCancelled) {
		t.Errorf("the provider's code is lost: %s", o)
	}

	// Cancelled by one requestId: the same requestId gets the original success again,
	// another requestId hears "already cancelled".
	e.Create("order-d", simkit.Paying, simkit.Scenario{})
	first := cancel(e.Client, "order-d", "k1")
	expect(t, first, providers.Succeeded, "", "")
	again := cancel(e.Client, "order-d", "k1")
	expect(t, again, providers.Succeeded, "", "")
	if again.ProviderRef != first.ProviderRef {
		t.Errorf("replay cancelNo %s, first %s", again.ProviderRef, first.ProviderRef)
	}
	expect(t, cancel(e.Client, "order-d", "k2"), providers.AlreadyDone, "", "CLOSED")
	if p := e.Payment("order-d"); p.EffectiveCancels() != 1 {
		t.Errorf("%d effective cancels", p.EffectiveCancels())
	}
}

func TestRateLimited(t *testing.T) {
	e := start(t)
	e.Create("order-rl", simkit.Paying, simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultRateLimit}, QueryFaults: []simkit.Fault{simkit.FaultRateLimit}})
	expect(t, cancel(e.Client, "order-rl", "k"), providers.Failed, providers.ReasonRateLimited, "TOO_MANY_REQUEST")
	ps := e.Client.QueryPayment(context.Background(), order("order-rl"))
	expect(t, ps.Outcome, providers.Failed, providers.ReasonRateLimited, "TOO_MANY_REQUEST")
	expect(t, cancel(e.Client, "order-rl", "k"), providers.Succeeded, "", "")
}

func TestWrongMerchantKey(t *testing.T) {
	e := start(t)
	e.Create("order-k", simkit.Paying, simkit.Scenario{})
	cfg := e.Config.(payermax.Config)
	cfg.MerchantPrivateKey = providers.SecretRef{File: "../../payermax/testdata/provider_private.pem"} // not the merchant's key
	c := e.Adapter(cfg, nil)
	o := c.Cancel(context.Background(), providers.CancelRequest{Target: providers.Target{MerchantOrderNo: "order-k"}, CancelKey: "k"})
	expect(t, o, providers.Failed, providers.ReasonConfiguration, "SIGN_VERIFY_FAILED")
	if p := e.Payment("order-k"); len(p.Cancels) != 0 {
		t.Error("an unsigned cancel was recorded")
	}
}

func TestWrongAppAndMerchant(t *testing.T) {
	e := start(t)
	e.Create("order-a", simkit.Paying, simkit.Scenario{})
	cfg := e.Config.(payermax.Config)
	cfg.AppID = "another-app"
	expect(t, e.Adapter(cfg, nil).QueryPayment(context.Background(), providers.Target{MerchantOrderNo: "order-a"}).Outcome,
		providers.Failed, providers.ReasonConfiguration, "MERCHANT_APP_INVALID")
	cfg = e.Config.(payermax.Config)
	cfg.MerchantNo = "P0000"
	expect(t, e.Adapter(cfg, nil).QueryPayment(context.Background(), providers.Target{MerchantOrderNo: "order-a"}).Outcome,
		providers.Failed, providers.ReasonConfiguration, "MERCHANT_INVALID")
}

func TestStaleRequestTime(t *testing.T) {
	e := start(t)
	e.Create("order-t", simkit.Paying, simkit.Scenario{})
	c := e.Adapter(e.Config, func() time.Time { return time.Now().Add(-3 * time.Minute) })
	o := c.Cancel(context.Background(), providers.CancelRequest{Target: providers.Target{MerchantOrderNo: "order-t"}, CancelKey: "k"})
	expect(t, o, providers.Failed, providers.ReasonConfiguration, "REQ_TIME_OVER_TIME")
	// One minute off is within PayerMax's two.
	c = e.Adapter(e.Config, func() time.Time { return time.Now().Add(-time.Minute) })
	expect(t, c.Cancel(context.Background(), providers.CancelRequest{Target: providers.Target{MerchantOrderNo: "order-t"}, CancelKey: "k"}), providers.Succeeded, "", "")
}

func TestRequestTimeFreshPerAttempt(t *testing.T) {
	e := start(t)
	e.Create("order-fresh", simkit.Paying, simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultUnknown}})
	clock := time.Now()
	c := e.Adapter(e.Config, func() time.Time { clock = clock.Add(1500 * time.Millisecond); return clock })
	req := providers.CancelRequest{Target: providers.Target{MerchantOrderNo: "order-fresh"}, CancelKey: "k-fresh"}
	c.Cancel(context.Background(), req)
	c.Cancel(context.Background(), req)
	sent := e.Requests()
	if len(sent) != 2 {
		t.Fatalf("%d requests", len(sent))
	}
	var a, b payermax.Envelope
	_ = json.Unmarshal(sent[0], &a)
	_ = json.Unmarshal(sent[1], &b)
	if a.RequestTime == b.RequestTime || a.Data != b.Data {
		t.Errorf("attempts %s / %s", sent[0], sent[1])
	}
}

func TestInvalidRequestNotSent(t *testing.T) {
	e := start(t)
	long := strings.Repeat("x", 65)
	for _, req := range []providers.CancelRequest{
		{Target: providers.Target{MerchantOrderNo: "o"}, CancelKey: long},
		{Target: providers.Target{MerchantOrderNo: long}, CancelKey: "k"},
		{Target: providers.Target{MerchantOrderNo: "o"}},
		{CancelKey: "k"},
	} {
		expect(t, e.Client.Cancel(context.Background(), req), providers.Failed, providers.ReasonInvalidRequest, providers.CodeInvalidRequest)
	}
	expect(t, e.Client.QueryPayment(context.Background(), order(long)).Outcome, providers.Failed, providers.ReasonInvalidRequest, providers.CodeInvalidRequest)
	// 64 characters (not bytes) are fine.
	e.Create(strings.Repeat("é", 64), simkit.Paying, simkit.Scenario{})
	expect(t, cancel(e.Client, strings.Repeat("é", 64), strings.Repeat("ü", 64)), providers.Succeeded, "", "")
	if n := len(e.Requests()); n != 1 {
		t.Errorf("%d requests sent, want 1", n)
	}
}

// TestUnsignedClaimScenario: the sandbox claims the cancel both ways PayerMax does
// not sign (a top-level code; APPLY_SUCCESS without its sign) while orderQuery
// shows the order PENDING: never done.
func TestUnsignedClaimScenario(t *testing.T) {
	e := start(t)
	e.Create("order-uc", simkit.Paying, simkit.Scenario{UnsignedClaim: true})
	codes := []string{}
	for i := 0; i < 4; i++ {
		o := cancel(e.Client, "order-uc", "k1")
		if o.Kind != providers.Unknown {
			t.Fatalf("attempt %d: %s", i+1, o)
		}
		codes = append(codes, o.Code)
	}
	if codes[0] != "ORDER_CANCELLED" || codes[1] != providers.CodeUnverified || codes[2] != "ORDER_CANCELLED" {
		t.Fatalf("codes %v: both unsigned forms should be met", codes)
	}
	p := e.Payment("order-uc")
	if p.State != simkit.Paying || p.EffectiveCancels() != 0 || p.Cancels[0].Result != simkit.CancelClaimed {
		t.Fatalf("payment %+v", p)
	}
	expect(t, e.Client.QueryCancel(context.Background(), providers.CancelQuery{Target: order("order-uc"), CancelKey: "k1"}), providers.Pending, "", "PENDING")
}
