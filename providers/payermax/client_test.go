package payermax

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/providertest"
)

const testAppID = "8f8b0895b60f41abbdb05405052971c8"

// testClient is an adapter with the test keys in testdata, for the tests that
// need no simulator.
func testClient(t *testing.T) *Client {
	t.Helper()
	c, err := New(Config{BaseURL: "https://pay-gate-uat.payermax.com" + GatewayPath, AppID: testAppID,
		MerchantPrivateKey: providers.SecretRef{File: "testdata/merchant_private.b64"},
		ProviderPublicKey:  providers.SecretRef{File: "testdata/provider_public.pem"}}, providers.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNotificationParsing(t *testing.T) {
	providerKey := loadPrivate(t, "testdata/provider_private.pem")
	body := []byte(`{"code":"APPLY_SUCCESS","msg":"Success.","keyVersion":"1","appId":"` + testAppID + `","merchantNo":"P01010114418097","notifyTime":"2023-07-23T00:00:01 +0000","notifyType":"CANCEL","data":{"cancelNo":"20230806235954ED7856775040587834005","requestId":"req-1","outTradeNo":"order-9","status":"SUCCESS","createdTime":"2023-08-06T23:50:59 +0000","succeededTime":"2023-08-06T23:50:59 +0000","failedTime":null,"errorCode":null,"errorMsg":null}}`)
	sign, _ := Sign(providerKey, body)
	header := http.Header{}
	header.Set("sign", sign)

	n, err := testClient(t).ParseNotification(header, body)
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
		n, err := testClient(t).ParseNotification(http.Header{"Sign": {s}}, b)
		if err != nil || n.Outcome.Kind != kind {
			t.Errorf("%s: %+v %v", status, n, err)
		}
	}

	// A payment notification (notifyType PAYMENT).
	pay := []byte(`{"code":"APPLY_SUCCESS","msg":"","keyVersion":"1","appId":"` + testAppID + `","notifyType":"PAYMENT","data":{"outTradeNo":"P1","tradeToken":"T1","totalAmount":10000,"status":"SUCCESS"}}`)
	s, _ := Sign(providerKey, pay)
	if n, err := testClient(t).ParseNotification(http.Header{"Sign": {s}}, pay); err != nil || n.Type != providers.NotifyPaymentResult || n.Payment != providers.PaymentPaid || n.ProviderPaymentID != "T1" {
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
		if _, err := testClient(t).ParseNotification(http.Header{"Sign": {c.sign}}, c.body); !errors.Is(err, providers.ErrBadSignature) {
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
		if _, err := testClient(t).ParseNotification(http.Header{"Sign": {s}}, []byte(b)); !errors.Is(err, providers.ErrMalformed) {
			t.Errorf("%s: err %v, want ErrMalformed", name, err)
		}
	}

	ct, ack := testClient(t).Ack()
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
	providertest.RejectsConfigs(t, good,
		func(c Config) error { _, err := New(c, providers.Deps{BaseDir: "testdata"}); return err },
		[]string{secret}, []providertest.BadConfig[Config]{
			{Field: "baseURL", Edit: func(c *Config) { c.BaseURL = "" }},
			{Field: "baseURL", Edit: func(c *Config) { c.BaseURL = "pay-gate.payermax.com" }},
			{Field: "appId", Edit: func(c *Config) { c.AppID = "" }},
			{Field: "merchantNo", Edit: func(c *Config) { c.MerchantNo = strings.Repeat("1", 33) }},
			{Field: "version", Edit: func(c *Config) { c.Version = "123456789" }},
			{Field: "merchantPrivateKey", Edit: func(c *Config) { c.MerchantPrivateKey = providers.SecretRef{Value: providers.NewSecret(secret)} }},
			{Field: "providerPublicKey", Edit: func(c *Config) { c.ProviderPublicKey = providers.SecretRef{} }},
		})
}
