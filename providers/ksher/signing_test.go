package ksher

import (
	"bytes"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/providertest"
)

func testMerchantKey(t testing.TB) *rsa.PrivateKey {
	return providertest.LoadPrivateKey(t, filepath.Join("testdata", "merchant_pkcs1.pem"))
}

func test512PublicKey(t testing.TB) *rsa.PublicKey {
	t.Helper()
	k := providertest.LoadPublicKey(t, filepath.Join("testdata", "ksher512_public.pem"))
	if k.N.BitLen() != 512 {
		t.Fatalf("test key is %d bits, want 512", k.N.BitLen())
	}
	return k
}

var cancelVectorParams = map[string]string{
	"appid":        "mch35005",
	"lang":         "en",
	"mch_order_no": "test_mch_order_no",
	"nonce_str":    "472393a69ca0b86522e1ffa98947f6c7",
	"time_stamp":   "20220919041212",
}

func mixedVectorParams(t *testing.T) map[string]string {
	var m map[string]string
	if err := json.Unmarshal(providertest.Testdata(t, "mixed_request.json"), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSignStringVectors(t *testing.T) {
	if got, want := signString(cancelVectorParams), string(providertest.Testdata(t, "cancel_request.txt")); got != want {
		t.Errorf("cancel sign string\n got %q\nwant %q", got, want)
	}
	// byte order: "B" < "a_b" < "ab" < "appid"; empty values stay; UTF-8 as is.
	mixed := mixedVectorParams(t)
	if got, want := signString(mixed), string(providertest.Testdata(t, "mixed_request.txt")); got != want {
		t.Errorf("mixed sign string\n got %q\nwant %q", got, want)
	}
	// an incoming sign is never signed
	withSign := map[string]string{"sign": "abc"}
	for k, v := range cancelVectorParams {
		withSign[k] = v
	}
	if signString(withSign) != signString(cancelVectorParams) {
		t.Error("sign must be excluded from the signed text")
	}
}

func TestSignVectors(t *testing.T) {
	key := testMerchantKey(t)
	for _, v := range []struct {
		name   string
		params map[string]string
	}{{"cancel_request", cancelVectorParams}, {"mixed_request", mixedVectorParams(t)}} {
		want := strings.TrimSpace(string(providertest.Testdata(t, v.name+".sign.hex")))
		got, err := SignParams(key, v.params)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: sign\n got %s\nwant %s", v.name, got, want)
		}
		if got != strings.ToLower(got) {
			t.Errorf("%s: sign must be lowercase hex", v.name)
		}
		if err := VerifyParams(&key.PublicKey, v.params, want); err != nil {
			t.Errorf("%s: verify: %v", v.name, err)
		}
		tampered := map[string]string{}
		for k, val := range v.params {
			tampered[k] = val
		}
		tampered["appid"] = "mch99999"
		if err := VerifyParams(&key.PublicKey, tampered, want); err == nil {
			t.Errorf("%s: a tampered request verified", v.name)
		}
	}
}

// Test512BitVector verifies a signature made by OpenSSL with a checked-in 512-bit
// key, like Ksher's real one (Go's crypto/rsa refuses such keys; see verifyHex).
func Test512BitVector(t *testing.T) {
	pub := test512PublicKey(t)
	var body struct {
		Data json.RawMessage `json:"data"`
		Sign string          `json:"sign"`
	}
	if err := json.Unmarshal(providertest.Testdata(t, "query_closed_512.json"), &body); err != nil {
		t.Fatal(err)
	}
	text, err := dataSignString(body.Data)
	if err != nil {
		t.Fatal(err)
	}
	if want := string(providertest.Testdata(t, "query_closed_512.txt")); text != want {
		t.Fatalf("data sign string\n got %q\nwant %q", text, want)
	}
	if err := verifyData(pub, body.Data, body.Sign); err != nil {
		t.Fatalf("512-bit signature does not verify: %v", err)
	}
	tampered := bytes.Replace(body.Data, []byte(`"CLOSED"`), []byte(`"SUCCESS"`), 1)
	if err := verifyData(pub, tampered, body.Sign); !errors.Is(err, providers.ErrBadSignature) {
		t.Fatalf("tampered data: err = %v, want ErrBadSignature", err)
	}
	tampered = bytes.Replace(body.Data, []byte(`2000`), []byte(`2001`), 1)
	if err := verifyData(pub, tampered, body.Sign); !errors.Is(err, providers.ErrBadSignature) {
		t.Fatalf("tampered amount: err = %v, want ErrBadSignature", err)
	}

	// The whole client path: New loads the 512-bit PKCS#1 public key file, and the
	// order-query reply verifies and maps to CLOSED.
	c, err := New(Config{
		BaseURL:            "https://gateway.ksher.com/api",
		AppID:              "mch29217",
		MerchantPrivateKey: providers.SecretRef{File: "testdata/merchant_pkcs1.pem"},
		KsherPublicKey:     providers.SecretRef{File: "testdata/ksher512_public.pem"},
	}, providers.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	st := interpretQuery(c.ksherKey, providers.Response{Status: 200, Body: providertest.Testdata(t, "query_closed_512.json")}, "k_20210520_24")
	if st.State != providers.PaymentClosed || st.Outcome.Kind != providers.Succeeded {
		t.Fatalf("query status = %+v, want CLOSED/Succeeded", st)
	}
	if o := cancelFromPayment(st); o.Kind != providers.Succeeded {
		t.Fatalf("cancel from query = %v, want Succeeded", o)
	}
	n, err := c.ParseNotification(nil, providertest.Testdata(t, "notify_success_512.json"))
	if err != nil {
		t.Fatal(err)
	}
	if n.Payment != providers.PaymentPaid || n.MerchantOrderNo != "k_20210520_25" {
		t.Fatalf("notification = %+v", n)
	}
}

func TestFieldText(t *testing.T) {
	for _, c := range []struct{ raw, want string }{
		{`"a\u00e9\"b"`, `aé"b`},
		{`2000`, `2000`},
		{`20.50`, `20.50`},
		{`-1`, `-1`},
		{`null`, ``},
		{`true`, `true`},
		{`false`, `false`},
		{`{ "b": 1, "a": [1, 2] }`, `{"b":1,"a":[1,2]}`},
	} {
		got, err := fieldText(json.RawMessage(c.raw))
		if err != nil || got != c.want {
			t.Errorf("fieldText(%s) = %q, %v; want %q", c.raw, got, err, c.want)
		}
	}
	text, err := dataSignString([]byte(`{"z":"1","A":2,"a":null,"_":"u"}`))
	if err != nil || text != "A=2_=ua=z=1" {
		t.Errorf("dataSignString = %q, %v", text, err)
	}
	for _, bad := range []string{``, `"x"`, `[1]`, `null`, `{"a":}`, `{"a":"1"`} {
		if _, err := dataSignString([]byte(bad)); err == nil {
			t.Errorf("dataSignString(%q) accepted", bad)
		}
	}
}

func TestVerifyErrors(t *testing.T) {
	pub := test512PublicKey(t)
	data := []byte(`{"result":"CLOSED"}`)
	if err := verifyData(pub, data, ""); !errors.Is(err, errNoSign) {
		t.Errorf("empty sign: %v", err)
	}
	if err := verifyData(pub, data, "zz"); !errors.Is(err, providers.ErrBadSignature) {
		t.Errorf("non-hex sign: %v", err)
	}
	if err := verifyData(pub, data, "abcd"); !errors.Is(err, providers.ErrBadSignature) {
		t.Errorf("short sign: %v", err)
	}
	if err := verifyData(nil, data, "abcd"); err == nil {
		t.Error("nil key verified")
	}
	// uppercase hex is the same signature
	var body struct {
		Data json.RawMessage `json:"data"`
		Sign string          `json:"sign"`
	}
	_ = json.Unmarshal(providertest.Testdata(t, "query_closed_512.json"), &body)
	if err := verifyData(pub, body.Data, strings.ToUpper(body.Sign)); err != nil {
		t.Errorf("uppercase hex: %v", err)
	}
}

// TestOpenSSLCrossCheck signs fresh text with `openssl dgst -md5 -sign` and compares
// it with Go's signer (2048-bit merchant key) and verifier (512-bit Ksher key).
func TestOpenSSLCrossCheck(t *testing.T) {
	opensslSign := func(keyFile, text string) []byte {
		t.Helper()
		return providertest.OpenSSLSign(t, "md5", filepath.Join("testdata", keyFile), []byte(text))
	}
	params := map[string]string{
		"appid": "mch35000", "lang": "th", "mch_order_no": "ORD-ñ-测试-001",
		"nonce_str": NewNonce(), "time_stamp": "20260102030405",
	}
	got, err := SignParams(testMerchantKey(t), params)
	if err != nil {
		t.Fatal(err)
	}
	if want := hex.EncodeToString(opensslSign("merchant_pkcs1.pem", signString(params))); got != want {
		t.Errorf("Go and openssl disagree\n  go %s\nossl %s", got, want)
	}

	data := []byte(`{"mch_order_no":"ORD-1","result":"SUCCESS","total_fee":12345,"cash_fee":12345,"nonce_str":"` + NewNonce() + `","attach":"x=y&z"}`)
	text, err := dataSignString(data)
	if err != nil {
		t.Fatal(err)
	}
	sig := hex.EncodeToString(opensslSign("ksher512_private.pem", text))
	if err := verifyData(test512PublicKey(t), data, sig); err != nil {
		t.Errorf("openssl's 512-bit signature does not verify in Go: %v", err)
	}
}
