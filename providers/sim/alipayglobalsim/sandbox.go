// Package alipayglobalsim simulates Alipay Global for development and tests: Sandbox answers the
// adapter (providers/alipayglobal) over HTTP, verifying its signatures and signing like the
// provider, with the scripted scenarios and faults of simkit; DevCredentials and
// Dev make the matching development keys and configurations; Contract states where
// the provider answers differently from most (the contract suite checks it). It
// imports the adapter for the wire format and signing; the adapter never imports it.
package alipayglobalsim

import (
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/alipayglobal"
	"github.com/paycancel/paycancel/providers/sim/simkit"
)

// SandboxConfig configures the Alipay Global simulator.
type SandboxConfig struct {
	// MerchantPublicKey verifies request signatures. Nil: every request answers
	// KEY_NO_FOUND, as Alipay does for a client without a registered key.
	MerchantPublicKey *rsa.PublicKey
	// AlipayPrivateKey signs responses. Nil: responses go out unsigned.
	AlipayPrivateKey *rsa.PrivateKey
	// ClientID is the only clientId accepted (UNKNOWN_CLIENT otherwise). Empty: any.
	ClientID string
	// PartnerID is the only partnerId accepted (ACCESS_DENIED otherwise). Empty: any.
	PartnerID string
	// Base64Twice encodes response signatures twice. Default false (once). Request
	// signatures are accepted either way.
	Base64Twice bool
	// Now is the sandbox's clock (payment creation, the cancel window, respTime).
	// Nil: time.Now.
	Now func() time.Time
}

// Sandbox simulates Alipay Global's payCancel 2.0.2 and payQuery 2.0.2 on their real
// paths, in the real envelope, verifying the merchant's RSA2 signature and signing
// every answer with Alipay's key.
//
// The provider's cancel rules (the provider's API pages):
//   - S for a transaction that was never created (the sandbox creates it closed, so a
//     late pay cannot succeed, and records the cancel on it), for an unpaid one
//     (closed) and for a paid one (refunded: CancelRules.CancelPaid);
//   - S again for a repeat (CancelRules.AlreadyCancelledIsSuccess);
//   - ORDER_CANCEL_WINDOW_EXPIRED after the transaction's Beijing day plus 15 minutes
//     (CancelWindowEnd, against the sandbox clock) or when the scenario says so;
//   - ORDER_NOT_EXIST for an acquirementId Alipay never issued [I];
//   - ORDER_STATUS_INVALID while a payment is under way (card OTP);
//   - a cancel still completing (Scenario.PendingQueries) answers U UNKNOWN_EXCEPTION,
//     and payQuery shows the old status until it completes.
type Sandbox struct {
	// Store holds the simulated payments and the record of every cancel.
	Store *simkit.Store

	cfg SandboxConfig
	// mu makes the cancel's look-then-act steps (window check, closing a never-created
	// transaction) atomic against other cancels. It is never held while a fault holds
	// a connection.
	mu sync.Mutex
}

// sandboxRules are Alipay Global's cancel rules for simkit.
var sandboxRules = simkit.CancelRules{CancelPaid: true, AlreadyCancelledIsSuccess: true}

// NewSandbox makes a sandbox with an empty store (generated acquirementIds start "2015").
func NewSandbox(cfg SandboxConfig) *Sandbox {
	store := simkit.NewStore("2015")
	store.Now = cfg.Now
	return &Sandbox{Store: store, cfg: cfg}
}

// Handler serves the provider's paths (relative to the server root) and the simkit
// admin API under /_sandbox/.
func (s *Sandbox) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+alipayglobal.DefaultCancelPath, s.serveCancel)
	mux.HandleFunc("POST "+alipayglobal.DefaultPayQueryPath, s.servePayQuery)
	return simkit.WithAdmin(s.Store, mux)
}

// Close releases the sandbox's resources (it has no notifier: Alipay Global sends no
// cancel notifications).
func (s *Sandbox) Close() {}

func (s *Sandbox) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}

// result builds a resultInfo for a documented code.
func result(code, msg string) *alipayglobal.ResultInfo {
	row := alipayglobal.ResultCodes[code]
	return &alipayglobal.ResultInfo{ResultStatus: row.Status, ResultCodeID: row.ID, ResultCode: code, ResultMsg: msg}
}

func (s *Sandbox) serveCancel(w http.ResponseWriter, r *http.Request) {
	req, ok := s.accept(w, r, alipayglobal.FunctionCancel)
	if !ok {
		return
	}
	b := req.Body
	call, early := s.cancel(b)
	if early != nil {
		s.respond(w, req.Head, alipayglobal.ResponseBody{ResultInfo: early}, simkit.FaultNone)
		return
	}
	if simkit.ServeTransportFault(w, r, call.Fault) {
		return
	}
	p := call.Payment
	var out alipayglobal.ResponseBody
	if call.Result == simkit.CancelClaimed {
		// Scenario.UnsignedClaim: Alipay signs every answer, so the claim is an S
		// success without its signature. Nothing was cancelled.
		out = alipayglobal.ResponseBody{ResultInfo: result(alipayglobal.CodeSuccess, "success"), AcquirementID: p.ProviderPaymentID,
			MerchantTransID: p.MerchantOrderNo, CancelTime: s.now().In(alipayglobal.Beijing).Format(alipayglobal.ReqTimeLayout)}
		s.respond(w, req.Head, out, simkit.FaultUnsigned)
		return
	}
	switch {
	case call.Fault == simkit.FaultUnknown:
		out.ResultInfo = result(alipayglobal.CodeUnknownException, "unknown exception")
	case call.Fault == simkit.FaultRateLimit:
		out.ResultInfo = result(alipayglobal.CodeTrafficExceedLimit, "request traffic exceeds the limit")
	default:
		switch call.Result {
		case simkit.CancelDone, simkit.CancelAlready:
			at := p.CancelledAt
			if at.IsZero() {
				at = s.now()
			}
			out = alipayglobal.ResponseBody{ResultInfo: result(alipayglobal.CodeSuccess, "success"), AcquirementID: p.ProviderPaymentID,
				MerchantTransID: p.MerchantOrderNo, CancelTime: at.In(alipayglobal.Beijing).Format(alipayglobal.ReqTimeLayout)}
		case simkit.CancelWindow:
			out.ResultInfo = result(alipayglobal.CodeOrderCancelWindowExpired, "expired to cancel the transaction")
		case simkit.CancelNotFound:
			out.ResultInfo = result(alipayglobal.CodeOrderNotExist, "the transaction does not exist")
		case simkit.CancelInProgress, simkit.CancelPaid:
			out.ResultInfo = result(alipayglobal.CodeOrderStatusInvalid, "the transaction status is invalid")
		case simkit.CancelRefused:
			out.ResultInfo = result(alipayglobal.CodeProcessFail, "general business failure")
		default: // CancelPendingNow: Alipay has no pending answer; it says "unknown" (so does CancelForeign, GNETE's scenario).
			out.ResultInfo = result(alipayglobal.CodeUnknownException, "unknown exception")
		}
	}
	s.respond(w, req.Head, out, call.Fault)
}

// cancel applies one signed cancel to the store under s.mu. early is set when the
// sandbox answers without a store call: an acquirementId it never issued, or the
// Beijing-day window having passed. simkit's CancelRules have no clock-based window,
// so that check happens here; such a call is therefore not recorded and uses no
// scripted fault (Scenario.WindowExpired goes through the store and is recorded).
func (s *Sandbox) cancel(b alipayglobal.RequestBody) (simkit.Call, *alipayglobal.ResultInfo) {
	key := b.AcquirementID // the id the request named is the business key
	if key == "" {
		key = b.MerchantTransID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, found := s.Store.Get(b.MerchantTransID, b.AcquirementID)
	switch {
	case !found && b.AcquirementID != "":
		return simkit.Call{}, result(alipayglobal.CodeOrderNotExist, "the transaction does not exist")
	case !found:
		// Never created: Alipay closes the merchantTransId so that a late pay fails,
		// and answers S. Create it, then let the cancel below close it.
		if _, err := s.Store.Create(simkit.Payment{MerchantOrderNo: b.MerchantTransID}); err != nil {
			return simkit.Call{}, result(alipayglobal.CodeProcessFail, "general business failure")
		}
	case p.State != simkit.Cancelled && p.State != simkit.Refunded && !p.CancelPending &&
		!s.now().Before(alipayglobal.CancelWindowEnd(p.CreatedAt)):
		return simkit.Call{}, result(alipayglobal.CodeOrderCancelWindowExpired, "expired to cancel the transaction")
	}
	return s.Store.Cancel(b.MerchantTransID, b.AcquirementID, key, sandboxRules), nil
}

func (s *Sandbox) servePayQuery(w http.ResponseWriter, r *http.Request) {
	req, ok := s.accept(w, r, alipayglobal.FunctionPayQuery)
	if !ok {
		return
	}
	b := req.Body
	call := s.Store.Query(b.MerchantTransID, b.AcquirementID, simkit.QueryPayment)
	if !call.Found {
		s.respond(w, req.Head, alipayglobal.ResponseBody{ResultInfo: result(alipayglobal.CodeOrderNotExist, "the transaction does not exist")}, simkit.FaultNone)
		return
	}
	if simkit.ServeTransportFault(w, r, call.Fault) {
		return
	}
	var out alipayglobal.ResponseBody
	switch call.Fault {
	case simkit.FaultUnknown:
		out.ResultInfo = result(alipayglobal.CodeUnknownException, "unknown exception")
	case simkit.FaultRateLimit:
		out.ResultInfo = result(alipayglobal.CodeTrafficExceedLimit, "request traffic exceeds the limit")
	default:
		p := call.Payment
		out = alipayglobal.ResponseBody{ResultInfo: result(alipayglobal.CodeSuccess, "success"), AcquirementID: p.ProviderPaymentID,
			MerchantTransID: p.MerchantOrderNo, AcquirementStatus: sandboxStatus.Of(p)}
	}
	s.respond(w, req.Head, out, call.Fault)
}

// sandboxStatus renders a payment as payQuery's acquirementStatus.
var sandboxStatus = simkit.StatusNames{
	Paying: "PAYING", InOTP: "PAYING", Paid: "SUCCESS", Failed: "CLOSED",
	Cancelled: "CANCELLED", Refunded: "REFUNDED",
}

// readRequest reads and checks a signed request in the order Alipay's gateway would:
// envelope, API, client, sign type, signature, partner, then the fields. On failure
// it answers with the provider's own code and reports false.
// accept reads a request for function and applies its payment's scripted latency.
func (s *Sandbox) accept(w http.ResponseWriter, r *http.Request, function string) (alipayglobal.Request, bool) {
	req, ok := s.readRequest(w, r, function)
	if ok {
		if p, found := s.Store.Get(req.Body.MerchantTransID, req.Body.AcquirementID); found {
			simkit.Delay(r, p.Scenario)
		}
	}
	return req, ok
}

func (s *Sandbox) readRequest(w http.ResponseWriter, r *http.Request, function string) (alipayglobal.Request, bool) {
	fail := func(head alipayglobal.RequestHead, code, msg string) (alipayglobal.Request, bool) {
		if head.Function == "" { // the answer echoes the request's function when it has one
			head.Function = function
		}
		s.respond(w, head, alipayglobal.ResponseBody{ResultInfo: result(code, msg)}, simkit.FaultNone)
		return alipayglobal.Request{}, false
	}
	raw, err := simkit.ReadBody(r)
	if err != nil {
		return fail(alipayglobal.RequestHead{}, alipayglobal.CodeParamIllegal, "request body: "+err.Error())
	}
	env, err := alipayglobal.ParseEnvelope(raw, "request")
	if err != nil {
		return fail(alipayglobal.RequestHead{}, alipayglobal.CodeParamIllegal, "request envelope: "+err.Error())
	}
	var req alipayglobal.Request
	if err := json.Unmarshal(env.Message, &req); err != nil {
		return fail(alipayglobal.RequestHead{}, alipayglobal.CodeParamIllegal, "request object: "+err.Error())
	}
	h := req.Head
	switch {
	case h.Function != function:
		return fail(h, alipayglobal.CodeNoInterfaceDef, "the API is undefined")
	case s.cfg.ClientID != "" && h.ClientID != s.cfg.ClientID:
		return fail(h, alipayglobal.CodeUnknownClient, "unknown client")
	case h.SignType != "" && h.SignType != alipayglobal.SignTypeRSA2:
		return fail(h, alipayglobal.CodeSignTypeNotSupport, "the signature type is not supported")
	case s.cfg.MerchantPublicKey == nil:
		return fail(h, alipayglobal.CodeKeyNoFound, "the key is not found")
	case !env.HasSig || alipayglobal.VerifyMessage(s.cfg.MerchantPublicKey, env.Message, env.Signature) != nil:
		return fail(h, alipayglobal.CodeInvalidSignature, "the signature is invalid")
	case s.cfg.PartnerID != "" && req.Body.PartnerID != s.cfg.PartnerID:
		return fail(h, alipayglobal.CodeAccessDenied, "access denied")
	}
	if msg := checkFields(req); msg != "" {
		return fail(h, alipayglobal.CodeParamIllegal, msg)
	}
	return req, true
}

// checkFields applies the API page's required fields and lengths.
func checkFields(req alipayglobal.Request) string {
	h, b := req.Head, req.Body
	if _, err := time.Parse(time.RFC3339, h.ReqTime); err != nil {
		return "reqTime is not RFC 3339"
	}
	switch {
	case h.Version == "" || len(h.Version) > alipayglobal.MaxVersion:
		return "bad version"
	case h.ReqMsgID == "" || len(h.ReqMsgID) > alipayglobal.MaxReqMsgID:
		return "bad reqMsgId"
	case h.ClientID == "" || len(h.ClientID) > alipayglobal.MaxClientID:
		return "bad clientId"
	case b.PartnerID == "" || len(b.PartnerID) > alipayglobal.MaxPartnerID:
		return "bad partnerId"
	case b.AcquirementID == "" && b.MerchantTransID == "":
		return "acquirementId or merchantTransId is required"
	case len(b.AcquirementID) > alipayglobal.MaxTargetID || len(b.MerchantTransID) > alipayglobal.MaxTargetID:
		return "acquirementId or merchantTransId too long"
	}
	return ""
}

// respond writes a signed answer (HTTP 200, as Alipay answers business errors too).
// FaultUnsigned leaves the signature out; FaultBadSignature signs other bytes.
func (s *Sandbox) respond(w http.ResponseWriter, h alipayglobal.RequestHead, body alipayglobal.ResponseBody, fault simkit.Fault) {
	version := h.Version
	if version == "" {
		version = alipayglobal.DefaultVersion
	}
	msg, err := alipayglobal.MarshalCompact(alipayglobal.Response{
		Head: alipayglobal.ResponseHead{Version: version, Function: h.Function, ClientID: h.ClientID,
			RespTime: s.now().In(alipayglobal.Beijing).Format(alipayglobal.ReqTimeLayout), ReqMsgID: h.ReqMsgID, Reserve: "{}"},
		Body: body,
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	var sig string
	if s.cfg.AlipayPrivateKey != nil && fault != simkit.FaultUnsigned {
		signed := msg
		if fault == simkit.FaultBadSignature {
			signed = append([]byte("tampered:"), msg...)
		}
		if sig, err = alipayglobal.SignMessage(s.cfg.AlipayPrivateKey, signed, s.cfg.Base64Twice); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(alipayglobal.BuildEnvelope("response", msg, sig))
}

// Payments is the store of simulated payments (simkit.Sim).
func (s *Sandbox) Payments() *simkit.Store { return s.Store }

// Deliveries is always empty: the provider sends no notifications the adapter reads.
func (s *Sandbox) Deliveries() []simkit.Delivery { return nil }

// WaitDeliveries implements simkit.Sim: this provider sends no notifications.
func (s *Sandbox) WaitDeliveries() {}

// Contract is how the alipayglobal adapter reads this sandbox's answers where they
// differ from most providers' (the contract suite, providers/sim/contracttest,
// checks it).
var Contract = func() simkit.Contract {
	c := simkit.DefaultContract
	// Alipay closes a failed transaction.
	c.FailedShowsAs = providers.PaymentClosed
	// A cancel of an order number Alipay does not know yet closes it (it cannot be paid afterwards).
	c.NotFound = simkit.Want{Kind: providers.Succeeded}
	// A repeat cancel is answered SUCCESS.
	c.AlreadyCancelled = simkit.Want{Kind: providers.Succeeded}
	// A paid transaction is cancelled by refunding it.
	c.Paid = simkit.Want{Kind: providers.Succeeded}
	c.PaidIsReversed = true
	// ORDER_STATUS_INVALID, which the pay query (still paying) does not confirm.
	c.InOTP = simkit.Want{Kind: providers.Unknown}
	// An accepted cancel that completes later is answered U (unknown).
	c.Pending = providers.Unknown
	return c
}()
