package payermax

import (
	"bytes"
	"context"
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

const testAppID = "8f8b0895b60f41abbdb05405052971c8"
const testMerchantNo = "P01010114178824"

// harness is a sandbox behind a real HTTP server and a client pointed at it.
type harness struct {
	t      *testing.T
	sb     *Sandbox
	srv    *httptest.Server
	cfg    Config
	client *Client // generous timeout: the machine is shared
	short  *Client // 300 ms timeout, for the timeout faults

	mu       sync.Mutex
	requests [][]byte // request bodies the sandbox received
}

type harnessOpt func(*SandboxConfig)

func newHarness(t *testing.T, opts ...harnessOpt) *harness {
	t.Helper()
	sc := SandboxConfig{
		AppID:              testAppID,
		MerchantNo:         testMerchantNo,
		MerchantPublicKey:  loadPublic(t, "testdata/merchant_public.pem"),
		ProviderPrivateKey: loadPrivate(t, "testdata/provider_private.pem"),
	}
	for _, o := range opts {
		o(&sc)
	}
	h := &harness{t: t, sb: NewSandbox(sc)}
	api := h.sb.Handler()
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.requests = append(h.requests, body)
		h.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		h.srv.CloseClientConnections()
		h.srv.Close()
		h.sb.Close()
	})
	h.cfg = Config{
		BaseURL:            h.srv.URL + GatewayPath,
		AppID:              testAppID,
		MerchantNo:         testMerchantNo,
		MerchantPrivateKey: providers.SecretRef{File: "testdata/merchant_private.b64"},
		ProviderPublicKey:  providers.SecretRef{File: "testdata/provider_public.pem"},
	}
	h.client = h.newClient(h.cfg, nil)
	var err error
	if h.short, err = New(h.cfg, providers.Deps{HTTPClient: &http.Client{Timeout: 300 * time.Millisecond}}); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) newClient(cfg Config, now func() time.Time) *Client {
	h.t.Helper()
	c, err := New(cfg, providers.Deps{HTTPClient: &http.Client{Timeout: 5 * time.Second}, Now: now})
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// sent returns the request bodies the sandbox received so far.
func (h *harness) sent() [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([][]byte(nil), h.requests...)
}

func (h *harness) create(order string, st simkit.State, sc simkit.Scenario) {
	h.t.Helper()
	if _, err := h.sb.Store.Create(simkit.Payment{MerchantOrderNo: order, Amount: 1050, Currency: "SAR", State: st, Scenario: sc}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) payment(order string) simkit.Payment {
	h.t.Helper()
	p, ok := h.sb.Store.Get(order, "")
	if !ok {
		h.t.Fatalf("no payment %s", order)
	}
	return p
}

func (h *harness) cancel(order, key string) providers.Outcome {
	return h.client.Cancel(context.Background(), providers.CancelRequest{Target: providers.Target{MerchantOrderNo: order}, CancelKey: key})
}

func (h *harness) queryCancel(order, key string) providers.Outcome {
	return h.client.QueryCancel(context.Background(), providers.CancelQuery{Target: providers.Target{MerchantOrderNo: order}, CancelKey: key})
}

func (h *harness) queryPayment(order string) providers.PaymentStatus {
	return h.client.QueryPayment(context.Background(), providers.Target{MerchantOrderNo: order})
}

func expect(t *testing.T, o providers.Outcome, kind providers.Kind, reason providers.Reason, code string) {
	t.Helper()
	if o.Kind != kind || o.Reason != reason || (code != "" && o.Code != code) {
		t.Fatalf("outcome %v, want %s/%s code=%s", o, kind, reason, code)
	}
}

func TestCancelHappyPath(t *testing.T) {
	h := newHarness(t)
	h.create("order-1", simkit.Paying, simkit.Scenario{})
	o := h.cancel("order-1", "cancel-key-1")
	expect(t, o, providers.Succeeded, "", CancelSuccess)
	if o.ProviderRef == "" {
		t.Error("no cancelNo")
	}
	p := h.payment("order-1")
	expectOneEffective(t, p, "cancel-key-1", 1)
	if p.State != simkit.Cancelled || p.CancelRef != o.ProviderRef {
		t.Errorf("payment %s ref %s", p.State, p.CancelRef)
	}
	ps := h.queryPayment("order-1")
	if ps.State != providers.PaymentClosed || ps.Outcome.Kind != providers.Succeeded {
		t.Errorf("query payment %+v", ps)
	}
	expect(t, h.queryCancel("order-1", "cancel-key-1"), providers.Succeeded, "", "CLOSED")

	// The request carried what the brief and the seed say.
	var env Envelope
	if err := json.Unmarshal(h.sent()[0], &env); err != nil {
		t.Fatal(err)
	}
	if env.Version != "1.5" || env.KeyVersion != "1" || env.AppID != testAppID || env.MerchantNo != testMerchantNo ||
		env.Data.RequestID != "cancel-key-1" || env.Data.OutTradeNo != "order-1" {
		t.Errorf("request %s", h.sent()[0])
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000-07:00", env.RequestTime); err != nil {
		t.Errorf("requestTime %q: %v", env.RequestTime, err)
	}
}

func TestCancelAlreadyCancelled(t *testing.T) {
	h := newHarness(t)
	h.create("order-c", simkit.Cancelled, simkit.Scenario{})
	// ORDER_ALREADY_CANCELLED is signed but undocumented: the signed orderQuery
	// (CLOSED) confirms it, and its code is the evidence.
	o := h.cancel("order-c", "k1")
	expect(t, o, providers.AlreadyDone, "", "CLOSED")
	if !strings.Contains(o.Message, ErrCodeAlreadyCancelled) {
		t.Errorf("the provider's code is lost: %s", o)
	}

	// Cancelled by one requestId: the same requestId gets the original success again,
	// another requestId hears "already cancelled".
	h.create("order-d", simkit.Paying, simkit.Scenario{})
	first := h.cancel("order-d", "k1")
	expect(t, first, providers.Succeeded, "", "")
	again := h.cancel("order-d", "k1")
	expect(t, again, providers.Succeeded, "", "")
	if again.ProviderRef != first.ProviderRef {
		t.Errorf("replay cancelNo %s, first %s", again.ProviderRef, first.ProviderRef)
	}
	expect(t, h.cancel("order-d", "k2"), providers.AlreadyDone, "", "CLOSED")
	if p := h.payment("order-d"); p.EffectiveCancels() != 1 {
		t.Errorf("%d effective cancels", p.EffectiveCancels())
	}
}

func TestRateLimited(t *testing.T) {
	h := newHarness(t)
	h.create("order-rl", simkit.Paying, simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultRateLimit}, QueryFaults: []simkit.Fault{simkit.FaultRateLimit}})
	expect(t, h.cancel("order-rl", "k"), providers.Failed, providers.ReasonRateLimited, "TOO_MANY_REQUEST")
	ps := h.queryPayment("order-rl")
	expect(t, ps.Outcome, providers.Failed, providers.ReasonRateLimited, "TOO_MANY_REQUEST")
	expect(t, h.cancel("order-rl", "k"), providers.Succeeded, "", "")
}

func TestWrongMerchantKey(t *testing.T) {
	h := newHarness(t)
	h.create("order-k", simkit.Paying, simkit.Scenario{})
	cfg := h.cfg
	cfg.MerchantPrivateKey = providers.SecretRef{File: "testdata/provider_private.pem"} // not the merchant's key
	c := h.newClient(cfg, nil)
	o := c.Cancel(context.Background(), providers.CancelRequest{Target: providers.Target{MerchantOrderNo: "order-k"}, CancelKey: "k"})
	expect(t, o, providers.Failed, providers.ReasonConfiguration, "SIGN_VERIFY_FAILED")
	if p := h.payment("order-k"); len(p.Cancels) != 0 {
		t.Error("an unsigned cancel was recorded")
	}
}

func TestWrongAppAndMerchant(t *testing.T) {
	h := newHarness(t)
	h.create("order-a", simkit.Paying, simkit.Scenario{})
	cfg := h.cfg
	cfg.AppID = "another-app"
	expect(t, h.newClient(cfg, nil).QueryPayment(context.Background(), providers.Target{MerchantOrderNo: "order-a"}).Outcome,
		providers.Failed, providers.ReasonConfiguration, "MERCHANT_APP_INVALID")
	cfg = h.cfg
	cfg.MerchantNo = "P0000"
	expect(t, h.newClient(cfg, nil).QueryPayment(context.Background(), providers.Target{MerchantOrderNo: "order-a"}).Outcome,
		providers.Failed, providers.ReasonConfiguration, "MERCHANT_INVALID")
}

func TestStaleRequestTime(t *testing.T) {
	h := newHarness(t)
	h.create("order-t", simkit.Paying, simkit.Scenario{})
	c := h.newClient(h.cfg, func() time.Time { return time.Now().Add(-3 * time.Minute) })
	o := c.Cancel(context.Background(), providers.CancelRequest{Target: providers.Target{MerchantOrderNo: "order-t"}, CancelKey: "k"})
	expect(t, o, providers.Failed, providers.ReasonConfiguration, "REQ_TIME_OVER_TIME")
	// One minute off is within PayerMax's two.
	c = h.newClient(h.cfg, func() time.Time { return time.Now().Add(-time.Minute) })
	expect(t, c.Cancel(context.Background(), providers.CancelRequest{Target: providers.Target{MerchantOrderNo: "order-t"}, CancelKey: "k"}), providers.Succeeded, "", "")
}

func TestRequestTimeFreshPerAttempt(t *testing.T) {
	h := newHarness(t)
	h.create("order-fresh", simkit.Paying, simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultUnknown}})
	clock := time.Now()
	c := h.newClient(h.cfg, func() time.Time { clock = clock.Add(1500 * time.Millisecond); return clock })
	req := providers.CancelRequest{Target: providers.Target{MerchantOrderNo: "order-fresh"}, CancelKey: "k-fresh"}
	c.Cancel(context.Background(), req)
	c.Cancel(context.Background(), req)
	sent := h.sent()
	if len(sent) != 2 {
		t.Fatalf("%d requests", len(sent))
	}
	var a, b Envelope
	_ = json.Unmarshal(sent[0], &a)
	_ = json.Unmarshal(sent[1], &b)
	if a.RequestTime == b.RequestTime || a.Data != b.Data {
		t.Errorf("attempts %s / %s", sent[0], sent[1])
	}
}

func TestInvalidRequestNotSent(t *testing.T) {
	h := newHarness(t)
	long := strings.Repeat("x", 65)
	for _, req := range []providers.CancelRequest{
		{Target: providers.Target{MerchantOrderNo: "o"}, CancelKey: long},
		{Target: providers.Target{MerchantOrderNo: long}, CancelKey: "k"},
		{Target: providers.Target{MerchantOrderNo: "o"}},
		{CancelKey: "k"},
	} {
		expect(t, h.client.Cancel(context.Background(), req), providers.Failed, providers.ReasonInvalidRequest, providers.CodeInvalidRequest)
	}
	expect(t, h.queryPayment(long).Outcome, providers.Failed, providers.ReasonInvalidRequest, providers.CodeInvalidRequest)
	// 64 characters (not bytes) are fine.
	h.create(strings.Repeat("é", 64), simkit.Paying, simkit.Scenario{})
	expect(t, h.cancel(strings.Repeat("é", 64), strings.Repeat("ü", 64)), providers.Succeeded, "", "")
	if n := len(h.sent()); n != 1 {
		t.Errorf("%d requests sent, want 1", n)
	}
}

func TestNotificationParsing(t *testing.T) {
	h := newHarness(t)
	providerKey := loadPrivate(t, "testdata/provider_private.pem")
	body := []byte(`{"code":"APPLY_SUCCESS","msg":"Success.","keyVersion":"1","appId":"` + testAppID + `","merchantNo":"P01010114418097","notifyTime":"2023-07-23T00:00:01 +0000","notifyType":"CANCEL","data":{"cancelNo":"20230806235954ED7856775040587834005","requestId":"req-1","outTradeNo":"order-9","status":"SUCCESS","createdTime":"2023-08-06T23:50:59 +0000","succeededTime":"2023-08-06T23:50:59 +0000","failedTime":null,"errorCode":null,"errorMsg":null}}`)
	sign, _ := Sign(providerKey, body)
	header := http.Header{}
	header.Set("sign", sign)

	n, err := h.client.ParseNotification(header, body)
	if err != nil {
		t.Fatal(err)
	}
	if n.Type != providers.NotifyCancelResult || n.CancelKey != "req-1" || n.MerchantOrderNo != "order-9" ||
		n.ProviderRef != "20230806235954ED7856775040587834005" || n.Outcome.Kind != providers.Succeeded {
		t.Errorf("parsed %+v", n)
	}
	if !strings.Contains(n.Outcome.Message, "2023-08-06T23:50:59Z") {
		t.Errorf("succeededTime not read: %q", n.Outcome.Message)
	}

	// FAILED and PENDING notifications.
	for status, kind := range map[string]providers.Kind{`"FAILED","errorCode":"ORDER_CAPTURED"`: providers.Failed, `"PENDING"`: providers.Pending} {
		b := []byte(`{"notifyType":"CANCEL","appId":"` + testAppID + `","data":{"requestId":"r","outTradeNo":"o","status":` + status + `}}`)
		s, _ := Sign(providerKey, b)
		n, err := h.client.ParseNotification(http.Header{"Sign": {s}}, b)
		if err != nil || n.Outcome.Kind != kind {
			t.Errorf("%s: %+v %v", status, n, err)
		}
	}

	// A payment notification (notifyType PAYMENT).
	pay := []byte(`{"code":"APPLY_SUCCESS","msg":"","keyVersion":"1","appId":"` + testAppID + `","notifyType":"PAYMENT","data":{"outTradeNo":"P1","tradeToken":"T1","totalAmount":10000,"status":"SUCCESS"}}`)
	s, _ := Sign(providerKey, pay)
	if n, err := h.client.ParseNotification(http.Header{"Sign": {s}}, pay); err != nil || n.Type != providers.NotifyPaymentResult || n.Payment != providers.PaymentPaid || n.ProviderPaymentID != "T1" {
		t.Errorf("payment notification %+v %v", n, err)
	}

	// Forged: signed with the merchant's key, not PayerMax's.
	forged, _ := Sign(loadPrivate(t, "testdata/merchant_private.pem"), body)
	// Tampered: the genuine signature over a changed body.
	tampered := bytes.Replace(body, []byte(`"status":"SUCCESS"`), []byte(`"status":"FAILED"`), 1)
	for name, c := range map[string]struct {
		sign string
		body []byte
	}{
		"forged":   {forged, body},
		"tampered": {sign, tampered},
		"unsigned": {"", body},
		"garbage":  {"bm90IGEgc2lnbmF0dXJl", body},
	} {
		if _, err := h.client.ParseNotification(http.Header{"Sign": {c.sign}}, c.body); !errors.Is(err, providers.ErrBadSignature) {
			t.Errorf("%s: err %v, want ErrBadSignature", name, err)
		}
	}

	// Genuine but malformed, or for another app.
	for name, b := range map[string]string{
		"not json":     `{"notifyType":`,
		"other app":    `{"notifyType":"CANCEL","appId":"other","data":{"requestId":"r","outTradeNo":"o","status":"SUCCESS"}}`,
		"refund":       `{"notifyType":"REFUND","data":{"outTradeNo":"o"}}`,
		"no data":      `{"notifyType":"CANCEL"}`,
		"no requestId": `{"notifyType":"CANCEL","data":{"outTradeNo":"o","status":"SUCCESS"}}`,
	} {
		s, _ := Sign(providerKey, []byte(b))
		if _, err := h.client.ParseNotification(http.Header{"Sign": {s}}, []byte(b)); !errors.Is(err, providers.ErrMalformed) {
			t.Errorf("%s: err %v, want ErrMalformed", name, err)
		}
	}

	ct, ack := h.client.Ack()
	if ct != "application/json" || string(ack) != `{"code":"SUCCESS","msg":"Success"}` {
		t.Errorf("ack %s %s", ct, ack)
	}
}

func TestNewValidation(t *testing.T) {
	good := Config{
		BaseURL:            "https://pay-gate-uat.payermax.com/aggregate-pay/api/gateway/",
		AppID:              testAppID,
		MerchantPrivateKey: providers.SecretRef{File: "testdata/merchant_private.b64"},
		ProviderPublicKey:  providers.SecretRef{File: "provider_public.b64"},
	}
	c, err := New(good, providers.Deps{BaseDir: "testdata"}) // relative files resolve against BaseDir
	if err == nil {
		t.Fatal("merchantPrivateKey path is relative to BaseDir, and testdata/testdata does not exist")
	}
	good.MerchantPrivateKey.File = "merchant_private.b64"
	c, err = New(good, providers.Deps{BaseDir: "testdata"})
	if err != nil {
		t.Fatal(err)
	}
	if c.cfg.BaseURL != "https://pay-gate-uat.payermax.com/aggregate-pay/api/gateway" || c.cfg.Version != "1.5" || c.cfg.KeyVersion != "1" {
		t.Errorf("defaults %+v", c.cfg)
	}
	if c.Name() != "payermax" {
		t.Error(c.Name())
	}

	secret := "c2VjcmV0LWtleS1tYXRlcmlhbA=="
	for field, mutate := range map[string]func(*Config){
		"baseURL":            func(c *Config) { c.BaseURL = "" },
		"baseURL ":           func(c *Config) { c.BaseURL = "pay-gate.payermax.com" },
		"appId":              func(c *Config) { c.AppID = "" },
		"merchantNo":         func(c *Config) { c.MerchantNo = strings.Repeat("1", 33) },
		"version":            func(c *Config) { c.Version = "123456789" },
		"merchantPrivateKey": func(c *Config) { c.MerchantPrivateKey = providers.SecretRef{Value: providers.NewSecret(secret)} },
		"providerPublicKey":  func(c *Config) { c.ProviderPublicKey = providers.SecretRef{} },
	} {
		cfg := good
		mutate(&cfg)
		_, err := New(cfg, providers.Deps{BaseDir: "testdata"})
		var fe *providers.FieldError
		if !errors.As(err, &fe) || fe.Field != strings.TrimSpace(field) {
			t.Errorf("%s: err %v", field, err)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: error leaks the secret: %v", field, err)
		}
	}
}
