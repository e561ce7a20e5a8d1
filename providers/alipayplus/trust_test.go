package alipayplus

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/sim/simkit"
)

// TestUnsignedClaimScenario: the wallet signs every answer; the scenario's
// "SUCCESS" comes without its Signature while inquiryPayment shows PROCESSING.
func TestUnsignedClaimScenario(t *testing.T) {
	e := newEnv(t, nil)
	tg := e.pay(t, "order-uc", simkit.Paying, simkit.Scenario{UnsignedClaim: true})
	for i := 0; i < 2; i++ {
		if o := e.cancel(tg); o.Kind != providers.Unknown || o.Code != providers.CodeUnverified {
			t.Fatalf("attempt %d: %s", i+1, o)
		}
	}
	p := e.payment(t, "order-uc")
	if p.State != simkit.Paying || p.EffectiveCancels() != 0 || p.Cancels[0].Result != simkit.CancelClaimed {
		t.Fatalf("payment %+v", p)
	}
	if o := e.queryCancel(tg); o.Kind != providers.Pending {
		t.Fatalf("query cancel %s", o)
	}
}

// TestAnswerAboutAnotherPayment: a verified answer naming another paymentId or
// paymentRequestId is Unknown — also the paymentRequestId we did not send but know.
func TestAnswerAboutAnotherPayment(t *testing.T) {
	for _, r := range []struct {
		sent             TargetRequest
		paymentID, reqID string
		ok               bool
	}{
		{TargetRequest{PaymentID: "P1", knownRequestID: "R1"}, "P1", "R1", true},
		{TargetRequest{PaymentID: "P1", knownRequestID: "R1"}, "P1", "", true},
		{TargetRequest{PaymentID: "P1", knownRequestID: "R1"}, "P2", "R1", false},
		{TargetRequest{PaymentID: "P1", knownRequestID: "R1"}, "P1", "R2", false},
		{TargetRequest{PaymentRequestID: "R1"}, "P9", "R1", true},
		{TargetRequest{PaymentRequestID: "R1"}, "", "R2", false},
	} {
		body, _ := json.Marshal(CancelResponse{Result: result(StatusSuccess, "SUCCESS", "Success"), PaymentID: r.paymentID, PaymentRequestID: r.reqID})
		o := cancelAnswer(body, r.sent)
		if (o.Kind == providers.Succeeded) != r.ok || (!r.ok && o.Code != providers.CodeIDMismatch) {
			t.Errorf("%+v answered %s/%s: %s", r.sent, r.paymentID, r.reqID, o)
		}
		body, _ = json.Marshal(InquiryResponse{Result: result(StatusSuccess, "SUCCESS", "Success"), PaymentID: r.paymentID, PaymentRequestID: r.reqID, PaymentStatus: "CANCELLED"})
		ps := inquiryAnswer(body, r.sent)
		if (ps.State == providers.PaymentClosed) != r.ok {
			t.Errorf("inquiry %+v answered %s/%s: %+v", r.sent, r.paymentID, r.reqID, ps)
		}
	}
	// targetFor keeps the paymentRequestId it does not send, for the check.
	if r, _, _ := targetFor(providers.Target{MerchantOrderNo: "R1", ProviderPaymentID: "P1"}); r.knownRequestID != "R1" || r.PaymentRequestID != "" {
		t.Fatalf("targetFor %+v", r)
	}
}

// TestRequestTimeAndKeyVersionHeader: by default Request-Time carries milliseconds
// and Key-Version is sent (as the wallets' sample and the official SDK do); both
// are configurable, and a sandbox that insists on them refuses the other forms.
func TestRequestTimeAndKeyVersionHeader(t *testing.T) {
	off := false
	rows := []struct {
		name     string
		edit     func(*Config)
		sbFormat string
		sbKey    bool
		kind     providers.Kind
		code     string
	}{
		{"defaults, strict wallet", nil, TimeRFC3339Millis, true, providers.Succeeded, "SUCCESS"},
		{"seconds, strict wallet", func(c *Config) { c.RequestTimeFormat = TimeRFC3339 }, TimeRFC3339Millis, true, providers.Failed, "PARAM_ILLEGAL"},
		{"epoch, strict wallet", func(c *Config) { c.RequestTimeFormat = TimeEpochMillis }, TimeRFC3339Millis, true, providers.Failed, "PARAM_ILLEGAL"},
		{"no Key-Version, strict wallet", func(c *Config) { c.KeyVersionHeader = &off }, TimeRFC3339Millis, true, providers.Failed, "PARAM_ILLEGAL"},
		{"epoch, lenient wallet", func(c *Config) { c.RequestTimeFormat = TimeEpochMillis }, "", false, providers.Succeeded, "SUCCESS"},
		{"seconds, lenient wallet", func(c *Config) { c.RequestTimeFormat = TimeRFC3339 }, TimeRFC3339, false, providers.Succeeded, "SUCCESS"},
		{"Key-Version of another key", func(c *Config) { c.KeyVersion = "2" }, "", false, providers.Failed, "KEY_NOT_FOUND"},
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
			c, err := New(cfg, testDeps())
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
				if err := checkRequestTime(seen.Get("Request-Time"), TimeRFC3339Millis); err != "" {
					t.Errorf("Request-Time %s", err)
				}
			}
		})
	}
	// The sample from the wallets' message-structure page is accepted as is.
	if why := checkRequestTime("2019-04-04T12:08:56.253+05:30", TimeRFC3339Millis); why != "" {
		t.Fatal(why)
	}
}

// TestOrderStatusInvalidIsAClaim: ORDER_STATUS_INVALID means "paid" only when the
// signed inquiryPayment says SUCCESS; otherwise it decides nothing.
func TestOrderStatusInvalidIsAClaim(t *testing.T) {
	e := newEnv(t, nil)
	tg := e.pay(t, "order-osi", simkit.Paid, simkit.Scenario{})
	if o := e.cancel(tg); o.Kind != providers.Failed || o.Reason != providers.ReasonAlreadyPaid || o.Code != "SUCCESS" ||
		!strings.Contains(o.Message, CodeOrderPaid) {
		t.Fatalf("confirmed: %s", o)
	}
	processing := providers.PaymentStatus{State: providers.PaymentPending, Code: "PROCESSING", Outcome: providers.Outcome{Kind: providers.Succeeded}}
	o := providers.Undocumented(providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonAlreadyPaid, Code: CodeOrderPaid},
		func() providers.Outcome { return cancelFromPayment(processing) })
	if o.Kind != providers.Unknown || o.Code != providers.CodeUnsignedClaim {
		t.Fatalf("unconfirmed: %s", o)
	}
}
