package alipayglobal

import (
	"testing"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/sim/simkit"
)

// TestUnsignedClaimScenario: Alipay signs every answer; the scenario's S comes
// without its signature while payQuery keeps showing PAYING: never done.
func TestUnsignedClaimScenario(t *testing.T) {
	e := newEnv(t)
	e.create(simkit.Payment{MerchantOrderNo: "M-UC", Scenario: simkit.Scenario{UnsignedClaim: true}})
	for i := 0; i < 2; i++ {
		if o := e.cancel("M-UC"); o.Kind != providers.Unknown || o.Code != providers.CodeUnverified {
			t.Fatalf("attempt %d: %s", i+1, o)
		}
	}
	p := e.payment("M-UC")
	if p.State != simkit.Paying || p.EffectiveCancels() != 0 || p.Cancels[0].Result != simkit.CancelClaimed {
		t.Fatalf("payment %+v", p)
	}
	want(t, e.queryCancel("M-UC"), providers.Pending, "", "PAYING")
}

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
