package alipayplus

import (
	"errors"
	"strings"
	"testing"

	"github.com/paycancel/paycancel/providers"
)

// testConfig is a Config with the test keys in testdata (relative to BaseDir).
func testConfig(baseURL string) Config {
	return Config{BaseURL: baseURL, ClientID: "SANDBOX_TEST_CLIENT",
		MerchantPrivateKey: providers.SecretRef{File: "merchant_private.pem"}, WalletPublicKey: providers.SecretRef{File: "wallet_public.pem"}}
}

func expect(t *testing.T, what string, got providers.Outcome, kind providers.Kind, reason providers.Reason, code string) {
	t.Helper()
	if got.Kind != kind || got.Reason != reason || (code != "" && got.Code != code) {
		t.Fatalf("%s: got %v, want %s/%s code=%s", what, got, kind, reason, code)
	}
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
		_, err := New(cfg, providers.Deps{BaseDir: "testdata"})
		var fe *providers.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: got %v, want a %s field error", name, err, tc.field)
			continue
		}
		if strings.Contains(err.Error(), "TOP-SECRET") {
			t.Errorf("%s: error leaks the secret: %v", name, err)
		}
	}
	c, err := New(testConfig("https://wallet.example/prefix/"), providers.Deps{BaseDir: "testdata"})
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
		c, err := New(testConfig(base), providers.Deps{BaseDir: "testdata"})
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
