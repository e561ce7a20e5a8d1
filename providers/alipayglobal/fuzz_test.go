package alipayglobal

import (
	"bytes"
	"testing"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/providertest"
)

// FuzzReadResponse: the response parser and verifier never panic, and never accept
// an answer that does not verify with Alipay's key.
func FuzzReadResponse(f *testing.F) {
	key := testPublicKey(f, "alipay_public.pem")
	f.Add(providertest.Testdata(f, "vector_response.json"), 200)
	f.Add(providertest.Testdata(f, "vector_response_pretty_twice.json"), 200)
	f.Add([]byte(`{"response":{"head":{},"body":{"resultInfo":{"resultStatus":"S"}}}}`), 200)
	f.Add([]byte(`{"response":{},"signature":""}`), 502)
	f.Add([]byte(`{"oops": <not json`), 200)
	f.Add([]byte(`<html>502</html>`), 502)
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		r, o, ok := readResponse(providers.Response{Status: status, Body: body}, key, FunctionCancel, "1234567asdfasdf1123fda")
		if !ok {
			if o.Kind != providers.Unknown && o.Kind != providers.Failed {
				t.Fatalf("failure outcome %v", o)
			}
			return
		}
		if r.Body.ResultInfo == nil {
			t.Fatal("accepted without resultInfo")
		}
		env, err := ParseEnvelope(body, "response")
		if err != nil || VerifyMessage(key, env.Message, env.Signature) != nil {
			t.Fatal("accepted an unverified response")
		}
		_ = resultOutcome(*r.Body.ResultInfo)
	})
}

// FuzzVerify: signature decoding and verification never panic or accept a wrong
// signature for the vector message.
func FuzzVerify(f *testing.F) {
	pub := testPublicKey(f, "merchant_public.pem")
	msg := providertest.Testdata(f, "vector_request.json")
	f.Add(msg, string(bytes.TrimSpace(providertest.Testdata(f, "vector_request.sig"))))
	f.Add(msg, string(bytes.TrimSpace(providertest.Testdata(f, "vector_request.sig2"))))
	f.Add([]byte("x"), "AAAA")
	f.Add([]byte(""), "====")
	f.Fuzz(func(t *testing.T, m []byte, sig string) {
		err := VerifyMessage(pub, m, sig)
		if err == nil && !bytes.Equal(m, msg) {
			t.Fatalf("verified a signature over other bytes: %q", m)
		}
	})
}

// FuzzResultOutcome: any status/code maps to a known kind; Failed only for a
// documented failure code arriving with F.
func FuzzResultOutcome(f *testing.F) {
	f.Add("S", "SUCCESS", "")
	f.Add("F", "ORDER_NOT_EXIST", "m")
	f.Add("U", "UNKNOWN_EXCEPTION", "")
	f.Add("F", "NEW_CODE", "")
	f.Fuzz(func(t *testing.T, status, code, msg string) {
		o := resultOutcome(ResultInfo{ResultStatus: status, ResultCode: code, ResultMsg: msg})
		switch o.Kind {
		case providers.Succeeded:
			if status != "S" || code != "SUCCESS" {
				t.Fatalf("%s/%s succeeded", status, code)
			}
		case providers.Failed:
			if row, ok := ResultCodes[code]; !ok || status != "F" || row.Kind != providers.Failed {
				t.Fatalf("%s/%s failed", status, code)
			}
		case providers.Unknown:
		default:
			t.Fatalf("kind %s", o.Kind)
		}
	})
}
