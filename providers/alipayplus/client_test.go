package alipayplus

import (
	"strings"
	"testing"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/providertest"
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
	providertest.RejectsConfigs(t, testConfig("https://wallet.example"),
		func(c Config) error { _, err := New(c, providers.Deps{BaseDir: "testdata"}); return err },
		[]string{"TOP-SECRET"}, []providertest.BadConfig[Config]{
			{Field: "baseURL", Edit: func(c *Config) { c.BaseURL = "" }},                                                                            // no base url
			{Field: "baseURL", Edit: func(c *Config) { c.BaseURL = "/v2" }},                                                                         // relative url
			{Field: "baseURL", Edit: func(c *Config) { c.BaseURL = "https://w.example/?x=1" }},                                                      // query in url
			{Field: "clientID", Edit: func(c *Config) { c.ClientID = " " }},                                                                         // no client id
			{Field: "keyVersion", Edit: func(c *Config) { c.KeyVersion = "v1" }},                                                                    // key version
			{Field: "requestTimeFormat", Edit: func(c *Config) { c.RequestTimeFormat = "unix" }},                                                    // time format
			{Field: "merchantPrivateKey", Edit: func(c *Config) { c.MerchantPrivateKey = providers.SecretRef{} }},                                   // no private key
			{Field: "merchantPrivateKey", Edit: func(c *Config) { c.MerchantPrivateKey.File = "nope.pem" }},                                         // missing file
			{Field: "merchantPrivateKey", Edit: func(c *Config) { c.MerchantPrivateKey = providers.SecretRef{Value: providers.NewSecret(secret)} }}, // bad private key
			{Field: "walletPublicKey", Edit: func(c *Config) { c.WalletPublicKey = providers.SecretRef{Env: "ALIPAYPLUS_TEST_UNSET_VAR"} }},         // unset env
			{Field: "walletPublicKey", Edit: func(c *Config) { c.WalletPublicKey.File = "wallet_private.pem" }},                                     // public as priv
		})
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
