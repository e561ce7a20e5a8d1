// Package gnete is the paycancel adapter for the GNETE HK unified gateway, a
// Jeepay derivative (seed shared/seeds/002_af916b96b4bf8077.txt, shared/providers.md
// "gnete"): cancel by payOrderId or mchOrderNo, a cancel query by the gateway's
// cancelOrderId, the payment query, and the cancel notification sent to the
// notifyUrl of the cancel request. Everything is signed with Jeepay's MD5 scheme
// and a secret shared with the gateway (signing.go).
package gnete

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/paycancel/paycancel/providers"
)

// Name is the provider's short name.
const Name = "gnete"

// Config is one GNETE credential set.
type Config struct {
	// BaseURL is the gateway root (required): test https://ts-api-pay.gnete.com.hk,
	// production https://api-pay.gnete.com.hk. The API paths (/api/pay/cancel,
	// /api/cancel/query, /api/pay/query) are appended.
	BaseURL string `yaml:"baseURL" json:"baseURL"`
	// MchNo is the merchant number (required, at most 30 characters), e.g. M1621873433953.
	MchNo string `yaml:"mchNo" json:"mchNo"`
	// AppID is the merchant application id (required, at most 24 characters).
	AppID string `yaml:"appId" json:"appId"`
	// AppSecret is the application's MD5 signing secret, shared with the gateway
	// (required; a file or an environment variable).
	AppSecret providers.SecretRef `yaml:"appSecret" json:"appSecret"`
	// Version is the interface version sent in every request. Default "1.0" (seed
	// 002: "fixed: 1.0").
	Version string `yaml:"version,omitempty" json:"version,omitempty"`
	// BodyFormat is how requests are encoded: "json" (default) or "form"
	// (application/x-www-form-urlencoded); the gateway accepts both.
	BodyFormat string `yaml:"bodyFormat,omitempty" json:"bodyFormat,omitempty"`
}

// Client is a configured GNETE adapter. It implements providers.Provider and
// providers.NotificationParser.
type Client struct {
	cfg    Config
	base   string
	secret providers.Secret
	deps   providers.Deps
	http   *http.Client
}

var (
	_ providers.Provider           = (*Client)(nil)
	_ providers.NotificationParser = (*Client)(nil)
)

// New fills defaults, validates the configuration and loads the app secret.
func New(cfg Config, deps providers.Deps) (*Client, error) {
	if cfg.Version == "" {
		cfg.Version = "1.0"
	}
	if cfg.BodyFormat == "" {
		cfg.BodyFormat = BodyJSON
	}
	base := strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/")
	if err := providers.CheckBaseURL("baseURL", base); err != nil {
		return nil, err
	}
	if err := checkID("mchNo", cfg.MchNo, maxMchNo); err != nil {
		return nil, err
	}
	if err := checkID("appId", cfg.AppID, maxAppID); err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(cfg.Version) > maxVersion {
		return nil, providers.FieldErr("version", "at most %d characters", maxVersion)
	}
	switch cfg.BodyFormat {
	case BodyJSON, BodyForm:
	default:
		return nil, providers.FieldErr("bodyFormat", "must be %q or %q", BodyJSON, BodyForm)
	}
	secret, err := cfg.AppSecret.Load(deps.BaseDir)
	if err != nil {
		return nil, providers.FieldErr("appSecret", "%v", err)
	}
	return &Client{cfg: cfg, base: base, secret: secret, deps: deps, http: deps.Client()}, nil
}

func checkID(field, v string, max int) error {
	if v == "" {
		return providers.FieldErr(field, "required")
	}
	if utf8.RuneCountInString(v) > max {
		return providers.FieldErr(field, "at most %d characters", max)
	}
	return nil
}

// Name returns "gnete".
func (c *Client) Name() string { return Name }

// Cancel sends one cancel attempt.
//
// When req.ProviderRef holds the cancelOrderId of an earlier attempt, the cancel
// query runs first (providers.md "gnete": repeating a cancel is undocumented
// [OPEN]; query before sending again): done → AlreadyDone, in progress → Pending,
// failed/closed/unknown to the gateway → a new cancel is sent. When the query
// itself cannot answer, the result is that Unknown: we do not resend blind.
func (c *Client) Cancel(ctx context.Context, req providers.CancelRequest) providers.Outcome {
	target, bad := targetParam(req.Target)
	if bad != nil {
		return *bad
	}
	if utf8.RuneCountInString(req.NotifyURL) > maxNotifyURL {
		return invalid("notifyUrl is longer than %d characters", maxNotifyURL)
	}
	if req.ProviderRef != "" {
		q, state := c.queryCancelByRef(ctx, req.ProviderRef)
		switch {
		case state == 2:
			q.Kind = providers.AlreadyDone
			q.Message = "earlier cancel " + req.ProviderRef + " already took effect"
			return q
		case state == 0 || state == 1:
			return q
		case state == 3 || state == 4:
			// The earlier cancel failed or was closed without effect: send anew.
		case q.Kind == providers.Failed && q.Reason == providers.ReasonNotFound:
			// The gateway does not know that cancel order: send anew.
		case q.Kind == providers.Unknown:
			q.Message = "cancel query before resending: " + q.Message
			return q
		default:
			return q
		}
	}
	// Doc: seed 002 "Unified Cancel", POST /api/pay/cancel; providers.md "gnete".
	fields := []param{target}
	if req.NotifyURL != "" {
		// The gateway calls back only when notifyUrl is given (seed 002).
		fields = append(fields, param{"notifyUrl", req.NotifyURL})
	}
	data, fail, ok := c.call(ctx, PathCancel, fields)
	if !ok {
		return fail
	}
	return cancelDataOutcome(data)
}

// cancelDataOutcome maps the data of a code-0 cancel or cancel-query answer.
func cancelDataOutcome(data map[string]any) providers.Outcome {
	ref := str(data, "cancelOrderId")
	state, ok := toInt(data["state"])
	if !ok || ref == "" {
		return providers.UnknownOutcome(providers.CodeBadResponse, "code 0 without cancelOrderId/state")
	}
	return cancelStateOutcome(state, str(data, "errCode"), str(data, "errMsg"), ref)
}

// QueryCancel asks whether an earlier cancel took effect: by cancelOrderId with
// the cancel query when ProviderRef is known, else from the payment's state
// (state 4 = cancelled).
func (c *Client) QueryCancel(ctx context.Context, q providers.CancelQuery) providers.Outcome {
	if q.ProviderRef != "" {
		o, _ := c.queryCancelByRef(ctx, q.ProviderRef)
		return o
	}
	target, bad := targetParam(q.Target)
	if bad != nil {
		return *bad
	}
	data, fail, ok := c.payQuery(ctx, target)
	if !ok {
		return fail
	}
	state, ok := toInt(data["state"])
	if !ok {
		return providers.UnknownOutcome(providers.CodeBadResponse, "payment query: code 0 without state")
	}
	ps, known := payStates[state]
	if !known {
		return providers.UnknownOutcome("payState="+strconv.Itoa(state), "undocumented payment state %d", state)
	}
	o := ps.Cancel
	o.Code = "payState=" + strconv.Itoa(state)
	o.Message = "payment " + ps.Name
	return o
}

// queryCancelByRef runs the cancel query; state is the cancel order's state from
// a verified code-0 answer, -1 otherwise.
func (c *Client) queryCancelByRef(ctx context.Context, ref string) (o providers.Outcome, state int) {
	if utf8.RuneCountInString(ref) > maxOrderID {
		return invalid("cancelOrderId is longer than %d characters", maxOrderID), -1
	}
	// Doc: seed 002 "Order Query", POST /api/cancel/query by cancelOrderId.
	data, fail, ok := c.call(ctx, PathCancelQuery, []param{{"cancelOrderId", ref}})
	if !ok {
		fail.ProviderRef = ref
		return fail, -1
	}
	o = cancelDataOutcome(data)
	if st, ok := toInt(data["state"]); ok && o.Code != providers.CodeBadResponse {
		return o, st
	}
	return o, -1
}

// QueryPayment asks for the state of the original payment.
func (c *Client) QueryPayment(ctx context.Context, t providers.Target) providers.PaymentStatus {
	target, bad := targetParam(t)
	if bad != nil {
		return providers.PaymentStatus{State: providers.PaymentUnknown, Code: bad.Code, Message: bad.Message, Outcome: *bad}
	}
	data, fail, ok := c.payQuery(ctx, target)
	if !ok {
		if fail.Kind == providers.Failed && fail.Reason == providers.ReasonNotFound {
			// A definite answer: the gateway has no such order.
			return providers.PaymentStatus{State: providers.PaymentNotFound, Code: fail.Code, Message: fail.Message,
				Outcome: providers.Outcome{Kind: providers.Succeeded, Code: fail.Code, Message: fail.Message}}
		}
		return providers.PaymentStatus{State: providers.PaymentUnknown, Code: fail.Code, Message: fail.Message, Outcome: fail}
	}
	state, ok := toInt(data["state"])
	code := "payState=" + str(data, "state")
	if !ok {
		o := providers.UnknownOutcome(providers.CodeBadResponse, "payment query: code 0 without state")
		return providers.PaymentStatus{State: providers.PaymentUnknown, Code: o.Code, Message: o.Message, Outcome: o}
	}
	ps, known := payStates[state]
	if !known {
		return providers.PaymentStatus{State: providers.PaymentUnknown, Code: code, Message: "undocumented payment state",
			Outcome: providers.Outcome{Kind: providers.Succeeded, Code: code}}
	}
	msg := "payment " + ps.Name
	if e := str(data, "errMsg"); e != "" {
		msg += ": " + e
	}
	return providers.PaymentStatus{State: ps.Payment, Code: code, Message: msg,
		Outcome: providers.Outcome{Kind: providers.Succeeded, Code: code}}
}

func (c *Client) payQuery(ctx context.Context, target param) (map[string]any, providers.Outcome, bool) {
	// Doc: providers.md "gnete" (payment: /api/pay/query); Jeepay QueryOrderController
	// by payOrderId or mchOrderNo, state 0–6.
	return c.call(ctx, PathPayQuery, []param{target})
}

// targetParam picks the id the gateway is asked about: payOrderId when known,
// else mchOrderNo (seed 002: "input either payOrderId or mchOrderNo").
func targetParam(t providers.Target) (param, *providers.Outcome) {
	var p param
	switch {
	case t.ProviderPaymentID != "":
		p = param{"payOrderId", t.ProviderPaymentID}
	case t.MerchantOrderNo != "":
		p = param{"mchOrderNo", t.MerchantOrderNo}
	default:
		o := invalid("neither payOrderId nor mchOrderNo is set")
		return p, &o
	}
	if utf8.RuneCountInString(p.value) > maxOrderID {
		o := invalid("%s is longer than %d characters", p.key, maxOrderID)
		return p, &o
	}
	return p, nil
}

func invalid(format string, args ...any) providers.Outcome {
	return providers.FailedOutcome(providers.ReasonInvalidRequest, providers.CodeInvalidRequest, fmt.Sprintf(format, args...))
}

// call signs and sends one request and reads a code-0 answer's verified data.
// ok is false with the outcome for everything else.
func (c *Client) call(ctx context.Context, path string, business []param) (map[string]any, providers.Outcome, bool) {
	fields := make([]param, 0, len(business)+6)
	fields = append(fields, param{"mchNo", c.cfg.MchNo}, param{"appId", c.cfg.AppID})
	fields = append(fields, business...)
	// reqTime is per attempt: 13-digit epoch milliseconds (seed 002).
	fields = append(fields,
		param{"reqTime", strconv.FormatInt(c.deps.Clock().UnixMilli(), 10)},
		param{"version", c.cfg.Version},
		param{"signType", SignType})
	fields = append(fields, param{"sign", Sign(paramMap(fields), c.secret)})

	header := http.Header{}
	var body []byte
	if c.cfg.BodyFormat == BodyForm {
		header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
		body = encodeForm(fields)
	} else {
		header.Set("Content-Type", "application/json; charset=UTF-8")
		body = encodeJSON(fields)
	}
	resp, fail, ok := providers.Post(ctx, c.http, c.base+path, header, body)
	if !ok {
		return nil, fail, false
	}
	return readResponse(resp, c.secret)
}

// readResponse interprets a gateway answer: non-zero codes map through codes.go;
// code 0 must carry a data object whose sign verifies (providers.md "gnete":
// sign covers the fields of data only).
func readResponse(resp providers.Response, secret providers.Secret) (map[string]any, providers.Outcome, bool) {
	env, err := parseEnvelope(resp.Body)
	if resp.Status < 200 || resp.Status > 299 {
		// A gateway error body (code ≠ 0) is still the gateway's answer; anything
		// else (a proxy page, a 429) is judged by the status alone.
		if resp.Status == http.StatusTooManyRequests || err != nil || env.Code == CodeOK {
			return nil, providers.HTTPStatusOutcome(resp), false
		}
	}
	if err != nil {
		return nil, providers.UnknownOutcome(providers.CodeBadResponse, "unreadable answer (%v): %s", err, providers.Snippet(resp.Body)), false
	}
	if env.Code != CodeOK {
		return nil, codeOutcome(env.Code, env.Msg), false
	}
	if env.Data == nil {
		why := "no data"
		if env.DataErr != nil {
			why = env.DataErr.Error()
		}
		return nil, providers.UnknownOutcome(providers.CodeBadResponse, "code 0 with %s", why), false
	}
	if env.Sign == "" {
		return nil, providers.UnknownOutcome(providers.CodeUnverified, "code 0 answer without sign: cannot trust it"), false
	}
	if !Verify(env.Data, secret, env.Sign) {
		return nil, providers.UnknownOutcome(providers.CodeUnverified, "answer sign does not verify: tampered or wrong appSecret"), false
	}
	return env.Data, providers.Outcome{}, true
}
