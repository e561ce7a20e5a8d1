package payermax

import (
	"strings"

	"github.com/paycancel/paycancel/providers"
)

// Result codes, outcome by outcome. Sources: the provider's API notes (payermax "Error
// codes") [C]; the error table of PayerMax's orderAndPay page
// (docs.payermax.com/public/api/cn/aggregate-pay_api_gateway_orderAndPay…) for
// REQ_TIME_OVER_TIME and TOO_MANY_REQUEST [C]; ORDER_NOT_EXIST from the sister API
// paymentOrderQry in PayerMax's OpenAPI file [I].

// codeOutcomes maps a top-level `code` other than APPLY_SUCCESS to its outcome. A
// code not listed here is Unknown: ask again, never a guess.
//
// Every row arrives UNSIGNED: PayerMax signs only APPLY_SUCCESS answers (its SDKs
// check the sign header only then). Under the trust rule (providers/trust.go) these
// rows classify failures that lead to review or a retry and none decides a cancel;
// readResponse passes them through providers.Unsigned, so a top-level code that
// claimed an effect ("ORDER_CANCELLED") could only ever be Unknown.
var codeOutcomes = map[string]providers.Outcome{
	// System exceptions: the request may or may not have been processed. Retry with
	// the same requestId. [C]
	"SYSTEM_ERROR":     {Kind: providers.Unknown},
	"REQUEST_TIMEOUT":  {Kind: providers.Unknown},
	"UNEXPECTED_ERROR": {Kind: providers.Unknown},
	// Merchant configuration: rejected before anything happened; do not retry. [C]
	"SIGN_VERIFY_FAILED":   {Kind: providers.Failed, Reason: providers.ReasonConfiguration},
	"MERCHANT_INVALID":     {Kind: providers.Failed, Reason: providers.ReasonConfiguration},
	"MERCHANT_APP_INVALID": {Kind: providers.Failed, Reason: providers.ReasonConfiguration},
	// requestTime more than two minutes off PayerMax's clock: the worker's clock is
	// wrong (a fresh requestTime is made for every attempt, so a retry from the same
	// machine fails the same way). [C] code, [I] class.
	"REQ_TIME_OVER_TIME": {Kind: providers.Failed, Reason: providers.ReasonConfiguration},
	// The request itself is wrong (length, type, missing field). [C]
	"PARAMS_INVALID": {Kind: providers.Failed, Reason: providers.ReasonInvalidRequest},
	// Concurrency limit: back off and retry. PayerMax documents no Retry-After. [C]
	"TOO_MANY_REQUEST": {Kind: providers.Failed, Reason: providers.ReasonRateLimited},
	// No such order. [I] (sister API paymentOrderQry; the cancel page lists no codes)
	"ORDER_NOT_EXIST": {Kind: providers.Failed, Reason: providers.ReasonNotFound},
}

// codeOutcome maps a top-level `code` (not APPLY_SUCCESS) and its msg.
func codeOutcome(code, msg string) providers.Outcome {
	o, ok := codeOutcomes[code]
	if !ok {
		o = providers.Outcome{Kind: providers.Unknown}
		if msg == "" {
			msg = "code not in the documented table"
		}
	}
	o.Code, o.Message = code, msg
	return o
}

// Cancel statuses (data.status of a cancel answer or notification). [C]
const (
	CancelSuccess = "SUCCESS"
	CancelFailed  = "FAILED"
	CancelPending = "PENDING"
)

// Cancel errorCodes (data.errorCode when data.status is FAILED). The cancel page
// documents the field but no values, so every entry here is [I]: these are also the
// codes the sandbox sends.
const (
	ErrCodeAlreadyCancelled = "ORDER_ALREADY_CANCELLED" // cancelled before under another requestId
	ErrCodeCaptured         = "ORDER_CAPTURED"          // captured: money moved; refund instead
	ErrCodeAuthExpired      = "AUTH_EXPIRED"            // the uncaptured authorisation lapsed (7 days)
	ErrCodeOrderNotExist    = "ORDER_NOT_EXIST"         // no such order
	ErrCodeOrderProcessing  = "ORDER_PROCESSING"        // the authorisation is still under way
	ErrCodeCancelNotAllowed = "CANCEL_NOT_ALLOWED"      // any other refusal
)

// cancelErrorOutcomes maps data.errorCode of a FAILED cancel. [I] throughout: the
// answer is signed, but no PayerMax document, OpenAPI file or SDK lists these codes,
// so a row that would decide the cancel (already cancelled, already paid) is only a
// claim: interpretCancel's caller confirms it with the signed orderQuery
// (providers.Undocumented; CLOSED → done, SUCCESS → paid, FAILED → not needed),
// else Unknown. The other rows lead to review.
var cancelErrorOutcomes = map[string]providers.Outcome{
	ErrCodeAlreadyCancelled: {Kind: providers.AlreadyDone},                                 // claim
	"ORDER_CANCELLED":       {Kind: providers.AlreadyDone},                                 // claim
	ErrCodeCaptured:         {Kind: providers.Failed, Reason: providers.ReasonAlreadyPaid}, // claim
	"ORDER_PAID":            {Kind: providers.Failed, Reason: providers.ReasonAlreadyPaid}, // claim
	ErrCodeAuthExpired:      {Kind: providers.Failed, Reason: providers.ReasonWindowExpired},
	ErrCodeOrderNotExist:    {Kind: providers.Failed, Reason: providers.ReasonNotFound},
	ErrCodeOrderProcessing:  {Kind: providers.Failed, Reason: providers.ReasonRejected},
	ErrCodeCancelNotAllowed: {Kind: providers.Failed, Reason: providers.ReasonRejected},
}

// cancelFailure maps a FAILED cancel. FAILED is definite, so an errorCode outside
// the table is still a failure; its reason is read from the code's words
// (…NOT_EXIST/…NOT_FOUND → not found, …CAPTURED/…PAID → already paid,
// …EXPIRED/…WINDOW → window expired) and is Rejected otherwise. [I]
func cancelFailure(errorCode, errorMsg string) providers.Outcome {
	o, ok := cancelErrorOutcomes[errorCode]
	if !ok {
		o = providers.Outcome{Kind: providers.Failed, Reason: failureReasonFromWords(errorCode)}
	}
	o.Code, o.Message = errorCode, errorMsg
	if o.Code == "" {
		o.Code = CancelFailed
	}
	return o
}

func failureReasonFromWords(code string) providers.Reason {
	words := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToUpper(code), func(r rune) bool { return r == '_' || r == '-' || r == '.' || r == ' ' }) {
		words[w] = true
	}
	switch {
	case words["NOT"] && (words["EXIST"] || words["EXISTS"] || words["FOUND"]):
		return providers.ReasonNotFound
	case words["CAPTURED"] || words["CAPTURE"] || words["PAID"]:
		return providers.ReasonAlreadyPaid
	case words["EXPIRED"] || words["EXPIRE"] || words["WINDOW"]:
		return providers.ReasonWindowExpired
	}
	return providers.ReasonRejected
}

// cancelStatusOutcome maps data.status of a cancel answer or notification. An
// unknown status is Unknown.
func cancelStatusOutcome(r CancelResult) providers.Outcome {
	var o providers.Outcome
	switch string(r.Status) {
	case CancelSuccess:
		o = providers.Outcome{Kind: providers.Succeeded, Code: CancelSuccess}
		if !r.SucceededTime.Time.IsZero() {
			o.Message = "cancelled at " + r.SucceededTime.Time.UTC().Format("2006-01-02T15:04:05Z07:00")
		}
	case CancelPending:
		o = providers.Outcome{Kind: providers.Pending, Code: CancelPending, Message: "cancel accepted; wait for the notification or query the order"}
	case CancelFailed:
		o = cancelFailure(string(r.ErrorCode), string(r.ErrorMsg))
	default:
		o = providers.UnknownOutcome(providers.CodeBadResponse, "unknown cancel status %q", providers.Snippet([]byte(r.Status)))
	}
	o.ProviderRef = string(r.CancelNo)
	return o
}

// Payment statuses of orderQuery (data.status): PayerMax's OpenAPI file, orderQuery
// response "status … SUCCESS-支付成功，FAILED -支付失败，CLOSED-关单" (paid, payment
// failed, order closed), with PENDING from the transaction-status appendix. [C]
// Unlisted statuses are PaymentUnknown (providers.StateOf).
var paymentStates = map[string]providers.PaymentState{
	"SUCCESS": providers.PaymentPaid,
	"PENDING": providers.PaymentPending,
	"FAILED":  providers.PaymentFailed,
	// "The user did not complete the payment within the validity period." What an
	// authorisation shows after a successful cancel is [OPEN]: CLOSED is taken as
	// closed by the cancel.
	"CLOSED": providers.PaymentClosed,
}

// cancelFromPayment derives a cancel's outcome from the payment's state, for
// QueryCancel: PayerMax has no cancel query, only the cancel notification and
// orderQuery.
//
//	CLOSED  → Succeeded [OPEN]: the only status an authorisation can show once
//	          cancelled (关单, order closed); closed, the money will not move either way
//	FAILED  → Failed/PAYMENT_CLOSED: 支付失败, the payment failed on its own — nothing
//	          was authorised or cancelled, no money moves: NOT_NEEDED, not CANCELLED
//	SUCCESS → Failed/ALREADY_PAID
//	PENDING → Pending
//
// [OPEN] In PayerMax's auth-capture flow the authorisation notification reports an
// authorised-not-captured payment as status SUCCESS (captureMode MANUAL), so
// orderQuery may well show SUCCESS for an authorisation that can still be
// cancelled. SUCCESS is read as paid (captured): the safe side, since ALREADY_PAID
// sends the cancel to review rather than closing it. Likewise PENDING cannot tell
// "cancel in flight" from "cancel never arrived"; a caller that keeps seeing Pending
// should resend the cancel with the same requestId.
func cancelFromPayment(st providers.PaymentState, code, msg string) providers.Outcome {
	switch st {
	case providers.PaymentClosed:
		return providers.Outcome{Kind: providers.Succeeded, Code: code, Message: "order CLOSED: authorisation cancelled"}
	case providers.PaymentFailed:
		text := "order FAILED: the payment failed, nothing to cancel and no money moves"
		if msg != "" {
			text += " (" + msg + ")"
		}
		return providers.FailedOutcome(providers.ReasonPaymentClosed, code, text)
	case providers.PaymentPaid:
		return providers.FailedOutcome(providers.ReasonAlreadyPaid, code, "order SUCCESS: payment captured")
	case providers.PaymentPending:
		return providers.Outcome{Kind: providers.Pending, Code: code, Message: "order still PENDING"}
	case providers.PaymentNotFound:
		return providers.FailedOutcome(providers.ReasonNotFound, code, "order does not exist")
	}
	return providers.UnknownOutcome(code, "order status %q: cannot tell whether the cancel took effect", code)
}
