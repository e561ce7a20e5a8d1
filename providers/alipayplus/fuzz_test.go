package alipayplus

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/providertest"
)

func FuzzParseSignatureHeader(f *testing.F) {
	f.Add("algorithm=RSA256,keyVersion=1,signature=q%2Bw%2F%3D%3D")
	f.Add("signature=abc==,keyVersion=")
	f.Add("algorithm=RSA256,,=,signature=%zz")
	f.Add("")
	f.Fuzz(func(t *testing.T, h string) {
		p, err := ParseSignatureHeader(h)
		if err == nil && len(p.Signature) == 0 {
			t.Fatalf("%q parsed to an empty signature", h)
		}
	})
}

// VerifyResponse never panics, and nothing but the genuine vector verifies.
func FuzzVerifyResponse(f *testing.F) {
	v := vectors[2]
	sig := strings.TrimSpace(string(providertest.ReadFile(f, filepath.Join("testdata", "vectors", v.name+".sig"))))
	pub := publicKey(f, "wallet_public.pem")
	f.Add(v.path, vectorClientID, v.timeText, "algorithm=RSA256,keyVersion=1,signature="+sig, []byte(v.body))
	f.Add(v.path, vectorClientID, v.timeText, "signature="+sig, []byte(v.body+" "))
	f.Add("", "", "", "", []byte{})
	f.Add("/x", "c", "t", "signature=AAAA", []byte(`{"result":{"resultStatus":"S"}}`))
	f.Fuzz(func(t *testing.T, path, clientID, respTime, signature string, body []byte) {
		h := http.Header{}
		h.Set("Client-Id", clientID)
		h.Set("Response-Time", respTime)
		h.Set("Signature", signature)
		err := VerifyResponse(pub, path, "", h, body)
		genuine := path == v.path && h.Get("Client-Id") == vectorClientID && h.Get("Response-Time") == v.timeText && string(body) == v.body
		if err == nil && !genuine {
			t.Fatalf("forged response verified: %q %q %q %q", path, clientID, respTime, body)
		}
	})
}

func fuzzBodies(f *testing.F) {
	f.Add([]byte(`{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"Success"},"paymentId":"P1","cancelTime":"2024-05-01T12:00:01+08:00"}`))
	f.Add([]byte(`{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentId":"P1","paymentStatus":"CANCELLED","paymentAmount":{"currency":"HKD","value":"10"}}`))
	f.Add([]byte(`{"result":{"resultCode":"UNKNOWN_EXCEPTION","resultStatus":"U"}}`))
	f.Add([]byte(`{"result":null}`))
	f.Add([]byte(`{"result":{"resultCode":1,"resultStatus":["S"]}}`))
	f.Add([]byte(`{"oops": <not json`))
	f.Add([]byte(`[]`))
	if b, err := os.ReadFile(filepath.Join("testdata", "vectors", "response_cancel_success.txt")); err == nil {
		if i := strings.IndexByte(string(b), '{'); i >= 0 {
			f.Add(b[i:])
		}
	}
}

// successClaimed reports whether body really says S/SUCCESS.
func successClaimed(body []byte) bool {
	var env struct{ Result *Result }
	return json.Unmarshal(body, &env) == nil && env.Result != nil &&
		env.Result.ResultStatus == "S" && env.Result.ResultCode == "SUCCESS"
}

func FuzzCancelAnswer(f *testing.F) {
	fuzzBodies(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, err := DecodeEnvelope(body); err != nil {
			return // exchange stops here: Unknown
		}
		o := cancelAnswer(body, TargetRequest{PaymentID: "P1"})
		switch o.Kind {
		case providers.Succeeded:
			if !successClaimed(body) {
				t.Fatalf("success from %q", body)
			}
		case providers.Failed, providers.Unknown:
		default:
			t.Fatalf("cancel answer kind %s from %q", o.Kind, body)
		}
	})
}

func FuzzInquiryAnswer(f *testing.F) {
	fuzzBodies(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, err := DecodeEnvelope(body); err != nil {
			return
		}
		ps := inquiryAnswer(body, TargetRequest{PaymentRequestID: "order-1"})
		if ps.Outcome.Kind == providers.Succeeded && ps.State == providers.PaymentUnknown {
			t.Fatalf("answered query with unknown state from %q", body)
		}
		if ps.Outcome.Kind != providers.Succeeded && ps.State != providers.PaymentUnknown {
			t.Fatalf("failed query with state %s from %q", ps.State, body)
		}
		if ps.State != providers.PaymentUnknown && ps.State != providers.PaymentNotFound && !successClaimed(body) {
			t.Fatalf("state %s without S/SUCCESS from %q", ps.State, body)
		}
		_ = cancelFromPayment(ps)
	})
}
