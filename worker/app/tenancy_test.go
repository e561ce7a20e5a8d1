package app

// Two merchants at the same providers, whose order numbers coincide: genuine
// sandbox notifications (one provider key for both accounts, as a provider signs
// for all its merchants) reach each merchant's own cancel and never the other's;
// one the receiver cannot attribute is refused; a cancel started before
// merchant-scoped ids is signalled only when its own history says it is the
// merchant's.

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/gnete"
	"github.com/paycancel/paycancel/providers/payermax"
	sandboxes "github.com/paycancel/paycancel/providers/sim"
	"github.com/paycancel/paycancel/providers/sim/simkit"
	"github.com/paycancel/paycancel/worker/config"
	"github.com/paycancel/paycancel/worker/testenv/history"
	"github.com/paycancel/paycancel/workflows/contract"
)

const otherMerchant = "globex"

// delivery is one notification a sandbox sent.
type delivery struct {
	target string
	header http.Header
	body   []byte
	status int
}

type tenancyEnv struct {
	dir        string
	cfg        *config.Config
	sets       map[string]*sandboxes.Set // by merchant
	sig        *fakeSignaler
	mu         sync.Mutex
	deliveries []delivery
}

func startTenancyEnv(t *testing.T) *tenancyEnv {
	t.Helper()
	env := &tenancyEnv{dir: t.TempDir(), sig: &fakeSignaler{}, sets: map[string]*sandboxes.Set{}}
	receiver, setHandler := recordingReceiver(t, func(r *http.Request, body []byte, rec *httptest.ResponseRecorder) {
		env.mu.Lock()
		env.deliveries = append(env.deliveries, delivery{r.URL.RequestURI(), r.Header.Clone(), body, rec.Code})
		env.mu.Unlock()
	})
	keys := filepath.Join(env.dir, "keys") // one folder: both sets sign with the same provider keys
	for merchant, tag := range map[string]string{DevMerchantName: "", otherMerchant: "2"} {
		set, err := sandboxes.Start(sandboxes.Options{Dir: keys, Addr: "127.0.0.1:0", CallbackBaseURL: receiver.URL,
			NotifySchedule: []time.Duration{0}, AccountTag: tag})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(set.Close)
		env.sets[merchant] = set
	}
	path, _, err := WriteDevConfig(env.dir, env.sets[DevMerchantName], receiver.URL)
	if err != nil {
		t.Fatal(err)
	}
	f, baseDir, err := config.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	secretPath := filepath.Join(env.dir, "globex.secret")
	if err := os.WriteFile(secretPath, []byte("whsec_Z2xvYmV4J3Mgb3duIHNlY3JldCE="), 0o600); err != nil {
		t.Fatal(err)
	}
	set2 := env.sets[otherMerchant]
	f.Merchants[otherMerchant] = &config.Merchant{Notify: config.Notify{Secret: providers.SecretRef{File: secretPath}},
		Credentials: map[string]*config.Credential{
			otherMerchant + "-payermax": {Provider: "payermax", PayerMax: &set2.PayerMaxConfig},
			otherMerchant + "-gnete":    {Provider: "gnete", GNETE: &set2.GNETEConfig},
			otherMerchant + "-ksher":    {Provider: "ksher", Ksher: &set2.KsherConfig},
		}}
	if env.cfg, err = config.Build(path, *f, providers.Deps{BaseDir: baseDir}); err != nil {
		t.Fatal(err)
	}
	h, _ := observedServer(env.cfg, env.sig)
	setHandler(h)
	return env
}

func (env *tenancyEnv) cred(merchant, provider string) providers.Provider {
	name := DevCredentialPrefix + provider
	if merchant != DevMerchantName {
		name = merchant + "-" + provider
	}
	return env.cfg.Credentials[name].Provider
}

func (env *tenancyEnv) waitDeliveries(t *testing.T, n int) []delivery {
	t.Helper()
	waitFor(t, 15*time.Second, "the sandboxes' notifications", func() bool {
		env.mu.Lock()
		defer env.mu.Unlock()
		return len(env.deliveries) >= n
	})
	env.mu.Lock()
	defer env.mu.Unlock()
	return append([]delivery(nil), env.deliveries...)
}

func TestTwoMerchantsSameOrderNumberCallbacks(t *testing.T) {
	env := startTenancyEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const order = "DUP1" // the same order number at both merchants' accounts
	merchants := []string{DevMerchantName, otherMerchant}
	for _, m := range merchants {
		set := env.sets[m]
		// PayerMax: a cancel notification to the console URL /callbacks/payermax.
		createPayment(t, set.URL, payermax.Name, simkit.Payment{MerchantOrderNo: order, Amount: 1000, Currency: "USD"})
		key := contract.CancelKey(contract.WorkflowID(m, payermax.Name, order))
		if out := env.cred(m, payermax.Name).Cancel(ctx, providers.CancelRequest{Target: providers.Target{MerchantOrderNo: order}, CancelKey: key}); out.Kind != providers.Succeeded {
			t.Fatalf("%s payermax cancel: %s", m, out)
		}
		// GNETE: to the per-request notifyUrl, which names the credential.
		createPayment(t, set.URL, gnete.Name, simkit.Payment{MerchantOrderNo: order, Amount: 990, Currency: "HKD"})
		credName := DevCredentialPrefix + gnete.Name
		if m != DevMerchantName {
			credName = m + "-gnete"
		}
		if out := env.cred(m, gnete.Name).Cancel(ctx, providers.CancelRequest{Target: providers.Target{MerchantOrderNo: order},
			NotifyURL: strings.TrimSuffix(env.cfg.CallbackBaseURL, "/") + "/callbacks/gnete/" + credName + "?order=" + order}); out.Kind != providers.Succeeded {
			t.Fatalf("%s gnete cancel: %s", m, out)
		} else {
			recordedRefs.Store(contract.WorkflowID(m, gnete.Name, order), out.ProviderRef)
		}
		// Ksher: a payment-success webhook to /callbacks/ksher.
		createPayment(t, set.URL, "ksher", simkit.Payment{MerchantOrderNo: order, Amount: 5000, Currency: "THB"})
		post(t, set.URL+"/ksher/_sandbox/payments/"+order+"/state", `{"state":"PAID"}`, http.StatusOK)
	}
	deliveries := env.waitDeliveries(t, 6)
	for _, d := range deliveries {
		if d.status != http.StatusOK {
			t.Errorf("%s answered %d", d.target, d.status)
		}
	}
	// Each merchant's cancel got exactly its own notification of each provider.
	got := map[string]int{}
	for _, c := range env.sig.Calls() {
		got[c.WorkflowID]++
		if c.Signal == contract.SignalRecheck {
			// A GNETE notification that reached the handler before the cancel call
			// returned (the ref was not recorded yet) asks the right cancel to
			// recheck instead; routing is what this test checks.
			if id, _ := contract.ParseWorkflowID(c.WorkflowID); id.Provider != gnete.Name {
				t.Errorf("recheck %+v", c)
			}
			continue
		}
		if c.Notification.MerchantOrderNo != order {
			t.Errorf("signal %+v", c)
		}
		if c.Notification.Provider == payermax.Name {
			// The PayerMax notification carries the requestId: the merchant's own key.
			id, _ := contract.ParseWorkflowID(c.WorkflowID)
			if c.Notification.CancelKey != contract.CancelKey(contract.WorkflowID(id.Merchant, payermax.Name, order)) {
				t.Errorf("%s got the cancel key %q", c.WorkflowID, c.Notification.CancelKey)
			}
		}
	}
	for _, m := range merchants {
		for _, p := range []string{payermax.Name, gnete.Name, "ksher"} {
			if id := contract.WorkflowID(m, p, order); got[id] != 1 {
				t.Errorf("%s: %d signals, want exactly 1 (all: %v)", id, got[id], got)
			}
		}
	}
	if len(got) != 6 {
		t.Errorf("signals to %v, want the six merchant-scoped cancels only", got)
	}

	byPath := func(path string, merchant string) delivery {
		for _, d := range deliveries {
			if strings.HasPrefix(d.target, path) && bytes.Contains(d.body, []byte(accountOf(env, merchant, path))) {
				return d
			}
		}
		t.Fatalf("no delivery to %s for %s", path, merchant)
		return delivery{}
	}

	t.Run("another merchant's notification on a credential's URL is refused", func(t *testing.T) {
		d := byPath("/callbacks/payermax", otherMerchant)
		sig := &fakeSignaler{}
		h, _ := observedServer(env.cfg, sig)
		for _, target := range []string{"/callbacks/payermax/" + DevCredentialPrefix + "payermax", "/callbacks/ksher/" + DevCredentialPrefix + "ksher"} {
			body := d.body
			if strings.Contains(target, "ksher") {
				body = byPath("/callbacks/ksher", otherMerchant).body
			}
			rec := postTo(h, target, d.header, body)
			if rec.Code != http.StatusBadRequest || len(sig.Calls()) != 0 {
				t.Errorf("%s: %d %q, %d signals; want 400 and none", target, rec.Code, rec.Body, len(sig.Calls()))
			}
		}
	})

	t.Run("a notification that names no account is refused, never guessed", func(t *testing.T) {
		// A genuine PayerMax notification without its appId, signed with PayerMax's
		// key: both merchants' credential sets verify it.
		d := byPath("/callbacks/payermax", DevMerchantName)
		var m map[string]json.RawMessage
		if err := json.Unmarshal(d.body, &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "appId")
		body, _ := json.Marshal(m)
		key, err := providers.LoadPrivateKeyFile(filepath.Join(env.dir, "keys", "payermax", "payermax_provider_private.pem"))
		if err != nil {
			t.Fatal(err)
		}
		sign, err := payermax.Sign(key, body)
		if err != nil {
			t.Fatal(err)
		}
		sig := &fakeSignaler{}
		h, logs := observedServer(env.cfg, sig)
		signed := http.Header{}
		signed.Set(payermax.SignHeader, sign)
		rec := postTo(h, "/callbacks/payermax", signed, body)
		if rec.Code != http.StatusConflict || len(sig.Calls()) != 0 {
			t.Errorf("%d %q, %d signals; want 409 and none", rec.Code, rec.Body, len(sig.Calls()))
		}
		if logs.FilterMessageSnippet("more than one merchant").Len() != 1 {
			t.Errorf("the refusal is not logged: %v", logs.All())
		}
		// The per-credential URL settles it.
		rec = postTo(h, "/callbacks/payermax/"+otherMerchant+"-payermax", signed, body)
		if calls := sig.Calls(); rec.Code != http.StatusOK || len(calls) != 1 || calls[0].WorkflowID != contract.WorkflowID(otherMerchant, payermax.Name, order) {
			t.Errorf("per-credential URL: %d, signals %+v", rec.Code, calls)
		}
	})

	t.Run("legacy cancels are signalled only when their history says whose they are", func(t *testing.T) {
		legacyHappy := history.Load(t, "../../workflows/testdata/histories/happy.json").GetEvents() // LoadPolicy recorded merchant demo
		cases := []struct {
			name     string
			history  []*historypb.HistoryEvent
			merchant string
			want     bool
		}{
			{"recorded merchant is the notification's", legacyHappy, DevMerchantName, true},
			{"recorded merchant is another", legacyHappy, otherMerchant, false},
			{"no recorded merchant, same credential", startedOnly(t, DevCredentialPrefix+"payermax"), DevMerchantName, true},
			{"no recorded merchant, another credential", startedOnly(t, DevCredentialPrefix+"payermax"), otherMerchant, false},
			{"no legacy cancel", nil, DevMerchantName, false},
		}
		for _, tc := range cases {
			d := byPath("/callbacks/payermax", tc.merchant)
			var n struct {
				Data struct {
					OutTradeNo string `json:"outTradeNo"`
				} `json:"data"`
			}
			_ = json.Unmarshal(d.body, &n)
			legacy := contract.LegacyWorkflowID(payermax.Name, n.Data.OutTradeNo)
			fc := &legacyClient{histories: map[string][]*historypb.HistoryEvent{}}
			if tc.history != nil {
				fc.histories[legacy] = tc.history
			}
			h, _ := observedServer(env.cfg, fc)
			rec := postTo(h, "/callbacks/payermax", d.header, d.body)
			scoped := contract.WorkflowID(tc.merchant, payermax.Name, n.Data.OutTradeNo)
			want := []string{scoped}
			if tc.want {
				want = append(want, legacy)
			}
			if rec.Code != http.StatusOK || strings.Join(fc.signalled, ",") != strings.Join(want, ",") {
				t.Errorf("%s: %d, signalled %v, want %v", tc.name, rec.Code, fc.signalled, want)
			}
		}
	})
}

// accountOf is the account id a merchant's notification to path carries.
func accountOf(env *tenancyEnv, merchant, path string) string {
	set := env.sets[merchant]
	if strings.Contains(path, "ksher") {
		return `"appid":"` + set.KsherConfig.AppID + `"`
	}
	return `"appId":"` + set.PayerMaxConfig.AppID + `"`
}

// legacyClient answers NotFound for every merchant-scoped id, and serves the
// histories of legacy ids; it records every signal attempted.
type legacyClient struct {
	histories map[string][]*historypb.HistoryEvent
	signalled []string
}

func (c *legacyClient) SignalWorkflow(_ context.Context, id, _, _ string, _ any) error {
	c.signalled = append(c.signalled, id)
	if ident, _ := contract.ParseWorkflowID(id); ident.Legacy() && c.histories[id] != nil {
		return nil
	}
	return serviceerror.NewNotFound("workflow not found")
}

func (c *legacyClient) GetWorkflowHistory(_ context.Context, id, _ string, _ bool, _ enumspb.HistoryEventFilterType) client.HistoryEventIterator {
	return &eventIterator{events: c.histories[id]}
}

// eventIterator serves events; with none at all it behaves like the SDK's for a
// missing execution (HasNext true, Next the server's NotFound).
type eventIterator struct {
	events []*historypb.HistoryEvent
	served bool
}

func (it *eventIterator) HasNext() bool { return !it.served || len(it.events) > 0 }

func (it *eventIterator) Next() (*historypb.HistoryEvent, error) {
	it.served = true
	if len(it.events) == 0 {
		return nil, serviceerror.NewNotFound("workflow not found")
	}
	e := it.events[0]
	it.events = it.events[1:]
	return e, nil
}

// startedOnly is a legacy first run whose policy never loaded: its start event only.
func startedOnly(t *testing.T, credential string) []*historypb.HistoryEvent {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(map[string]any{"provider": "payermax", "credential": credential,
		"merchantOrderNo": "DUP1", "amount": 1000, "currency": "USD"})
	if err != nil {
		t.Fatal(err)
	}
	return []*historypb.HistoryEvent{{EventId: 1, EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
		Attributes: &historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes{
			WorkflowExecutionStartedEventAttributes: &historypb.WorkflowExecutionStartedEventAttributes{
				Input: &commonpb.Payloads{Payloads: []*commonpb.Payload{p}}}}}}
}
