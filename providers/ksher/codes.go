package ksher

import (
	"strconv"

	"github.com/paycancel/paycancel/providers"
)

// CancelCode is one documented cancel_order code (the Order Cancel page, "code msg") and what it means.
type CancelCode struct {
	Kind    providers.Kind
	Reason  providers.Reason
	Meaning string
}

// CancelCodes is the documented cancel_order code table (Ksher's "Order Cancel
// (Gateway Pay)" page: "code msg"). An unlisted code is Unknown (ask again), never a guess.
//
// Every cancel_order reply arrives UNSIGNED (the same page: the success reply is
// {"code":0,"data":"取消成功"} with no sign, and the failure replies carry no data).
// Under the trust rule (providers/trust.go) a row may classify a failure that leads
// to review or a retry, but a row that claims an effect is only a claim, confirmed
// inside the same call by the signed gateway_order_query (confirmClaim):
//
//	 0 cancelled            Pending here; Cancel confirms it (CLOSED → Succeeded)
//	-5 already cancelled    claim: CLOSED → AlreadyDone, SUCCESS → ALREADY_PAID, else Unknown
//	-4 already paid         claim: the same confirmation
//	-1 -2 -3 -6             failures / unknown: no confirmation needed
var CancelCodes = map[int]CancelCode{
	0:  {providers.Pending, providers.ReasonNone, "successful operation (unsigned: confirmed by gateway_order_query)"},
	-1: {providers.Failed, providers.ReasonInvalidRequest, "incorrect business information"}, // [I] 商户信息错误: the request's business data is wrong
	-2: {providers.Failed, providers.ReasonConfiguration, "failed to verify the merchant's signature"},
	-3: {providers.Failed, providers.ReasonNotFound, "the order does not exist"},
	-4: {providers.Failed, providers.ReasonAlreadyPaid, "the order has been paid; cannot cancel (claim: confirmed by gateway_order_query)"},
	-5: {providers.AlreadyDone, providers.ReasonNone, "the order has been cancelled already (claim: confirmed by gateway_order_query)"},
	-6: {providers.Unknown, providers.ReasonNone, "cancel order failed: query before deciding"},
}

// cancelCodeOutcome maps a cancel_order code (other than 0, which Cancel confirms).
func cancelCodeOutcome(code int, msg string) providers.Outcome {
	c, ok := CancelCodes[code]
	if !ok {
		return providers.Outcome{Kind: providers.Unknown, Code: strconv.Itoa(code), Message: "unlisted Ksher code: " + msg}
	}
	if msg == "" {
		msg = c.Meaning
	}
	return providers.Outcome{Kind: c.Kind, Reason: c.Reason, Code: strconv.Itoa(code), Message: msg}
}

// QueryCodes maps gateway_order_query's non-zero codes, which arrive unsigned (only
// a code-0 answer's data is signed). The query page does not list them; the
// gateway shares the cancel's codes ([I]): -1 bad business information, -2
// merchant signature rejected, -3 no such order. None decides a cancel. Anything
// else is Unknown.
var QueryCodes = map[int]CancelCode{
	-1: {providers.Failed, providers.ReasonInvalidRequest, "incorrect business information"},
	-2: {providers.Failed, providers.ReasonConfiguration, "failed to verify the merchant's signature"},
	-3: {providers.Failed, providers.ReasonNotFound, "the order does not exist"},
}

// PaymentResults maps gateway_order_query's data.result (Ksher "Order Query (Gateway Pay)", [C]).
// FAIL means the query itself failed: Unknown (ask again), as is NOTSURE.
var PaymentResults = map[string]providers.PaymentState{
	"SUCCESS":    providers.PaymentPaid,
	"CLOSED":     providers.PaymentClosed, // a cancelled order shows CLOSED
	"NOTPAY":     providers.PaymentPending,
	"USERPAYING": providers.PaymentPending,
	"PENDING":    providers.PaymentPending,
	"PAYERROR":   providers.PaymentFailed,
	"REFUND":     providers.PaymentRefunded,
	"NOTSURE":    providers.PaymentUnknown,
	"FAIL":       providers.PaymentUnknown,
}

// confirmClaim is what the signed gateway_order_query says about an unsigned -4
// or -5 (providers.Unsigned's confirmation): CLOSED → AlreadyDone (the order is
// closed: cancelled before), SUCCESS or REFUND → Failed/ALREADY_PAID (it was paid),
// anything else — not paid yet, PAYERROR, the query failing, not verifying or
// naming another order — decides nothing, and the claim stays Unknown.
func confirmClaim(st providers.PaymentStatus) providers.Outcome {
	d := cancelFromPayment(st)
	if d.Kind == providers.Succeeded {
		d.Kind = providers.AlreadyDone
		d.Message = "gateway_order_query shows the order CLOSED"
	}
	return d
}

// cancelFromPayment derives a cancel's outcome from the payment status (Ksher has no
// cancel query; Ksher's API notes: "confirm a cancel through gateway_order_query").
//
//	CLOSED          → Succeeded
//	SUCCESS         → Failed/ALREADY_PAID (also the "paid after cancel" signal: refund / review)
//	REFUND          → Failed/ALREADY_PAID ([I] it was paid; the cancel did not stop it)
//	NOTPAY, USERPAYING, PENDING → Pending (the close has not shown yet)
//	PAYERROR        → Pending ([I] an attempt failed but the order is not CLOSED: not confirmed)
//	-3              → Failed/NOT_FOUND
//	NOTSURE, FAIL, anything unlisted, query failures → the query's own Unknown/Failed outcome
func cancelFromPayment(st providers.PaymentStatus) providers.Outcome {
	if st.Outcome.Kind != providers.Succeeded {
		return st.Outcome
	}
	o := providers.Outcome{Code: st.Code, Message: st.Message}
	switch st.State {
	case providers.PaymentClosed:
		o.Kind = providers.Succeeded
	case providers.PaymentPaid, providers.PaymentRefunded:
		o.Kind, o.Reason = providers.Failed, providers.ReasonAlreadyPaid
	case providers.PaymentPending, providers.PaymentFailed:
		o.Kind = providers.Pending
	case providers.PaymentNotFound:
		o.Kind, o.Reason = providers.Failed, providers.ReasonNotFound
	default:
		o.Kind = providers.Unknown
	}
	return o
}
