package ksher

import (
	"testing"

	"github.com/paycancel/paycancel/providers"
)

// TestClaimConfirmation: -5 and -4 decide only through the signed order query:
// CLOSED → AlreadyDone, SUCCESS/REFUND → ALREADY_PAID, anything else → Unknown.
func TestClaimConfirmation(t *testing.T) {
	answered := func(state providers.PaymentState, code string) providers.PaymentStatus {
		return providers.PaymentStatus{State: state, Code: code, Outcome: providers.Outcome{Kind: providers.Succeeded, Code: "0"}}
	}
	failed := func(o providers.Outcome) providers.PaymentStatus {
		return providers.PaymentStatus{State: providers.PaymentUnknown, Code: o.Code, Outcome: o}
	}
	rows := []struct {
		name   string
		st     providers.PaymentStatus
		kind   providers.Kind
		reason providers.Reason
	}{
		{"CLOSED", answered(providers.PaymentClosed, "CLOSED"), providers.AlreadyDone, ""},
		{"SUCCESS", answered(providers.PaymentPaid, "SUCCESS"), providers.Failed, providers.ReasonAlreadyPaid},
		{"REFUND", answered(providers.PaymentRefunded, "REFUND"), providers.Failed, providers.ReasonAlreadyPaid},
		{"NOTPAY", answered(providers.PaymentPending, "NOTPAY"), providers.Unknown, ""},
		{"USERPAYING", answered(providers.PaymentPending, "USERPAYING"), providers.Unknown, ""},
		{"PAYERROR", answered(providers.PaymentFailed, "PAYERROR"), providers.Unknown, ""},
		{"not found", providers.PaymentStatus{State: providers.PaymentNotFound, Code: "-3", Outcome: providers.Outcome{Kind: providers.Succeeded, Code: "-3"}}, providers.Unknown, ""},
		{"unsigned query", failed(providers.UnknownOutcome(providers.CodeUnverified, "not signed")), providers.Unknown, ""},
		{"another order", failed(providers.UnknownOutcome(providers.CodeIDMismatch, "O2")), providers.Unknown, ""},
		{"rate limited", failed(providers.FailedOutcome(providers.ReasonRateLimited, "HTTP_429", "")), providers.Unknown, ""},
	}
	for _, code := range []int{-5, -4} {
		for _, r := range rows {
			o := providers.Unsigned(cancelCodeOutcome(code, ""), func() providers.Outcome { return confirmClaim(r.st) })
			if o.Kind != r.kind || o.Reason != r.reason {
				t.Errorf("%d then %s: %s, want %s/%s", code, r.name, o, r.kind, r.reason)
			}
			if o.Kind == providers.Unknown && o.Code != providers.CodeUnsignedClaim {
				t.Errorf("%d then %s: code %s", code, r.name, o.Code)
			}
		}
	}
	// The failures need no confirmation and are never turned into a decision.
	for _, code := range []int{-1, -2, -3, -6} {
		asked := false
		o := providers.Unsigned(cancelCodeOutcome(code, ""), func() providers.Outcome { asked = true; return providers.Outcome{Kind: providers.AlreadyDone} })
		if asked || providers.Decides(o) {
			t.Errorf("%d: %s (asked %v)", code, o, asked)
		}
	}
}
