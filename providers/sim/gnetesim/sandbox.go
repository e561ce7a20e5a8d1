// Package gnetesim simulates the GNETE HK gateway for development and tests: Sandbox answers the
// adapter (providers/gnete) over HTTP, verifying its signatures and signing like the
// provider, with the scripted scenarios and faults of simkit; DevCredentials and
// Dev make the matching development keys and configurations; Contract states where
// the provider answers differently from most (the contract suite checks it). It
// imports the adapter for the wire format and signing; the adapter never imports it.
package gnetesim

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/gnete"
	"github.com/paycancel/paycancel/providers/sim/simkit"
)

// SandboxConfig configures the GNETE simulator.
type SandboxConfig struct {
	// MchNo and AppID are the one merchant application the sandbox knows; requests
	// for any other answer Jeepay's "商户不存在或商户状态不可用". Empty: any is accepted.
	MchNo string
	AppID string
	// AppSecret is the MD5 secret shared with the merchant: it verifies requests and
	// signs responses and notifications (GNETE has no key pairs).
	AppSecret providers.Secret
	// Now is the gateway's clock. Nil: time.Now. The same-day cancel window is
	// counted in Hong Kong time on this clock.
	Now func() time.Time
	// NotifyURL is ignored: GNETE calls back only the notifyUrl given in the cancel
	// request (the Unified Cancel page). It is here so every provider's SandboxConfig has it.
	NotifyURL string
	// NotifySchedule overrides the notification retry schedule. Nil: the gateway's
	// 0/30/60/90/120/150 s (the Unified Cancel page).
	NotifySchedule []time.Duration
}

// hongKong is the gateway's day for the same-day window. Hong Kong has had no
// daylight saving since 1979, so a fixed UTC+8 zone is exact and needs no tzdata.
var hongKong = time.FixedZone("HKT", 8*60*60)

// Sandbox simulates the GNETE gateway: /api/pay/cancel, /api/cancel/query,
// /api/pay/query and the cancel notification, over simkit's payments, scenarios
// and faults.
//
// Gateway behaviour it reproduces (the Unified Cancel page, the provider's API pages, Jeepay's source):
//   - requests as JSON or form; checks in Jeepay's order: fields (code 11
//     "参数有误[…]"), merchant/app (9999), signature — Jeepay answers a bad sign
//     with code 9999 "验签失败" (ApiController.getRQByWithMchSign throws
//     BizException, which is ApiRes.customFail: code 9999), not code 11;
//   - answers {code, msg, data, sign}, sign over the fields of data only, omitted
//     when there is no data;
//   - an unpaid order is cancelled (closed); a PAID order created the same Hong Kong
//     day is reversed (REFUNDED); a PAID order from an earlier day, or any order with
//     Scenario.WindowExpired, answers 9999 with the same-day window message;
//   - a repeat cancel answers the same cancelOrderId with state 2;
//   - the signed cancel notification goes to the request's notifyUrl when the cancel
//     completes (at once, or when a pending one resolves on a query), retried until
//     the answer is "success" (case-insensitive, nothing around it).
//
// Faults: transport ones through simkit; unknown → code 10 "系统异常"; rate_limit →
// HTTP 429 with Retry-After and a 9999 body [OPEN: GNETE documents no rate limit];
// unsigned / bad_signature → a code-0 answer without / with a wrong sign.
//
// Scenarios beyond simkit's generic ones: UnsignedClaim → every cancel answers the
// unsigned 9999 "订单已撤销" while the pay query keeps showing the payment paying;
// ForeignAnswers → every answer is another order's genuinely signed one (a "cancel
// success" naming another cancelOrderId; a pay query showing another, cancelled
// order; that cancel order on the cancel query), while this payment stays open.
type Sandbox struct {
	Store *simkit.Store

	cfg      SandboxConfig
	notifier *simkit.Notifier

	mu sync.Mutex
	// pendingNotify: cancelOrderId → notifyUrl of a pending cancel, notified when it resolves.
	pendingNotify map[string]string
	// refused: cancel orders that failed (state 3); the store keeps only effective ones.
	refused map[string]map[string]any
}

// Sandbox messages: Jeepay's Chinese text where Jeepay has one, with English.
const (
	msgSignFailed   = "验签失败"
	msgBadParams    = "参数有误！"
	msgNoMerchant   = "商户不存在或商户状态不可用"
	msgNoTarget     = "mchOrderNo 和 payOrderId不能同时为空"
	msgNotFound     = "订单不存在"
	msgCancelNotFnd = "撤销订单不存在 (cancel order does not exist)"
	msgWindow       = "超出当日撤销期限 (outside the same-day cancel window)"
	msgPaidWindow   = "订单已支付且超出当日撤销期限 (order already paid, outside the same-day cancel window)"
	msgClosed       = "订单已关闭，无需撤销 (order already closed)"
	msgRefunded     = "订单已退款，无需撤销 (order already refunded)"
	msgInProgress   = "订单支付中，暂不可撤销 (payment in progress)"
	msgSystem       = "系统异常[渠道响应超时]"
	msgRateLimited  = "请求过于频繁，请稍后再试 (too many requests)"
	// msgUnsignedClaim: Scenario.UnsignedClaim's unsigned "already cancelled" body.
	msgUnsignedClaim = "订单已撤销 (order already cancelled)"
)

// NewSandbox makes a simulator with an empty store.
func NewSandbox(cfg SandboxConfig) *Sandbox {
	store := simkit.NewStore("P")
	store.Now = cfg.Now
	return &Sandbox{
		Store:         store,
		cfg:           cfg,
		notifier:      &simkit.Notifier{Schedule: cfg.NotifySchedule},
		pendingNotify: map[string]string{},
		refused:       map[string]map[string]any{},
	}
}

// Handler serves the gateway's paths and the simkit admin API.
func (s *Sandbox) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+gnete.PathCancel, s.handleCancel)
	mux.HandleFunc("POST "+gnete.PathCancelQuery, s.handleCancelQuery)
	mux.HandleFunc("POST "+gnete.PathPayQuery, s.handlePayQuery)
	return simkit.WithAdmin(s.Store, mux)
}

// Deliveries lists the notification attempts made so far.
func (s *Sandbox) Deliveries() []simkit.Delivery { return s.notifier.Deliveries() }

// WaitDeliveries implements simkit.Sim.
func (s *Sandbox) WaitDeliveries() { s.notifier.Wait() }

// Close stops notification retries.
func (s *Sandbox) Close() { s.notifier.Close() }

func (s *Sandbox) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

func (s *Sandbox) sameDay(t time.Time) bool {
	a, b := t.In(hongKong), s.now().In(hongKong)
	return a.Year() == b.Year() && a.YearDay() == b.YearDay()
}

// readTarget reads a request that names a payment (payOrderId or mchOrderNo) and
// refuses one that names neither.
func (s *Sandbox) readTarget(w http.ResponseWriter, r *http.Request) (params map[string]any, payOrderID, mchOrderNo string, ok bool) {
	if params, ok = s.readRequest(w, r); !ok {
		return nil, "", "", false
	}
	payOrderID, mchOrderNo = gnete.Text(params, "payOrderId"), gnete.Text(params, "mchOrderNo")
	if payOrderID == "" && mchOrderNo == "" {
		writeFail(w, gnete.CodeBusiness, msgNoTarget)
		return nil, "", "", false
	}
	return params, payOrderID, mchOrderNo, true
}

// answered answers a status query that found no payment (notFound) or meets a
// scripted fault, after the query's own effects (afterQuery); it reports whether
// it answered.
func (s *Sandbox) answered(w http.ResponseWriter, r *http.Request, call simkit.Call, notFound string) bool {
	if !call.Found {
		writeFail(w, gnete.CodeBusiness, notFound)
		return true
	}
	s.afterQuery(call.Payment)
	return s.serveFault(w, r, call.Fault, call.Payment.Scenario)
}

func (s *Sandbox) handleCancel(w http.ResponseWriter, r *http.Request) {
	params, payOrderID, mchOrderNo, ok := s.readTarget(w, r)
	if !ok {
		return
	}
	key := payOrderID // the business key is the target id the request names
	if key == "" {
		key = mchOrderNo
	}
	notifyURL := gnete.Text(params, "notifyUrl")
	before, found := s.Store.Get(mchOrderNo, payOrderID)
	if found {
		simkit.Delay(r, before.Scenario)
	}
	rules := simkit.CancelRules{
		// Seed 002: completed orders can be cancelled on the same day.
		CancelPaid:   found && before.State == simkit.Paid && s.sameDay(before.CreatedAt),
		NewCancelRef: func() string { return s.Store.NextID("C") },
	}
	call := s.Store.Cancel(mchOrderNo, payOrderID, key, rules)
	if !call.Found {
		writeFail(w, gnete.CodeBusiness, msgNotFound)
		return
	}
	p := call.Payment
	effective := len(p.Cancels) > 0 && p.Cancels[len(p.Cancels)-1].Effective
	if effective && notifyURL != "" {
		if p.CancelPending {
			s.mu.Lock()
			s.pendingNotify[p.CancelRef] = notifyURL
			s.mu.Unlock()
		} else {
			s.notifyCancel(notifyURL, p.CancelRef)
		}
	}
	var refusedData map[string]any
	if call.Result == simkit.CancelRefused {
		refusedData = s.refuse(p, notifyURL)
	}
	if s.serveFault(w, r, call.Fault, p.Scenario) {
		return
	}
	switch call.Result {
	case simkit.CancelDone, simkit.CancelPendingNow:
		s.writeOK(w, cancelData(p), call.Fault)
	case simkit.CancelAlready:
		switch {
		case p.CancelRef != "":
			s.writeOK(w, cancelData(p), call.Fault) // a repeat: same cancelOrderId, state 2
		case p.State == simkit.Refunded:
			writeFail(w, gnete.CodeBusiness, msgRefunded)
		default:
			writeFail(w, gnete.CodeBusiness, msgClosed)
		}
	case simkit.CancelPaid:
		writeFail(w, gnete.CodeBusiness, msgPaidWindow)
	case simkit.CancelWindow:
		if p.State == simkit.Paid {
			writeFail(w, gnete.CodeBusiness, msgPaidWindow)
		} else {
			writeFail(w, gnete.CodeBusiness, msgWindow)
		}
	case simkit.CancelInProgress:
		writeFail(w, gnete.CodeBusiness, msgInProgress)
	case simkit.CancelRefused:
		s.writeOK(w, map[string]any{
			"cancelOrderId": refusedData["cancelOrderId"], "state": 3,
			"errCode": refusedData["errCode"], "errMsg": refusedData["errMsg"],
		}, call.Fault)
	case simkit.CancelClaimed:
		// Jeepay never signs an error body: the claim arrives with no data, no sign.
		writeFail(w, gnete.CodeBusiness, msgUnsignedClaim)
	case simkit.CancelForeign:
		// Another order's genuine "cancel success", replayed: signed, and naming
		// only its own cancelOrderId, as the real reply does.
		f := foreignOrder(p)
		s.writeOK(w, map[string]any{"cancelOrderId": f.cancelOrderID, "state": 2,
			"channelOrderNo": "CH" + f.cancelOrderID, "errCode": "", "errMsg": ""}, call.Fault)
	default:
		writeFail(w, gnete.CodeSystem, msgSystem)
	}
}

// refuse records a failed cancel order (state 3) and notifies it.
func (s *Sandbox) refuse(p simkit.Payment, notifyURL string) map[string]any {
	ref := s.Store.NextID("C")
	data := map[string]any{
		"cancelOrderId": ref, "payOrderId": p.ProviderPaymentID, "mchNo": s.cfg.MchNo, "appId": s.cfg.AppID,
		"payAmount": p.Amount, "currency": p.Currency, "state": 3,
		"errCode": "TRADE_ERROR", "errMsg": "channel refused the cancel",
		"createdAt": s.now().UnixMilli(),
	}
	s.mu.Lock()
	s.refused[ref] = data
	s.mu.Unlock()
	if notifyURL != "" {
		s.notifyCancel(notifyURL, ref)
	}
	return data
}

func (s *Sandbox) handleCancelQuery(w http.ResponseWriter, r *http.Request) {
	params, ok := s.readRequest(w, r)
	if !ok {
		return
	}
	ref := gnete.Text(params, "cancelOrderId")
	if ref == "" {
		writeFail(w, gnete.CodeParams, "参数有误[cancelOrderId不能为空]")
		return
	}
	s.mu.Lock()
	refused, isRefused := s.refused[ref]
	s.mu.Unlock()
	if isRefused {
		s.writeOK(w, refused, simkit.FaultNone)
		return
	}
	before, found := s.Store.FindByCancelRef(ref)
	if !found {
		if p, ok := s.foreignByCancelRef(ref); ok {
			// ForeignAnswers: the other order's cancel, as the gateway shows it.
			simkit.Delay(r, p.Scenario)
			f := foreignOrder(p)
			s.writeOK(w, map[string]any{"cancelOrderId": f.cancelOrderID, "payOrderId": f.payOrderID,
				"mchNo": s.cfg.MchNo, "appId": s.cfg.AppID, "payAmount": p.Amount, "currency": p.Currency, "state": 2,
				"channelOrderNo": "CH" + f.cancelOrderID, "errCode": "", "errMsg": "", "extraParam": "",
				"createdAt": p.CreatedAt.UnixMilli(), "successTime": p.CreatedAt.UnixMilli()}, simkit.FaultNone)
			return
		}
		writeFail(w, gnete.CodeBusiness, msgCancelNotFnd)
		return
	}
	simkit.Delay(r, before.Scenario)
	call := s.Store.QueryByCancelRef(ref)
	if s.answered(w, r, call, msgCancelNotFnd) {
		return
	}
	s.writeOK(w, s.cancelOrder(call.Payment), call.Fault)
}

func (s *Sandbox) handlePayQuery(w http.ResponseWriter, r *http.Request) {
	_, payOrderID, mchOrderNo, ok := s.readTarget(w, r)
	if !ok {
		return
	}
	if before, found := s.Store.Get(mchOrderNo, payOrderID); found {
		simkit.Delay(r, before.Scenario)
	}
	call := s.Store.Query(mchOrderNo, payOrderID, simkit.QueryPayment)
	if s.answered(w, r, call, msgNotFound) {
		return
	}
	p := call.Payment
	payOrderID, mchOrderNo, state := p.ProviderPaymentID, p.MerchantOrderNo, payStateOf(p)
	if p.Scenario.ForeignAnswers {
		// Another order's genuine answer, replayed: that order is cancelled.
		f := foreignOrder(p)
		payOrderID, mchOrderNo, state = f.payOrderID, f.mchOrderNo, 4
	}
	s.writeOK(w, map[string]any{
		"payOrderId": payOrderID, "mchNo": s.cfg.MchNo, "appId": s.cfg.AppID,
		"mchOrderNo": mchOrderNo, "ifCode": "sandbox", "wayCode": "QR_CASHIER",
		"amount": p.Amount, "currency": p.Currency, "state": state,
		"subject": "sandbox payment", "errCode": "", "errMsg": "", "extParam": "",
		"createdAt": p.CreatedAt.UnixMilli(),
	}, call.Fault)
}

// foreign names the other order whose answers Scenario.ForeignAnswers replays.
type foreign struct{ mchOrderNo, payOrderID, cancelOrderID string }

// foreignOrder is the other order of p: stable, so every answer is the same replay.
func foreignOrder(p simkit.Payment) foreign {
	clip := func(s string) string {
		if len(s) > gnete.MaxOrderID {
			return s[:gnete.MaxOrderID]
		}
		return s
	}
	return foreign{mchOrderNo: clip("X" + p.MerchantOrderNo), payOrderID: clip("PX" + p.ProviderPaymentID),
		cancelOrderID: clip("CX" + p.ProviderPaymentID)}
}

// foreignByCancelRef finds the payment whose replayed answers name cancelOrderId ref.
func (s *Sandbox) foreignByCancelRef(ref string) (simkit.Payment, bool) {
	for _, p := range s.Store.List() {
		if p.Scenario.ForeignAnswers && foreignOrder(p).cancelOrderID == ref {
			return p, true
		}
	}
	return simkit.Payment{}, false
}

// payStateOf renders a simulated payment as Jeepay's pay state (0–6).
func payStateOf(p simkit.Payment) int {
	switch p.State {
	case simkit.Paid:
		return 2
	case simkit.Failed:
		return 3
	case simkit.Cancelled:
		switch {
		case p.CancelPending:
			return 1 // the cancel has not completed: still as it was
		case p.CancelRef != "":
			return 4 // cancelled
		}
		return 6 // closed by other means
	case simkit.Refunded:
		switch {
		case p.CancelPending:
			return 2
		case p.CancelRef != "":
			return 4 // a same-day paid order reversed by the cancel
		}
		return 5
	}
	return 1 // PAYING, OTP
}

// afterQuery sends the notification of a pending cancel that has just resolved.
func (s *Sandbox) afterQuery(p simkit.Payment) {
	if p.CancelRef == "" || p.CancelPending {
		return
	}
	s.mu.Lock()
	u, ok := s.pendingNotify[p.CancelRef]
	delete(s.pendingNotify, p.CancelRef)
	s.mu.Unlock()
	if ok {
		s.notifyCancel(u, p.CancelRef)
	}
}

// cancelData is the data of a cancel answer (the Unified Cancel page "Data format").
func cancelData(p simkit.Payment) map[string]any {
	state := 2
	if p.CancelPending {
		state = 1
	}
	return map[string]any{
		"cancelOrderId": p.CancelRef, "state": state,
		"channelOrderNo": "CH" + p.CancelRef, "errCode": "", "errMsg": "",
	}
}

// cancelOrder is a cancel order as the cancel query and the notification show it.
func (s *Sandbox) cancelOrder(p simkit.Payment) map[string]any {
	d := map[string]any{
		"cancelOrderId": p.CancelRef, "payOrderId": p.ProviderPaymentID, "mchNo": s.cfg.MchNo, "appId": s.cfg.AppID,
		"payAmount": p.Amount, "currency": p.Currency, "state": 2, "channelOrderNo": "CH" + p.CancelRef,
		"errCode": "", "errMsg": "", "extraParam": "", "createdAt": p.CreatedAt.UnixMilli(),
	}
	for _, c := range p.Cancels {
		if c.Effective {
			d["createdAt"] = c.At.UnixMilli()
			break
		}
	}
	if p.CancelPending {
		d["state"] = 1
	} else if !p.CancelledAt.IsZero() {
		d["successTime"] = p.CancelledAt.UnixMilli()
	}
	return d
}

// notifyCancel sends the signed form notification of a cancel order, built afresh
// (new reqTime, new sign) for every attempt.
func (s *Sandbox) notifyCancel(notifyURL, ref string) {
	s.notifier.Send(notifyURL, func() simkit.Request {
		s.mu.Lock()
		fields, ok := s.refused[ref]
		s.mu.Unlock()
		if !ok {
			p, _ := s.Store.FindByCancelRef(ref)
			fields = s.cancelOrder(p)
		}
		return simkit.Request{ContentType: "application/x-www-form-urlencoded", Body: s.notificationBody(fields)}
	}, func(_ int, body []byte) bool {
		return strings.EqualFold(string(body), "success")
	})
}

// notificationBody renders fields as strings plus reqTime and sign (the Unified Cancel page).
func (s *Sandbox) notificationBody(fields map[string]any) []byte {
	v := url.Values{}
	for k, x := range fields {
		if text, ok := gnete.FormatValue(x); ok {
			v.Set(k, text)
		}
	}
	v.Set("reqTime", strconv.FormatInt(s.now().UnixMilli(), 10))
	m := make(map[string]any, len(v))
	for k := range v {
		m[k] = v.Get(k)
	}
	v.Set("sign", gnete.Sign(m, s.cfg.AppSecret))
	return []byte(v.Encode())
}

// readRequest parses and checks a merchant request as Jeepay's
// ApiController.getRQByWithMchSign does; it answers the failures itself.
func (s *Sandbox) readRequest(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	body, err := simkit.ReadBody(r)
	if err != nil {
		writeFail(w, gnete.CodeParams, "参数有误[请求体过大]")
		return nil, false
	}
	params, err := parseRequestBody(r.Header.Get("Content-Type"), body)
	if err != nil {
		writeFail(w, gnete.CodeParams, "参数有误[请求参数格式错误]")
		return nil, false
	}
	// Field rules (Jeepay's validateService; GNETE: code 11 parameter error).
	if msg := checkFields(params); msg != "" {
		writeFail(w, gnete.CodeParams, "参数有误["+msg+"]")
		return nil, false
	}
	mchNo, appID, sign := gnete.Text(params, "mchNo"), gnete.Text(params, "appId"), gnete.Text(params, "sign")
	if mchNo == "" || appID == "" || sign == "" {
		writeFail(w, gnete.CodeBusiness, msgBadParams)
		return nil, false
	}
	if (s.cfg.MchNo != "" && mchNo != s.cfg.MchNo) || (s.cfg.AppID != "" && appID != s.cfg.AppID) {
		writeFail(w, gnete.CodeBusiness, msgNoMerchant)
		return nil, false
	}
	if !gnete.Verify(params, s.cfg.AppSecret, sign) {
		writeFail(w, gnete.CodeBusiness, msgSignFailed)
		return nil, false
	}
	return params, true
}

func parseRequestBody(contentType string, body []byte) (map[string]any, error) {
	if strings.Contains(strings.ToLower(contentType), "json") {
		return gnete.DecodeObject(body)
	}
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	m := make(map[string]any, len(values))
	for k := range values {
		m[k] = values.Get(k)
	}
	return m, nil
}

// fieldLimits are the request fields' documented lengths (the Unified Cancel page).
var fieldLimits = map[string]int{
	"mchNo": gnete.MaxMchNo, "appId": gnete.MaxAppID, "payOrderId": gnete.MaxOrderID, "mchOrderNo": gnete.MaxOrderID,
	"cancelOrderId": gnete.MaxOrderID, "clientIp": 32, "notifyUrl": gnete.MaxNotifyURL, "channelExtra": 256,
	"extParam": 512, "version": gnete.MaxVersion, "sign": 32, "signType": 32,
}

func checkFields(params map[string]any) string {
	for k, max := range fieldLimits {
		if len([]rune(gnete.Text(params, k))) > max {
			return k + "长度不能超过" + strconv.Itoa(max)
		}
	}
	reqTime := gnete.Text(params, "reqTime")
	if reqTime == "" {
		return "reqTime不能为空"
	}
	if _, err := strconv.ParseInt(reqTime, 10, 64); err != nil {
		return "reqTime格式错误"
	}
	if v := gnete.Text(params, "version"); v != "1.0" {
		return "version不能为空且须为1.0"
	}
	if gnete.Text(params, "signType") != gnete.SignType {
		return "signType仅支持MD5"
	}
	return ""
}

func (s *Sandbox) serveFault(w http.ResponseWriter, r *http.Request, f simkit.Fault, sc simkit.Scenario) bool {
	if simkit.ServeTransportFault(w, r, f) {
		return true
	}
	switch f {
	case simkit.FaultUnknown:
		writeFail(w, gnete.CodeSystem, msgSystem)
		return true
	case simkit.FaultRateLimit:
		simkit.SetRetryAfter(w.Header(), sc)
		simkit.WriteJSON(w, http.StatusTooManyRequests, map[string]any{"code": gnete.CodeBusiness, "msg": msgRateLimited})
		return true
	}
	return false
}

// writeOK answers code 0 with data signed as the gateway signs it (the fields of
// data only); unsigned / bad_signature faults drop or spoil the sign.
func (s *Sandbox) writeOK(w http.ResponseWriter, data map[string]any, f simkit.Fault) {
	resp := map[string]any{"code": gnete.CodeOK, "msg": "SUCCESS", "data": data}
	switch f {
	case simkit.FaultUnsigned:
	case simkit.FaultBadSignature:
		resp["sign"] = gnete.Sign(data, providers.NewSecret("not-the-app-secret"))
	default:
		resp["sign"] = gnete.Sign(data, s.cfg.AppSecret)
	}
	simkit.WriteJSON(w, http.StatusOK, resp)
}

// writeFail answers a non-zero code without data or sign (Jeepay ApiRes.fail/customFail).
func writeFail(w http.ResponseWriter, code int, msg string) {
	simkit.WriteJSON(w, http.StatusOK, map[string]any{"code": code, "msg": msg})
}

// Payments is the store of simulated payments (simkit.Sim).
func (s *Sandbox) Payments() *simkit.Store { return s.Store }

// Contract is how the gnete adapter reads this sandbox's answers where they
// differ from most providers' (the contract suite, providers/sim/contracttest,
// checks it).
var Contract = func() simkit.Contract {
	c := simkit.DefaultContract
	// A payment cancelled before is "closed" to GNETE; nothing shows it was our cancel.
	c.AlreadyCancelled = simkit.Want{Kind: providers.Failed, Reason: providers.ReasonPaymentClosed}
	// A same-day paid order is reversed.
	c.Paid = simkit.Want{Kind: providers.Succeeded}
	c.PaidIsReversed = true
	// The adapter confirms with the signed pay query, which already shows it paid.
	c.PaidAfterCancel = simkit.Want{Kind: providers.Failed, Reason: providers.ReasonAlreadyPaid}
	// To the notifyUrl the cancel names.
	c.Notifies = providers.NotifyCancelResult
	return c
}()
