package ksher

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paycancel/paycancel/providers"
)

func TestNewValidation(t *testing.T) {
	good := Config{BaseURL: "http://x", AppID: "mch20870",
		MerchantPrivateKey: providers.SecretRef{File: "testdata/merchant_pkcs1.pem"},
		KsherPublicKey:     providers.SecretRef{File: "testdata/ksher512_public.pem"}}
	rows := []struct {
		field string
		mod   func(*Config)
	}{
		{"baseURL", func(c *Config) { c.BaseURL = "" }},
		{"baseURL", func(c *Config) { c.BaseURL = "ftp://x" }},
		{"appId", func(c *Config) { c.AppID = "" }},
		{"appId", func(c *Config) { c.AppID = "35000" }},
		{"lang", func(c *Config) { c.Lang = "de" }},
		{"timestampOffset", func(c *Config) { c.TimestampOffset = "Bangkok" }},
		{"merchantPrivateKey", func(c *Config) { c.MerchantPrivateKey = providers.SecretRef{} }},
		{"merchantPrivateKey", func(c *Config) { c.MerchantPrivateKey = providers.SecretRef{File: "nope.pem"} }},
		{"merchantPrivateKey", func(c *Config) {
			c.MerchantPrivateKey = providers.SecretRef{Value: providers.NewSecret("not-a-key-SECRETVALUE")}
		}},
		{"merchantPrivateKey", func(c *Config) {
			c.MerchantPrivateKey = providers.SecretRef{File: filepath.Join("testdata", "ksher512_private.pem")}
		}},
		{"ksherPublicKey", func(c *Config) { c.KsherPublicKey = providers.SecretRef{Env: "KSHER_TEST_UNSET_VAR"} }},
		{"ksherPublicKey", func(c *Config) { c.KsherPublicKey = c.MerchantPrivateKey }},
	}
	for i, r := range rows {
		cfg := good
		r.mod(&cfg)
		_, err := New(cfg, providers.Deps{})
		var fe *providers.FieldError
		if !errors.As(err, &fe) || fe.Field != r.field {
			t.Errorf("row %d: err = %v, want field %s", i, err, r.field)
			continue
		}
		if strings.Contains(err.Error(), "SECRETVALUE") || strings.Contains(err.Error(), "PRIVATE KEY-----\n") {
			t.Errorf("row %d: error leaks key material: %v", i, err)
		}
	}
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
