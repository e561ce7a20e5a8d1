package alipayplussim

// The alipayplus adapter against this sandbox, beyond the contract suite
// (providers/sim/contracttest): credentials, request headers and the wallet's
// own refusals.

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/alipayplus"
	"github.com/paycancel/paycancel/providers/providertest"
	"github.com/paycancel/paycancel/providers/sim/contracttest"
	"github.com/paycancel/paycancel/providers/sim/simkit"
)

// testdata holds the adapter's test keys.
const testdata = "../../alipayplus/testdata/"

const testClientID = "SANDBOX_TEST_CLIENT"

func testConfig(baseURL string) alipayplus.Config {
	return alipayplus.Config{
		BaseURL:            baseURL,
		ClientID:           testClientID,
		MerchantPrivateKey: providers.SecretRef{File: "merchant_private.pem"},
		WalletPublicKey:    providers.SecretRef{File: "wallet_public.pem"},
	}
}

func testDeps() providers.Deps {
	// A short client timeout keeps the timeout scenarios fast.
	return providers.Deps{HTTPClient: &http.Client{Timeout: 300 * time.Millisecond}, BaseDir: testdata}
}

func newSandbox(t *testing.T) *Sandbox {
	t.Helper()
	sb := NewSandbox(SandboxConfig{
		ClientID:          testClientID,
		MerchantPublicKey: providertest.LoadPublicKey(t, testdata+"merchant_public.pem"),
		WalletPrivateKey:  providertest.LoadPrivateKey(t, testdata+"wallet_private.pem"),
	})
	t.Cleanup(sb.Close)
	return sb
}

// newEnv starts a sandbox with the test keys; edit (optional) adjusts the
// adapter's Config.
func newEnv(t *testing.T, edit func(*alipayplus.Config)) *contracttest.Env {
	t.Helper()
	return contracttest.StartWith(t, alipayplus.Name, func(url string) (any, simkit.Sim, simkit.NewAdapter, error) {
		cfg := testConfig(url)
		if edit != nil {
			edit(&cfg)
		}
		newAdapter := simkit.Adapt(alipayplus.New)
		return cfg, newSandbox(t), func(cfg any, d providers.Deps) (providers.Provider, error) {
			d.BaseDir = testdata
			return newAdapter(cfg, d)
		}, nil
	})
}

func TestWalletRejectsCredentials(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(*alipayplus.Config)
		code string
	}{
		"wrong merchant key": {func(c *alipayplus.Config) { c.MerchantPrivateKey.File = "wallet_private.pem" }, "INVALID_SIGNATURE"},
		"wrong client id":    {func(c *alipayplus.Config) { c.ClientID = "SOMEONE_ELSE" }, "CLIENT_INVALID"},
		"wrong key version":  {func(c *alipayplus.Config) { c.KeyVersion = "7" }, "KEY_NOT_FOUND"},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, tc.edit)
			tg := e.Create("order-creds", simkit.Paying, simkit.Scenario{})
			providertest.Expect(t, "cancel", e.Cancel(tg), providers.Failed, providers.ReasonConfiguration, tc.code)
			ps := e.QueryPayment(tg)
			providertest.Expect(t, "query", ps.Outcome, providers.Failed, providers.ReasonConfiguration, tc.code)
			if ps.State != providers.PaymentUnknown {
				t.Errorf("payment state %s", ps.State)
			}
			if p := e.Payment("order-creds"); len(p.Cancels) != 0 || p.State != simkit.Paying {
				t.Fatalf("a rejected request reached the payment: %+v", p)
			}
		})
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
	cfg.RequestTimeFormat = alipayplus.TimeEpochMillis
	c, err := alipayplus.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	p, err := sb.Store.Create(simkit.Payment{MerchantOrderNo: "order-prefix", Amount: 1})
	if err != nil {
		t.Fatal(err)
	}
	tg := providers.Target{MerchantOrderNo: "order-prefix", ProviderPaymentID: p.ProviderPaymentID}
	providertest.Expect(t, "cancel", c.Cancel(context.Background(), providers.CancelRequest{Target: tg}), providers.Succeeded, "", "SUCCESS")
	providertest.Expect(t, "query", c.QueryCancel(context.Background(), providers.CancelQuery{Target: tg}), providers.Succeeded, "", "CANCELLED")
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
	c, err := alipayplus.New(e.Config.(alipayplus.Config), deps)
	if err != nil {
		t.Fatal(err)
	}
	tg := e.Create("order-attempts", simkit.Paying, simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultUnknown}})
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
		providertest.Expect(t, name, e.Cancel(tg), providers.Failed, providers.ReasonInvalidRequest, providers.CodeInvalidRequest)
		providertest.Expect(t, name+" query", e.QueryPayment(tg).Outcome, providers.Failed, providers.ReasonInvalidRequest, providers.CodeInvalidRequest)
	}
	// 64 characters (multi-byte) are fine.
	e.Create(strings.Repeat("订", 64), simkit.Paying, simkit.Scenario{})
	providertest.Expect(t, "64 chars", e.Cancel(providers.Target{MerchantOrderNo: strings.Repeat("订", 64)}), providers.Succeeded, "", "SUCCESS")
}

// Requests the wallet refuses before looking at the payment, in its own format and signed.
func TestSandboxRejectsMalformedRequests(t *testing.T) {
	e := newEnv(t, nil)
	walletPub := providertest.LoadPublicKey(t, testdata+"wallet_public.pem")
	merchant := providertest.LoadPrivateKey(t, testdata+"merchant_private.pem")
	send := func(method, contentType string, body string, sign bool) alipayplus.Result {
		t.Helper()
		req, err := http.NewRequest(method, e.URL+alipayplus.CancelPath, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		reqTime := "2024-05-01T12:00:00+08:00"
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Client-Id", testClientID)
		req.Header.Set("Request-Time", reqTime)
		if sign {
			sig, err := alipayplus.SignMessage(merchant, alipayplus.CancelPath, testClientID, reqTime, []byte(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Signature", alipayplus.SignatureHeader("1", sig))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		if err := alipayplus.VerifyResponse(walletPub, alipayplus.CancelPath, testClientID, resp.Header, buf.Bytes()); err != nil {
			t.Fatalf("error answer not signed like the wallet: %v", err)
		}
		r, err := alipayplus.DecodeEnvelope(buf.Bytes())
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

// TestUnsignedClaimScenario: the wallet signs every answer; the scenario's
// "SUCCESS" comes without its Signature while inquiryPayment shows PROCESSING.
func TestUnsignedClaimScenario(t *testing.T) {
	e := newEnv(t, nil)
	tg := e.Create("order-uc", simkit.Paying, simkit.Scenario{UnsignedClaim: true})
	for i := 0; i < 2; i++ {
		if o := e.Cancel(tg); o.Kind != providers.Unknown || o.Code != providers.CodeUnverified {
			t.Fatalf("attempt %d: %s", i+1, o)
		}
	}
	p := e.Payment("order-uc")
	if p.State != simkit.Paying || p.EffectiveCancels() != 0 || p.Cancels[0].Result != simkit.CancelClaimed {
		t.Fatalf("payment %+v", p)
	}
	if o := e.QueryCancel(tg); o.Kind != providers.Pending {
		t.Fatalf("query cancel %s", o)
	}
}

// TestRequestTimeAndKeyVersionHeader: by default Request-Time carries milliseconds
// and Key-Version is sent (as the wallets' sample and the official SDK do); both
// are configurable, and a sandbox that insists on them refuses the other forms.
func TestRequestTimeAndKeyVersionHeader(t *testing.T) {
	off := false
	rows := []struct {
		name     string
		edit     func(*alipayplus.Config)
		sbFormat string
		sbKey    bool
		kind     providers.Kind
		code     string
	}{
		{"defaults, strict wallet", nil, alipayplus.TimeRFC3339Millis, true, providers.Succeeded, "SUCCESS"},
		{"seconds, strict wallet", func(c *alipayplus.Config) { c.RequestTimeFormat = alipayplus.TimeRFC3339 }, alipayplus.TimeRFC3339Millis, true, providers.Failed, "PARAM_ILLEGAL"},
		{"epoch, strict wallet", func(c *alipayplus.Config) { c.RequestTimeFormat = alipayplus.TimeEpochMillis }, alipayplus.TimeRFC3339Millis, true, providers.Failed, "PARAM_ILLEGAL"},
		{"no Key-Version, strict wallet", func(c *alipayplus.Config) { c.KeyVersionHeader = &off }, alipayplus.TimeRFC3339Millis, true, providers.Failed, "PARAM_ILLEGAL"},
		{"epoch, lenient wallet", func(c *alipayplus.Config) { c.RequestTimeFormat = alipayplus.TimeEpochMillis }, "", false, providers.Succeeded, "SUCCESS"},
		{"seconds, lenient wallet", func(c *alipayplus.Config) { c.RequestTimeFormat = alipayplus.TimeRFC3339 }, alipayplus.TimeRFC3339, false, providers.Succeeded, "SUCCESS"},
		{"Key-Version of another key", func(c *alipayplus.Config) { c.KeyVersion = "2" }, "", false, providers.Failed, "KEY_NOT_FOUND"},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			sb := newSandbox(t)
			sb.cfg.RequestTimeFormat, sb.cfg.RequireKeyVersionHeader = r.sbFormat, r.sbKey
			var seen http.Header
			api := sb.Handler()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				if strings.HasPrefix(req.URL.Path, "/v2/") {
					seen = req.Header.Clone()
				}
				api.ServeHTTP(w, req)
			}))
			t.Cleanup(srv.Close)
			cfg := testConfig(srv.URL)
			if r.edit != nil {
				r.edit(&cfg)
			}
			c, err := alipayplus.New(cfg, testDeps())
			if err != nil {
				t.Fatal(err)
			}
			p, _ := sb.Store.Create(simkit.Payment{MerchantOrderNo: "o-1", Amount: 1, Currency: "HKD"})
			o := c.Cancel(context.Background(), providers.CancelRequest{Target: providers.Target{MerchantOrderNo: "o-1", ProviderPaymentID: p.ProviderPaymentID}})
			if o.Kind != r.kind || o.Code != r.code {
				t.Fatalf("got %s, want %s %s (headers %v)", o, r.kind, r.code, seen)
			}
			if r.edit == nil {
				if v := seen.Get("Key-Version"); v != "1" {
					t.Errorf("Key-Version %q", v)
				}
				if err := checkRequestTime(seen.Get("Request-Time"), alipayplus.TimeRFC3339Millis); err != "" {
					t.Errorf("Request-Time %s", err)
				}
			}
		})
	}
	// The sample from the wallets' message-structure page is accepted as is.
	if why := checkRequestTime("2019-04-04T12:08:56.253+05:30", alipayplus.TimeRFC3339Millis); why != "" {
		t.Fatal(why)
	}
}

// TestOrderStatusInvalidIsAClaim: ORDER_STATUS_INVALID means "paid" only when the
// signed inquiryPayment says SUCCESS; otherwise it decides nothing.
func TestOrderStatusInvalidIsAClaim(t *testing.T) {
	e := newEnv(t, nil)
	tg := e.Create("order-osi", simkit.Paid, simkit.Scenario{})
	if o := e.Cancel(tg); o.Kind != providers.Failed || o.Reason != providers.ReasonAlreadyPaid || o.Code != "SUCCESS" ||
		!strings.Contains(o.Message, alipayplus.CodeOrderPaid) {
		t.Fatalf("confirmed: %s", o)
	}
}

func TestCancelByPaymentRequestID(t *testing.T) {
	e := newEnv(t, nil)
	e.Create("order-by-request-id", simkit.Paying, simkit.Scenario{})
	tg := providers.Target{MerchantOrderNo: "order-by-request-id"}
	providertest.Expect(t, "cancel", e.Cancel(tg), providers.Succeeded, "", "SUCCESS")
	p := e.Payment("order-by-request-id")
	contracttest.ExpectOneEffective(t, p, 1)
	if p.Cancels[0].Key != "order-by-request-id" {
		t.Errorf("business key %q, want the paymentRequestId", p.Cancels[0].Key)
	}
	if ps := e.QueryPayment(tg); ps.State != providers.PaymentClosed {
		t.Fatalf("payment: %+v", ps)
	}
}
