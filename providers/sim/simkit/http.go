package simkit

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// HoldFor is how long FaultTimeout and FaultTimeoutAfterEffect hold a connection
// (or until the client gives up). Longer than any adapter's client timeout.
var HoldFor = 60 * time.Second

// MaxRequestBytes bounds a request body a sandbox reads.
const MaxRequestBytes = 1 << 20

// ReadBody reads a request body up to MaxRequestBytes.
func ReadBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxRequestBytes {
		return nil, errors.New("request body too large")
	}
	return b, nil
}

// Delay sleeps for the scenario's latency (or until the client goes away).
func Delay(r *http.Request, sc Scenario) {
	if sc.LatencyMs > 0 {
		sleep(r.Context(), time.Duration(sc.LatencyMs)*time.Millisecond)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// ServeTransportFault renders the faults that are the same for every provider:
// timeouts (hold the connection), resets, 5xx and garbage. It reports whether it
// answered; provider-format faults (unsigned, bad signature, unknown, rate limit)
// are left to the sandbox.
func ServeTransportFault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	switch f {
	case FaultTimeout, FaultTimeoutAfterEffect:
		sleep(r.Context(), HoldFor)
		w.WriteHeader(http.StatusGatewayTimeout)
		return true
	case FaultReset:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler) // net/http closes the connection without a reply
	case Fault5xx:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
		return true
	case FaultGarbage:
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "{\"oops\": <not json")
		return true
	}
	return false
}

// SetRetryAfter sends the scenario's rate-limit hint (RetryAfterSeconds, when
// set) as a Retry-After header, for the sandboxes whose provider answers a rate
// limit at the HTTP level (FaultRateLimit as HTTP 429).
func SetRetryAfter(h http.Header, sc Scenario) {
	if sc.RetryAfterSeconds > 0 {
		h.Set("Retry-After", strconv.Itoa(sc.RetryAfterSeconds))
	}
}

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// AdminPrefix is where every sandbox mounts its admin API.
const AdminPrefix = "/_sandbox/"

// AdminHandler serves the admin API that tests and the demo use to set payments up
// and read what the sandbox saw:
//
//	POST /_sandbox/payments               create {merchantOrderNo, providerPaymentId?, amount, currency, state?, scenario?}
//	GET  /_sandbox/payments               list
//	GET  /_sandbox/payments/{order}       one payment with its recorded cancels
//	POST /_sandbox/payments/{order}/state {"state":"PAID"} moves it
func AdminHandler(store *Store) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /_sandbox/payments", func(w http.ResponseWriter, r *http.Request) {
		body, err := ReadBody(r)
		if err != nil {
			WriteJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		var p Payment
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "payment JSON: " + err.Error()})
			return
		}
		created, err := store.Create(p)
		if err != nil {
			status := http.StatusBadRequest
			if errors.Is(err, ErrExists) {
				status = http.StatusConflict
			}
			WriteJSON(w, status, map[string]string{"error": err.Error()})
			return
		}
		WriteJSON(w, http.StatusCreated, created)
	})
	mux.HandleFunc("GET /_sandbox/payments", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, store.List())
	})
	mux.HandleFunc("GET /_sandbox/payments/{order}", func(w http.ResponseWriter, r *http.Request) {
		p, ok := store.Get(r.PathValue("order"), "")
		if !ok {
			WriteJSON(w, http.StatusNotFound, map[string]string{"error": "no such payment"})
			return
		}
		WriteJSON(w, http.StatusOK, p)
	})
	mux.HandleFunc("POST /_sandbox/payments/{order}/state", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			State State `json:"state"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&req); err != nil {
			WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "state JSON: " + err.Error()})
			return
		}
		switch req.State {
		case Paying, InOTP, Paid, Failed, Cancelled, Refunded:
		default:
			WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "unknown state " + string(req.State)})
			return
		}
		p, err := store.SetState(r.PathValue("order"), req.State)
		if err != nil {
			WriteJSON(w, http.StatusNotFound, map[string]string{"error": err.Error()})
			return
		}
		WriteJSON(w, http.StatusOK, p)
	})
	return mux
}

// WithAdmin serves the admin API under /_sandbox/ and everything else with api.
func WithAdmin(store *Store, api http.Handler) http.Handler {
	admin := AdminHandler(store)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, AdminPrefix) || r.URL.Path == strings.TrimSuffix(AdminPrefix, "/") {
			admin.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

// DefaultNotifySchedule is the gateway convention (the provider's API page): 0/30/60/90/120/150 s.
var DefaultNotifySchedule = []time.Duration{0, 30 * time.Second, 60 * time.Second, 90 * time.Second, 120 * time.Second, 150 * time.Second}

// Delivery is one notification attempt the notifier made.
type Delivery struct {
	At     time.Time `json:"at"`
	URL    string    `json:"url"`
	Status int       `json:"status"`
	Acked  bool      `json:"acked"`
	Error  string    `json:"error,omitempty"`
}

// Notifier sends a provider's asynchronous notifications, retrying on a schedule
// until the receiver acknowledges. Each attempt is built afresh (providers re-sign
// with a new request time).
type Notifier struct {
	Client *http.Client
	// Schedule is the delay before each attempt, counted from the previous one
	// (the first entry is the delay before the first attempt). Nil: DefaultNotifySchedule.
	Schedule []time.Duration

	mu         sync.Mutex
	deliveries []Delivery
	wg         sync.WaitGroup
	stop       chan struct{}
	stopOnce   sync.Once
}

// Request is one notification attempt as built by the sandbox.
type Request struct {
	ContentType string
	Header      http.Header
	Body        []byte
}

// Send delivers in the background: build makes each attempt, acked decides from the
// receiver's status and body whether to stop.
func (n *Notifier) Send(url string, build func() Request, acked func(status int, body []byte) bool) {
	n.mu.Lock()
	if n.stop == nil {
		n.stop = make(chan struct{})
	}
	stop := n.stop
	n.mu.Unlock()
	schedule := n.Schedule
	if schedule == nil {
		schedule = DefaultNotifySchedule
	}
	client := n.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		for _, wait := range schedule {
			t := time.NewTimer(wait)
			select {
			case <-stop:
				t.Stop()
				return
			case <-t.C:
			}
			req := build()
			d := Delivery{At: time.Now(), URL: url}
			hreq, err := http.NewRequest(http.MethodPost, url, strings.NewReader(string(req.Body)))
			if err != nil {
				d.Error = err.Error()
				n.record(d)
				return
			}
			for k, vs := range req.Header {
				for _, v := range vs {
					hreq.Header.Add(k, v)
				}
			}
			hreq.Header.Set("Content-Type", req.ContentType)
			resp, err := client.Do(hreq)
			if err != nil {
				d.Error = err.Error()
				n.record(d)
				continue
			}
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
			d.Status = resp.StatusCode
			d.Acked = acked(resp.StatusCode, body)
			n.record(d)
			if d.Acked {
				return
			}
		}
	}()
}

func (n *Notifier) record(d Delivery) {
	n.mu.Lock()
	n.deliveries = append(n.deliveries, d)
	n.mu.Unlock()
}

// Deliveries returns the attempts made so far.
func (n *Notifier) Deliveries() []Delivery {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]Delivery(nil), n.deliveries...)
}

// Wait waits until every delivery has ended on its own: acknowledged, or its
// schedule run out. Tests use it to see that nothing is sent after an ack.
func (n *Notifier) Wait() { n.wg.Wait() }

// Close stops pending retries and waits for attempts under way.
func (n *Notifier) Close() {
	n.stopOnce.Do(func() {
		n.mu.Lock()
		if n.stop == nil {
			n.stop = make(chan struct{})
		}
		close(n.stop)
		n.mu.Unlock()
	})
	n.wg.Wait()
}
