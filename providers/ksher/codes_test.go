package ksher

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paycancel/paycancel/providers"
)

// Every documented cancel_order code (the Order Cancel page), row by row.
func TestCancelCodeTable(t *testing.T) {
	rows := []struct {
		body    string
		kind    providers.Kind
		reason  providers.Reason
		code    string
		confirm bool
	}{
		{`{"code":0,"msg":"操作成功","data":"取消成功","message":"操作成功"}`, providers.Pending, "", "0", true},
		{`{ "code": -1, "msg": "商户信息错误", "message": "商户信息错误"}`, providers.Failed, providers.ReasonInvalidRequest, "-1", false},
		{`{ "code": -2, "msg": "验证商户签名失败", "message": "验证商户签名失败"}`, providers.Failed, providers.ReasonConfiguration, "-2", false},
		{`{ "code": -3, "msg": "该订单不存在", "message": "该订单不存在"}`, providers.Failed, providers.ReasonNotFound, "-3", false},
		{`{ "code": -4, "msg": "该订单已支付成功,不能进行此操作", "message": "该订单已支付成功,不能进行此操作"}`, providers.Failed, providers.ReasonAlreadyPaid, "-4", false},
		{`{ "code": -5, "msg": "该订单已被取消,不能重复进行此操作", "message": "该订单已被取消,不能重复进行此操作"}`, providers.AlreadyDone, "", "-5", false},
		{`{ "code": -6, "msg": "取消订单失败", "message": "取消订单失败"}`, providers.Unknown, "", "-6", false},
		// unlisted codes: Unknown, never a guess
		{`{"code":-7,"msg":"?"}`, providers.Unknown, "", "-7", false},
		{`{"code":1,"msg":"?"}`, providers.Unknown, "", "1", false},
		{`{"code":"-4","msg":"string code"}`, providers.Failed, providers.ReasonAlreadyPaid, "-4", false},
	}
	for _, r := range rows {
		o, confirm := interpretCancel(providers.Response{Status: 200, Body: []byte(r.body)})
		if o.Kind != r.kind || o.Reason != r.reason || o.Code != r.code || confirm != r.confirm {
			t.Errorf("%s\n  got %v confirm=%v; want %s/%s code=%s confirm=%v", r.body, o, confirm, r.kind, r.reason, r.code, r.confirm)
		}
	}
	// the table itself holds exactly the documented codes
	for code := -6; code <= 0; code++ {
		if _, ok := CancelCodes[code]; !ok {
			t.Errorf("code %d missing from CancelCodes", code)
		}
	}
	if len(CancelCodes) != 7 {
		t.Errorf("CancelCodes has %d rows, want 7", len(CancelCodes))
	}
	// Every row arrives unsigned: the rows that decide are exactly the two claims
	// Cancel confirms (-4, -5), and unconfirmed they are Unknown.
	for code, c := range CancelCodes {
		o := providers.Outcome{Kind: c.Kind, Reason: c.Reason}
		if providers.Decides(o) != (code == -4 || code == -5) {
			t.Errorf("code %d: decides=%v", code, providers.Decides(o))
		}
		if got := providers.Unsigned(o, nil); providers.Decides(got) {
			t.Errorf("code %d unconfirmed decides: %s", code, got)
		}
	}
	for code, c := range QueryCodes {
		if providers.Decides(providers.Outcome{Kind: c.Kind, Reason: c.Reason}) {
			t.Errorf("query code %d (unsigned) decides", code)
		}
	}
}

func TestCancelBadAnswers(t *testing.T) {
	for _, r := range []struct {
		resp providers.Response
		kind providers.Kind
		code string
	}{
		{providers.Response{Status: 200, Body: []byte(`<html>`)}, providers.Unknown, providers.CodeBadResponse},
		{providers.Response{Status: 200, Body: []byte(`{"msg":"no code"}`)}, providers.Unknown, providers.CodeBadResponse},
		{providers.Response{Status: 200, Body: []byte(`{"code":"x"}`)}, providers.Unknown, providers.CodeBadResponse},
		{providers.Response{Status: 200, Body: []byte(``)}, providers.Unknown, providers.CodeBadResponse},
		{providers.Response{Status: 502, Body: []byte(`bad gateway`)}, providers.Unknown, providers.CodeHTTPStatus},
		{providers.Response{Status: 429, Header: http.Header{"Retry-After": {"9"}}}, providers.Failed, "HTTP_429"},
	} {
		o, confirm := interpretCancel(r.resp)
		if o.Kind != r.kind || o.Code != r.code || confirm {
			t.Errorf("%d %q: got %v", r.resp.Status, r.resp.Body, o)
		}
	}
	o, _ := interpretCancel(providers.Response{Status: 429, Header: http.Header{"Retry-After": {"9"}}})
	if o.Reason != providers.ReasonRateLimited || o.RetryAfter != 9*time.Second {
		t.Errorf("429: %v retry %v", o, o.RetryAfter)
	}
}

// signedQuery builds a gateway_order_query reply signed with key as Ksher would.
func signedQuery(t *testing.T, data map[string]any) []byte {
	t.Helper()
	raw, _ := json.Marshal(data)
	sig, err := SignData(testMerchantKey(t), raw)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"code": 0, "msg": "操作成功", "data": json.RawMessage(raw), "sign": sig, "message": "操作成功"})
	return b
}

// Every documented data.result, row by row: payment state, and the cancel derived from it.
func TestPaymentResultTable(t *testing.T) {
	pub := &testMerchantKey(t).PublicKey // plays Ksher's key here
	rows := []struct {
		result  string
		state   providers.PaymentState
		queryOK providers.Kind // PaymentStatus.Outcome.Kind
		cancel  providers.Kind
		reason  providers.Reason
	}{
		{"SUCCESS", providers.PaymentPaid, providers.Succeeded, providers.Failed, providers.ReasonAlreadyPaid},
		{"CLOSED", providers.PaymentClosed, providers.Succeeded, providers.Succeeded, ""},
		{"NOTPAY", providers.PaymentPending, providers.Succeeded, providers.Pending, ""},
		{"USERPAYING", providers.PaymentPending, providers.Succeeded, providers.Pending, ""},
		{"PENDING", providers.PaymentPending, providers.Succeeded, providers.Pending, ""},
		{"PAYERROR", providers.PaymentFailed, providers.Succeeded, providers.Pending, ""},
		{"REFUND", providers.PaymentRefunded, providers.Succeeded, providers.Failed, providers.ReasonAlreadyPaid},
		{"NOTSURE", providers.PaymentUnknown, providers.Succeeded, providers.Unknown, ""},
		{"FAIL", providers.PaymentUnknown, providers.Unknown, providers.Unknown, ""},
		{"SOMETHING_NEW", providers.PaymentUnknown, providers.Unknown, providers.Unknown, ""},
	}
	for _, r := range rows {
		body := signedQuery(t, map[string]any{"mch_order_no": "O1", "result": r.result, "total_fee": 100})
		st := interpretQuery(pub, providers.Response{Status: 200, Body: body}, "O1")
		if st.State != r.state || st.Outcome.Kind != r.queryOK {
			t.Errorf("%s: payment %s outcome %v; want %s / %s", r.result, st.State, st.Outcome, r.state, r.queryOK)
		}
		if o := cancelFromPayment(st); o.Kind != r.cancel || o.Reason != r.reason {
			t.Errorf("%s: cancel %v; want %s/%s", r.result, o, r.cancel, r.reason)
		}
		if _, ok := PaymentResults[r.result]; !ok && r.result != "SOMETHING_NEW" {
			t.Errorf("%s missing from PaymentResults", r.result)
		}
	}
	if len(PaymentResults) != 9 {
		t.Errorf("PaymentResults has %d rows, want 9", len(PaymentResults))
	}
}

func TestQueryCodesAndChecks(t *testing.T) {
	pub := &testMerchantKey(t).PublicKey
	rows := []struct {
		name   string
		resp   providers.Response
		state  providers.PaymentState
		kind   providers.Kind
		reason providers.Reason
		code   string
	}{
		{"-1", providers.Response{Status: 200, Body: []byte(`{"code":-1,"msg":"商户信息错误"}`)}, providers.PaymentUnknown, providers.Failed, providers.ReasonInvalidRequest, "-1"},
		{"-2", providers.Response{Status: 200, Body: []byte(`{"code":-2,"msg":"验证商户签名失败"}`)}, providers.PaymentUnknown, providers.Failed, providers.ReasonConfiguration, "-2"},
		{"-3", providers.Response{Status: 200, Body: []byte(`{"code":-3,"msg":"该订单不存在"}`)}, providers.PaymentNotFound, providers.Succeeded, "", "-3"},
		{"-9", providers.Response{Status: 200, Body: []byte(`{"code":-9}`)}, providers.PaymentUnknown, providers.Unknown, "", "-9"},
		{"string data", providers.Response{Status: 200, Body: []byte(`{"code":0,"data":"ok"}`)}, providers.PaymentUnknown, providers.Unknown, "", providers.CodeBadResponse},
		{"unsigned", providers.Response{Status: 200, Body: []byte(`{"code":0,"data":{"result":"CLOSED","mch_order_no":"O1"}}`)}, providers.PaymentUnknown, providers.Unknown, "", providers.CodeUnverified},
		{"bad sign", providers.Response{Status: 200, Body: []byte(`{"code":0,"data":{"result":"CLOSED","mch_order_no":"O1"},"sign":"00ff"}`)}, providers.PaymentUnknown, providers.Unknown, "", providers.CodeUnverified},
		{"other order", providers.Response{Status: 200, Body: signedQuery(t, map[string]any{"mch_order_no": "O2", "result": "CLOSED"})}, providers.PaymentUnknown, providers.Unknown, "", providers.CodeIDMismatch},
		{"garbage", providers.Response{Status: 200, Body: []byte(`{"oops": <not json`)}, providers.PaymentUnknown, providers.Unknown, "", providers.CodeBadResponse},
		{"503", providers.Response{Status: 503, Body: []byte(`down`)}, providers.PaymentUnknown, providers.Unknown, "", providers.CodeHTTPStatus},
		{"429", providers.Response{Status: 429}, providers.PaymentUnknown, providers.Failed, providers.ReasonRateLimited, "HTTP_429"},
	}
	for _, r := range rows {
		st := interpretQuery(pub, r.resp, "O1")
		if st.State != r.state || st.Outcome.Kind != r.kind || st.Outcome.Reason != r.reason || st.Outcome.Code != r.code {
			t.Errorf("%s: got %s %v; want %s %s/%s code=%s", r.name, st.State, st.Outcome, r.state, r.kind, r.reason, r.code)
		}
	}
}

// After cancel_order 0, the confirming query decides (see Cancel).
func TestConfirmCancel(t *testing.T) {
	accepted := providers.Outcome{Kind: providers.Pending, Code: "0", Message: "操作成功 / 取消成功"}
	ok := func(state providers.PaymentState, code string) providers.PaymentStatus {
		return providers.PaymentStatus{State: state, Code: code, Outcome: providers.Outcome{Kind: providers.Succeeded, Code: "0"}}
	}
	rows := []struct {
		st     providers.PaymentStatus
		kind   providers.Kind
		reason providers.Reason
	}{
		{ok(providers.PaymentClosed, "CLOSED"), providers.Succeeded, ""},
		{ok(providers.PaymentPaid, "SUCCESS"), providers.Failed, providers.ReasonAlreadyPaid},
		{ok(providers.PaymentRefunded, "REFUND"), providers.Failed, providers.ReasonAlreadyPaid},
		{ok(providers.PaymentPending, "NOTPAY"), providers.Pending, ""},
		{ok(providers.PaymentFailed, "PAYERROR"), providers.Pending, ""},
		{ok(providers.PaymentUnknown, "NOTSURE"), providers.Pending, ""},
		{ok(providers.PaymentNotFound, "-3"), providers.Pending, ""},
		{providers.PaymentStatus{State: providers.PaymentUnknown, Outcome: providers.UnknownOutcome(providers.CodeTransport, "timed out")}, providers.Pending, ""},
		{providers.PaymentStatus{State: providers.PaymentUnknown, Outcome: providers.UnknownOutcome(providers.CodeUnverified, "bad sign")}, providers.Pending, ""},
		{providers.PaymentStatus{State: providers.PaymentUnknown, Outcome: providers.FailedOutcome(providers.ReasonRateLimited, "HTTP_429", "")}, providers.Pending, ""},
	}
	for _, r := range rows {
		o := confirmCancel(accepted, r.st)
		if o.Kind != r.kind || o.Reason != r.reason {
			t.Errorf("%s/%v: got %v; want %s/%s", r.st.State, r.st.Outcome, o, r.kind, r.reason)
		}
	}
}

func ExampleCancelCodes() {
	for code := 0; code >= -6; code-- {
		c := CancelCodes[code]
		fmt.Println(strings.TrimSpace(fmt.Sprintf("%d %s %s", code, c.Kind, c.Reason)))
	}
	// Output:
	// 0 PENDING
	// -1 FAILED INVALID_REQUEST
	// -2 FAILED CONFIGURATION
	// -3 FAILED NOT_FOUND
	// -4 FAILED ALREADY_PAID
	// -5 ALREADY_DONE
	// -6 UNKNOWN
}
