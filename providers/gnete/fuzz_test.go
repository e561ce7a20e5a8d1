package gnete

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/paycancel/paycancel/providers"
)

func seedFile(f *testing.F, name string) []byte {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// FuzzReadResponse: the answer parser and sign check never panic, and never
// return data that did not verify.
func FuzzReadResponse(f *testing.F) {
	f.Add(200, seedFile(f, "cancel_response.json"))
	f.Add(200, seedFile(f, "cancel_query_response.json"))
	f.Add(200, []byte(`{"code":9999,"msg":"验签失败"}`))
	f.Add(200, []byte(`{"code":0,"data":{"state":1e400,"cancelOrderId":null},"sign":""}`))
	f.Add(502, []byte(`<html>502</html>`))
	f.Add(429, []byte(`{"code":"0","data":[]}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		data, o, ok := readResponse(providers.Response{Status: status, Body: body}, testSecret)
		if !ok {
			if o.Kind == "" || o.Kind == providers.Succeeded {
				t.Fatalf("failure outcome %+v", o)
			}
			return
		}
		var env struct {
			Sign string `json:"sign"`
		}
		_ = json.Unmarshal(body, &env)
		if data == nil || !Verify(data, testSecret, env.Sign) {
			t.Fatalf("unverified data accepted: %s", body)
		}
		_ = cancelDataOutcome(data)
	})
}

// FuzzParseNotification: never panics; an accepted notification is complete.
func FuzzParseNotification(f *testing.F) {
	f.Add(seedFile(f, "notification.txt"))
	f.Add([]byte("state=2&sign=X"))
	f.Add([]byte("a=%zz"))
	f.Add([]byte("sign=1&sign=2"))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := parseNotification(body, testSecret, devMchNo, devAppID)
		if err != nil {
			return
		}
		switch n.Outcome.Kind {
		case providers.Succeeded, providers.Failed, providers.Pending:
		default:
			t.Fatalf("notification outcome %s", n.Outcome)
		}
		if n.ProviderRef == "" || n.ProviderPaymentID == "" {
			t.Fatalf("incomplete notification %+v", n)
		}
	})
}

// FuzzSign: signing never panics, verifies its own output, and the Java order is
// antisymmetric.
func FuzzSign(f *testing.F) {
	f.Add("subject", "测试商品", "Zebra", "last")
	f.Add("a", "z", "A", "a")
	f.Add("", "", "\xff", "\U0001F600")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		p := map[string]any{k1: v1, k2: json.Number(v2)}
		s := Sign(p, testSecret)
		if len(s) != 32 || !Verify(p, testSecret, s) {
			t.Fatalf("sign %q does not verify", s)
		}
		a, b := k1+"="+v1, k2+"="+v2
		if x, y := compareFoldJava(a, b), compareFoldJava(b, a); (x < 0) != (y > 0) || (x == 0) != (y == 0) {
			t.Fatalf("compare not antisymmetric: %d %d", x, y)
		}
	})
}
