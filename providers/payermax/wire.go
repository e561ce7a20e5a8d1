package payermax

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
)

// Wire types of the PayerMax gateway (the provider's API page, PayerMax's OpenAPI file
// paths /aggregate-pay/api/gateway/cancel, /aggregate-pay/api/gateway/orderQuery and
// /cancelResultNotifyUrl).

// GatewayPath is where PayerMax serves its API, relative to the host. [C]
const GatewayPath = "/aggregate-pay/api/gateway"

// CodeApplySuccess is the top-level `code` of an accepted request. It says nothing
// about the cancel or the payment: their state is in data.status. [C]
const CodeApplySuccess = "APPLY_SUCCESS"

// RequestTimeLayout is yyyy-MM-dd'T'HH:mm:ss.SSSXXX (RFC 3339 with milliseconds).
// Go writes a zero offset as "+00:00" with this layout, as in the OpenAPI example
// "2022-01-17T07:51:15.597+00:00"; both forms are RFC 3339. [C]
const RequestTimeLayout = "2006-01-02T15:04:05.000-07:00"

// responseTimeLayout is how PayerMax's examples render times in cancel answers and
// notifications: "2023-08-06T23:50:59 +0000" (a space before the offset). [C]
const responseTimeLayout = "2006-01-02T15:04:05 -0700"

// Envelope is the common request body: the request fields of RequestRoot plus data.
type Envelope struct {
	Version     string      `json:"version"`
	KeyVersion  string      `json:"keyVersion"`
	RequestTime string      `json:"requestTime"`
	AppID       string      `json:"appId"`
	MerchantNo  string      `json:"merchantNo,omitempty"`
	Data        RequestData `json:"data"`
}

// RequestData is data of cancel (requestId, outTradeNo) and of orderQuery (outTradeNo).
type RequestData struct {
	RequestID  string `json:"requestId,omitempty"`
	OutTradeNo string `json:"outTradeNo"`
}

// response is every gateway answer: {code, msg, data}.
type response struct {
	Code string          `json:"code"`
	Msg  string          `json:"msg"`
	Data json.RawMessage `json:"data"`
}

// CancelResult is data of a cancel answer and of a cancel notification (the
// OpenAPI schema "cancel撤销模型"). Absent values come as JSON null.
type CancelResult struct {
	CancelNo      Nullable     `json:"cancelNo"`
	RequestID     Nullable     `json:"requestId"`
	OutTradeNo    Nullable     `json:"outTradeNo"`
	Status        Nullable     `json:"status"`
	CreatedTime   ProviderTime `json:"createdTime"`
	SucceededTime ProviderTime `json:"succeededTime"`
	FailedTime    ProviderTime `json:"failedTime"`
	ErrorCode     Nullable     `json:"errorCode"`
	ErrorMsg      Nullable     `json:"errorMsg"`
}

// orderResult is the part of an orderQuery answer's data this adapter reads.
// Amounts are left alone on purpose: they are numbers in major units and play no
// part in a cancel decision.
type orderResult struct {
	OutTradeNo   Nullable     `json:"outTradeNo"`
	TradeToken   Nullable     `json:"tradeToken"`
	Status       Nullable     `json:"status"`
	ResultCode   Nullable     `json:"resultCode"`
	ResultMsg    Nullable     `json:"resultMsg"`
	CompleteTime ProviderTime `json:"completeTime"`
}

// Notification is a PayerMax asynchronous notification (cancelResultNotifyUrl,
// and the payment notifications of collectResultNotifyUrl / authResultNotifyUrl).
type Notification struct {
	Code       Nullable        `json:"code"`
	Msg        Nullable        `json:"msg"`
	KeyVersion Nullable        `json:"keyVersion"`
	AppID      Nullable        `json:"appId"`
	MerchantNo Nullable        `json:"merchantNo"`
	NotifyTime ProviderTime    `json:"notifyTime"`
	NotifyType Nullable        `json:"notifyType"`
	Data       json.RawMessage `json:"data"`
}

// Notification types (notifyType). [C]
const (
	NotifyTypeCancel  = "CANCEL"
	notifyTypePayment = "PAYMENT"
)

// ackBody is the acknowledgement PayerMax expects from a notification receiver
// (CallbackResponseRoot). [C]
var ackBody = []byte(`{"code":"SUCCESS","msg":"Success"}`)

// Nullable is a string that PayerMax may send as null; it is written as null when
// empty (the sandbox renders absent values the way the examples do).
type Nullable string

func (n Nullable) MarshalJSON() ([]byte, error) {
	if n == "" {
		return []byte("null"), nil
	}
	return json.Marshal(string(n))
}

func (n *Nullable) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*n = ""
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*n = Nullable(s)
	return nil
}

// ProviderTime is a PayerMax time field, parsed leniently: the examples mix
// "2023-08-06T23:50:59 +0000", "2025-06-26T12:11:36.142Z" and
// "2022-01-17T09:33:54.540+00:00". A value that is null, not a string or in no
// known layout never fails the answer it is in: Raw keeps the text, Time stays zero.
type ProviderTime struct {
	Raw  string
	Time time.Time
}

// timeLayouts are tried in order by parseTime.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999 -0700",
	"2006-01-02T15:04:05.999999999-0700",
	"2006-01-02T15:04:05.999999999 Z07:00",
	"2006-01-02 15:04:05.999999999 -0700",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999", // no offset: PayerMax documents UTC+0
	"2006-01-02 15:04:05.999999999",
}

// parseTime reads a PayerMax time in any of the layouts seen in its documentation.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func NewProviderTime(t time.Time) ProviderTime {
	if t.IsZero() {
		return ProviderTime{}
	}
	return ProviderTime{Raw: t.UTC().Format(responseTimeLayout), Time: t}
}

func (p ProviderTime) MarshalJSON() ([]byte, error) {
	if p.Raw == "" {
		return []byte("null"), nil
	}
	return json.Marshal(p.Raw)
}

func (p *ProviderTime) UnmarshalJSON(b []byte) error {
	*p = ProviderTime{}
	var s string
	if json.Unmarshal(b, &s) != nil {
		return nil // null or not a string: no time, and no reason to reject the answer
	}
	p.Raw = s
	p.Time, _ = parseTime(s)
	return nil
}
