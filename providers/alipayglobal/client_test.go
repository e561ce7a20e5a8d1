package alipayglobal

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/sim/simkit"
)

const (
	testClientID  = "211020000000000000044"
	testPartnerID = "218820000000000000023"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type testEnv struct {
	t      *testing.T
	sb     *Sandbox
	srv    *httptest.Server
	client *Client
	clock  *testClock
	cfg    Config
}

// newEnv starts a sandbox over real HTTP and a client for it; opts adjust either
// configuration before they are used. Client timeout 300 ms keeps timeout faults fast.
func newEnv(t *testing.T, opts ...func(*Config, *SandboxConfig)) *testEnv {
	t.Helper()
	return newWrappedEnv(t, nil, opts...)
}

// newWrappedEnv is newEnv with wrap (when not nil) around the sandbox handler.
func newWrappedEnv(t *testing.T, wrap func(http.Handler) http.Handler, opts ...func(*Config, *SandboxConfig)) *testEnv {
	t.Helper()
	clk := &testClock{t: time.Date(2024, 3, 10, 10, 0, 0, 0, Beijing)}
	sbCfg := SandboxConfig{
		MerchantPublicKey: testPublicKey(t, "merchant_public.pem"),
		AlipayPrivateKey:  testPrivateKey(t, "alipay_private.pem"),
		ClientID:          testClientID,
		PartnerID:         testPartnerID,
		Now:               clk.Now,
	}
	cfg := Config{
		ClientID:           testClientID,
		PartnerID:          testPartnerID,
		MerchantPrivateKey: providers.SecretRef{File: "merchant_private.pem"},
		AlipayPublicKey:    providers.SecretRef{File: "alipay_public.pem"},
	}
	for _, o := range opts {
		o(&cfg, &sbCfg)
	}
	sb := NewSandbox(sbCfg)
	h := sb.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Cleanup(sb.Close)
	cfg.BaseURL = srv.URL
	c, err := New(cfg, providers.Deps{HTTPClient: &http.Client{Timeout: 300 * time.Millisecond}, BaseDir: "testdata", Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{t: t, sb: sb, srv: srv, client: c, clock: clk, cfg: cfg}
}

func (e *testEnv) create(p simkit.Payment) simkit.Payment {
	e.t.Helper()
	if p.Amount == 0 {
		p.Amount = 1000
	}
	created, err := e.sb.Store.Create(p)
	if err != nil {
		e.t.Fatal(err)
	}
	return created
}

func (e *testEnv) payment(order string) simkit.Payment {
	e.t.Helper()
	p, ok := e.sb.Store.Get(order, "")
	if !ok {
		e.t.Fatalf("no payment %s", order)
	}
	return p
}

func (e *testEnv) cancel(order string) providers.Outcome {
	return e.client.Cancel(context.Background(), providers.CancelRequest{Target: providers.Target{MerchantOrderNo: order}, CancelKey: "ck-" + order})
}

func (e *testEnv) queryCancel(order string) providers.Outcome {
	return e.client.QueryCancel(context.Background(), providers.CancelQuery{Target: providers.Target{MerchantOrderNo: order}, CancelKey: "ck-" + order})
}

func (e *testEnv) queryPayment(order string) providers.PaymentStatus {
	return e.client.QueryPayment(context.Background(), providers.Target{MerchantOrderNo: order})
}

func want(t *testing.T, o providers.Outcome, kind providers.Kind, reason providers.Reason, code string) {
	t.Helper()
	if o.Kind != kind || o.Reason != reason || (code != "" && o.Code != code) {
		t.Fatalf("got %v, want %s/%s code=%s", o, kind, reason, code)
	}
}

// wantRecords checks the store's record of cancels: n calls, all with key, and
// exactly `effective` of them took effect.
func wantRecords(t *testing.T, p simkit.Payment, n int, key string, effective int) {
	t.Helper()
	if len(p.Cancels) != n {
		t.Fatalf("%d cancels recorded, want %d: %+v", len(p.Cancels), n, p.Cancels)
	}
	for _, c := range p.Cancels {
		if c.Key != key {
			t.Fatalf("cancel recorded with key %q, want %q", c.Key, key)
		}
	}
	if got := p.EffectiveCancels(); got != effective {
		t.Fatalf("%d effective cancels, want %d", got, effective)
	}
}

func TestCancelHappy(t *testing.T) {
	e := newEnv(t)
	e.create(simkit.Payment{MerchantOrderNo: "M1"})
	want(t, e.cancel("M1"), providers.Succeeded, "", "SUCCESS")
	p := e.payment("M1")
	if p.State != simkit.Cancelled {
		t.Fatalf("state %s", p.State)
	}
	wantRecords(t, p, 1, "M1", 1)
	want(t, e.queryCancel("M1"), providers.Succeeded, "", "CANCELLED")
	if ps := e.queryPayment("M1"); ps.State != providers.PaymentClosed || ps.Outcome.Kind != providers.Succeeded {
		t.Fatalf("payment %+v", ps)
	}
}

// acquirementId wins over merchantTransId; the sandbox records the id the request named.
func TestCancelByAcquirementID(t *testing.T) {
	e := newEnv(t)
	p := e.create(simkit.Payment{MerchantOrderNo: "M1"})
	target := providers.Target{MerchantOrderNo: "M1", ProviderPaymentID: p.ProviderPaymentID}
	want(t, e.client.Cancel(context.Background(), providers.CancelRequest{Target: target, CancelKey: "k"}), providers.Succeeded, "", "SUCCESS")
	wantRecords(t, e.payment("M1"), 1, p.ProviderPaymentID, 1)
	if ps := e.client.QueryPayment(context.Background(), target); ps.State != providers.PaymentClosed {
		t.Fatalf("payment %+v", ps)
	}
}

// Alipay answers S to a repeat: AlreadyCancelledIsSuccess.
func TestCancelAlreadyCancelled(t *testing.T) {
	e := newEnv(t)
	e.create(simkit.Payment{MerchantOrderNo: "M1"})
	want(t, e.cancel("M1"), providers.Succeeded, "", "SUCCESS")
	want(t, e.cancel("M1"), providers.Succeeded, "", "SUCCESS")
	wantRecords(t, e.payment("M1"), 2, "M1", 1)

	e.create(simkit.Payment{MerchantOrderNo: "M2", State: simkit.Cancelled})
	want(t, e.cancel("M2"), providers.Succeeded, "", "SUCCESS")
	wantRecords(t, e.payment("M2"), 1, "M2", 0)
}

// A paid transaction is refunded by the cancel (CancelPaid).
func TestCancelAlreadyPaidRefunds(t *testing.T) {
	e := newEnv(t)
	e.create(simkit.Payment{MerchantOrderNo: "M1", State: simkit.Paid})
	want(t, e.cancel("M1"), providers.Succeeded, "", "SUCCESS")
	p := e.payment("M1")
	if p.State != simkit.Refunded {
		t.Fatalf("state %s", p.State)
	}
	wantRecords(t, p, 1, "M1", 1)
	if ps := e.queryPayment("M1"); ps.State != providers.PaymentRefunded || ps.Code != "REFUNDED" {
		t.Fatalf("payment %+v", ps)
	}
	// REFUNDED is not documented as a payQuery status, and a refund by other means
	// looks the same: it proves nothing about this cancel (the signed S above did).
	want(t, e.queryCancel("M1"), providers.Unknown, "", "REFUNDED")
	// A repeat payCancel answers the signed S again: that is what decides.
	want(t, e.cancel("M1"), providers.Succeeded, "", "SUCCESS")
	wantRecords(t, e.payment("M1"), 2, "M1", 1)
}

// Not found: a never-created merchantTransId is closed with S (and recorded); an
// acquirementId Alipay never issued is ORDER_NOT_EXIST; payQuery says NOT_FOUND.
func TestCancelNotFound(t *testing.T) {
	e := newEnv(t)
	if ps := e.queryPayment("M404"); ps.State != providers.PaymentNotFound || ps.Outcome.Kind != providers.Succeeded || ps.Code != "ORDER_NOT_EXIST" {
		t.Fatalf("payment %+v", ps)
	}
	want(t, e.queryCancel("M404"), providers.Unknown, "", "ORDER_NOT_EXIST")

	want(t, e.cancel("M404"), providers.Succeeded, "", "SUCCESS")
	p := e.payment("M404")
	if p.State != simkit.Cancelled {
		t.Fatalf("state %s", p.State)
	}
	wantRecords(t, p, 1, "M404", 1)
	if ps := e.queryPayment("M404"); ps.State != providers.PaymentClosed {
		t.Fatalf("payment %+v", ps)
	}

	o := e.client.Cancel(context.Background(), providers.CancelRequest{Target: providers.Target{MerchantOrderNo: "M405", ProviderPaymentID: "2015999"}})
	want(t, o, providers.Failed, providers.ReasonNotFound, "ORDER_NOT_EXIST")
	if _, ok := e.sb.Store.Get("M405", ""); ok {
		t.Fatal("an unknown acquirementId created a payment")
	}
}

func TestCancelWindowExpiredScenario(t *testing.T) {
	e := newEnv(t)
	e.create(simkit.Payment{MerchantOrderNo: "M1", Scenario: simkit.Scenario{WindowExpired: true}})
	want(t, e.cancel("M1"), providers.Failed, providers.ReasonWindowExpired, "ORDER_CANCEL_WINDOW_EXPIRED")
	p := e.payment("M1")
	if p.State != simkit.Paying || len(p.Cancels) != 1 || p.Cancels[0].Result != simkit.CancelWindow {
		t.Fatalf("payment %+v", p)
	}
}

// The Beijing-day rule against the sandbox clock: created 23:50 Beijing, cancellable
// until 00:15 the next day.
func TestCancelWindowBeijingDay(t *testing.T) {
	e := newEnv(t)
	e.clock.t = time.Date(2024, 3, 10, 23, 50, 0, 0, Beijing)
	e.create(simkit.Payment{MerchantOrderNo: "M1"})
	e.create(simkit.Payment{MerchantOrderNo: "M2"})
	e.create(simkit.Payment{MerchantOrderNo: "M3"})
	want(t, e.cancel("M3"), providers.Succeeded, "", "SUCCESS")

	e.clock.Add(20 * time.Minute) // 00:10, inside the buffer
	want(t, e.cancel("M1"), providers.Succeeded, "", "SUCCESS")

	e.clock.Add(5 * time.Minute) // 00:15: closed
	want(t, e.cancel("M2"), providers.Failed, providers.ReasonWindowExpired, "ORDER_CANCEL_WINDOW_EXPIRED")
	if p := e.payment("M2"); p.State != simkit.Paying {
		t.Fatalf("state %s", p.State)
	}
	// A cancelled one still answers S to a repeat after the window.
	want(t, e.cancel("M3"), providers.Succeeded, "", "SUCCESS")
}

// A cancel still completing: U now, then QueryCancel is Pending until it completes.
func TestCancelPendingResolvesAfterQueries(t *testing.T) {
	e := newEnv(t)
	e.create(simkit.Payment{MerchantOrderNo: "M1", Scenario: simkit.Scenario{PendingQueries: 2}})
	want(t, e.cancel("M1"), providers.Unknown, "", "UNKNOWN_EXCEPTION")
	want(t, e.cancel("M1"), providers.Unknown, "", "UNKNOWN_EXCEPTION") // a retry while pending
	want(t, e.queryCancel("M1"), providers.Pending, "", "PAYING")
	want(t, e.queryCancel("M1"), providers.Succeeded, "", "CANCELLED")
	want(t, e.cancel("M1"), providers.Succeeded, "", "SUCCESS")
	wantRecords(t, e.payment("M1"), 3, "M1", 1)
}

// The provider's own "unknown", then success with the same business key.
func TestCancelUnknownThenSuccess(t *testing.T) {
	e := newEnv(t)
	e.create(simkit.Payment{MerchantOrderNo: "M1", Scenario: simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultUnknown}}})
	want(t, e.cancel("M1"), providers.Unknown, "", "UNKNOWN_EXCEPTION")
	want(t, e.cancel("M1"), providers.Succeeded, "", "SUCCESS")
	wantRecords(t, e.payment("M1"), 2, "M1", 1)
}

func TestCancelTimeout(t *testing.T) {
	e := newEnv(t)
	e.create(simkit.Payment{MerchantOrderNo: "M1", Scenario: simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultTimeout}}})
	want(t, e.cancel("M1"), providers.Unknown, "", providers.CodeTransport)
	if p := e.payment("M1"); p.State != simkit.Paying {
		t.Fatalf("state %s", p.State)
	}
	want(t, e.cancel("M1"), providers.Succeeded, "", "SUCCESS")
	wantRecords(t, e.payment("M1"), 2, "M1", 1)
}

func TestCancelTimeoutAfterEffect(t *testing.T) {
	e := newEnv(t)
	e.create(simkit.Payment{MerchantOrderNo: "M1", Scenario: simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultTimeoutAfterEffect}}})
	want(t, e.cancel("M1"), providers.Unknown, "", providers.CodeTransport)
	if p := e.payment("M1"); p.State != simkit.Cancelled {
		t.Fatalf("state %s", p.State)
	}
	want(t, e.cancel("M1"), providers.Succeeded, "", "SUCCESS")
	wantRecords(t, e.payment("M1"), 2, "M1", 1)
}

func TestCancelTransportFaults(t *testing.T) {
	for fault, code := range map[simkit.Fault]string{
		simkit.FaultReset:   providers.CodeTransport,
		simkit.Fault5xx:     providers.CodeHTTPStatus,
		simkit.FaultGarbage: providers.CodeBadResponse,
	} {
		t.Run(string(fault), func(t *testing.T) {
			e := newEnv(t)
			e.create(simkit.Payment{MerchantOrderNo: "M1", Scenario: simkit.Scenario{CancelFaults: []simkit.Fault{fault}}})
			want(t, e.cancel("M1"), providers.Unknown, "", code)
			want(t, e.cancel("M1"), providers.Succeeded, "", "SUCCESS")
			wantRecords(t, e.payment("M1"), 2, "M1", 1)
		})
	}
}

// An unsigned or tampered answer is never trusted, even though the cancel happened.
func TestCancelUnverifiedResponses(t *testing.T) {
	for _, fault := range []simkit.Fault{simkit.FaultUnsigned, simkit.FaultBadSignature} {
		t.Run(string(fault), func(t *testing.T) {
			e := newEnv(t)
			e.create(simkit.Payment{MerchantOrderNo: "M1", Scenario: simkit.Scenario{CancelFaults: []simkit.Fault{fault}}})
			o := e.cancel("M1")
			want(t, o, providers.Unknown, "", providers.CodeUnverified)
			if !strings.Contains(o.Message, "signature") {
				t.Fatalf("message %q", o.Message)
			}
			want(t, e.cancel("M1"), providers.Succeeded, "", "SUCCESS")
			wantRecords(t, e.payment("M1"), 2, "M1", 1)
		})
	}
}

func TestCancelRateLimited(t *testing.T) {
	e := newEnv(t)
	e.create(simkit.Payment{MerchantOrderNo: "M1", Scenario: simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultRateLimit}}})
	want(t, e.cancel("M1"), providers.Failed, providers.ReasonRateLimited, "REQUEST_TRAFFIC_EXCEED_LIMIT")
	want(t, e.cancel("M1"), providers.Succeeded, "", "SUCCESS")
}

func TestCancelOrderStatusInvalid(t *testing.T) {
	e := newEnv(t)
	e.create(simkit.Payment{MerchantOrderNo: "M1", State: simkit.InOTP})
	want(t, e.cancel("M1"), providers.Unknown, "", "ORDER_STATUS_INVALID")
	want(t, e.queryCancel("M1"), providers.Pending, "", "PAYING")
}

func TestCancelRefused(t *testing.T) {
	e := newEnv(t)
	e.create(simkit.Payment{MerchantOrderNo: "M1", Scenario: simkit.Scenario{CancelFails: true}})
	want(t, e.cancel("M1"), providers.Failed, providers.ReasonRejected, "PROCESS_FAIL")
}

// Credential problems come back as the provider's own codes, signed: Configuration.
func TestConfigurationErrors(t *testing.T) {
	cases := map[string]struct {
		opt  func(*Config, *SandboxConfig)
		code string
	}{
		"wrong merchant key": {func(c *Config, _ *SandboxConfig) {
			c.MerchantPrivateKey = providers.SecretRef{File: "alipay_private.pem"}
		}, "INVALID_SIGNATURE"},
		"unknown client":       {func(_ *Config, s *SandboxConfig) { s.ClientID = "other" }, "UNKNOWN_CLIENT"},
		"wrong partner":        {func(_ *Config, s *SandboxConfig) { s.PartnerID = "other" }, "ACCESS_DENIED"},
		"no key registered":    {func(_ *Config, s *SandboxConfig) { s.MerchantPublicKey = nil }, "KEY_NO_FOUND"},
		"wrong payCancel path": {func(c *Config, _ *SandboxConfig) { c.CancelPath = DefaultPayQueryPath }, "NO_INTERFACE_DEF"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, tc.opt)
			e.create(simkit.Payment{MerchantOrderNo: "M1"})
			want(t, e.cancel("M1"), providers.Failed, providers.ReasonConfiguration, tc.code)
			if p := e.payment("M1"); p.State != simkit.Paying || len(p.Cancels) != 0 {
				t.Fatalf("payment %+v", p)
			}
		})
	}
}

// With the wrong Alipay public key every answer is unverifiable: Unknown, never trusted.
func TestWrongAlipayPublicKey(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *SandboxConfig) {
		c.AlipayPublicKey = providers.SecretRef{File: "merchant_public.pem"}
	})
	e.create(simkit.Payment{MerchantOrderNo: "M1"})
	want(t, e.cancel("M1"), providers.Unknown, "", providers.CodeUnverified)
	if ps := e.queryPayment("M1"); ps.State != providers.PaymentUnknown || ps.Outcome.Code != providers.CodeUnverified {
		t.Fatalf("payment %+v", ps)
	}
}

func TestQueryPayment(t *testing.T) {
	e := newEnv(t)
	for order, st := range map[string]simkit.State{"PAYING": simkit.Paying, "OTP": simkit.InOTP, "PAID": simkit.Paid, "FAILED": simkit.Failed, "CANCELLED": simkit.Cancelled, "REFUNDED": simkit.Refunded} {
		e.create(simkit.Payment{MerchantOrderNo: order, State: st})
	}
	for order, wantState := range map[string]providers.PaymentState{
		"PAYING":    providers.PaymentPending,
		"OTP":       providers.PaymentPending,
		"PAID":      providers.PaymentPaid,
		"FAILED":    providers.PaymentClosed, // Alipay closes a failed transaction
		"CANCELLED": providers.PaymentClosed,
		"REFUNDED":  providers.PaymentRefunded,
	} {
		ps := e.queryPayment(order)
		if ps.State != wantState || ps.Outcome.Kind != providers.Succeeded {
			t.Errorf("%s: %+v, want %s", order, ps, wantState)
		}
	}
	want(t, e.queryCancel("PAID"), providers.Failed, providers.ReasonAlreadyPaid, "SUCCESS")
	want(t, e.queryCancel("PAYING"), providers.Pending, "", "PAYING")
}

func TestQueryPaymentScripts(t *testing.T) {
	e := newEnv(t)
	e.create(simkit.Payment{MerchantOrderNo: "P", Scenario: simkit.Scenario{PayOnQuery: 2}})
	e.create(simkit.Payment{MerchantOrderNo: "F", Scenario: simkit.Scenario{FailOnQuery: 1}})
	if ps := e.queryPayment("P"); ps.State != providers.PaymentPending {
		t.Fatalf("first query %+v", ps)
	}
	if ps := e.queryPayment("P"); ps.State != providers.PaymentPaid {
		t.Fatalf("second query %+v", ps)
	}
	if ps := e.queryPayment("F"); ps.State != providers.PaymentClosed {
		t.Fatalf("failed %+v", ps)
	}
}

func TestQueryFaults(t *testing.T) {
	e := newEnv(t)
	faults := []simkit.Fault{simkit.FaultUnknown, simkit.FaultRateLimit, simkit.FaultUnsigned, simkit.FaultBadSignature,
		simkit.FaultTimeout, simkit.FaultReset, simkit.Fault5xx, simkit.FaultGarbage}
	e.create(simkit.Payment{MerchantOrderNo: "M1", Scenario: simkit.Scenario{QueryFaults: faults}})
	wants := []struct {
		kind   providers.Kind
		reason providers.Reason
		code   string
	}{
		{providers.Unknown, "", "UNKNOWN_EXCEPTION"},
		{providers.Failed, providers.ReasonRateLimited, "REQUEST_TRAFFIC_EXCEED_LIMIT"},
		{providers.Unknown, "", providers.CodeUnverified},
		{providers.Unknown, "", providers.CodeUnverified},
		{providers.Unknown, "", providers.CodeTransport},
		{providers.Unknown, "", providers.CodeTransport},
		{providers.Unknown, "", providers.CodeHTTPStatus},
		{providers.Unknown, "", providers.CodeBadResponse},
	}
	for i, w := range wants {
		ps := e.queryPayment("M1")
		if ps.State != providers.PaymentUnknown {
			t.Fatalf("%s: state %s", faults[i], ps.State)
		}
		want(t, ps.Outcome, w.kind, w.reason, w.code)
	}
	if ps := e.queryPayment("M1"); ps.State != providers.PaymentPending {
		t.Fatalf("after the faults: %+v", ps)
	}
	// QueryCancel passes the query's failure on.
	e.create(simkit.Payment{MerchantOrderNo: "M2", Scenario: simkit.Scenario{QueryFaults: []simkit.Fault{simkit.FaultUnknown}}})
	want(t, e.queryCancel("M2"), providers.Unknown, "", "UNKNOWN_EXCEPTION")
}

// The customer pays a saved code after the cancel: a later payQuery shows it.
func TestPaidAfterCancel(t *testing.T) {
	e := newEnv(t)
	e.create(simkit.Payment{MerchantOrderNo: "M1", Scenario: simkit.Scenario{PaidAfterCancel: true}})
	want(t, e.cancel("M1"), providers.Succeeded, "", "SUCCESS")
	if ps := e.queryPayment("M1"); ps.State != providers.PaymentPaid {
		t.Fatalf("payment %+v", ps)
	}
	want(t, e.queryCancel("M1"), providers.Failed, providers.ReasonAlreadyPaid, "SUCCESS")
}

func TestLocalValidation(t *testing.T) {
	e := newEnv(t)
	for name, target := range map[string]providers.Target{
		"no id":                    {},
		"merchantTransId too long": {MerchantOrderNo: strings.Repeat("m", 65)},
		"acquirementId too long":   {MerchantOrderNo: "M1", ProviderPaymentID: strings.Repeat("2", 65)},
	} {
		want(t, e.client.Cancel(context.Background(), providers.CancelRequest{Target: target}), providers.Failed, providers.ReasonInvalidRequest, providers.CodeInvalidRequest)
		if ps := e.client.QueryPayment(context.Background(), target); ps.State != providers.PaymentUnknown || ps.Outcome.Reason != providers.ReasonInvalidRequest {
			t.Errorf("%s: query %+v", name, ps)
		}
	}
	if n := len(e.sb.Store.List()); n != 0 {
		t.Fatalf("%d payments reached the sandbox", n)
	}
	// 64 is the documented maximum and goes through.
	want(t, e.cancel(strings.Repeat("m", 64)), providers.Succeeded, "", "SUCCESS")
}

// What goes on the wire: the envelope around the exact signed bytes, fresh reqMsgId
// and reqTime per attempt, one target id, Content-Type.
func TestWireFormat(t *testing.T) {
	for _, twice := range []bool{false, true} {
		var mu sync.Mutex
		var bodies [][]byte
		e := newWrappedEnv(t, capture(t, &mu, &bodies), func(c *Config, s *SandboxConfig) {
			c.Base64Twice = twice
			s.Base64Twice = !twice // the sandbox answers the other way: both are accepted
		})
		p := e.create(simkit.Payment{MerchantOrderNo: "M<1>&"})
		want(t, e.cancel("M<1>&"), providers.Succeeded, "", "SUCCESS")
		e.clock.Add(time.Second)
		target := providers.Target{MerchantOrderNo: "M<1>&", ProviderPaymentID: p.ProviderPaymentID}
		if ps := e.client.QueryPayment(context.Background(), target); ps.State != providers.PaymentClosed {
			t.Fatalf("query %+v", ps)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(bodies) != 2 {
			t.Fatalf("%d requests", len(bodies))
		}
		pub := testPublicKey(t, "merchant_public.pem")
		var ids []string
		for i, raw := range bodies {
			env, err := ParseEnvelope(raw, "request")
			if err != nil {
				t.Fatal(err)
			}
			// The envelope is exactly {"request":<signed bytes>,"signature":"…"}.
			if !bytes.HasPrefix(raw, append([]byte(`{"request":`), env.Message...)) {
				t.Fatalf("envelope not built around the signed bytes: %s", raw)
			}
			if err := VerifyMessage(pub, env.Message, env.Signature); err != nil {
				t.Fatalf("request signature: %v", err)
			}
			once, _ := base64.StdEncoding.DecodeString(env.Signature)
			if isTwice := len(once) != pub.Size(); isTwice != twice {
				t.Fatalf("Base64Twice=%v but signature decodes to %d bytes", twice, len(once))
			}
			var req Request
			if err := json.Unmarshal(env.Message, &req); err != nil {
				t.Fatal(err)
			}
			h := req.Head
			wantFn := []string{FunctionCancel, FunctionPayQuery}[i]
			wantTime := time.Date(2024, 3, 10, 10, 0, i, 0, Beijing).Format(ReqTimeLayout)
			if h.Version != "2.0.2" || h.Function != wantFn || h.ClientID != testClientID || h.SignType != "RSA2" || h.Reserve != "{}" || h.ReqTime != wantTime {
				t.Fatalf("head %+v (want reqTime %s)", h, wantTime)
			}
			if !strings.HasSuffix(h.ReqTime, "+08:00") {
				t.Fatalf("reqTime %s", h.ReqTime)
			}
			ids = append(ids, h.ReqMsgID)
			if !bytes.Contains(env.Message, []byte(`"M<1>&"`)) && i == 0 {
				t.Fatalf("ids are HTML-escaped: %s", env.Message)
			}
		}
		if ids[0] == "" || ids[0] == ids[1] {
			t.Fatalf("reqMsgId not fresh: %q", ids)
		}
		// Only the winning id is sent.
		var second Request
		env, _ := ParseEnvelope(bodies[1], "request")
		_ = json.Unmarshal(env.Message, &second)
		if second.Body.AcquirementID != p.ProviderPaymentID || second.Body.MerchantTransID != "" || second.Body.PartnerID != testPartnerID {
			t.Fatalf("body %+v", second.Body)
		}
	}
}

// capture records every request body (and checks its Content-Type) before the sandbox sees it.
func capture(t *testing.T, mu *sync.Mutex, bodies *[][]byte) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=UTF-8" {
				t.Errorf("Content-Type %q", ct)
			}
			mu.Lock()
			*bodies = append(*bodies, b)
			mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(b))
			next.ServeHTTP(w, r)
		})
	}
}

func TestReqTimeZone(t *testing.T) {
	var mu sync.Mutex
	var bodies [][]byte
	e := newWrappedEnv(t, capture(t, &mu, &bodies), func(c *Config, _ *SandboxConfig) { c.TimeZone = "UTC" })
	e.create(simkit.Payment{MerchantOrderNo: "M1"})
	want(t, e.cancel("M1"), providers.Succeeded, "", "SUCCESS")
	mu.Lock()
	defer mu.Unlock()
	env, _ := ParseEnvelope(bodies[0], "request")
	var req Request
	_ = json.Unmarshal(env.Message, &req)
	if got := req.Head.ReqTime; got != "2024-03-10T02:00:00+00:00" {
		t.Fatalf("reqTime %s", got)
	}
}

// A signed answer to another message (a replay) or about another transaction is not ours.
func TestForeignAnswers(t *testing.T) {
	key := testPrivateKey(t, "alipay_private.pem")
	var mu sync.Mutex
	var answer func(req Request) Response
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		env, _ := ParseEnvelope(b, "request")
		var req Request
		_ = json.Unmarshal(env.Message, &req)
		mu.Lock()
		msg, _ := MarshalCompact(answer(req))
		mu.Unlock()
		sig, _ := SignMessage(key, msg, false)
		_, _ = w.Write(BuildEnvelope("response", msg, sig))
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, ClientID: "c", PartnerID: "p",
		MerchantPrivateKey: providers.SecretRef{File: "merchant_private.pem"}, AlipayPublicKey: providers.SecretRef{File: "alipay_public.pem"}},
		providers.Deps{BaseDir: "testdata", HTTPClient: &http.Client{Timeout: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	ok := &ResultInfo{ResultStatus: "S", ResultCodeID: "00000000", ResultCode: "SUCCESS"}
	cases := map[string]func(req Request) Response{
		"other reqMsgId": func(req Request) Response {
			return Response{Head: ResponseHead{Function: req.Head.Function, ReqMsgID: "old"}, Body: ResponseBody{ResultInfo: ok}}
		},
		"other function": func(req Request) Response {
			return Response{Head: ResponseHead{Function: "alipay.intl.other", ReqMsgID: req.Head.ReqMsgID}, Body: ResponseBody{ResultInfo: ok}}
		},
		"other transaction": func(req Request) Response {
			return Response{Head: ResponseHead{Function: req.Head.Function, ReqMsgID: req.Head.ReqMsgID}, Body: ResponseBody{ResultInfo: ok, MerchantTransID: "M2"}}
		},
		"no resultInfo": func(req Request) Response {
			return Response{Head: ResponseHead{Function: req.Head.Function, ReqMsgID: req.Head.ReqMsgID}}
		},
	}
	for name, f := range cases {
		mu.Lock()
		answer = f
		mu.Unlock()
		o := c.Cancel(context.Background(), providers.CancelRequest{Target: providers.Target{MerchantOrderNo: "M1"}})
		wantCode := providers.CodeBadResponse
		if name == "other transaction" {
			wantCode = providers.CodeIDMismatch
		}
		if o.Kind != providers.Unknown || o.Code != wantCode {
			t.Errorf("%s: cancel %v", name, o)
		}
		if ps := c.QueryPayment(context.Background(), providers.Target{MerchantOrderNo: "M1"}); ps.State != providers.PaymentUnknown || ps.Outcome.Kind != providers.Unknown {
			t.Errorf("%s: query %+v", name, ps)
		}
	}
}

func TestNewValidation(t *testing.T) {
	good := func() Config {
		return Config{BaseURL: "https://open-na.alipay.com", ClientID: testClientID, PartnerID: testPartnerID,
			MerchantPrivateKey: providers.SecretRef{File: "merchant_private.pem"}, AlipayPublicKey: providers.SecretRef{File: "alipay_public.pem"}}
	}
	c, err := New(good(), providers.Deps{BaseDir: "testdata"})
	if err != nil {
		t.Fatal(err)
	}
	if c.cancelURL != "https://open-na.alipay.com/api/alipay/intl/acquiring/common/paycancel.htm" ||
		c.queryURL != "https://open-na.alipay.com/api/alipay/intl/acquiring/offline/payquery.htm" ||
		c.cfg.Version != "2.0.2" || c.cfg.TimeZone != "Asia/Shanghai" || c.cfg.Base64Twice || c.Name() != "alipayglobal" {
		t.Fatalf("defaults: %+v %s %s", c.cfg, c.cancelURL, c.queryURL)
	}
	keyPEM := string(readTestdata(t, "merchant_private.pem"))
	cases := map[string]struct {
		mut   func(*Config)
		field string
	}{
		"no baseURL":       {func(c *Config) { c.BaseURL = "" }, "baseURL"},
		"relative baseURL": {func(c *Config) { c.BaseURL = "open-na.alipay.com" }, "baseURL"},
		"bad path":         {func(c *Config) { c.CancelPath = "paycancel.htm" }, "cancelPath"},
		"bad query path":   {func(c *Config) { c.PayQueryPath = "x" }, "payQueryPath"},
		"no client":        {func(c *Config) { c.ClientID = "" }, "clientId"},
		"long client":      {func(c *Config) { c.ClientID = strings.Repeat("1", 33) }, "clientId"},
		"no partner":       {func(c *Config) { c.PartnerID = "" }, "partnerId"},
		"long version":     {func(c *Config) { c.Version = "123456789" }, "version"},
		"bad zone":         {func(c *Config) { c.TimeZone = "Mars/Olympus" }, "timeZone"},
		"missing key file": {func(c *Config) { c.MerchantPrivateKey.File = "nope.pem" }, "merchantPrivateKey"},
		"no key":           {func(c *Config) { c.MerchantPrivateKey = providers.SecretRef{} }, "merchantPrivateKey"},
		"public as private": {func(c *Config) {
			c.MerchantPrivateKey = providers.SecretRef{File: "merchant_public.pem"}
		}, "merchantPrivateKey"},
		"garbage key": {func(c *Config) {
			c.MerchantPrivateKey = providers.SecretRef{Value: providers.NewSecret("s3cr3t-value")}
		}, "merchantPrivateKey"},
		"private as public": {func(c *Config) {
			c.AlipayPublicKey = providers.SecretRef{Value: providers.NewSecret(keyPEM)}
		}, "alipayPublicKey"},
		"unset env": {func(c *Config) { c.AlipayPublicKey = providers.SecretRef{Env: "ALIPAYGLOBAL_TEST_UNSET_VAR"} }, "alipayPublicKey"},
	}
	for name, tc := range cases {
		cfg := good()
		tc.mut(&cfg)
		_, err := New(cfg, providers.Deps{BaseDir: "testdata"})
		var fe *providers.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: %v, want a FieldError on %s", name, err, tc.field)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "s3cr3t") || strings.Contains(msg, "MII") {
			t.Errorf("%s: error leaks key material: %s", name, msg)
		}
	}
}

// DevCredentials: keys made once and reused, a config that works against the sandbox
// mounted under a prefix, payments created through the admin API.
func TestDevCredentials(t *testing.T) {
	dir := t.TempDir()
	var sb *Sandbox
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	cfg, sbCfg, err := DevCredentials(dir, srv.URL+"/alipayglobal/")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BaseURL != srv.URL+"/alipayglobal" {
		t.Fatalf("BaseURL %s", cfg.BaseURL)
	}
	for _, ref := range []providers.SecretRef{cfg.MerchantPrivateKey, cfg.AlipayPublicKey} {
		if !filepath.IsAbs(ref.File) {
			t.Fatalf("key path %q is not absolute", ref.File)
		}
	}
	if fi, err := os.Stat(cfg.MerchantPrivateKey.File); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("merchant private key file: %v %v", fi.Mode(), err)
	}
	before, _ := os.ReadFile(cfg.MerchantPrivateKey.File)
	cfg2, _, err := DevCredentials(dir, srv.URL+"/alipayglobal")
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(cfg2.MerchantPrivateKey.File); !bytes.Equal(before, after) {
		t.Fatal("DevCredentials regenerated existing keys")
	}

	sb = NewSandbox(sbCfg)
	defer sb.Close()
	mux.Handle("/alipayglobal/", http.StripPrefix("/alipayglobal", sb.Handler()))
	c, err := New(cfg, providers.Deps{HTTPClient: &http.Client{Timeout: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(srv.URL+"/alipayglobal/_sandbox/payments", "application/json", strings.NewReader(`{"merchantOrderNo":"D1","amount":500,"currency":"SGD"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("admin create: %d", resp.StatusCode)
	}
	want(t, c.Cancel(context.Background(), providers.CancelRequest{Target: providers.Target{MerchantOrderNo: "D1"}}), providers.Succeeded, "", "SUCCESS")
	if ps := c.QueryPayment(context.Background(), providers.Target{MerchantOrderNo: "D1"}); ps.State != providers.PaymentClosed {
		t.Fatalf("query %+v", ps)
	}
}
