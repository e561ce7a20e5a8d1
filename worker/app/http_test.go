package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/converter"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/gnete"
	"github.com/paycancel/paycancel/providers/payermax"
	sandboxes "github.com/paycancel/paycancel/providers/sim"
	"github.com/paycancel/paycancel/providers/sim/gnetesim"
	"github.com/paycancel/paycancel/providers/sim/payermaxsim"
	"github.com/paycancel/paycancel/providers/sim/simkit"
	"github.com/paycancel/paycancel/worker/config"
	"github.com/paycancel/paycancel/worker/demo"
	"github.com/paycancel/paycancel/workflows/contract"
	"github.com/paycancel/paycancel/workflows/contract/webhook"
)

// fakeSignaler records SignalWorkflow calls and answers with err.
type fakeSignaler struct {
	mu    sync.Mutex
	calls []signalCall
	err   error
}

type signalCall struct {
	WorkflowID, RunID, Signal string
	Notification              providers.Notification
}

func (f *fakeSignaler) SignalWorkflow(_ context.Context, workflowID, runID, signalName string, arg any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, _ := arg.(providers.Notification)
	f.calls = append(f.calls, signalCall{workflowID, runID, signalName, n})
	return f.err
}

// recordedRefs plays the cancels' recorded provider refs (Status.ProviderRef) by
// workflow id, as the status query answers them.
var recordedRefs sync.Map

// QueryWorkflow answers the status query with the recorded provider ref.
func (f *fakeSignaler) QueryWorkflow(_ context.Context, workflowID, _, _ string, _ ...any) (converter.EncodedValue, error) {
	// The sandbox may deliver the notification before the test's cancel call
	// returned and stored the ref; a real cancel records it in the same way
	// before it waits, so give the test a moment.
	ref, ok := recordedRefs.Load(workflowID)
	for deadline := time.Now().Add(3 * time.Second); !ok && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		ref, ok = recordedRefs.Load(workflowID)
	}
	st := contract.Status{WorkflowID: workflowID}
	st.ProviderRef, _ = ref.(string)
	p, err := converter.GetDefaultDataConverter().ToPayloads(st)
	if err != nil {
		return nil, err
	}
	return encodedValue{p}, nil
}

type encodedValue struct{ p *commonpb.Payloads }

func (v encodedValue) HasValue() bool { return v.p != nil }
func (v encodedValue) Get(ptr any) error {
	return converter.GetDefaultDataConverter().FromPayloads(v.p, ptr)
}

func (f *fakeSignaler) Calls() []signalCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]signalCall(nil), f.calls...)
}

// captured is one notification a sandbox sent, and what the handler answered.
type captured struct {
	Target   string // path and query
	Header   http.Header
	Body     []byte
	Status   int
	RespCT   string
	RespBody []byte
}

// The acknowledgements the providers document (a notification is resent until it
// sees exactly this).
var wantAck = map[string]struct{ ct, body string }{
	payermax.Name: {"application/json", `{"code":"SUCCESS","msg":"Success"}`},
	gnete.Name:    {"text/plain; charset=utf-8", "success"},
	"ksher":       {"application/json", `{"result":"SUCCESS","msg":"OK"}`},
}

// callbackEnv holds genuine notifications from the PayerMax, GNETE and Ksher
// sandboxes (signed with the dev keys the sandboxes generated), delivered over HTTP
// to the callback handler, plus what is needed to forge and replay them.
type callbackEnv struct {
	dir          string
	cfg          *config.Config
	set          *sandboxes.Set
	notifySecret string
	captured     map[string]captured // by provider
	orders       map[string]string   // provider → merchant order
	live         *fakeSignaler
	liveLogs     *observer.ObservedLogs
	secrets      []string // never in a log line
}

func startCallbackEnv(t *testing.T) *callbackEnv {
	t.Helper()
	env := &callbackEnv{dir: t.TempDir(), captured: map[string]captured{},
		orders: map[string]string{payermax.Name: "pm-order-1", gnete.Name: "gn-order-1", "ksher": "ks-order-1"}}

	// The receiving end: the real handler behind a recorder of requests and answers.
	var mu sync.Mutex
	receiver, setHandler := recordingReceiver(t, func(r *http.Request, body []byte, rec *httptest.ResponseRecorder) {
		provider := strings.Split(strings.TrimPrefix(r.URL.Path, "/callbacks/"), "/")[0]
		mu.Lock()
		defer mu.Unlock()
		if _, dup := env.captured[provider]; dup {
			t.Errorf("%s sent a second notification", provider)
			return
		}
		env.captured[provider] = captured{Target: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body,
			Status: rec.Code, RespCT: rec.Header().Get("Content-Type"), RespBody: rec.Body.Bytes()}
	})

	set, err := sandboxes.Start(sandboxes.Options{Dir: filepath.Join(env.dir, "keys"), Addr: "127.0.0.1:0",
		CallbackBaseURL: receiver.URL, NotifySchedule: []time.Duration{0}}) // one attempt: the first ack must be right
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(set.Close)
	env.set = set
	path, secret, err := WriteDevConfig(env.dir, set, receiver.URL)
	if err != nil {
		t.Fatal(err)
	}
	env.notifySecret = secret
	if env.cfg, err = config.Load(path, providers.Deps{}); err != nil {
		t.Fatal(err)
	}
	env.live = &fakeSignaler{}
	h, logs := observedServer(env.cfg, env.live)
	env.liveLogs = logs
	setHandler(h)

	// What must never be logged: every secret and key in the key folder.
	env.secrets = append(env.secrets, secret)
	_ = filepath.WalkDir(env.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".db") {
			return nil
		}
		data, _ := os.ReadFile(p)
		for _, line := range strings.Split(string(data), "\n") {
			if line = strings.TrimSpace(line); len(line) >= 16 && !strings.HasPrefix(line, "-----") {
				env.secrets = append(env.secrets, line)
			}
		}
		return nil
	})

	// Make each sandbox send its notification, as the real provider would.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	createPayment(t, set.URL, payermax.Name, simkit.Payment{MerchantOrderNo: env.orders[payermax.Name], Amount: 1250, Currency: "USD"})
	if out := env.cfg.Credentials[DevCredentialPrefix+payermax.Name].Provider.Cancel(ctx, providers.CancelRequest{
		Target: providers.Target{MerchantOrderNo: env.orders[payermax.Name]}, CancelKey: "pc-payermax-pm-order-1"}); out.Kind != providers.Succeeded {
		t.Fatalf("payermax cancel: %s", out)
	}
	createPayment(t, set.URL, gnete.Name, simkit.Payment{MerchantOrderNo: env.orders[gnete.Name], Amount: 990, Currency: "HKD"})
	if out := env.cfg.Credentials[DevCredentialPrefix+gnete.Name].Provider.Cancel(ctx, providers.CancelRequest{
		Target:    providers.Target{MerchantOrderNo: env.orders[gnete.Name]},
		NotifyURL: receiver.URL + "/callbacks/gnete/" + DevCredentialPrefix + gnete.Name + "?order=" + env.orders[gnete.Name],
	}); out.Kind != providers.Succeeded {
		t.Fatalf("gnete cancel: %s", out)
	} else {
		recordedRefs.Store(contract.WorkflowID(DevMerchantName, gnete.Name, env.orders[gnete.Name]), out.ProviderRef)
	}
	createPayment(t, set.URL, "ksher", simkit.Payment{MerchantOrderNo: env.orders["ksher"], Amount: 5000, Currency: "THB"})
	post(t, set.URL+"/ksher/_sandbox/payments/"+env.orders["ksher"]+"/state", `{"state":"PAID"}`, http.StatusOK)

	// Wait for the three deliveries and for each sandbox to record its verdict on
	// the acknowledgement.
	deliveries := map[string]func() []simkit.Delivery{
		payermax.Name: set.PayerMax.Deliveries, gnete.Name: set.GNETE.Deliveries, "ksher": set.Ksher.Notifier.Deliveries,
	}
	waitFor(t, 10*time.Second, "the three notifications", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for p, d := range deliveries {
			if _, ok := env.captured[p]; !ok || len(d()) == 0 {
				return false
			}
		}
		return true
	})
	for p, d := range deliveries {
		if got := d(); len(got) != 1 || !got[0].Acked || got[0].Status != http.StatusOK {
			t.Errorf("%s sandbox deliveries %+v: want one, acknowledged", p, got)
		}
	}
	return env
}

// createPayment sets a payment up at the sandboxes under root, as the demo does
// (testenv.CreatePayment is the same call, but testenv imports this package).
func createPayment(t *testing.T, root, provider string, p simkit.Payment) {
	t.Helper()
	if err := demo.CreatePayment(context.Background(), http.DefaultClient, root, provider, p); err != nil {
		t.Fatal(err)
	}
}

func post(t *testing.T, url, body string, want int) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST %s: HTTP %d %s", url, resp.StatusCode, b)
	}
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// serve sends one request to a fresh server with its own signaler and log.
func (env *callbackEnv) serve(t *testing.T, sig *fakeSignaler, target string, header http.Header, body []byte) (*httptest.ResponseRecorder, *observer.ObservedLogs) {
	t.Helper()
	h, logs := observedServer(env.cfg, sig)
	rec := postTo(h, target, header, body)
	env.checkLogs(t, logs, body)
	return rec, logs
}

// recordingReceiver is a server that answers as the handler given to setHandler
// (before the first request) does, and hands record each request, its body and
// the handler's answer.
func recordingReceiver(t *testing.T, record func(r *http.Request, body []byte, answer *httptest.ResponseRecorder)) (srv *httptest.Server, setHandler func(http.Handler)) {
	var handler atomic.Pointer[http.Handler]
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		(*handler.Load()).ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		record(r, body, rec)
	}))
	t.Cleanup(srv.Close)
	return srv, func(h http.Handler) { handler.Store(&h) }
}

// observedServer is the HTTP handler of a fresh server over cfg that signals
// through c, with the log it writes.
func observedServer(cfg *config.Config, c Signaler) (http.Handler, *observer.ObservedLogs) {
	core, logs := observer.New(zapcore.DebugLevel)
	return NewServer(cfg, c, zap.New(core), nil).Handler(), logs
}

// postTo POSTs body to target on h with a copy of header.
func postTo(h http.Handler, target string, header http.Header, body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	for k, v := range header {
		r.Header[k] = append([]string(nil), v...)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// checkLogs: no log line holds a raw body, a signature or a secret.
func (env *callbackEnv) checkLogs(t *testing.T, logs *observer.ObservedLogs, extra ...[]byte) {
	t.Helper()
	forbidden := append([]string(nil), env.secrets...)
	for _, c := range env.captured {
		forbidden = append(forbidden, string(c.Body))
		if s := c.Header.Get(payermax.SignHeader); s != "" {
			forbidden = append(forbidden, s)
		}
		forbidden = append(forbidden, signOf(c.Body)...)
	}
	for _, b := range extra {
		if len(b) >= 16 {
			forbidden = append(forbidden, string(b))
		}
	}
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	for _, e := range logs.All() {
		buf, err := enc.EncodeEntry(e.Entry, e.Context)
		if err != nil {
			t.Fatal(err)
		}
		line := buf.String()
		for _, s := range forbidden {
			if s != "" && strings.Contains(line, s) {
				t.Errorf("log line holds a body, signature or secret (%.20s…): %s", s, line)
			}
		}
	}
}

// signOf returns the signature inside a GNETE form body or a Ksher JSON body.
func signOf(body []byte) []string {
	var out []string
	if v, err := url.ParseQuery(string(body)); err == nil && v.Get("sign") != "" {
		out = append(out, v.Get("sign"))
	}
	var k struct {
		Sign string `json:"sign"`
	}
	if json.Unmarshal(body, &k) == nil && k.Sign != "" {
		out = append(out, k.Sign)
	}
	return out
}

func TestCallbacks(t *testing.T) {
	env := startCallbackEnv(t)
	providersUnderTest := []string{payermax.Name, gnete.Name, "ksher"}

	t.Run("genuine notifications are signalled once and acknowledged exactly", func(t *testing.T) {
		calls := env.live.Calls()
		if len(calls) != 3 {
			t.Fatalf("signals: %+v, want 3", calls)
		}
		byID := map[string]signalCall{}
		for _, c := range calls {
			byID[c.WorkflowID] = c
		}
		for _, p := range providersUnderTest {
			c, ok := byID[contract.WorkflowID(DevMerchantName, p, env.orders[p])]
			if !ok {
				t.Errorf("%s: no signal to %s (signals %+v)", p, contract.WorkflowID(DevMerchantName, p, env.orders[p]), calls)
				continue
			}
			if c.Signal != contract.SignalProviderNotification || c.RunID != "" || c.Notification.Provider != p ||
				c.Notification.MerchantOrderNo != env.orders[p] {
				t.Errorf("%s: signal %+v", p, c)
			}
			got := env.captured[p]
			if got.Status != http.StatusOK || got.RespCT != wantAck[p].ct || string(got.RespBody) != wantAck[p].body {
				t.Errorf("%s: answered %d %q %q, want 200 %q %q", p, got.Status, got.RespCT, got.RespBody, wantAck[p].ct, wantAck[p].body)
			}
		}
		if n := byID[contract.WorkflowID(DevMerchantName, payermax.Name, env.orders[payermax.Name])].Notification; n.Type != providers.NotifyCancelResult ||
			n.Outcome.Kind != providers.Succeeded || n.CancelKey != "pc-payermax-pm-order-1" {
			t.Errorf("payermax notification %+v", n)
		}
		if n := byID[contract.WorkflowID(DevMerchantName, gnete.Name, env.orders[gnete.Name])].Notification; n.Type != providers.NotifyCancelResult ||
			n.Outcome.Kind != providers.Succeeded || n.ProviderRef == "" {
			t.Errorf("gnete notification %+v", n)
		}
		if n := byID[contract.WorkflowID(DevMerchantName, "ksher", env.orders["ksher"])].Notification; n.Type != providers.NotifyPaymentResult ||
			n.Payment != providers.PaymentPaid {
			t.Errorf("ksher notification %+v", n)
		}
		if ct := env.captured[gnete.Name].Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
			t.Errorf("gnete notification content type %q, want a form", ct)
		}
		if !strings.Contains(env.captured[gnete.Name].Target, "?order=gn-order-1") {
			t.Errorf("gnete notification went to %s", env.captured[gnete.Name].Target)
		}
		env.checkLogs(t, env.liveLogs)
	})

	for _, p := range providersUnderTest {
		c := env.captured[p]
		t.Run(p+"/repeated notification is harmless", func(t *testing.T) {
			sig := &fakeSignaler{}
			for i := 0; i < 3; i++ {
				rec, _ := env.serve(t, sig, c.Target, c.Header, c.Body)
				if rec.Code != http.StatusOK || rec.Body.String() != wantAck[p].body {
					t.Fatalf("delivery %d: %d %q", i+1, rec.Code, rec.Body)
				}
			}
			calls := sig.Calls()
			if len(calls) != 3 {
				t.Fatalf("signals %d, want one per delivery", len(calls))
			}
			for _, call := range calls {
				if call.WorkflowID != contract.WorkflowID(DevMerchantName, p, env.orders[p]) || call.Notification != calls[0].Notification {
					t.Errorf("signal %+v differs from the first %+v", call, calls[0])
				}
			}
		})

		t.Run(p+"/credential route", func(t *testing.T) {
			sig := &fakeSignaler{}
			target := "/callbacks/" + p + "/" + DevCredentialPrefix + p
			if p == gnete.Name {
				target = c.Target // already credential-specific
			}
			rec, _ := env.serve(t, sig, target, c.Header, c.Body)
			if rec.Code != http.StatusOK || len(sig.Calls()) != 1 {
				t.Errorf("%s: %d, %d signals", target, rec.Code, len(sig.Calls()))
			}
			// Another provider's credential, or an unknown one: nobody verifies it.
			for _, bad := range []string{"/callbacks/" + p + "/nope", "/callbacks/" + p + "/" + DevCredentialPrefix + "alipayplus"} {
				sig := &fakeSignaler{}
				rec, _ := env.serve(t, sig, bad, c.Header, c.Body)
				if rec.Code != http.StatusNotFound || len(sig.Calls()) != 0 {
					t.Errorf("%s: %d, %d signals; want 404 and none", bad, rec.Code, len(sig.Calls()))
				}
			}
		})

		t.Run(p+"/forged", func(t *testing.T) {
			for name, f := range forgeries(t, p, c) {
				sig := &fakeSignaler{}
				rec, logs := env.serve(t, sig, c.Target, f.header, f.body)
				if rec.Code != http.StatusUnauthorized || len(sig.Calls()) != 0 {
					t.Errorf("%s: %d %q, %d signals; want 401 and none", name, rec.Code, rec.Body, len(sig.Calls()))
				}
				if logs.FilterMessage("callback refused").Len() != 1 {
					t.Errorf("%s: the refusal is not logged once: %v", name, logs.All())
				}
			}
		})

		t.Run(p+"/malformed", func(t *testing.T) {
			for name, body := range map[string][]byte{
				"garbage":   []byte("this is not a notification"),
				"empty":     nil,
				"truncated": c.Body[:len(c.Body)/2],
			} {
				sig := &fakeSignaler{}
				rec, _ := env.serve(t, sig, c.Target, c.Header, body)
				if rec.Code < 400 || rec.Code > 499 || rec.Code == http.StatusNotFound || len(sig.Calls()) != 0 {
					t.Errorf("%s: %d %q, %d signals; want 400/401 and none", name, rec.Code, rec.Body, len(sig.Calls()))
				}
			}
		})

		t.Run(p+"/oversized body", func(t *testing.T) {
			for _, size := range []int{MaxCallbackBytes + 1, 4 * MaxCallbackBytes} {
				sig := &fakeSignaler{}
				body := append(append([]byte(nil), c.Body...), bytes.Repeat([]byte(" "), size-len(c.Body))...)
				rec, logs := env.serve(t, sig, c.Target, c.Header, body)
				if rec.Code != http.StatusRequestEntityTooLarge || len(sig.Calls()) != 0 {
					t.Errorf("%d bytes: %d, %d signals; want 413 and none", size, rec.Code, len(sig.Calls()))
				}
				if logs.FilterMessage("callback refused: body too large").Len() != 1 {
					t.Errorf("%d bytes: not logged as too large: %v", size, logs.All())
				}
			}
			// At the limit the body is read (and then refused for what it is).
			sig := &fakeSignaler{}
			rec, _ := env.serve(t, sig, c.Target, c.Header, bytes.Repeat([]byte("x"), MaxCallbackBytes))
			if rec.Code == http.StatusRequestEntityTooLarge {
				t.Errorf("a body of exactly %d bytes was refused as too large", MaxCallbackBytes)
			}
		})

		t.Run(p+"/workflow not found", func(t *testing.T) {
			sig := &fakeSignaler{err: serviceerror.NewNotFound("workflow execution not found")}
			rec, logs := env.serve(t, sig, c.Target, c.Header, c.Body)
			if rec.Code != http.StatusOK || rec.Body.String() != wantAck[p].body || rec.Header().Get("Content-Type") != wantAck[p].ct {
				t.Errorf("answered %d %q; want the provider's ack so it stops resending", rec.Code, rec.Body)
			}
			if len(sig.Calls()) != 1 {
				t.Errorf("signals %d, want 1 attempt", len(sig.Calls()))
			}
			if n := logs.FilterLevelExact(zapcore.ErrorLevel).Len() + logs.FilterLevelExact(zapcore.WarnLevel).Len(); n != 0 {
				t.Errorf("a finished or unknown cancel is not an error; logged %v", logs.All())
			}
		})

		t.Run(p+"/temporal unavailable", func(t *testing.T) {
			sig := &fakeSignaler{err: serviceerror.NewUnavailable("connection refused")}
			rec, logs := env.serve(t, sig, c.Target, c.Header, c.Body)
			if rec.Code != http.StatusServiceUnavailable || strings.Contains(rec.Body.String(), "SUCCESS") || strings.EqualFold(rec.Body.String(), "success") {
				t.Errorf("answered %d %q; want 503 without the ack so the provider resends", rec.Code, rec.Body)
			}
			if logs.FilterLevelExact(zapcore.ErrorLevel).Len() != 1 {
				t.Errorf("want one error line, got %v", logs.All())
			}
			sig = &fakeSignaler{err: errors.New("context deadline exceeded")}
			if rec, _ := env.serve(t, sig, c.Target, c.Header, c.Body); rec.Code != http.StatusServiceUnavailable {
				t.Errorf("plain error: %d, want 503", rec.Code)
			}
		})
	}

	t.Run("gnete without the order in the URL is acknowledged without a signal", func(t *testing.T) {
		c := env.captured[gnete.Name]
		sig := &fakeSignaler{}
		rec, logs := env.serve(t, sig, strings.Split(c.Target, "?")[0], c.Header, c.Body)
		if rec.Code != http.StatusOK || rec.Body.String() != "success" || len(sig.Calls()) != 0 {
			t.Errorf("%d %q, %d signals", rec.Code, rec.Body, len(sig.Calls()))
		}
		if logs.FilterMessage("callback verified but names no merchant order; acknowledged without a signal").Len() != 1 {
			t.Errorf("not logged: %v", logs.All())
		}
	})

	t.Run("signed but malformed is 400", func(t *testing.T) {
		// PayerMax: a notification type paycancel does not handle, signed with
		// PayerMax's (sandbox) key.
		_, pmSb, err := payermaxsim.DevCredentials(filepath.Join(env.dir, "keys", payermax.Name), env.set.URL+"/payermax")
		if err != nil {
			t.Fatal(err)
		}
		body := []byte(`{"code":"APPLY_SUCCESS","msg":"","keyVersion":"1","appId":"` + payermaxsim.DevAppID + `","notifyType":"REFUND","data":{"outTradeNo":"x"}}`)
		sign, err := payermax.Sign(pmSb.ProviderPrivateKey, body)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		h.Set("Content-Type", "application/json")
		h.Set(payermax.SignHeader, sign)
		sig := &fakeSignaler{}
		if rec, _ := env.serve(t, sig, "/callbacks/payermax", h, body); rec.Code != http.StatusBadRequest || len(sig.Calls()) != 0 ||
			!strings.Contains(rec.Body.String(), "REFUND") {
			t.Errorf("payermax: %d %q, %d signals; want 400", rec.Code, rec.Body, len(sig.Calls()))
		}
		// GNETE: signed with the shared secret, without the cancel order id.
		_, gnSb, err := gnetesim.DevCredentials(filepath.Join(env.dir, "keys", gnete.Name), env.set.URL+"/gnete")
		if err != nil {
			t.Fatal(err)
		}
		params := map[string]any{"payOrderId": "P1", "state": "2", "reqTime": "1700000000000"}
		form := url.Values{"payOrderId": {"P1"}, "state": {"2"}, "reqTime": {"1700000000000"}, "sign": {gnete.Sign(params, gnSb.AppSecret)}}
		sig = &fakeSignaler{}
		if rec, _ := env.serve(t, sig, "/callbacks/gnete?order=x", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, []byte(form.Encode())); rec.Code != http.StatusBadRequest ||
			len(sig.Calls()) != 0 || !strings.Contains(rec.Body.String(), "cancelOrderId") {
			t.Errorf("gnete: %d %q, %d signals; want 400", rec.Code, rec.Body, len(sig.Calls()))
		}
	})

	t.Run("unknown provider or method", func(t *testing.T) {
		c := env.captured[payermax.Name]
		for _, target := range []string{"/callbacks/stripe", "/callbacks/PayerMax", "/callbacks/alipayglobal-nope"} {
			sig := &fakeSignaler{}
			if rec, _ := env.serve(t, sig, target, c.Header, c.Body); rec.Code != http.StatusNotFound || len(sig.Calls()) != 0 {
				t.Errorf("%s: %d, want 404", target, rec.Code)
			}
		}
		h := NewServer(env.cfg, &fakeSignaler{}, zap.NewNop(), nil).Handler()
		for _, tc := range []struct {
			method, target string
			want           int
		}{{http.MethodGet, "/callbacks/payermax", http.StatusMethodNotAllowed}, {http.MethodPost, "/callbacks", http.StatusNotFound},
			{http.MethodPost, "/callbacks/payermax/a/b", http.StatusNotFound}} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.target, nil))
			if rec.Code != tc.want {
				t.Errorf("%s %s: %d, want %d", tc.method, tc.target, rec.Code, tc.want)
			}
		}
	})

	t.Run("dev configuration", func(t *testing.T) { testWriteDevConfig(t, env.set) })

	t.Run("dev merchant verifies merchant notifications", func(t *testing.T) {
		dm := &DevMerchant{Secret: env.notifySecret}
		srv := NewServer(env.cfg, &fakeSignaler{}, zap.NewNop(), nil)
		srv.EnableDevMerchant(dm)
		h := srv.Handler()
		key, err := webhook.Key(env.notifySecret)
		if err != nil {
			t.Fatal(err)
		}
		body := []byte(`{"type":"cancel.outcome","state":"CANCELLED"}`)
		send := func(hdr http.Header, body []byte) int {
			r := httptest.NewRequest(http.MethodPost, "/dev/merchant-webhook", bytes.NewReader(body))
			for k, v := range hdr {
				r.Header[k] = v
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			return rec.Code
		}
		if code := send(webhook.Headers(key, "evt_1", time.Now(), body), body); code != http.StatusNoContent {
			t.Errorf("signed: %d, want 204", code)
		}
		if code := send(webhook.Headers([]byte("other"), "evt_2", time.Now(), body), body); code != http.StatusUnauthorized {
			t.Errorf("wrong key: %d, want 401", code)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/dev/merchant-webhook", nil))
		var events []DevEvent
		if err := json.Unmarshal(rec.Body.Bytes(), &events); err != nil || len(events) != 1 || events[0].ID != "evt_1" {
			t.Errorf("listed %s (%v)", rec.Body, err)
		}
	})
}

// forgery is a request that must not verify.
type forgery struct {
	header http.Header
	body   []byte
}

// forgeries alters a genuine notification: its content with the signature kept,
// the signature itself, and no signature at all.
func forgeries(t *testing.T, provider string, c captured) map[string]forgery {
	t.Helper()
	h := func() http.Header { return c.Header.Clone() }
	out := map[string]forgery{}
	switch provider {
	case payermax.Name:
		out["content changed"] = forgery{h(), bytes.Replace(c.Body, []byte("pm-order-1"), []byte("pm-order-2"), 1)}
		bad := h()
		sign := bad.Get(payermax.SignHeader)
		bad.Set(payermax.SignHeader, flip(sign))
		out["signature changed"] = forgery{bad, c.Body}
		none := h()
		none.Del(payermax.SignHeader)
		out["no signature"] = forgery{none, c.Body}
	case gnete.Name:
		v, err := url.ParseQuery(string(c.Body))
		if err != nil {
			t.Fatal(err)
		}
		changed := cloneValues(v)
		changed.Set("state", "3")
		out["content changed"] = forgery{h(), []byte(changed.Encode())}
		resigned := cloneValues(v)
		resigned.Set("sign", flip(v.Get("sign")))
		out["signature changed"] = forgery{h(), []byte(resigned.Encode())}
		unsigned := cloneValues(v)
		unsigned.Del("sign")
		out["no signature"] = forgery{h(), []byte(unsigned.Encode())}
		// Signed with another secret (a gateway impersonator that guessed the format).
		other := map[string]any{}
		for k := range v {
			if k != "sign" {
				other[k] = v.Get(k)
			}
		}
		foreign := cloneValues(v)
		foreign.Set("sign", gnete.Sign(other, providers.NewSecret("not-the-shared-secret")))
		out["signed with another secret"] = forgery{h(), []byte(foreign.Encode())}
	case "ksher":
		out["content changed"] = forgery{h(), bytes.Replace(c.Body, []byte("ks-order-1"), []byte("ks-order-2"), 1)}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(c.Body, &m); err != nil {
			t.Fatal(err)
		}
		var sign string
		_ = json.Unmarshal(m["sign"], &sign)
		m["sign"], _ = json.Marshal(flip(sign))
		b, _ := json.Marshal(m)
		out["signature changed"] = forgery{h(), b}
		delete(m, "sign")
		b, _ = json.Marshal(m)
		out["no signature"] = forgery{h(), b}
	}
	for name, f := range out {
		if bytes.Equal(f.body, c.Body) && f.header.Get(payermax.SignHeader) == c.Header.Get(payermax.SignHeader) {
			t.Fatalf("%s/%s: the forgery did not change anything", provider, name)
		}
	}
	return out
}

// flip changes the first character of a signature to another valid one.
func flip(s string) string {
	if s == "" {
		return "x"
	}
	r := byte('A')
	if s[0] == 'A' {
		r = 'B'
	}
	if s[0] >= '0' && s[0] <= '9' || s[0] >= 'a' && s[0] <= 'f' { // hex
		r = 'a'
		if s[0] == 'a' {
			r = 'b'
		}
	}
	return string(r) + s[1:]
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func TestHealthAndReadiness(t *testing.T) {
	var healthErr atomic.Pointer[error]
	srv := NewServer(nil, &fakeSignaler{}, zap.NewNop(), func(context.Context) error {
		if p := healthErr.Load(); p != nil {
			return *p
		}
		return nil
	})
	h := srv.Handler()
	get := func(path string) (int, map[string]string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		var m map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatalf("%s: body %q is not JSON", path, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: content type %q", path, ct)
		}
		return rec.Code, m
	}
	if code, m := get("/healthz"); code != http.StatusOK || m["status"] != "ok" {
		t.Errorf("/healthz %d %v", code, m)
	}
	if code, m := get("/readyz"); code != http.StatusServiceUnavailable || m["status"] != "starting" {
		t.Errorf("/readyz before ready: %d %v", code, m)
	}
	srv.SetReady(true)
	if code, m := get("/readyz"); code != http.StatusOK || m["status"] != "ready" {
		t.Errorf("/readyz ready: %d %v", code, m)
	}
	err := errors.New("connection refused")
	healthErr.Store(&err)
	if code, m := get("/readyz"); code != http.StatusServiceUnavailable || m["status"] != "temporal unreachable" || m["error"] != "connection refused" {
		t.Errorf("/readyz with Temporal down: %d %v", code, m)
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz must not depend on Temporal: %d", code)
	}
	healthErr.Store(nil)
	srv.SetReady(false) // shutting down
	if code, _ := get("/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz while stopping: %d", code)
	}
	// No configuration: every callback is unknown.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/callbacks/payermax", strings.NewReader("{}")))
	if rec.Code != http.StatusNotFound {
		t.Errorf("callback without configuration: %d", rec.Code)
	}
}

// testWriteDevConfig: the --dev configuration loads through the normal path, keeps
// its merchant secret across restarts, and holds no secret itself. (A subtest of
// TestCallbacks, to share its sandboxes: generating their keys is slow.)
func testWriteDevConfig(t *testing.T, set *sandboxes.Set) {
	dir := t.TempDir()
	path, secret, err := WriteDevConfig(dir, set, "http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, providers.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Credentials) != 5 || cfg.Merchants[DevMerchantName] == nil || cfg.Merchants[DevMerchantName].NotifySecret.Reveal() != secret {
		t.Errorf("dev config: %d credentials, merchants %v", len(cfg.Credentials), cfg.Merchants)
	}
	for _, p := range sandboxes.Names {
		if c := cfg.Credentials[DevCredentialPrefix+p]; c == nil || c.Provider.Name() != p {
			t.Errorf("credential %s%s missing", DevCredentialPrefix, p)
		}
	}
	if !strings.HasPrefix(secret, "whsec_") {
		t.Errorf("secret is not a whsec_ secret")
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), secret) || strings.Contains(string(data), "PRIVATE KEY") {
		t.Error("the dev configuration file holds a secret")
	}
	_, again, err := WriteDevConfig(dir, set, "http://127.0.0.1:1")
	if err != nil || again != secret {
		t.Errorf("second start: new secret or error %v", err)
	}
}

// A genuine GNETE cancel notification names only its cancelOrderId; the order
// comes from the URL's unsigned ?order=. Replayed to the URL of a cancel that
// recorded another cancelOrderId (or none yet), it must not decide that cancel:
// the cancel is asked to recheck, and the signed status query decides.
func TestGNETENotificationForAnotherCancelOnlyRechecks(t *testing.T) {
	env := startCallbackEnv(t)
	c := env.captured[gnete.Name]
	wfID := contract.WorkflowID(DevMerchantName, gnete.Name, env.orders[gnete.Name])
	orig, _ := recordedRefs.Load(wfID)
	t.Cleanup(func() { recordedRefs.Store(wfID, orig) })
	for _, ref := range []string{"C-ANOTHER-ORDER", ""} {
		recordedRefs.Store(wfID, ref)
		sig := &fakeSignaler{}
		rec, _ := env.serve(t, sig, c.Target, c.Header, c.Body)
		calls := sig.Calls()
		if rec.Code != http.StatusOK || len(calls) != 1 || calls[0].Signal != contract.SignalRecheck || calls[0].WorkflowID != wfID {
			t.Errorf("recorded ref %q: %d, signals %+v; want 200 and one recheck of %s", ref, rec.Code, calls, wfID)
		}
	}
	recordedRefs.Store(wfID, orig)
	sig := &fakeSignaler{}
	if rec, _ := env.serve(t, sig, c.Target, c.Header, c.Body); rec.Code != http.StatusOK || len(sig.Calls()) != 1 ||
		sig.Calls()[0].Signal != contract.SignalProviderNotification {
		t.Errorf("matching ref: %d, signals %+v; want the notification", rec.Code, sig.Calls())
	}
}
