// Package alipayplussim simulates an Alipay+ wallet for development and tests: Sandbox answers the
// adapter (providers/alipayplus) over HTTP, verifying its signatures and signing like the
// provider, with the scripted scenarios and faults of simkit; DevCredentials and
// Dev make the matching development keys and configurations; Contract states where
// the provider answers differently from most (the contract suite checks it). It
// imports the adapter for the wire format and signing; the adapter never imports it.
package alipayplussim

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/alipayplus"
	"github.com/paycancel/paycancel/providers/sim/simkit"
)

// SandboxConfig configures the simulated wallet.
type SandboxConfig struct {
	// ClientID is the merchant's Client-Id on file; a request with another one gets
	// CLIENT_INVALID. Empty: any Client-Id is accepted.
	ClientID string
	// KeyVersion is the version of the merchant key on file; a request naming another
	// gets KEY_NOT_FOUND. Empty: "1".
	KeyVersion string
	// MerchantPublicKey verifies request signatures (required).
	MerchantPublicKey *rsa.PublicKey
	// WalletPrivateKey signs responses (required).
	WalletPrivateKey *rsa.PrivateKey
	// Now is the wallet's clock (Response-Time, cancelTime). Nil: time.Now.
	Now func() time.Time
	// RequestTimeFormat is the Request-Time form the wallet insists on
	// (TimeRFC3339Millis, TimeRFC3339 or TimeEpochMillis); another form gets
	// PARAM_ILLEGAL. Empty: any of the three, as long as it is a valid time.
	RequestTimeFormat string
	// RequireKeyVersionHeader: a request without a Key-Version header gets
	// PARAM_ILLEGAL. A Key-Version header, when sent, must always agree with the
	// Signature header's keyVersion and the key on file (else KEY_NOT_FOUND).
	RequireKeyVersionHeader bool
}

// Sandbox simulates an Alipay+ wallet's /v2/payments/cancel and
// /v2/payments/inquiryPayment: it verifies the merchant's signature, answers in the
// wallet's format with the wallet's own codes, and signs every answer (errors too)
// the way the wallet does. Alipay+ has no notifications, so there is no notifier.
//
// Request-Time freshness is not enforced: no window is documented for it.
type Sandbox struct {
	// Store keeps the simulated payments; create them with Store.Create or the admin API.
	Store *simkit.Store
	cfg   SandboxConfig
}

// cancelRules are Alipay+'s: a repeat cancel of a cancelled payment answers S
// (idempotent by target [I]); a paid payment cannot be cancelled (it needs a refund).
var cancelRules = simkit.CancelRules{AlreadyCancelledIsSuccess: true}

// NewSandbox makes a sandbox with an empty store.
func NewSandbox(cfg SandboxConfig) *Sandbox {
	if cfg.KeyVersion == "" {
		cfg.KeyVersion = "1"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	store := simkit.NewStore("")
	store.Now = cfg.Now
	return &Sandbox{Store: store, cfg: cfg}
}

// Close stops background work (none: Alipay+ sends no notifications).
func (s *Sandbox) Close() {}

// Handler serves the wallet's API at its real paths (relative to the server root)
// and the simkit admin API under /_sandbox/.
func (s *Sandbox) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(alipayplus.CancelPath, s.serveCancel)
	mux.HandleFunc(alipayplus.InquiryPath, s.serveInquiry)
	return simkit.WithAdmin(s.Store, mux)
}

// inbound is an authenticated request.
type inbound struct {
	path     string // as sent, including any prefix the sandbox is mounted under
	clientID string
	target   alipayplus.TargetRequest
}

// serveCancel is POST /v2/payments/cancel (the cancel API page).
func (s *Sandbox) serveCancel(w http.ResponseWriter, r *http.Request) {
	in, ok := s.accept(w, r)
	if !ok {
		return
	}
	call := s.Store.Cancel(in.target.PaymentRequestID, in.target.PaymentID, in.target.Key(), cancelRules)
	if s.answered(w, r, in, call, func(res *alipayplus.Result) any { return alipayplus.CancelResponse{Result: res} }) {
		return
	}
	resp := alipayplus.CancelResponse{PaymentID: call.Payment.ProviderPaymentID, PaymentRequestID: call.Payment.MerchantOrderNo}
	if call.Result == simkit.CancelClaimed {
		// Scenario.UnsignedClaim: the wallet signs every answer, so the claim is a
		// success without its Signature header. Nothing was cancelled.
		resp.Result = result(alipayplus.StatusSuccess, "SUCCESS", "Success")
		resp.CancelTime = s.cfg.Now().Format(time.RFC3339)
		s.reply(w, in, resp, simkit.FaultUnsigned)
		return
	}
	if resp.Result = faultResult(call.Fault); resp.Result == nil {
		resp.Result = cancelResult(call.Result)
		if resp.Result.ResultStatus == alipayplus.StatusSuccess && !call.Payment.CancelledAt.IsZero() {
			resp.CancelTime = call.Payment.CancelledAt.Format(time.RFC3339)
		}
	}
	s.reply(w, in, resp, call.Fault)
}

// cancelResult renders the store's neutral result with the wallet's codes.
func cancelResult(r simkit.CancelResult) *alipayplus.Result {
	switch r {
	case simkit.CancelDone, simkit.CancelAlready:
		return result(alipayplus.StatusSuccess, "SUCCESS", "Success")
	case simkit.CancelWindow:
		return result(alipayplus.StatusFail, "CANCEL_WINDOW_EXCEED", "The cancellation date is beyond the period that is agreed in the contract.")
	case simkit.CancelNotFound:
		return result(alipayplus.StatusFail, "ORDER_NOT_EXIST", "The order does not exist.")
	case simkit.CancelPaid:
		return result(alipayplus.StatusFail, alipayplus.CodeOrderPaid, "The payment has succeeded and cannot be cancelled; refund it instead.")
	case simkit.CancelRefused:
		return result(alipayplus.StatusFail, "PROCESS_FAIL", "A general business failure occurred. Do not retry.")
	}
	// CancelPendingNow (accepted, completes later) and CancelInProgress (the payment
	// is being processed): the wallet cannot say yet; its word for that is U.
	// CancelForeign (GNETE's scenario) renders as U too.
	return unknownResult()
}

// serveInquiry is POST /v2/payments/inquiryPayment.
func (s *Sandbox) serveInquiry(w http.ResponseWriter, r *http.Request) {
	in, ok := s.accept(w, r)
	if !ok {
		return
	}
	call := s.Store.Query(in.target.PaymentRequestID, in.target.PaymentID, simkit.QueryPayment)
	if s.answered(w, r, in, call, func(res *alipayplus.Result) any { return alipayplus.InquiryResponse{Result: res} }) {
		return
	}
	p := call.Payment
	resp := alipayplus.InquiryResponse{PaymentID: p.ProviderPaymentID, PaymentRequestID: p.MerchantOrderNo}
	if resp.Result = faultResult(call.Fault); resp.Result == nil {
		resp.Result = result(alipayplus.StatusSuccess, "SUCCESS", "Success")
		resp.PaymentStatus = walletPaymentStatus.Of(p)
		resp.PaymentAmount = &alipayplus.Amount{Currency: p.Currency, Value: strconv.FormatInt(p.Amount, 10)}
		if resp.PaymentStatus == "FAIL" {
			resp.PaymentFailReason = "USER_PAYMENT_FAILED"
		}
	}
	s.reply(w, in, resp, call.Fault)
}

// walletPaymentStatus is what inquiryPayment shows for a simulated payment. This
// wallet is one of those that report CANCELLED; a cancel still completing shows
// PROCESSING. Refunded (reachable only through the admin API) shows SUCCESS:
// inquiryPayment reports the payment, refunds are separate.
var walletPaymentStatus = simkit.StatusNames{
	Paying: "PROCESSING", InOTP: "PROCESSING", Paid: "SUCCESS", Failed: "FAIL",
	Cancelled: "CANCELLED", Refunded: "SUCCESS",
}

func result(status, code, message string) *alipayplus.Result {
	return &alipayplus.Result{ResultStatus: status, ResultCode: code, ResultMessage: message}
}

// faultResult is the wallet's own answer to a scripted unknown or rate-limit
// fault; nil for any other.
func faultResult(f simkit.Fault) *alipayplus.Result {
	switch f {
	case simkit.FaultUnknown:
		return unknownResult()
	case simkit.FaultRateLimit:
		return rateLimitResult()
	}
	return nil
}

func unknownResult() *alipayplus.Result {
	return result(alipayplus.StatusUnknown, "UNKNOWN_EXCEPTION", "An API calling is failed, which is caused by unknown reasons.")
}

// rateLimitResult: the wallets' common code (resultStatus F in their V2 tables).
func rateLimitResult() *alipayplus.Result {
	return result(alipayplus.StatusFail, "REQUEST_TRAFFIC_EXCEED_LIMIT", "The request traffic exceeds the limit.")
}

// accept checks a request the way the wallet does and answers the wallet's own
// error when it fails: METHOD_NOT_SUPPORTED, MEDIA_TYPE_NOT_ACCEPTABLE,
// CLIENT_INVALID, KEY_NOT_FOUND, INVALID_SIGNATURE, PARAM_ILLEGAL.
func (s *Sandbox) accept(w http.ResponseWriter, r *http.Request) (inbound, bool) {
	in := inbound{path: pathAsSent(r), clientID: r.Header.Get(alipayplus.HeaderClientID)}
	fail := func(code, message string) (inbound, bool) {
		s.reply(w, in, alipayplus.CancelResponse{Result: result(alipayplus.StatusFail, code, message)}, simkit.FaultNone)
		return in, false
	}
	if r.Method != http.MethodPost {
		return fail("METHOD_NOT_SUPPORTED", "The server does not implement the requested HTTP method.")
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return fail("MEDIA_TYPE_NOT_ACCEPTABLE", "The server does not implement the media type that can be accepted by the client.")
	}
	body, err := simkit.ReadBody(r)
	if err != nil {
		return fail("PARAM_ILLEGAL", "Illegal parameters: "+err.Error())
	}
	if in.clientID == "" || (s.cfg.ClientID != "" && in.clientID != s.cfg.ClientID) {
		return fail("CLIENT_INVALID", "The client is invalid.")
	}
	reqTime := r.Header.Get(alipayplus.HeaderRequestTime)
	if reqTime == "" {
		return fail("PARAM_ILLEGAL", "Illegal parameters: Request-Time is missing.")
	}
	if why := checkRequestTime(reqTime, s.cfg.RequestTimeFormat); why != "" {
		return fail("PARAM_ILLEGAL", "Illegal parameters: Request-Time "+why+".")
	}
	sigHeader := r.Header.Get(alipayplus.HeaderSignature)
	parsed, err := alipayplus.ParseSignatureHeader(sigHeader)
	if err != nil {
		return fail("INVALID_SIGNATURE", "The signature is invalid.")
	}
	if parsed.KeyVersion != "" && parsed.KeyVersion != s.cfg.KeyVersion {
		return fail("KEY_NOT_FOUND", "The key is not found.")
	}
	keyHeader := r.Header.Get(alipayplus.HeaderKeyVersion)
	switch {
	case keyHeader == "" && s.cfg.RequireKeyVersionHeader:
		return fail("PARAM_ILLEGAL", "Illegal parameters: Key-Version is missing.")
	case keyHeader != "" && (keyHeader != s.cfg.KeyVersion || (parsed.KeyVersion != "" && parsed.KeyVersion != keyHeader)):
		return fail("KEY_NOT_FOUND", "The key is not found.")
	}
	if _, err := alipayplus.VerifyMessage(s.cfg.MerchantPublicKey, in.path, in.clientID, reqTime, sigHeader, body); err != nil {
		return fail("INVALID_SIGNATURE", "The signature is invalid.")
	}
	if err := json.Unmarshal(body, &in.target); err != nil {
		return fail("PARAM_ILLEGAL", "Illegal parameters: the body is not JSON.")
	}
	id := in.target.Key()
	if id == "" {
		return fail("PARAM_ILLEGAL", "Illegal parameters: paymentId and paymentRequestId cannot both be null.")
	}
	if len([]rune(in.target.PaymentID)) > alipayplus.MaxIDLen || len([]rune(in.target.PaymentRequestID)) > alipayplus.MaxIDLen {
		return fail("PARAM_ILLEGAL", "Illegal parameters: the payment id is longer than 64 characters.")
	}
	return in, true
}

// checkRequestTime says why a Request-Time is refused ("" when it is accepted):
// it must be a valid time in the required form (any of the three when format is "").
func checkRequestTime(v, format string) string {
	millis := func() bool { _, err := time.Parse(alipayplus.LayoutRFC3339Millis, v); return err == nil }
	seconds := func() bool {
		_, err := time.Parse(alipayplus.LayoutRFC3339, v)
		return err == nil && !strings.Contains(v, ".")
	}
	epoch := func() bool {
		n, err := strconv.ParseInt(v, 10, 64)
		return err == nil && n > 0
	}
	var ok bool
	switch format {
	case alipayplus.TimeRFC3339Millis:
		ok = millis()
	case alipayplus.TimeRFC3339:
		ok = seconds()
	case alipayplus.TimeEpochMillis:
		ok = epoch()
	default:
		ok = millis() || seconds() || epoch()
	}
	if ok {
		return ""
	}
	if format == "" {
		format = "RFC 3339 or epoch milliseconds"
	}
	return fmt.Sprintf("%q is not in the form this wallet takes (%s)", v, format)
}

// pathAsSent is the request path as it came over the wire: the request line, which
// keeps a prefix that http.StripPrefix removed from r.URL when the sandbox is mounted
// under one. The signature covers this path.
func pathAsSent(r *http.Request) string {
	if r.RequestURI != "" {
		if u, err := url.ParseRequestURI(r.RequestURI); err == nil {
			return u.EscapedPath()
		}
	}
	return r.URL.EscapedPath()
}

// reply writes a signed wallet answer: the body is marshalled once, and the
// signature covers "POST <path>\n<Client-Id>.<Response-Time>.<those bytes>".
// FaultUnsigned drops the signature; FaultBadSignature sends one that does not verify.
// answered applies the call's latency and answers what comes before the
// provider's own answer: an unknown payment (notFound, given its result) and the
// transport faults. It reports whether it answered.
func (s *Sandbox) answered(w http.ResponseWriter, r *http.Request, in inbound, call simkit.Call, notFound func(*alipayplus.Result) any) bool {
	simkit.Delay(r, call.Payment.Scenario)
	if !call.Found {
		s.reply(w, in, notFound(result(alipayplus.StatusFail, "ORDER_NOT_EXIST", "The order does not exist.")), simkit.FaultNone)
		return true
	}
	return simkit.ServeTransportFault(w, r, call.Fault)
}

func (s *Sandbox) reply(w http.ResponseWriter, in inbound, v any, fault simkit.Fault) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "sandbox: "+err.Error(), http.StatusInternalServerError)
		return
	}
	respTime := s.cfg.Now().Format(time.RFC3339)
	h := w.Header()
	h.Set("Content-Type", alipayplus.ContentType)
	h.Set(alipayplus.HeaderClientID, in.clientID)
	h.Set(alipayplus.HeaderResponseTime, respTime)
	if fault != simkit.FaultUnsigned {
		signed := body
		if fault == simkit.FaultBadSignature {
			// A genuine wallet signature, over other bytes: well-formed, does not verify.
			signed = append([]byte(`{"tampered":true}`), body...)
		}
		sig, err := alipayplus.SignMessage(s.cfg.WalletPrivateKey, in.path, in.clientID, respTime, signed)
		if err != nil {
			http.Error(w, "sandbox: signing: "+err.Error(), http.StatusInternalServerError)
			return
		}
		h.Set(alipayplus.HeaderSignature, alipayplus.SignatureHeader("1", sig))
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// Payments is the store of simulated payments (simkit.Sim).
func (s *Sandbox) Payments() *simkit.Store { return s.Store }

// Deliveries is always empty: the provider sends no notifications the adapter reads.
func (s *Sandbox) Deliveries() []simkit.Delivery { return nil }

// WaitDeliveries implements simkit.Sim: this provider sends no notifications.
func (s *Sandbox) WaitDeliveries() {}

// Contract is how the alipayplus adapter reads this sandbox's answers where they
// differ from most providers' (the contract suite, providers/sim/contracttest,
// checks it).
var Contract = func() simkit.Contract {
	c := simkit.DefaultContract
	// A repeat cancel is answered SUCCESS (idempotent by payment).
	c.AlreadyCancelled = simkit.Want{Kind: providers.Succeeded}
	// A payment being processed: the wallet cannot say yet and answers U.
	c.InOTP = simkit.Want{Kind: providers.Unknown}
	// An accepted cancel that completes later is answered U (unknown); inquiryPayment follows it.
	c.Pending = providers.Unknown
	return c
}()
