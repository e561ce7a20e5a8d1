package gnete

import (
	"strconv"
	"strings"
	"testing"

	"github.com/paycancel/paycancel/providers"
)

type want struct {
	kind   providers.Kind
	reason providers.Reason
}

func check(t *testing.T, name string, got providers.Outcome, w want) {
	t.Helper()
	if got.Kind != w.kind || got.Reason != w.reason {
		t.Errorf("%s: got %s, want %s/%s", name, got, w.kind, w.reason)
	}
}

func TestResponseCodes(t *testing.T) {
	rows := []struct {
		code int
		msg  string
		want want
	}{
		{CodeSystem, "系统异常[渠道响应超时]", want{providers.Unknown, ""}},
		{CodeParams, "参数有误[reqTime不能为空]", want{providers.Failed, providers.ReasonInvalidRequest}},
		{CodeParams, "参数有误[订单不存在]", want{providers.Failed, providers.ReasonInvalidRequest}}, // 11 stays a request problem
		{CodeParams, "签名验证失败", want{providers.Failed, providers.ReasonConfiguration}},
		{CodeParams, "sign verify failed", want{providers.Failed, providers.ReasonConfiguration}},
		{CodeBusiness, "验签失败", want{providers.Failed, providers.ReasonConfiguration}},
		{CodeBusiness, "Signature failed", want{providers.Failed, providers.ReasonConfiguration}},
		{CodeBusiness, "订单不存在", want{providers.Failed, providers.ReasonNotFound}},
		{CodeBusiness, "撤销订单不存在 (cancel order does not exist)", want{providers.Failed, providers.ReasonNotFound}},
		{CodeBusiness, "Order does not exist", want{providers.Failed, providers.ReasonNotFound}},
		{CodeBusiness, "商户不存在或商户状态不可用", want{providers.Failed, providers.ReasonConfiguration}},
		{CodeBusiness, "商户应用与商户号不匹配", want{providers.Failed, providers.ReasonConfiguration}},
		{CodeBusiness, "订单已支付且超出当日撤销期限 (order already paid, outside the same-day cancel window)", want{providers.Failed, providers.ReasonWindowExpired}},
		{CodeBusiness, "超出当日撤销期限 (outside the same-day cancel window)", want{providers.Failed, providers.ReasonWindowExpired}},
		{CodeBusiness, "only orders of the same day can be cancelled", want{providers.Failed, providers.ReasonWindowExpired}},
		// Claims (unsigned): codeOutcome names what is claimed; only the signed pay
		// query may confirm it (TestUnsignedRowsNeverDecide, client tests).
		{CodeBusiness, "订单已支付", want{providers.Failed, providers.ReasonAlreadyPaid}},
		{CodeBusiness, "订单已关闭，无需撤销 (order already closed)", want{providers.Failed, providers.ReasonPaymentClosed}},
		{CodeBusiness, "订单已退款，无需撤销 (order already refunded)", want{providers.Failed, providers.ReasonAlreadyPaid}},
		{CodeBusiness, "订单已撤销", want{providers.AlreadyDone, ""}},
		{CodeBusiness, "订单已撤销 (order already cancelled)", want{providers.AlreadyDone, ""}},
		{CodeBusiness, "请求过于频繁，请稍后再试 (too many requests)", want{providers.Failed, providers.ReasonRateLimited}},
		{CodeBusiness, "mchOrderNo 和 payOrderId不能同时为空", want{providers.Failed, providers.ReasonInvalidRequest}},
		{CodeBusiness, "参数有误！", want{providers.Failed, providers.ReasonInvalidRequest}},
		{CodeBusiness, "订单支付中，暂不可撤销 (payment in progress)", want{providers.Failed, providers.ReasonRejected}},
		{CodeBusiness, "当前订单不可关闭", want{providers.Failed, providers.ReasonRejected}},
		{CodeBusiness, "", want{providers.Failed, providers.ReasonRejected}},
		{12, "数据库服务异常", want{providers.Unknown, ""}}, // undocumented for GNETE: ask again
		{5000, "新增失败", want{providers.Unknown, ""}},
	}
	for _, r := range rows {
		o, claim := codeOutcome(r.code, r.msg)
		check(t, r.msg, o, r.want)
		if claim != providers.Decides(o) {
			t.Errorf("%q: claim %v for %s: every deciding row, and only those, is a claim", r.msg, claim, o)
		}
		if !strings.Contains(o.Message, r.msg) || o.Code != strconv.Itoa(r.code) {
			t.Errorf("%q: code/message not kept: %s", r.msg, o)
		}
	}
	// Every documented code has a table row.
	for _, c := range []int{CodeSystem, CodeParams, CodeBusiness} {
		if _, ok := responseCodes[c]; !ok {
			t.Errorf("code %d missing from responseCodes", c)
		}
	}
}

func TestCancelStates(t *testing.T) {
	rows := []struct {
		state   int
		errCode string
		want    want
	}{
		{0, "", want{providers.Pending, ""}},
		{1, "", want{providers.Pending, ""}},
		{2, "", want{providers.Succeeded, ""}},
		{3, "", want{providers.Failed, providers.ReasonRejected}},
		{3, "1002", want{providers.Failed, providers.ReasonRejected}},
		{3, "REVERSE_EXPIRE", want{providers.Failed, providers.ReasonWindowExpired}},
		{3, "ORDERNOTEXIST", want{providers.Failed, providers.ReasonNotFound}},
		{3, "ACQ.TRADE_NOT_EXIST", want{providers.Failed, providers.ReasonNotFound}},
		{3, "SYSTEMERROR", want{providers.Unknown, ""}},
		{3, "ACQ.SYSTEM_ERROR", want{providers.Unknown, ""}},
		{3, "ACQ.REASON_TRADE_BEEN_FREEZEN", want{providers.Failed, providers.ReasonRejected}},
		{4, "", want{providers.Failed, providers.ReasonRejected}},
		{5, "", want{providers.Unknown, ""}},
		{-1, "", want{providers.Unknown, ""}},
	}
	for _, r := range rows {
		o := cancelStateOutcome(r.state, r.errCode, "", "C1")
		check(t, o.Code, o, r.want)
		if o.ProviderRef != "C1" {
			t.Errorf("state %d: ProviderRef %q", r.state, o.ProviderRef)
		}
	}
	if len(cancelStates) != 5 {
		t.Errorf("cancelStates has %d rows, want the 5 documented", len(cancelStates))
	}
}

func TestPayStates(t *testing.T) {
	rows := []struct {
		state   int
		payment providers.PaymentState
		cancel  want
	}{
		{0, providers.PaymentPending, want{providers.Pending, ""}},
		{1, providers.PaymentPending, want{providers.Pending, ""}},
		{2, providers.PaymentPaid, want{providers.Failed, providers.ReasonAlreadyPaid}},
		// Jeepay PayOrder: 3 支付失败, 6 订单关闭 — never paid, never cancelled:
		// NOT_NEEDED, not CANCELLED. 5 已退款 — it was paid. Only 4 已撤销 is a cancel.
		{3, providers.PaymentFailed, want{providers.Failed, providers.ReasonPaymentClosed}},
		{4, providers.PaymentClosed, want{providers.Succeeded, ""}},
		{5, providers.PaymentRefunded, want{providers.Failed, providers.ReasonAlreadyPaid}},
		{6, providers.PaymentClosed, want{providers.Failed, providers.ReasonPaymentClosed}},
	}
	for _, r := range rows {
		ps, ok := payStates[r.state]
		if !ok {
			t.Fatalf("pay state %d missing", r.state)
		}
		if ps.Payment != r.payment {
			t.Errorf("pay state %d: %s, want %s", r.state, ps.Payment, r.payment)
		}
		check(t, ps.Name, ps.Cancel, r.cancel)
	}
	if len(payStates) != len(rows) {
		t.Errorf("payStates has %d rows, want %d", len(payStates), len(rows))
	}
}

// TestUnsignedRowsNeverDecide: every non-zero code arrives unsigned, so no row of
// responseCodes and no message rule may decide a cancel unless it is marked a
// claim (confirmed by the signed pay query), and a claim reduced without a
// confirmation is Unknown.
func TestUnsignedRowsNeverDecide(t *testing.T) {
	for code, o := range responseCodes {
		if providers.Decides(o) {
			t.Errorf("code %d decides (%s) from an unsigned body", code, o)
		}
	}
	claims := 0
	for _, r := range messageRules {
		if providers.Decides(r.Outcome) != r.Claim {
			t.Errorf("rule %v: decides=%v but Claim=%v", r.Any, providers.Decides(r.Outcome), r.Claim)
		}
		if r.Claim {
			claims++
			o, claim := codeOutcome(CodeBusiness, r.Any[0])
			if !claim {
				t.Errorf("rule %v: codeOutcome does not flag the claim", r.Any)
			}
			if got := providers.Unsigned(o, nil); got.Kind != providers.Unknown || got.Code != providers.CodeUnsignedClaim {
				t.Errorf("rule %v: unconfirmed claim became %s", r.Any, got)
			}
		}
	}
	if claims != 4 {
		t.Errorf("%d claim rules, want 4 (already paid, cancelled, closed, refunded)", claims)
	}
}
