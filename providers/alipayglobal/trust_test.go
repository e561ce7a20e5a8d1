package alipayglobal

import (
	"testing"

	"github.com/paycancel/paycancel/providers"
)

// TestCheckEcho: both ids are compared wherever the answer and the target have
// one, including the id the request did not send.
func TestCheckEcho(t *testing.T) {
	for _, r := range []struct {
		t      providers.Target
		got    ResponseBody
		wantOK bool
	}{
		{providers.Target{MerchantOrderNo: "M1", ProviderPaymentID: "A1"}, ResponseBody{AcquirementID: "A1", MerchantTransID: "M1"}, true},
		{providers.Target{MerchantOrderNo: "M1", ProviderPaymentID: "A1"}, ResponseBody{AcquirementID: "A1", MerchantTransID: "M2"}, false}, // merchantTransId not sent, still checked
		{providers.Target{MerchantOrderNo: "M1", ProviderPaymentID: "A1"}, ResponseBody{AcquirementID: "A2", MerchantTransID: "M1"}, false},
		{providers.Target{MerchantOrderNo: "M1"}, ResponseBody{AcquirementID: "A9", MerchantTransID: "M1"}, true},
		{providers.Target{MerchantOrderNo: "M1"}, ResponseBody{}, true},
	} {
		o, ok := checkEcho("answer", r.t, r.got)
		if ok != r.wantOK || (!ok && o.Code != providers.CodeIDMismatch) {
			t.Errorf("%+v / %+v: %v %s", r.t, r.got, ok, o)
		}
	}
}
