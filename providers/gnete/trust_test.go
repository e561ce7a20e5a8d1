package gnete

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/paycancel/paycancel/providers"
)

// The trust rule (providers/trust.go) for GNETE: a cancel is proven only by the
// signed pay query naming our order with state 4; unsigned bodies and signed
// answers about another order decide nothing.

// fakeGateway answers the cancel with a scripted body and the queries with
// scripted data, signed with testSecret unless unsigned.
type fakeGateway struct {
	cancel      map[string]any // the whole answer of /api/pay/cancel
	payData     map[string]any // data of /api/pay/query (signed); nil: code 9999 "订单不存在"
	cancelData  map[string]any // data of /api/cancel/query (signed)
	unsignedPay bool
	payQueries  int
}

func (f *fakeGateway) start(t *testing.T) *Client {
	t.Helper()
	ok := func(w http.ResponseWriter, data map[string]any, signed bool) {
		resp := map[string]any{"code": 0, "msg": "SUCCESS", "data": data}
		if signed {
			resp["sign"] = Sign(data, testSecret)
		}
		_ = json.NewEncoder(w).Encode(resp)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+PathCancel, func(w http.ResponseWriter, r *http.Request) { _ = json.NewEncoder(w).Encode(f.cancel) })
	mux.HandleFunc("POST "+PathPayQuery, func(w http.ResponseWriter, r *http.Request) {
		f.payQueries++
		if f.payData == nil {
			_ = json.NewEncoder(w).Encode(map[string]any{"code": CodeBusiness, "msg": "订单不存在"})
			return
		}
		ok(w, f.payData, !f.unsignedPay)
	})
	mux.HandleFunc("POST "+PathCancelQuery, func(w http.ResponseWriter, r *http.Request) { ok(w, f.cancelData, true) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL, MchNo: devMchNo, AppID: devAppID, AppSecret: providers.SecretRef{Value: testSecret}},
		providers.Deps{HTTPClient: &http.Client{Timeout: 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func payData(order, payOrderID string, state int) map[string]any {
	return map[string]any{"payOrderId": payOrderID, "mchOrderNo": order, "mchNo": devMchNo, "appId": devAppID, "state": state, "amount": 100}
}

func signedCancel(ref string, state int) map[string]any {
	data := map[string]any{"cancelOrderId": ref, "state": state, "errCode": "", "errMsg": ""}
	return map[string]any{"code": 0, "msg": "SUCCESS", "data": data, "sign": Sign(data, testSecret)}
}

// TestClaimsConfirmedBySignedPayQuery: an unsigned body's claim is decided by
// our payment's signed state, never by its own text.
func TestClaimsConfirmedBySignedPayQuery(t *testing.T) {
	target := providers.Target{MerchantOrderNo: "M-1"}
	rows := []struct {
		name   string
		msg    string
		pay    map[string]any
		unsig  bool
		kind   providers.Kind
		reason providers.Reason
		code   string
	}{
		{"cancelled, confirmed", "订单已撤销", payData("M-1", "P1", 4), false, providers.Succeeded, "", "payState=4"},
		{"cancelled, still paying", "订单已撤销", payData("M-1", "P1", 1), false, providers.Unknown, "", providers.CodeUnsignedClaim},
		{"cancelled, but paid", "already cancelled", payData("M-1", "P1", 2), false, providers.Failed, providers.ReasonAlreadyPaid, "payState=2"},
		{"cancelled, pay query unsigned", "订单已撤销", payData("M-1", "P1", 4), true, providers.Unknown, "", providers.CodeUnsignedClaim},
		{"cancelled, pay query about another order", "订单已撤销", payData("OTHER", "P9", 4), false, providers.Unknown, "", providers.CodeUnsignedClaim},
		{"cancelled, pay query not found", "订单已撤销", nil, false, providers.Unknown, "", providers.CodeUnsignedClaim},
		{"paid, confirmed", "订单已支付", payData("M-1", "P1", 2), false, providers.Failed, providers.ReasonAlreadyPaid, "payState=2"},
		{"paid, still paying", "订单已支付", payData("M-1", "P1", 1), false, providers.Unknown, "", providers.CodeUnsignedClaim},
		{"closed, confirmed", "订单已关闭", payData("M-1", "P1", 6), false, providers.Failed, providers.ReasonPaymentClosed, "payState=6"},
		{"closed, failed payment", "订单已关闭", payData("M-1", "P1", 3), false, providers.Failed, providers.ReasonPaymentClosed, "payState=3"},
		{"refunded, confirmed", "订单已退款", payData("M-1", "P1", 5), false, providers.Failed, providers.ReasonAlreadyPaid, "payState=5"},
		// Failures that lead to review need no confirmation.
		{"window", "超出当日撤销期限 (outside the same-day cancel window)", payData("M-1", "P1", 4), false, providers.Failed, providers.ReasonWindowExpired, "9999"},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			f := &fakeGateway{cancel: map[string]any{"code": CodeBusiness, "msg": r.msg}, payData: r.pay, unsignedPay: r.unsig}
			o := f.start(t).Cancel(context.Background(), providers.CancelRequest{Target: target})
			if o.Kind != r.kind || o.Reason != r.reason || o.Code != r.code {
				t.Fatalf("got %s, want %s/%s code %s", o, r.kind, r.reason, r.code)
			}
			if wantQueries := map[bool]int{true: 0, false: 1}[r.name == "window"]; f.payQueries != wantQueries {
				t.Fatalf("%d pay queries, want %d", f.payQueries, wantQueries)
			}
		})
	}
}

// TestSignedSuccessNeedsOurPayment: a genuine signed "cancel success" names only
// its cancelOrderId; it counts once the signed pay query shows our payment
// cancelled, and is Unknown otherwise.
func TestSignedSuccessNeedsOurPayment(t *testing.T) {
	rows := []struct {
		name   string
		target providers.Target
		pay    map[string]any
		kind   providers.Kind
		reason providers.Reason
		code   string
	}{
		{"ours, cancelled", providers.Target{MerchantOrderNo: "M-1"}, payData("M-1", "P1", 4), providers.Succeeded, "", "state=2"},
		{"ours by payOrderId, cancelled", providers.Target{MerchantOrderNo: "M-1", ProviderPaymentID: "P1"}, payData("M-1", "P1", 4), providers.Succeeded, "", "state=2"},
		{"ours, still paying", providers.Target{MerchantOrderNo: "M-1"}, payData("M-1", "P1", 1), providers.Unknown, "", CodeUnconfirmedSuccess},
		{"another mchOrderNo", providers.Target{MerchantOrderNo: "M-1"}, payData("M-2", "P1", 4), providers.Unknown, "", CodeUnconfirmedSuccess},
		{"another payOrderId", providers.Target{MerchantOrderNo: "M-1", ProviderPaymentID: "P1"}, payData("M-1", "P2", 4), providers.Unknown, "", CodeUnconfirmedSuccess},
		{"ours, paid", providers.Target{MerchantOrderNo: "M-1"}, payData("M-1", "P1", 2), providers.Failed, providers.ReasonAlreadyPaid, "payState=2"},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			f := &fakeGateway{cancel: signedCancel("C1", 2), payData: r.pay}
			o := f.start(t).Cancel(context.Background(), providers.CancelRequest{Target: r.target})
			if o.Kind != r.kind || o.Reason != r.reason || o.Code != r.code || o.ProviderRef != "C1" {
				t.Fatalf("got %s ref %q, want %s/%s code %s", o, o.ProviderRef, r.kind, r.reason, r.code)
			}
		})
	}
	// A pending cancel (state 1) decides nothing: no confirmation needed.
	f := &fakeGateway{cancel: signedCancel("C1", 1)}
	if o := f.start(t).Cancel(context.Background(), providers.CancelRequest{Target: providers.Target{MerchantOrderNo: "M-1"}}); o.Kind != providers.Pending || f.payQueries != 0 {
		t.Fatalf("pending: %s after %d pay queries", o, f.payQueries)
	}
}

// TestQueryPaymentIDs: the pay query's signed mchOrderNo and payOrderId must be
// ours; a payment state from another order's answer is unknown, not closed.
func TestQueryPaymentIDs(t *testing.T) {
	for _, r := range []struct {
		target providers.Target
		data   map[string]any
		state  providers.PaymentState
	}{
		{providers.Target{MerchantOrderNo: "M-1"}, payData("M-1", "P1", 6), providers.PaymentClosed},
		{providers.Target{MerchantOrderNo: "M-1"}, payData("M-2", "P1", 6), providers.PaymentUnknown},
		{providers.Target{MerchantOrderNo: "M-1", ProviderPaymentID: "P1"}, payData("M-1", "P2", 2), providers.PaymentUnknown},
		{providers.Target{ProviderPaymentID: "P1"}, payData("M-9", "P1", 2), providers.PaymentPaid}, // asked by payOrderId only
	} {
		f := &fakeGateway{payData: r.data}
		ps := f.start(t).QueryPayment(context.Background(), r.target)
		if ps.State != r.state {
			t.Errorf("%+v answered %v: %+v, want %s", r.target, r.data, ps, r.state)
		}
	}
}

// TestCancelQueryIDs: the cancel query's signed cancelOrderId and payOrderId must
// be the ones asked about.
func TestCancelQueryIDs(t *testing.T) {
	cancelOrder := func(ref, payOrderID string, state int) map[string]any {
		return map[string]any{"cancelOrderId": ref, "payOrderId": payOrderID, "mchNo": devMchNo, "appId": devAppID, "state": state}
	}
	rows := []struct {
		name   string
		target providers.Target
		data   map[string]any
		kind   providers.Kind
		code   string
	}{
		{"matches", providers.Target{MerchantOrderNo: "M-1", ProviderPaymentID: "P1"}, cancelOrder("C1", "P1", 2), providers.Succeeded, "state=2"},
		{"another cancelOrderId", providers.Target{MerchantOrderNo: "M-1", ProviderPaymentID: "P1"}, cancelOrder("C2", "P1", 2), providers.Unknown, providers.CodeIDMismatch},
		{"another payOrderId", providers.Target{MerchantOrderNo: "M-1", ProviderPaymentID: "P1"}, cancelOrder("C1", "P2", 2), providers.Unknown, providers.CodeIDMismatch},
		{"another payOrderId, pending", providers.Target{MerchantOrderNo: "M-1", ProviderPaymentID: "P1"}, cancelOrder("C1", "P2", 1), providers.Unknown, providers.CodeIDMismatch},
		{"payOrderId unknown to us: the pay query binds it", providers.Target{MerchantOrderNo: "M-1"}, cancelOrder("C1", "P7", 2), providers.Succeeded, "state=2"},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			f := &fakeGateway{cancelData: r.data, payData: payData("M-1", "P1", 4)}
			o := f.start(t).QueryCancel(context.Background(), providers.CancelQuery{Target: r.target, ProviderRef: "C1"})
			if o.Kind != r.kind || o.Code != r.code {
				t.Fatalf("got %s, want %s code %s", o, r.kind, r.code)
			}
		})
	}
}
