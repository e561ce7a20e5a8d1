package ksher

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/sim/simkit"
)

// devDir holds the key pairs DevCredentials makes once for the whole package (RSA
// key generation is the slow part).
var devDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ksher-test-")
	if err != nil {
		panic(err)
	}
	devDir = dir
	if _, _, err := DevCredentials(devDir, "http://127.0.0.1:1"); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type env struct {
	sb  *Sandbox
	srv *httptest.Server
	c   *Client
	cfg Config

	mu    sync.Mutex
	forms []url.Values // requests the sandbox received
}

type envOpt func(*Config, *SandboxConfig)

// newEnv starts a sandbox over real HTTP and a client for it. The client's timeout
// is short so timeout faults stay fast.
func newEnv(t *testing.T, opts ...envOpt) *env {
	t.Helper()
	e := &env{}
	e.srv = httptest.NewUnstartedServer(nil)
	cfg, sbc, err := DevCredentials(devDir, "http://"+e.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range opts {
		o(&cfg, &sbc)
	}
	e.cfg = cfg
	e.sb = NewSandbox(sbc)
	h := e.sb.Handler()
	e.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			b, _ := io.ReadAll(r.Body)
			f, _ := url.ParseQuery(string(b))
			e.mu.Lock()
			e.forms = append(e.forms, f)
			e.mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		h.ServeHTTP(w, r)
	})
	e.srv.Start()
	t.Cleanup(func() {
		e.srv.CloseClientConnections()
		e.srv.Close()
		e.sb.Close()
	})
	e.c, err = New(cfg, providers.Deps{HTTPClient: &http.Client{Timeout: 300 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) create(t *testing.T, p simkit.Payment) simkit.Payment {
	t.Helper()
	if p.Amount == 0 {
		p.Amount = 2000
		p.Currency = "THB"
	}
	created, err := e.sb.Store.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	return created
}

func (e *env) payment(t *testing.T, order string) simkit.Payment {
	t.Helper()
	p, ok := e.sb.Store.Get(order, "")
	if !ok {
		t.Fatalf("no payment %s", order)
	}
	return p
}

func cancelReq(order string) providers.CancelRequest {
	return providers.CancelRequest{Target: providers.Target{MerchantOrderNo: order}, CancelKey: "wf-key-" + order}
}

func want(t *testing.T, o providers.Outcome, kind providers.Kind, reason providers.Reason) {
	t.Helper()
	if o.Kind != kind || o.Reason != reason {
		t.Fatalf("outcome %v; want %s/%s", o, kind, reason)
	}
}

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

var ctx = context.Background()

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
	c, err := New(e.cfg, providers.Deps{HTTPClient: &http.Client{Timeout: time.Second}, Now: func() time.Time { return fixed }})
	if err != nil {
		t.Fatal(err)
	}
	e.create(t, simkit.Payment{MerchantOrderNo: "ORD-WIRE", Scenario: simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultUnknown}}})
	want(t, c.Cancel(ctx, cancelReq("ORD-WIRE")), providers.Unknown, "")
	want(t, c.Cancel(ctx, cancelReq("ORD-WIRE")), providers.Succeeded, "")
	e.mu.Lock()
	forms := append([]url.Values(nil), e.forms...)
	e.mu.Unlock()
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

func TestAlreadyPaid(t *testing.T) {
	e := newEnv(t)
	e.create(t, simkit.Payment{MerchantOrderNo: "ORD-PAID", State: simkit.Paid})
	o := e.c.Cancel(ctx, cancelReq("ORD-PAID"))
	want(t, o, providers.Failed, providers.ReasonAlreadyPaid)
	assertCancels(t, e.payment(t, "ORD-PAID"), 1, 0)
	want(t, e.c.QueryCancel(ctx, providers.CancelQuery{Target: providers.Target{MerchantOrderNo: "ORD-PAID"}}), providers.Failed, providers.ReasonAlreadyPaid)
}

func TestNotFound(t *testing.T) {
	e := newEnv(t)
	want(t, e.c.Cancel(ctx, cancelReq("ORD-NONE")), providers.Failed, providers.ReasonNotFound)
	st := e.c.QueryPayment(ctx, providers.Target{MerchantOrderNo: "ORD-NONE"})
	if st.State != providers.PaymentNotFound || st.Outcome.Kind != providers.Succeeded {
		t.Fatalf("query %+v", st)
	}
	want(t, e.c.QueryCancel(ctx, providers.CancelQuery{Target: providers.Target{MerchantOrderNo: "ORD-NONE"}}), providers.Failed, providers.ReasonNotFound)
}

// Ksher has no cancel window: the sandbox renders simkit's WindowExpired as -6
// (cancel failed), which is Unknown (query before deciding).
func TestWindowExpired(t *testing.T) {
	e := newEnv(t)
	e.create(t, simkit.Payment{MerchantOrderNo: "ORD-WIN", Scenario: simkit.Scenario{WindowExpired: true}})
	o := e.c.Cancel(ctx, cancelReq("ORD-WIN"))
	want(t, o, providers.Unknown, "")
	if o.Code != "-6" {
		t.Fatalf("code %s", o.Code)
	}
	want(t, e.c.QueryCancel(ctx, providers.CancelQuery{Target: providers.Target{MerchantOrderNo: "ORD-WIN"}}), providers.Pending, "")
}

// A card payment in its OTP step cannot be cancelled (seed 003): -6, then the query
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
	if _, err := e.sb.Store.SetState("ORD-OTP", simkit.Paid); err != nil {
		t.Fatal(err)
	}
	want(t, e.c.Cancel(ctx, cancelReq("ORD-OTP")), providers.Failed, providers.ReasonAlreadyPaid)
	assertCancels(t, e.payment(t, "ORD-OTP"), 2, 0)
}

func TestCancelFailsDefinitely(t *testing.T) {
	e := newEnv(t)
	e.create(t, simkit.Payment{MerchantOrderNo: "ORD-REF", Scenario: simkit.Scenario{CancelFails: true}})
	want(t, e.c.Cancel(ctx, cancelReq("ORD-REF")), providers.Failed, providers.ReasonInvalidRequest)
}

func TestPendingResolvesAfterQueries(t *testing.T) {
	e := newEnv(t)
	e.create(t, simkit.Payment{MerchantOrderNo: "ORD-PEND", Scenario: simkit.Scenario{PendingQueries: 3}})
	o := e.c.Cancel(ctx, cancelReq("ORD-PEND")) // its confirming query is the first of 3
	want(t, o, providers.Pending, "")
	q := providers.CancelQuery{Target: providers.Target{MerchantOrderNo: "ORD-PEND"}}
	want(t, e.c.QueryCancel(ctx, q), providers.Pending, "")
	want(t, e.c.QueryCancel(ctx, q), providers.Succeeded, "")
	assertCancels(t, e.payment(t, "ORD-PEND"), 1, 1)
}

func TestUnknownThenSuccessSameKey(t *testing.T) {
	e := newEnv(t)
	e.create(t, simkit.Payment{MerchantOrderNo: "ORD-UNK", Scenario: simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultUnknown}}})
	o := e.c.Cancel(ctx, cancelReq("ORD-UNK"))
	want(t, o, providers.Unknown, "")
	if o.Code != "-6" {
		t.Fatalf("code %s", o.Code)
	}
	want(t, e.c.Cancel(ctx, cancelReq("ORD-UNK")), providers.Succeeded, "")
	assertCancels(t, e.payment(t, "ORD-UNK"), 2, 1)
}

func TestTimeout(t *testing.T) {
	e := newEnv(t)
	e.create(t, simkit.Payment{MerchantOrderNo: "ORD-TO", Scenario: simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultTimeout}}})
	o := e.c.Cancel(ctx, cancelReq("ORD-TO"))
	want(t, o, providers.Unknown, "")
	if o.Code != providers.CodeTransport {
		t.Fatalf("code %s", o.Code)
	}
	if p := e.payment(t, "ORD-TO"); p.State != simkit.Paying {
		t.Fatalf("state %s", p.State)
	}
	want(t, e.c.Cancel(ctx, cancelReq("ORD-TO")), providers.Succeeded, "")
	assertCancels(t, e.payment(t, "ORD-TO"), 2, 1)
}

func TestTimeoutAfterEffect(t *testing.T) {
	e := newEnv(t)
	e.create(t, simkit.Payment{MerchantOrderNo: "ORD-TAE", Scenario: simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultTimeoutAfterEffect}}})
	want(t, e.c.Cancel(ctx, cancelReq("ORD-TAE")), providers.Unknown, "")
	o := e.c.Cancel(ctx, cancelReq("ORD-TAE"))
	want(t, o, providers.AlreadyDone, "")
	assertCancels(t, e.payment(t, "ORD-TAE"), 2, 1)
	want(t, e.c.QueryCancel(ctx, providers.CancelQuery{Target: providers.Target{MerchantOrderNo: "ORD-TAE"}}), providers.Succeeded, "")
}

func TestTransportFaults(t *testing.T) {
	for _, c := range []struct {
		fault simkit.Fault
		code  string
	}{
		{simkit.FaultReset, providers.CodeTransport},
		{simkit.Fault5xx, providers.CodeHTTPStatus},
		{simkit.FaultGarbage, providers.CodeBadResponse},
	} {
		t.Run(string(c.fault), func(t *testing.T) {
			e := newEnv(t)
			order := "ORD-" + strings.ToUpper(string(c.fault))
			e.create(t, simkit.Payment{MerchantOrderNo: order, Scenario: simkit.Scenario{
				CancelFaults: []simkit.Fault{c.fault}, QueryFaults: []simkit.Fault{c.fault},
			}})
			o := e.c.Cancel(ctx, cancelReq(order))
			want(t, o, providers.Unknown, "")
			if o.Code != c.code {
				t.Fatalf("cancel code %s, want %s", o.Code, c.code)
			}
			st := e.c.QueryPayment(ctx, providers.Target{MerchantOrderNo: order})
			if st.State != providers.PaymentUnknown || st.Outcome.Kind != providers.Unknown || st.Outcome.Code != c.code {
				t.Fatalf("query %+v", st)
			}
			want(t, e.c.Cancel(ctx, cancelReq(order)), providers.Succeeded, "")
			assertCancels(t, e.payment(t, order), 2, 1)
		})
	}
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
	e := newEnv(t, func(c *Config, _ *SandboxConfig) {
		c.KsherPublicKey = providers.SecretRef{File: filepath.Join("testdata", "ksher512_public.pem")}
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
	e := newEnv(t, func(c *Config, _ *SandboxConfig) {
		c.MerchantPrivateKey = providers.SecretRef{File: filepath.Join("testdata", "merchant_pkcs1.pem")}
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
	e := newEnv(t, func(c *Config, _ *SandboxConfig) { c.AppID = "mch99999" })
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
	e.mu.Lock()
	n := len(e.forms)
	e.mu.Unlock()
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
	sig, err := signParams(e.c.key, params)
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
		resp, err := http.Post(e.srv.URL+"/api/gateway_order_query", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		r, err := parseResponse(b)
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

// receiver is a merchant webhook endpoint that refuses the first `refuse` deliveries.
type receiver struct {
	mu     sync.Mutex
	bodies [][]byte
	ctypes []string
	refuse int
	c      *Client
	srv    *httptest.Server
}

func newReceiver(t *testing.T, refuse int) *receiver {
	rc := &receiver{refuse: refuse}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.bodies = append(rc.bodies, b)
		rc.ctypes = append(rc.ctypes, r.Header.Get("Content-Type"))
		n := len(rc.bodies)
		rc.mu.Unlock()
		if n <= rc.refuse {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"result":"FAIL","msg":"busy"}`))
			return
		}
		ct, body := rc.c.Ack()
		w.Header().Set("Content-Type", ct)
		_, _ = w.Write(body)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) wait(t *testing.T, n int) [][]byte {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		rc.mu.Lock()
		got := append([][]byte(nil), rc.bodies...)
		rc.mu.Unlock()
		if len(got) >= n {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("fewer than %d webhooks arrived", n)
	return nil
}

func withNotify(rc *receiver) envOpt {
	return func(_ *Config, s *SandboxConfig) {
		s.NotifyURL = rc.srv.URL
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
	if n.Type != providers.NotifyPaymentResult || n.Payment != providers.PaymentPaid || n.MerchantOrderNo != "ORD-PAC" || n.Provider != Name {
		t.Fatalf("notification %+v", n)
	}
	assertCancels(t, e.payment(t, "ORD-PAC"), 1, 1)
}

// The admin API's "customer paid now" sends the webhook, retried until acked.
func TestWebhookOnAdminPaidWithRetries(t *testing.T) {
	rc := newReceiver(t, 2)
	e := newEnv(t, withNotify(rc))
	rc.c = e.c
	resp, err := http.Post(e.srv.URL+"/_sandbox/payments", "application/json",
		strings.NewReader(`{"merchantOrderNo":"ORD-WH","amount":2000,"currency":"THB"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	resp, err = http.Post(e.srv.URL+"/_sandbox/payments/ORD-WH/state", "application/json", strings.NewReader(`{"state":"PAID"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	bodies := rc.wait(t, 3)
	time.Sleep(40 * time.Millisecond) // no delivery after the ack
	rc.mu.Lock()
	total, ctype := len(rc.bodies), rc.ctypes[0]
	rc.mu.Unlock()
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
	if _, err := e.sb.Store.SetState("ORD-NT", simkit.Paid); err != nil {
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
		sig, _ := SignData(testMerchantKey(t), raw)
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

func TestNewValidation(t *testing.T) {
	_, sbc, err := DevCredentials(devDir, "http://x")
	if err != nil || sbc.MerchantPublicKey == nil {
		t.Fatal(err)
	}
	good, _, _ := DevCredentials(devDir, "http://x")
	rows := []struct {
		field string
		mod   func(*Config)
	}{
		{"baseURL", func(c *Config) { c.BaseURL = "" }},
		{"baseURL", func(c *Config) { c.BaseURL = "ftp://x" }},
		{"appId", func(c *Config) { c.AppID = "" }},
		{"appId", func(c *Config) { c.AppID = "35000" }},
		{"lang", func(c *Config) { c.Lang = "de" }},
		{"timestampOffset", func(c *Config) { c.TimestampOffset = "Bangkok" }},
		{"merchantPrivateKey", func(c *Config) { c.MerchantPrivateKey = providers.SecretRef{} }},
		{"merchantPrivateKey", func(c *Config) { c.MerchantPrivateKey = providers.SecretRef{File: "nope.pem"} }},
		{"merchantPrivateKey", func(c *Config) {
			c.MerchantPrivateKey = providers.SecretRef{Value: providers.NewSecret("not-a-key-SECRETVALUE")}
		}},
		{"merchantPrivateKey", func(c *Config) {
			c.MerchantPrivateKey = providers.SecretRef{File: filepath.Join("testdata", "ksher512_private.pem")}
		}},
		{"ksherPublicKey", func(c *Config) { c.KsherPublicKey = providers.SecretRef{Env: "KSHER_TEST_UNSET_VAR"} }},
		{"ksherPublicKey", func(c *Config) { c.KsherPublicKey = c.MerchantPrivateKey }},
	}
	for i, r := range rows {
		cfg := good
		r.mod(&cfg)
		_, err := New(cfg, providers.Deps{})
		var fe *providers.FieldError
		if !errors.As(err, &fe) || fe.Field != r.field {
			t.Errorf("row %d: err = %v, want field %s", i, err, r.field)
			continue
		}
		if strings.Contains(err.Error(), "SECRETVALUE") || strings.Contains(err.Error(), "PRIVATE KEY-----\n") {
			t.Errorf("row %d: error leaks key material: %v", i, err)
		}
	}
	// defaults, relative files via BaseDir, trailing slash
	cfg := good
	cfg.BaseURL = "https://gateway.ksher.com/api/"
	cfg.Lang = ""
	cfg.MerchantPrivateKey = providers.SecretRef{File: "merchant_pkcs1.pem"}
	c, err := New(cfg, providers.Deps{BaseDir: "testdata"})
	if err != nil {
		t.Fatal(err)
	}
	if c.lang != "en" || c.cancelURL != "https://gateway.ksher.com/api/cancel_order" || c.queryURL != "https://gateway.ksher.com/api/gateway_order_query" {
		t.Fatalf("client %+v", c)
	}
	if c.Name() != "ksher" {
		t.Fatal(c.Name())
	}
}

func TestDevCredentials(t *testing.T) {
	dir := t.TempDir()
	// reuse: copy the package's generated files so no new keys are needed, drop one
	// public file to see it derived again
	for _, f := range []string{devMerchantPrivate, devMerchantPublic, devKsherPrivate} {
		b, err := os.ReadFile(filepath.Join(devDir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, sbc, err := DevCredentials(dir, "http://127.0.0.1:8299/ksher/")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BaseURL != "http://127.0.0.1:8299/ksher/api" || cfg.AppID != DevAppID || !filepath.IsAbs(cfg.MerchantPrivateKey.File) || !filepath.IsAbs(cfg.KsherPublicKey.File) {
		t.Fatalf("config %+v", cfg)
	}
	if sbc.AppID != DevAppID || sbc.KsherPrivateKey == nil || sbc.MerchantPublicKey == nil {
		t.Fatalf("sandbox config %+v", sbc)
	}
	pubText, err := os.ReadFile(filepath.Join(dir, devKsherPublic))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := providers.ParsePublicKey(pubText)
	if err != nil || !pub.Equal(&sbc.KsherPrivateKey.PublicKey) {
		t.Fatalf("derived public key: %v", err)
	}
	for _, f := range []string{devMerchantPrivate, devKsherPrivate} {
		info, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", f, info.Mode().Perm())
		}
	}
	// the shared dir's private files were created 0600 by DevCredentials itself
	info, err := os.Stat(filepath.Join(devDir, devMerchantPrivate))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("generated private key mode: %v %v", info.Mode().Perm(), err)
	}
	if _, err := New(cfg, providers.Deps{}); err != nil {
		t.Fatal(err)
	}
	// second call reuses the same keys
	_, sbc2, err := DevCredentials(dir, "http://x")
	if err != nil || !sbc2.KsherPrivateKey.Equal(sbc.KsherPrivateKey) {
		t.Fatalf("keys not reused: %v", err)
	}
}
