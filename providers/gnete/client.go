// Package gnete is the paycancel adapter for the GNETE HK unified gateway, a
// Jeepay derivative (GNETE's "Unified Cancel" / "Order Query" / "Cancel
// Notification" pages): cancel by payOrderId or mchOrderNo, a cancel query by the gateway's
// cancelOrderId, the payment query, and the cancel notification sent to the
// notifyUrl of the cancel request. Everything is signed with Jeepay's MD5 scheme
// and a secret shared with the gateway (signing.go).
package gnete

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"strconv"
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
	// Version is the interface version sent in every request. Default "1.0" (the
	// Unified Cancel page: "fixed: 1.0").
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
	cfg.Version = cmp.Or(cfg.Version, "1.0")
	cfg.BodyFormat = cmp.Or(cfg.BodyFormat, BodyJSON)
	base, err := providers.BaseURL("baseURL", cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if err := providers.CheckFields(
		providers.Field{Name: "mchNo", Value: cfg.MchNo, Required: true, Max: MaxMchNo},
		providers.Field{Name: "appId", Value: cfg.AppID, Required: true, Max: MaxAppID},
		providers.Field{Name: "version", Value: cfg.Version, Max: MaxVersion},
	); err != nil {
		return nil, err
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

// Name returns "gnete".
func (c *Client) Name() string { return Name }

// Cancel sends one cancel attempt.
//
// When req.ProviderRef holds the cancelOrderId of an earlier attempt, the cancel
// query runs first (repeating a cancel is undocumented [OPEN]; query before sending
// again): done → AlreadyDone, in progress → Pending, failed/closed/unknown to the
// gateway → a new cancel is sent. When the query itself cannot answer, the result
// is that Unknown: we do not resend blind.
//
// What proves the cancel (providers/trust.go): the gateway's signed "cancel
// success" (state 2) names only its own cancelOrderId, and Jeepay signatures carry
// no nonce, so a replayed success about another order would verify too. Success is
// therefore reported only once the signed /api/pay/query, naming our mchOrderNo /
// payOrderId, shows the payment cancelled (state 4), inside the same call. The
// unsigned error bodies (code ≠ 0) classify failures; a claim in their text
// ("已撤销", "已支付", "已关闭") is confirmed the same way, else Unknown.
func (c *Client) Cancel(ctx context.Context, req providers.CancelRequest) providers.Outcome {
	target, bad := targetParam(req.Target)
	if bad != nil {
		return *bad
	}
	if utf8.RuneCountInString(req.NotifyURL) > MaxNotifyURL {
		return invalid("notifyUrl is longer than %d characters", MaxNotifyURL)
	}
	if req.ProviderRef != "" {
		q, state := c.queryCancelByRef(ctx, req.ProviderRef, req.Target)
		switch {
		case state == 2 && q.Kind == providers.Succeeded:
			q.Kind = providers.AlreadyDone
			q.Message = "earlier cancel " + req.ProviderRef + " already took effect: " + q.Message
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
	// Doc: GNETE's "Unified Cancel" page, POST /api/pay/cancel.
	fields := []param{target}
	if req.NotifyURL != "" {
		// The gateway calls back only when notifyUrl is given (the Unified Cancel page).
		fields = append(fields, param{"notifyUrl", req.NotifyURL})
	}
	data, fail, ok := c.exchange(ctx, PathCancel, fields)
	if !ok {
		// Everything but a verified code-0 answer is unsigned: a claim in it is
		// confirmed by the signed pay query, else Unknown; failures pass.
		return providers.Unsigned(fail, func() providers.Outcome { return c.payDecision(ctx, req.Target) })
	}
	o := cancelDataOutcome(data)
	if o.Kind == providers.Succeeded {
		return c.confirmSuccess(ctx, req.Target, o)
	}
	return o
}

// confirmSuccess checks a signed "cancel success" (cancel state 2) against the
// payment it is meant to be about: the signed pay query for our order must show it
// cancelled (state 4). Any other deciding state of our payment (paid, failed,
// closed) is reported as it is; anything else — a payment still shown paying, an
// answer about another order, a query that failed — is Unknown.
func (c *Client) confirmSuccess(ctx context.Context, t providers.Target, claimed providers.Outcome) providers.Outcome {
	d := c.payDecision(ctx, t)
	if providers.Decides(d) {
		if d.Kind == providers.Succeeded {
			d.Code = claimed.Code
			d.Message = claimed.Message + "; confirmed: signed pay query shows the " + d.Message
		}
		d.ProviderRef = claimed.ProviderRef
		return d
	}
	o := providers.UnknownOutcome(CodeUnconfirmedSuccess, "cancel order %s reports success, but the signed pay query does not show our payment cancelled: %s",
		claimed.ProviderRef, d)
	o.ProviderRef = claimed.ProviderRef
	return o
}

// CodeUnconfirmedSuccess: a signed cancel success that our payment's signed state
// does not confirm (see confirmSuccess).
const CodeUnconfirmedSuccess = "CANCEL_SUCCESS_UNCONFIRMED"

// cancelDataOutcome maps the data of a code-0 cancel or cancel-query answer.
func cancelDataOutcome(data map[string]any) providers.Outcome {
	ref := Text(data, "cancelOrderId")
	state, ok := toInt(data["state"])
	if !ok || ref == "" {
		return providers.UnknownOutcome(providers.CodeBadResponse, "code 0 without cancelOrderId/state")
	}
	return cancelStateOutcome(state, Text(data, "errCode"), Text(data, "errMsg"), ref)
}

// QueryCancel asks whether an earlier cancel took effect: by cancelOrderId with
// the cancel query when ProviderRef is known, else from the payment's state
// (payStates: 4 cancelled → Succeeded, 2/5 → ALREADY_PAID, 3/6 → PAYMENT_CLOSED).
// A cancel order in state 2 counts only once the pay query confirms it.
func (c *Client) QueryCancel(ctx context.Context, q providers.CancelQuery) providers.Outcome {
	if q.ProviderRef != "" {
		o, _ := c.queryCancelByRef(ctx, q.ProviderRef, q.Target)
		return o
	}
	if _, bad := targetParam(q.Target); bad != nil {
		return *bad
	}
	return c.payDecision(ctx, q.Target)
}

// payDecision runs the pay query and says what our payment's verified state
// means for the cancel (payStateOutcome). An answer naming another order is Unknown.
func (c *Client) payDecision(ctx context.Context, t providers.Target) providers.Outcome {
	target, bad := targetParam(t)
	if bad != nil {
		return *bad
	}
	data, fail, ok := c.payQuery(ctx, target, t)
	if !ok {
		return fail
	}
	state, ok := toInt(data["state"])
	if !ok {
		return providers.UnknownOutcome(providers.CodeBadResponse, "payment query: code 0 without state")
	}
	o := payStateOutcome(state)
	if e := Text(data, "errMsg"); e != "" && providers.Decides(o) {
		o.Message += ": " + e
	}
	return o
}

// queryCancelByRef runs the cancel query; state is the cancel order's state from
// a verified code-0 answer about the cancel order and payment asked about, -1
// otherwise. A state-2 answer is confirmed by the pay query (confirmSuccess).
func (c *Client) queryCancelByRef(ctx context.Context, ref string, t providers.Target) (o providers.Outcome, state int) {
	if utf8.RuneCountInString(ref) > MaxOrderID {
		return invalid("cancelOrderId is longer than %d characters", MaxOrderID), -1
	}
	// Doc: GNETE's "Order Query" page, POST /api/cancel/query by cancelOrderId; its
	// data names cancelOrderId and payOrderId.
	data, fail, ok := c.call(ctx, PathCancelQuery, []param{{"cancelOrderId", ref}})
	if !ok {
		fail.ProviderRef = ref
		return fail, -1
	}
	if mismatch, ok := providers.CheckIDs("cancel query answer",
		providers.IDCheck{Field: "cancelOrderId", Asked: ref, Got: Text(data, "cancelOrderId")},
		providers.IDCheck{Field: "payOrderId", Asked: t.ProviderPaymentID, Got: Text(data, "payOrderId")}); !ok {
		mismatch.ProviderRef = ref
		return mismatch, -1
	}
	o = cancelDataOutcome(data)
	st, ok := toInt(data["state"])
	if !ok || o.Code == providers.CodeBadResponse {
		return o, -1
	}
	if o.Kind == providers.Succeeded && (t.MerchantOrderNo != "" || t.ProviderPaymentID != "") {
		// The ref may have come from a replayed reply about another order: bind the
		// cancel order to our payment. (Asked by the ref alone, the matching
		// cancelOrderId is all there is to bind.)
		o = c.confirmSuccess(ctx, t, o)
	}
	return o, st
}

// QueryPayment asks for the state of the original payment.
func (c *Client) QueryPayment(ctx context.Context, t providers.Target) providers.PaymentStatus {
	target, bad := targetParam(t)
	if bad != nil {
		return providers.PaymentStatus{State: providers.PaymentUnknown, Code: bad.Code, Message: bad.Message, Outcome: *bad}
	}
	data, fail, ok := c.payQuery(ctx, target, t)
	if !ok {
		if fail.Kind == providers.Failed && fail.Reason == providers.ReasonNotFound {
			// The gateway has no such order (an unsigned answer: not found is no
			// decision — the workflow cancels anyway and a human sees the result).
			return providers.PaymentStatus{State: providers.PaymentNotFound, Code: fail.Code, Message: fail.Message,
				Outcome: providers.Outcome{Kind: providers.Succeeded, Code: fail.Code, Message: fail.Message}}
		}
		return providers.PaymentStatus{State: providers.PaymentUnknown, Code: fail.Code, Message: fail.Message, Outcome: fail}
	}
	state, ok := toInt(data["state"])
	code := "payState=" + Text(data, "state")
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
	if e := Text(data, "errMsg"); e != "" {
		msg += ": " + e
	}
	return providers.PaymentStatus{State: ps.Payment, Code: code, Message: msg,
		Outcome: providers.Outcome{Kind: providers.Succeeded, Code: code}}
}

// payQuery runs /api/pay/query and checks that the verified answer is about the
// payment asked about: its signed mchOrderNo and payOrderId, wherever present, must
// equal the target's (a mismatch is Unknown).
func (c *Client) payQuery(ctx context.Context, target param, t providers.Target) (map[string]any, providers.Outcome, bool) {
	// Doc: GNETE's /api/pay/query (Jeepay QueryOrderController) by payOrderId or
	// mchOrderNo; data names both, state 0–6 (payStates).
	data, fail, ok := c.call(ctx, PathPayQuery, []param{target})
	if !ok {
		return nil, fail, false
	}
	if mismatch, ok := providers.CheckIDs("pay query answer",
		providers.IDCheck{Field: "mchOrderNo", Asked: t.MerchantOrderNo, Got: Text(data, "mchOrderNo")},
		providers.IDCheck{Field: "payOrderId", Asked: t.ProviderPaymentID, Got: Text(data, "payOrderId")}); !ok {
		return nil, mismatch, false
	}
	return data, providers.Outcome{}, true
}

// targetParam picks the id the gateway is asked about: payOrderId when known,
// else mchOrderNo (the Unified Cancel page: "input either payOrderId or mchOrderNo").
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
	if utf8.RuneCountInString(p.value) > MaxOrderID {
		o := invalid("%s is longer than %d characters", p.key, MaxOrderID)
		return p, &o
	}
	return p, nil
}

func invalid(format string, args ...any) providers.Outcome {
	return providers.FailedOutcome(providers.ReasonInvalidRequest, providers.CodeInvalidRequest, fmt.Sprintf(format, args...))
}

// call signs and sends one request and reads a code-0 answer's verified data.
// ok is false with the outcome for everything else. Such an outcome comes from an
// unsigned body: one that claims an effect (codeOutcome) is reduced to Unknown
// here (providers.Unsigned without a confirmation).
func (c *Client) call(ctx context.Context, path string, business []param) (data map[string]any, fail providers.Outcome, ok bool) {
	data, fail, ok = c.exchange(ctx, path, business)
	if !ok {
		fail = providers.Unsigned(fail, nil)
	}
	return data, fail, ok
}

// exchange is call without the reduction: a claim comes back as the claimed
// outcome, and the caller must pass it through providers.Unsigned with its
// confirmation (Cancel). Never return its failure as it is.
func (c *Client) exchange(ctx context.Context, path string, business []param) (data map[string]any, fail providers.Outcome, ok bool) {
	fields := make([]param, 0, len(business)+6)
	fields = append(fields, param{"mchNo", c.cfg.MchNo}, param{"appId", c.cfg.AppID})
	fields = append(fields, business...)
	// reqTime is per attempt: 13-digit epoch milliseconds (the Unified Cancel page).
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

// readResponse interprets a gateway answer: non-zero codes (unsigned) map through
// codes.go — a claim comes back as the claimed outcome, for providers.Unsigned to
// confirm or reduce to Unknown; code 0 must carry a data object whose sign
// verifies (GNETE's "Unified Cancel" page: sign covers the fields of data only).
func readResponse(resp providers.Response, secret providers.Secret) (data map[string]any, fail providers.Outcome, ok bool) {
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
		o, _ := codeOutcome(env.Code, env.Msg)
		return nil, o, false
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
