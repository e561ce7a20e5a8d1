package gnete

import (
	"strconv"
	"strings"

	"github.com/paycancel/paycancel/providers"
)

// Response codes (providers.md "gnete"; Jeepay's ApiCodeEnum) [C].
const (
	CodeOK       = 0    // processed: the outcome is in data.state
	CodeSystem   = 10   // system error: unknown, ask again
	CodeParams   = 11   // parameter error
	CodeBusiness = 9999 // business error (Jeepay's BizException): the text says which
)

// responseCodes maps every documented non-zero code to its outcome. Code 0 is
// decided by data.state (cancelStates / payStates); a code not listed here is
// Unknown (ask again), never a guess.
var responseCodes = map[int]providers.Outcome{
	CodeSystem:   {Kind: providers.Unknown},
	CodeParams:   {Kind: providers.Failed, Reason: providers.ReasonInvalidRequest},
	CodeBusiness: {Kind: providers.Failed, Reason: providers.ReasonRejected},
}

// cancelState is one documented value of a cancel order's state.
type cancelState struct {
	Name    string
	Outcome providers.Outcome
}

// cancelStates: seed 002 "Cancel status 0-Order generated 1-Cancel in progress
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
// a cancel when there is no cancel order to ask about.
type payState struct {
	Name    string
	Payment providers.PaymentState
	// Cancel answers QueryCancel without a cancelOrderId (provider.go: closed /
	// cancelled → Succeeded, paid → ALREADY_PAID, in progress → Pending).
	Cancel providers.Outcome
}

// payStates: Jeepay's pay order state "0-订单生成, 1-支付中, 2-支付成功, 3-支付失败,
// 4-已撤销, 5-已退款, 6-订单关闭" [C]; providers.md: state 4 means cancelled.
var payStates = map[int]payState{
	0: {"created", providers.PaymentPending, providers.Outcome{Kind: providers.Pending}},
	1: {"paying", providers.PaymentPending, providers.Outcome{Kind: providers.Pending}},
	2: {"success", providers.PaymentPaid, providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonAlreadyPaid}},
	// [I] a failed payment will never be paid: nothing left to cancel.
	3: {"fail", providers.PaymentFailed, providers.Outcome{Kind: providers.AlreadyDone}},
	4: {"cancelled", providers.PaymentClosed, providers.Outcome{Kind: providers.Succeeded}},
	// [I] paid, then refunded: the money went back, as a cancel would have done.
	5: {"refunded", providers.PaymentRefunded, providers.Outcome{Kind: providers.AlreadyDone}},
	// closed (by timeout or the close API): it will not be paid.
	6: {"closed", providers.PaymentClosed, providers.Outcome{Kind: providers.AlreadyDone}},
}

// messageRule refines a code 11/9999 answer by its text. [I] for all of them:
// GNETE documents no business error codes, only that msg says what went wrong
// ("Signature failed", "parameter format verification error"). The Chinese texts
// are Jeepay's own BizException messages; the English ones are what GNETE's
// English pages and the sandbox use. First match wins; case-insensitive.
type messageRule struct {
	Any     []string
	Outcome providers.Outcome
}

var messageRules = []messageRule{
	// Jeepay: "验签失败"; seed 002: "Signature failed". The merchant's secret is wrong.
	{[]string{"验签", "签名", "sign"}, providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonConfiguration}},
	// Jeepay: "订单不存在".
	{[]string{"订单不存在", "order not found", "order does not exist", "order not exist"}, providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonNotFound}},
	// Jeepay: "商户不存在或商户状态不可用", "商户应用不存在…", "商户应用与商户号不匹配".
	{[]string{"商户", "merchant", "mchno", "appid"}, providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonConfiguration}},
	// Seed 002: only completed orders of the same day can be cancelled.
	{[]string{"当日", "当天", "same day", "same-day", "window", "撤销期限", "expired"}, providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonWindowExpired}},
	{[]string{"已支付", "already paid"}, providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonAlreadyPaid}},
	// Closed or cancelled by other means: it will not be paid.
	{[]string{"已撤销", "已关闭", "已退款", "already cancel", "already closed", "already refunded"}, providers.Outcome{Kind: providers.AlreadyDone}},
	// [OPEN] GNETE documents no rate limit; a gateway in front of it may say so.
	{[]string{"频繁", "限流", "too many", "too frequent", "rate limit"}, providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonRateLimited}},
	{[]string{"参数", "为空", "param", "invalid", "too long"}, providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonInvalidRequest}},
}

// codeOutcome maps a non-zero response code and its message.
func codeOutcome(code int, msg string) providers.Outcome {
	base, ok := responseCodes[code]
	if !ok {
		return providers.UnknownOutcome(strconv.Itoa(code), "undocumented code %d: %s", code, msg)
	}
	o := base
	if o.Kind == providers.Failed {
		if r, hit := matchMessage(msg); hit {
			// Code 11 is always a request problem; of the message rules only the
			// signature one refines it (Configuration) [I].
			if code != CodeParams || r.Reason == providers.ReasonConfiguration {
				o = r
			}
		}
	}
	o.Code = strconv.Itoa(code)
	o.Message = msg
	return o
}

func matchMessage(msg string) (providers.Outcome, bool) {
	low := strings.ToLower(msg)
	for _, r := range messageRules {
		for _, s := range r.Any {
			if strings.Contains(low, s) {
				return r.Outcome, true
			}
		}
	}
	return providers.Outcome{}, false
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
