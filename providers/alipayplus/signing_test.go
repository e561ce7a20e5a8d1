package alipayplus

import (
	"bytes"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paycancel/paycancel/providers/providertest"
)

// Test keys (testdata/*_private.pem) were generated once with
//
//	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048
//
// and the expected signatures (testdata/vectors/*.sig) with
//
//	openssl dgst -sha256 -sign <key> <vector>.txt | base64 -w0 | <URL query-escape>
//
// RSASSA-PKCS1-v1_5 is deterministic, so the vectors are fixed.

const vectorClientID = "SANDBOX_5Y3A2N2YEB3002022"

type vector struct {
	name     string
	key      string // private key file in testdata
	path     string
	timeText string
	body     string
}

var vectors = []vector{
	{"cancel_rfc3339", "merchant_private.pem", "/v2/payments/cancel", "2024-05-01T12:00:00+08:00",
		`{"paymentId":"20190612184010800100188820200355884"}`},
	{"inquiry_epochmillis_prefix", "merchant_private.pem", "/wallet/api/v2/payments/inquiryPayment", "1714536000000",
		`{"paymentRequestId":"pay_2089760038715669_202775745075669"}`},
	{"response_cancel_success", "wallet_private.pem", "/v2/payments/cancel", "2024-05-01T12:00:01+08:00",
		`{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"Success"},"paymentId":"20190612184010800100188820200355884","paymentRequestId":"pay_2089760038715669_202775745075669","cancelTime":"2024-05-01T12:00:01+08:00"}`},
}

func privateKey(t testing.TB, name string) *rsa.PrivateKey {
	return providertest.LoadPrivateKey(t, filepath.Join("testdata", name))
}

func publicKey(t testing.TB, name string) *rsa.PublicKey {
	return providertest.LoadPublicKey(t, filepath.Join("testdata", name))
}

func TestSigningVectors(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			wantText := providertest.ReadFile(t, filepath.Join("testdata", "vectors", v.name+".txt"))
			got := messageToSign(v.path, vectorClientID, v.timeText, []byte(v.body))
			if !bytes.Equal(got, wantText) {
				t.Fatalf("message to sign:\n got %q\nwant %q", got, wantText)
			}
			wantSig := strings.TrimSpace(string(providertest.ReadFile(t, filepath.Join("testdata", "vectors", v.name+".sig"))))
			sig, err := SignMessage(privateKey(t, v.key), v.path, vectorClientID, v.timeText, []byte(v.body))
			if err != nil {
				t.Fatal(err)
			}
			if sig != wantSig {
				t.Fatalf("signature:\n got %s\nwant %s", sig, wantSig)
			}
			if strings.ContainsAny(sig, "+/=") {
				t.Errorf("signature is not URL-escaped: %s", sig)
			}
			pub := publicKey(t, strings.Replace(v.key, "private", "public", 1))
			header := SignatureHeader("1", sig)
			if _, err := VerifyMessage(pub, v.path, vectorClientID, v.timeText, header, []byte(v.body)); err != nil {
				t.Fatalf("own signature does not verify: %v", err)
			}
			if _, err := VerifyMessage(pub, v.path, vectorClientID, v.timeText, header, []byte(v.body+" ")); err == nil {
				t.Fatal("a changed body verified")
			}
			if _, err := VerifyMessage(pub, "/other"+v.path, vectorClientID, v.timeText, header, []byte(v.body)); err == nil {
				t.Fatal("another path verified")
			}
		})
	}
}

// The request bodies in the vectors are exactly what the client marshals.
func TestRequestBodiesMatchVectors(t *testing.T) {
	for want, tr := range map[string]TargetRequest{
		vectors[0].body: {PaymentID: "20190612184010800100188820200355884"},
		vectors[1].body: {PaymentRequestID: "pay_2089760038715669_202775745075669"},
	} {
		got, err := json.Marshal(tr)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("body %s, want %s", got, want)
		}
	}
}

func TestOpenSSLCrossCheck(t *testing.T) {
	for _, v := range vectors {
		text := providertest.ReadFile(t, filepath.Join("testdata", "vectors", v.name+".txt"))
		out := providertest.OpenSSLSign(t, "sha256", filepath.Join("testdata", v.key), text)
		want := url.QueryEscape(base64.StdEncoding.EncodeToString(out))
		got, err := SignMessage(privateKey(t, v.key), v.path, vectorClientID, v.timeText, []byte(v.body))
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: Go and openssl disagree:\n go      %s\n openssl %s", v.name, got, want)
		}
	}
}

func TestVerifyResponseVector(t *testing.T) {
	v := vectors[2]
	sig := strings.TrimSpace(string(providertest.ReadFile(t, filepath.Join("testdata", "vectors", v.name+".sig"))))
	pub := publicKey(t, "wallet_public.pem")
	good := func() http.Header {
		h := http.Header{}
		h.Set("Client-Id", vectorClientID)
		h.Set("Response-Time", v.timeText)
		h.Set("Signature", "algorithm=RSA256,keyVersion=1,signature="+sig)
		return h
	}
	if err := VerifyResponse(pub, v.path, vectorClientID, good(), []byte(v.body)); err != nil {
		t.Fatalf("genuine response: %v", err)
	}
	cases := map[string]func(h http.Header) ([]byte, string){
		"tampered body": func(h http.Header) ([]byte, string) { return []byte(strings.Replace(v.body, `"S"`, `"F"`, 1)), v.path },
		"other path":    func(h http.Header) ([]byte, string) { return []byte(v.body), "/v2/payments/inquiryPayment" },
		"no signature":  func(h http.Header) ([]byte, string) { h.Del("Signature"); return []byte(v.body), v.path },
		"no client id":  func(h http.Header) ([]byte, string) { h.Del("Client-Id"); return []byte(v.body), v.path },
		"other client id": func(h http.Header) ([]byte, string) {
			h.Set("Client-Id", "SOMEONE_ELSE")
			return []byte(v.body), v.path
		},
		"no response time": func(h http.Header) ([]byte, string) { h.Del("Response-Time"); return []byte(v.body), v.path },
		"other time": func(h http.Header) ([]byte, string) {
			h.Set("Response-Time", "2024-05-01T12:00:02+08:00")
			return []byte(v.body), v.path
		},
		"other algorithm": func(h http.Header) ([]byte, string) {
			h.Set("Signature", "algorithm=RSA,signature="+sig)
			return []byte(v.body), v.path
		},
		"signature garbage": func(h http.Header) ([]byte, string) {
			h.Set("Signature", "signature=%%%")
			return []byte(v.body), v.path
		},
	}
	for name, mutate := range cases {
		h := good()
		body, path := mutate(h)
		if err := VerifyResponse(pub, path, vectorClientID, h, body); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
	// The merchant's key does not verify the wallet's signature.
	if err := VerifyResponse(publicKey(t, "merchant_public.pem"), v.path, vectorClientID, good(), []byte(v.body)); err == nil {
		t.Error("verified with the wrong key")
	}
}

func TestParseSignatureHeader(t *testing.T) {
	raw := []byte{0xfb, 0xff, 0xfe, 0x01}
	b64 := base64.StdEncoding.EncodeToString(raw) // contains + / =
	for _, h := range []string{
		"algorithm=RSA256,keyVersion=2,signature=" + url.QueryEscape(b64),
		"algorithm=RSA256, keyVersion=2, signature=" + b64, // unescaped, spaces after commas
		"keyVersion=2,signature=" + url.QueryEscape(b64),   // algorithm omitted
	} {
		p, err := ParseSignatureHeader(h)
		if err != nil {
			t.Errorf("%q: %v", h, err)
			continue
		}
		if !bytes.Equal(p.Signature, raw) || p.KeyVersion != "2" {
			t.Errorf("%q: got %+v", h, p)
		}
	}
	for _, h := range []string{"", "algorithm=RSA256,keyVersion=1", "signature=", "algorithm=RSA2048,signature=" + b64, "signature=!!!"} {
		if _, err := ParseSignatureHeader(h); err == nil {
			t.Errorf("%q: parsed", h)
		}
	}
}
