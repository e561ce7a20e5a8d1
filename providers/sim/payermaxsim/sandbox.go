// Package payermaxsim simulates PayerMax for development and tests: Sandbox answers the
// adapter (providers/payermax) over HTTP, verifying its signatures and signing like the
// provider, with the scripted scenarios and faults of simkit; DevCredentials and
// Dev make the matching development keys and configurations; Contract states where
// the provider answers differently from most (the contract suite checks it). It
// imports the adapter for the wire format and signing; the adapter never imports it.
package payermaxsim

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/payermax"
	"github.com/paycancel/paycancel/providers/sim/simkit"
)

// DefaultNotifySchedule is PayerMax's notification retry schedule: 0s, 30s, 300s,
// 600s, 3600s, 43200s. It is documented for payment notifications; that cancel
// notifications follow it, and that the values are gaps between attempts, is [I].
var DefaultNotifySchedule = []time.Duration{0, 30 * time.Second, 300 * time.Second, 600 * time.Second, 3600 * time.Second, 43200 * time.Second}

// DefaultMaxClockSkew is how far requestTime may be from PayerMax's clock. [C]
const DefaultMaxClockSkew = 2 * time.Minute

// PayerMax's own answers for rejected requests (orderAndPay error table). [C]
const (
	msgSystemError    = "System is busy, please try again later."
	msgTooMany        = "Exceed request limitation, please retry later"
	msgSignFailed     = "The signature verify failed."
	msgMerchant       = "The merchant has been offline."
	msgMerchantApp    = "Signature key is not configured."
	msgReqTimeOver    = "requestTime effective in two minutes"
	msgOrderNotExist  = "The order does not exist."
	codeSignFailed    = "SIGN_VERIFY_FAILED"
	codeParamsInvalid = "PARAMS_INVALID"
)

// SandboxConfig configures the PayerMax simulator.
type SandboxConfig struct {
	// AppID is the merchant app the sandbox knows; another appId gets
	// MERCHANT_APP_INVALID. Empty: any appId.
	AppID string
	// MerchantNo is the merchant number; another non-empty merchantNo gets
	// MERCHANT_INVALID. Empty: any.
	MerchantNo string
	// MerchantPublicKey verifies request signatures (required: without it every
	// request gets SIGN_VERIFY_FAILED).
	MerchantPublicKey *rsa.PublicKey
	// ProviderPrivateKey signs responses and notifications (required: without it
	// answers go unsigned).
	ProviderPrivateKey *rsa.PrivateKey
	// Now is the sandbox's clock. Nil: time.Now.
	Now func() time.Time
	// MaxClockSkew bounds |requestTime − Now|. Zero: DefaultMaxClockSkew (2 minutes).
	MaxClockSkew time.Duration
	// NotifyURL is the merchant's cancelResultNotifyUrl (set in PayerMax's console).
	// Empty: no notifications.
	NotifyURL string
	// NotifySchedule is the delay before each notification attempt, each counted from
	// the previous one. Nil: DefaultNotifySchedule.
	NotifySchedule []time.Duration
}

// Sandbox simulates PayerMax's cancel and orderQuery APIs and its cancel
// notification: it verifies request signatures and freshness, applies PayerMax's
// cancel rules to simulated payments, signs answers like PayerMax and renders the
// scripted faults. Scenario.UnsignedClaim: every cancel answers an unsigned claim
// (a top-level ORDER_CANCELLED, or APPLY_SUCCESS/SUCCESS without its sign) while
// orderQuery keeps showing the order PENDING.
type Sandbox struct {
	// Store holds the simulated payments and every cancel received.
	Store *simkit.Store

	cfg      SandboxConfig
	rules    simkit.CancelRules
	notifier *simkit.Notifier

	mu       sync.Mutex
	notified map[string]bool // cancelNo → notification under way
}

// NewSandbox makes a sandbox.
func NewSandbox(cfg SandboxConfig) *Sandbox {
	if cfg.MaxClockSkew <= 0 {
		cfg.MaxClockSkew = DefaultMaxClockSkew
	}
	schedule := cfg.NotifySchedule
	if schedule == nil {
		schedule = DefaultNotifySchedule
	}
	s := &Sandbox{
		Store:    simkit.NewStore("T"), // PayerMax tradeTokens look like T2024062702289232000001
		cfg:      cfg,
		notifier: &simkit.Notifier{Schedule: schedule},
		notified: map[string]bool{},
	}
	s.Store.Now = cfg.Now
	// PayerMax cancels authorised-not-captured payments only: a PAID payment counts
	// as captured and is refused (CancelPaid false). A repeat is "already cancelled",
	// answered per requestId in serveCancel.
	s.rules = simkit.CancelRules{NewCancelRef: func() string { return s.Store.NextID("") }}
	return s
}

func (s *Sandbox) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

// Handler serves PayerMax's real paths ({payermax.GatewayPath}/cancel, {payermax.GatewayPath}/orderQuery)
// and the simkit admin API under /_sandbox/.
func (s *Sandbox) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+payermax.GatewayPath+"/cancel", s.serveCancel)
	mux.HandleFunc("POST "+payermax.GatewayPath+"/orderQuery", s.serveOrderQuery)
	return simkit.WithAdmin(s.Store, mux)
}

// Deliveries lists the notification attempts made so far.
func (s *Sandbox) Deliveries() []simkit.Delivery { return s.notifier.Deliveries() }

// WaitDeliveries implements simkit.Sim.
func (s *Sandbox) WaitDeliveries() { s.notifier.Wait() }

// Close stops notification retries.
func (s *Sandbox) Close() { s.notifier.Close() }

// answer is a gateway answer as PayerMax renders it (msg first, as in the examples).
type answer struct {
	Msg  string `json:"msg"`
	Code string `json:"code"`
	Data any    `json:"data,omitempty"`
}

// write renders an answer, signed with the provider key over the exact bytes sent,
// or with the scripted signature fault.
func (s *Sandbox) write(w http.ResponseWriter, a answer, fault simkit.Fault) {
	body, err := json.Marshal(a)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if s.cfg.ProviderPrivateKey != nil && fault != simkit.FaultUnsigned {
		signed := body
		if fault == simkit.FaultBadSignature {
			signed = append(append([]byte(nil), body...), ' ') // a genuine signature over other bytes
		}
		if sign, err := payermax.Sign(s.cfg.ProviderPrivateKey, signed); err == nil {
			w.Header().Set(payermax.SignHeader, sign)
		}
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_, _ = w.Write(body)
}

func (s *Sandbox) writeError(w http.ResponseWriter, code, msg string) {
	s.write(w, answer{Msg: msg, Code: code}, simkit.FaultNone)
}

// serveFault renders the faults that answer before PayerMax acts, in PayerMax's
// format where it has one; unsigned and bad_signature are rendered by write.
func (s *Sandbox) serveFault(w http.ResponseWriter, r *http.Request, f simkit.Fault) bool {
	if simkit.ServeTransportFault(w, r, f) {
		return true
	}
	switch f {
	case simkit.FaultUnknown:
		s.writeError(w, "SYSTEM_ERROR", msgSystemError)
		return true
	case simkit.FaultRateLimit:
		// PayerMax documents no Retry-After for TOO_MANY_REQUEST.
		s.writeError(w, "TOO_MANY_REQUEST", msgTooMany)
		return true
	}
	return false
}

// authenticate reads and checks a request as the gateway does: body, app and
// merchant, signature, then the envelope fields and freshness. It answers the
// rejections itself.
func (s *Sandbox) authenticate(w http.ResponseWriter, r *http.Request) (payermax.RequestData, bool) {
	body, err := simkit.ReadBody(r)
	if err != nil {
		s.writeError(w, codeParamsInvalid, err.Error())
		return payermax.RequestData{}, false
	}
	var env payermax.Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		s.writeError(w, codeParamsInvalid, "Request body is not valid JSON.")
		return payermax.RequestData{}, false
	}
	switch {
	case env.AppID == "":
		s.writeError(w, codeParamsInvalid, nullField("appId"))
		return payermax.RequestData{}, false
	case s.cfg.AppID != "" && env.AppID != s.cfg.AppID:
		s.writeError(w, "MERCHANT_APP_INVALID", msgMerchantApp)
		return payermax.RequestData{}, false
	case s.cfg.MerchantNo != "" && env.MerchantNo != "" && env.MerchantNo != s.cfg.MerchantNo:
		s.writeError(w, "MERCHANT_INVALID", msgMerchant)
		return payermax.RequestData{}, false
	}
	if s.cfg.MerchantPublicKey == nil || payermax.Verify(s.cfg.MerchantPublicKey, body, r.Header.Get(payermax.SignHeader)) != nil {
		s.writeError(w, codeSignFailed, msgSignFailed)
		return payermax.RequestData{}, false
	}
	for _, f := range []struct{ name, v string }{{"version", env.Version}, {"keyVersion", env.KeyVersion}, {"requestTime", env.RequestTime}, {"data.outTradeNo", env.Data.OutTradeNo}} {
		if f.v == "" {
			s.writeError(w, codeParamsInvalid, nullField(f.name))
			return payermax.RequestData{}, false
		}
	}
	t, err := time.Parse(time.RFC3339Nano, env.RequestTime)
	if err != nil {
		s.writeError(w, codeParamsInvalid, "requestTime must be yyyy-MM-dd'T'HH:mm:ss.SSSXXX.")
		return payermax.RequestData{}, false
	}
	if skew := s.now().Sub(t); skew > s.cfg.MaxClockSkew || skew < -s.cfg.MaxClockSkew {
		s.writeError(w, "REQ_TIME_OVER_TIME", msgReqTimeOver)
		return payermax.RequestData{}, false
	}
	for _, f := range []struct{ name, v string }{{"data.requestId", env.Data.RequestID}, {"data.outTradeNo", env.Data.OutTradeNo}} {
		if err := providers.CheckField(f.name, f.v, false, payermax.MaxIDLen); err != nil { // PayerMax counts characters
			s.writeError(w, codeParamsInvalid, fmt.Sprintf("%s length must be between 1 and %d,but your input value length is %d.Make sure all requests length is correct.", f.name, payermax.MaxIDLen, len([]rune(f.v))))
			return payermax.RequestData{}, false
		}
	}
	return env.Data, true
}

func nullField(name string) string {
	return fmt.Sprintf("%s is invalid,because %s is null.", name, name)
}

// serveCancel is POST {payermax.GatewayPath}/cancel (the provider's API page).
func (s *Sandbox) serveCancel(w http.ResponseWriter, r *http.Request) {
	d, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	if d.RequestID == "" {
		s.writeError(w, codeParamsInvalid, nullField("data.requestId"))
		return
	}
	call := s.Store.Cancel(d.OutTradeNo, "", d.RequestID, s.rules)
	p := call.Payment
	if call.Found {
		simkit.Delay(r, p.Scenario)
		s.notifyIfCancelled(p) // it took effect, whatever the connection does next
	}
	if s.serveFault(w, r, call.Fault) {
		return
	}
	now := s.now()
	res := payermax.CancelResult{RequestID: payermax.Nullable(d.RequestID), OutTradeNo: payermax.Nullable(d.OutTradeNo), CreatedTime: payermax.NewProviderTime(now)}
	fail := func(code, msg string) {
		res.Status, res.ErrorCode, res.ErrorMsg, res.FailedTime = payermax.CancelFailed, payermax.Nullable(code), payermax.Nullable(msg), payermax.NewProviderTime(now)
	}
	switch call.Result {
	case simkit.CancelClaimed:
		// Scenario.UnsignedClaim: PayerMax signs only APPLY_SUCCESS, so the claim
		// comes unsigned — as a top-level code on odd calls, as an APPLY_SUCCESS
		// "SUCCESS" without its sign header on even ones. Nothing was cancelled.
		if len(p.Cancels)%2 == 1 {
			s.write(w, answer{Msg: "The order has already been cancelled.", Code: "ORDER_CANCELLED"}, simkit.FaultUnsigned)
			return
		}
		res = payermax.CancelResult{CancelNo: payermax.Nullable(s.Store.NextID("")), RequestID: payermax.Nullable(d.RequestID), OutTradeNo: payermax.Nullable(d.OutTradeNo),
			Status: payermax.CancelSuccess, CreatedTime: payermax.NewProviderTime(now), SucceededTime: payermax.NewProviderTime(now)}
		s.write(w, answer{Msg: "Success.", Code: payermax.CodeApplySuccess, Data: res}, simkit.FaultUnsigned)
		return
	case simkit.CancelForeign:
		s.writeError(w, "SYSTEM_ERROR", msgSystemError) // ForeignAnswers is GNETE's; here: unknown
		return
	case simkit.CancelDone:
		res = s.cancelSucceeded(p, d.RequestID)
	case simkit.CancelPendingNow:
		res.Status, res.CancelNo = payermax.CancelPending, payermax.Nullable(p.CancelRef)
		if rec, ok := effectiveCancel(p); ok {
			res.CreatedTime = payermax.NewProviderTime(rec.At)
		}
	case simkit.CancelAlready:
		// requestId is PayerMax's idempotency key: the same requestId gets the
		// original answer again; another requestId is told the order is already
		// cancelled. [I]
		if rec, ok := effectiveCancel(p); ok && rec.Key == d.RequestID {
			res = s.cancelSucceeded(p, d.RequestID)
		} else {
			fail(payermax.ErrCodeAlreadyCancelled, "The order has already been cancelled.")
		}
	case simkit.CancelPaid:
		fail(payermax.ErrCodeCaptured, "The order has been captured and cannot be cancelled.")
	case simkit.CancelWindow:
		fail(payermax.ErrCodeAuthExpired, "The authorization has expired.")
	case simkit.CancelNotFound:
		fail(payermax.ErrCodeOrderNotExist, msgOrderNotExist)
	case simkit.CancelInProgress:
		fail(payermax.ErrCodeOrderProcessing, "The order is being processed, please try again later.")
	default: // CancelRefused
		fail(payermax.ErrCodeCancelNotAllowed, "The order cannot be cancelled.")
	}
	s.write(w, answer{Msg: "Success.", Code: payermax.CodeApplySuccess, Data: res}, call.Fault)
}

// effectiveCancel returns the cancel call that took effect on p.
func effectiveCancel(p simkit.Payment) (simkit.CancelRecord, bool) {
	for _, c := range p.Cancels {
		if c.Effective {
			return c, true
		}
	}
	return simkit.CancelRecord{}, false
}

// cancelSucceeded renders p's completed cancel.
func (s *Sandbox) cancelSucceeded(p simkit.Payment, requestID string) payermax.CancelResult {
	res := payermax.CancelResult{
		CancelNo:      payermax.Nullable(p.CancelRef),
		RequestID:     payermax.Nullable(requestID),
		OutTradeNo:    payermax.Nullable(p.MerchantOrderNo),
		Status:        payermax.CancelSuccess,
		CreatedTime:   payermax.NewProviderTime(p.CancelledAt),
		SucceededTime: payermax.NewProviderTime(p.CancelledAt),
	}
	if rec, ok := effectiveCancel(p); ok {
		res.CreatedTime = payermax.NewProviderTime(rec.At)
	}
	return res
}

// orderAnswer is orderQuery's data as the sandbox renders it (a subset of the
// OpenAPI schema).
type orderAnswer struct {
	OutTradeNo   string                `json:"outTradeNo"`
	TradeToken   string                `json:"tradeToken"`
	TotalAmount  json.Number           `json:"totalAmount"`
	Currency     string                `json:"currency"`
	Status       string                `json:"status"`
	ResultCode   payermax.Nullable     `json:"resultCode,omitempty"`
	ResultMsg    string                `json:"resultMsg"`
	CreateTime   payermax.ProviderTime `json:"createTime"`
	CompleteTime payermax.ProviderTime `json:"completeTime"`
}

// serveOrderQuery is POST {payermax.GatewayPath}/orderQuery (payermax-openapi.json).
func (s *Sandbox) serveOrderQuery(w http.ResponseWriter, r *http.Request) {
	d, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	call := s.Store.Query(d.OutTradeNo, "", simkit.QueryPayment)
	if !call.Found {
		s.writeError(w, payermax.ErrCodeOrderNotExist, msgOrderNotExist)
		return
	}
	p := call.Payment
	simkit.Delay(r, p.Scenario)
	s.notifyIfCancelled(p) // a pending cancel may have completed with this query
	if s.serveFault(w, r, call.Fault) {
		return
	}
	a := orderAnswer{
		OutTradeNo:  p.MerchantOrderNo,
		TradeToken:  p.ProviderPaymentID,
		TotalAmount: majorUnits(p.Amount),
		Currency:    p.Currency,
		CreateTime:  payermax.ProviderTime{Raw: p.CreatedAt.UTC().Format(payermax.RequestTimeLayout)},
	}
	a.Status = orderStatus.Of(p)
	if p.State == simkit.Failed {
		a.ResultCode, a.ResultMsg = "PAYMENT_FAILED", "Payment failed."
	}
	if a.Status != "PENDING" {
		a.CompleteTime = payermax.ProviderTime{Raw: s.now().UTC().Format(payermax.RequestTimeLayout)}
	}
	s.write(w, answer{Msg: "Success.", Code: payermax.CodeApplySuccess, Data: a}, call.Fault)
}

// orderStatus is orderQuery's data.status for a simulated payment. A cancel still
// completing shows PENDING: the authorisation stands until it completes. [I]
var orderStatus = simkit.StatusNames{
	// Paying, InOTP: authorised (or authorising), not captured.
	Paying: "PENDING", InOTP: "PENDING",
	// Captured. PayerMax refunds are separate orders; the payment stays SUCCESS. [I]
	Paid: "SUCCESS", Refunded: "SUCCESS",
	Failed:    "FAILED",
	Cancelled: "CLOSED", // [OPEN] what PayerMax shows after a cancel
}

// majorUnits renders minor units as PayerMax's major-unit amount (two decimals).
func majorUnits(minor int64) json.Number {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return json.Number(fmt.Sprintf("%s%d.%02d", sign, minor/100, minor%100))
}

// notifyIfCancelled sends the cancel notification once per cancel, when it has
// completed (at once, or when a pending cancel resolves on a query).
func (s *Sandbox) notifyIfCancelled(p simkit.Payment) {
	if s.cfg.NotifyURL == "" || p.CancelRef == "" || p.CancelPending || p.CancelledAt.IsZero() {
		return
	}
	rec, ok := effectiveCancel(p)
	if !ok {
		return
	}
	s.mu.Lock()
	done := s.notified[p.CancelRef]
	s.notified[p.CancelRef] = true
	s.mu.Unlock()
	if done {
		return
	}
	data, err := json.Marshal(s.cancelSucceeded(p, rec.Key))
	if err != nil {
		return
	}
	build := func() simkit.Request {
		// Each attempt is signed afresh with a new notifyTime.
		body, _ := json.Marshal(payermax.Notification{
			Code:       payermax.CodeApplySuccess,
			Msg:        "Success.",
			KeyVersion: payermax.DefaultKeyVersion,
			AppID:      payermax.Nullable(s.cfg.AppID),
			MerchantNo: payermax.Nullable(s.cfg.MerchantNo),
			NotifyTime: payermax.ProviderTime{Raw: s.now().Format(payermax.RequestTimeLayout)},
			NotifyType: payermax.NotifyTypeCancel,
			Data:       data,
		})
		h := http.Header{}
		if s.cfg.ProviderPrivateKey != nil {
			if sign, err := payermax.Sign(s.cfg.ProviderPrivateKey, body); err == nil {
				h.Set(payermax.SignHeader, sign)
			}
		}
		return simkit.Request{ContentType: "application/json", Header: h, Body: body}
	}
	s.notifier.Send(s.cfg.NotifyURL, build, acked)
}

// acked reports whether a receiver answered with PayerMax's acknowledgement.
func acked(status int, body []byte) bool {
	var a struct {
		Code string `json:"code"`
	}
	return status == http.StatusOK && json.Unmarshal(body, &a) == nil && a.Code == "SUCCESS"
}

// Payments is the store of simulated payments (simkit.Sim).
func (s *Sandbox) Payments() *simkit.Store { return s.Store }

// Contract is how the payermax adapter reads this sandbox's answers where they
// differ from most providers' (the contract suite, providers/sim/contracttest,
// checks it).
var Contract = func() simkit.Contract {
	c := simkit.DefaultContract
	// To the cancelResultNotifyUrl set in the console.
	c.Notifies = providers.NotifyCancelResult
	return c
}()
