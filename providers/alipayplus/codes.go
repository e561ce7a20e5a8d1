package alipayplus

import (
	"fmt"
	"strings"

	"github.com/paycancel/paycancel/providers"
)

// codeRow is one documented result code and what it means for us.
type codeRow struct {
	// Status is the documented resultStatus ("S", "F", "U"; "F/U" where wallets
	// document it differently): an answer counts only with a status listed here,
	// and U is Unknown whatever the code (resultOutcome).
	Status string
	Kind   providers.Kind
	Reason providers.Reason
	// Source: [C] from the cancel API page or the wallets' published common codes, [I] inferred.
	Source string
}

// resultCodes maps every Alipay+ result code we know onto one outcome. It serves
// both /v2/payments/cancel and /v2/payments/inquiryPayment (the common codes are the
// same; CANCEL_WINDOW_EXCEED only comes from the cancel). A code not in this table is
// Unknown ("ask again"), never a guess. The wallet signs every answer, errors too:
// an unsigned one never reaches this table (Client.exchange: Unknown).
var resultCodes = map[string]codeRow{
	// the provider's API page, "Error codes".
	"SUCCESS":                     {"S", providers.Succeeded, providers.ReasonNone, "[C] the cancel API page"},
	"CANCEL_WINDOW_EXCEED":        {"F", providers.Failed, providers.ReasonWindowExpired, "[C] the cancel API page"},
	"ORDER_NOT_EXIST":             {"F", providers.Failed, providers.ReasonNotFound, "[C] the cancel API page"},
	"KEY_NOT_FOUND":               {"F", providers.Failed, providers.ReasonConfiguration, "[C] the cancel API page"},
	"CLIENT_INVALID":              {"F", providers.Failed, providers.ReasonConfiguration, "[C] the cancel API page"},
	"INVALID_SIGNATURE":           {"F", providers.Failed, providers.ReasonConfiguration, "[C] the cancel API page"},
	"METHOD_NOT_SUPPORTED":        {"F", providers.Failed, providers.ReasonConfiguration, "[C] the cancel API page"},
	"MEDIA_TYPE_NOT_ACCEPTABLE":   {"F", providers.Failed, providers.ReasonConfiguration, "[C] the cancel API page"},
	"MERCHANT_BALANCE_NOT_ENOUGH": {"F", providers.Failed, providers.ReasonRejected, "[C] the cancel API page"},
	// the cancel API page, "Result process logic": U means the cancel's result is unknown; send
	// the same cancel again (the provider's API pages).
	"UNKNOWN_EXCEPTION": {"U", providers.Unknown, providers.ReasonNone, "[C] the cancel API page"},

	// Common codes of the wallets' mini-program OpenAPI V2 ("Common error codes"):
	// not on the cancel page, but any API may answer them. Reason classes are ours [I].
	"PROCESS_FAIL":                 {"F", providers.Failed, providers.ReasonRejected, "[I] common code: general business failure, do not retry"},
	"PARAM_ILLEGAL":                {"F", providers.Failed, providers.ReasonInvalidRequest, "[I] common code"},
	"INVALID_API":                  {"F", providers.Failed, providers.ReasonConfiguration, "[I] common code: API not active for this client"},
	"ACCESS_DENIED":                {"F", providers.Failed, providers.ReasonConfiguration, "[I] common code"},
	"REQUEST_TRAFFIC_EXCEED_LIMIT": {"F/U", providers.Failed, providers.ReasonRateLimited, "[I] common code: back off and retry"},
	// inquiryPayment pages of some wallets list these spellings too.
	"INVALID_CLIENT":        {"F", providers.Failed, providers.ReasonConfiguration, "[I] inquiryPayment code"},
	"INVALID_CLIENT_STATUS": {"F", providers.Failed, providers.ReasonConfiguration, "[I] inquiryPayment code"},
	"NO_INTERFACE_DEF":      {"F", providers.Failed, providers.ReasonConfiguration, "[I] inquiryPayment code"},
	"FUNCTION_NOT_MATCH":    {"F", providers.Failed, providers.ReasonConfiguration, "[I] inquiryPayment code"},
	"MSG_PARSE_ERROR":       {"F", providers.Failed, providers.ReasonInvalidRequest, "[I] inquiryPayment code"},

	// CodeOrderPaid: a cancel of a payment that already succeeded. Alipay+ cancel
	// reverses authorisations, but a captured payment needs a refund; the API page lists no
	// code for it. The sandbox answers this code and we read it as ALREADY_PAID [I] —
	// a claim only: Cancel confirms it with the signed inquiryPayment (SUCCESS), else
	// Unknown.
	CodeOrderPaid: {"F", providers.Failed, providers.ReasonAlreadyPaid, "[I] our choice for cancelling a paid payment"},
}

// CodeOrderPaid is the code the sandbox answers for a cancel of a paid payment
// (Alipay+ wallets use ORDER_STATUS_INVALID for "the order's status does not allow
// this"); mapped to ALREADY_PAID [I].
const CodeOrderPaid = "ORDER_STATUS_INVALID"

// resultOutcome maps a result object onto an outcome. The status decides first:
// U (the /v2/payments/cancel page, "Result process logic": "the status of the
// cancellation result is unknown") is Unknown
// whatever the resultCode says; a code of the F table counts only with F, and
// SUCCESS only with S. Any other pairing is Unknown (ask again).
func resultOutcome(r Result) providers.Outcome {
	switch r.ResultStatus {
	case StatusSuccess, StatusFail:
	case StatusUnknown:
		return providers.Outcome{Kind: providers.Unknown, Code: r.ResultCode,
			Message: fmt.Sprintf("resultStatus U (result unknown): %s", r.ResultMessage)}
	default:
		return providers.UnknownOutcome(providers.CodeBadResponse, "resultStatus %q is not S, F or U (resultCode %q)", r.ResultStatus, r.ResultCode)
	}
	row, ok := resultCodes[r.ResultCode]
	if !ok {
		return providers.Outcome{Kind: providers.Unknown, Code: r.ResultCode,
			Message: fmt.Sprintf("unlisted resultCode (resultStatus %s): %s", r.ResultStatus, r.ResultMessage)}
	}
	if !strings.Contains(row.Status, r.ResultStatus) {
		return providers.Outcome{Kind: providers.Unknown, Code: r.ResultCode,
			Message: fmt.Sprintf("resultStatus %s contradicts resultCode %s (documented with %s): %s", r.ResultStatus, r.ResultCode, row.Status, r.ResultMessage)}
	}
	return providers.Outcome{Kind: row.Kind, Reason: row.Reason, Code: r.ResultCode, Message: r.ResultMessage}
}

// paymentStatuses maps inquiryPayment's paymentStatus (the wallets' inquiryPayment
// pages: SUCCESS, FAIL, PROCESSING; some add CANCELLED and AUTH_SUCCESS) [C].
var paymentStatuses = map[string]providers.PaymentState{
	"SUCCESS":    providers.PaymentPaid,    // [C]
	"FAIL":       providers.PaymentFailed,  // [C]
	"PROCESSING": providers.PaymentPending, // [C]
	// Some wallets add these [C]; what they mean for us is [I].
	"CANCELLED":    providers.PaymentClosed,
	"AUTH_SUCCESS": providers.PaymentPending, // authorised, not captured: still cancellable
}

// cancelFromPayment derives a cancel's outcome from the payment's status: Alipay+
// has no cancel query and no cancel notification.
//
//	CANCELLED          → Succeeded (the wallet reports the payment cancelled)
//	FAIL               → Failed/PAYMENT_CLOSED: the payment failed, no money moves,
//	                     and no wallet page says FAIL means cancelled — NOT_NEEDED with
//	                     the wallet's paymentFailReason, not CANCELLED
//	SUCCESS            → Failed/ALREADY_PAID
//	PROCESSING, AUTH_SUCCESS → Pending
func cancelFromPayment(ps providers.PaymentStatus) providers.Outcome {
	if ps.Outcome.Kind != providers.Succeeded {
		return ps.Outcome // the query itself failed: unknown, rate limited, configuration…
	}
	switch ps.State {
	case providers.PaymentClosed:
		return providers.Outcome{Kind: providers.Succeeded, Code: ps.Code, Message: "payment is cancelled"}
	case providers.PaymentFailed:
		msg := "payment FAIL: it failed on its own, nothing to cancel and no money moves"
		if ps.Message != "" {
			msg += " (" + ps.Message + ")"
		}
		return providers.FailedOutcome(providers.ReasonPaymentClosed, ps.Code, msg)
	case providers.PaymentPaid:
		return providers.FailedOutcome(providers.ReasonAlreadyPaid, ps.Code, "payment succeeded: refund instead of cancel")
	case providers.PaymentPending:
		return providers.Outcome{Kind: providers.Pending, Code: ps.Code, Message: "payment still in progress"}
	case providers.PaymentNotFound:
		return providers.FailedOutcome(providers.ReasonNotFound, ps.Code, ps.Message)
	}
	return providers.Outcome{Kind: providers.Unknown, Code: ps.Code, Message: "payment state " + string(ps.State)}
}
