package gnete

import (
	"errors"
	"strings"
	"testing"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/providertest"
)

func TestGoldenAnswers(t *testing.T) {
	for _, name := range []string{"cancel_response.json", "cancel_query_response.json"} {
		body := providertest.Testdata(t, name)
		data, fail, ok := readResponse(providers.Response{Status: 200, Body: body}, testSecret)
		if !ok {
			t.Fatalf("%s: %s", name, fail)
		}
		o := cancelDataOutcome(data)
		if o.Kind != providers.Succeeded || o.ProviderRef != "C202106181104177050002" {
			t.Fatalf("%s: %s", name, o)
		}
	}
	body := providertest.Testdata(t, "notification.txt")
	n, err := parseNotification(body, testSecret, devMchNo, devAppID)
	if err != nil || n.ProviderRef != "C202106181104177050002" || n.ProviderPaymentID != "P202106181104177050002" || n.Outcome.Kind != providers.Succeeded {
		t.Fatalf("notification %+v, %v", n, err)
	}
	if _, err := parseNotification(body, testSecret, "M-other", devAppID); !errors.Is(err, providers.ErrMalformed) {
		t.Fatalf("other merchant: %v", err)
	}
}

func TestReadResponseEdges(t *testing.T) {
	rows := []struct {
		name   string
		status int
		body   string
		kind   providers.Kind
		code   string
	}{
		{"code 0 without data", 200, `{"code":0,"msg":"SUCCESS"}`, providers.Unknown, providers.CodeBadResponse},
		{"code 0 data not object", 200, `{"code":0,"data":"{}","sign":"X"}`, providers.Unknown, providers.CodeBadResponse},
		{"code as string", 200, `{"code":"9999","msg":"订单不存在"}`, providers.Failed, "9999"},
		{"trailing garbage", 200, `{"code":0}{"x":1}`, providers.Unknown, providers.CodeBadResponse},
		{"no code", 200, `{"msg":"hi"}`, providers.Unknown, providers.CodeBadResponse},
		{"html 500", 500, `<html>oops</html>`, providers.Unknown, providers.CodeHTTPStatus},
		{"gateway error body on 500", 500, `{"code":10,"msg":"系统异常"}`, providers.Unknown, "10"},
		{"429", 429, `{"code":9999,"msg":"too many requests"}`, providers.Failed, "HTTP_429"},
	}
	for _, r := range rows {
		_, o, ok := readResponse(providers.Response{Status: r.status, Body: []byte(r.body)}, testSecret)
		if ok || o.Kind != r.kind || o.Code != r.code {
			t.Errorf("%s: ok=%v %s", r.name, ok, o)
		}
	}
}

func TestNewValidates(t *testing.T) {
	good := Config{BaseURL: "https://ts-api-pay.gnete.com.hk", MchNo: devMchNo, AppID: devAppID, AppSecret: providers.SecretRef{Value: testSecret}}
	providertest.RejectsConfigs(t, good, func(c Config) error { _, err := New(c, providers.Deps{}); return err }, []string{"offline-test-key"}, []providertest.BadConfig[Config]{
		{Field: "baseURL", Edit: func(c *Config) { c.BaseURL = "" }},
		{Field: "baseURL", Edit: func(c *Config) { c.BaseURL = "ftp://x" }},
		{Field: "mchNo", Edit: func(c *Config) { c.MchNo = "" }},
		{Field: "mchNo", Edit: func(c *Config) { c.MchNo = strings.Repeat("M", 31) }},
		{Field: "appId", Edit: func(c *Config) { c.AppID = strings.Repeat("a", 25) }},
		{Field: "version", Edit: func(c *Config) { c.Version = "1.0.0" }},
		{Field: "bodyFormat", Edit: func(c *Config) { c.BodyFormat = "xml" }},
		{Field: "appSecret", Edit: func(c *Config) { c.AppSecret = providers.SecretRef{} }},
		{Field: "appSecret", Edit: func(c *Config) { c.AppSecret = providers.SecretRef{File: "/nonexistent/secret"} }},
	})
	c, err := New(good, providers.Deps{})
	if err != nil || c.cfg.Version != "1.0" || c.cfg.BodyFormat != BodyJSON || c.Name() != Name {
		t.Fatalf("defaults: %+v %v", c, err)
	}
}
