// Package alipayplus is the paycancel adapter for an Alipay+ wallet's mini-program
// OpenAPI: POST /v2/payments/cancel, with /v2/payments/inquiryPayment as the status
// query (the Alipay+ wallet OpenAPI pages "POST /v2/payments/cancel" and "inquiryPayment").
//
// Alipay+ has no merchant cancel id: the cancel is idempotent by its target, so every
// retry names the same paymentId (or paymentRequestId). There is no cancel query and
// no cancel notification: QueryCancel derives the answer from inquiryPayment.
package alipayplus

import (
	"cmp"
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/paycancel/paycancel/providers"
)

// Name is the provider's short name.
const Name = "alipayplus"

// API paths appended to Config.BaseURL (the cancel API page; each wallet hosts its
// own copy of the API, so host and prefix are configuration).
const (
	CancelPath  = "/v2/payments/cancel"
	InquiryPath = "/v2/payments/inquiryPayment"
)

// Request-Time formats (Config.RequestTimeFormat).
const (
	// TimeRFC3339Millis is RFC 3339 with milliseconds, as the wallets' own
	// message-structure sample shows it: "2019-04-04T12:08:56.253+05:30". The default.
	TimeRFC3339Millis = "rfc3339Millis"
	// TimeRFC3339 is RFC 3339 to the second: "2024-05-01T12:00:00+08:00".
	TimeRFC3339 = "rfc3339"
	// TimeEpochMillis is epoch milliseconds: "1714536000000".
	TimeEpochMillis = "epochMillis"
)

// Request-Time layouts.
const (
	LayoutRFC3339Millis = "2006-01-02T15:04:05.000Z07:00"
	LayoutRFC3339       = "2006-01-02T15:04:05Z07:00"
)

// HeaderKeyVersion is the Key-Version request header the official SDK sends next to
// the Signature header's keyVersion (alipay/global-open-sdk-go, DefaultAlipayClient
// buildBaseHeader: "Key-Version": keyVersion).
const HeaderKeyVersion = "Key-Version"

// MaxIDLen is the documented maximum of paymentId and paymentRequestId (the cancel API page).
const MaxIDLen = 64

// Config is one Alipay+ wallet credential set.
type Config struct {
	// BaseURL is the wallet's OpenAPI host plus any path prefix (required), e.g.
	// "https://open.wallet.example/api"; "/v2/payments/cancel" and
	// "/v2/payments/inquiryPayment" are appended, and the signed path includes the prefix.
	BaseURL string `yaml:"baseURL" json:"baseURL"`
	// ClientID is the Client-Id the wallet assigned to the merchant (required).
	ClientID string `yaml:"clientID" json:"clientID"`
	// KeyVersion is the version of the merchant key registered with the wallet, sent
	// as keyVersion in the Signature header. Default "1".
	KeyVersion string `yaml:"keyVersion" json:"keyVersion"`
	// RequestTimeFormat is the Request-Time header format: "rfc3339Millis" (default:
	// "2019-04-04T12:08:56.253+05:30", as the wallets' sample shows), "rfc3339" (to
	// the second) or "epochMillis" [OPEN: wallets differ]. The signature covers the
	// header text whichever is chosen.
	RequestTimeFormat string `yaml:"requestTimeFormat" json:"requestTimeFormat"`
	// KeyVersionHeader sends a Key-Version header with KeyVersion, as the official
	// SDK does, besides the keyVersion inside the Signature header. Default true;
	// false leaves it out.
	KeyVersionHeader *bool `yaml:"keyVersionHeader,omitempty" json:"keyVersionHeader,omitempty"`
	// MerchantPrivateKey signs requests (required): RSA, PKCS#8 or PKCS#1, PEM or bare base64 DER.
	MerchantPrivateKey providers.SecretRef `yaml:"merchantPrivateKey" json:"merchantPrivateKey"`
	// WalletPublicKey verifies the wallet's responses (required): RSA, X.509 SPKI or
	// PKCS#1, PEM or bare base64 DER.
	WalletPublicKey providers.SecretRef `yaml:"walletPublicKey" json:"walletPublicKey"`
}

// endpoint is one API: the URL to post to and the path as it is sent (and signed).
type endpoint struct {
	url  string
	path string
}

// Client is a configured Alipay+ wallet. It implements providers.Provider.
type Client struct {
	clientID    string
	keyVersion  string
	keyHeader   bool
	timeFormat  string
	cancel      endpoint
	inquiry     endpoint
	merchantKey *rsa.PrivateKey
	walletKey   *rsa.PublicKey
	deps        providers.Deps
	httpClient  *http.Client
}

var _ providers.Provider = (*Client)(nil)

// New fills defaults, validates cfg and loads the keys.
func New(cfg Config, deps providers.Deps) (*Client, error) {
	cfg.KeyVersion = cmp.Or(cfg.KeyVersion, "1")
	cfg.RequestTimeFormat = cmp.Or(cfg.RequestTimeFormat, TimeRFC3339Millis)
	baseURL, err := providers.BaseURL("baseURL", cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	base, err := url.Parse(baseURL) // parsed once more: endpointAt keeps the prefix's escaping
	if err != nil {
		return nil, providers.FieldErr("baseURL", "not a URL")
	}
	if strings.TrimSpace(cfg.ClientID) == "" {
		return nil, providers.FieldErr("clientID", "required")
	}
	if strings.ContainsAny(cfg.ClientID, "\r\n") {
		return nil, providers.FieldErr("clientID", "must be one line")
	}
	if !allDigits(cfg.KeyVersion) {
		return nil, providers.FieldErr("keyVersion", "must be a number, got %q", cfg.KeyVersion)
	}
	switch cfg.RequestTimeFormat {
	case TimeRFC3339Millis, TimeRFC3339, TimeEpochMillis:
	default:
		return nil, providers.FieldErr("requestTimeFormat", "must be %q, %q or %q, got %q", TimeRFC3339Millis, TimeRFC3339, TimeEpochMillis, cfg.RequestTimeFormat)
	}
	merchantKey, walletKey, err := providers.LoadKeyPair(deps.BaseDir, cfg.MerchantPrivateKey, "merchantPrivateKey", cfg.WalletPublicKey, "walletPublicKey")
	if err != nil {
		return nil, err
	}
	return &Client{
		clientID:    cfg.ClientID,
		keyVersion:  cfg.KeyVersion,
		keyHeader:   cfg.KeyVersionHeader == nil || *cfg.KeyVersionHeader,
		timeFormat:  cfg.RequestTimeFormat,
		cancel:      endpointAt(base, CancelPath),
		inquiry:     endpointAt(base, InquiryPath),
		merchantKey: merchantKey,
		walletKey:   walletKey,
		deps:        deps,
		httpClient:  deps.Client(),
	}, nil
}

// endpointAt appends an API path to the base URL's path (keeping its escaping).
// The result always starts with "/": it is also the path that is signed.
func endpointAt(base *url.URL, apiPath string) endpoint {
	u := *base
	u.Path = strings.TrimRight(base.Path, "/") + apiPath
	if base.RawPath != "" {
		u.RawPath = strings.TrimRight(base.RawPath, "/") + apiPath
	}
	return endpoint{url: u.String(), path: u.EscapedPath()}
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Name implements providers.Provider.
func (c *Client) Name() string { return Name }

// Cancel sends one cancel attempt.
//
// Doc: the Alipay+ wallet OpenAPI page "POST /v2/payments/cancel".
// resultStatus S: cancelled (also for a repeat: the cancel is idempotent by target
// [I]); F: the code says why; U (UNKNOWN_EXCEPTION): send the same cancel again.
// req.CancelKey is not sent: Alipay+ has no merchant cancel id.
func (c *Client) Cancel(ctx context.Context, req providers.CancelRequest) providers.Outcome {
	sent, o, ok := targetFor(req.Target)
	if !ok {
		return o
	}
	body, o, ok := c.exchange(ctx, c.cancel, sent)
	if !ok {
		return o
	}
	o = cancelAnswer(body, sent)
	if o.Kind == providers.Succeeded {
		return o // S / SUCCESS, signed, about this payment: the /v2/payments/cancel page [C]
	}
	// A deciding row the API page does not document (ORDER_STATUS_INVALID read as
	// "already paid" [I]) is a claim: the signed inquiryPayment confirms it or it is
	// Unknown (providers/trust.go).
	return providers.Undocumented(o, func() providers.Outcome { return cancelFromPayment(c.QueryPayment(ctx, req.Target)) })
}

// cancelAnswer maps a verified /v2/payments/cancel response body.
func cancelAnswer(body []byte, sent TargetRequest) providers.Outcome {
	var r CancelResponse
	if err := json.Unmarshal(body, &r); err != nil || r.Result == nil {
		return providers.UnknownOutcome(providers.CodeBadResponse, "cancel response: %s", providers.Snippet(body))
	}
	if o, ok := checkIDs("cancel response", sent, r.PaymentID, r.PaymentRequestID); !ok {
		return o
	}
	return resultOutcome(*r.Result)
}

// QueryCancel answers from the payment's status: Alipay+ has no cancel query and no
// cancel notification. CANCELLED → Succeeded, FAIL → Failed/PAYMENT_CLOSED, SUCCESS
// → Failed/ALREADY_PAID, PROCESSING/AUTH_SUCCESS → Pending (cancelFromPayment).
func (c *Client) QueryCancel(ctx context.Context, q providers.CancelQuery) providers.Outcome {
	return cancelFromPayment(c.QueryPayment(ctx, q.Target))
}

// QueryPayment asks for the original payment's status.
//
// Doc: the Alipay+ wallet OpenAPI, payment status: POST /v2/payments/inquiryPayment
// with paymentId or paymentRequestId; paymentStatus SUCCESS / FAIL / PROCESSING (some
// wallets add CANCELLED, AUTH_SUCCESS). ORDER_NOT_EXIST is a good answer: not found.
func (c *Client) QueryPayment(ctx context.Context, t providers.Target) providers.PaymentStatus {
	sent, o, ok := targetFor(t)
	if !ok {
		return providers.PaymentStatus{State: providers.PaymentUnknown, Outcome: o}
	}
	body, o, ok := c.exchange(ctx, c.inquiry, sent)
	if !ok {
		return providers.PaymentStatus{State: providers.PaymentUnknown, Code: o.Code, Message: o.Message, Outcome: o}
	}
	return inquiryAnswer(body, sent)
}

// inquiryAnswer maps a verified /v2/payments/inquiryPayment response body.
func inquiryAnswer(body []byte, sent TargetRequest) providers.PaymentStatus {
	unknown := func(o providers.Outcome) providers.PaymentStatus {
		return providers.PaymentStatus{State: providers.PaymentUnknown, Code: o.Code, Message: o.Message, Outcome: o}
	}
	var r InquiryResponse
	if err := json.Unmarshal(body, &r); err != nil || r.Result == nil {
		return unknown(providers.UnknownOutcome(providers.CodeBadResponse, "inquiryPayment response: %s", providers.Snippet(body)))
	}
	res := resultOutcome(*r.Result)
	switch {
	case res.Kind == providers.Failed && res.Reason == providers.ReasonNotFound:
		return providers.PaymentStatus{State: providers.PaymentNotFound, Code: res.Code, Message: res.Message,
			Outcome: providers.Outcome{Kind: providers.Succeeded, Code: res.Code}}
	case res.Kind != providers.Succeeded:
		return unknown(res)
	}
	if o, ok := checkIDs("inquiryPayment response", sent, r.PaymentID, r.PaymentRequestID); !ok {
		return unknown(o)
	}
	state, ok := paymentStatuses[r.PaymentStatus]
	if !ok {
		return unknown(providers.Outcome{Kind: providers.Unknown, Code: r.PaymentStatus, Message: "unlisted paymentStatus " + strconv.Quote(r.PaymentStatus)})
	}
	return providers.PaymentStatus{State: state, Code: r.PaymentStatus, Message: r.PaymentFailReason,
		Outcome: providers.Outcome{Kind: providers.Succeeded, Code: r.Result.ResultCode}}
}

// targetFor names the payment: paymentId (Target.ProviderPaymentID) when known, as it
// wins over paymentRequestId (Target.MerchantOrderNo) at the wallet anyway (the cancel API page).
// Only the winning id is sent, so the request and the sandbox's record name one id.
func targetFor(t providers.Target) (TargetRequest, providers.Outcome, bool) {
	var r TargetRequest
	switch {
	case t.ProviderPaymentID != "":
		r.PaymentID = t.ProviderPaymentID
		r.knownRequestID = t.MerchantOrderNo
	case t.MerchantOrderNo != "":
		r.PaymentRequestID = t.MerchantOrderNo
	default:
		return r, providers.FailedOutcome(providers.ReasonInvalidRequest, providers.CodeInvalidRequest, "paymentId and paymentRequestId are both empty"), false
	}
	if n := len([]rune(r.Key())); n > MaxIDLen {
		return r, providers.FailedOutcome(providers.ReasonInvalidRequest, providers.CodeInvalidRequest,
			fmt.Sprintf("payment id is %d characters, Alipay+ allows %d", n, MaxIDLen)), false
	}
	return r, providers.Outcome{}, true
}

// requestTime is the Request-Time header of one attempt, made fresh each time.
func (c *Client) requestTime() string {
	now := c.deps.Clock()
	switch c.timeFormat {
	case TimeEpochMillis:
		return strconv.FormatInt(now.UnixMilli(), 10)
	case TimeRFC3339:
		return now.Format(LayoutRFC3339)
	}
	return now.Format(LayoutRFC3339Millis)
}

// exchange marshals v once, signs those bytes, posts them and returns the response
// body once it is an Alipay+ answer with a valid wallet signature. Otherwise it
// returns the outcome that says why not (Unknown for anything we cannot trust).
func (c *Client) exchange(ctx context.Context, ep endpoint, v TargetRequest) ([]byte, providers.Outcome, bool) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, providers.FailedOutcome(providers.ReasonInvalidRequest, providers.CodeInvalidRequest, "encoding request: "+err.Error()), false
	}
	reqTime := c.requestTime()
	sig, err := SignMessage(c.merchantKey, ep.path, c.clientID, reqTime, body)
	if err != nil {
		return nil, providers.FailedOutcome(providers.ReasonConfiguration, providers.CodeLocalConfigFail, "signing with the merchant key failed"), false
	}
	h := http.Header{}
	h.Set("Content-Type", ContentType)
	h.Set(HeaderClientID, c.clientID)
	h.Set(HeaderRequestTime, reqTime)
	h.Set(HeaderSignature, SignatureHeader(c.keyVersion, sig))
	if c.keyHeader {
		h.Set(HeaderKeyVersion, c.keyVersion)
	}
	resp, o, ok := providers.Post(ctx, c.httpClient, ep.url, h, body)
	if !ok {
		return nil, o, false
	}
	if _, err := DecodeEnvelope(resp.Body); err != nil {
		if resp.Status/100 != 2 {
			return nil, providers.HTTPStatusOutcome(resp), false
		}
		return nil, providers.UnknownOutcome(providers.CodeBadResponse, "%v: %s", err, providers.Snippet(resp.Body)), false
	}
	if err := VerifyResponse(c.walletKey, ep.path, c.clientID, resp.Header, resp.Body); err != nil {
		return nil, providers.UnknownOutcome(providers.CodeUnverified, "wallet response not trusted: %v", err), false
	}
	return resp.Body, providers.Outcome{}, true
}
