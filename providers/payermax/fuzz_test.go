package payermax

import (
	"crypto/rsa"
	"net/http"
	"os"
	"sync"
	"testing"

	"github.com/paycancel/paycancel/providers"
)

var (
	fuzzOnce   sync.Once
	fuzzClient *Client
	fuzzSigner *rsa.PrivateKey
)

// fuzzSetup returns a client and PayerMax's (test) private key, so a fuzz input can
// be signed genuinely and reach the parsing behind the signature check.
func fuzzSetup(t testing.TB) (*Client, *rsa.PrivateKey) {
	fuzzOnce.Do(func() {
		c, err := New(Config{
			BaseURL:            "http://127.0.0.1:1" + GatewayPath,
			AppID:              testAppID,
			MerchantPrivateKey: providers.SecretRef{File: "testdata/merchant_private.pem"},
			ProviderPublicKey:  providers.SecretRef{File: "testdata/provider_public.pem"},
		}, providers.Deps{})
		if err != nil {
			panic(err)
		}
		fuzzClient = c
		fuzzSigner = loadPrivate(t, "testdata/provider_private.pem")
	})
	return fuzzClient, fuzzSigner
}

func fuzzResponse(t testing.TB, status int, body []byte, sign bool) providers.Response {
	_, key := fuzzSetup(t)
	h := http.Header{}
	if sign {
		s, err := Sign(key, body)
		if err != nil {
			t.Fatal(err)
		}
		h.Set(SignHeader, s)
	}
	return providers.Response{Status: status, Header: h, Body: body}
}

func checkOutcome(t *testing.T, o providers.Outcome) {
	switch o.Kind {
	case providers.Succeeded, providers.AlreadyDone, providers.Pending, providers.Unknown, providers.Failed:
	default:
		t.Fatalf("outcome kind %q", o.Kind)
	}
	if o.Kind == providers.Failed && o.Reason == "" {
		t.Fatalf("failure without a reason: %v", o)
	}
}

func FuzzInterpretCancel(f *testing.F) {
	want := RequestData{RequestID: "xxxxx", OutTradeNo: "xxxxxxxx"}
	seed, _ := os.ReadFile("testdata/vectors/response_utf8.body")
	f.Add(200, seed, true)
	f.Add(200, []byte(`{"msg":"Success.","code":"APPLY_SUCCESS","data":{"cancelNo":"1","requestId":"xxxxx","outTradeNo":"xxxxxxxx","status":"SUCCESS","succeededTime":"2023-08-06T23:50:59 +0000"}}`), true)
	f.Add(200, []byte(`{"msg":"Success.","code":"APPLY_SUCCESS","data":{"requestId":"xxxxx","outTradeNo":"xxxxxxxx","status":"SUCCESS"}}`), false)
	f.Add(200, []byte(`{"msg":"Success.","code":"APPLY_SUCCESS","data":{"status":"FAILED","errorCode":"ORDER_CAPTURED"}}`), false)
	f.Add(200, []byte(`{"msg":"System is busy","code":"SYSTEM_ERROR"}`), false)
	f.Add(502, []byte(`<html>`), false)
	f.Add(200, []byte(`{"code":"APPLY_SUCCESS","data":null}`), true)
	f.Add(200, []byte(`{"code":"APPLY_SUCCESS","data":{"status":7,"createdTime":{}}}`), true)
	f.Fuzz(func(t *testing.T, status int, body []byte, sign bool) {
		c, _ := fuzzSetup(t)
		o := c.interpretCancel(fuzzResponse(t, status, body, sign), want)
		checkOutcome(t, o)
		if o.Done() && !sign {
			t.Fatalf("unsigned answer counted as done: %v", o)
		}
	})
}

func FuzzInterpretOrderQuery(f *testing.F) {
	want := RequestData{OutTradeNo: "P1"}
	f.Add(200, []byte(`{"msg":"Success.","code":"APPLY_SUCCESS","data":{"outTradeNo":"P1","status":"CLOSED","totalAmount":10}}`), true)
	f.Add(200, []byte(`{"msg":"Success.","code":"APPLY_SUCCESS","data":{"outTradeNo":"P2","status":"SUCCESS"}}`), true)
	f.Add(200, []byte(`{"msg":"The order does not exist.","code":"ORDER_NOT_EXIST"}`), false)
	f.Add(429, []byte(``), false)
	f.Fuzz(func(t *testing.T, status int, body []byte, sign bool) {
		c, _ := fuzzSetup(t)
		ps := c.interpretOrderQuery(fuzzResponse(t, status, body, sign), want)
		checkOutcome(t, ps.Outcome)
		if ps.Outcome.Kind == providers.Succeeded && ps.State == providers.PaymentUnknown {
			t.Fatalf("answered query with unknown state: %+v", ps)
		}
		if ps.Outcome.Kind != providers.Succeeded && ps.State != providers.PaymentUnknown {
			t.Fatalf("failed query with a state: %+v", ps)
		}
	})
}

func FuzzVerify(f *testing.F) {
	body, _ := os.ReadFile("testdata/vectors/cancel.body")
	sig, _ := os.ReadFile("testdata/vectors/cancel.sig")
	f.Add(body, string(sig))
	f.Add([]byte{}, "")
	f.Add([]byte("x"), "AAAA")
	pub := loadPublic(f, "testdata/merchant_public.pem")
	f.Fuzz(func(t *testing.T, body []byte, sign string) {
		_ = Verify(pub, body, sign)
	})
}

func FuzzParseNotification(f *testing.F) {
	f.Add([]byte(`{"notifyType":"CANCEL","appId":"`+testAppID+`","data":{"cancelNo":"C","requestId":"r","outTradeNo":"o","status":"SUCCESS","succeededTime":"2023-08-06T23:50:59 +0000"}}`), true)
	f.Add([]byte(`{"notifyType":"PAYMENT","data":{"outTradeNo":"o","status":"CLOSED"}}`), true)
	f.Add([]byte(`{"notifyType":"CANCEL","data":{"requestId":"r","outTradeNo":"o","status":"FAILED","errorCode":null}}`), false)
	f.Add([]byte(`[]`), true)
	f.Fuzz(func(t *testing.T, body []byte, sign bool) {
		c, key := fuzzSetup(t)
		h := http.Header{}
		if sign {
			s, _ := Sign(key, body)
			h.Set(SignHeader, s)
		}
		n, err := c.ParseNotification(h, body)
		if err != nil {
			return
		}
		if !sign {
			t.Fatal("unsigned notification accepted")
		}
		if n.Provider != Name || n.MerchantOrderNo == "" {
			t.Fatalf("accepted %+v", n)
		}
		if n.Type == providers.NotifyCancelResult {
			checkOutcome(t, n.Outcome)
		}
	})
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2023-08-06T23:50:59 +0000", "2025-06-26T12:11:36.142Z", "2022-01-17T09:33:54.540+00:00", "", "null"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		parseTime(s)
		var p ProviderTime
		_ = p.UnmarshalJSON([]byte(s))
	})
}
