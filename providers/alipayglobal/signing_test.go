package alipayglobal

import (
	"bytes"
	"crypto/rsa"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/providertest"
)

// Test keys and vectors under testdata/ were made once with openssl:
//
//	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out merchant_private.pem
//	openssl pkey -in merchant_private.pem -pubout -out merchant_public.pem
//	(the same for alipay_private.pem / alipay_public.pem)
//	openssl dgst -sha256 -sign merchant_private.pem vector_request.json | base64 -w0 > vector_request.sig
//	base64 -w0 vector_request.sig > vector_request.sig2
//
// vector_response*.json are envelopes signed with alipay_private.pem the same way
// (the pretty one over its indented "response" text, base64 twice).

func testPrivateKey(t testing.TB, name string) *rsa.PrivateKey {
	return providertest.LoadPrivateKey(t, filepath.Join("testdata", name))
}

func testPublicKey(t testing.TB, name string) *rsa.PublicKey {
	return providertest.LoadPublicKey(t, filepath.Join("testdata", name))
}

// The request object as our client marshals it is byte for byte the checked-in
// vector (minified, fields in the API page's order, no HTML escaping).
func TestRequestMarshalVector(t *testing.T) {
	got, err := MarshalCompact(Request{
		Head: RequestHead{Version: "2.0.2", Function: FunctionCancel, ClientID: "211020000000000000044",
			ReqTime: "2001-07-04T12:08:56+05:30", ReqMsgID: "1234567asdfasdf1123fda", Reserve: "{}", SignType: "RSA2"},
		Body: RequestBody{PartnerID: "218820000000000000023", AcquirementID: "2015032412007101547201355678"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := providertest.Testdata(t, "vector_request.json"); !bytes.Equal(got, want) {
		t.Fatalf("marshal:\n got %s\nwant %s", got, want)
	}
}

func TestSignVectors(t *testing.T) {
	key := testPrivateKey(t, "merchant_private.pem")
	msg := providertest.Testdata(t, "vector_request.json")
	for _, tc := range []struct {
		file  string
		twice bool
	}{{"vector_request.sig", false}, {"vector_request.sig2", true}} {
		got, err := SignMessage(key, msg, tc.twice)
		if err != nil {
			t.Fatal(err)
		}
		if want := strings.TrimSpace(string(providertest.Testdata(t, tc.file))); got != want {
			t.Errorf("%s: signature differs\n got %s\nwant %s", tc.file, got, want)
		}
		pub := testPublicKey(t, "merchant_public.pem")
		if err := VerifyMessage(pub, msg, got); err != nil {
			t.Errorf("%s: own signature does not verify: %v", tc.file, err)
		}
	}
}

// Cross-check with openssl where it is installed: the same bytes, the same key.
func TestSignMatchesOpenSSL(t *testing.T) {
	msg := []byte(`{"head":{"version":"2.0.2","function":"alipay.intl.acquiring.offline.payQuery","clientId":"c","reqTime":"2024-01-02T03:04:05+08:00","reqMsgId":"m","reserve":"{}","signType":"RSA2"},"body":{"partnerId":"p","merchantTransId":"订单<&>"}}`)
	out := providertest.OpenSSLSign(t, "sha256", filepath.Join("testdata", "merchant_private.pem"), msg)
	got, err := SignMessage(testPrivateKey(t, "merchant_private.pem"), msg, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := base64.StdEncoding.EncodeToString(out); got != want {
		t.Fatalf("differs from openssl:\n got %s\nwant %s", got, want)
	}
}

func TestVerifyRejects(t *testing.T) {
	pub := testPublicKey(t, "merchant_public.pem")
	msg := providertest.Testdata(t, "vector_request.json")
	sig := strings.TrimSpace(string(providertest.Testdata(t, "vector_request.sig")))
	sig2 := strings.TrimSpace(string(providertest.Testdata(t, "vector_request.sig2")))
	for _, s := range []string{sig, sig2} {
		if err := VerifyMessage(pub, msg, s); err != nil {
			t.Fatalf("vector does not verify: %v", err)
		}
	}
	tampered := bytes.Replace(msg, []byte("2015"), []byte("2016"), 1)
	cases := map[string]struct {
		key *rsa.PublicKey
		msg []byte
		sig string
	}{
		"tampered message":  {pub, tampered, sig},
		"re-spaced message": {pub, append([]byte(" "), msg...), sig},
		"wrong key":         {testPublicKey(t, "alipay_public.pem"), msg, sig},
		"not base64":        {pub, msg, "%%%"},
		"short":             {pub, msg, base64.StdEncoding.EncodeToString([]byte("short"))},
		"empty":             {pub, msg, ""},
		"nil key":           {nil, msg, sig},
	}
	for name, tc := range cases {
		if err := VerifyMessage(tc.key, tc.msg, tc.sig); err == nil {
			t.Errorf("%s: verified", name)
		}
	}
}

// A response verifies over the exact text of its "response" value, whitespace and
// all, with the signature encoded once or twice.
func TestResponseVectors(t *testing.T) {
	key := testPublicKey(t, "alipay_public.pem")
	for _, tc := range []struct {
		file string
		kind providers.Kind
	}{{"vector_response.json", providers.Succeeded}, {"vector_response_pretty_twice.json", providers.Failed}} {
		body := providertest.Testdata(t, tc.file)
		r, o, ok := readResponse(providers.Response{Status: 200, Body: body}, key, FunctionCancel, "1234567asdfasdf1123fda")
		if !ok {
			t.Fatalf("%s: %v", tc.file, o)
		}
		if got := resultOutcome(*r.Body.ResultInfo); got.Kind != tc.kind {
			t.Errorf("%s: outcome %v", tc.file, got)
		}
		// Re-marshalling would change the bytes; a one-byte change must fail.
		bad := bytes.Replace(body, []byte(`"2.0.2"`), []byte(`"2.0.3"`), 1)
		if _, o, ok := readResponse(providers.Response{Status: 200, Body: bad}, key, FunctionCancel, "1234567asdfasdf1123fda"); ok || o.Code != providers.CodeUnverified {
			t.Errorf("%s tampered: ok=%v %v", tc.file, ok, o)
		}
	}
}

func TestEnvelopeRoundTrip(t *testing.T) {
	msg := []byte(`{"head":{},"body":{"x":"a\"b"}}`)
	env, err := ParseEnvelope(BuildEnvelope("request", msg, "c2ln"), "request")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(env.Message, msg) || env.Signature != "c2ln" || !env.HasSig {
		t.Fatalf("got %+v", env)
	}
	env, err = ParseEnvelope(BuildEnvelope("response", msg, ""), "response")
	if err != nil || env.HasSig {
		t.Fatalf("unsigned: %+v %v", env, err)
	}
	for _, bad := range []string{``, `[]`, `{"response":"x"}`, `{"request":{}}`, `{"response":{},"signature":5}`} {
		if _, err := ParseEnvelope([]byte(bad), "response"); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
