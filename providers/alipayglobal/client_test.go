package alipayglobal

import (
	"errors"
	"strings"
	"testing"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/providertest"
)

const (
	testClientID  = "211020000000000000044"
	testPartnerID = "218820000000000000023"
)

func TestNewValidation(t *testing.T) {
	good := func() Config {
		return Config{BaseURL: "https://open-na.alipay.com", ClientID: testClientID, PartnerID: testPartnerID,
			MerchantPrivateKey: providers.SecretRef{File: "merchant_private.pem"}, AlipayPublicKey: providers.SecretRef{File: "alipay_public.pem"}}
	}
	c, err := New(good(), providers.Deps{BaseDir: "testdata"})
	if err != nil {
		t.Fatal(err)
	}
	if c.cancelURL != "https://open-na.alipay.com/api/alipay/intl/acquiring/common/paycancel.htm" ||
		c.queryURL != "https://open-na.alipay.com/api/alipay/intl/acquiring/offline/payquery.htm" ||
		c.cfg.Version != "2.0.2" || c.cfg.TimeZone != "Asia/Shanghai" || c.cfg.Base64Twice || c.Name() != "alipayglobal" {
		t.Fatalf("defaults: %+v %s %s", c.cfg, c.cancelURL, c.queryURL)
	}
	keyPEM := string(providertest.Testdata(t, "merchant_private.pem"))
	cases := map[string]struct {
		mut   func(*Config)
		field string
	}{
		"no baseURL":       {func(c *Config) { c.BaseURL = "" }, "baseURL"},
		"relative baseURL": {func(c *Config) { c.BaseURL = "open-na.alipay.com" }, "baseURL"},
		"bad path":         {func(c *Config) { c.CancelPath = "paycancel.htm" }, "cancelPath"},
		"bad query path":   {func(c *Config) { c.PayQueryPath = "x" }, "payQueryPath"},
		"no client":        {func(c *Config) { c.ClientID = "" }, "clientId"},
		"long client":      {func(c *Config) { c.ClientID = strings.Repeat("1", 33) }, "clientId"},
		"no partner":       {func(c *Config) { c.PartnerID = "" }, "partnerId"},
		"long version":     {func(c *Config) { c.Version = "123456789" }, "version"},
		"bad zone":         {func(c *Config) { c.TimeZone = "Mars/Olympus" }, "timeZone"},
		"missing key file": {func(c *Config) { c.MerchantPrivateKey.File = "nope.pem" }, "merchantPrivateKey"},
		"no key":           {func(c *Config) { c.MerchantPrivateKey = providers.SecretRef{} }, "merchantPrivateKey"},
		"public as private": {func(c *Config) {
			c.MerchantPrivateKey = providers.SecretRef{File: "merchant_public.pem"}
		}, "merchantPrivateKey"},
		"garbage key": {func(c *Config) {
			c.MerchantPrivateKey = providers.SecretRef{Value: providers.NewSecret("s3cr3t-value")}
		}, "merchantPrivateKey"},
		"private as public": {func(c *Config) {
			c.AlipayPublicKey = providers.SecretRef{Value: providers.NewSecret(keyPEM)}
		}, "alipayPublicKey"},
		"unset env": {func(c *Config) { c.AlipayPublicKey = providers.SecretRef{Env: "ALIPAYGLOBAL_TEST_UNSET_VAR"} }, "alipayPublicKey"},
	}
	for name, tc := range cases {
		cfg := good()
		tc.mut(&cfg)
		_, err := New(cfg, providers.Deps{BaseDir: "testdata"})
		var fe *providers.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("%s: %v, want a FieldError on %s", name, err, tc.field)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "s3cr3t") || strings.Contains(msg, "MII") {
			t.Errorf("%s: error leaks key material: %s", name, msg)
		}
	}
}
