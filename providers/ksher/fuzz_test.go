package ksher

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/paycancel/paycancel/providers"
)

func fuzzSeeds(f *testing.F) {
	for _, s := range []string{
		`{"code":0,"msg":"操作成功","data":"取消成功","message":"操作成功"}`,
		`{ "code": -4, "msg": "该订单已支付成功,不能进行此操作", "message": "该订单已支付成功,不能进行此操作"}`,
		`{"code":"-6"}`,
		`{"code":0,"data":{"result":"CLOSED","mch_order_no":"O1","total_fee":2000},"sign":"00"}`,
		`{"code":0,"data":{"a":{"b":[1,null,true]},"c":1e400},"sign":"zz"}`,
		`{"code":1e3}`,
		`{"code":null,"data":null}`,
		`[]`,
		`{"oops": <not json`,
		``,
	} {
		f.Add([]byte(s))
	}
	for _, name := range []string{"query_closed_512.json", "notify_success_512.json"} {
		if b, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			f.Add(b)
		}
	}
}

// FuzzInterpret runs both response interpreters (parse + verify + map) on any body.
func FuzzInterpret(f *testing.F) {
	fuzzSeeds(f)
	pub := test512PublicKey(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, status := range []int{200, 429, 500} {
			resp := providers.Response{Status: status, Body: body}
			o, confirm := interpretCancel(resp)
			if confirm && o.Kind != providers.Pending {
				t.Fatalf("confirm with %v", o)
			}
			if o.Kind == providers.Succeeded || o.Kind == "" {
				t.Fatalf("cancel reply alone gave %v", o)
			}
			st := interpretQuery(pub, resp, "k_20210520_24")
			if st.Outcome.Kind == "" {
				t.Fatalf("empty outcome for %q", body)
			}
			if st.Outcome.Kind == providers.Succeeded && st.State != providers.PaymentNotFound {
				// only a verified answer can say anything about the payment
				r, err := ParseResponse(body)
				if err != nil || verifyData(pub, r.Data, r.Sign) != nil {
					t.Fatalf("unverified body answered %+v", st)
				}
			}
			_ = cancelFromPayment(st)
		}
	})
}

func FuzzVerifyData(f *testing.F) {
	fuzzSeeds(f)
	pub := test512PublicKey(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = dataSignString(data)
		_ = verifyData(pub, data, "6a4c6a0a0269e3159bed840e20419e32a2ef0d1f4edaa022e2d458ed2fbdfd4389ec00490a0c722759a0fa43c7839ba3812ad8bde2a79f56fc4ae743b4bcac95")
		_ = verifyData(pub, data, string(data))
	})
}

func FuzzParseNotification(f *testing.F) {
	fuzzSeeds(f)
	pub := test512PublicKey(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := parseNotification(pub, body)
		if err != nil {
			if !errors.Is(err, providers.ErrBadSignature) && !errors.Is(err, providers.ErrMalformed) {
				t.Fatalf("error %v is neither ErrBadSignature nor ErrMalformed", err)
			}
			return
		}
		if n.MerchantOrderNo == "" || n.Type != providers.NotifyPaymentResult {
			t.Fatalf("accepted %+v", n)
		}
	})
}
