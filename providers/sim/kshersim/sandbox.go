// Package kshersim simulates Ksher for development and tests: Sandbox answers the
// adapter (providers/ksher) over HTTP, verifying its signatures and signing like the
// provider, with the scripted scenarios and faults of simkit; DevCredentials and
// Dev make the matching development keys and configurations; Contract states where
// the provider answers differently from most (the contract suite checks it). It
// imports the adapter for the wire format and signing; the adapter never imports it.
package kshersim

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/ksher"
	"github.com/paycancel/paycancel/providers/sim/simkit"
)

// SandboxConfig configures the Ksher simulator.
type SandboxConfig struct {
	// AppID is the merchant appid the sandbox knows. Empty: any "mch…" appid.
	AppID string
	// MerchantPublicKey verifies request signatures. Nil: every request is rejected
	// with -2 (signature verification failed).
	MerchantPublicKey *rsa.PublicKey
	// KsherPrivateKey signs query replies and notifications (the real one is 512-bit;
	// Go signs only with 1024 bits or more, so the sandbox's key is larger). Nil: a
	// fresh 2048-bit key that no client knows.
	KsherPrivateKey *rsa.PrivateKey
	// Now is the sandbox clock. Nil: time.Now.
	Now func() time.Time
	// NotifyURL receives the payment-success webhook (Ksher's console setting). Empty:
	// no webhooks.
	NotifyURL string
	// NotifySchedule is the webhook retry schedule. Nil: simkit.DefaultNotifySchedule
	// (Ksher does not document one).
	NotifySchedule []time.Duration
	// NotifyClient sends webhooks. Nil: simkit's default (10 s timeout).
	NotifyClient *http.Client
}

// Sandbox simulates Ksher's gateway: POST /api/cancel_order and
// /api/gateway_order_query, form-encoded and signed like the real gateway, plus the
// simkit admin API under /_sandbox/ and the payment-success webhook.
//
// How simkit's generic results and faults render (codes and texts from the Order Cancel page):
//
//	cancelled / accepted-pending   0 {"data":"取消成功"} (unsigned, like Ksher's)
//	already cancelled             -5      already paid  -4      no such order  -3
//	card OTP under way (InOTP)    -6 取消订单失败
//	window expired                -6 ([I] Ksher has no cancel window; an expired link reads as "cancel failed")
//	CancelFails                   -1 商户信息错误 ([I] the one documented definite refusal)
//	bad request signature         -2 验证商户签名失败
//	bad appid, reused nonce_str, missing/over-long fields  -1 ([I] codes not documented)
//	FaultUnknown                  cancel: -6 (the adapter: Unknown, query first);
//	                              query: code 0, signed data result FAIL err_code SYSTEMERROR (Unknown)
//	FaultRateLimit                HTTP 429 + Retry-After (Ksher documents no rate-limit code)
//	FaultUnsigned/BadSignature    query: sign missing / wrong; cancel: no effect (its reply is never signed)
//	timeout, reset, 5xx, garbage  simkit.ServeTransportFault
//
// Order results: PAYING → NOTPAY, OTP → USERPAYING, PAID → SUCCESS, FAILED → PAYERROR,
// CANCELLED → CLOSED (NOTPAY while a scripted pending cancel has not landed),
// REFUNDED → REFUND.
//
// Scenario.PaidAfterCancel: the first order query answered after the cancel still
// shows CLOSED (so Cancel's own confirmation succeeds); the next one finds the order
// paid from a saved QR code, shows SUCCESS and the webhook goes out.
type Sandbox struct {
	Store    *simkit.Store
	Notifier *simkit.Notifier

	cfg     SandboxConfig
	mu      sync.Mutex // serialises state reads around store calls, and the nonce set
	nonces  map[string]struct{}
	closedS map[string]bool // PaidAfterCancel: a CLOSED answer was served after the cancel
}

// NewSandbox makes a sandbox with an empty store.
func NewSandbox(cfg SandboxConfig) *Sandbox {
	if cfg.KsherPrivateKey == nil {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic("ksher sandbox: " + err.Error())
		}
		cfg.KsherPrivateKey = k
	}
	store := simkit.NewStore("")
	store.Now = cfg.Now
	return &Sandbox{
		Store:    store,
		Notifier: &simkit.Notifier{Client: cfg.NotifyClient, Schedule: cfg.NotifySchedule},
		cfg:      cfg,
		nonces:   map[string]struct{}{},
		closedS:  map[string]bool{},
	}
}

// Close stops webhook retries.
func (s *Sandbox) Close() { s.Notifier.Close() }

// Handler serves Ksher's paths (relative to the server root) and the admin API.
func (s *Sandbox) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api"+ksher.PathCancel, s.handleCancel)
	mux.HandleFunc("POST /api"+ksher.PathOrderQuery, s.handleQuery)
	return s.watchAdmin(simkit.WithAdmin(s.Store, mux))
}

func (s *Sandbox) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

// Seed 003's texts (msg and message are the same).
var codeText = map[int]string{
	0:  "操作成功",
	-1: "商户信息错误",
	-2: "验证商户签名失败",
	-3: "该订单不存在",
	-4: "该订单已支付成功,不能进行此操作",
	-5: "该订单已被取消,不能重复进行此操作",
	-6: "取消订单失败",
}

type codeReply struct {
	Code    int             `json:"code"`
	Msg     string          `json:"msg"`
	Data    json.RawMessage `json:"data,omitempty"`
	Sign    string          `json:"sign,omitempty"`
	Message string          `json:"message"`
}

func writeReply(w http.ResponseWriter, rep codeReply) {
	b, _ := json.Marshal(rep)
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

func writeCode(w http.ResponseWriter, code int) {
	writeReply(w, codeReply{Code: code, Msg: codeText[code], Message: codeText[code]})
}

func writeRateLimit(w http.ResponseWriter, sc simkit.Scenario) {
	simkit.SetRetryAfter(w.Header(), sc)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write([]byte("Too Many Requests"))
}

// readRequest parses and checks a signed form request; it answers and returns false
// when the request is rejected.
func (s *Sandbox) readRequest(w http.ResponseWriter, r *http.Request) (map[string]string, bool) {
	body, err := simkit.ReadBody(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return nil, false
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		writeCode(w, -1)
		return nil, false
	}
	params := make(map[string]string, len(form))
	for k, vs := range form {
		params[k] = vs[0]
	}
	appid := params[ksher.ParamAppID]
	// The gateway finds the merchant (and its public key) by appid first.
	if !strings.HasPrefix(appid, "mch") || (s.cfg.AppID != "" && appid != s.cfg.AppID) {
		writeCode(w, -1)
		return nil, false
	}
	if s.cfg.MerchantPublicKey == nil || ksher.VerifyParams(s.cfg.MerchantPublicKey, params, params[ksher.ParamSign]) != nil {
		writeCode(w, -2)
		return nil, false
	}
	nonce, order := params[ksher.ParamNonce], params[ksher.ParamMchOrderNo]
	if nonce == "" || len(nonce) > ksher.MaxNonce || params[ksher.ParamTimeStamp] == "" || order == "" || len(order) > ksher.MaxMchOrderNo {
		writeCode(w, -1)
		return nil, false
	}
	s.mu.Lock()
	_, replay := s.nonces[appid+"\x00"+nonce]
	if !replay {
		if len(s.nonces) > 100000 {
			s.nonces = map[string]struct{}{}
		}
		s.nonces[appid+"\x00"+nonce] = struct{}{}
	}
	s.mu.Unlock()
	if replay { // "Random string, must be unique" (the Order Cancel page)
		writeCode(w, -1)
		return nil, false
	}
	return params, true
}

func (s *Sandbox) handleCancel(w http.ResponseWriter, r *http.Request) {
	params, ok := s.readRequest(w, r)
	if !ok {
		return
	}
	order := params[ksher.ParamMchOrderNo]
	// Ksher has no cancel id: the business key recorded is mch_order_no.
	call := s.Store.Cancel(order, "", order, simkit.CancelRules{})
	if !call.Found {
		writeCode(w, -3)
		return
	}
	sc := call.Payment.Scenario
	simkit.Delay(r, sc)
	if simkit.ServeTransportFault(w, r, call.Fault) {
		return
	}
	switch call.Fault {
	case simkit.FaultRateLimit:
		writeRateLimit(w, sc)
		return
	case simkit.FaultUnknown:
		writeCode(w, -6)
		return
	}
	switch call.Result {
	case simkit.CancelDone, simkit.CancelPendingNow:
		data, _ := json.Marshal("取消成功")
		writeReply(w, codeReply{Code: 0, Msg: codeText[0], Data: data, Message: codeText[0]})
	case simkit.CancelAlready, simkit.CancelClaimed:
		// CancelClaimed (Scenario.UnsignedClaim): the same unsigned -5, though
		// nothing was cancelled: the order query keeps showing NOTPAY.
		writeCode(w, -5)
	case simkit.CancelPaid:
		writeCode(w, -4)
	case simkit.CancelNotFound:
		writeCode(w, -3)
	case simkit.CancelRefused:
		writeCode(w, -1)
	default: // CancelInProgress (card OTP), CancelWindow, CancelForeign (not rendered here)
		writeCode(w, -6)
	}
}

func (s *Sandbox) handleQuery(w http.ResponseWriter, r *http.Request) {
	params, ok := s.readRequest(w, r)
	if !ok {
		return
	}
	order := params[ksher.ParamMchOrderNo]

	s.mu.Lock()
	before, found := s.Store.Get(order, "")
	kind := simkit.QueryPayment
	holdClosed := found && before.Scenario.PaidAfterCancel && before.State == simkit.Cancelled && !s.closedS[order]
	if holdClosed {
		// A cancel query does not run the "paid after cancel" script: this answer
		// still shows CLOSED; the next payment query finds it paid.
		kind = simkit.QueryCancel
	}
	call := s.Store.Query(order, "", kind)
	p := call.Payment
	if holdClosed && call.Fault == simkit.FaultNone && p.State == simkit.Cancelled && !p.CancelPending {
		s.closedS[order] = true
	}
	becamePaid := found && call.Found && before.State != simkit.Paid && p.State == simkit.Paid
	s.mu.Unlock()
	if becamePaid {
		s.notifyPaid(p, params[ksher.ParamAppID])
	}

	if !call.Found {
		writeCode(w, -3)
		return
	}
	simkit.Delay(r, p.Scenario)
	if simkit.ServeTransportFault(w, r, call.Fault) {
		return
	}
	var data map[string]any
	switch call.Fault {
	case simkit.FaultRateLimit:
		writeRateLimit(w, p.Scenario)
		return
	case simkit.FaultUnknown:
		data = map[string]any{
			"appid": params[ksher.ParamAppID], "mch_order_no": order, "nonce_str": "",
			"result": "FAIL", "err_code": "SYSTEMERROR", "err_msg": "system error",
		}
	default:
		data = s.orderData(p, params[ksher.ParamAppID], orderResult.Of(p))
	}
	raw, _ := json.Marshal(data)
	rep := codeReply{Code: 0, Msg: codeText[0], Data: raw, Message: codeText[0]}
	switch call.Fault {
	case simkit.FaultUnsigned:
	case simkit.FaultBadSignature:
		rep.Sign = s.sign(raw)
		rep.Sign = flipHex(rep.Sign)
	default:
		rep.Sign = s.sign(raw)
	}
	writeReply(w, rep)
}

func (s *Sandbox) sign(data []byte) string {
	sig, err := ksher.SignData(s.cfg.KsherPrivateKey, data)
	if err != nil {
		return ""
	}
	return sig
}

// flipHex changes the last hex digit: a signature that no longer verifies.
func flipHex(h string) string {
	if h == "" {
		return "00"
	}
	last := h[len(h)-1]
	repl := byte('0')
	if last == '0' {
		repl = '1'
	}
	return h[:len(h)-1] + string(repl)
}

// orderResult is gateway_order_query's data.result for a simulated payment.
var orderResult = simkit.StatusNames{
	Paying: "NOTPAY", InOTP: "USERPAYING", Paid: "SUCCESS", Failed: "PAYERROR",
	Cancelled: "CLOSED", Refunded: "REFUND",
}

// orderData is gateway_order_query's data as in the Order Cancel page ("after gateway order query
// again"): amounts are JSON numbers, the rest strings.
func (s *Sandbox) orderData(p simkit.Payment, appid, result string) map[string]any {
	if appid == "" {
		appid = s.cfg.AppID
	}
	d := map[string]any{
		"appid": appid, "attach": "", "cash_fee": "", "cash_fee_type": "", "channel": "",
		"channel_order_no": "", "fee_type": p.Currency, "ksher_order_no": "",
		"mch_order_no": p.MerchantOrderNo, "nonce_str": "", "openid": "",
		"pay_mch_order_no": p.ProviderPaymentID, "rate": "", "result": result,
		"time_end": "", "total_fee": p.Amount,
	}
	if result == "SUCCESS" || result == "REFUND" {
		d["cash_fee"] = p.Amount
		d["cash_fee_type"] = p.Currency
		d["channel"] = "promptpay"
		d["ksher_order_no"] = "9" + p.ProviderPaymentID
		d["channel_order_no"] = "C" + p.ProviderPaymentID
		d["time_end"] = s.now().Format("2006-01-02 15:04:05")
	}
	return d
}

// notifyPaid sends the payment-success webhook (text/plain JSON, signed like a
// response, a fresh nonce_str per attempt) until the receiver answers
// {"result":"SUCCESS",…}.
func (s *Sandbox) notifyPaid(p simkit.Payment, appid string) {
	if s.cfg.NotifyURL == "" {
		return
	}
	build := func() simkit.Request {
		d := s.orderData(p, appid, "SUCCESS")
		d["nonce_str"] = ksher.NewNonce()
		raw, _ := json.Marshal(d)
		body, _ := json.Marshal(codeReply{Code: 0, Msg: "ok", Data: raw, Sign: s.sign(raw), Message: "ok"})
		return simkit.Request{ContentType: "text/plain; charset=utf-8", Body: body}
	}
	s.Notifier.Send(s.cfg.NotifyURL, build, ackedSuccess)
}

func ackedSuccess(status int, body []byte) bool {
	if status < 200 || status > 299 {
		return false
	}
	var a struct {
		Result string `json:"result"`
	}
	return json.Unmarshal(bytes.TrimSpace(body), &a) == nil && a.Result == "SUCCESS"
}

// watchAdmin sends the webhook when the admin API moves a payment to PAID.
func (s *Sandbox) watchAdmin(next http.Handler) http.Handler {
	const prefix, suffix = simkit.AdminPrefix + "payments/", "/state"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		if r.Method != http.MethodPost || !strings.HasPrefix(path, prefix) || !strings.HasSuffix(path, suffix) || len(path) <= len(prefix)+len(suffix) {
			next.ServeHTTP(w, r)
			return
		}
		order, err := url.PathUnescape(path[len(prefix) : len(path)-len(suffix)])
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		s.mu.Lock()
		before, found := s.Store.Get(order, "")
		next.ServeHTTP(w, r)
		after, ok := s.Store.Get(order, "")
		s.mu.Unlock()
		if found && ok && before.State != simkit.Paid && after.State == simkit.Paid {
			s.notifyPaid(after, s.cfg.AppID)
		}
	})
}

// Payments is the store of simulated payments (simkit.Sim).
func (s *Sandbox) Payments() *simkit.Store { return s.Store }

// Deliveries lists the webhook attempts made so far.
func (s *Sandbox) Deliveries() []simkit.Delivery { return s.Notifier.Deliveries() }

// WaitDeliveries implements simkit.Sim.
func (s *Sandbox) WaitDeliveries() { s.Notifier.Wait() }

// Contract is how the ksher adapter reads this sandbox's answers where they
// differ from most providers' (the contract suite, providers/sim/contracttest,
// checks it).
var Contract = func() simkit.Contract {
	c := simkit.DefaultContract
	// Ksher answers its generic -6 ("cancel failed"), which decides nothing.
	c.WindowExpired = simkit.Want{Kind: providers.Unknown}
	// The sandbox refuses with -1 ("merchant information wrong"), a request problem.
	c.Refused = simkit.Want{Kind: providers.Failed, Reason: providers.ReasonInvalidRequest}
	// The generic -6 again (the payment query shows USERPAYING).
	c.InOTP = simkit.Want{Kind: providers.Unknown}
	// The payment webhook set in the console.
	c.Notifies = providers.NotifyPaymentResult
	return c
}()
