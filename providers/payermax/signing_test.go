package payermax

import (
	"bytes"
	"crypto/rsa"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paycancel/paycancel/providers/providertest"
)

func loadPrivate(t testing.TB, path string) *rsa.PrivateKey {
	return providertest.LoadPrivateKey(t, path)
}

func loadPublic(t testing.TB, path string) *rsa.PublicKey { return providertest.LoadPublicKey(t, path) }

// The vectors in testdata/vectors were signed once with
// `openssl dgst -sha256 -sign testdata/merchant_private.pem` and checked in.
func TestSignVectors(t *testing.T) {
	bodies, err := filepath.Glob("testdata/vectors/*.body")
	if err != nil || len(bodies) == 0 {
		t.Fatalf("no vectors: %v", err)
	}
	pemKey := loadPrivate(t, "testdata/merchant_private.pem")
	consoleKey := loadPrivate(t, "testdata/merchant_private.b64") // PayerMax console format: base64 PKCS#8, no armour
	if !pemKey.Equal(consoleKey) {
		t.Fatal("PEM and console-format private keys differ")
	}
	pub := loadPublic(t, "testdata/merchant_public.pem")
	for _, path := range bodies {
		body, _ := os.ReadFile(path)
		wantSig, err := os.ReadFile(strings.TrimSuffix(path, ".body") + ".sig")
		if err != nil {
			t.Fatal(err)
		}
		want := strings.TrimSpace(string(wantSig))
		for _, key := range []*rsa.PrivateKey{pemKey, consoleKey} {
			got, err := Sign(key, body)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s: sign = %s, want %s", path, got, want)
			}
		}
		if err := Verify(pub, body, want); err != nil {
			t.Errorf("%s: vector does not verify: %v", path, err)
		}
	}
}

func TestSignMatchesOpenSSL(t *testing.T) {
	key := loadPrivate(t, "testdata/merchant_private.pem")
	for i, body := range [][]byte{
		[]byte(`{"version":"1.5","keyVersion":"1","requestTime":"2030-01-02T03:04:05.678+00:00","appId":"a","data":{"requestId":"r-1","outTradeNo":"o-1"}}`),
		[]byte("{\"data\":{\"outTradeNo\":\"订单-ü\"}}\n"),
		{},
	} {
		out := providertest.OpenSSLSign(t, "sha256", "testdata/merchant_private.pem", body)
		got, err := Sign(key, body)
		if err != nil {
			t.Fatal(err)
		}
		if want := base64.StdEncoding.EncodeToString(out); got != want {
			t.Errorf("body %d: sign = %s, openssl = %s", i, got, want)
		}
	}
}

func TestVerifyRejects(t *testing.T) {
	body, _ := os.ReadFile("testdata/vectors/cancel.body")
	sig, _ := os.ReadFile("testdata/vectors/cancel.sig")
	good := strings.TrimSpace(string(sig))
	pub := loadPublic(t, "testdata/merchant_public.pem")
	other := loadPublic(t, "testdata/provider_public.b64")
	if err := Verify(pub, body, good); err != nil {
		t.Fatalf("good signature rejected: %v", err)
	}
	cases := map[string]struct {
		pub  *rsa.PublicKey
		body []byte
		sign string
	}{
		"empty sign":    {pub, body, ""},
		"not base64":    {pub, body, "%%%"},
		"tampered body": {pub, bytes.Replace(body, []byte("xxxxx"), []byte("yyyyy"), 1), good},
		"wrong key":     {other, body, good},
		"truncated sig": {pub, body, good[:20]},
	}
	for name, c := range cases {
		if err := Verify(c.pub, c.body, c.sign); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestProviderPublicKeyFormats(t *testing.T) {
	a := loadPublic(t, "testdata/provider_public.pem")
	b := loadPublic(t, "testdata/provider_public.b64") // console format: base64 SPKI DER
	if !a.Equal(b) {
		t.Fatal("PEM and base64 DER provider keys differ")
	}
}
