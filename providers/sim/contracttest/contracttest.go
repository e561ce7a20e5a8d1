// Package contracttest is the provider contract suite: every adapter+simulator
// pair runs the same scenarios, faults, unverified and foreign answers and
// notifications through the adapter against its simulator over real HTTP with
// real signatures, and the suite checks the adapter's Outcome and PaymentState
// against what the simulator recorded (which cancel took effect, with which
// business key). contract_test.go runs every pair of the one provider list,
// sim.Providers (package providers/sim).
//
// Adding a provider to the suite means: an adapter package providers/<p>, a
// simulator package providers/sim/<p>sim (its sandbox, its Dev and the Contract
// that states how its provider answers where providers differ), and one line in
// sim.Providers. The development set (sim.Set) names each simulator in a field of
// its own, so it takes the new one there too.
//
// The package also holds what the simulators' own tests share: Env (a simulator
// behind a real HTTP server with adapters pointed at it), ExpectOneEffective and
// a notification receiver. Helpers an adapter's own tests use are in
// providers/providertest, which does not reach the simulators.
package contracttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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
	"github.com/paycancel/paycancel/providers/providertest"
	"github.com/paycancel/paycancel/providers/sim/simkit"
)

// Env is a started pair: the simulator behind a real HTTP server and two
// adapters pointed at it.
type Env struct {
	t   *testing.T
	Sim simkit.Sim
	URL string
	// Config is the adapter's configuration (its own Config type), for tests
	// that change a field and make another adapter with Adapter.
	Config any
	// Client has a generous timeout (the machine is shared); Short gives up after
	// 300 ms, for the faults that hold the connection.
	Client, Short providers.Provider

	newAdapter simkit.NewAdapter
	mu         sync.Mutex
	requests   [][]byte
}

// Adapter makes another adapter against the simulator from cfg (the pair's own
// Config type), with a generous timeout and, when now is not nil, that clock.
func (e *Env) Adapter(cfg any, now func() time.Time) providers.Provider {
	e.t.Helper()
	c, err := e.newAdapter(cfg, providers.Deps{HTTPClient: &http.Client{Timeout: 10 * time.Second}, Now: now})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// Requests returns the request bodies the simulator received so far.
func (e *Env) Requests() [][]byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([][]byte(nil), e.requests...)
}

// Start starts p with its keys in dir (generated on first use, reused after).
func Start(t *testing.T, p simkit.Pair, dir string, o simkit.DevOptions) *Env {
	t.Helper()
	return StartWith(t, p.Name, func(baseURL string) (any, simkit.Sim, simkit.NewAdapter, error) { return p.Start(dir, baseURL, o) })
}

// StartWith is Start for a simulator a test builds itself (its own keys or
// settings): start gets the server's URL and returns the adapter configuration,
// the simulator and the adapter's constructor.
func StartWith(t *testing.T, name string, start func(baseURL string) (any, simkit.Sim, simkit.NewAdapter, error)) *Env {
	t.Helper()
	e := &Env{t: t}
	var handler http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, simkit.MaxRequestBytes+1))
		r.Body = io.NopCloser(bytes.NewReader(body))
		e.mu.Lock()
		e.requests = append(e.requests, body)
		h := handler
		e.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	cfg, sim, newAdapter, err := start(srv.URL)
	if err != nil {
		srv.Close()
		t.Fatalf("%s: start: %v", name, err)
	}
	e.mu.Lock()
	handler = sim.Handler()
	e.mu.Unlock()
	t.Cleanup(func() {
		srv.CloseClientConnections() // release the held connections of the timeout faults
		srv.Close()
		sim.Close()
	})
	e.Sim, e.URL, e.Config, e.newAdapter = sim, srv.URL, cfg, newAdapter
	e.Client = e.Adapter(cfg, nil)
	if e.Short, err = newAdapter(cfg, providers.Deps{HTTPClient: &http.Client{Timeout: 300 * time.Millisecond}}); err != nil {
		t.Fatalf("%s: adapter: %v", name, err)
	}
	return e
}

// Create adds a payment to the simulator and returns the target that names it
// the way the worker would (our order number and the provider's payment id).
func (e *Env) Create(order string, st simkit.State, sc simkit.Scenario) providers.Target {
	e.t.Helper()
	p, err := e.Sim.Payments().Create(simkit.Payment{MerchantOrderNo: order, Amount: 1050, Currency: "USD", State: st, Scenario: sc})
	if err != nil {
		e.t.Fatal(err)
	}
	return providers.Target{MerchantOrderNo: order, ProviderPaymentID: p.ProviderPaymentID}
}

// Payment is what the simulator holds for order.
func (e *Env) Payment(order string) simkit.Payment {
	e.t.Helper()
	p, ok := e.Sim.Payments().Get(order, "")
	if !ok {
		e.t.Fatalf("no payment %s", order)
	}
	return p
}

// Key is the cancel key the suite uses for a target.
func Key(tg providers.Target) string { return "ck-" + tg.MerchantOrderNo }

// Cancel sends one cancel of tg with its key.
func (e *Env) Cancel(tg providers.Target) providers.Outcome {
	return e.Client.Cancel(context.Background(), providers.CancelRequest{Target: tg, CancelKey: Key(tg)})
}

// QueryCancel asks about tg's cancel.
func (e *Env) QueryCancel(tg providers.Target) providers.Outcome {
	return e.Client.QueryCancel(context.Background(), providers.CancelQuery{Target: tg, CancelKey: Key(tg)})
}

// QueryPayment asks for tg's payment state.
func (e *Env) QueryPayment(tg providers.Target) providers.PaymentStatus {
	return e.Client.QueryPayment(context.Background(), tg)
}

// ExpectWant is Expect against a contract's Want.
func ExpectWant(t testing.TB, what string, o providers.Outcome, w simkit.Want) {
	t.Helper()
	providertest.Expect(t, what, o, w.Kind, w.Reason, "")
}

// ExpectOneEffective fails t unless the simulator recorded calls cancels of p,
// all with the same business key, and exactly one took effect.
func ExpectOneEffective(t testing.TB, p simkit.Payment, calls int) {
	t.Helper()
	if len(p.Cancels) != calls {
		t.Fatalf("%s: %d cancels recorded, want %d: %+v", p.MerchantOrderNo, len(p.Cancels), calls, p.Cancels)
	}
	for _, c := range p.Cancels {
		if c.Key != p.Cancels[0].Key {
			t.Errorf("%s: cancels recorded with keys %q and %q: a retry changed the business key", p.MerchantOrderNo, p.Cancels[0].Key, c.Key)
		}
	}
	if n := p.EffectiveCancels(); n != 1 {
		t.Errorf("%s: %d effective cancels, want 1", p.MerchantOrderNo, n)
	}
}

// ExpectNoneEffective fails t if any cancel of p took effect or p left state.
func ExpectNoneEffective(t testing.TB, p simkit.Payment, state simkit.State) {
	t.Helper()
	if n := p.EffectiveCancels(); n != 0 || p.State != state {
		t.Fatalf("%s: %d effective cancels, state %s; want none, %s", p.MerchantOrderNo, n, p.State, state)
	}
}

// Recorder is a merchant's notification endpoint for tests: it keeps every
// request and answers each with answer (n counts the requests from 1).
type Recorder struct {
	URL string

	mu      sync.Mutex
	got     []Received
	arrived chan struct{}
}

// Received is one request a Recorder got (with the notification the adapter
// parsed from it, for a Receiver).
type Received struct {
	Header       http.Header
	Body         []byte
	Notification providers.Notification
}

// NewRecorder starts a recorder.
func NewRecorder(t testing.TB, answer func(n int, r Received) (contentType string, status int, body []byte)) *Recorder {
	rc := &Recorder{arrived: make(chan struct{}, 1)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		r := Received{Header: req.Header.Clone(), Body: body}
		rc.mu.Lock()
		rc.got = append(rc.got, r)
		n := len(rc.got)
		rc.mu.Unlock()
		ct, status, out := answer(n, r)
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(status)
		_, _ = w.Write(out)
		select {
		case rc.arrived <- struct{}{}:
		default:
		}
	}))
	t.Cleanup(srv.Close)
	rc.URL = srv.URL
	return rc
}

// Requests returns the requests so far.
func (rc *Recorder) Requests() []Received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Received(nil), rc.got...)
}

// Wait returns the requests once at least n have arrived, failing t after
// 5 seconds.
func (rc *Recorder) Wait(t testing.TB, n int) []Received {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		if got := rc.Requests(); len(got) >= n {
			return got
		}
		select {
		case <-rc.arrived:
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatalf("%d notifications arrived, want %d", len(rc.Requests()), n)
		}
	}
}

// Receiver is a Recorder that answers 500 to the first failFirst requests, then
// parses each with the adapter and answers the adapter's acknowledgement.
type Receiver struct {
	*Recorder
	accepted chan Received
}

// NewReceiver starts a receiver; parser is called per request (the adapter may
// not exist yet when the receiver is made).
func NewReceiver(t testing.TB, parser func() providers.NotificationParser, failFirst int) *Receiver {
	rc := &Receiver{accepted: make(chan Received, 16)}
	rc.Recorder = NewRecorder(t, func(n int, r Received) (string, int, []byte) {
		if n <= failFirst {
			return "text/plain", http.StatusInternalServerError, []byte("busy")
		}
		note, err := parser().ParseNotification(r.Header, r.Body)
		if err != nil {
			t.Errorf("notification rejected: %v\n%s", err, r.Body)
			return "text/plain", http.StatusBadRequest, []byte(err.Error())
		}
		r.Notification = note
		rc.accepted <- r
		ct, ack := parser().Ack()
		return ct, http.StatusOK, ack
	})
	return rc
}

// Next returns the next accepted notification, failing t after 5 seconds.
func (rc *Receiver) Next(t testing.TB) Received {
	t.Helper()
	select {
	case r := <-rc.accepted:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no notification")
	}
	return Received{}
}

var (
	keysOnce sync.Once
	keys     string
	keysErr  error
)

// KeyDir is one folder of development keys for the whole test binary, so that
// each test does not generate RSA keys of its own. Main removes it.
func KeyDir(t testing.TB) string {
	t.Helper()
	keysOnce.Do(func() { keys, keysErr = os.MkdirTemp("", "paycancel-devkeys-") })
	if keysErr != nil {
		t.Fatal(keysErr)
	}
	return keys
}

// Main runs a test binary's tests (call it from TestMain) and removes KeyDir.
func Main(m *testing.M) int {
	code := m.Run()
	if keys != "" {
		_ = os.RemoveAll(keys)
	}
	return code
}

// StartDev is Start with the binary's KeyDir.
func StartDev(t *testing.T, p simkit.Pair, o simkit.DevOptions) *Env {
	t.Helper()
	return Start(t, p, KeyDir(t), o)
}

// Run runs every scenario of the contract against p.
func Run(t *testing.T, p simkit.Pair) {
	dir := t.TempDir() // keys generated once, reused by every scenario
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			if sc.applies != nil && !sc.applies(p.Contract) {
				t.Skipf("%s does not have this", p.Name)
			}
			sc.run(t, p, dir)
		})
	}
}

type scenario struct {
	name    string
	applies func(simkit.Contract) bool
	run     func(t *testing.T, p simkit.Pair, dir string)
}

// simple runs f against a freshly started pair without notifications.
func simple(f func(t *testing.T, e *Env, c simkit.Contract)) func(*testing.T, simkit.Pair, string) {
	return func(t *testing.T, p simkit.Pair, dir string) { f(t, Start(t, p, dir, simkit.DevOptions{}), p.Contract) }
}

// faultThenRetry: a cancel that meets fault gets an unknown outcome with code; if
// the fault acts before the provider, the payment is untouched; the retry with
// the same key is done and exactly one cancel took effect.
func faultThenRetry(e *Env, t *testing.T, fault simkit.Fault, code string) {
	t.Helper()
	tg := e.Create("f-"+string(fault), simkit.Paying, simkit.Scenario{CancelFaults: []simkit.Fault{fault}})
	o := e.Short.Cancel(context.Background(), providers.CancelRequest{Target: tg, CancelKey: Key(tg)})
	providertest.Expect(t, "cancel meeting "+string(fault), o, providers.Unknown, "", code)
	want := simkit.Paying
	if fault == simkit.FaultTimeoutAfterEffect {
		want = simkit.Cancelled
	}
	if st := e.Payment(tg.MerchantOrderNo).State; st != want {
		t.Fatalf("after %s the payment is %s, want %s", fault, st, want)
	}
	if o := e.Cancel(tg); !o.Done() {
		t.Fatalf("retry after %s: %v, want done", fault, o)
	}
	ExpectOneEffective(t, e.Payment(tg.MerchantOrderNo), 2)
}

func failedShowsAs(c simkit.Contract) providers.PaymentState {
	if c.FailedShowsAs == "" {
		return providers.PaymentFailed
	}
	return c.FailedShowsAs
}

var scenarios = []scenario{
	{name: "happy", run: simple(func(t *testing.T, e *Env, c simkit.Contract) {
		tg := e.Create("happy", simkit.Paying, simkit.Scenario{})
		o := e.Cancel(tg)
		providertest.Expect(t, "cancel", o, providers.Succeeded, "", "")
		p := e.Payment("happy")
		ExpectOneEffective(t, p, 1)
		if p.State != simkit.Cancelled {
			t.Fatalf("payment %s after a successful cancel", p.State)
		}
		if p.CancelRef != "" && o.ProviderRef != p.CancelRef {
			t.Errorf("provider ref %q, the provider's cancel id is %q", o.ProviderRef, p.CancelRef)
		}
		providertest.Expect(t, "query cancel", e.QueryCancel(tg), providers.Succeeded, "", "")
		if ps := e.QueryPayment(tg); ps.State != providers.PaymentClosed || ps.Outcome.Kind != providers.Succeeded {
			t.Errorf("query payment %+v, want closed", ps)
		}
		// The same cancel again (a retry after a lost answer) is done and acts once.
		if o := e.Cancel(tg); !o.Done() {
			t.Fatalf("repeat: %v, want done", o)
		}
		ExpectOneEffective(t, e.Payment("happy"), 2)
	})},
	{name: "already_cancelled", run: simple(func(t *testing.T, e *Env, c simkit.Contract) {
		tg := e.Create("was-cancelled", simkit.Cancelled, simkit.Scenario{})
		ExpectWant(t, "cancel", e.Cancel(tg), c.AlreadyCancelled)
		ExpectNoneEffective(t, e.Payment("was-cancelled"), simkit.Cancelled)
	})},
	{name: "paid", run: simple(func(t *testing.T, e *Env, c simkit.Contract) {
		tg := e.Create("paid", simkit.Paid, simkit.Scenario{})
		ExpectWant(t, "cancel", e.Cancel(tg), c.Paid)
		p := e.Payment("paid")
		if c.PaidIsReversed {
			ExpectOneEffective(t, p, 1)
			if p.State != simkit.Refunded {
				t.Fatalf("payment %s, want reversed", p.State)
			}
			return
		}
		ExpectNoneEffective(t, p, simkit.Paid)
		providertest.Expect(t, "query cancel", e.QueryCancel(tg), providers.Failed, providers.ReasonAlreadyPaid, "")
	})},
	{name: "not_found", run: simple(func(t *testing.T, e *Env, c simkit.Contract) {
		tg := providers.Target{MerchantOrderNo: "nowhere"}
		if ps := e.QueryPayment(tg); ps.State != providers.PaymentNotFound || ps.Outcome.Kind != providers.Succeeded {
			t.Errorf("query payment %+v, want not found", ps)
		}
		if o := e.QueryCancel(tg); o.Done() {
			t.Errorf("query cancel of an order the provider does not know: %v", o)
		}
		ExpectWant(t, "cancel", e.Cancel(tg), c.NotFound)
	})},
	{name: "window_expired", run: simple(func(t *testing.T, e *Env, c simkit.Contract) {
		tg := e.Create("late", simkit.Paying, simkit.Scenario{WindowExpired: true})
		ExpectWant(t, "cancel", e.Cancel(tg), c.WindowExpired)
		ExpectNoneEffective(t, e.Payment("late"), simkit.Paying)
	})},
	{name: "refused", run: simple(func(t *testing.T, e *Env, c simkit.Contract) {
		tg := e.Create("refused", simkit.Paying, simkit.Scenario{CancelFails: true})
		ExpectWant(t, "cancel", e.Cancel(tg), c.Refused)
		ExpectNoneEffective(t, e.Payment("refused"), simkit.Paying)
	})},
	{name: "in_otp", run: simple(func(t *testing.T, e *Env, c simkit.Contract) {
		tg := e.Create("otp", simkit.InOTP, simkit.Scenario{})
		ExpectWant(t, "cancel", e.Cancel(tg), c.InOTP)
		ExpectNoneEffective(t, e.Payment("otp"), simkit.InOTP)
	})},
	{name: "pending_then_done", run: simple(func(t *testing.T, e *Env, c simkit.Contract) {
		tg := e.Create("pending", simkit.Paying, simkit.Scenario{PendingQueries: 2})
		providertest.Expect(t, "cancel", e.Cancel(tg), c.Pending, "", "")
		var o providers.Outcome
		for i := 0; i < 4 && o.Kind != providers.Succeeded; i++ {
			o = e.QueryCancel(tg)
			if o.Kind != providers.Pending && o.Kind != providers.Succeeded {
				t.Fatalf("query cancel %d: %v, want pending then succeeded", i+1, o)
			}
		}
		providertest.Expect(t, "query cancel", o, providers.Succeeded, "", "")
		ExpectOneEffective(t, e.Payment("pending"), 1) // one cancel call; the rest are status queries
	})},
	{name: "unknown_then_retry", run: simple(func(t *testing.T, e *Env, c simkit.Contract) {
		tg := e.Create("unknown", simkit.Paying, simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultUnknown}})
		providertest.Expect(t, "cancel", e.Cancel(tg), providers.Unknown, "", "")
		ExpectNoneEffective(t, e.Payment("unknown"), simkit.Paying)
		if o := e.Cancel(tg); !o.Done() {
			t.Fatalf("retry: %v, want done", o)
		}
		ExpectOneEffective(t, e.Payment("unknown"), 2)
	})},
	{name: "fault_timeout", run: simple(func(t *testing.T, e *Env, c simkit.Contract) {
		faultThenRetry(e, t, simkit.FaultTimeout, providers.CodeTransport)
	})},
	{name: "fault_timeout_after_effect", run: simple(func(t *testing.T, e *Env, c simkit.Contract) {
		faultThenRetry(e, t, simkit.FaultTimeoutAfterEffect, providers.CodeTransport)
	})},
	{name: "fault_reset", run: simple(func(t *testing.T, e *Env, c simkit.Contract) {
		faultThenRetry(e, t, simkit.FaultReset, providers.CodeTransport)
	})},
	{name: "fault_5xx", run: simple(func(t *testing.T, e *Env, c simkit.Contract) {
		faultThenRetry(e, t, simkit.Fault5xx, providers.CodeHTTPStatus)
	})},
	{name: "fault_garbage", run: simple(func(t *testing.T, e *Env, c simkit.Contract) {
		faultThenRetry(e, t, simkit.FaultGarbage, providers.CodeBadResponse)
	})},
	{name: "rate_limited", run: simple(func(t *testing.T, e *Env, c simkit.Contract) {
		tg := e.Create("busy", simkit.Paying, simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultRateLimit}, RetryAfterSeconds: 1})
		if o := e.Cancel(tg); o.Done() || o.Kind == providers.Pending || (o.Kind == providers.Failed && o.Reason != providers.ReasonRateLimited) {
			t.Fatalf("cancel: %v, want rate limited or unknown", o)
		}
		ExpectNoneEffective(t, e.Payment("busy"), simkit.Paying)
		if o := e.Cancel(tg); !o.Done() {
			t.Fatalf("retry: %v, want done", o)
		}
		ExpectOneEffective(t, e.Payment("busy"), 2)
	})},
	// Forged answers: the cancel took effect behind an answer that does not verify.
	// The adapter may conclude only from a signed query; the payment query that
	// does not verify is unknown.
	{name: "unverified_answers", run: simple(func(t *testing.T, e *Env, c simkit.Contract) {
		for _, f := range []simkit.Fault{simkit.FaultUnsigned, simkit.FaultBadSignature} {
			order := "forged-" + string(f)
			tg := e.Create(order, simkit.Paying, simkit.Scenario{CancelFaults: []simkit.Fault{f}, QueryFaults: []simkit.Fault{f, f, f}})
			if o := e.Cancel(tg); o.Done() || o.Kind == providers.Failed {
				t.Fatalf("%s: cancel decided %v on an answer that does not verify", f, o)
			}
			ps := e.QueryPayment(tg)
			if ps.State != providers.PaymentUnknown || ps.Outcome.Kind != providers.Unknown || ps.Outcome.Code != providers.CodeUnverified {
				t.Fatalf("%s: query payment %+v, want unknown/%s", f, ps, providers.CodeUnverified)
			}
		}
	})},
	// An unsigned claim of success: nothing happened, nothing may be concluded.
	{name: "unsigned_claim", run: simple(func(t *testing.T, e *Env, c simkit.Contract) {
		tg := e.Create("claim", simkit.Paying, simkit.Scenario{UnsignedClaim: true})
		for i := 0; i < 2; i++ {
			if o := e.Cancel(tg); o.Done() {
				t.Fatalf("cancel %d believed an unsigned claim: %v", i+1, o)
			}
		}
		if o := e.QueryCancel(tg); o.Done() {
			t.Fatalf("query cancel: %v while the payment is open", o)
		}
		ExpectNoneEffective(t, e.Payment("claim"), simkit.Paying)
		if ps := e.QueryPayment(tg); ps.State != providers.PaymentPending {
			t.Errorf("query payment %+v, want pending", ps)
		}
	})},
	// Genuine answers about another order (a replay): nothing may be concluded.
	{name: "foreign_answers", run: simple(func(t *testing.T, e *Env, c simkit.Contract) {
		e.Create("other-order", simkit.Cancelled, simkit.Scenario{})
		tg := e.Create("foreign", simkit.Paying, simkit.Scenario{ForeignAnswers: true})
		if o := e.Cancel(tg); o.Done() {
			t.Fatalf("cancel concluded from another order's answer: %v", o)
		}
		if o := e.QueryCancel(tg); o.Done() {
			t.Fatalf("query cancel concluded from another order's answer: %v", o)
		}
		ExpectNoneEffective(t, e.Payment("foreign"), simkit.Paying)
		if ps := e.QueryPayment(tg); ps.State == providers.PaymentClosed {
			t.Errorf("query payment %+v while the payment is open", ps)
		}
	})},
	{name: "payment_states", run: simple(func(t *testing.T, e *Env, c simkit.Contract) {
		for st, want := range map[simkit.State]providers.PaymentState{
			simkit.Paying: providers.PaymentPending, simkit.Paid: providers.PaymentPaid,
			simkit.Failed: failedShowsAs(c), simkit.Cancelled: providers.PaymentClosed,
		} {
			tg := e.Create("state-"+string(st), st, simkit.Scenario{})
			if ps := e.QueryPayment(tg); ps.State != want || ps.Outcome.Kind != providers.Succeeded {
				t.Errorf("%s: %+v, want %s", st, ps, want)
			}
		}
		tg := e.Create("pays", simkit.Paying, simkit.Scenario{PayOnQuery: 2})
		for i, want := range []providers.PaymentState{providers.PaymentPending, providers.PaymentPaid} {
			if ps := e.QueryPayment(tg); ps.State != want {
				t.Errorf("query %d of a payment paid while we wait: %+v, want %s", i+1, ps, want)
			}
		}
		tg = e.Create("fails", simkit.Paying, simkit.Scenario{FailOnQuery: 1})
		if ps := e.QueryPayment(tg); ps.State != failedShowsAs(c) {
			t.Errorf("failed payment: %+v", ps)
		}
	})},
	{name: "query_faults", run: simple(func(t *testing.T, e *Env, c simkit.Contract) {
		faults := []simkit.Fault{simkit.FaultTimeout, simkit.FaultReset, simkit.Fault5xx, simkit.FaultGarbage, simkit.FaultUnknown, simkit.FaultRateLimit}
		tg := e.Create("query-faults", simkit.Paying, simkit.Scenario{QueryFaults: faults})
		for _, f := range faults {
			ps := e.Short.QueryPayment(context.Background(), tg)
			if ps.State != providers.PaymentUnknown || ps.Outcome.Kind == providers.Succeeded {
				t.Errorf("%s: query payment %+v, want unknown", f, ps)
			}
		}
		if ps := e.QueryPayment(tg); ps.State != providers.PaymentPending {
			t.Errorf("after the faults: %+v, want pending", ps)
		}
	})},
	{name: "paid_after_cancel", run: simple(func(t *testing.T, e *Env, c simkit.Contract) {
		tg := e.Create("saved-qr", simkit.Paying, simkit.Scenario{PaidAfterCancel: true})
		ExpectWant(t, "cancel", e.Cancel(tg), c.PaidAfterCancel)
		if ps := e.QueryPayment(tg); ps.State != providers.PaymentPaid {
			t.Errorf("query payment %+v, want paid", ps)
		}
		providertest.Expect(t, "query cancel", e.QueryCancel(tg), providers.Failed, providers.ReasonAlreadyPaid, "")
	})},
	{name: "admin_api", run: simple(func(t *testing.T, e *Env, c simkit.Contract) {
		resp, err := http.Post(e.URL+simkit.AdminPrefix+"payments", "application/json",
			bytes.NewReader([]byte(`{"merchantOrderNo":"adm-1","amount":500,"currency":"USD"}`)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("admin create: %d", resp.StatusCode)
		}
		p := e.Payment("adm-1")
		providertest.Expect(t, "cancel", e.Cancel(providers.Target{MerchantOrderNo: "adm-1", ProviderPaymentID: p.ProviderPaymentID}), providers.Succeeded, "", "")
	})},
	// Development credentials: generated once, private files 0600, reused as they
	// are by the next start, and the adapter configured with them is accepted.
	{name: "dev_credentials", run: func(t *testing.T, p simkit.Pair, _ string) {
		dir := t.TempDir()
		read := func() map[string]string {
			files := map[string]string{}
			err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				b, err := os.ReadFile(path)
				files[path] = string(b)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return files
		}
		e := Start(t, p, dir, simkit.DevOptions{})
		first := read()
		secrets := 0
		for path := range first {
			if name := filepath.Base(path); strings.Contains(name, "private") || strings.Contains(name, "secret") {
				secrets++
				if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
					t.Errorf("%s: mode %v, want 0600 (%v)", name, fi.Mode().Perm(), err)
				}
			}
		}
		if secrets == 0 {
			t.Fatalf("no private key or secret among %d files", len(first))
		}
		tg := e.Create("dev", simkit.Paying, simkit.Scenario{})
		providertest.Expect(t, "cancel", e.Cancel(tg), providers.Succeeded, "", "")
		Start(t, p, dir, simkit.DevOptions{})
		if again := read(); fmt.Sprint(again) != fmt.Sprint(first) {
			t.Error("a second start changed the development credentials")
		}
	}},
	// Notifications: the simulator signs and retries until acknowledged; the
	// adapter parses what it sent, and rejects it once a byte changed.
	{name: "notification", applies: func(c simkit.Contract) bool { return c.Notifies != "" }, run: func(t *testing.T, p simkit.Pair, dir string) {
		var e *Env
		rc := NewReceiver(t, func() providers.NotificationParser { return e.Client.(providers.NotificationParser) }, 1)
		e = Start(t, p, dir, simkit.DevOptions{NotifyURL: rc.URL, NotifySchedule: []time.Duration{0, 20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond}})
		var tg providers.Target
		switch p.Contract.Notifies {
		case providers.NotifyCancelResult:
			tg = e.Create("notified", simkit.Paying, simkit.Scenario{})
			o := e.Client.Cancel(context.Background(), providers.CancelRequest{Target: tg, CancelKey: Key(tg), NotifyURL: rc.URL})
			providertest.Expect(t, "cancel", o, providers.Succeeded, "", "")
		case providers.NotifyPaymentResult:
			tg = e.Create("notified", simkit.Paying, simkit.Scenario{PayOnQuery: 1})
			if ps := e.QueryPayment(tg); ps.State != providers.PaymentPaid {
				t.Fatalf("query payment %+v, want paid", ps)
			}
		}
		got := rc.Next(t)
		n := got.Notification
		if n.Provider != p.Name || n.Type != p.Contract.Notifies || (n.MerchantOrderNo != "notified" && n.ProviderPaymentID != tg.ProviderPaymentID) {
			t.Errorf("notification %+v", n)
		}
		if p.Contract.Notifies == providers.NotifyCancelResult && (n.Outcome.Kind != providers.Succeeded || (n.CancelKey != "" && n.CancelKey != Key(tg))) {
			t.Errorf("cancel notification %+v", n)
		}
		if p.Contract.Notifies == providers.NotifyPaymentResult && n.Payment != providers.PaymentPaid {
			t.Errorf("payment notification %+v", n)
		}
		if len(rc.Requests()) != 2 {
			t.Errorf("%d deliveries, want 2 (the first refused, the second acknowledged)", len(rc.Requests()))
		}
		// Change one byte of the id the notification names.
		id := []byte("notified")
		if !bytes.Contains(got.Body, id) {
			id = []byte(tg.ProviderPaymentID)
		}
		tampered := bytes.Replace(got.Body, id, append(id[:len(id)-1:len(id)-1], 'X'), 1)
		if bytes.Equal(tampered, got.Body) {
			t.Fatalf("the notification names neither id of the payment: %s", got.Body)
		}
		if _, err := e.Client.(providers.NotificationParser).ParseNotification(got.Header, tampered); !errors.Is(err, providers.ErrBadSignature) {
			t.Errorf("tampered notification: err %v, want %v", err, providers.ErrBadSignature)
		}
		e.Sim.WaitDeliveries() // the schedule's end: nothing may follow the ack
		if d := e.Sim.Deliveries(); len(d) != 2 || d[0].Acked || !d[1].Acked {
			t.Errorf("deliveries %s", fmt.Sprint(d))
		}
	}},
}
