// Package payermax is the paycancel adapter for PayerMax's auth-capture cancel
// (POST /aggregate-pay/api/gateway/cancel), its order query and its cancel
// notification (sources: PayerMax's cancel API page and its OpenAPI file). Its
// simulator is providers/sim/payermaxsim.
package payermax

import (
	"cmp"
	"context"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/paycancel/paycancel/providers"
)

// Name is the provider's short name.
const Name = "payermax"

// Defaults (the provider's API notes, payermax).
const (
	DefaultKeyVersion = "1"
	// DefaultVersion is the cancel page's "1.5"; the official OpenAPI file says "1.4".
	DefaultVersion = "1.5"
)

// Field limits from the OpenAPI file (maxLength). [C]
const (
	MaxIDLen         = 64 // data.requestId, data.outTradeNo, appId
	maxMerchantNoLen = 32
	maxVersionLen    = 8
)

// Config is one PayerMax credential set.
type Config struct {
	// BaseURL is the gateway root that API names are appended to (required), e.g.
	// https://pay-gate-uat.payermax.com/aggregate-pay/api/gateway (UAT) or
	// https://pay-gate.payermax.com/aggregate-pay/api/gateway (production).
	BaseURL string `yaml:"baseURL" json:"baseURL"`
	// AppID is the merchant app id PayerMax assigned (required, ≤ 64 chars).
	AppID string `yaml:"appId" json:"appId"`
	// MerchantNo is the merchant number (optional on the cancel page, ≤ 32 chars);
	// omitted from requests when empty.
	MerchantNo string `yaml:"merchantNo" json:"merchantNo"`
	// KeyVersion is the signature key version. Default "1".
	KeyVersion string `yaml:"keyVersion" json:"keyVersion"`
	// Version is the API version. Default "1.5" (the cancel page; the OpenAPI file
	// says "1.4").
	Version string `yaml:"version" json:"version"`
	// MerchantPrivateKey is the merchant's RSA private key (required): PKCS#8 base64
	// DER as the PayerMax console hands it out, or PEM.
	MerchantPrivateKey providers.SecretRef `yaml:"merchantPrivateKey" json:"merchantPrivateKey"`
	// ProviderPublicKey is PayerMax's RSA public key (required): X.509
	// SubjectPublicKeyInfo base64 DER, or PEM. It verifies responses and notifications.
	ProviderPublicKey providers.SecretRef `yaml:"providerPublicKey" json:"providerPublicKey"`
}

// Client is a configured PayerMax adapter. It implements providers.Provider and
// providers.NotificationParser.
type Client struct {
	cfg  Config
	key  *rsa.PrivateKey
	pub  *rsa.PublicKey
	http *http.Client
	now  func() time.Time
}

var (
	_ providers.Provider           = (*Client)(nil)
	_ providers.NotificationParser = (*Client)(nil)
)

// New fills defaults, validates cfg and loads the keys.
func New(cfg Config, deps providers.Deps) (*Client, error) {
	cfg.KeyVersion = cmp.Or(cfg.KeyVersion, DefaultKeyVersion)
	cfg.Version = cmp.Or(cfg.Version, DefaultVersion)
	base, err := providers.BaseURL("baseURL", cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	cfg.BaseURL = base
	if err := providers.CheckFields(
		providers.Field{Name: "appId", Value: cfg.AppID, Required: true, Max: MaxIDLen},
		providers.Field{Name: "merchantNo", Value: cfg.MerchantNo, Max: maxMerchantNoLen},
		providers.Field{Name: "keyVersion", Value: cfg.KeyVersion, Max: maxVersionLen},
		providers.Field{Name: "version", Value: cfg.Version, Max: maxVersionLen},
	); err != nil {
		return nil, err
	}
	key, pub, err := providers.LoadKeyPair(deps.BaseDir, cfg.MerchantPrivateKey, "merchantPrivateKey", cfg.ProviderPublicKey, "providerPublicKey")
	if err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, key: key, pub: pub, http: deps.Client(), now: deps.Clock}, nil
}

// Name implements providers.Provider.
func (c *Client) Name() string { return Name }

// Cancel sends one cancel attempt.
//
// Doc: the provider's API page (POST {base}/cancel, body {version, keyVersion, requestTime,
// appId, merchantNo, data{requestId, outTradeNo}}, header sign) and
// the provider's API notes "payermax". data.requestId is CancelKey, fixed across
// attempts; requestTime is made fresh here for every attempt.
func (c *Client) Cancel(ctx context.Context, req providers.CancelRequest) providers.Outcome {
	if o, bad := validateID("cancelKey", req.CancelKey); bad {
		return o
	}
	if o, bad := validateID("merchantOrderNo", req.MerchantOrderNo); bad {
		return o
	}
	want := RequestData{RequestID: req.CancelKey, OutTradeNo: req.MerchantOrderNo}
	resp, o, ok := c.call(ctx, "cancel", want)
	if !ok {
		return o
	}
	o = c.interpretCancel(resp, want)
	if o.Kind == providers.Succeeded {
		return o // data.status SUCCESS, signed, about this requestId and order: documented [C]
	}
	// A FAILED cancel's errorCode is signed but undocumented: "already cancelled"
	// or "captured" is a claim the signed orderQuery must confirm (providers/trust.go).
	return providers.Undocumented(o, func() providers.Outcome {
		d := c.QueryCancel(ctx, providers.CancelQuery{Target: req.Target, CancelKey: req.CancelKey})
		if d.Kind == providers.Succeeded {
			d.Kind = providers.AlreadyDone // closed before this answer: cancelled earlier
		}
		return d
	})
}

// interpretCancel turns a cancel answer into an outcome. want is what was asked:
// an answer about another requestId or order is not an answer to this call.
func (c *Client) interpretCancel(resp providers.Response, want RequestData) providers.Outcome {
	env, o, ok := c.readResponse(resp)
	if !ok {
		return o
	}
	var r CancelResult
	if len(env.Data) == 0 || string(env.Data) == "null" || json.Unmarshal(env.Data, &r) != nil {
		return providers.UnknownOutcome(providers.CodeBadResponse, "APPLY_SUCCESS without a readable data object: %s", providers.Snippet(resp.Body))
	}
	if mismatch, ok := providers.CheckIDs("cancel answer",
		providers.IDCheck{Field: "requestId", Asked: want.RequestID, Got: string(r.RequestID)},
		providers.IDCheck{Field: "outTradeNo", Asked: want.OutTradeNo, Got: string(r.OutTradeNo)}); !ok {
		return mismatch
	}
	return cancelStatusOutcome(r)
}

// QueryCancel answers from the payment's state: PayerMax has no cancel query; the
// outcome comes from the cancel notification or from orderQuery. CLOSED →
// Succeeded [OPEN], FAILED → Failed/PAYMENT_CLOSED, SUCCESS → Failed/ALREADY_PAID,
// PENDING → Pending; see cancelFromPayment.
func (c *Client) QueryCancel(ctx context.Context, q providers.CancelQuery) providers.Outcome {
	ps := c.QueryPayment(ctx, q.Target)
	var o providers.Outcome
	if ps.Outcome.Kind != providers.Succeeded {
		o = ps.Outcome
	} else {
		o = cancelFromPayment(ps.State, ps.Code, ps.Message)
	}
	if o.ProviderRef == "" {
		o.ProviderRef = q.ProviderRef
	}
	return o
}

// QueryPayment asks for the order's state.
//
// Doc: PayerMax's OpenAPI file, POST /aggregate-pay/api/gateway/orderQuery
// (data{outTradeNo}; answer data.status SUCCESS / PENDING / FAILED / CLOSED) and
// PayerMax's transaction-status appendix.
func (c *Client) QueryPayment(ctx context.Context, t providers.Target) providers.PaymentStatus {
	if o, bad := validateID("merchantOrderNo", t.MerchantOrderNo); bad {
		return providers.PaymentStatus{State: providers.PaymentUnknown, Outcome: o}
	}
	want := RequestData{OutTradeNo: t.MerchantOrderNo}
	resp, o, ok := c.call(ctx, "orderQuery", want)
	if !ok {
		return providers.PaymentStatus{State: providers.PaymentUnknown, Outcome: o}
	}
	return c.interpretOrderQuery(resp, want)
}

// interpretOrderQuery turns an orderQuery answer into a payment status.
func (c *Client) interpretOrderQuery(resp providers.Response, want RequestData) providers.PaymentStatus {
	env, o, ok := c.readResponse(resp)
	if !ok {
		if o.Kind == providers.Failed && o.Reason == providers.ReasonNotFound {
			// The query was answered: there is no such order. [I] PayerMax's sister
			// query (paymentOrderQry) notes ORDER_NOT_EXIST can show for a few minutes
			// after an order is made; the caller decides how long to believe it.
			return providers.PaymentStatus{State: providers.PaymentNotFound, Code: o.Code, Message: o.Message,
				Outcome: providers.Outcome{Kind: providers.Succeeded, Code: o.Code, Message: o.Message}}
		}
		return providers.PaymentStatus{State: providers.PaymentUnknown, Code: o.Code, Message: o.Message, Outcome: o}
	}
	var r orderResult
	if len(env.Data) == 0 || string(env.Data) == "null" || json.Unmarshal(env.Data, &r) != nil {
		o := providers.UnknownOutcome(providers.CodeBadResponse, "APPLY_SUCCESS without a readable data object: %s", providers.Snippet(resp.Body))
		return providers.PaymentStatus{State: providers.PaymentUnknown, Outcome: o}
	}
	if o, ok := providers.CheckIDs("orderQuery answer", providers.IDCheck{Field: "outTradeNo", Asked: want.OutTradeNo, Got: string(r.OutTradeNo)}); !ok {
		return providers.PaymentStatus{State: providers.PaymentUnknown, Code: o.Code, Message: o.Message, Outcome: o}
	}
	st := providers.StateOf(paymentStates, string(r.Status))
	msg := string(r.ResultMsg)
	if st == providers.PaymentUnknown {
		o := providers.UnknownOutcome(providers.CodeBadResponse, "unknown order status %q", providers.Snippet([]byte(r.Status)))
		return providers.PaymentStatus{State: st, Code: string(r.Status), Message: msg, Outcome: o}
	}
	return providers.PaymentStatus{State: st, Code: string(r.Status), Message: msg,
		Outcome: providers.Outcome{Kind: providers.Succeeded, Code: CodeApplySuccess}}
}

// validateID checks a business id before anything is sent: required, ≤ 64
// characters (OpenAPI maxLength). [C]
func validateID(name, v string) (providers.Outcome, bool) {
	if strings.TrimSpace(v) == "" {
		return providers.FailedOutcome(providers.ReasonInvalidRequest, providers.CodeInvalidRequest, name+" is required"), true
	}
	// PayerMax counts characters, as providers.CheckField does.
	if err := providers.CheckField(name, v, false, MaxIDLen); err != nil {
		return providers.FailedOutcome(providers.ReasonInvalidRequest, providers.CodeInvalidRequest, err.Error()), true
	}
	return providers.Outcome{}, false
}

// call builds the envelope with a fresh requestTime, marshals it once, signs those
// exact bytes and posts them to {BaseURL}/{api}.
func (c *Client) call(ctx context.Context, api string, data RequestData) (providers.Response, providers.Outcome, bool) {
	body, err := json.Marshal(Envelope{
		Version:     c.cfg.Version,
		KeyVersion:  c.cfg.KeyVersion,
		RequestTime: c.now().Format(RequestTimeLayout),
		AppID:       c.cfg.AppID,
		MerchantNo:  c.cfg.MerchantNo,
		Data:        data,
	})
	if err != nil {
		return providers.Response{}, providers.FailedOutcome(providers.ReasonInvalidRequest, providers.CodeInvalidRequest, "encoding request: "+err.Error()), false
	}
	sign, err := Sign(c.key, body)
	if err != nil {
		return providers.Response{}, providers.FailedOutcome(providers.ReasonConfiguration, providers.CodeLocalConfigFail, "signing with merchantPrivateKey failed"), false
	}
	header := http.Header{}
	header.Set("Content-Type", "application/json; charset=utf-8")
	header.Set(SignHeader, sign)
	return providers.Post(ctx, c.http, c.cfg.BaseURL+"/"+api, header, body)
}

// readResponse parses the {code, msg, data} envelope. ok is true only for a
// verified APPLY_SUCCESS; every other answer comes back as its outcome.
//
// The `sign` header is checked only when code is APPLY_SUCCESS, and is then
// required: the official SDKs do the same, error bodies may be unsigned
// (the provider's API notes, payermax "Responses"). [C]
func (c *Client) readResponse(resp providers.Response) (response, providers.Outcome, bool) {
	var env response
	if err := json.Unmarshal(resp.Body, &env); err != nil || env.Code == "" {
		if resp.Status < 200 || resp.Status > 299 {
			return env, providers.HTTPStatusOutcome(resp), false
		}
		return env, providers.UnknownOutcome(providers.CodeBadResponse, "HTTP %d, not a PayerMax answer: %s", resp.Status, providers.Snippet(resp.Body)), false
	}
	if env.Code != CodeApplySuccess {
		// Unsigned: it may classify a failure, never decide (providers/trust.go).
		return env, providers.Unsigned(codeOutcome(env.Code, env.Msg), nil), false
	}
	if err := Verify(c.pub, resp.Body, resp.Header.Get(SignHeader)); err != nil {
		return env, providers.UnknownOutcome(providers.CodeUnverified, "APPLY_SUCCESS answer failed verification (%v): treated as unknown, possibly tampered", err), false
	}
	if resp.Status < 200 || resp.Status > 299 {
		// A signed APPLY_SUCCESS under an error status: believe neither.
		return env, providers.HTTPStatusOutcome(resp), false
	}
	return env, providers.Outcome{}, true
}
