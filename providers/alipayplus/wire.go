package alipayplus

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/paycancel/paycancel/providers"
)

// Wire types of the Alipay+ wallet OpenAPI (its "Message structure" page and the
// cancel and inquiryPayment API pages). The sandbox uses the same types, so what the
// client parses is exactly what the sandbox writes.

// ContentType is the request and response media type (the provider's API pages: [C]).
const ContentType = "application/json; charset=UTF-8"

// Header names of the signed message (the provider's API pages: [C]).
const (
	HeaderClientID     = "Client-Id"
	HeaderRequestTime  = "Request-Time"
	HeaderResponseTime = "Response-Time"
	HeaderSignature    = "Signature"
)

// Result is the result object every response carries (the cancel API page, "Result process logic").
type Result struct {
	ResultCode    string `json:"resultCode"`
	ResultStatus  string `json:"resultStatus"`
	ResultMessage string `json:"resultMessage,omitempty"`
}

// Result statuses (the cancel API page).
const (
	StatusSuccess = "S"
	StatusFail    = "F"
	StatusUnknown = "U"
)

// TargetRequest is the body of both /v2/payments/cancel and
// /v2/payments/inquiryPayment: one of the two ids (the cancel API page, "Request"; each at most
// 64 characters; paymentId wins when both are given).
type TargetRequest struct {
	PaymentID        string `json:"paymentId,omitempty"`
	PaymentRequestID string `json:"paymentRequestId,omitempty"`
	ExtendInfo       string `json:"extendInfo,omitempty"`
	// knownRequestID is our paymentRequestId when the request names the payment by
	// paymentId only: not sent, but the answer's paymentRequestId must match it.
	knownRequestID string
}

// Key is the id the request named: paymentId when set, else paymentRequestId. The
// sandbox records it as the cancel's business key (Alipay+ has no cancel id of its own).
func (t TargetRequest) Key() string {
	if t.PaymentID != "" {
		return t.PaymentID
	}
	return t.PaymentRequestID
}

// CancelResponse is the answer of /v2/payments/cancel (the cancel API page, "Response").
type CancelResponse struct {
	Result           *Result `json:"result"`
	PaymentID        string  `json:"paymentId,omitempty"`
	PaymentRequestID string  `json:"paymentRequestId,omitempty"`
	// CancelTime is ISO 8601, present only when the cancel succeeded.
	CancelTime string `json:"cancelTime,omitempty"`
	ExtendInfo string `json:"extendInfo,omitempty"`
}

// Amount is an Alipay+ amount: value in minor units as a decimal string.
type Amount struct {
	Currency string `json:"currency"`
	Value    string `json:"value"`
}

// InquiryResponse is the answer of /v2/payments/inquiryPayment (the provider's API pages,
// "alipayplus": paymentStatus SUCCESS / FAIL / PROCESSING, some wallets add
// CANCELLED and AUTH_SUCCESS).
type InquiryResponse struct {
	Result            *Result `json:"result"`
	PaymentID         string  `json:"paymentId,omitempty"`
	PaymentRequestID  string  `json:"paymentRequestId,omitempty"`
	PaymentStatus     string  `json:"paymentStatus,omitempty"`
	PaymentFailReason string  `json:"paymentFailReason,omitempty"`
	PaymentTime       string  `json:"paymentTime,omitempty"`
	PaymentAmount     *Amount `json:"paymentAmount,omitempty"`
	ExtendInfo        string  `json:"extendInfo,omitempty"`
}

// errNoResult says a body is JSON but not an Alipay+ answer.
var errNoResult = errors.New("no result.resultStatus in the response")

// DecodeEnvelope checks that body is an Alipay+ answer (a JSON object with a result
// and a result status) without trusting anything else in it.
func DecodeEnvelope(body []byte) (Result, error) {
	var env struct {
		Result *Result `json:"result"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return Result{}, fmt.Errorf("response is not JSON: %v", err)
	}
	if env.Result == nil || env.Result.ResultStatus == "" {
		return Result{}, errNoResult
	}
	return *env.Result, nil
}

// checkIDs compares the ids a verified answer names with ours (providers.CheckIDs:
// wherever both are present they must be equal; the answer's fields are optional).
func checkIDs(what string, sent TargetRequest, paymentID, paymentRequestID string) (providers.Outcome, bool) {
	requestID := sent.PaymentRequestID
	if requestID == "" {
		requestID = sent.knownRequestID
	}
	return providers.CheckIDs(what,
		providers.IDCheck{Field: "paymentId", Asked: sent.PaymentID, Got: paymentID},
		providers.IDCheck{Field: "paymentRequestId", Asked: requestID, Got: paymentRequestID})
}
