package alipayplus

import (
	"encoding/json"
	"testing"

	"github.com/paycancel/paycancel/providers"
)

// TestAnswerAboutAnotherPayment: a verified answer naming another paymentId or
// paymentRequestId is Unknown — also the paymentRequestId we did not send but know.
func TestAnswerAboutAnotherPayment(t *testing.T) {
	for _, r := range []struct {
		sent             TargetRequest
		paymentID, reqID string
		ok               bool
	}{
		{TargetRequest{PaymentID: "P1", knownRequestID: "R1"}, "P1", "R1", true},
		{TargetRequest{PaymentID: "P1", knownRequestID: "R1"}, "P1", "", true},
		{TargetRequest{PaymentID: "P1", knownRequestID: "R1"}, "P2", "R1", false},
		{TargetRequest{PaymentID: "P1", knownRequestID: "R1"}, "P1", "R2", false},
		{TargetRequest{PaymentRequestID: "R1"}, "P9", "R1", true},
		{TargetRequest{PaymentRequestID: "R1"}, "", "R2", false},
	} {
		success := &Result{ResultStatus: StatusSuccess, ResultCode: "SUCCESS", ResultMessage: "Success"}
		body, _ := json.Marshal(CancelResponse{Result: success, PaymentID: r.paymentID, PaymentRequestID: r.reqID})
		o := cancelAnswer(body, r.sent)
		if (o.Kind == providers.Succeeded) != r.ok || (!r.ok && o.Code != providers.CodeIDMismatch) {
			t.Errorf("%+v answered %s/%s: %s", r.sent, r.paymentID, r.reqID, o)
		}
		body, _ = json.Marshal(InquiryResponse{Result: success, PaymentID: r.paymentID, PaymentRequestID: r.reqID, PaymentStatus: "CANCELLED"})
		ps := inquiryAnswer(body, r.sent)
		if (ps.State == providers.PaymentClosed) != r.ok {
			t.Errorf("inquiry %+v answered %s/%s: %+v", r.sent, r.paymentID, r.reqID, ps)
		}
	}
	// targetFor keeps the paymentRequestId it does not send, for the check.
	if r, _, _ := targetFor(providers.Target{MerchantOrderNo: "R1", ProviderPaymentID: "P1"}); r.knownRequestID != "R1" || r.PaymentRequestID != "" {
		t.Fatalf("targetFor %+v", r)
	}
}

// TestOrderStatusInvalidUnconfirmed: ORDER_STATUS_INVALID decides nothing when the
// signed inquiryPayment does not say SUCCESS (the confirmed case runs against the
// sandbox in providers/sim/alipayplussim).
func TestOrderStatusInvalidUnconfirmed(t *testing.T) {
	processing := providers.PaymentStatus{State: providers.PaymentPending, Code: "PROCESSING", Outcome: providers.Outcome{Kind: providers.Succeeded}}
	o := providers.Undocumented(providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonAlreadyPaid, Code: CodeOrderPaid},
		func() providers.Outcome { return cancelFromPayment(processing) })
	if o.Kind != providers.Unknown || o.Code != providers.CodeUnsignedClaim {
		t.Fatalf("unconfirmed: %s", o)
	}
}
