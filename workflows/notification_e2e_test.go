package workflows_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/sim/simkit"
	"github.com/paycancel/paycancel/worker/config"
	"github.com/paycancel/paycancel/worker/testenv"
	"github.com/paycancel/paycancel/workflows/contract"
)

// TestProviderNotificationEndsPendingCancel: a cancel left pending waits an hour
// before its next status query; when the provider completes it and sends its
// signed notification to the worker's callback route, the workflow ends CANCELLED
// at once. The completion is triggered by asking the sandbox directly (as a
// provider completing on its own would), never by the workflow.
func TestProviderNotificationEndsPendingCancel(t *testing.T) {
	env := testenv.Start(t, testenv.Options{EditConfig: func(f *config.File) {
		hour := config.Duration(time.Hour)
		for _, name := range []string{"demo-payermax", "demo-gnete"} {
			f.Merchants["demo"].Credentials[name].Policy.QueryBackoff = &config.BackoffFile{Initial: hour, Max: hour, Multiplier: 2}
		}
	}})
	for _, provider := range []string{"payermax", "gnete"} {
		t.Run(provider, func(t *testing.T) {
			order := testenv.Order("nt-" + provider[:2])
			createPayment(t, env, provider, simkit.Payment{MerchantOrderNo: order, Amount: 300, Currency: "HKD",
				Scenario: simkit.Scenario{PendingQueries: 1}})
			run := startCancel(t, env, contract.CancelRequest{Merchant: "demo", Provider: provider, Credential: "demo-" + provider,
				MerchantOrderNo: order, Amount: 300, Currency: "HKD"})
			waitVisible(t, env, fmt.Sprintf("WorkflowId = '%s' AND CancelState = 'CONFIRMING'", run.GetID()), 1)

			// The provider finishes the cancel on its side: one query from outside the
			// workflow resolves the sandbox's pending cancel, and the sandbox sends its
			// signed cancel notification to the worker's callback route.
			st := status(t, env, run.GetID())
			cred, _ := env.Config.Credential("demo-" + provider)
			out := cred.Provider.QueryCancel(context.Background(), providers.CancelQuery{
				Target: providers.Target{MerchantOrderNo: order}, CancelKey: st.CancelKey, ProviderRef: st.ProviderRef})
			if !out.Done() {
				t.Fatalf("the sandbox did not complete the cancel: %v", out)
			}
			started := time.Now()
			final := waitFinal(t, run)
			if final.Final != contract.StateCancelled {
				t.Fatalf("final %s, want CANCELLED", final.Final)
			}
			if took := time.Since(started); took > 30*time.Second {
				t.Fatalf("took %s: the notification did not end the wait", took)
			}
			if final.QueryAttempts != 0 {
				t.Errorf("the workflow queried %d times; the notification alone should have ended it", final.QueryAttempts)
			}
		})
	}
}

func status(t *testing.T, env *testenv.Env, id string) contract.Status {
	t.Helper()
	resp, err := env.Client.QueryWorkflow(context.Background(), id, "", contract.QueryStatus)
	if err != nil {
		t.Fatal(err)
	}
	var st contract.Status
	if err := resp.Get(&st); err != nil {
		t.Fatal(err)
	}
	return st
}
