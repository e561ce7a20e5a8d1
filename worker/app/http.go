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
	"go.uber.org/zap"

	"github.com/paycancel/paycancel/activities/webhook"
	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/worker/config"
	"github.com/paycancel/paycancel/workflows"
)

// MaxCallbackBytes bounds a provider callback body (64 KiB is far above any
// provider's notification).
const MaxCallbackBytes = 64 << 10

// Signaler is the part of the Temporal client the callback receiver uses.
type Signaler interface {
	SignalWorkflow(ctx context.Context, workflowID, runID, signalName string, arg any) error
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
//	POST /callbacks/{provider}               a provider notification (any credential of it)
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
	parsers := s.parsers(provider, credName)
	if len(parsers) == 0 {
		log.Warn("callback refused: no credential of this provider takes notifications", zap.String("credential", credName))
		http.Error(w, "unknown provider or credential", http.StatusNotFound)
		return
	}
	var (
		n       providers.Notification
		parser  providers.NotificationParser
		lastErr error
	)
	for _, p := range parsers {
		if n, lastErr = p.ParseNotification(r.Header, body); lastErr == nil {
			parser = p
			break
		}
	}
	if parser == nil {
		// Never log the body: it is the provider's data, and a forged one is noise.
		log.Warn("callback refused", zap.String("reason", lastErr.Error()), zap.Int("bytes", len(body)))
		status := http.StatusBadRequest
		if errors.Is(lastErr, providers.ErrBadSignature) {
			status = http.StatusUnauthorized
		}
		http.Error(w, "notification refused: "+lastErr.Error(), status)
		return
	}
	// GNETE's cancel notification names the payment by its own id only; the
	// activity put the merchant order number in the notifyUrl it sent.
	if order := r.URL.Query().Get("order"); order != "" && n.MerchantOrderNo == "" {
		n.MerchantOrderNo = order
	}
	if n.MerchantOrderNo == "" {
		log.Warn("callback verified but names no merchant order; acknowledged without a signal",
			zap.String("providerPaymentId", n.ProviderPaymentID))
		ack(w, parser)
		return
	}
	wfID := workflows.WorkflowID(provider, n.MerchantOrderNo)
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	err = s.Client.SignalWorkflow(ctx, wfID, "", workflows.SignalProviderNotification, n)
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

func ack(w http.ResponseWriter, p providers.NotificationParser) {
	ct, body := p.Ack()
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func (s *Server) parsers(provider, credName string) []providers.NotificationParser {
	if s.Config == nil {
		return nil
	}
	var out []providers.NotificationParser
	for _, name := range sortedCredentialNames(s.Config) {
		c := s.Config.Credentials[name]
		if c.Provider.Name() != provider || (credName != "" && name != credName) {
			continue
		}
		if p, ok := c.Provider.(providers.NotificationParser); ok {
			out = append(out, p)
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
