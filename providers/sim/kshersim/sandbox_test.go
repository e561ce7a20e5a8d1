package kshersim

// The ksher adapter against this sandbox, beyond the contract suite
// (providers/sim/contracttest): the wire format, nonces, credentials, the
// OTP state and the payment webhook.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/ksher"
	"github.com/paycancel/paycancel/providers/providertest"
	"github.com/paycancel/paycancel/providers/sim/contracttest"
	"github.com/paycancel/paycancel/providers/sim/simkit"
)

func TestMain(m *testing.M) { os.Exit(contracttest.Main(m)) }

// env is the contract suite's Env with the sandbox and the adapter's own types at hand.
type env struct {
	*contracttest.Env
	sb  *Sandbox
	c   *ksher.Client
	cfg ksher.Config
}

type envOpt func(*ksher.Config, *SandboxConfig)

// newEnv starts a sandbox with development keys and an adapter for it; opts
// adjust both configurations first.
func newEnv(t *testing.T, opts ...envOpt) *env {
	t.Helper()
	e := &env{}
	e.Env = contracttest.StartWith(t, ksher.Name, func(url string) (any, simkit.Sim, simkit.NewAdapter, error) {
		cfg, sbc, err := DevCredentials(contracttest.KeyDir(t), url)
		if err != nil {
			return nil, nil, nil, err
		}
		for _, o := range opts {
			o(&cfg, &sbc)
		}
		e.cfg, e.sb = cfg, NewSandbox(sbc)
		return cfg, e.sb, simkit.Adapt(ksher.New), nil
	})
	e.c = e.Client.(*ksher.Client)
	return e
}

// forms are the API requests (not the admin calls) the sandbox received.
func (e *env) forms() []url.Values {
	var out []url.Values
	for _, b := range e.Requests() {
		if f, err := url.ParseQuery(string(b)); err == nil && f.Has("sign") {
			out = append(out, f)
		}
	}
	return out
}

func (e *env) create(t *testing.T, p simkit.Payment) simkit.Payment {
	t.Helper()
	e.Create(p.MerchantOrderNo, p.State, p.Scenario)
	return e.Payment(p.MerchantOrderNo)
}

func (e *env) payment(t *testing.T, order string) simkit.Payment { return e.Payment(order) }

func cancelReq(order string) providers.CancelRequest {
	return providers.CancelRequest{Target: providers.Target{MerchantOrderNo: order}, CancelKey: "wf-key-" + order}
}

func want(t *testing.T, o providers.Outcome, kind providers.Kind, reason providers.Reason) {
	t.Helper()
	providertest.Expect(t, "", o, kind, reason, "")
}

var ctx = context.Background()

// assertCancels checks the sandbox's record: every cancel carried the order number
// (Ksher's business key) and exactly `effective` took effect.
func assertCancels(t *testing.T, p simkit.Payment, calls, effective int) {
	t.Helper()
	if len(p.Cancels) != calls {
		t.Fatalf("%d cancels recorded, want %d: %+v", len(p.Cancels), calls, p.Cancels)
	}
	for _, c := range p.Cancels {
		if c.Key != p.MerchantOrderNo {
			t.Fatalf("cancel key %q, want %q", c.Key, p.MerchantOrderNo)
		}
	}
	if n := p.EffectiveCancels(); n != effective {
		t.Fatalf("%d effective cancels, want %d", n, effective)
	}
}

func TestHappyCancel(t *testing.T) {
	e := newEnv(t)
	e.create(t, simkit.Payment{MerchantOrderNo: "ORD-HAPPY"})
	o := e.c.Cancel(ctx, cancelReq("ORD-HAPPY"))
	want(t, o, providers.Succeeded, "")
	p := e.payment(t, "ORD-HAPPY")
	if p.State != simkit.Cancelled {
		t.Fatalf("state %s", p.State)
	}
	assertCancels(t, p, 1, 1)
	if p.PaymentQueries != 1 {
		t.Fatalf("Cancel must confirm with one order query; got %d", p.PaymentQueries)
	}
	want(t, e.c.QueryCancel(ctx, providers.CancelQuery{Target: providers.Target{MerchantOrderNo: "ORD-HAPPY"}}), providers.Succeeded, "")
	if st := e.c.QueryPayment(ctx, providers.Target{MerchantOrderNo: "ORD-HAPPY"}); st.State != providers.PaymentClosed {
		t.Fatalf("payment %+v", st)
	}
}

func TestWireFormat(t *testing.T) {
	fixed := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	e := newEnv(t)
	c, err := ksher.New(e.cfg, providers.Deps{HTTPClient: &http.Client{Timeout: time.Second}, Now: func() time.Time { return fixed }})
	if err != nil {
		t.Fatal(err)
	}
	e.create(t, simkit.Payment{MerchantOrderNo: "ORD-WIRE", Scenario: simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultUnknown}}})
	want(t, c.Cancel(ctx, cancelReq("ORD-WIRE")), providers.Unknown, "")
	want(t, c.Cancel(ctx, cancelReq("ORD-WIRE")), providers.Succeeded, "")
	forms := e.forms()
	if len(forms) != 3 { // cancel (-6), cancel (0), confirming query
		t.Fatalf("%d requests", len(forms))
	}
	nonces := map[string]bool{}
	for i, f := range forms {
		if f.Get("appid") != DevAppID || f.Get("mch_order_no") != "ORD-WIRE" || f.Get("time_stamp") != "20260304120607" {
			t.Errorf("request %d: %v", i, f)
		}
		if n := f.Get("nonce_str"); len(n) != 32 || nonces[n] {
			t.Errorf("request %d: nonce %q not fresh", i, n)
		} else {
			nonces[n] = true
		}
		if len(f.Get("sign")) != 512 {
			t.Errorf("request %d: sign %q", i, f.Get("sign"))
		}
	}
	if forms[0].Get("lang") != "en" || forms[2].Has("lang") {
		t.Errorf("lang: cancel %q, query has lang=%v", forms[0].Get("lang"), forms[2].Has("lang"))
	}
}

func TestAlreadyCancelled(t *testing.T) {
	e := newEnv(t)
	e.create(t, simkit.Payment{MerchantOrderNo: "ORD-AC", State: simkit.Cancelled})
	o := e.c.Cancel(ctx, cancelReq("ORD-AC"))
	// The unsigned -5 is confirmed by the signed order query showing CLOSED.
	want(t, o, providers.AlreadyDone, "")
	if o.Code != "CLOSED" || !strings.Contains(o.Message, "-5") {
		t.Fatalf("outcome %s", o)
	}
}

// A card payment in its OTP step cannot be cancelled (the Order Cancel page): -6, then the query
// shows USERPAYING; once paid, the cancel is AlreadyPaid.
func TestInOTP(t *testing.T) {
	e := newEnv(t)
	e.create(t, simkit.Payment{MerchantOrderNo: "ORD-OTP", State: simkit.InOTP})
	want(t, e.c.Cancel(ctx, cancelReq("ORD-OTP")), providers.Unknown, "")
	st := e.c.QueryPayment(ctx, providers.Target{MerchantOrderNo: "ORD-OTP"})
	if st.State != providers.PaymentPending || st.Code != "USERPAYING" {
		t.Fatalf("query %+v", st)
	}
	want(t, e.c.QueryCancel(ctx, providers.CancelQuery{Target: providers.Target{MerchantOrderNo: "ORD-OTP"}}), providers.Pending, "")
	if _, err := e.Sim.Payments().SetState("ORD-OTP", simkit.Paid); err != nil {
		t.Fatal(err)
	}
	want(t, e.c.Cancel(ctx, cancelReq("ORD-OTP")), providers.Failed, providers.ReasonAlreadyPaid)
	assertCancels(t, e.payment(t, "ORD-OTP"), 2, 0)
}

func TestTimeoutAfterEffect(t *testing.T) {
	e := newEnv(t)
	e.create(t, simkit.Payment{MerchantOrderNo: "ORD-TAE", Scenario: simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultTimeoutAfterEffect}}})
	want(t, e.Short.Cancel(ctx, cancelReq("ORD-TAE")), providers.Unknown, "")
	o := e.c.Cancel(ctx, cancelReq("ORD-TAE"))
	want(t, o, providers.AlreadyDone, "")
	assertCancels(t, e.payment(t, "ORD-TAE"), 2, 1)
	want(t, e.c.QueryCancel(ctx, providers.CancelQuery{Target: providers.Target{MerchantOrderNo: "ORD-TAE"}}), providers.Succeeded, "")
}

// The order query is the only signed answer: a missing or wrong sign is detected.
func TestUnsignedAndBadSignature(t *testing.T) {
	for _, f := range []simkit.Fault{simkit.FaultUnsigned, simkit.FaultBadSignature} {
		t.Run(string(f), func(t *testing.T) {
			e := newEnv(t)
			order := "ORD-" + strings.ToUpper(string(f))
			e.create(t, simkit.Payment{MerchantOrderNo: order, Scenario: simkit.Scenario{
				QueryFaults: []simkit.Fault{f, f},
			}})
			// cancel_order 0 is accepted, but its confirmation does not verify: Pending, not Succeeded.
			o := e.c.Cancel(ctx, cancelReq(order))
			want(t, o, providers.Pending, "")
			if !strings.Contains(o.Message, providers.CodeUnverified) {
				t.Fatalf("message %q should say the query was unverified", o.Message)
			}
			st := e.c.QueryPayment(ctx, providers.Target{MerchantOrderNo: order})
			if st.Outcome.Kind != providers.Unknown || st.Outcome.Code != providers.CodeUnverified || st.State != providers.PaymentUnknown {
				t.Fatalf("query %+v", st)
			}
			// faults used up: the signed answer confirms
			want(t, e.c.QueryCancel(ctx, providers.CancelQuery{Target: providers.Target{MerchantOrderNo: order}}), providers.Succeeded, "")
		})
	}
}

// The cancel reply is never signed, so a "bad signature" on it changes nothing: the
// client trusts only the signed order query.
func TestCancelReplySignatureFaultsAreHarmless(t *testing.T) {
	e := newEnv(t)
	e.create(t, simkit.Payment{MerchantOrderNo: "ORD-CBS", Scenario: simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultBadSignature}}})
	want(t, e.c.Cancel(ctx, cancelReq("ORD-CBS")), providers.Succeeded, "")
}

// A client that knows the wrong Ksher key rejects every order-query answer.
func TestWrongKsherPublicKey(t *testing.T) {
	e := newEnv(t, func(c *ksher.Config, _ *SandboxConfig) {
		c.KsherPublicKey = providers.SecretRef{File: "../../ksher/testdata/ksher512_public.pem"}
	})
	e.create(t, simkit.Payment{MerchantOrderNo: "ORD-WK"})
	want(t, e.c.Cancel(ctx, cancelReq("ORD-WK")), providers.Pending, "")
	st := e.c.QueryPayment(ctx, providers.Target{MerchantOrderNo: "ORD-WK"})
	if st.Outcome.Code != providers.CodeUnverified {
		t.Fatalf("query %+v", st)
	}
}

func TestQueryUnknownFault(t *testing.T) {
	e := newEnv(t)
	e.create(t, simkit.Payment{MerchantOrderNo: "ORD-QU", Scenario: simkit.Scenario{QueryFaults: []simkit.Fault{simkit.FaultUnknown}}})
	st := e.c.QueryPayment(ctx, providers.Target{MerchantOrderNo: "ORD-QU"})
	if st.State != providers.PaymentUnknown || st.Outcome.Kind != providers.Unknown || st.Outcome.Code != "FAIL" {
		t.Fatalf("query %+v", st)
	}
	if st := e.c.QueryPayment(ctx, providers.Target{MerchantOrderNo: "ORD-QU"}); st.State != providers.PaymentPending {
		t.Fatalf("query %+v", st)
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t)
	e.create(t, simkit.Payment{MerchantOrderNo: "ORD-RL", Scenario: simkit.Scenario{
		CancelFaults: []simkit.Fault{simkit.FaultRateLimit}, QueryFaults: []simkit.Fault{simkit.FaultRateLimit},
		RetryAfterSeconds: 7,
	}})
	o := e.c.Cancel(ctx, cancelReq("ORD-RL"))
	want(t, o, providers.Failed, providers.ReasonRateLimited)
	if o.RetryAfter != 7*time.Second {
		t.Fatalf("retry after %v", o.RetryAfter)
	}
	st := e.c.QueryPayment(ctx, providers.Target{MerchantOrderNo: "ORD-RL"})
	if st.Outcome.Reason != providers.ReasonRateLimited {
		t.Fatalf("query %+v", st)
	}
	want(t, e.c.Cancel(ctx, cancelReq("ORD-RL")), providers.Succeeded, "")
	assertCancels(t, e.payment(t, "ORD-RL"), 2, 1)
}

// A merchant key the sandbox does not know: Ksher's -2 (验证商户签名失败) → Configuration.
func TestWrongMerchantKey(t *testing.T) {
	e := newEnv(t, func(c *ksher.Config, _ *SandboxConfig) {
		c.MerchantPrivateKey = providers.SecretRef{File: "../../ksher/testdata/merchant_pkcs1.pem"}
	})
	e.create(t, simkit.Payment{MerchantOrderNo: "ORD-WMK"})
	o := e.c.Cancel(ctx, cancelReq("ORD-WMK"))
	want(t, o, providers.Failed, providers.ReasonConfiguration)
	if o.Code != "-2" || o.Message != "验证商户签名失败" {
		t.Fatalf("outcome %v", o)
	}
	st := e.c.QueryPayment(ctx, providers.Target{MerchantOrderNo: "ORD-WMK"})
	if st.Outcome.Reason != providers.ReasonConfiguration {
		t.Fatalf("query %+v", st)
	}
	if p := e.payment(t, "ORD-WMK"); len(p.Cancels) != 0 || p.State != simkit.Paying {
		t.Fatalf("a rejected request reached the store: %+v", p)
	}
}

func TestWrongAppID(t *testing.T) {
	e := newEnv(t, func(c *ksher.Config, _ *SandboxConfig) { c.AppID = "mch99999" })
	e.create(t, simkit.Payment{MerchantOrderNo: "ORD-APP"})
	want(t, e.c.Cancel(ctx, cancelReq("ORD-APP")), providers.Failed, providers.ReasonInvalidRequest)
}

func TestInvalidOrderNoNotSent(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("x", 33)
	for _, order := range []string{"", long} {
		o := e.c.Cancel(ctx, cancelReq(order))
		want(t, o, providers.Failed, providers.ReasonInvalidRequest)
		if o.Code != providers.CodeInvalidRequest {
			t.Fatalf("code %s", o.Code)
		}
		if st := e.c.QueryPayment(ctx, providers.Target{MerchantOrderNo: order}); st.Outcome.Code != providers.CodeInvalidRequest {
			t.Fatalf("query %+v", st)
		}
	}
	n := len(e.forms())
	if n != 0 {
		t.Fatalf("%d requests sent", n)
	}
	// exactly 32 is fine
	ok := strings.Repeat("y", 32)
	e.create(t, simkit.Payment{MerchantOrderNo: ok})
	want(t, e.c.Cancel(ctx, cancelReq(ok)), providers.Succeeded, "")
}

func TestSandboxRejectsReplayedNonce(t *testing.T) {
	e := newEnv(t)
	e.create(t, simkit.Payment{MerchantOrderNo: "ORD-NONCE"})
	params := map[string]string{"appid": DevAppID, "nonce_str": "fixednonce", "time_stamp": "20260101000000", "mch_order_no": "ORD-NONCE"}
	sig, err := ksher.SignParams(providertest.LoadPrivateKey(t, e.cfg.MerchantPrivateKey.File), params)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{}
	for k, v := range params {
		form.Set(k, v)
	}
	form.Set("sign", sig)
	codes := []int{}
	for range 2 {
		resp, err := http.Post(e.URL+"/api/gateway_order_query", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		r, err := ksher.ParseResponse(b)
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, r.Code)
	}
	if codes[0] != 0 || codes[1] != -1 {
		t.Fatalf("codes %v, want [0 -1]", codes)
	}
}

func TestQueryPaymentStates(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		state simkit.State
		want  providers.PaymentState
		code  string
	}{
		{simkit.Paying, providers.PaymentPending, "NOTPAY"},
		{simkit.InOTP, providers.PaymentPending, "USERPAYING"},
		{simkit.Paid, providers.PaymentPaid, "SUCCESS"},
		{simkit.Failed, providers.PaymentFailed, "PAYERROR"},
		{simkit.Cancelled, providers.PaymentClosed, "CLOSED"},
		{simkit.Refunded, providers.PaymentRefunded, "REFUND"},
	} {
		order := "ORD-Q-" + string(c.state)
		e.create(t, simkit.Payment{MerchantOrderNo: order, State: c.state})
		st := e.c.QueryPayment(ctx, providers.Target{MerchantOrderNo: order})
		if st.State != c.want || st.Code != c.code || st.Outcome.Kind != providers.Succeeded {
			t.Errorf("%s: %+v", c.state, st)
		}
	}
	// scripted: pays at the 2nd query; another fails at the 1st
	e.create(t, simkit.Payment{MerchantOrderNo: "ORD-Q-PAYON", Scenario: simkit.Scenario{PayOnQuery: 2}})
	if st := e.c.QueryPayment(ctx, providers.Target{MerchantOrderNo: "ORD-Q-PAYON"}); st.State != providers.PaymentPending {
		t.Errorf("1st: %+v", st)
	}
	if st := e.c.QueryPayment(ctx, providers.Target{MerchantOrderNo: "ORD-Q-PAYON"}); st.State != providers.PaymentPaid {
		t.Errorf("2nd: %+v", st)
	}
	e.create(t, simkit.Payment{MerchantOrderNo: "ORD-Q-FAILON", Scenario: simkit.Scenario{FailOnQuery: 1}})
	if st := e.c.QueryPayment(ctx, providers.Target{MerchantOrderNo: "ORD-Q-FAILON"}); st.State != providers.PaymentFailed {
		t.Errorf("failon: %+v", st)
	}
}

// receiver is a merchant webhook endpoint that refuses the first `refuse`
// deliveries and acknowledges the rest as the adapter c does.
type receiver struct {
	*contracttest.Recorder
	c *ksher.Client
}

func newReceiver(t *testing.T, refuse int) *receiver {
	rc := &receiver{}
	rc.Recorder = contracttest.NewRecorder(t, func(n int, _ contracttest.Received) (string, int, []byte) {
		if n <= refuse {
			return "application/json", http.StatusOK, []byte(`{"result":"FAIL","msg":"busy"}`)
		}
		ct, body := rc.c.Ack()
		return ct, http.StatusOK, body
	})
	return rc
}

// wait returns the webhook bodies once at least n arrived.
func (rc *receiver) wait(t *testing.T, n int) [][]byte {
	t.Helper()
	var bodies [][]byte
	for _, r := range rc.Wait(t, n) {
		bodies = append(bodies, r.Body)
	}
	return bodies
}

func withNotify(rc *receiver) envOpt {
	return func(_ *ksher.Config, s *SandboxConfig) {
		s.NotifyURL = rc.URL
		s.NotifySchedule = []time.Duration{0, 10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond}
	}
}

// A saved QR code pays after the cancel: Cancel is confirmed CLOSED, a later query
// shows SUCCESS (QueryCancel: ALREADY_PAID) and the payment webhook arrives.
func TestPaidAfterCancel(t *testing.T) {
	rc := newReceiver(t, 0)
	e := newEnv(t, withNotify(rc))
	rc.c = e.c
	e.create(t, simkit.Payment{MerchantOrderNo: "ORD-PAC", Scenario: simkit.Scenario{PaidAfterCancel: true}})
	want(t, e.c.Cancel(ctx, cancelReq("ORD-PAC")), providers.Succeeded, "")
	st := e.c.QueryPayment(ctx, providers.Target{MerchantOrderNo: "ORD-PAC"})
	if st.State != providers.PaymentPaid {
		t.Fatalf("later query %+v, want PAID", st)
	}
	want(t, e.c.QueryCancel(ctx, providers.CancelQuery{Target: providers.Target{MerchantOrderNo: "ORD-PAC"}}), providers.Failed, providers.ReasonAlreadyPaid)
	bodies := rc.wait(t, 1)
	n, err := e.c.ParseNotification(nil, bodies[0])
	if err != nil {
		t.Fatal(err)
	}
	if n.Type != providers.NotifyPaymentResult || n.Payment != providers.PaymentPaid || n.MerchantOrderNo != "ORD-PAC" || n.Provider != ksher.Name {
		t.Fatalf("notification %+v", n)
	}
	assertCancels(t, e.payment(t, "ORD-PAC"), 1, 1)
}

// The admin API's "customer paid now" sends the webhook, retried until acked.
func TestWebhookOnAdminPaidWithRetries(t *testing.T) {
	rc := newReceiver(t, 2)
	e := newEnv(t, withNotify(rc))
	rc.c = e.c
	resp, err := http.Post(e.URL+"/_sandbox/payments", "application/json",
		strings.NewReader(`{"merchantOrderNo":"ORD-WH","amount":2000,"currency":"THB"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	resp, err = http.Post(e.URL+"/_sandbox/payments/ORD-WH/state", "application/json", strings.NewReader(`{"state":"PAID"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	bodies := rc.wait(t, 3)
	e.sb.WaitDeliveries() // the schedule has a fourth step: none may follow the ack
	got := rc.Requests()
	total, ctype := len(got), got[0].Header.Get("Content-Type")
	if total != 3 {
		t.Fatalf("%d deliveries, want 3 (2 refused + 1 acked)", total)
	}
	if !strings.HasPrefix(ctype, "text/plain") {
		t.Fatalf("content type %q", ctype)
	}
	if bytes.Equal(bodies[0], bodies[1]) {
		t.Fatal("each attempt should be built afresh (new nonce_str)")
	}
	for _, b := range bodies {
		n, err := e.c.ParseNotification(nil, b)
		if err != nil || n.MerchantOrderNo != "ORD-WH" || n.Payment != providers.PaymentPaid {
			t.Fatalf("notification %+v, %v", n, err)
		}
	}
	d := e.sb.Notifier.Deliveries()
	if len(d) != 3 || !d[2].Acked || d[0].Acked {
		t.Fatalf("deliveries %+v", d)
	}
}

func TestNotificationRejections(t *testing.T) {
	rc := newReceiver(t, 0)
	e := newEnv(t, withNotify(rc))
	rc.c = e.c
	e.create(t, simkit.Payment{MerchantOrderNo: "ORD-NT"})
	if _, err := e.Sim.Payments().SetState("ORD-NT", simkit.Paid); err != nil {
		t.Fatal(err)
	}
	e.sb.notifyPaid(e.payment(t, "ORD-NT"), DevAppID)
	genuine := rc.wait(t, 1)[0]
	if _, err := e.c.ParseNotification(nil, genuine); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(genuine, &m); err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(map[string]any)) []byte {
		var c map[string]any
		_ = json.Unmarshal(genuine, &c)
		f(c)
		b, _ := json.Marshal(c)
		return b
	}
	bad := map[string][]byte{
		"tampered order": mutate(func(c map[string]any) { c["data"].(map[string]any)["mch_order_no"] = "ORD-OTHER" }),
		"tampered fee":   mutate(func(c map[string]any) { c["data"].(map[string]any)["total_fee"] = 1 }),
		"added field":    mutate(func(c map[string]any) { c["data"].(map[string]any)["x"] = "y" }),
		"no sign":        mutate(func(c map[string]any) { delete(c, "sign") }),
		"wrong sign":     mutate(func(c map[string]any) { c["sign"] = flipHex(c["sign"].(string)) }),
	}
	for name, b := range bad {
		if _, err := e.c.ParseNotification(nil, b); !errors.Is(err, providers.ErrBadSignature) {
			t.Errorf("%s: err = %v, want ErrBadSignature", name, err)
		}
	}
	// forged: signed with a key that is not Ksher's
	forged := mutate(func(c map[string]any) {
		raw, _ := json.Marshal(c["data"])
		sig, _ := ksher.SignData(providertest.LoadPrivateKey(t, "../../ksher/testdata/merchant_pkcs1.pem"), raw)
		c["sign"] = sig
	})
	if _, err := e.c.ParseNotification(nil, forged); !errors.Is(err, providers.ErrBadSignature) {
		t.Errorf("forged: err = %v", err)
	}
	for _, b := range []string{``, `nope`, `{"code":0,"data":"x","sign":"00"}`, `{"code":0}`} {
		if _, err := e.c.ParseNotification(nil, []byte(b)); !errors.Is(err, providers.ErrMalformed) {
			t.Errorf("%q: err = %v, want ErrMalformed", b, err)
		}
	}
	ct, ack := e.c.Ack()
	if ct != "application/json" || string(ack) != `{"result":"SUCCESS","msg":"OK"}` {
		t.Errorf("ack %s %s", ct, ack)
	}
}

// TestUnsignedClaimScenario: the sandbox answers every cancel_order with the
// unsigned -5 "already cancelled" while the signed order query shows NOTPAY: the
// claim is not believed (issue: it used to end the cancel CANCELLED).
func TestUnsignedClaimScenario(t *testing.T) {
	e := newEnv(t)
	e.create(t, simkit.Payment{MerchantOrderNo: "ORD-UC", Scenario: simkit.Scenario{UnsignedClaim: true}})
	for i := 0; i < 2; i++ {
		o := e.c.Cancel(ctx, cancelReq("ORD-UC"))
		want(t, o, providers.Unknown, "")
		if o.Code != providers.CodeUnsignedClaim || !strings.Contains(o.Message, "-5") || !strings.Contains(o.Message, "NOTPAY") {
			t.Fatalf("outcome %s", o)
		}
	}
	p := e.payment(t, "ORD-UC")
	assertCancels(t, p, 2, 0)
	if p.State != simkit.Paying || p.Cancels[0].Result != simkit.CancelClaimed {
		t.Fatalf("payment %+v", p)
	}
	want(t, e.c.QueryCancel(ctx, providers.CancelQuery{Target: providers.Target{MerchantOrderNo: "ORD-UC"}}), providers.Pending, "")
}
