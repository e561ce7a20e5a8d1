// Package ksher is the paycancel adapter for Ksher's gateway-pay order cancel
// (Ksher's Gateway Pay API pages: cancel_order, gateway_order_query).
//
// Ksher cancels only before payment (not during a card's OTP step). The cancel reply
// is unsigned, so a cancel is confirmed through the signed gateway_order_query
// (data.result CLOSED) inside the same Cancel call; QueryCancel and QueryPayment are
// that same query. Ksher's only notification is the payment-success webhook.
package ksher

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/paycancel/paycancel/providers"
)

// Name is the provider's short name.
const Name = "ksher"

// KsherKeyMinBits is the floor for KsherPublicKey: Ksher's own key is 512 bits.
const KsherKeyMinBits = 512

// Config is one Ksher merchant credential set.
type Config struct {
	// BaseURL is the gateway API root; "/cancel_order" and "/gateway_order_query" are
	// appended. Required. Production: https://gateway.ksher.com/api.
	BaseURL string `yaml:"baseURL" json:"baseURL"`
	// AppID is the merchant number as Ksher spells it, "mch<no>" (e.g. "mch35000"). Required.
	AppID string `yaml:"appId" json:"appId"`
	// Lang is the answer language: en, cn or th. Default "en".
	Lang string `yaml:"lang" json:"lang"`
	// TimestampOffset is the UTC offset time_stamp (yyyyMMddHHmmss) is written in.
	// Default "+07:00" (Bangkok). [I]: Ksher does not document the zone and does not
	// appear to check the value (its own example, "2022091904121212S", is malformed).
	TimestampOffset string `yaml:"timestampOffset" json:"timestampOffset"`
	// MerchantPrivateKey signs requests. Ksher issues PKCS#1 PEM ("RSA PRIVATE KEY");
	// PKCS#8 and bare base64 DER are accepted too. At least 2048 bits. Required.
	MerchantPrivateKey providers.SecretRef `yaml:"merchantPrivateKey" json:"merchantPrivateKey"`
	// KsherPublicKey verifies Ksher's signed replies and notifications. Ksher's real
	// key is a 512-bit PKCS#1 "RSA PUBLIC KEY"; SPKI PEM and base64 DER are accepted.
	// At least 512 bits (KsherKeyMinBits). Required.
	KsherPublicKey providers.SecretRef `yaml:"ksherPublicKey" json:"ksherPublicKey"`
}

// Client is a configured Ksher merchant. It implements providers.Provider and
// providers.NotificationParser.
type Client struct {
	appID     string
	lang      string
	zone      *time.Location
	cancelURL string
	queryURL  string
	key       *rsa.PrivateKey
	ksherKey  *rsa.PublicKey
	http      *http.Client
	now       func() time.Time
}

var (
	_ providers.Provider           = (*Client)(nil)
	_ providers.NotificationParser = (*Client)(nil)
)

// New validates cfg, fills its defaults and loads the keys.
func New(cfg Config, deps providers.Deps) (*Client, error) {
	cfg.Lang = cmp.Or(cfg.Lang, "en")
	cfg.TimestampOffset = cmp.Or(cfg.TimestampOffset, "+07:00")
	base, err := providers.BaseURL("baseURL", cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if cfg.AppID == "" {
		return nil, providers.FieldErr("appId", "required (\"mch<merchant no>\")")
	}
	if !strings.HasPrefix(cfg.AppID, "mch") || len(cfg.AppID) > maxAppID {
		return nil, providers.FieldErr("appId", "%q: want \"mch<merchant no>\", at most %d characters", cfg.AppID, maxAppID)
	}
	switch cfg.Lang {
	case "en", "cn", "th":
	default:
		return nil, providers.FieldErr("lang", "%q: want en, cn or th", cfg.Lang)
	}
	zone, err := parseOffset(cfg.TimestampOffset)
	if err != nil {
		return nil, providers.FieldErr("timestampOffset", "%v", err)
	}

	key, err := providers.LoadPrivateKey(cfg.MerchantPrivateKey, deps.BaseDir, "merchantPrivateKey")
	if err != nil {
		return nil, err
	}
	// Ksher issues a 512-bit public key (the samples of Ksher's API pages; its signatures are 64
	// bytes): the one provider key allowed under providers.MinProviderKeyBits. It
	// only verifies, through providers.VerifyPKCS1v15's scoped small-key check.
	pub, err := providers.LoadPublicKeyMin(cfg.KsherPublicKey, deps.BaseDir, "ksherPublicKey", KsherKeyMinBits)
	if err != nil {
		return nil, err
	}
	return &Client{
		appID:     cfg.AppID,
		lang:      cfg.Lang,
		zone:      zone,
		cancelURL: base + PathCancel,
		queryURL:  base + PathOrderQuery,
		key:       key,
		ksherKey:  pub,
		http:      deps.Client(),
		now:       deps.Clock,
	}, nil
}

// parseOffset reads "+07:00", "-05:30" or "Z".
func parseOffset(s string) (*time.Location, error) {
	if s == "Z" || s == "UTC" {
		return time.UTC, nil
	}
	t, err := time.Parse("-07:00", s)
	if err != nil {
		return nil, fmt.Errorf("%q: want an offset like +07:00", s)
	}
	_, off := t.Zone()
	return time.FixedZone(s, off), nil
}

// Name implements providers.Provider.
func (c *Client) Name() string { return Name }

// Cancel sends one cancel_order attempt and, when Ksher answers 0, confirms it with
// gateway_order_query in the same call.
//
// Doc: Ksher "Order Cancel (Gateway Pay)": POST {base}/cancel_order,
// form-encoded appid, nonce_str, time_stamp, lang, mch_order_no, sign; codes 0, -1…-6.
// Ksher's API notes: the success reply has string data and no sign, so a
// cancel is confirmed through the signed gateway_order_query (result CLOSED).
//
// Every cancel_order reply is unsigned (providers/trust.go): -5 "already cancelled"
// and -4 "already paid" are claims confirmed by the same signed query (CLOSED →
// AlreadyDone, SUCCESS/REFUND → ALREADY_PAID, anything else → Unknown); -1, -2, -3
// classify failures and -6 is Unknown.
//
// After code 0 the outcome is the query's: CLOSED → Succeeded; SUCCESS or REFUND →
// Failed/ALREADY_PAID (paid before the cancel landed, or paid after it from a saved QR
// code); anything else — not closed yet, or the confirming query failed, was rate
// limited or did not verify — → Pending: the cancel was accepted, and the workflow
// confirms it with QueryCancel. Code 0 alone never becomes Succeeded.
func (c *Client) Cancel(ctx context.Context, req providers.CancelRequest) providers.Outcome {
	order := req.MerchantOrderNo
	if o, bad := checkOrderNo(order); bad {
		return o
	}
	resp, failure, ok := c.send(ctx, c.cancelURL, map[string]string{ParamMchOrderNo: order, paramLang: c.lang})
	if !ok {
		return failure
	}
	accepted, confirm := interpretCancel(resp)
	if !confirm {
		// An unsigned -4/-5 claims an effect: only the signed order query may
		// confirm it (confirmClaim); failures pass as they are.
		return providers.Unsigned(accepted, func() providers.Outcome { return confirmClaim(c.QueryPayment(ctx, req.Target)) })
	}
	return confirmCancel(accepted, c.QueryPayment(ctx, req.Target))
}

// interpretCancel maps a cancel_order answer; confirm is true for code 0.
func interpretCancel(resp providers.Response) (o providers.Outcome, confirm bool) {
	if resp.Status < 200 || resp.Status > 299 {
		return providers.HTTPStatusOutcome(resp), false
	}
	r, err := ParseResponse(resp.Body)
	if err != nil {
		return providers.UnknownOutcome(providers.CodeBadResponse, "cancel_order: %v: %s", err, providers.Snippet(resp.Body)), false
	}
	if r.Code != 0 {
		return cancelCodeOutcome(r.Code, r.text()), false
	}
	msg := r.text()
	if d := r.dataString(); d != "" {
		msg += " / " + d
	}
	return providers.Outcome{Kind: providers.Pending, Code: "0", Message: msg}, true
}

// confirmCancel turns an accepted (code 0) cancel and the confirming order query
// into the attempt's outcome (see Cancel).
func confirmCancel(accepted providers.Outcome, st providers.PaymentStatus) providers.Outcome {
	d := cancelFromPayment(st)
	switch {
	case d.Kind == providers.Succeeded:
		return providers.Outcome{Kind: providers.Succeeded, Code: "0",
			Message: fmt.Sprintf("cancel_order 0 (%s); gateway_order_query result %s", accepted.Message, st.Code)}
	case d.Kind == providers.Failed && d.Reason == providers.ReasonAlreadyPaid:
		return providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonAlreadyPaid, Code: st.Code,
			Message: fmt.Sprintf("cancel_order answered 0 but gateway_order_query shows %s: the payment went through (refund / review)", st.Code)}
	default:
		return providers.Outcome{Kind: providers.Pending, Code: "0",
			Message: fmt.Sprintf("cancel_order 0 (%s); not confirmed yet by gateway_order_query: %s", accepted.Message, d)}
	}
}

// QueryCancel derives the cancel's state from gateway_order_query (Ksher has no
// cancel query): CLOSED → Succeeded, SUCCESS/REFUND → Failed/ALREADY_PAID (also how a
// payment after the cancel shows), not paid yet → Pending, otherwise the query's
// Unknown/Failed outcome. See cancelFromPayment.
//
// Doc: Ksher's API notes ("A cancelled order shows CLOSED"; "treat a later
// SUCCESS as paid after cancel").
func (c *Client) QueryCancel(ctx context.Context, q providers.CancelQuery) providers.Outcome {
	return cancelFromPayment(c.QueryPayment(ctx, q.Target))
}

// QueryPayment asks gateway_order_query for the order's state.
//
// Doc: Ksher "Order Query (Gateway Pay)": POST {base}/gateway_order_query with appid,
// nonce_str, time_stamp, mch_order_no, sign; data.result SUCCESS, CLOSED, NOTPAY,
// PAYERROR, PENDING, NOTSURE, USERPAYING, REFUND, or FAIL (the query failed); data
// is signed by Ksher (the Order Cancel page, "after gateway order query again").
func (c *Client) QueryPayment(ctx context.Context, t providers.Target) providers.PaymentStatus {
	if o, bad := checkOrderNo(t.MerchantOrderNo); bad {
		return providers.PaymentStatus{State: providers.PaymentUnknown, Outcome: o}
	}
	resp, failure, ok := c.send(ctx, c.queryURL, map[string]string{ParamMchOrderNo: t.MerchantOrderNo})
	if !ok {
		return providers.PaymentStatus{State: providers.PaymentUnknown, Outcome: failure}
	}
	return interpretQuery(c.ksherKey, resp, t.MerchantOrderNo)
}

// interpretQuery maps a gateway_order_query answer, verifying Ksher's sign.
func interpretQuery(pub *rsa.PublicKey, resp providers.Response, order string) providers.PaymentStatus {
	unknown := func(o providers.Outcome) providers.PaymentStatus {
		return providers.PaymentStatus{State: providers.PaymentUnknown, Code: o.Code, Message: o.Message, Outcome: o}
	}
	if resp.Status < 200 || resp.Status > 299 {
		return unknown(providers.HTTPStatusOutcome(resp))
	}
	r, err := ParseResponse(resp.Body)
	if err != nil {
		return unknown(providers.UnknownOutcome(providers.CodeBadResponse, "gateway_order_query: %v: %s", err, providers.Snippet(resp.Body)))
	}
	if r.Code != 0 {
		code := fmt.Sprint(r.Code)
		c, listed := QueryCodes[r.Code]
		switch {
		case !listed:
			return unknown(providers.Outcome{Kind: providers.Unknown, Code: code, Message: "unlisted Ksher code: " + r.text()})
		case c.Reason == providers.ReasonNotFound:
			// A definite answer about the payment: it does not exist.
			return providers.PaymentStatus{State: providers.PaymentNotFound, Code: code, Message: r.text(),
				Outcome: providers.Outcome{Kind: providers.Succeeded, Code: code, Message: r.text()}}
		default:
			return unknown(providers.Outcome{Kind: c.Kind, Reason: c.Reason, Code: code, Message: r.text()})
		}
	}
	if !r.dataIsObject() {
		return unknown(providers.UnknownOutcome(providers.CodeBadResponse, "gateway_order_query: code 0 without a data object"))
	}
	if err := verifyData(pub, r.Data, r.Sign); err != nil {
		if errors.Is(err, errNoSign) {
			return unknown(providers.UnknownOutcome(providers.CodeUnverified, "gateway_order_query: the response is not signed: not trusted"))
		}
		return unknown(providers.UnknownOutcome(providers.CodeUnverified, "gateway_order_query: the response signature does not verify (tampered or wrong ksherPublicKey): %v", err))
	}
	d, err := readOrderData(r.Data)
	if err != nil { // unreachable after verifyData parsed it; kept for safety
		return unknown(providers.UnknownOutcome(providers.CodeBadResponse, "gateway_order_query: %v", err))
	}
	// Signed, but about the order asked about? (A replayed answer about another
	// order verifies too.)
	if mismatch, ok := providers.CheckIDs("gateway_order_query answer",
		providers.IDCheck{Field: "mch_order_no", Asked: order, Got: d.MchOrderNo}); !ok {
		return unknown(mismatch)
	}
	msg := r.text()
	if d.ErrCode != "" || d.ErrMsg != "" {
		msg = strings.TrimSpace(d.ErrCode + " " + d.ErrMsg)
	}
	if d.Result == "FAIL" {
		return unknown(providers.Outcome{Kind: providers.Unknown, Code: "FAIL", Message: "the order query failed: " + msg})
	}
	state, listed := PaymentResults[d.Result]
	if !listed {
		return unknown(providers.Outcome{Kind: providers.Unknown, Code: d.Result, Message: "unlisted Ksher result: " + msg})
	}
	return providers.PaymentStatus{State: state, Code: d.Result, Message: msg,
		Outcome: providers.Outcome{Kind: providers.Succeeded, Code: "0", Message: r.text()}}
}

// checkOrderNo validates mch_order_no before anything is sent.
func checkOrderNo(order string) (providers.Outcome, bool) {
	switch {
	case order == "":
		return providers.FailedOutcome(providers.ReasonInvalidRequest, providers.CodeInvalidRequest, "mch_order_no is required"), true
	case len(order) > MaxMchOrderNo:
		return providers.FailedOutcome(providers.ReasonInvalidRequest, providers.CodeInvalidRequest,
			fmt.Sprintf("mch_order_no is %d bytes; Ksher allows at most %d", len(order), MaxMchOrderNo)), true
	}
	return providers.Outcome{}, false
}

// send signs and posts one form-encoded request. appid, nonce_str and time_stamp are
// made here, fresh for every attempt; extra carries the business fields unchanged.
func (c *Client) send(ctx context.Context, endpoint string, extra map[string]string) (providers.Response, providers.Outcome, bool) {
	params := map[string]string{
		ParamAppID:     c.appID,
		ParamNonce:     NewNonce(),
		ParamTimeStamp: c.now().In(c.zone).Format(timeStampLayout),
	}
	for k, v := range extra {
		params[k] = v
	}
	sign, err := SignParams(c.key, params)
	if err != nil {
		return providers.Response{}, providers.FailedOutcome(providers.ReasonConfiguration, providers.CodeLocalConfigFail, "signing with merchantPrivateKey: "+err.Error()), false
	}
	form := url.Values{}
	for k, v := range params {
		form.Set(k, v)
	}
	form.Set(ParamSign, sign)
	body := []byte(form.Encode()) // encoded once; the sign covers exactly these values
	header := http.Header{}
	header.Set("Content-Type", "application/x-www-form-urlencoded")
	header.Set("Accept", "application/json")
	return providers.Post(ctx, c.http, endpoint, header, body)
}

// NewNonce is 32 lowercase hex characters from crypto/rand (nonce_str: String(32),
// "must be unique").
func NewNonce() string {
	b := make([]byte, MaxNonce/2)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail (Go 1.24+)
	return hex.EncodeToString(b)
}
