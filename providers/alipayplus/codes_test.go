package alipayplus

import (
	"os"
	"strings"
	"testing"

	"github.com/paycancel/paycancel/providers"
)

// Every documented code, row by row, with the outcome we expect written out here
// (not read back from the table under test).
func TestResultCodes(t *testing.T) {
	type want struct {
		kind   providers.Kind
		reason providers.Reason
	}
	rows := []struct {
		status, code string
		want         want
	}{
		// the cancel API page
		{"S", "SUCCESS", want{providers.Succeeded, ""}},
		{"F", "CANCEL_WINDOW_EXCEED", want{providers.Failed, providers.ReasonWindowExpired}},
		{"F", "ORDER_NOT_EXIST", want{providers.Failed, providers.ReasonNotFound}},
		{"F", "KEY_NOT_FOUND", want{providers.Failed, providers.ReasonConfiguration}},
		{"F", "CLIENT_INVALID", want{providers.Failed, providers.ReasonConfiguration}},
		{"F", "INVALID_SIGNATURE", want{providers.Failed, providers.ReasonConfiguration}},
		{"F", "METHOD_NOT_SUPPORTED", want{providers.Failed, providers.ReasonConfiguration}},
		{"F", "MEDIA_TYPE_NOT_ACCEPTABLE", want{providers.Failed, providers.ReasonConfiguration}},
		{"F", "MERCHANT_BALANCE_NOT_ENOUGH", want{providers.Failed, providers.ReasonRejected}},
		{"U", "UNKNOWN_EXCEPTION", want{providers.Unknown, ""}},
		// common codes [I]
		{"F", "PROCESS_FAIL", want{providers.Failed, providers.ReasonRejected}},
		{"F", "PARAM_ILLEGAL", want{providers.Failed, providers.ReasonInvalidRequest}},
		{"F", "INVALID_API", want{providers.Failed, providers.ReasonConfiguration}},
		{"F", "ACCESS_DENIED", want{providers.Failed, providers.ReasonConfiguration}},
		{"F", "REQUEST_TRAFFIC_EXCEED_LIMIT", want{providers.Failed, providers.ReasonRateLimited}},
		{"U", "REQUEST_TRAFFIC_EXCEED_LIMIT", want{providers.Unknown, ""}}, // U is unknown whatever the code
		{"F", "INVALID_CLIENT", want{providers.Failed, providers.ReasonConfiguration}},
		{"F", "INVALID_CLIENT_STATUS", want{providers.Failed, providers.ReasonConfiguration}},
		{"F", "NO_INTERFACE_DEF", want{providers.Failed, providers.ReasonConfiguration}},
		{"F", "FUNCTION_NOT_MATCH", want{providers.Failed, providers.ReasonConfiguration}},
		{"F", "MSG_PARSE_ERROR", want{providers.Failed, providers.ReasonInvalidRequest}},
		// our code for cancelling a paid payment [I]
		{"F", "ORDER_STATUS_INVALID", want{providers.Failed, providers.ReasonAlreadyPaid}},
		// never guessed
		{"F", "SOMETHING_NEW", want{providers.Unknown, ""}},
		{"U", "SOMETHING_NEW", want{providers.Unknown, ""}},
		{"S", "SOMETHING_NEW", want{providers.Unknown, ""}},
		{"F", "SUCCESS", want{providers.Unknown, ""}},         // contradicts itself
		{"U", "SUCCESS", want{providers.Unknown, ""}},         // contradicts itself
		{"S", "ORDER_NOT_EXIST", want{providers.Unknown, ""}}, // contradicts itself
		// U is Unknown whatever the resultCode; an F-table code counts only with F.
		{"U", "ORDER_NOT_EXIST", want{providers.Unknown, ""}},
		{"U", "CANCEL_WINDOW_EXCEED", want{providers.Unknown, ""}},
		{"U", "ORDER_STATUS_INVALID", want{providers.Unknown, ""}},
		{"U", "INVALID_SIGNATURE", want{providers.Unknown, ""}},
		{"S", "ORDER_STATUS_INVALID", want{providers.Unknown, ""}},
		{"S", "UNKNOWN_EXCEPTION", want{providers.Unknown, ""}},
		{"F", "UNKNOWN_EXCEPTION", want{providers.Unknown, ""}},
		{"X", "SUCCESS", want{providers.Unknown, ""}}, // no such status
		{"", "SUCCESS", want{providers.Unknown, ""}},
	}
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r.code] = true
		got := resultOutcome(Result{ResultStatus: r.status, ResultCode: r.code, ResultMessage: "m"})
		if got.Kind != r.want.kind || got.Reason != r.want.reason {
			t.Errorf("%s/%s: got %v, want %s/%s", r.status, r.code, got, r.want.kind, r.want.reason)
		}
		if got.Kind == providers.Failed && got.Code != r.code {
			t.Errorf("%s/%s: code %q not carried", r.status, r.code, got.Code)
		}
	}
	for code := range resultCodes {
		if !seen[code] {
			t.Errorf("table code %s has no row in this test", code)
		}
	}
}

// Every code of the cancel page's error table (testdata/cancel_result_codes.txt,
// copied from the Alipay+ page "POST /v2/payments/cancel") is in ours, with its status.
func TestSeedCodesCovered(t *testing.T) {
	data, err := os.ReadFile("testdata/cancel_result_codes.txt")
	if err != nil {
		t.Fatal(err)
	}
	var codes [][]string
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) == 2 && !strings.HasPrefix(line, "#") {
			codes = append(codes, []string{line, f[0], f[1]})
		}
	}
	if len(codes) < 9 {
		t.Fatalf("found only %d codes in the page's table", len(codes))
	}
	for _, m := range codes {
		row, ok := resultCodes[m[1]]
		if !ok {
			t.Errorf("page code %s missing from the table", m[1])
			continue
		}
		if row.Status != m[2] {
			t.Errorf("page code %s: status %s, table says %s", m[1], m[2], row.Status)
		}
	}
	if _, ok := resultCodes["UNKNOWN_EXCEPTION"]; !ok {
		t.Error("UNKNOWN_EXCEPTION (page, U status) missing")
	}
}

func TestPaymentStatuses(t *testing.T) {
	for status, want := range map[string]providers.PaymentState{
		"SUCCESS":      providers.PaymentPaid,
		"FAIL":         providers.PaymentFailed,
		"PROCESSING":   providers.PaymentPending,
		"CANCELLED":    providers.PaymentClosed,
		"AUTH_SUCCESS": providers.PaymentPending,
	} {
		body := []byte(`{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentId":"P1","paymentStatus":"` + status + `"}`)
		got := inquiryAnswer(body, TargetRequest{PaymentID: "P1"})
		if got.State != want || got.Outcome.Kind != providers.Succeeded {
			t.Errorf("%s: got %+v, want %s", status, got, want)
		}
	}
	for _, body := range []string{
		`{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentStatus":"REFUNDING"}`,
		`{"result":{"resultCode":"SUCCESS","resultStatus":"S"}}`,
		`{"result":{"resultCode":"SUCCESS","resultStatus":"S"},"paymentId":"P2","paymentStatus":"SUCCESS"}`, // another payment
		`{"result":{"resultCode":"UNKNOWN_EXCEPTION","resultStatus":"U"}}`,
		`{"paymentStatus":"SUCCESS"}`,
	} {
		got := inquiryAnswer([]byte(body), TargetRequest{PaymentID: "P1"})
		if got.State != providers.PaymentUnknown || got.Outcome.Kind != providers.Unknown {
			t.Errorf("%s: got %+v, want unknown", body, got)
		}
	}
	got := inquiryAnswer([]byte(`{"result":{"resultCode":"ORDER_NOT_EXIST","resultStatus":"F"}}`), TargetRequest{PaymentID: "P1"})
	if got.State != providers.PaymentNotFound || got.Outcome.Kind != providers.Succeeded {
		t.Errorf("ORDER_NOT_EXIST: got %+v", got)
	}
	got = inquiryAnswer([]byte(`{"result":{"resultCode":"INVALID_SIGNATURE","resultStatus":"F"}}`), TargetRequest{PaymentID: "P1"})
	if got.State != providers.PaymentUnknown || got.Outcome.Kind != providers.Failed || got.Outcome.Reason != providers.ReasonConfiguration {
		t.Errorf("INVALID_SIGNATURE: got %+v", got)
	}
}

func TestCancelFromPayment(t *testing.T) {
	answered := providers.Outcome{Kind: providers.Succeeded}
	rows := []struct {
		in     providers.PaymentStatus
		kind   providers.Kind
		reason providers.Reason
	}{
		{providers.PaymentStatus{State: providers.PaymentClosed, Outcome: answered}, providers.Succeeded, ""},
		// FAIL: failed on its own, never cancelled: NOT_NEEDED, not CANCELLED.
		{providers.PaymentStatus{State: providers.PaymentFailed, Outcome: answered}, providers.Failed, providers.ReasonPaymentClosed},
		{providers.PaymentStatus{State: providers.PaymentPaid, Outcome: answered}, providers.Failed, providers.ReasonAlreadyPaid},
		{providers.PaymentStatus{State: providers.PaymentPending, Outcome: answered}, providers.Pending, ""},
		{providers.PaymentStatus{State: providers.PaymentNotFound, Outcome: answered}, providers.Failed, providers.ReasonNotFound},
		{providers.PaymentStatus{State: providers.PaymentRefunded, Outcome: answered}, providers.Unknown, ""},
		{providers.PaymentStatus{State: providers.PaymentUnknown, Outcome: providers.Outcome{Kind: providers.Unknown}}, providers.Unknown, ""},
		{providers.PaymentStatus{State: providers.PaymentUnknown, Outcome: providers.FailedOutcome(providers.ReasonRateLimited, "X", "")}, providers.Failed, providers.ReasonRateLimited},
	}
	for _, r := range rows {
		got := cancelFromPayment(r.in)
		if got.Kind != r.kind || got.Reason != r.reason {
			t.Errorf("%s/%v: got %v, want %s/%s", r.in.State, r.in.Outcome.Kind, got, r.kind, r.reason)
		}
	}
}
