package alipayplus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/sim/simkit"
)

const testClientID = "SANDBOX_TEST_CLIENT"

// env is a sandbox over real HTTP and a client pointed at it.
type env struct {
	sb     *Sandbox
	srv    *httptest.Server
	client *Client
	cfg    Config
}

func testConfig(baseURL string) Config {
	return Config{
		BaseURL:            baseURL,
		ClientID:           testClientID,
		MerchantPrivateKey: providers.SecretRef{File: "merchant_private.pem"},
		WalletPublicKey:    providers.SecretRef{File: "wallet_public.pem"},
	}
}

func testDeps() providers.Deps {
	// A short client timeout keeps the timeout scenarios fast.
	return providers.Deps{HTTPClient: &http.Client{Timeout: 300 * time.Millisecond}, BaseDir: "testdata"}
}

func newSandbox(t *testing.T) *Sandbox {
	t.Helper()
	sb := NewSandbox(SandboxConfig{
		ClientID:          testClientID,
		MerchantPublicKey: publicKey(t, "merchant_public.pem"),
		WalletPrivateKey:  privateKey(t, "wallet_private.pem"),
	})
	t.Cleanup(sb.Close)
	return sb
}

// newEnv starts a sandbox; edit (optional) adjusts the client's Config.
func newEnv(t *testing.T, edit func(*Config)) *env {
	t.Helper()
	sb := newSandbox(t)
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	cfg := testConfig(srv.URL)
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(cfg, testDeps())
	if err != nil {
		t.Fatal(err)
	}
	return &env{sb: sb, srv: srv, client: c, cfg: cfg}
}

// pay creates a payment and returns its target (with the wallet's paymentId).
func (e *env) pay(t *testing.T, order string, state simkit.State, sc simkit.Scenario) providers.Target {
	t.Helper()
	p, err := e.sb.Store.Create(simkit.Payment{MerchantOrderNo: order, Amount: 1250, Currency: "HKD", State: state, Scenario: sc})
	if err != nil {
		t.Fatal(err)
	}
	return providers.Target{MerchantOrderNo: order, ProviderPaymentID: p.ProviderPaymentID}
}

func (e *env) payment(t *testing.T, order string) simkit.Payment {
	t.Helper()
	p, ok := e.sb.Store.Get(order, "")
	if !ok {
		t.Fatalf("no payment %s", order)
	}
	return p
}

func (e *env) cancel(tg providers.Target) providers.Outcome {
	return e.client.Cancel(context.Background(), providers.CancelRequest{Target: tg, CancelKey: "ck-" + tg.MerchantOrderNo})
}

func (e *env) queryCancel(tg providers.Target) providers.Outcome {
	return e.client.QueryCancel(context.Background(), providers.CancelQuery{Target: tg, CancelKey: "ck-" + tg.MerchantOrderNo})
}

func (e *env) queryPayment(tg providers.Target) providers.PaymentStatus {
	return e.client.QueryPayment(context.Background(), tg)
}

func expect(t *testing.T, what string, got providers.Outcome, kind providers.Kind, reason providers.Reason, code string) {
	t.Helper()
	if got.Kind != kind || got.Reason != reason || (code != "" && got.Code != code) {
		t.Fatalf("%s: got %v, want %s/%s code=%s", what, got, kind, reason, code)
	}
}

// One cancel took effect, and every call named the same business key.
func expectOneEffective(t *testing.T, p simkit.Payment, key string, calls int) {
	t.Helper()
	if len(p.Cancels) != calls {
		t.Fatalf("%d cancels recorded, want %d: %+v", len(p.Cancels), calls, p.Cancels)
	}
	for _, c := range p.Cancels {
		if c.Key != key {
			t.Errorf("cancel recorded with key %q, want %q", c.Key, key)
		}
	}
	if n := p.EffectiveCancels(); n != 1 {
		t.Errorf("%d effective cancels, want 1", n)
	}
}

func TestHappyCancel(t *testing.T) {
	e := newEnv(t, nil)
	tg := e.pay(t, "order-happy", simkit.Paying, simkit.Scenario{})
	expect(t, "cancel", e.cancel(tg), providers.Succeeded, "", "SUCCESS")
	p := e.payment(t, "order-happy")
	if p.State != simkit.Cancelled {
		t.Fatalf("state %s", p.State)
	}
	expectOneEffective(t, p, tg.ProviderPaymentID, 1) // paymentId wins as the business key
	expect(t, "query cancel", e.queryCancel(tg), providers.Succeeded, "", "CANCELLED")
	if ps := e.queryPayment(tg); ps.State != providers.PaymentClosed || ps.Outcome.Kind != providers.Succeeded {
		t.Fatalf("payment: %+v", ps)
	}
}

func TestCancelByPaymentRequestID(t *testing.T) {
	e := newEnv(t, nil)
	e.pay(t, "order-by-request-id", simkit.Paying, simkit.Scenario{})
	tg := providers.Target{MerchantOrderNo: "order-by-request-id"}
	expect(t, "cancel", e.cancel(tg), providers.Succeeded, "", "SUCCESS")
	expectOneEffective(t, e.payment(t, "order-by-request-id"), "order-by-request-id", 1)
	if ps := e.queryPayment(tg); ps.State != providers.PaymentClosed {
		t.Fatalf("payment: %+v", ps)
	}
}

func TestAlreadyCancelled(t *testing.T) {
	e := newEnv(t, nil)
	tg := e.pay(t, "order-twice", simkit.Paying, simkit.Scenario{})
	expect(t, "first", e.cancel(tg), providers.Succeeded, "", "SUCCESS")
	// Idempotent by target: the repeat answers S again [I].
	expect(t, "repeat", e.cancel(tg), providers.Succeeded, "", "SUCCESS")
	expectOneEffective(t, e.payment(t, "order-twice"), tg.ProviderPaymentID, 2)

	tg2 := e.pay(t, "order-was-cancelled", simkit.Cancelled, simkit.Scenario{})
	expect(t, "cancelled before", e.cancel(tg2), providers.Succeeded, "", "SUCCESS")
	if p := e.payment(t, "order-was-cancelled"); p.EffectiveCancels() != 0 {
		t.Fatalf("effective cancels of a cancelled payment: %+v", p.Cancels)
	}
}

func TestAlreadyPaid(t *testing.T) {
	e := newEnv(t, nil)
	tg := e.pay(t, "order-paid", simkit.Paid, simkit.Scenario{})
	// ORDER_STATUS_INVALID is our reading [I]: confirmed by inquiryPayment SUCCESS.
	expect(t, "cancel", e.cancel(tg), providers.Failed, providers.ReasonAlreadyPaid, "SUCCESS")
	if p := e.payment(t, "order-paid"); p.State != simkit.Paid || p.EffectiveCancels() != 0 {
		t.Fatalf("payment changed: %+v", p)
	}
	expect(t, "query cancel", e.queryCancel(tg), providers.Failed, providers.ReasonAlreadyPaid, "SUCCESS")
}

func TestNotFound(t *testing.T) {
	e := newEnv(t, nil)
	tg := providers.Target{MerchantOrderNo: "order-none", ProviderPaymentID: "2024000000000000"}
	expect(t, "cancel", e.cancel(tg), providers.Failed, providers.ReasonNotFound, "ORDER_NOT_EXIST")
	ps := e.queryPayment(tg)
	if ps.State != providers.PaymentNotFound || ps.Outcome.Kind != providers.Succeeded {
		t.Fatalf("payment: %+v", ps)
	}
	expect(t, "query cancel", e.queryCancel(tg), providers.Failed, providers.ReasonNotFound, "ORDER_NOT_EXIST")
}

func TestWindowExpired(t *testing.T) {
	e := newEnv(t, nil)
	tg := e.pay(t, "order-late", simkit.Paying, simkit.Scenario{WindowExpired: true})
	expect(t, "cancel", e.cancel(tg), providers.Failed, providers.ReasonWindowExpired, "CANCEL_WINDOW_EXCEED")
}

func TestCancelRefused(t *testing.T) {
	e := newEnv(t, nil)
	tg := e.pay(t, "order-refused", simkit.Paying, simkit.Scenario{CancelFails: true})
	expect(t, "cancel", e.cancel(tg), providers.Failed, providers.ReasonRejected, "PROCESS_FAIL")
}

func TestPendingResolvesAfterQueries(t *testing.T) {
	e := newEnv(t, nil)
	tg := e.pay(t, "order-pending", simkit.Paying, simkit.Scenario{PendingQueries: 3})
	// The wallet cannot say yet: U / UNKNOWN_EXCEPTION.
	expect(t, "cancel", e.cancel(tg), providers.Unknown, "", "UNKNOWN_EXCEPTION")
	expect(t, "query 1", e.queryCancel(tg), providers.Pending, "", "PROCESSING")
	expect(t, "query 2", e.queryCancel(tg), providers.Pending, "", "PROCESSING")
	expect(t, "query 3", e.queryCancel(tg), providers.Succeeded, "", "CANCELLED")
	expectOneEffective(t, e.payment(t, "order-pending"), tg.ProviderPaymentID, 1)
}

func TestUnknownThenSuccessSameKey(t *testing.T) {
	e := newEnv(t, nil)
	tg := e.pay(t, "order-unknown", simkit.Paying, simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultUnknown}})
	expect(t, "first", e.cancel(tg), providers.Unknown, "", "UNKNOWN_EXCEPTION")
	expect(t, "retry", e.cancel(tg), providers.Succeeded, "", "SUCCESS")
	expectOneEffective(t, e.payment(t, "order-unknown"), tg.ProviderPaymentID, 2)
}

func TestTimeout(t *testing.T) {
	e := newEnv(t, nil)
	tg := e.pay(t, "order-timeout", simkit.Paying, simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultTimeout}})
	expect(t, "cancel", e.cancel(tg), providers.Unknown, "", providers.CodeTransport)
	if p := e.payment(t, "order-timeout"); p.State != simkit.Paying {
		t.Fatalf("a timeout before acting changed the payment: %s", p.State)
	}
	expect(t, "retry", e.cancel(tg), providers.Succeeded, "", "SUCCESS")
	expectOneEffective(t, e.payment(t, "order-timeout"), tg.ProviderPaymentID, 2)
}

func TestTimeoutAfterEffect(t *testing.T) {
	e := newEnv(t, nil)
	tg := e.pay(t, "order-tae", simkit.Paying, simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultTimeoutAfterEffect}})
	expect(t, "cancel", e.cancel(tg), providers.Unknown, "", providers.CodeTransport)
	if p := e.payment(t, "order-tae"); p.State != simkit.Cancelled {
		t.Fatalf("state %s, want the cancel to have taken effect", p.State)
	}
	expect(t, "retry", e.cancel(tg), providers.Succeeded, "", "SUCCESS")
	expectOneEffective(t, e.payment(t, "order-tae"), tg.ProviderPaymentID, 2)
}

func TestTransportFaults(t *testing.T) {
	for _, tc := range []struct {
		fault simkit.Fault
		code  string
	}{
		{simkit.FaultReset, providers.CodeTransport},
		{simkit.Fault5xx, providers.CodeHTTPStatus},
		{simkit.FaultGarbage, providers.CodeBadResponse},
	} {
		t.Run(string(tc.fault), func(t *testing.T) {
			e := newEnv(t, nil)
			tg := e.pay(t, "order-"+string(tc.fault), simkit.Paying, simkit.Scenario{CancelFaults: []simkit.Fault{tc.fault}})
			expect(t, "cancel", e.cancel(tg), providers.Unknown, "", tc.code)
			expect(t, "retry", e.cancel(tg), providers.Succeeded, "", "SUCCESS")
		})
	}
}

func TestUnverifiedResponses(t *testing.T) {
	for _, f := range []simkit.Fault{simkit.FaultUnsigned, simkit.FaultBadSignature} {
		t.Run(string(f), func(t *testing.T) {
			e := newEnv(t, nil)
			tg := e.pay(t, "order-"+string(f), simkit.Paying, simkit.Scenario{CancelFaults: []simkit.Fault{f}})
			// The wallet did cancel, but an answer we cannot verify is never success.
			got := e.cancel(tg)
			expect(t, "cancel", got, providers.Unknown, "", providers.CodeUnverified)
			if !strings.Contains(got.Message, "not trusted") {
				t.Errorf("message %q does not say the response is untrusted", got.Message)
			}
			expect(t, "retry", e.cancel(tg), providers.Succeeded, "", "SUCCESS")
			expectOneEffective(t, e.payment(t, "order-"+string(f)), tg.ProviderPaymentID, 2)
		})
	}
}

func TestRateLimited(t *testing.T) {
	e := newEnv(t, nil)
	tg := e.pay(t, "order-rl", simkit.Paying, simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultRateLimit}})
	expect(t, "cancel", e.cancel(tg), providers.Failed, providers.ReasonRateLimited, "REQUEST_TRAFFIC_EXCEED_LIMIT")
	expect(t, "retry", e.cancel(tg), providers.Succeeded, "", "SUCCESS")
}

func TestWalletRejectsCredentials(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(*Config)
		code string
	}{
		"wrong merchant key": {func(c *Config) { c.MerchantPrivateKey.File = "wallet_private.pem" }, "INVALID_SIGNATURE"},
		"wrong client id":    {func(c *Config) { c.ClientID = "SOMEONE_ELSE" }, "CLIENT_INVALID"},
		"wrong key version":  {func(c *Config) { c.KeyVersion = "7" }, "KEY_NOT_FOUND"},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, tc.edit)
			tg := e.pay(t, "order-creds", simkit.Paying, simkit.Scenario{})
			expect(t, "cancel", e.cancel(tg), providers.Failed, providers.ReasonConfiguration, tc.code)
			ps := e.queryPayment(tg)
			expect(t, "query", ps.Outcome, providers.Failed, providers.ReasonConfiguration, tc.code)
			if ps.State != providers.PaymentUnknown {
				t.Errorf("payment state %s", ps.State)
			}
			if p := e.payment(t, "order-creds"); len(p.Cancels) != 0 || p.State != simkit.Paying {
				t.Fatalf("a rejected request reached the payment: %+v", p)
			}
		})
	}
}

func TestQueryPaymentStates(t *testing.T) {
	e := newEnv(t, nil)
	for state, want := range map[simkit.State]providers.PaymentState{
		simkit.Paying:    providers.PaymentPending,
		simkit.Paid:      providers.PaymentPaid,
		simkit.Failed:    providers.PaymentFailed,
		simkit.Cancelled: providers.PaymentClosed,
	} {
		tg := e.pay(t, "order-state-"+string(state), state, simkit.Scenario{})
		ps := e.queryPayment(tg)
		if ps.State != want || ps.Outcome.Kind != providers.Succeeded {
			t.Errorf("%s: got %+v, want %s", state, ps, want)
		}
	}
	// Scripted: paid at the second query, failed at the first.
	tg := e.pay(t, "order-pays", simkit.Paying, simkit.Scenario{PayOnQuery: 2})
	if ps := e.queryPayment(tg); ps.State != providers.PaymentPending {
		t.Fatalf("query 1: %+v", ps)
	}
	if ps := e.queryPayment(tg); ps.State != providers.PaymentPaid {
		t.Fatalf("query 2: %+v", ps)
	}
	tg = e.pay(t, "order-fails", simkit.Paying, simkit.Scenario{FailOnQuery: 1})
	if ps := e.queryPayment(tg); ps.State != providers.PaymentFailed || ps.Message == "" {
		t.Fatalf("failed payment: %+v", ps)
	}
}

func TestPaidAfterCancel(t *testing.T) {
	e := newEnv(t, nil)
	tg := e.pay(t, "order-saved-qr", simkit.Paying, simkit.Scenario{PaidAfterCancel: true})
	expect(t, "cancel", e.cancel(tg), providers.Succeeded, "", "SUCCESS")
	if ps := e.queryPayment(tg); ps.State != providers.PaymentPaid {
		t.Fatalf("payment after cancel: %+v", ps)
	}
	expect(t, "query cancel", e.queryCancel(tg), providers.Failed, providers.ReasonAlreadyPaid, "SUCCESS")
}

func TestQueryFaults(t *testing.T) {
	e := newEnv(t, nil)
	tg := e.pay(t, "order-qf", simkit.Paying, simkit.Scenario{QueryFaults: []simkit.Fault{
		simkit.FaultTimeout, simkit.FaultUnsigned, simkit.FaultBadSignature, simkit.FaultGarbage,
		simkit.Fault5xx, simkit.FaultUnknown, simkit.FaultRateLimit,
	}})
	wants := []struct {
		kind   providers.Kind
		reason providers.Reason
		code   string
	}{
		{providers.Unknown, "", providers.CodeTransport},
		{providers.Unknown, "", providers.CodeUnverified},
		{providers.Unknown, "", providers.CodeUnverified},
		{providers.Unknown, "", providers.CodeBadResponse},
		{providers.Unknown, "", providers.CodeHTTPStatus},
		{providers.Unknown, "", "UNKNOWN_EXCEPTION"},
		{providers.Failed, providers.ReasonRateLimited, "REQUEST_TRAFFIC_EXCEED_LIMIT"},
	}
	for i, w := range wants {
		// Alternate the two entry points: QueryCancel passes the query's failure through.
		var got providers.Outcome
		if i%2 == 0 {
			ps := e.queryPayment(tg)
			if ps.State != providers.PaymentUnknown {
				t.Fatalf("query %d: state %s", i, ps.State)
			}
			got = ps.Outcome
		} else {
			got = e.queryCancel(tg)
		}
		expect(t, "query "+string(rune('1'+i)), got, w.kind, w.reason, w.code)
	}
	if ps := e.queryPayment(tg); ps.State != providers.PaymentPending {
		t.Fatalf("after the faults: %+v", ps)
	}
}

// The wallet's base URL may carry a path prefix; the signed path includes it, and
// the sandbox (mounted under that prefix) verifies against the request line.
func TestBaseURLPrefixAndEpochMillis(t *testing.T) {
	sb := newSandbox(t)
	mux := http.NewServeMux()
	mux.Handle("/wallet/api/", http.StripPrefix("/wallet/api", sb.Handler()))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	var seen []string
	deps := testDeps()
	deps.Now = func() time.Time { return time.UnixMilli(1714536000123) }
	deps.HTTPClient.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		seen = append(seen, r.URL.Path+" "+r.Header.Get("Request-Time"))
		return http.DefaultTransport.RoundTrip(r)
	})
	cfg := testConfig(srv.URL + "/wallet/api/")
	cfg.RequestTimeFormat = TimeEpochMillis
	c, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	p, err := sb.Store.Create(simkit.Payment{MerchantOrderNo: "order-prefix", Amount: 1})
	if err != nil {
		t.Fatal(err)
	}
	tg := providers.Target{MerchantOrderNo: "order-prefix", ProviderPaymentID: p.ProviderPaymentID}
	expect(t, "cancel", c.Cancel(context.Background(), providers.CancelRequest{Target: tg}), providers.Succeeded, "", "SUCCESS")
	expect(t, "query", c.QueryCancel(context.Background(), providers.CancelQuery{Target: tg}), providers.Succeeded, "", "CANCELLED")
	want := []string{"/wallet/api/v2/payments/cancel 1714536000123", "/wallet/api/v2/payments/inquiryPayment 1714536000123"}
	if strings.Join(seen, "|") != strings.Join(want, "|") {
		t.Fatalf("sent %q, want %q", seen, want)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Each attempt gets a fresh Request-Time; the body (the business key) stays the same.
func TestPerAttemptRequestTime(t *testing.T) {
	e := newEnv(t, nil)
	tick := time.Date(2024, 5, 1, 12, 0, 0, 0, time.FixedZone("HKT", 8*3600))
	var times, bodies []string
	deps := testDeps()
	deps.Now = func() time.Time { tick = tick.Add(time.Second); return tick }
	deps.HTTPClient.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		times = append(times, r.Header.Get("Request-Time"))
		b, _ := r.GetBody()
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(b)
		bodies = append(bodies, buf.String())
		if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=UTF-8" {
			t.Errorf("Content-Type %q", ct)
		}
		if sig := r.Header.Get("Signature"); !strings.HasPrefix(sig, "algorithm=RSA256,keyVersion=1,signature=") {
			t.Errorf("Signature header %q", sig)
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	c, err := New(e.cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	tg := e.pay(t, "order-attempts", simkit.Paying, simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultUnknown}})
	c.Cancel(context.Background(), providers.CancelRequest{Target: tg})
	c.Cancel(context.Background(), providers.CancelRequest{Target: tg})
	if len(times) != 2 || times[0] != "2024-05-01T12:00:01.000+08:00" || times[1] != "2024-05-01T12:00:02.000+08:00" {
		t.Fatalf("Request-Time per attempt: %q", times)
	}
	if bodies[0] != bodies[1] || bodies[0] != `{"paymentId":"`+tg.ProviderPaymentID+`"}` {
		t.Fatalf("bodies: %q", bodies)
	}
}

func TestLocalValidation(t *testing.T) {
	e := newEnv(t, nil)
	long := strings.Repeat("x", 65)
	for name, tg := range map[string]providers.Target{
		"empty":           {},
		"long paymentId":  {MerchantOrderNo: "o", ProviderPaymentID: long},
		"long request id": {MerchantOrderNo: long},
		"long multibyte":  {MerchantOrderNo: strings.Repeat("订", 65)},
	} {
		expect(t, name, e.cancel(tg), providers.Failed, providers.ReasonInvalidRequest, providers.CodeInvalidRequest)
		expect(t, name+" query", e.queryPayment(tg).Outcome, providers.Failed, providers.ReasonInvalidRequest, providers.CodeInvalidRequest)
	}
	// 64 characters (multi-byte) are fine.
	e.pay(t, strings.Repeat("订", 64), simkit.Paying, simkit.Scenario{})
	expect(t, "64 chars", e.cancel(providers.Target{MerchantOrderNo: strings.Repeat("订", 64)}), providers.Succeeded, "", "SUCCESS")
}

// Requests the wallet refuses before looking at the payment, in its own format and signed.
func TestSandboxRejectsMalformedRequests(t *testing.T) {
	e := newEnv(t, nil)
	walletPub := publicKey(t, "wallet_public.pem")
	merchant := privateKey(t, "merchant_private.pem")
	send := func(method, contentType string, body string, sign bool) Result {
		t.Helper()
		req, err := http.NewRequest(method, e.srv.URL+CancelPath, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		reqTime := "2024-05-01T12:00:00+08:00"
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Client-Id", testClientID)
		req.Header.Set("Request-Time", reqTime)
		if sign {
			sig, err := SignMessage(merchant, CancelPath, testClientID, reqTime, []byte(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Signature", SignatureHeader("1", sig))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		if err := verifyResponse(walletPub, CancelPath, testClientID, resp.Header, buf.Bytes()); err != nil {
			t.Fatalf("error answer not signed like the wallet: %v", err)
		}
		r, err := decodeEnvelope(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for name, tc := range map[string]struct {
		method, ct, body string
		sign             bool
		code             string
	}{
		"GET":            {http.MethodGet, "application/json", "", true, "METHOD_NOT_SUPPORTED"},
		"form body":      {http.MethodPost, "application/x-www-form-urlencoded", "paymentId=1", true, "MEDIA_TYPE_NOT_ACCEPTABLE"},
		"unsigned":       {http.MethodPost, "application/json", `{"paymentId":"1"}`, false, "INVALID_SIGNATURE"},
		"no ids":         {http.MethodPost, "application/json", `{}`, true, "PARAM_ILLEGAL"},
		"not json":       {http.MethodPost, "application/json", `{"paymentId":`, true, "PARAM_ILLEGAL"},
		"id too long":    {http.MethodPost, "application/json", `{"paymentId":"` + strings.Repeat("9", 65) + `"}`, true, "PARAM_ILLEGAL"},
		"unknown target": {http.MethodPost, "application/json; charset=UTF-8", `{"paymentRequestId":"nope"}`, true, "ORDER_NOT_EXIST"},
	} {
		if r := send(tc.method, tc.ct, tc.body, tc.sign); r.ResultCode != tc.code || r.ResultStatus != "F" {
			t.Errorf("%s: got %+v, want F/%s", name, r, tc.code)
		}
	}
}

func TestAdminAPICreatesPayments(t *testing.T) {
	e := newEnv(t, nil)
	resp, err := http.Post(e.srv.URL+"/_sandbox/payments", "application/json",
		strings.NewReader(`{"merchantOrderNo":"order-admin","amount":500,"currency":"HKD","scenario":{"cancelFaults":["unknown"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	var p simkit.Payment
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || p.ProviderPaymentID == "" {
		t.Fatalf("create: %d %+v", resp.StatusCode, p)
	}
	tg := providers.Target{MerchantOrderNo: "order-admin"}
	expect(t, "cancel", e.cancel(tg), providers.Unknown, "", "UNKNOWN_EXCEPTION")
	expect(t, "retry", e.cancel(tg), providers.Succeeded, "", "SUCCESS")
}

func TestNewValidates(t *testing.T) {
	secret := "-----BEGIN PRIVATE KEY-----\nTOP-SECRET-MATERIAL\n-----END PRIVATE KEY-----"
	for name, tc := range map[string]struct {
		edit  func(*Config)
		field string
	}{
		"no base url":     {func(c *Config) { c.BaseURL = "" }, "baseURL"},
		"relative url":    {func(c *Config) { c.BaseURL = "/v2" }, "baseURL"},
		"query in url":    {func(c *Config) { c.BaseURL = "https://w.example/?x=1" }, "baseURL"},
		"no client id":    {func(c *Config) { c.ClientID = " " }, "clientID"},
		"key version":     {func(c *Config) { c.KeyVersion = "v1" }, "keyVersion"},
		"time format":     {func(c *Config) { c.RequestTimeFormat = "unix" }, "requestTimeFormat"},
		"no private key":  {func(c *Config) { c.MerchantPrivateKey = providers.SecretRef{} }, "merchantPrivateKey"},
		"missing file":    {func(c *Config) { c.MerchantPrivateKey.File = "nope.pem" }, "merchantPrivateKey"},
		"bad private key": {func(c *Config) { c.MerchantPrivateKey = providers.SecretRef{Value: providers.NewSecret(secret)} }, "merchantPrivateKey"},
		"unset env":       {func(c *Config) { c.WalletPublicKey = providers.SecretRef{Env: "ALIPAYPLUS_TEST_UNSET_VAR"} }, "walletPublicKey"},
		"public as priv":  {func(c *Config) { c.WalletPublicKey.File = "wallet_private.pem" }, "walletPublicKey"},
	} {
		cfg := testConfig("https://wallet.example")
		tc.edit(&cfg)
		_, err := New(cfg, testDeps())
		var fe *providers.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: got %v, want a %s field error", name, err, tc.field)
			continue
		}
		if strings.Contains(err.Error(), "TOP-SECRET") {
			t.Errorf("%s: error leaks the secret: %v", name, err)
		}
	}
	c, err := New(testConfig("https://wallet.example/prefix/"), testDeps())
	if err != nil {
		t.Fatal(err)
	}
	if c.cancel.url != "https://wallet.example/prefix/v2/payments/cancel" || c.inquiry.path != "/prefix/v2/payments/inquiryPayment" {
		t.Fatalf("endpoints %+v %+v", c.cancel, c.inquiry)
	}
	for base, want := range map[string]string{
		"https://wallet.example":         "/v2/payments/cancel",
		"https://wallet.example/":        "/v2/payments/cancel",
		"https://wallet.example/a%2Fb//": "/a%2Fb/v2/payments/cancel",
	} {
		c, err := New(testConfig(base), testDeps())
		if err != nil {
			t.Fatal(err)
		}
		if c.cancel.path != want || !strings.HasSuffix(c.cancel.url, want) {
			t.Errorf("%s: endpoint %+v, want path %s", base, c.cancel, want)
		}
	}
	if c.Name() != Name || c.keyVersion != "1" || c.timeFormat != TimeRFC3339Millis || !c.keyHeader {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestDevCredentials(t *testing.T) {
	dir := t.TempDir()
	sbCfg0 := SandboxConfig{}
	var cfg Config
	var err error
	for i := 0; i < 2; i++ { // the second call reuses the files
		cfg, sbCfg0, err = DevCredentials(dir, "http://127.0.0.1:1/alipayplus/")
		if err != nil {
			t.Fatal(err)
		}
	}
	if !filepath.IsAbs(cfg.MerchantPrivateKey.File) || !filepath.IsAbs(cfg.WalletPublicKey.File) {
		t.Fatalf("key paths not absolute: %+v", cfg)
	}
	if cfg.BaseURL != "http://127.0.0.1:1/alipayplus" {
		t.Fatalf("base URL %q", cfg.BaseURL)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4 {
		t.Fatalf("files: %v", entries)
	}
	for _, e := range entries {
		info, _ := e.Info()
		if strings.Contains(e.Name(), "private") && info.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v", e.Name(), info.Mode())
		}
	}
	first, _ := os.ReadFile(cfg.MerchantPrivateKey.File)
	cfg2, _, err := DevCredentials(dir, "http://x")
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(cfg2.MerchantPrivateKey.File); !bytes.Equal(first, again) {
		t.Fatal("DevCredentials regenerated an existing key")
	}

	// The pair works end to end, mounted under a prefix.
	sb := NewSandbox(sbCfg0)
	defer sb.Close()
	mux := http.NewServeMux()
	mux.Handle("/alipayplus/", http.StripPrefix("/alipayplus", sb.Handler()))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	cfg.BaseURL = srv.URL + "/alipayplus"
	c, err := New(cfg, providers.Deps{HTTPClient: &http.Client{Timeout: 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Store.Create(simkit.Payment{MerchantOrderNo: "dev-1", Amount: 1}); err != nil {
		t.Fatal(err)
	}
	expect(t, "dev cancel", c.Cancel(context.Background(), providers.CancelRequest{Target: providers.Target{MerchantOrderNo: "dev-1"}}), providers.Succeeded, "", "SUCCESS")
}
