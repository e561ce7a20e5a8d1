package alipayglobal

import (
	"testing"
	"time"

	"github.com/paycancel/paycancel/providers"
)

// Every result code of the payCancel 2.0.2 page, row by row as the page lists them.
func TestResultCodes(t *testing.T) {
	const (
		S = statusSuccess
		F = statusFailure
		U = statusUnknown
	)
	rows := []struct {
		id, code, status string
		kind             providers.Kind
		reason           providers.Reason
	}{
		// Functional logic result codes.
		{"12002005", "USER_NOT_EXIST", F, providers.Failed, providers.ReasonRejected},
		{"12002006", "USER_STATUS_ABNORMAL", F, providers.Failed, providers.ReasonRejected},
		{"12005003", "ORDER_STATUS_INVALID", F, providers.Unknown, providers.ReasonNone},
		{"12005004", "ORDER_NOT_EXIST", F, providers.Failed, providers.ReasonNotFound},
		{"12006009", "MERCHANT_BALANCE_NOT_ENOUGH", F, providers.Failed, providers.ReasonRejected},
		{"12002018", "ORDER_CANCEL_WINDOW_EXPIRED", F, providers.Failed, providers.ReasonWindowExpired},
		{"12005134", "SIGN_TYPE_INVALID", F, providers.Failed, providers.ReasonConfiguration},
		{"12005135", "SIGN_TYPE_NOT_SUPPORT", F, providers.Failed, providers.ReasonConfiguration},
		// Basic result codes.
		{"00000000", "SUCCESS", S, providers.Succeeded, providers.ReasonNone},
		{"00000019", "PROCESS_FAIL", F, providers.Failed, providers.ReasonRejected},
		{"00000901", "UNKNOWN_EXCEPTION", U, providers.Unknown, providers.ReasonNone},
		{"00000004", "PARAM_ILLEGAL", F, providers.Failed, providers.ReasonInvalidRequest},
		{"00000007", "INVALID_SIGNATURE", F, providers.Failed, providers.ReasonConfiguration},
		{"00000008", "KEY_NO_FOUND", F, providers.Failed, providers.ReasonConfiguration},
		{"00000013", "NO_INTERFACE_DEF", F, providers.Failed, providers.ReasonConfiguration},
		{"00000014", "API_IS_INVALID", F, providers.Failed, providers.ReasonConfiguration},
		{"00000016", "OAUTH_FAILED", F, providers.Failed, providers.ReasonConfiguration},
		{"00000021", "ACCESS_DENIED", F, providers.Failed, providers.ReasonConfiguration},
		{"12014152", "CLIENT_FORBIDDEN_ACCESS_API", F, providers.Failed, providers.ReasonConfiguration},
		{"12014155", "UNKNOWN_CLIENT", F, providers.Failed, providers.ReasonConfiguration},
		{"12014156", "INVALID_CLIENT_STATUS", F, providers.Failed, providers.ReasonConfiguration},
		{"00000024", "REQUEST_TRAFFIC_EXCEED_LIMIT", F, providers.Failed, providers.ReasonRateLimited},
	}
	if len(rows) != len(ResultCodes) {
		t.Errorf("table has %d codes, the page %d", len(ResultCodes), len(rows))
	}
	for _, r := range rows {
		row, ok := ResultCodes[r.code]
		if !ok {
			t.Errorf("%s missing from the table", r.code)
			continue
		}
		if row.ID != r.id || row.Status != r.status {
			t.Errorf("%s: table has id %s status %s, page %s %s", r.code, row.ID, row.Status, r.id, r.status)
		}
		o := resultOutcome(ResultInfo{ResultStatus: r.status, ResultCodeID: r.id, ResultCode: r.code, ResultMsg: "m"})
		if o.Kind != r.kind || o.Reason != r.reason || o.Code != r.code || o.Message != "m" {
			t.Errorf("%s: got %v, want %s/%s", r.code, o, r.kind, r.reason)
		}
	}
}

func TestResultOutcomeUndocumented(t *testing.T) {
	for name, ri := range map[string]ResultInfo{
		"unlisted code":           {ResultStatus: "F", ResultCode: "SOMETHING_NEW"},
		"success with F":          {ResultStatus: "F", ResultCode: "SUCCESS"},
		"failure code with S":     {ResultStatus: "S", ResultCode: "ORDER_NOT_EXIST"},
		"U with a failure code":   {ResultStatus: "U", ResultCode: "ORDER_NOT_EXIST"},
		"odd status":              {ResultStatus: "X", ResultCode: "SUCCESS"},
		"empty":                   {},
		"window expired with U":   {ResultStatus: "U", ResultCode: "ORDER_CANCEL_WINDOW_EXPIRED"},
		"lower-case success code": {ResultStatus: "S", ResultCode: "success"},
	} {
		if o := resultOutcome(ri); o.Kind != providers.Unknown {
			t.Errorf("%s: %v, want Unknown", name, o)
		}
	}
}

func TestPaymentStates(t *testing.T) {
	for status, want := range map[string]providers.PaymentState{
		"INIT":      providers.PaymentPending,
		"PAYING":    providers.PaymentPending,
		"SUCCESS":   providers.PaymentPaid,
		"CLOSED":    providers.PaymentClosed,
		"CANCELLED": providers.PaymentClosed,
		"REFUNDED":  providers.PaymentRefunded,
		"FINISHED":  providers.PaymentUnknown,
		"":          providers.PaymentUnknown,
		"success":   providers.PaymentUnknown,
	} {
		if got := providers.StateOf(paymentStates, status); got != want {
			t.Errorf("%q: %s, want %s", status, got, want)
		}
	}
}

func TestCancelFromPayment(t *testing.T) {
	for st, want := range map[providers.PaymentState]struct {
		kind   providers.Kind
		reason providers.Reason
	}{
		providers.PaymentClosed:   {providers.Succeeded, ""},
		providers.PaymentRefunded: {providers.Unknown, ""}, // undocumented; a refund by other means looks the same
		providers.PaymentPaid:     {providers.Failed, providers.ReasonAlreadyPaid},
		providers.PaymentPending:  {providers.Pending, ""},
		providers.PaymentUnknown:  {providers.Unknown, ""},
		providers.PaymentFailed:   {providers.Unknown, ""},
		providers.PaymentNotFound: {providers.Unknown, ""},
	} {
		if k, r := cancelFromPayment(st); k != want.kind || r != want.reason {
			t.Errorf("%s: %s/%s, want %s/%s", st, k, r, want.kind, want.reason)
		}
	}
}

func TestCancelWindowEnd(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for created, want := range map[string]string{
		"2024-03-10T09:00:00+08:00": "2024-03-11T00:15:00+08:00",
		"2024-03-10T23:59:59+08:00": "2024-03-11T00:15:00+08:00",
		"2024-03-10T00:00:00+08:00": "2024-03-11T00:15:00+08:00",
		// 17:00 UTC is 01:00 the next day in Beijing.
		"2024-03-10T17:00:00Z":      "2024-03-12T00:15:00+08:00",
		"2024-12-31T20:00:00+08:00": "2025-01-01T00:15:00+08:00",
	} {
		if got := CancelWindowEnd(at(created)); !got.Equal(at(want)) {
			t.Errorf("%s: %s, want %s", created, got, want)
		}
	}
}
