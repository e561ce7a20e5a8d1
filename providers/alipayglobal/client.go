// Package alipayglobal is the paycancel adapter for Alipay Global's offline acquiring
// API: alipay.intl.acquiring.common.payCancel 2.0.2 (the payCancel 2.0.2 page) and
// alipay.intl.acquiring.offline.payQuery 2.0.2, both in the signed JSON envelope
// {"request":{"head":…,"body":…},"signature":…} (Alipay Global's "payCancel" and "payQuery" API pages).
//
// Alipay Global has no cancel notification and no cancel query: a cancel's outcome
// comes from its own answer, and QueryCancel derives it from payQuery.
package alipayglobal

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/paycancel/paycancel/providers"
)

// Name is the provider's short name.
const Name = "alipayglobal"

// Default paths and values (the provider's API pages; production host
// https://open-na.alipay.com).
const (
	DefaultCancelPath   = "/api/alipay/intl/acquiring/common/paycancel.htm"
	DefaultPayQueryPath = "/api/alipay/intl/acquiring/offline/payquery.htm"
	DefaultVersion      = "2.0.2"
	DefaultTimeZone     = "Asia/Shanghai"
)

// Config is one Alipay Global credential set.
type Config struct {
	// BaseURL is the host root, e.g. "https://open-na.alipay.com" (required). The
	// paths below are appended to it.
	BaseURL string `yaml:"baseURL" json:"baseURL"`
	// CancelPath is the payCancel path. Default "/api/alipay/intl/acquiring/common/paycancel.htm".
	CancelPath string `yaml:"cancelPath" json:"cancelPath"`
	// PayQueryPath is the payQuery path. Default "/api/alipay/intl/acquiring/offline/payquery.htm".
	PayQueryPath string `yaml:"payQueryPath" json:"payQueryPath"`
	// ClientID is the head's clientId assigned by Alipay (required, at most 32 characters).
	ClientID string `yaml:"clientId" json:"clientId"`
	// PartnerID is the body's partnerId, the settlement target (required, at most 32 characters).
	PartnerID string `yaml:"partnerId" json:"partnerId"`
	// Version is the head's API version. Default "2.0.2".
	Version string `yaml:"version" json:"version"`
	// TimeZone is the IANA zone reqTime is written in (RFC 3339 with its offset).
	// Default "Asia/Shanghai".
	TimeZone string `yaml:"timeZone" json:"timeZone"`
	// Base64Twice encodes the request signature twice, as the official sample appears
	// to do [OPEN]. Default false (once). Response signatures are accepted either way.
	Base64Twice bool `yaml:"base64Twice" json:"base64Twice"`
	// MerchantPrivateKey signs requests (RSA, PEM or base64 DER, PKCS#8 or PKCS#1). Required.
	MerchantPrivateKey providers.SecretRef `yaml:"merchantPrivateKey" json:"merchantPrivateKey"`
	// AlipayPublicKey verifies responses (RSA, PEM or base64 DER). Required.
	AlipayPublicKey providers.SecretRef `yaml:"alipayPublicKey" json:"alipayPublicKey"`
}

// Client implements providers.Provider for Alipay Global.
type Client struct {
	cfg       Config
	loc       *time.Location
	key       *rsa.PrivateKey
	alipayKey *rsa.PublicKey
	http      *http.Client
	now       func() time.Time
	cancelURL string
	queryURL  string
}

var _ providers.Provider = (*Client)(nil)

// New checks cfg, fills its defaults and loads the keys.
func New(cfg Config, deps providers.Deps) (*Client, error) {
	cfg.CancelPath = cmp.Or(cfg.CancelPath, DefaultCancelPath)
	cfg.PayQueryPath = cmp.Or(cfg.PayQueryPath, DefaultPayQueryPath)
	cfg.Version = cmp.Or(cfg.Version, DefaultVersion)
	cfg.TimeZone = cmp.Or(cfg.TimeZone, DefaultTimeZone)
	base, err := providers.BaseURL("baseURL", cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	for _, p := range []struct{ field, path string }{{"cancelPath", cfg.CancelPath}, {"payQueryPath", cfg.PayQueryPath}} {
		if !strings.HasPrefix(p.path, "/") {
			return nil, providers.FieldErr(p.field, "must start with /")
		}
	}
	if err := providers.CheckFields(
		providers.Field{Name: "clientId", Value: cfg.ClientID, Required: true, Max: MaxClientID},
		providers.Field{Name: "partnerId", Value: cfg.PartnerID, Required: true, Max: MaxPartnerID},
		providers.Field{Name: "version", Value: cfg.Version, Max: MaxVersion},
	); err != nil {
		return nil, err
	}
	loc, err := loadZone(cfg.TimeZone)
	if err != nil {
		return nil, providers.FieldErr("timeZone", "%v", err)
	}
	key, alipayKey, err := providers.LoadKeyPair(deps.BaseDir, cfg.MerchantPrivateKey, "merchantPrivateKey", cfg.AlipayPublicKey, "alipayPublicKey")
	if err != nil {
		return nil, err
	}
	return &Client{
		cfg:       cfg,
		loc:       loc,
		key:       key,
		alipayKey: alipayKey,
		http:      deps.Client(),
		now:       deps.Clock,
		cancelURL: base + cfg.CancelPath,
		queryURL:  base + cfg.PayQueryPath,
	}, nil
}

// loadZone loads an IANA zone. Asia/Shanghai falls back to a fixed UTC+8 where the
// host has no tzdata (China keeps no daylight saving time, so it is exact).
func loadZone(name string) (*time.Location, error) {
	loc, err := time.LoadLocation(name)
	if err == nil {
		return loc, nil
	}
	if name == DefaultTimeZone {
		return Beijing, nil
	}
	return nil, err
}

// Name implements providers.Provider.
func (c *Client) Name() string { return Name }

// Cancel sends one payCancel.
//
// Doc: the payCancel 2.0.2 page (alipay.intl.acquiring.common.payCancel 2.0.2).
// resultStatus S means cancelled — also for a transaction that was
// never created (Alipay closes it) and for a paid one (Alipay refunds it), and for a
// repeat; U means send the same cancel again. There is no merchant cancel id: the
// business key is the target id, and reqMsgId is fresh for every HTTP attempt.
func (c *Client) Cancel(ctx context.Context, req providers.CancelRequest) providers.Outcome {
	body, bad := c.targetBody(req.Target)
	if bad != nil {
		return *bad
	}
	resp, failure, ok := c.call(ctx, c.cancelURL, FunctionCancel, body)
	if !ok {
		return failure
	}
	if mismatch, ok := checkEcho("payCancel answer", req.Target, resp.Body); !ok {
		return mismatch
	}
	return resultOutcome(*resp.Body.ResultInfo)
}

// QueryCancel derives the cancel's outcome from payQuery: Alipay Global has no cancel
// query (the provider's API pages).
func (c *Client) QueryCancel(ctx context.Context, q providers.CancelQuery) providers.Outcome {
	ps := c.QueryPayment(ctx, q.Target)
	if ps.Outcome.Kind != providers.Succeeded {
		return ps.Outcome
	}
	if ps.State == providers.PaymentNotFound {
		// No transaction and so no trace of our cancel: it never arrived. A payCancel
		// of a never-created transaction answers S (Alipay closes it), so the
		// right next step is to send the cancel again.
		return providers.UnknownOutcome(CodeOrderNotExist, "payQuery knows no such transaction: the cancel has not arrived; send it again")
	}
	kind, reason := cancelFromPayment(ps.State)
	msg := "from payQuery acquirementStatus " + ps.Code
	if ps.State == providers.PaymentRefunded {
		msg += ": paid, then refunded — the status alone does not say this cancel did it; payCancel's own signed S does"
	}
	return providers.Outcome{Kind: kind, Reason: reason, Code: ps.Code, Message: msg}
}

// QueryPayment sends one payQuery.
//
// Doc: the provider's API pages (alipay.intl.acquiring.offline.payQuery 2.0.2,
// same envelope, partnerId plus acquirementId or merchantTransId). The status values
// are [OPEN]; see paymentStates. ORDER_NOT_EXIST is a good answer: NOT_FOUND.
func (c *Client) QueryPayment(ctx context.Context, t providers.Target) providers.PaymentStatus {
	body, bad := c.targetBody(t)
	if bad != nil {
		return providers.PaymentStatus{State: providers.PaymentUnknown, Outcome: *bad}
	}
	resp, failure, ok := c.call(ctx, c.queryURL, FunctionPayQuery, body)
	if !ok {
		return providers.PaymentStatus{State: providers.PaymentUnknown, Outcome: failure}
	}
	ri := *resp.Body.ResultInfo
	o := resultOutcome(ri)
	switch {
	case o.Kind == providers.Succeeded:
		if mismatch, ok := checkEcho("payQuery answer", t, resp.Body); !ok {
			return providers.PaymentStatus{State: providers.PaymentUnknown, Code: mismatch.Code, Message: mismatch.Message, Outcome: mismatch}
		}
		st := resp.Body.AcquirementStatus
		return providers.PaymentStatus{State: providers.StateOf(paymentStates, st), Code: st, Outcome: o}
	case o.Reason == providers.ReasonNotFound:
		return providers.PaymentStatus{State: providers.PaymentNotFound, Code: ri.ResultCode, Message: ri.ResultMsg,
			Outcome: providers.Outcome{Kind: providers.Succeeded, Code: ri.ResultCode, Message: ri.ResultMsg}}
	}
	return providers.PaymentStatus{State: providers.PaymentUnknown, Code: ri.ResultCode, Message: ri.ResultMsg, Outcome: o}
}

// targetBody names the transaction: acquirementId (Target.ProviderPaymentID) when
// known, as Alipay prefers it, else merchantTransId (Target.MerchantOrderNo). Only
// one is sent, so the id Alipay acts on is never in doubt.
func (c *Client) targetBody(t providers.Target) (RequestBody, *providers.Outcome) {
	b := RequestBody{PartnerID: c.cfg.PartnerID}
	field, id := "merchantTransId", t.MerchantOrderNo
	if t.ProviderPaymentID != "" {
		field, id = "acquirementId", t.ProviderPaymentID
		b.AcquirementID = id
	} else {
		b.MerchantTransID = id
	}
	switch {
	case id == "":
		o := providers.FailedOutcome(providers.ReasonInvalidRequest, providers.CodeInvalidRequest, "no acquirementId or merchantTransId")
		return b, &o
	case len(id) > MaxTargetID:
		o := providers.FailedOutcome(providers.ReasonInvalidRequest, providers.CodeInvalidRequest,
			field+" longer than 64 bytes")
		return b, &o
	}
	return b, nil
}

// checkEcho compares the ids a verified answer names with ours (providers.CheckIDs):
// both acquirementId and merchantTransId, wherever the answer and the target both
// have one — the target may know the id the request did not send. An answer about
// another transaction is Unknown. (The head's reqMsgId, checked in readResponse,
// already ties the answer to this HTTP attempt.)
func checkEcho(what string, t providers.Target, got ResponseBody) (providers.Outcome, bool) {
	return providers.CheckIDs(what,
		providers.IDCheck{Field: "acquirementId", Asked: t.ProviderPaymentID, Got: got.AcquirementID},
		providers.IDCheck{Field: "merchantTransId", Asked: t.MerchantOrderNo, Got: got.MerchantTransID})
}

// call makes one signed HTTP attempt. The request object is marshalled once; the
// signature covers those bytes and the envelope is built around the same bytes.
// reqTime and reqMsgId are fresh for every attempt.
func (c *Client) call(ctx context.Context, url, function string, body RequestBody) (Response, providers.Outcome, bool) {
	head := RequestHead{
		Version:  c.cfg.Version,
		Function: function,
		ClientID: c.cfg.ClientID,
		ReqTime:  c.now().In(c.loc).Format(ReqTimeLayout),
		ReqMsgID: rand.Text(), // 26 characters of crypto randomness, ≤ 64
		Reserve:  "{}",
		SignType: SignTypeRSA2,
	}
	msg, err := MarshalCompact(Request{Head: head, Body: body})
	if err != nil {
		return Response{}, providers.FailedOutcome(providers.ReasonInvalidRequest, providers.CodeInvalidRequest, "encoding request: "+err.Error()), false
	}
	sig, err := SignMessage(c.key, msg, c.cfg.Base64Twice)
	if err != nil {
		return Response{}, providers.FailedOutcome(providers.ReasonConfiguration, providers.CodeLocalConfigFail, "signing request: "+err.Error()), false
	}
	header := http.Header{"Content-Type": {"application/json; charset=UTF-8"}}
	resp, failure, ok := providers.Post(ctx, c.http, url, header, BuildEnvelope("request", msg, sig))
	if !ok {
		return Response{}, failure, false
	}
	return readResponse(resp, c.alipayKey, function, head.ReqMsgID)
}

// readResponse verifies and parses an answer. The signature must be present and
// verify over the exact text of the "response" value ([C]); Alipay signs its error
// answers too [I], so an unsigned one is Unknown rather than trusted.
func readResponse(resp providers.Response, key *rsa.PublicKey, function, reqMsgID string) (Response, providers.Outcome, bool) {
	env, err := ParseEnvelope(resp.Body, "response")
	if err != nil {
		if resp.Status/100 != 2 {
			return Response{}, providers.HTTPStatusOutcome(resp), false
		}
		return Response{}, providers.UnknownOutcome(providers.CodeBadResponse, "unreadable response (%v): %s", err, providers.Snippet(resp.Body)), false
	}
	if !env.HasSig {
		return Response{}, providers.UnknownOutcome(providers.CodeUnverified, "response carries no signature; not trusted"), false
	}
	if err := VerifyMessage(key, env.Message, env.Signature); err != nil {
		return Response{}, providers.UnknownOutcome(providers.CodeUnverified, "response signature does not verify with alipayPublicKey (tampered, or the wrong key): %v", err), false
	}
	var r Response
	if err := json.Unmarshal(env.Message, &r); err != nil {
		return Response{}, providers.UnknownOutcome(providers.CodeBadResponse, "response object: %v", err), false
	}
	switch {
	case r.Body.ResultInfo == nil:
		return Response{}, providers.UnknownOutcome(providers.CodeBadResponse, "response has no resultInfo"), false
	case r.Head.ReqMsgID != "" && r.Head.ReqMsgID != reqMsgID:
		return Response{}, providers.UnknownOutcome(providers.CodeBadResponse, "response answers reqMsgId %q, not ours", r.Head.ReqMsgID), false
	case r.Head.Function != "" && r.Head.Function != function:
		return Response{}, providers.UnknownOutcome(providers.CodeBadResponse, "response is for function %q", r.Head.Function), false
	}
	return r, providers.Outcome{}, true
}
