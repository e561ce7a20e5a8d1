package gnete

import (
	"strconv"
	"strings"

	"github.com/paycancel/paycancel/providers"
)

// Response codes (GNETE's "Unified Cancel" page, "Return parameters"; Jeepay's
// ApiCodeEnum) [C].
//
// Only a code-0 answer is signed (its data); every non-zero answer arrives
// UNSIGNED — Jeepay's ApiRes.fail/customFail carry no data and so no sign. Under
// the trust rule (providers/trust.go) a non-zero answer may classify a failure
// that leads to review or a retry, never decide the cancel: a claim in its text
// ("already cancelled", "already paid", "closed") is confirmed by the signed
// /api/pay/query inside the same call (Client.confirmClaim).
const (
	CodeOK       = 0    // processed: the outcome is in data.state (signed)
	CodeSystem   = 10   // system error: unknown, ask again (unsigned)
	CodeParams   = 11   // parameter error (unsigned)
	CodeBusiness = 9999 // business error (Jeepay's BizException): the text says which (unsigned)
)

// responseCodes maps every documented non-zero code to its outcome. Code 0 is
// decided by data.state (cancelStates / payStates); a code not listed here is
// Unknown (ask again), never a guess. Every row arrives unsigned.
var responseCodes = map[int]providers.Outcome{
	CodeSystem:   {Kind: providers.Unknown},                                        // unsigned
	CodeParams:   {Kind: providers.Failed, Reason: providers.ReasonInvalidRequest}, // unsigned: review
	CodeBusiness: {Kind: providers.Failed, Reason: providers.ReasonRejected},       // unsigned: review, or refined by messageRules
}

// cancelState is one documented value of a cancel order's state.
type cancelState struct {
	Name    string
	Outcome providers.Outcome
}

// cancelStates: the Unified Cancel page "Cancel status 0-Order generated 1-Cancel in progress
// 2-Cancel success 3-Cancel failure 4-Cancel closed" [C].
var cancelStates = map[int]cancelState{
	0: {"created", providers.Outcome{Kind: providers.Pending}},
	1: {"cancelling", providers.Outcome{Kind: providers.Pending}},
	2: {"success", providers.Outcome{Kind: providers.Succeeded}},
	3: {"failure", providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonRejected}},
	// [I] "closed" means the cancel order was closed without taking effect.
	4: {"closed", providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonRejected}},
}

// channelErrCodes refine a failed cancel (state 3/4) by the channel's errCode
// [I]: GNETE does not list its channels' codes; these are the wallets' own cancel /
// reverse error codes that Jeepay passes through. Anything else stays Rejected.
var channelErrCodes = map[string]providers.Outcome{
	"REVERSE_EXPIRE":                {Kind: providers.Failed, Reason: providers.ReasonWindowExpired}, // WeChat Pay: past the reverse window
	"ORDERNOTEXIST":                 {Kind: providers.Failed, Reason: providers.ReasonNotFound},      // WeChat Pay
	"ACQ.TRADE_NOT_EXIST":           {Kind: providers.Failed, Reason: providers.ReasonNotFound},      // Alipay
	"SYSTEMERROR":                   {Kind: providers.Unknown},                                       // WeChat Pay: ask again
	"ACQ.SYSTEM_ERROR":              {Kind: providers.Unknown},                                       // Alipay: ask again
	"ACQ.REASON_TRADE_BEEN_FREEZEN": {Kind: providers.Failed, Reason: providers.ReasonRejected},
}

// payState is one documented value of a payment's state, with what it says about
// a cancel.
type payState struct {
	Name    string
	Payment providers.PaymentState
	// Cancel is what this state, in a signed pay-query answer naming our order,
	// says about the cancel: it answers QueryCancel without a cancelOrderId, and it
	// is what confirms a "cancel success" or an unsigned claim (confirmClaim).
	Cancel providers.Outcome
}

// payStates: the pay order's state as Jeepay defines it (jeequan/jeepay,
// jeepay-core/.../entity/PayOrder.java: "STATE_INIT = 0 订单生成, STATE_ING = 1
// 支付中, STATE_SUCCESS = 2 支付成功, STATE_FAIL = 3 支付失败, STATE_CANCEL = 4
// 已撤销, STATE_REFUND = 5 已退款, STATE_CLOSED = 6 订单关闭") [C]. Only state 4
// (已撤销, cancelled) proves a cancel. A failed (3) or closed (6) payment never moved
// money and was not cancelled: Failed/PAYMENT_CLOSED, NOT_NEEDED with the
// gateway's words. A refunded one (5) was paid: Failed/ALREADY_PAID, a human
// decides (it is not a cancel; the refund is the merchant's record).
var payStates = map[int]payState{
	0: {"created", providers.PaymentPending, providers.Outcome{Kind: providers.Pending}},
	1: {"paying", providers.PaymentPending, providers.Outcome{Kind: providers.Pending}},
	2: {"success", providers.PaymentPaid, providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonAlreadyPaid}},
	3: {"failed", providers.PaymentFailed, providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonPaymentClosed}},
	4: {"cancelled", providers.PaymentClosed, providers.Outcome{Kind: providers.Succeeded}},
	5: {"refunded", providers.PaymentRefunded, providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonAlreadyPaid}},
	6: {"closed", providers.PaymentClosed, providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonPaymentClosed}},
}

// payStateOutcome is what a verified pay-query state says about the cancel.
func payStateOutcome(state int) providers.Outcome {
	code := "payState=" + strconv.Itoa(state)
	ps, known := payStates[state]
	if !known {
		return providers.UnknownOutcome(code, "undocumented payment state %d", state)
	}
	o := ps.Cancel
	o.Code = code
	o.Message = "payment " + ps.Name
	return o
}

// messageRule refines a code 11/9999 answer by its text. [I] for all of them:
// GNETE documents no business error codes, only that msg says what went wrong
// ("Signature failed", "parameter format verification error"). The Chinese texts
// are Jeepay's own BizException messages; the English ones are what GNETE's
// English pages and the sandbox use. First match wins; case-insensitive.
//
// The text is unsigned, so a rule may classify a failure that leads to review or a
// retry, but never decide the cancel: the "already cancelled / closed / refunded /
// paid" rules produce a claim (Claim set), which Cancel confirms with the signed
// pay query and otherwise reports as Unknown.
type messageRule struct {
	Any     []string
	Outcome providers.Outcome
	// Claim: the text claims an effect; Outcome is the claim, never the answer.
	Claim bool
}

var messageRules = []messageRule{
	// Jeepay: "验签失败"; the Unified Cancel page: "Signature failed". The merchant's secret is wrong.
	{Any: []string{"验签", "签名", "sign"}, Outcome: providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonConfiguration}},
	// Jeepay: "订单不存在".
	{Any: []string{"订单不存在", "order not found", "order does not exist", "order not exist"}, Outcome: providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonNotFound}},
	// Jeepay: "商户不存在或商户状态不可用", "商户应用不存在…", "商户应用与商户号不匹配".
	{Any: []string{"商户", "merchant", "mchno", "appid"}, Outcome: providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonConfiguration}},
	// Seed 002: only completed orders of the same day can be cancelled.
	{Any: []string{"当日", "当天", "same day", "same-day", "window", "撤销期限", "expired"}, Outcome: providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonWindowExpired}},
	// Claims (unsigned): confirmed by the signed pay query, else Unknown.
	{Any: []string{"已支付", "already paid"}, Claim: true, Outcome: providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonAlreadyPaid}},
	{Any: []string{"已撤销", "already cancel"}, Claim: true, Outcome: providers.Outcome{Kind: providers.AlreadyDone}},
	{Any: []string{"已关闭", "already closed"}, Claim: true, Outcome: providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonPaymentClosed}},
	{Any: []string{"已退款", "already refunded"}, Claim: true, Outcome: providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonAlreadyPaid}},
	// [OPEN] GNETE documents no rate limit; a gateway in front of it may say so.
	{Any: []string{"频繁", "限流", "too many", "too frequent", "rate limit"}, Outcome: providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonRateLimited}},
	{Any: []string{"参数", "为空", "param", "invalid", "too long"}, Outcome: providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonInvalidRequest}},
}

// codeOutcome maps a non-zero response code and its message. The answer is
// unsigned: an outcome that would decide the cancel comes back as a claim
// (claim true) for the caller to confirm with the signed pay query
// (providers.Unsigned); the others classify a failure or a retry.
func codeOutcome(code int, msg string) (o providers.Outcome, claim bool) {
	base, ok := responseCodes[code]
	if !ok {
		return providers.UnknownOutcome(strconv.Itoa(code), "undocumented code %d: %s", code, msg), false
	}
	o = base
	if o.Kind == providers.Failed {
		if r, hit := matchMessage(msg); hit {
			// Code 11 is always a request problem; of the message rules only the
			// signature one refines it (Configuration) [I].
			if code != CodeParams || r.Outcome.Reason == providers.ReasonConfiguration {
				o, claim = r.Outcome, r.Claim
			}
		}
	}
	o.Code = strconv.Itoa(code)
	o.Message = msg
	return o, claim
}

func matchMessage(msg string) (messageRule, bool) {
	low := strings.ToLower(msg)
	for _, r := range messageRules {
		for _, s := range r.Any {
			if strings.Contains(low, s) {
				return r, true
			}
		}
	}
	return messageRule{}, false
}

// cancelStateOutcome maps a code-0 cancel (or cancel query) answer.
func cancelStateOutcome(state int, errCode, errMsg, cancelOrderID string) providers.Outcome {
	st, ok := cancelStates[state]
	code := "state=" + strconv.Itoa(state)
	if errCode != "" {
		code += " errCode=" + errCode
	}
	if !ok {
		o := providers.UnknownOutcome(code, "undocumented cancel state %d", state)
		o.ProviderRef = cancelOrderID
		return o
	}
	o := st.Outcome
	if o.Kind == providers.Failed {
		if refined, hit := channelErrCodes[strings.ToUpper(errCode)]; hit {
			o = refined
		}
	}
	o.Code = code
	o.Message = "cancel " + st.Name
	if errMsg != "" {
		o.Message += ": " + errMsg
	}
	o.ProviderRef = cancelOrderID
	return o
}
