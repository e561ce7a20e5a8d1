package app

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.uber.org/zap"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/worker/config"
	"github.com/paycancel/paycancel/workflows/contract"
	"github.com/paycancel/paycancel/workflows/contract/webhook"
)

// MaxCallbackBytes bounds a provider callback body (64 KiB is far above any
// provider's notification).
const MaxCallbackBytes = 64 << 10

// Signaler is the part of the Temporal client the callback receiver uses.
type Signaler interface {
	SignalWorkflow(ctx context.Context, workflowID, runID, signalName string, arg any) error
}

// statusQuerier reads a cancel's live status (the Temporal client has it).
type statusQuerier interface {
	QueryWorkflow(ctx context.Context, workflowID, runID, queryType string, args ...any) (converter.EncodedValue, error)
}

// Server is the worker's HTTP server: provider callbacks, health and readiness.
type Server struct {
	Config   *config.Config
	Client   Signaler
	Log      *zap.Logger
	ready    atomic.Bool
	health   func(context.Context) error
	devHooks *DevMerchant
	// Metrics, when set, is served at GET /metrics (Prometheus).
	Metrics http.Handler
}

// NewServer builds the handler set. health is called by /readyz.
func NewServer(cfg *config.Config, c Signaler, log *zap.Logger, health func(context.Context) error) *Server {
	return &Server{Config: cfg, Client: c, Log: log, health: health}
}

// EnableDevMerchant serves d at /dev/merchant-webhook (--dev and tests only).
func (s *Server) EnableDevMerchant(d *DevMerchant) { s.devHooks = d }

// SetReady marks the worker ready (polling).
func (s *Server) SetReady(v bool) { s.ready.Store(v) }

// Handler returns the routes:
//
//	POST /callbacks/{provider}               a provider notification (any credential of it; the
//	                                         notification's account id picks the merchant)
//	POST /callbacks/{provider}/{credential}  a notification for one credential set
//	GET  /healthz                            the process is alive
//	GET  /readyz                             the worker polls and Temporal answers
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /callbacks/{provider}", s.callback)
	mux.HandleFunc("POST /callbacks/{provider}/{credential}", s.callback)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if !s.ready.Load() {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "starting"})
			return
		}
		if s.health != nil {
			ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
			defer cancel()
			if err := s.health(ctx); err != nil {
				writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "temporal unreachable", "error": err.Error()})
				return
			}
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	if s.devHooks != nil {
		mux.Handle("/dev/merchant-webhook", s.devHooks)
	}
	if s.Metrics != nil {
		mux.Handle("GET /metrics", s.Metrics)
	}
	return mux
}

// callback verifies a provider notification over its raw body, maps it to its cancel
// workflow and signals it, then answers with the provider's exact acknowledgement.
func (s *Server) callback(w http.ResponseWriter, r *http.Request) {
	provider, credName := r.PathValue("provider"), r.PathValue("credential")
	log := s.Log.With(zap.String("provider", provider), zap.String("remote", r.RemoteAddr))
	r.Body = http.MaxBytesReader(w, r.Body, MaxCallbackBytes)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			log.Warn("callback refused: body too large", zap.Int64("limit", tooBig.Limit))
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	cands := s.candidates(provider, credName)
	if len(cands) == 0 {
		log.Warn("callback refused: no credential of this provider takes notifications", zap.String("credential", credName))
		http.Error(w, "unknown provider or credential", http.StatusNotFound)
		return
	}
	// Every credential set that could have sent it is tried: a provider signs
	// every merchant's notifications with its one key, so a signature that
	// verifies says "this provider"; the account id the notification carries
	// (checked by each parser) says whose.
	var (
		n        providers.Notification
		accepted []candidate
		lastErr  error
	)
	for _, c := range cands {
		got, err := c.parser.ParseNotification(r.Header, body)
		if err != nil {
			lastErr = err
			continue
		}
		if len(accepted) == 0 {
			n = got
		}
		accepted = append(accepted, c)
	}
	if len(accepted) == 0 {
		// Never log the body: it is the provider's data, and a forged one is noise.
		log.Warn("callback refused", zap.String("reason", lastErr.Error()), zap.Int("bytes", len(body)))
		status := http.StatusBadRequest
		if errors.Is(lastErr, providers.ErrBadSignature) {
			status = http.StatusUnauthorized
		}
		http.Error(w, "notification refused: "+lastErr.Error(), status)
		return
	}
	parser, merchant := accepted[0].parser, accepted[0].merchant
	for _, c := range accepted[1:] {
		if c.merchant != merchant {
			// Credential sets of two merchants accept it (the notification names no
			// account): routing it would be a guess. Refused, so the provider sends
			// it again; per-credential URLs resolve it.
			log.Error("callback refused: it verifies for the credential sets of more than one merchant; give each credential its own /callbacks/<provider>/<credential> URL",
				zap.Strings("credentials", candidateNames(accepted)))
			http.Error(w, "notification refused: it names no account this receiver can tell apart; use the per-credential callback URL", http.StatusConflict)
			return
		}
	}
	log = log.With(zap.String("merchant", merchant))
	// GNETE's cancel notification names the payment by its own id only; the
	// activity put the merchant order number in the notifyUrl it sent.
	orderFromURL := false
	if order := r.URL.Query().Get("order"); order != "" && n.MerchantOrderNo == "" {
		n.MerchantOrderNo, orderFromURL = order, true
	}
	if n.MerchantOrderNo == "" {
		log.Warn("callback verified but names no merchant order; acknowledged without a signal",
			zap.String("providerPaymentId", n.ProviderPaymentID))
		ack(w, parser)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	wfID, err := s.signalCancel(ctx, merchant, accepted, provider, n, orderFromURL)
	var notFound *serviceerror.NotFound
	switch {
	case err == nil:
		log.Info("provider notification signalled", zap.String("workflowId", wfID), zap.String("type", string(n.Type)),
			zap.String("outcome", n.Outcome.String()), zap.String("payment", string(n.Payment)))
	case errors.As(err, &notFound):
		// No running cancel for this order (never started, or finished): the
		// provider is answered as it expects so it stops resending.
		log.Info("provider notification for an order with no running cancel", zap.String("workflowId", wfID), zap.String("type", string(n.Type)))
	default:
		// Temporal is unreachable: refuse so the provider sends it again later.
		log.Error("could not signal the cancel workflow", zap.String("workflowId", wfID), zap.Error(err))
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	ack(w, parser)
}

// signalCancel signals the merchant's cancel of the notification's order: the
// merchant-scoped id, or, for a cancel started before ids were scoped, the legacy
// id — only when that cancel's own history says it is this merchant's (or names
// one of the credential sets that accepted the notification). It returns the id it
// addressed; a *serviceerror.NotFound when the merchant has no running cancel of
// the order.
func (s *Server) signalCancel(ctx context.Context, merchant string, accepted []candidate, provider string, n providers.Notification, orderFromURL bool) (string, error) {
	wfID := contract.WorkflowID(merchant, provider, n.MerchantOrderNo)
	err := s.deliver(ctx, wfID, n, orderFromURL)
	var notFound *serviceerror.NotFound
	if !errors.As(err, &notFound) {
		return wfID, err
	}
	hr, ok := s.Client.(contract.HistoryReader)
	if !ok {
		return wfID, err // without a history reader no legacy cancel can be told whose it is
	}
	legacy := contract.LegacyWorkflowID(provider, n.MerchantOrderNo)
	rec, rerr := contract.ReadRecorded(ctx, hr, legacy, "")
	if rerr != nil {
		if errors.As(rerr, &notFound) {
			return wfID, err
		}
		return legacy, rerr
	}
	mine := rec.Merchant == merchant
	if rec.Merchant == "" {
		for _, c := range accepted {
			mine = mine || c.name == rec.Credential
		}
	}
	if !mine {
		// Another merchant's order with the same number: never signalled.
		return wfID, err
	}
	return legacy, s.deliver(ctx, legacy, n, orderFromURL)
}

// deliver signals a verified notification to the cancel wfID. When the order it
// is about came from the callback URL's unsigned ?order= (GNETE's cancel
// notification names only its cancelOrderId and payOrderId), the signature does
// not bind it to this cancel: a genuine notification about another order,
// replayed to our URL, would otherwise end this cancel. So it decides only when
// its signed cancelOrderId equals the one this cancel recorded; otherwise the
// cancel is asked to recheck, and the provider's signed status query decides.
func (s *Server) deliver(ctx context.Context, wfID string, n providers.Notification, orderFromURL bool) error {
	if orderFromURL && n.Type == providers.NotifyCancelResult {
		q, ok := s.Client.(statusQuerier)
		if !ok {
			return s.Client.SignalWorkflow(ctx, wfID, "", contract.SignalRecheck, nil)
		}
		v, err := q.QueryWorkflow(ctx, wfID, "", contract.QueryStatus)
		if err != nil {
			return err
		}
		var st contract.Status
		if err := v.Get(&st); err != nil {
			return err
		}
		if st.ProviderRef == "" || st.ProviderRef != n.ProviderRef {
			return s.Client.SignalWorkflow(ctx, wfID, "", contract.SignalRecheck, nil)
		}
	}
	return s.Client.SignalWorkflow(ctx, wfID, "", contract.SignalProviderNotification, n)
}

func ack(w http.ResponseWriter, p providers.NotificationParser) {
	ct, body := p.Ack()
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// candidate is a credential set that may have sent a notification.
type candidate struct {
	name, merchant string
	parser         providers.NotificationParser
}

func candidateNames(cs []candidate) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.name + " (merchant " + c.merchant + ")"
	}
	return out
}

// candidates are the credential sets of provider that take notifications: the one
// named in the path, or all of them.
func (s *Server) candidates(provider, credName string) []candidate {
	if s.Config == nil {
		return nil
	}
	var out []candidate
	for _, name := range sortedCredentialNames(s.Config) {
		c := s.Config.Credentials[name]
		if c.Provider.Name() != provider || (credName != "" && name != credName) {
			continue
		}
		if p, ok := c.Provider.(providers.NotificationParser); ok {
			out = append(out, candidate{name: name, merchant: c.Merchant, parser: p})
		}
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// DevMerchant is --dev's stand-in merchant: it receives paycancel's merchant
// notifications, verifies them with the merchant secret like an order service
// would (webhook.Verify), and lists what it received at GET /dev/merchant-webhook.
type DevMerchant struct {
	Secret string
	mu     sync.Mutex
	events []DevEvent
}

// DevEvent is one received merchant notification.
type DevEvent struct {
	ID         string          `json:"id"`
	ReceivedAt time.Time       `json:"receivedAt"`
	Event      json.RawMessage `json:"event"`
}

// Events returns the notifications received so far (each verified with Secret).
func (d *DevMerchant) Events() []DevEvent {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]DevEvent(nil), d.events...)
}

func (d *DevMerchant) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		d.mu.Lock()
		defer d.mu.Unlock()
		writeJSON(w, http.StatusOK, d.events)
	case http.MethodPost:
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxCallbackBytes))
		if err != nil {
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		id, err := webhook.Verify(d.Secret, r.Header, body, time.Now(), 0)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		d.mu.Lock()
		d.events = append(d.events, DevEvent{ID: id, ReceivedAt: time.Now(), Event: json.RawMessage(body)})
		d.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

var _ Signaler = client.Client(nil)
