package alipayglobal

import (
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
	providertest.RejectsConfigs(t, good(),
		func(c Config) error { _, err := New(c, providers.Deps{BaseDir: "testdata"}); return err },
		[]string{"s3cr3t", "MII"}, []providertest.BadConfig[Config]{
			{Field: "baseURL", Edit: func(c *Config) { c.BaseURL = "" }},                                          // no baseURL
			{Field: "baseURL", Edit: func(c *Config) { c.BaseURL = "open-na.alipay.com" }},                        // relative baseURL
			{Field: "cancelPath", Edit: func(c *Config) { c.CancelPath = "paycancel.htm" }},                       // bad path
			{Field: "payQueryPath", Edit: func(c *Config) { c.PayQueryPath = "x" }},                               // bad query path
			{Field: "clientId", Edit: func(c *Config) { c.ClientID = "" }},                                        // no client
			{Field: "clientId", Edit: func(c *Config) { c.ClientID = strings.Repeat("1", 33) }},                   // long client
			{Field: "partnerId", Edit: func(c *Config) { c.PartnerID = "" }},                                      // no partner
			{Field: "version", Edit: func(c *Config) { c.Version = "123456789" }},                                 // long version
			{Field: "timeZone", Edit: func(c *Config) { c.TimeZone = "Mars/Olympus" }},                            // bad zone
			{Field: "merchantPrivateKey", Edit: func(c *Config) { c.MerchantPrivateKey.File = "nope.pem" }},       // missing key file
			{Field: "merchantPrivateKey", Edit: func(c *Config) { c.MerchantPrivateKey = providers.SecretRef{} }}, // no key
			{Field: "merchantPrivateKey", Edit: func(c *Config) { // public as private
				c.MerchantPrivateKey = providers.SecretRef{File: "merchant_public.pem"}
			}},
			{Field: "merchantPrivateKey", Edit: func(c *Config) { // garbage key
				c.MerchantPrivateKey = providers.SecretRef{Value: providers.NewSecret("s3cr3t-value")}
			}},
			{Field: "alipayPublicKey", Edit: func(c *Config) { // private as public
				c.AlipayPublicKey = providers.SecretRef{Value: providers.NewSecret(keyPEM)}
			}},
			{Field: "alipayPublicKey", Edit: func(c *Config) { c.AlipayPublicKey = providers.SecretRef{Env: "ALIPAYGLOBAL_TEST_UNSET_VAR"} }}, // unset env
		})
}
