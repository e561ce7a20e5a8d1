package gnetesim

// The gnete adapter against this sandbox, beyond the contract suite
// (providers/sim/contracttest): body formats, the same-day window, query-first
// retries, notifications to the cancel's notifyUrl and the gateway's refusals.

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/gnete"
	"github.com/paycancel/paycancel/providers/providertest"
	"github.com/paycancel/paycancel/providers/sim/contracttest"
	"github.com/paycancel/paycancel/providers/sim/simkit"
)

var testSecret = providers.NewSecret("offline-test-key")

// env is the contract suite's Env with the sandbox itself at hand.
type env struct {
	*contracttest.Env
	t      *testing.T
	sb     *Sandbox
	client *gnete.Client
}

type envOption func(*SandboxConfig, *gnete.Config)

func withClock(c *providertest.Clock) envOption {
	return func(s *SandboxConfig, _ *gnete.Config) { s.Now = c.Now }
}

func withClientConfig(f func(*gnete.Config)) envOption {
	return func(_ *SandboxConfig, c *gnete.Config) { f(c) }
}

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	e := &env{t: t}
	e.Env = contracttest.StartWith(t, gnete.Name, func(url string) (any, simkit.Sim, simkit.NewAdapter, error) {
		scfg := SandboxConfig{
			MchNo: devMchNo, AppID: devAppID, AppSecret: testSecret,
			NotifySchedule: []time.Duration{0, 20 * time.Millisecond, 20 * time.Millisecond},
		}
		cfg := gnete.Config{BaseURL: url, MchNo: devMchNo, AppID: devAppID, AppSecret: providers.SecretRef{Value: testSecret}}
		for _, o := range opts {
			o(&scfg, &cfg)
		}
		e.sb = NewSandbox(scfg)
		return cfg, e.sb, simkit.Adapt(gnete.New), nil
	})
	e.client = e.Client.(*gnete.Client)
	return e
}

func (e *env) create(order string, state simkit.State, sc simkit.Scenario) simkit.Payment {
	e.t.Helper()
	e.Create(order, state, sc)
	return e.Payment(order)
}

func (e *env) payment(order string) simkit.Payment { return e.Payment(order) }

func (e *env) cancel(order string) providers.Outcome {
	return e.client.Cancel(context.Background(), providers.CancelRequest{Target: providers.Target{MerchantOrderNo: order}})
}

func expect(t *testing.T, o providers.Outcome, kind providers.Kind, reason providers.Reason) {
	t.Helper()
	providertest.Expect(t, "", o, kind, reason, "")
}

func TestCancelHappy(t *testing.T) {
	for _, format := range []string{gnete.BodyJSON, gnete.BodyForm} {
		t.Run(format, func(t *testing.T) {
			e := newEnv(t, withClientConfig(func(c *gnete.Config) { c.BodyFormat = format }))
			e.create("O-1", simkit.Paying, simkit.Scenario{})
			o := e.cancel("O-1")
			expect(t, o, providers.Succeeded, "")
			if !strings.HasPrefix(o.ProviderRef, "C") || o.Code != "state=2" {
				t.Fatalf("outcome %+v", o)
			}
			p := e.payment("O-1")
			if p.State != simkit.Cancelled || p.CancelRef != o.ProviderRef {
				t.Fatalf("payment %+v", p)
			}
			if len(p.Cancels) != 1 || p.Cancels[0].Key != "O-1" || !p.Cancels[0].Effective {
				t.Fatalf("records %+v", p.Cancels)
			}
		})
	}
}

func TestCancelByPayOrderID(t *testing.T) {
	e := newEnv(t)
	p := e.create("O-2", simkit.Paying, simkit.Scenario{})
	o := e.client.Cancel(context.Background(), providers.CancelRequest{Target: providers.Target{MerchantOrderNo: "O-2", ProviderPaymentID: p.ProviderPaymentID}})
	expect(t, o, providers.Succeeded, "")
	if got := e.payment("O-2").Cancels[0].Key; got != p.ProviderPaymentID {
		t.Fatalf("business key %q, want the payOrderId %q", got, p.ProviderPaymentID)
	}
}

func TestRepeatCancelSameRef(t *testing.T) {
	e := newEnv(t)
	e.create("O-3", simkit.Paying, simkit.Scenario{})
	first := e.cancel("O-3")
	second := e.cancel("O-3")
	expect(t, second, providers.Succeeded, "")
	if second.ProviderRef != first.ProviderRef {
		t.Fatalf("repeat got %s, first %s", second.ProviderRef, first.ProviderRef)
	}
	if n := effective(e.payment("O-3")); n != 1 {
		t.Fatalf("%d effective cancels", n)
	}
}

func TestAlreadyCancelledOrClosed(t *testing.T) {
	e := newEnv(t)
	e.create("O-closed", simkit.Cancelled, simkit.Scenario{})
	e.create("O-refunded", simkit.Refunded, simkit.Scenario{})
	// The gateway's "already closed / refunded" bodies are unsigned: each claim is
	// confirmed by the signed pay query, whose state decides — closed (6): never
	// paid, not cancelled by us (NOT_NEEDED); refunded (5): it was paid.
	expect(t, e.cancel("O-closed"), providers.Failed, providers.ReasonPaymentClosed)
	expect(t, e.cancel("O-refunded"), providers.Failed, providers.ReasonAlreadyPaid)
	expect(t, e.client.QueryCancel(context.Background(), providers.CancelQuery{Target: providers.Target{MerchantOrderNo: "O-closed"}}), providers.Failed, providers.ReasonPaymentClosed)
}

func TestPaidSameDayIsReversed(t *testing.T) {
	clock := providertest.NewClock(time.Date(2024, 3, 5, 1, 0, 0, 0, time.UTC)) // 09:00 in Hong Kong
	e := newEnv(t, withClock(clock))
	e.create("O-paid", simkit.Paid, simkit.Scenario{})
	clock.Set(time.Date(2024, 3, 5, 15, 59, 0, 0, time.UTC)) // 23:59 HK, same day
	expect(t, e.cancel("O-paid"), providers.Succeeded, "")
	if st := e.payment("O-paid").State; st != simkit.Refunded {
		t.Fatalf("state %s, want REFUNDED", st)
	}
	ps := e.client.QueryPayment(context.Background(), providers.Target{MerchantOrderNo: "O-paid"})
	if ps.State != providers.PaymentClosed || ps.Outcome.Kind != providers.Succeeded || ps.Code != "payState=4" {
		t.Fatalf("payment status %+v", ps)
	}
}

func TestWindowExpired(t *testing.T) {
	clock := providertest.NewClock(time.Date(2024, 3, 5, 15, 0, 0, 0, time.UTC)) // 23:00 HK
	e := newEnv(t, withClock(clock))
	e.create("O-old", simkit.Paid, simkit.Scenario{})
	e.create("O-forced", simkit.Paying, simkit.Scenario{WindowExpired: true})
	clock.Set(time.Date(2024, 3, 5, 16, 30, 0, 0, time.UTC)) // 00:30 HK the next day
	o := e.cancel("O-old")
	expect(t, o, providers.Failed, providers.ReasonWindowExpired)
	if o.Code != "9999" {
		t.Fatalf("code %s", o.Code)
	}
	expect(t, e.cancel("O-forced"), providers.Failed, providers.ReasonWindowExpired)
	for _, order := range []string{"O-old", "O-forced"} {
		if p := e.payment(order); effective(p) != 0 || p.State == simkit.Cancelled || p.State == simkit.Refunded {
			t.Fatalf("%s changed: %+v", order, p)
		}
	}
}

func TestPendingResolvesAfterQueries(t *testing.T) {
	e := newEnv(t)
	e.create("O-pend", simkit.Paying, simkit.Scenario{PendingQueries: 2})
	o := e.cancel("O-pend")
	expect(t, o, providers.Pending, "")
	if o.ProviderRef == "" {
		t.Fatal("pending cancel without cancelOrderId")
	}
	// A retry with the cancelOrderId queries first and does not cancel again.
	again := e.client.Cancel(context.Background(), providers.CancelRequest{Target: providers.Target{MerchantOrderNo: "O-pend"}, ProviderRef: o.ProviderRef})
	expect(t, again, providers.Pending, "")
	if n := len(e.payment("O-pend").Cancels); n != 1 {
		t.Fatalf("%d cancel calls, want 1 (query first)", n)
	}
	q := providers.CancelQuery{Target: providers.Target{MerchantOrderNo: "O-pend"}, ProviderRef: o.ProviderRef}
	expect(t, e.client.QueryCancel(context.Background(), q), providers.Succeeded, "")
	if p := e.payment("O-pend"); p.CancelPending || p.CancelQueries != 2 {
		t.Fatalf("payment %+v", p)
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t)
	e.create("O-rl", simkit.Paying, simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultRateLimit}, RetryAfterSeconds: 7})
	o := e.cancel("O-rl")
	expect(t, o, providers.Failed, providers.ReasonRateLimited)
	if o.RetryAfter != 7*time.Second {
		t.Fatalf("RetryAfter %v", o.RetryAfter)
	}
}

func TestWrongCredentials(t *testing.T) {
	e := newEnv(t, withClientConfig(func(c *gnete.Config) { c.AppSecret = providers.SecretRef{Value: providers.NewSecret("wrong-secret")} }))
	e.create("O-k", simkit.Paying, simkit.Scenario{})
	o := e.cancel("O-k")
	expect(t, o, providers.Failed, providers.ReasonConfiguration)
	if o.Code != "9999" || o.Message != msgSignFailed {
		t.Fatalf("outcome %s", o)
	}
	if strings.Contains(o.String(), "wrong-secret") {
		t.Fatal("secret in outcome")
	}
	if len(e.payment("O-k").Cancels) != 0 {
		t.Fatal("unsigned request reached the store")
	}

	e2 := newEnv(t, withClientConfig(func(c *gnete.Config) { c.MchNo = "M000" }))
	e2.create("O-k", simkit.Paying, simkit.Scenario{})
	expect(t, e2.cancel("O-k"), providers.Failed, providers.ReasonConfiguration)

	e3 := newEnv(t, withClientConfig(func(c *gnete.Config) { c.Version = "2.0" }))
	e3.create("O-k", simkit.Paying, simkit.Scenario{})
	o = e3.cancel("O-k")
	expect(t, o, providers.Failed, providers.ReasonInvalidRequest)
	if o.Code != "11" {
		t.Fatalf("outcome %s", o)
	}
}

func TestQueryPaymentStates(t *testing.T) {
	e := newEnv(t)
	e.create("Q-paying", simkit.Paying, simkit.Scenario{})
	e.create("Q-otp", simkit.InOTP, simkit.Scenario{})
	e.create("Q-paid", simkit.Paid, simkit.Scenario{})
	e.create("Q-failed", simkit.Failed, simkit.Scenario{})
	e.create("Q-closed", simkit.Cancelled, simkit.Scenario{})
	e.create("Q-refunded", simkit.Refunded, simkit.Scenario{})
	e.create("Q-payon", simkit.Paying, simkit.Scenario{PayOnQuery: 2})
	rows := []struct {
		order string
		want  providers.PaymentState
		code  string
	}{
		{"Q-paying", providers.PaymentPending, "payState=1"},
		{"Q-otp", providers.PaymentPending, "payState=1"},
		{"Q-paid", providers.PaymentPaid, "payState=2"},
		{"Q-failed", providers.PaymentFailed, "payState=3"},
		{"Q-closed", providers.PaymentClosed, "payState=6"},
		{"Q-refunded", providers.PaymentRefunded, "payState=5"},
		{"Q-payon", providers.PaymentPending, "payState=1"},
		{"Q-payon", providers.PaymentPaid, "payState=2"},
	}
	for _, r := range rows {
		ps := e.client.QueryPayment(context.Background(), providers.Target{MerchantOrderNo: r.order})
		if ps.State != r.want || ps.Code != r.code || ps.Outcome.Kind != providers.Succeeded {
			t.Errorf("%s: %+v, want %s %s", r.order, ps, r.want, r.code)
		}
	}
	// QueryCancel without a cancelOrderId reads the same states.
	qc := func(order string) providers.Outcome {
		return e.client.QueryCancel(context.Background(), providers.CancelQuery{Target: providers.Target{MerchantOrderNo: order}})
	}
	expect(t, qc("Q-paying"), providers.Pending, "")
	expect(t, qc("Q-paid"), providers.Failed, providers.ReasonAlreadyPaid)
	expect(t, qc("Q-failed"), providers.Failed, providers.ReasonPaymentClosed)
	expect(t, qc("Q-closed"), providers.Failed, providers.ReasonPaymentClosed)
	expect(t, qc("Q-refunded"), providers.Failed, providers.ReasonAlreadyPaid)
}

func TestRefusedCancelThenRetry(t *testing.T) {
	e := newEnv(t)
	e.create("O-ref", simkit.Paying, simkit.Scenario{CancelFails: true})
	o := e.cancel("O-ref")
	expect(t, o, providers.Failed, providers.ReasonRejected)
	if o.ProviderRef == "" || !strings.Contains(o.Code, "state=3") {
		t.Fatalf("outcome %+v", o)
	}
	q := e.client.QueryCancel(context.Background(), providers.CancelQuery{ProviderRef: o.ProviderRef})
	expect(t, q, providers.Failed, providers.ReasonRejected)
	// With the failed cancelOrderId the adapter queries, sees state 3 and sends anew.
	again := e.client.Cancel(context.Background(), providers.CancelRequest{Target: providers.Target{MerchantOrderNo: "O-ref"}, ProviderRef: o.ProviderRef})
	expect(t, again, providers.Failed, providers.ReasonRejected)
	if n := len(e.payment("O-ref").Cancels); n != 2 {
		t.Fatalf("%d cancel calls, want 2", n)
	}
}

func TestQueryFirstWithProviderRef(t *testing.T) {
	e := newEnv(t)
	e.create("O-qf", simkit.Paying, simkit.Scenario{})
	first := e.cancel("O-qf")
	expect(t, first, providers.Succeeded, "")
	req := providers.CancelRequest{Target: providers.Target{MerchantOrderNo: "O-qf"}, ProviderRef: first.ProviderRef}
	again := e.client.Cancel(context.Background(), req)
	expect(t, again, providers.AlreadyDone, "")
	if again.ProviderRef != first.ProviderRef || len(e.payment("O-qf").Cancels) != 1 {
		t.Fatalf("retry %+v, cancels %+v", again, e.payment("O-qf").Cancels)
	}

	// When the query cannot answer, the cancel is not resent blind.
	e2 := newEnv(t)
	e2.create("O-qf", simkit.Paying, simkit.Scenario{PendingQueries: 5, QueryFaults: []simkit.Fault{simkit.Fault5xx}})
	p := e2.cancel("O-qf")
	expect(t, p, providers.Pending, "")
	o := e2.client.Cancel(context.Background(), providers.CancelRequest{Target: providers.Target{MerchantOrderNo: "O-qf"}, ProviderRef: p.ProviderRef})
	expect(t, o, providers.Unknown, "")
	if o.ProviderRef != p.ProviderRef || len(e2.payment("O-qf").Cancels) != 1 {
		t.Fatalf("outcome %+v, cancels %d", o, len(e2.payment("O-qf").Cancels))
	}

	// A cancelOrderId the gateway does not know: send anew.
	e3 := newEnv(t)
	e3.create("O-qf", simkit.Paying, simkit.Scenario{})
	o = e3.client.Cancel(context.Background(), providers.CancelRequest{Target: providers.Target{MerchantOrderNo: "O-qf"}, ProviderRef: "C-lost"})
	expect(t, o, providers.Succeeded, "")
}

func TestLocalValidation(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("9", 31)
	cases := []providers.CancelRequest{
		{},
		{Target: providers.Target{MerchantOrderNo: long}},
		{Target: providers.Target{MerchantOrderNo: "x", ProviderPaymentID: long}},
		{Target: providers.Target{MerchantOrderNo: "x"}, NotifyURL: "https://example.com/" + strings.Repeat("n", 120)},
		{Target: providers.Target{MerchantOrderNo: "x"}, ProviderRef: long},
	}
	for i, req := range cases {
		o := e.client.Cancel(context.Background(), req)
		expect(t, o, providers.Failed, providers.ReasonInvalidRequest)
		if o.Code != providers.CodeInvalidRequest {
			t.Errorf("case %d: %s", i, o)
		}
	}
	// Exactly 30 characters is fine (it reaches the gateway: not found).
	expect(t, e.cancel(strings.Repeat("9", 30)), providers.Failed, providers.ReasonNotFound)
	ps := e.client.QueryPayment(context.Background(), providers.Target{MerchantOrderNo: long})
	if ps.Outcome.Code != providers.CodeInvalidRequest {
		t.Fatalf("payment status %+v", ps)
	}
}

// newReceiver is a notifyUrl that answers the given texts in turn, then SUCCESS.
func newReceiver(t *testing.T, answers ...string) *contracttest.Recorder {
	return contracttest.NewRecorder(t, func(n int, r contracttest.Received) (string, int, []byte) {
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
			t.Errorf("notification content type %q", ct)
		}
		if n <= len(answers) {
			return "text/plain", http.StatusOK, []byte(answers[n-1])
		}
		return "text/plain", http.StatusOK, []byte("SUCCESS")
	})
}

func TestNotificationOnCancel(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t, "fail", " success")
	p := e.create("N-1", simkit.Paying, simkit.Scenario{})
	o := e.client.Cancel(context.Background(), providers.CancelRequest{Target: providers.Target{MerchantOrderNo: "N-1"}, NotifyURL: rcv.URL + "/notify"})
	expect(t, o, providers.Succeeded, "")
	var bodies [][]byte
	for _, r := range rcv.Wait(t, 3) { // "fail" and " success" are not acknowledgements; the third is
		bodies = append(bodies, r.Body)
	}
	for _, b := range bodies {
		n, err := e.client.ParseNotification(nil, b)
		if err != nil {
			t.Fatalf("genuine notification: %v (%s)", err, b)
		}
		if n.Type != providers.NotifyCancelResult || n.Provider != gnete.Name || n.ProviderRef != o.ProviderRef ||
			n.ProviderPaymentID != p.ProviderPaymentID || n.Outcome.Kind != providers.Succeeded {
			t.Fatalf("notification %+v", n)
		}
	}
	// Each attempt is signed afresh; the acknowledged attempt stops the retries.
	waitFor(t, func() bool { d := e.sb.Deliveries(); return len(d) == 3 && d[2].Acked })
	if ct, body := e.client.Ack(); !strings.HasPrefix(ct, "text/plain") || string(body) != "success" {
		t.Fatalf("ack %q %q", ct, body)
	}

	// Tampered: the state changed to 3 without re-signing.
	v, _ := url.ParseQuery(string(bodies[0]))
	v.Set("state", "3")
	if _, err := e.client.ParseNotification(nil, []byte(v.Encode())); !errors.Is(err, providers.ErrBadSignature) {
		t.Fatalf("tampered: %v", err)
	}
	// Forged: signed with another secret.
	v.Del("sign")
	m := map[string]any{}
	for k := range v {
		m[k] = v.Get(k)
	}
	v.Set("sign", gnete.Sign(m, providers.NewSecret("forger")))
	if _, err := e.client.ParseNotification(nil, []byte(v.Encode())); !errors.Is(err, providers.ErrBadSignature) {
		t.Fatalf("forged: %v", err)
	}
	v.Del("sign")
	if _, err := e.client.ParseNotification(nil, []byte(v.Encode())); !errors.Is(err, providers.ErrBadSignature) {
		t.Fatalf("unsigned: %v", err)
	}
}

func TestNotificationWhenPendingResolves(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t)
	e.create("N-2", simkit.Paying, simkit.Scenario{PendingQueries: 1})
	o := e.client.Cancel(context.Background(), providers.CancelRequest{Target: providers.Target{MerchantOrderNo: "N-2"}, NotifyURL: rcv.URL})
	expect(t, o, providers.Pending, "")
	if d := e.sb.Deliveries(); len(d) != 0 {
		t.Fatalf("notified before the cancel completed: %+v", d)
	}
	expect(t, e.client.QueryCancel(context.Background(), providers.CancelQuery{ProviderRef: o.ProviderRef}), providers.Succeeded, "")
	expectNotified(t, e, rcv, o, providers.Succeeded)
}

func TestNotificationOfRefusedCancel(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t)
	e.create("N-3", simkit.Paying, simkit.Scenario{CancelFails: true})
	o := e.client.Cancel(context.Background(), providers.CancelRequest{Target: providers.Target{MerchantOrderNo: "N-3"}, NotifyURL: rcv.URL})
	expect(t, o, providers.Failed, providers.ReasonRejected)
	expectNotified(t, e, rcv, o, providers.Failed)
}

func TestNoNotifyURLNoNotification(t *testing.T) {
	e := newEnv(t)
	rcv := newReceiver(t)
	e.create("N-4", simkit.Paying, simkit.Scenario{})
	e.create("N-5", simkit.Paying, simkit.Scenario{})
	expect(t, e.cancel("N-4"), providers.Succeeded, "")
	// A second cancel that asks for a callback, so the notifier is known to work;
	// once every delivery has ended, none may have gone to the first's (absent) URL.
	o := e.client.Cancel(context.Background(), providers.CancelRequest{Target: providers.Target{MerchantOrderNo: "N-5"}, NotifyURL: rcv.URL})
	expect(t, o, providers.Succeeded, "")
	expectNotified(t, e, rcv, o, providers.Succeeded)
	e.sb.WaitDeliveries()
	for _, d := range e.sb.Deliveries() {
		if d.URL != rcv.URL {
			t.Fatalf("delivery to %q: the cancel without notifyUrl was notified", d.URL)
		}
	}
}

// expectNotified parses the one notification rcv received and fails t unless it
// verifies and reports the cancel o with kind.
func expectNotified(t *testing.T, e *env, rcv *contracttest.Recorder, o providers.Outcome, kind providers.Kind) {
	t.Helper()
	n, err := e.client.ParseNotification(nil, rcv.Wait(t, 1)[0].Body)
	if err != nil || n.Outcome.Kind != kind || n.ProviderRef != o.ProviderRef {
		t.Fatalf("notification %+v, %v; want %s for %s", n, err, kind, o.ProviderRef)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func effective(p simkit.Payment) int { return p.EffectiveCancels() }

// TestUnsignedClaimScenario: the sandbox answers every cancel with Jeepay's
// unsigned "订单已撤销" while the payment stays paying: Unknown, never done.
func TestUnsignedClaimScenario(t *testing.T) {
	e := newEnv(t)
	e.create("U-1", simkit.Paying, simkit.Scenario{UnsignedClaim: true})
	for i := 0; i < 2; i++ {
		o := e.cancel("U-1")
		expect(t, o, providers.Unknown, "")
		if o.Code != providers.CodeUnsignedClaim || !strings.Contains(o.Message, "订单已撤销") {
			t.Fatalf("outcome %s", o)
		}
	}
	p := e.payment("U-1")
	if p.State != simkit.Paying || p.EffectiveCancels() != 0 || len(p.Cancels) != 2 || p.Cancels[0].Result != simkit.CancelClaimed {
		t.Fatalf("payment %+v", p)
	}
	ps := e.client.QueryPayment(context.Background(), providers.Target{MerchantOrderNo: "U-1"})
	if ps.State != providers.PaymentPending {
		t.Fatalf("status %+v", ps)
	}
	expect(t, e.client.QueryCancel(context.Background(), providers.CancelQuery{Target: providers.Target{MerchantOrderNo: "U-1"}}), providers.Pending, "")
}

// TestForeignAnswersScenario: every answer is another order's genuinely signed one
// (Jeepay signatures carry no nonce): the cancel's "success", the pay query and
// the cancel query all verify, and all are Unknown because they name other ids.
func TestForeignAnswersScenario(t *testing.T) {
	e := newEnv(t)
	created := e.create("F-1", simkit.Paying, simkit.Scenario{ForeignAnswers: true})
	for _, target := range []providers.Target{{MerchantOrderNo: "F-1"}, {MerchantOrderNo: "F-1", ProviderPaymentID: created.ProviderPaymentID}} {
		o := e.client.Cancel(context.Background(), providers.CancelRequest{Target: target})
		expect(t, o, providers.Unknown, "")
		if o.Code != gnete.CodeUnconfirmedSuccess || !strings.Contains(o.Message, providers.CodeIDMismatch) {
			t.Fatalf("cancel %s", o)
		}
		ps := e.client.QueryPayment(context.Background(), target)
		if ps.State != providers.PaymentUnknown || ps.Outcome.Code != providers.CodeIDMismatch {
			t.Fatalf("payment status %+v", ps)
		}
		q := e.client.QueryCancel(context.Background(), providers.CancelQuery{Target: target})
		if q.Kind != providers.Unknown || q.Code != providers.CodeIDMismatch {
			t.Fatalf("query cancel %s", q)
		}
		// The foreign cancel order, asked about by its own id on behalf of our
		// payment: its payOrderId, or our pay query, gives it away.
		q = e.client.QueryCancel(context.Background(), providers.CancelQuery{Target: target, ProviderRef: o.ProviderRef})
		if q.Kind != providers.Unknown {
			t.Fatalf("query cancel by the foreign ref %s: %s", o.ProviderRef, q)
		}
		// A resend with that ref does not take it for an earlier success either.
		r := e.client.Cancel(context.Background(), providers.CancelRequest{Target: target, ProviderRef: o.ProviderRef})
		if r.Kind != providers.Unknown {
			t.Fatalf("cancel with the foreign ref: %s", r)
		}
	}
	if p := e.payment("F-1"); p.State != simkit.Paying || p.EffectiveCancels() != 0 {
		t.Fatalf("payment %+v", p)
	}
}
