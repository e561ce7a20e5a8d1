package payermax

import (
	"strings"
	"testing"
	"time"

	"github.com/paycancel/paycancel/providers"
)

func TestCodeTable(t *testing.T) {
	rows := []struct {
		code   string
		kind   providers.Kind
		reason providers.Reason
	}{
		{"SYSTEM_ERROR", providers.Unknown, ""},
		{"REQUEST_TIMEOUT", providers.Unknown, ""},
		{"UNEXPECTED_ERROR", providers.Unknown, ""},
		{"SIGN_VERIFY_FAILED", providers.Failed, providers.ReasonConfiguration},
		{"MERCHANT_INVALID", providers.Failed, providers.ReasonConfiguration},
		{"MERCHANT_APP_INVALID", providers.Failed, providers.ReasonConfiguration},
		{"REQ_TIME_OVER_TIME", providers.Failed, providers.ReasonConfiguration},
		{"PARAMS_INVALID", providers.Failed, providers.ReasonInvalidRequest},
		{"TOO_MANY_REQUEST", providers.Failed, providers.ReasonRateLimited},
		{"ORDER_NOT_EXIST", providers.Failed, providers.ReasonNotFound},
		// Not documented: ask again.
		{"SOMETHING_NEW", providers.Unknown, ""},
		{"PARAMS_INVALID_X", providers.Unknown, ""},
		{"", providers.Unknown, ""},
	}
	if len(codeOutcomes)+3 != len(rows) {
		t.Fatalf("table has %d codes, test covers %d: add a row per code", len(codeOutcomes), len(rows)-3)
	}
	for _, r := range rows {
		o := codeOutcome(r.code, "m")
		if o.Kind != r.kind || o.Reason != r.reason || o.Code != r.code || o.Message != "m" {
			t.Errorf("%q → %v, want %s/%s", r.code, o, r.kind, r.reason)
		}
	}
}

func TestCancelStatusTable(t *testing.T) {
	rows := []struct {
		status, errorCode string
		kind              providers.Kind
		reason            providers.Reason
	}{
		{"SUCCESS", "", providers.Succeeded, ""},
		{"PENDING", "", providers.Pending, ""},
		{"FAILED", ErrCodeAlreadyCancelled, providers.AlreadyDone, ""},
		{"FAILED", "ORDER_CANCELLED", providers.AlreadyDone, ""},
		{"FAILED", ErrCodeCaptured, providers.Failed, providers.ReasonAlreadyPaid},
		{"FAILED", "ORDER_PAID", providers.Failed, providers.ReasonAlreadyPaid},
		{"FAILED", ErrCodeAuthExpired, providers.Failed, providers.ReasonWindowExpired},
		{"FAILED", ErrCodeOrderNotExist, providers.Failed, providers.ReasonNotFound},
		{"FAILED", ErrCodeOrderProcessing, providers.Failed, providers.ReasonRejected},
		{"FAILED", ErrCodeCancelNotAllowed, providers.Failed, providers.ReasonRejected},
		// errorCodes outside the table: FAILED stays definite; the reason comes from the words.
		{"FAILED", "TRADE_NOT_FOUND", providers.Failed, providers.ReasonNotFound},
		{"FAILED", "PAYMENT_ALREADY_CAPTURED", providers.Failed, providers.ReasonAlreadyPaid},
		{"FAILED", "CANCEL_WINDOW_EXPIRED", providers.Failed, providers.ReasonWindowExpired},
		{"FAILED", "ORDER_UNPAID", providers.Failed, providers.ReasonRejected},
		{"FAILED", "ALREADY_CLOSED", providers.Failed, providers.ReasonRejected}, // never AlreadyDone by guess
		{"FAILED", "", providers.Failed, providers.ReasonRejected},
		// An unknown status is Unknown.
		{"CANCELLING", "", providers.Unknown, ""},
		{"", "", providers.Unknown, ""},
	}
	for _, r := range rows {
		o := cancelStatusOutcome(CancelResult{Status: Nullable(r.status), ErrorCode: Nullable(r.errorCode), CancelNo: "C1"})
		if o.Kind != r.kind || o.Reason != r.reason {
			t.Errorf("%s/%s → %v, want %s/%s", r.status, r.errorCode, o, r.kind, r.reason)
		}
		if o.ProviderRef != "C1" {
			t.Errorf("%s/%s: ProviderRef %q", r.status, r.errorCode, o.ProviderRef)
		}
	}
	for code := range cancelErrorOutcomes {
		found := false
		for _, r := range rows {
			found = found || r.errorCode == code
		}
		if !found {
			t.Errorf("errorCode %s has no row", code)
		}
	}
}

func TestPaymentStates(t *testing.T) {
	rows := []struct {
		status string
		state  providers.PaymentState
		cancel providers.Kind
		reason providers.Reason
	}{
		{"SUCCESS", providers.PaymentPaid, providers.Failed, providers.ReasonAlreadyPaid},
		{"PENDING", providers.PaymentPending, providers.Pending, ""},
		// OpenAPI: FAILED 支付失败 — never a cancel: NOT_NEEDED with PayerMax's words.
		{"FAILED", providers.PaymentFailed, providers.Failed, providers.ReasonPaymentClosed},
		{"CLOSED", providers.PaymentClosed, providers.Succeeded, ""},
		{"REFUNDED", providers.PaymentUnknown, providers.Unknown, ""},
	}
	if len(paymentStates)+1 != len(rows) {
		t.Fatalf("add a row per status")
	}
	for _, r := range rows {
		st := providers.StateOf(paymentStates, r.status)
		if st != r.state {
			t.Errorf("%s → %s, want %s", r.status, st, r.state)
		}
		o := cancelFromPayment(st, r.status, "")
		if o.Kind != r.cancel || o.Reason != r.reason {
			t.Errorf("%s: cancel %v, want %s/%s", r.status, o, r.cancel, r.reason)
		}
	}
	if o := cancelFromPayment(providers.PaymentNotFound, "ORDER_NOT_EXIST", ""); o.Kind != providers.Failed || o.Reason != providers.ReasonNotFound {
		t.Errorf("not found → %v", o)
	}
	if o := cancelFromPayment(providers.PaymentFailed, "FAILED", "Payment failed."); !strings.Contains(o.Message, "Payment failed.") {
		t.Errorf("the provider's words are lost: %v", o)
	}
}

// TestUnsignedCodesNeverDecide: top-level codes arrive unsigned; none decides,
// and readResponse reduces any claim to Unknown.
func TestUnsignedCodesNeverDecide(t *testing.T) {
	for code, o := range codeOutcomes {
		if providers.Decides(o) {
			t.Errorf("unsigned code %s decides: %s", code, o)
		}
	}
	c := &Client{}
	for _, body := range []string{`{"code":"ORDER_CANCELLED","msg":"The order has already been cancelled."}`, `{"code":"ORDER_ALREADY_CANCELLED","msg":"x"}`, `{"code":"ORDER_PAID","msg":"x"}`} {
		_, o, ok := c.readResponse(providers.Response{Status: 200, Body: []byte(body)})
		if ok || providers.Decides(o) {
			t.Errorf("%s → %s", body, o)
		}
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2023, 8, 6, 23, 50, 59, 0, time.UTC)
	for in, w := range map[string]time.Time{
		"2023-08-06T23:50:59 +0000":     want,
		"2023-08-06T23:50:59+0000":      want,
		"2023-08-06T23:50:59Z":          want,
		"2023-08-06T23:50:59.000+00:00": want,
		"2023-08-07T07:50:59.000+08:00": want,
		"2023-08-06T23:50:59.142Z":      want.Add(142 * time.Millisecond),
		"2023-08-06 23:50:59":           want,
		"2023-08-06T23:50:59":           want,
		" 2023-08-06T23:50:59 +0000 ":   want,
	} {
		got, ok := parseTime(in)
		if !ok || !got.Equal(w) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", in, got, ok, w)
		}
	}
	for _, in := range []string{"", "yesterday", "2023-13-01T00:00:00Z", "1691365859000"} {
		if _, ok := parseTime(in); ok {
			t.Errorf("parseTime(%q) accepted", in)
		}
	}
}
