package alipayglobalsim

// The alipayglobal adapter against this sandbox, beyond the contract suite
// (providers/sim/contracttest): the wire format, the Beijing-day cancel window,
// ids, time zones and credentials.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/alipayglobal"
	"github.com/paycancel/paycancel/providers/providertest"
	"github.com/paycancel/paycancel/providers/sim/contracttest"
	"github.com/paycancel/paycancel/providers/sim/simkit"
)

// testdata holds the adapter's test keys.
const testdata = "../../alipayglobal/testdata/"

const (
	testClientID  = "211020000000000000044"
	testPartnerID = "218820000000000000023"
)

// testEnv is the contract suite's Env with the sandbox, the clock and the
// adapter's own types at hand.
type testEnv struct {
	*contracttest.Env
	t      *testing.T
	sb     *Sandbox
	client *alipayglobal.Client
	clock  *providertest.Clock
	cfg    alipayglobal.Config
}

// wrapped serves the sandbox through wrap.
type wrapped struct {
	*Sandbox
	wrap func(http.Handler) http.Handler
}

func (w wrapped) Handler() http.Handler { return w.wrap(w.Sandbox.Handler()) }

// newEnv starts a sandbox with the test keys and an adapter for it on the
// sandbox's clock; opts adjust either configuration before they are used.
func newEnv(t *testing.T, opts ...func(*alipayglobal.Config, *SandboxConfig)) *testEnv {
	t.Helper()
	return newWrappedEnv(t, nil, opts...)
}

// newWrappedEnv is newEnv with wrap (when not nil) around the sandbox handler.
func newWrappedEnv(t *testing.T, wrap func(http.Handler) http.Handler, opts ...func(*alipayglobal.Config, *SandboxConfig)) *testEnv {
	t.Helper()
	e := &testEnv{t: t, clock: providertest.NewClock(time.Date(2024, 3, 10, 10, 0, 0, 0, alipayglobal.Beijing))}
	e.Env = contracttest.StartWith(t, alipayglobal.Name, func(url string) (any, simkit.Sim, simkit.NewAdapter, error) {
		sbCfg := SandboxConfig{
			MerchantPublicKey: providertest.LoadPublicKey(t, testdata+"merchant_public.pem"),
			AlipayPrivateKey:  providertest.LoadPrivateKey(t, testdata+"alipay_private.pem"),
			ClientID:          testClientID,
			PartnerID:         testPartnerID,
			Now:               e.clock.Now,
		}
		cfg := alipayglobal.Config{
			BaseURL:            url,
			ClientID:           testClientID,
			PartnerID:          testPartnerID,
			MerchantPrivateKey: providers.SecretRef{File: "merchant_private.pem"},
			AlipayPublicKey:    providers.SecretRef{File: "alipay_public.pem"},
		}
		for _, o := range opts {
			o(&cfg, &sbCfg)
		}
		e.sb, e.cfg = NewSandbox(sbCfg), cfg
		var sim simkit.Sim = e.sb
		if wrap != nil {
			sim = wrapped{e.sb, wrap}
		}
		newAdapter := simkit.Adapt(alipayglobal.New)
		return cfg, sim, func(cfg any, d providers.Deps) (providers.Provider, error) {
			d.BaseDir, d.Now = testdata, e.clock.Now
			return newAdapter(cfg, d)
		}, nil
	})
	e.client = e.Client.(*alipayglobal.Client)
	return e
}

func (e *testEnv) create(p simkit.Payment) simkit.Payment {
	e.t.Helper()
	e.Create(p.MerchantOrderNo, p.State, p.Scenario)
	return e.Payment(p.MerchantOrderNo)
}

func (e *testEnv) payment(order string) simkit.Payment { return e.Payment(order) }

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
	providertest.Expect(t, "", o, kind, reason, code)
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
	if _, ok := e.Sim.Payments().Get("M405", ""); ok {
		t.Fatal("an unknown acquirementId created a payment")
	}
}

// The Beijing-day rule against the sandbox clock: created 23:50 Beijing, cancellable
// until 00:15 the next day.
func TestCancelWindowBeijingDay(t *testing.T) {
	e := newEnv(t)
	e.clock.Set(time.Date(2024, 3, 10, 23, 50, 0, 0, alipayglobal.Beijing))
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

func TestCancelOrderStatusInvalid(t *testing.T) {
	e := newEnv(t)
	e.create(simkit.Payment{MerchantOrderNo: "M1", State: simkit.InOTP})
	want(t, e.cancel("M1"), providers.Unknown, "", "ORDER_STATUS_INVALID")
	want(t, e.queryCancel("M1"), providers.Pending, "", "PAYING")
}

// Credential problems come back as the provider's own codes, signed: Configuration.
func TestConfigurationErrors(t *testing.T) {
	cases := map[string]struct {
		opt  func(*alipayglobal.Config, *SandboxConfig)
		code string
	}{
		"wrong merchant key": {func(c *alipayglobal.Config, _ *SandboxConfig) {
			c.MerchantPrivateKey = providers.SecretRef{File: "alipay_private.pem"}
		}, "INVALID_SIGNATURE"},
		"unknown client":       {func(_ *alipayglobal.Config, s *SandboxConfig) { s.ClientID = "other" }, "UNKNOWN_CLIENT"},
		"wrong partner":        {func(_ *alipayglobal.Config, s *SandboxConfig) { s.PartnerID = "other" }, "ACCESS_DENIED"},
		"no key registered":    {func(_ *alipayglobal.Config, s *SandboxConfig) { s.MerchantPublicKey = nil }, "KEY_NO_FOUND"},
		"wrong payCancel path": {func(c *alipayglobal.Config, _ *SandboxConfig) { c.CancelPath = alipayglobal.DefaultPayQueryPath }, "NO_INTERFACE_DEF"},
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
	e := newEnv(t, func(c *alipayglobal.Config, _ *SandboxConfig) {
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
	if n := len(e.Sim.Payments().List()); n != 0 {
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
		e := newWrappedEnv(t, capture(t, &mu, &bodies), func(c *alipayglobal.Config, s *SandboxConfig) {
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
		pub := providertest.LoadPublicKey(t, testdata+"merchant_public.pem")
		var ids []string
		for i, raw := range bodies {
			env, err := alipayglobal.ParseEnvelope(raw, "request")
			if err != nil {
				t.Fatal(err)
			}
			// The envelope is exactly {"request":<signed bytes>,"signature":"…"}.
			if !bytes.HasPrefix(raw, append([]byte(`{"request":`), env.Message...)) {
				t.Fatalf("envelope not built around the signed bytes: %s", raw)
			}
			if err := alipayglobal.VerifyMessage(pub, env.Message, env.Signature); err != nil {
				t.Fatalf("request signature: %v", err)
			}
			once, _ := base64.StdEncoding.DecodeString(env.Signature)
			if isTwice := len(once) != pub.Size(); isTwice != twice {
				t.Fatalf("Base64Twice=%v but signature decodes to %d bytes", twice, len(once))
			}
			var req alipayglobal.Request
			if err := json.Unmarshal(env.Message, &req); err != nil {
				t.Fatal(err)
			}
			h := req.Head
			wantFn := []string{alipayglobal.FunctionCancel, alipayglobal.FunctionPayQuery}[i]
			wantTime := time.Date(2024, 3, 10, 10, 0, i, 0, alipayglobal.Beijing).Format(alipayglobal.ReqTimeLayout)
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
		var second alipayglobal.Request
		env, _ := alipayglobal.ParseEnvelope(bodies[1], "request")
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
	e := newWrappedEnv(t, capture(t, &mu, &bodies), func(c *alipayglobal.Config, _ *SandboxConfig) { c.TimeZone = "UTC" })
	e.create(simkit.Payment{MerchantOrderNo: "M1"})
	want(t, e.cancel("M1"), providers.Succeeded, "", "SUCCESS")
	mu.Lock()
	defer mu.Unlock()
	env, _ := alipayglobal.ParseEnvelope(bodies[0], "request")
	var req alipayglobal.Request
	_ = json.Unmarshal(env.Message, &req)
	if got := req.Head.ReqTime; got != "2024-03-10T02:00:00+00:00" {
		t.Fatalf("reqTime %s", got)
	}
}

// A signed answer to another message (a replay) or about another transaction is not ours.
func TestForeignAnswers(t *testing.T) {
	key := providertest.LoadPrivateKey(t, testdata+"alipay_private.pem")
	var mu sync.Mutex
	var answer func(req alipayglobal.Request) alipayglobal.Response
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		env, _ := alipayglobal.ParseEnvelope(b, "request")
		var req alipayglobal.Request
		_ = json.Unmarshal(env.Message, &req)
		mu.Lock()
		msg, _ := alipayglobal.MarshalCompact(answer(req))
		mu.Unlock()
		sig, _ := alipayglobal.SignMessage(key, msg, false)
		_, _ = w.Write(alipayglobal.BuildEnvelope("response", msg, sig))
	}))
	defer srv.Close()
	c, err := alipayglobal.New(alipayglobal.Config{BaseURL: srv.URL, ClientID: "c", PartnerID: "p",
		MerchantPrivateKey: providers.SecretRef{File: "merchant_private.pem"}, AlipayPublicKey: providers.SecretRef{File: "alipay_public.pem"}},
		providers.Deps{BaseDir: testdata, HTTPClient: &http.Client{Timeout: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	ok := &alipayglobal.ResultInfo{ResultStatus: "S", ResultCodeID: "00000000", ResultCode: "SUCCESS"}
	cases := map[string]func(req alipayglobal.Request) alipayglobal.Response{
		"other reqMsgId": func(req alipayglobal.Request) alipayglobal.Response {
			return alipayglobal.Response{Head: alipayglobal.ResponseHead{Function: req.Head.Function, ReqMsgID: "old"}, Body: alipayglobal.ResponseBody{ResultInfo: ok}}
		},
		"other function": func(req alipayglobal.Request) alipayglobal.Response {
			return alipayglobal.Response{Head: alipayglobal.ResponseHead{Function: "alipay.intl.other", ReqMsgID: req.Head.ReqMsgID}, Body: alipayglobal.ResponseBody{ResultInfo: ok}}
		},
		"other transaction": func(req alipayglobal.Request) alipayglobal.Response {
			return alipayglobal.Response{Head: alipayglobal.ResponseHead{Function: req.Head.Function, ReqMsgID: req.Head.ReqMsgID}, Body: alipayglobal.ResponseBody{ResultInfo: ok, MerchantTransID: "M2"}}
		},
		"no resultInfo": func(req alipayglobal.Request) alipayglobal.Response {
			return alipayglobal.Response{Head: alipayglobal.ResponseHead{Function: req.Head.Function, ReqMsgID: req.Head.ReqMsgID}}
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

// TestUnsignedClaimScenario: Alipay signs every answer; the scenario's S comes
// without its signature while payQuery keeps showing PAYING: never done.
func TestUnsignedClaimScenario(t *testing.T) {
	e := newEnv(t)
	e.create(simkit.Payment{MerchantOrderNo: "M-UC", Scenario: simkit.Scenario{UnsignedClaim: true}})
	for i := 0; i < 2; i++ {
		if o := e.cancel("M-UC"); o.Kind != providers.Unknown || o.Code != providers.CodeUnverified {
			t.Fatalf("attempt %d: %s", i+1, o)
		}
	}
	p := e.payment("M-UC")
	if p.State != simkit.Paying || p.EffectiveCancels() != 0 || p.Cancels[0].Result != simkit.CancelClaimed {
		t.Fatalf("payment %+v", p)
	}
	want(t, e.queryCancel("M-UC"), providers.Pending, "", "PAYING")
}

// FuzzSandboxRequest: the sandbox's request parser never panics and always answers
// in the provider's envelope, signed.
func FuzzSandboxRequest(f *testing.F) {
	sb := NewSandbox(SandboxConfig{
		MerchantPublicKey: providertest.LoadPublicKey(f, testdata+"merchant_public.pem"),
		AlipayPrivateKey:  providertest.LoadPrivateKey(f, testdata+"alipay_private.pem"),
	})
	alipay := providertest.LoadPublicKey(f, testdata+"alipay_public.pem")
	h := sb.Handler()
	vector := providertest.ReadFile(f, testdata+"vector_request.json")
	sig := bytes.TrimSpace(providertest.ReadFile(f, testdata+"vector_request.sig"))
	f.Add(alipayglobal.BuildEnvelope("request", vector, string(sig)))
	f.Add(alipayglobal.BuildEnvelope("request", vector, ""))
	f.Add([]byte(`{"request":{"head":{"function":"alipay.intl.acquiring.common.payCancel"},"body":{}},"signature":"x"}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, path := range []string{alipayglobal.DefaultCancelPath, alipayglobal.DefaultPayQueryPath} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body)))
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: status %d", path, rec.Code)
			}
			env, err := alipayglobal.ParseEnvelope(rec.Body.Bytes(), "response")
			if err != nil {
				t.Fatalf("%s: answer %q: %v", path, rec.Body.Bytes(), err)
			}
			if err := alipayglobal.VerifyMessage(alipay, env.Message, env.Signature); err != nil {
				t.Fatalf("%s: answer not signed: %v", path, err)
			}
		}
	})
}
