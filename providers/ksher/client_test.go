package ksher

import (
	"path/filepath"
	"testing"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/providertest"
)

func TestNewValidation(t *testing.T) {
	good := Config{BaseURL: "http://x", AppID: "mch20870",
		MerchantPrivateKey: providers.SecretRef{File: "testdata/merchant_pkcs1.pem"},
		KsherPublicKey:     providers.SecretRef{File: "testdata/ksher512_public.pem"}}
	providertest.RejectsConfigs(t, good, func(c Config) error { _, err := New(c, providers.Deps{}); return err },
		[]string{"SECRETVALUE", "PRIVATE KEY-----\n"}, []providertest.BadConfig[Config]{
			{Field: "baseURL", Edit: func(c *Config) { c.BaseURL = "" }},
			{Field: "baseURL", Edit: func(c *Config) { c.BaseURL = "ftp://x" }},
			{Field: "appId", Edit: func(c *Config) { c.AppID = "" }},
			{Field: "appId", Edit: func(c *Config) { c.AppID = "35000" }},
			{Field: "lang", Edit: func(c *Config) { c.Lang = "de" }},
			{Field: "timestampOffset", Edit: func(c *Config) { c.TimestampOffset = "Bangkok" }},
			{Field: "merchantPrivateKey", Edit: func(c *Config) { c.MerchantPrivateKey = providers.SecretRef{} }},
			{Field: "merchantPrivateKey", Edit: func(c *Config) { c.MerchantPrivateKey = providers.SecretRef{File: "nope.pem"} }},
			{Field: "merchantPrivateKey", Edit: func(c *Config) {
				c.MerchantPrivateKey = providers.SecretRef{Value: providers.NewSecret("not-a-key-SECRETVALUE")}
			}},
			{Field: "merchantPrivateKey", Edit: func(c *Config) {
				c.MerchantPrivateKey = providers.SecretRef{File: filepath.Join("testdata", "ksher512_private.pem")}
			}},
			{Field: "ksherPublicKey", Edit: func(c *Config) { c.KsherPublicKey = providers.SecretRef{Env: "KSHER_TEST_UNSET_VAR"} }},
			{Field: "ksherPublicKey", Edit: func(c *Config) { c.KsherPublicKey = c.MerchantPrivateKey }},
		})
	// defaults, relative files via BaseDir, trailing slash
	cfg := good
	cfg.BaseURL = "https://gateway.ksher.com/api/"
	cfg.Lang = ""
	cfg.MerchantPrivateKey = providers.SecretRef{File: "merchant_pkcs1.pem"}
	cfg.KsherPublicKey = providers.SecretRef{File: "ksher512_public.pem"}
	c, err := New(cfg, providers.Deps{BaseDir: "testdata"})
	if err != nil {
		t.Fatal(err)
	}
	if c.lang != "en" || c.cancelURL != "https://gateway.ksher.com/api/cancel_order" || c.queryURL != "https://gateway.ksher.com/api/gateway_order_query" {
		t.Fatalf("client %+v", c)
	}
	if c.Name() != "ksher" {
		t.Fatal(c.Name())
	}
}
