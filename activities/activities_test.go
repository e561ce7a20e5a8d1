package activities_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/paycancel/paycancel/activities"
	"github.com/paycancel/paycancel/providers"
	sandboxes "github.com/paycancel/paycancel/providers/sim"
	"github.com/paycancel/paycancel/providers/sim/simkit"
	"github.com/paycancel/paycancel/worker/app"
	"github.com/paycancel/paycancel/worker/config"
	"github.com/paycancel/paycancel/worker/testenv"
	"github.com/paycancel/paycancel/workflows/contract"
	"github.com/paycancel/paycancel/workflows/contract/webhook"
)

// setup runs the real adapters against the real sandboxes over HTTP, with the dev
// configuration `worker --dev` uses.
func setup(t *testing.T) (*activities.Activities, *sandboxes.Set, string) {
	t.Helper()
	dir := t.TempDir()
	set, err := sandboxes.Start(sandboxes.Options{Dir: filepath.Join(dir, "keys"), Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(set.Close)
	path, secret, err := app.WriteDevConfig(dir, set, "http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, providers.Deps{HTTPClient: &http.Client{Timeout: 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return &activities.Activities{Config: cfg}, set, secret
}

type recorder struct {
	mu    sync.Mutex
	calls []string
	notes []string
}

func (r *recorder) CancelStarted(p string) {}
func (r *recorder) ProviderCall(p, op, outcome string, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, p+" "+op+" "+outcome)
}
func (r *recorder) Notification(result string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, result)
}

// TestCancelPaymentMapsOutcomes: each provider outcome becomes the Temporal
// semantics the workflow relies on — a result for done/pending, a retryable error
// for unknown and rate limits, a non-retryable error with a stable type for a
// definite failure — with the outcome in the details and no secret anywhere.
func TestCancelPaymentMapsOutcomes(t *testing.T) {
	a, set, _ := setup(t)
	rec := &recorder{}
	a.Metrics = rec
	var suite testsuite.WorkflowTestSuite
	cases := []struct {
		name      string
		payment   simkit.Payment
		wantKind  providers.Kind
		wantType  string // error type; "" for a result
		retryable bool
	}{
		{"done", simkit.Payment{}, providers.Succeeded, "", false},
		{"pending", simkit.Payment{Scenario: simkit.Scenario{PendingQueries: 3}}, providers.Pending, "", false},
		{"unknown", simkit.Payment{Scenario: simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultUnknown}}}, providers.Unknown, activities.ErrUnknownOutcome, true},
		{"bad-gateway", simkit.Payment{Scenario: simkit.Scenario{CancelFaults: []simkit.Fault{simkit.Fault5xx}}}, providers.Unknown, activities.ErrUnknownOutcome, true},
		{"forged-response", simkit.Payment{Scenario: simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultBadSignature}}}, providers.Unknown, activities.ErrUnknownOutcome, true},
		{"rate-limited", simkit.Payment{Scenario: simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultRateLimit}}}, providers.Failed, activities.ErrRateLimited, true},
		{"already-paid", simkit.Payment{State: simkit.Paid}, providers.Failed, activities.ErrAlreadyPaid, false},
		{"window", simkit.Payment{Scenario: simkit.Scenario{WindowExpired: true}}, providers.Failed, activities.ErrWindowExpired, false},
		// An unsigned claim that the cancel happened is retried as unknown, never done.
		{"unsigned-claim", simkit.Payment{Scenario: simkit.Scenario{UnsignedClaim: true}}, providers.Unknown, activities.ErrUnknownOutcome, true},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			order := testenv.Order(fmt.Sprintf("act%d", i))
			p := tc.payment
			p.MerchantOrderNo, p.Amount, p.Currency = order, 100, "USD"
			if _, err := set.PayerMax.Store.Create(p); err != nil {
				t.Fatal(err)
			}
			env := suite.NewTestActivityEnvironment()
			env.RegisterActivity(a)
			val, err := env.ExecuteActivity(a.CancelPayment, activities.CancelCall{Credential: "demo-payermax",
				Target: providers.Target{MerchantOrderNo: order}, CancelKey: "pc-payermax-" + order, WorkflowID: "cancel/payermax/" + order})
			var res activities.CancelResult
			if tc.wantType == "" {
				if err != nil {
					t.Fatalf("want a result, got %v", err)
				}
				if err := val.Get(&res); err != nil {
					t.Fatal(err)
				}
			} else {
				var appErr *temporal.ApplicationError
				if !errors.As(err, &appErr) {
					t.Fatalf("want an application error %s, got %v", tc.wantType, err)
				}
				if appErr.Type() != tc.wantType || appErr.NonRetryable() == tc.retryable {
					t.Fatalf("error type %s (non-retryable %v), want %s (retryable %v)", appErr.Type(), appErr.NonRetryable(), tc.wantType, tc.retryable)
				}
				if err := appErr.Details(&res); err != nil {
					t.Fatalf("details: %v", err)
				}
			}
			if res.Outcome.Kind != tc.wantKind {
				t.Fatalf("outcome %v, want kind %s", res.Outcome, tc.wantKind)
			}
			if res.Attempt < 1 {
				t.Errorf("attempt %d", res.Attempt)
			}
			got, _ := set.PayerMax.Store.Get(order, "")
			for _, c := range got.Cancels {
				if c.Key != "pc-payermax-"+order {
					t.Errorf("the provider saw business key %q", c.Key)
				}
			}
		})
	}
	if len(rec.calls) < len(cases) {
		t.Errorf("metrics saw %d provider calls for %d cancels", len(rec.calls), len(cases))
	}
	// No result or error carries key material.
	assertNoSecrets(t, a, fmt.Sprint(rec.calls))
}

func TestUnknownCredentialIsNonRetryable(t *testing.T) {
	a, _, _ := setup(t)
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	_, err := env.ExecuteActivity(a.CancelPayment, activities.CancelCall{Credential: "nope", Target: providers.Target{MerchantOrderNo: "o1"}})
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != activities.ErrUnknownCredential || !appErr.NonRetryable() {
		t.Fatalf("want non-retryable %s, got %v", activities.ErrUnknownCredential, err)
	}
	if !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("the error does not name the credential: %v", err)
	}
}

func TestLoadPolicy(t *testing.T) {
	a, _, _ := setup(t)
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	start := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	val, err := env.ExecuteActivity(a.LoadPolicy, activities.PolicyInput{Credential: "demo-gnete", Provider: "gnete", PayStartedAt: start})
	if err != nil {
		t.Fatal(err)
	}
	var pol contract.CancelPolicy
	if err := val.Get(&pol); err != nil {
		t.Fatal(err)
	}
	// GNETE: same Hong Kong day: 10:00Z is 18:00 HKT, the day ends at 16:00Z.
	if want := time.Date(2026, 11, 22, 16, 0, 0, 0, time.UTC); !pol.WindowDeadline.Equal(want) {
		t.Errorf("window deadline %s, want %s", pol.WindowDeadline, want)
	}
	if pol.Merchant != "demo" || !strings.HasSuffix(pol.NotifyURL, "/dev/merchant-webhook") || len(pol.NotifySchedule) == 0 {
		t.Errorf("policy %+v", pol)
	}
	if !strings.HasSuffix(pol.ActivityTaskQueue, "-gnete") {
		t.Errorf("provider task queue %q", pol.ActivityTaskQueue)
	}
	// A credential named for another provider is refused.
	if _, err := env.ExecuteActivity(a.LoadPolicy, activities.PolicyInput{Credential: "demo-gnete", Provider: "ksher", PayStartedAt: start}); err == nil {
		t.Error("a gnete credential loaded for ksher")
	}
}

// TestNotifyMerchant: signed Standard Webhooks delivery, the same webhook-id on
// every attempt with a fresh timestamp; non-2xx is a result, not an error.
func TestNotifyMerchant(t *testing.T) {
	a, _, secret := setup(t)
	rec := &recorder{}
	a.Metrics = rec
	var (
		mu     sync.Mutex
		ids    []string
		status = http.StatusServiceUnavailable
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := make([]byte, r.ContentLength)
		_, _ = r.Body.Read(body)
		id, err := webhook.Verify(secret, r.Header, body, time.Now(), 0)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		ids = append(ids, id)
		w.WriteHeader(status)
	}))
	defer srv.Close()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	call := activities.NotifyCall{Merchant: "demo", URL: srv.URL, EventID: "evt_1",
		Event: activities.MerchantEvent{Type: "cancel.outcome", State: "CANCELLED", MerchantOrderNo: "o1"}}
	for i, want := range []bool{false, true} {
		if i == 1 {
			mu.Lock()
			status = http.StatusNoContent
			mu.Unlock()
		}
		val, err := env.ExecuteActivity(a.NotifyMerchant, call)
		if err != nil {
			t.Fatal(err)
		}
		var res activities.NotifyResult
		_ = val.Get(&res)
		if res.Delivered != want {
			t.Fatalf("attempt %d: delivered %v, want %v (%+v)", i+1, res.Delivered, want, res)
		}
	}
	if len(ids) != 2 || ids[0] != "evt_1" || ids[1] != "evt_1" {
		t.Errorf("webhook ids %v, want evt_1 twice", ids)
	}
	call.Last = true
	call.URL = "http://127.0.0.1:1/closed"
	if _, err := env.ExecuteActivity(a.NotifyMerchant, call); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rec.notes, ","); got != "failed,delivered,exhausted" {
		t.Errorf("notification metrics %q", got)
	}
}

// assertNoSecrets checks text against every key file and secret the dev config uses.
func assertNoSecrets(t *testing.T, a *activities.Activities, text string) {
	t.Helper()
	cfg := a.Config.(*config.Config)
	for _, m := range cfg.Merchants {
		if strings.Contains(text, m.NotifySecret.Reveal()) {
			t.Error("merchant secret leaked")
		}
	}
	keyDir := filepath.Dir(cfg.Path)
	_ = filepath.Walk(keyDir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(path)
		for _, line := range strings.Split(string(b), "\n") {
			if len(line) > 20 && !strings.HasPrefix(line, "-----") && strings.Contains(text, line) {
				t.Errorf("key material from %s leaked", path)
			}
		}
		return nil
	})
}

// TestLoadPolicyKeepsItsRecordedName: reading an old cancel's merchant from its
// history (contract.ReadRecorded) finds the policy's marker by the activity's
// name, so the method must keep it.
func TestLoadPolicyKeepsItsRecordedName(t *testing.T) {
	if _, ok := reflect.TypeOf(&activities.Activities{}).MethodByName(contract.LoadPolicyActivity); !ok {
		t.Fatalf("activities.Activities has no method %s: contract.ReadRecorded would no longer find old cancels' merchants", contract.LoadPolicyActivity)
	}
}
