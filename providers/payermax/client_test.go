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
	"github.com/paycancel/paycancel/providers/simkit"
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

// expectOneEffective checks that every cancel the sandbox recorded used key and
// exactly one took effect.
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

func TestCancelHappyPath(t *testing.T) {
	h := newHarness(t)
	h.create("order-1", simkit.Paying, simkit.Scenario{})
	o := h.cancel("order-1", "cancel-key-1")
	expect(t, o, providers.Succeeded, "", cancelSuccess)
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
	var env envelope
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

func TestCancelAlreadyPaid(t *testing.T) {
	h := newHarness(t)
	h.create("order-p", simkit.Paid, simkit.Scenario{})
	expect(t, h.cancel("order-p", "k"), providers.Failed, providers.ReasonAlreadyPaid, "SUCCESS") // ORDER_CAPTURED, confirmed
	if p := h.payment("order-p"); p.State != simkit.Paid || p.EffectiveCancels() != 0 {
		t.Errorf("payment %s, %d effective", p.State, p.EffectiveCancels())
	}
	expect(t, h.queryCancel("order-p", "k"), providers.Failed, providers.ReasonAlreadyPaid, "SUCCESS")
}

func TestCancelNotFound(t *testing.T) {
	h := newHarness(t)
	expect(t, h.cancel("nope", "k"), providers.Failed, providers.ReasonNotFound, ErrCodeOrderNotExist)
	ps := h.queryPayment("nope")
	if ps.State != providers.PaymentNotFound || ps.Outcome.Kind != providers.Succeeded || ps.Code != ErrCodeOrderNotExist {
		t.Errorf("query payment %+v", ps)
	}
	expect(t, h.queryCancel("nope", "k"), providers.Failed, providers.ReasonNotFound, "")
}

func TestCancelWindowExpired(t *testing.T) {
	h := newHarness(t)
	h.create("order-w", simkit.Paying, simkit.Scenario{WindowExpired: true})
	expect(t, h.cancel("order-w", "k"), providers.Failed, providers.ReasonWindowExpired, ErrCodeAuthExpired)
}

func TestCancelRefusedAndInProgress(t *testing.T) {
	h := newHarness(t)
	h.create("order-r", simkit.Paying, simkit.Scenario{CancelFails: true})
	expect(t, h.cancel("order-r", "k"), providers.Failed, providers.ReasonRejected, ErrCodeCancelNotAllowed)
	h.create("order-otp", simkit.InOTP, simkit.Scenario{})
	expect(t, h.cancel("order-otp", "k"), providers.Failed, providers.ReasonRejected, ErrCodeOrderProcessing)
}

// notifyReceiver is the merchant's cancelResultNotifyUrl: it parses with the client
// and acknowledges, after failing the first failFirst deliveries.
type notifyReceiver struct {
	srv       *httptest.Server
	got       chan providers.Notification
	failFirst int

	mu    sync.Mutex
	calls int
}

func newNotifyReceiver(t *testing.T, client func() *Client, failFirst int) *notifyReceiver {
	n := &notifyReceiver{got: make(chan providers.Notification, 10), failFirst: failFirst}
	n.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		n.mu.Lock()
		n.calls++
		fail := n.calls <= n.failFirst
		n.mu.Unlock()
		if fail {
			http.Error(w, "busy", http.StatusInternalServerError)
			return
		}
		note, err := client().ParseNotification(r.Header, body)
		if err != nil {
			t.Errorf("notification rejected: %v\n%s", err, body)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ct, ack := client().Ack()
		w.Header().Set("Content-Type", ct)
		_, _ = w.Write(ack)
		n.got <- note
	}))
	t.Cleanup(n.srv.Close)
	return n
}

func (n *notifyReceiver) wait(t *testing.T) providers.Notification {
	t.Helper()
	select {
	case note := <-n.got:
		return note
	case <-time.After(3 * time.Second):
		t.Fatal("no notification")
	}
	return providers.Notification{}
}

func TestPendingCancelResolvesAfterQueries(t *testing.T) {
	var h *harness
	recv := newNotifyReceiver(t, func() *Client { return h.client }, 0)
	h = newHarness(t, func(c *SandboxConfig) { c.NotifyURL = recv.srv.URL })
	h.create("order-pending", simkit.Paying, simkit.Scenario{PendingQueries: 2})

	o := h.cancel("order-pending", "k-pending")
	expect(t, o, providers.Pending, "", cancelPending)
	if o.ProviderRef == "" {
		t.Fatal("pending cancel without cancelNo")
	}
	q := h.queryCancel("order-pending", "k-pending")
	expect(t, q, providers.Pending, "", "PENDING")
	select {
	case note := <-recv.got:
		t.Fatalf("notified before the cancel completed: %+v", note)
	default:
	}
	expect(t, h.queryCancel("order-pending", "k-pending"), providers.Succeeded, "", "CLOSED")

	note := recv.wait(t)
	if note.Provider != Name || note.Type != providers.NotifyCancelResult || note.CancelKey != "k-pending" ||
		note.MerchantOrderNo != "order-pending" || note.ProviderRef != o.ProviderRef || note.Outcome.Kind != providers.Succeeded {
		t.Errorf("notification %+v", note)
	}
	expectOneEffective(t, h.payment("order-pending"), "k-pending", 1)
}

func TestNotificationRetriedUntilAcked(t *testing.T) {
	var h *harness
	recv := newNotifyReceiver(t, func() *Client { return h.client }, 1)
	h = newHarness(t, func(c *SandboxConfig) {
		c.NotifyURL = recv.srv.URL
		c.NotifySchedule = []time.Duration{0, 10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond}
	})
	h.create("order-n", simkit.Paying, simkit.Scenario{})
	o := h.cancel("order-n", "k-n")
	expect(t, o, providers.Succeeded, "", "")
	note := recv.wait(t)
	if note.CancelKey != "k-n" || note.ProviderRef != o.ProviderRef || note.Outcome.Kind != providers.Succeeded {
		t.Errorf("notification %+v", note)
	}
	h.sb.Close() // waits for the notifier
	d := h.sb.Deliveries()
	if len(d) != 2 || d[0].Acked || d[0].Status != http.StatusInternalServerError || !d[1].Acked {
		t.Errorf("deliveries %+v", d)
	}
	// A repeat of the same cancel does not notify again.
	h.cancel("order-n", "k-n")
	if len(h.sb.Deliveries()) != 2 {
		t.Error("notified twice")
	}
}

func TestUnknownThenSuccessSameKey(t *testing.T) {
	h := newHarness(t)
	h.create("order-u", simkit.Paying, simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultUnknown}})
	expect(t, h.cancel("order-u", "k-u"), providers.Unknown, "", "SYSTEM_ERROR")
	expect(t, h.cancel("order-u", "k-u"), providers.Succeeded, "", "")
	expectOneEffective(t, h.payment("order-u"), "k-u", 2)
}

func TestTransportFaultsAreUnknown(t *testing.T) {
	for _, c := range []struct {
		fault simkit.Fault
		code  string
	}{
		{simkit.FaultTimeout, providers.CodeTransport},
		{simkit.FaultReset, providers.CodeTransport},
		{simkit.Fault5xx, providers.CodeHTTPStatus},
		{simkit.FaultGarbage, providers.CodeBadResponse},
	} {
		t.Run(string(c.fault), func(t *testing.T) {
			h := newHarness(t)
			h.create("order-f", simkit.Paying, simkit.Scenario{CancelFaults: []simkit.Fault{c.fault}})
			o := h.short.Cancel(context.Background(), providers.CancelRequest{Target: providers.Target{MerchantOrderNo: "order-f"}, CancelKey: "k-f"})
			expect(t, o, providers.Unknown, "", c.code)
			if p := h.payment("order-f"); p.State != simkit.Paying {
				t.Fatalf("fault %s acted: %s", c.fault, p.State)
			}
			expect(t, h.cancel("order-f", "k-f"), providers.Succeeded, "", "")
			expectOneEffective(t, h.payment("order-f"), "k-f", 2)
		})
	}
}

func TestTimeoutAfterEffect(t *testing.T) {
	h := newHarness(t)
	h.create("order-tae", simkit.Paying, simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultTimeoutAfterEffect}})
	o := h.short.Cancel(context.Background(), providers.CancelRequest{Target: providers.Target{MerchantOrderNo: "order-tae"}, CancelKey: "k-tae"})
	expect(t, o, providers.Unknown, "", providers.CodeTransport)
	if p := h.payment("order-tae"); p.State != simkit.Cancelled {
		t.Fatalf("cancel did not take effect: %s", p.State)
	}
	o = h.cancel("order-tae", "k-tae")
	if !o.Done() {
		t.Fatalf("retry %v", o)
	}
	expectOneEffective(t, h.payment("order-tae"), "k-tae", 2)
}

func TestUnverifiedAnswers(t *testing.T) {
	for _, f := range []simkit.Fault{simkit.FaultUnsigned, simkit.FaultBadSignature} {
		t.Run(string(f), func(t *testing.T) {
			h := newHarness(t)
			h.create("order-s", simkit.Paying, simkit.Scenario{CancelFaults: []simkit.Fault{f}, QueryFaults: []simkit.Fault{f}})
			o := h.cancel("order-s", "k-s")
			expect(t, o, providers.Unknown, "", providers.CodeUnverified)
			if !strings.Contains(o.Message, "tampered") {
				t.Errorf("message %q", o.Message)
			}
			ps := h.queryPayment("order-s")
			if ps.State != providers.PaymentUnknown || ps.Outcome.Kind != providers.Unknown || ps.Outcome.Code != providers.CodeUnverified {
				t.Errorf("query %+v", ps)
			}
			// The cancel took effect behind the unverifiable answer; the retry confirms it.
			expect(t, h.cancel("order-s", "k-s"), providers.Succeeded, "", "")
			expectOneEffective(t, h.payment("order-s"), "k-s", 2)
		})
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
	var a, b envelope
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

func TestQueryPaymentStates(t *testing.T) {
	h := newHarness(t)
	for order, st := range map[string]simkit.State{"q-pending": simkit.Paying, "q-paid": simkit.Paid, "q-failed": simkit.Failed, "q-closed": simkit.Cancelled} {
		h.create(order, st, simkit.Scenario{})
	}
	for order, want := range map[string]providers.PaymentState{
		"q-pending": providers.PaymentPending, "q-paid": providers.PaymentPaid,
		"q-failed": providers.PaymentFailed, "q-closed": providers.PaymentClosed,
	} {
		ps := h.queryPayment(order)
		if ps.State != want || ps.Outcome.Kind != providers.Succeeded {
			t.Errorf("%s: %+v, want %s", order, ps, want)
		}
	}
	// Paid while we waited.
	h.create("q-later", simkit.Paying, simkit.Scenario{PayOnQuery: 2})
	if ps := h.queryPayment("q-later"); ps.State != providers.PaymentPending {
		t.Errorf("first query %s", ps.State)
	}
	if ps := h.queryPayment("q-later"); ps.State != providers.PaymentPaid {
		t.Errorf("second query %s", ps.State)
	}
}

func TestQueryFaults(t *testing.T) {
	h := newHarness(t)
	h.create("q-f", simkit.Paying, simkit.Scenario{QueryFaults: []simkit.Fault{simkit.FaultUnknown, simkit.FaultGarbage, simkit.FaultTimeout}})
	for _, code := range []string{"SYSTEM_ERROR", providers.CodeBadResponse, providers.CodeTransport} {
		ps := h.short.QueryPayment(context.Background(), providers.Target{MerchantOrderNo: "q-f"})
		if ps.State != providers.PaymentUnknown || ps.Outcome.Kind != providers.Unknown || ps.Outcome.Code != code {
			t.Errorf("query %+v, want unknown %s", ps, code)
		}
	}
	expect(t, h.queryCancel("q-f", "k"), providers.Pending, "", "PENDING")
}

func TestPaidAfterCancel(t *testing.T) {
	h := newHarness(t)
	h.create("order-pac", simkit.Paying, simkit.Scenario{PaidAfterCancel: true})
	expect(t, h.cancel("order-pac", "k"), providers.Succeeded, "", "")
	if ps := h.queryPayment("order-pac"); ps.State != providers.PaymentPaid {
		t.Errorf("payment after cancel %+v", ps)
	}
	expect(t, h.queryCancel("order-pac", "k"), providers.Failed, providers.ReasonAlreadyPaid, "SUCCESS")
}

func TestAdminAPICreatesPayments(t *testing.T) {
	h := newHarness(t)
	resp, err := http.Post(h.srv.URL+"/_sandbox/payments", "application/json",
		strings.NewReader(`{"merchantOrderNo":"adm-1","amount":500,"currency":"SAR","scenario":{"pendingQueries":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("admin create: %d", resp.StatusCode)
	}
	expect(t, h.cancel("adm-1", "k"), providers.Pending, "", "")
	expect(t, h.queryCancel("adm-1", "k"), providers.Succeeded, "", "")
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

func TestDevCredentials(t *testing.T) {
	dir := t.TempDir()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()

	cfg, sc, err := DevCredentials(dir, srv.URL+"/payermax/")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BaseURL != srv.URL+"/payermax"+GatewayPath || !filepath.IsAbs(cfg.MerchantPrivateKey.File) || !filepath.IsAbs(cfg.ProviderPublicKey.File) {
		t.Errorf("config %+v", cfg)
	}
	for _, name := range []string{devMerchantPrivate, devProviderPrivate} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", name, fi.Mode(), err)
		}
	}
	before, _ := os.ReadFile(filepath.Join(dir, devMerchantPrivate))
	cfg2, _, err := DevCredentials(dir, srv.URL+"/payermax")
	after, _ := os.ReadFile(filepath.Join(dir, devMerchantPrivate))
	if err != nil || !bytes.Equal(before, after) || cfg2 != cfg {
		t.Errorf("second call regenerated or changed: %v", err)
	}

	sb := NewSandbox(sc)
	defer sb.Close()
	mux.Handle("/payermax/", http.StripPrefix("/payermax", sb.Handler()))
	if _, err := sb.Store.Create(simkit.Payment{MerchantOrderNo: "dev-1", Amount: 100}); err != nil {
		t.Fatal(err)
	}
	c, err := New(cfg, providers.Deps{HTTPClient: &http.Client{Timeout: 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	expect(t, c.Cancel(context.Background(), providers.CancelRequest{Target: providers.Target{MerchantOrderNo: "dev-1"}, CancelKey: "dev-k"}), providers.Succeeded, "", "")
}
