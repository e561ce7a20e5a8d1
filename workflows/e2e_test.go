package workflows_test

import (
	"context"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	sandboxes "github.com/paycancel/paycancel/providers/sim"
	"github.com/paycancel/paycancel/providers/sim/simkit"
	"github.com/paycancel/paycancel/worker/testenv"
	"github.com/paycancel/paycancel/workflows/contract"
)

// createPayment sets a payment up in a sandbox through its admin API over HTTP.
func createPayment(t *testing.T, env *testenv.Env, provider string, p simkit.Payment) {
	t.Helper()
	testenv.CreatePayment(t, env.Sandboxes.URL, provider, p)
}

func startCancel(t *testing.T, env *testenv.Env, req contract.CancelRequest) client.WorkflowRun {
	t.Helper()
	return startCancelID(t, env, contract.WorkflowID(req.Merchant, req.Provider, req.MerchantOrderNo), req)
}

// startCancelID starts req under id, as another SDK would (no search attributes).
func startCancelID(t *testing.T, env *testenv.Env, id string, req contract.CancelRequest) client.WorkflowRun {
	t.Helper()
	run, err := env.Client.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{
		ID: id, TaskQueue: env.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	}, contract.WorkflowName, req)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func waitFinal(t *testing.T, run client.WorkflowRun) contract.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var st contract.Status
	if err := run.Get(ctx, &st); err != nil {
		t.Fatalf("workflow %s: %v", run.GetID(), err)
	}
	return st
}

// TestEndToEndAllProviders runs, for each of the five providers against its
// sandbox over HTTP: the happy path, and a fault path (unknown results and a
// timeout after the cancel took effect, then success with the same business key).
func TestEndToEndAllProviders(t *testing.T) {
	env := testenv.Start(t, testenv.Options{})
	for _, provider := range sandboxes.Names {
		t.Run(provider, func(t *testing.T) {
			t.Parallel()
			cases := []struct {
				name     string
				scenario simkit.Scenario
			}{
				{"happy", simkit.Scenario{}},
				{"unknown-then-success", simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultUnknown, simkit.Fault5xx}}},
			}
			for _, tc := range cases {
				order := testenv.Order("e2e-" + tc.name[:5])
				createPayment(t, env, provider, simkit.Payment{MerchantOrderNo: order, Amount: 1000, Currency: "USD", Scenario: tc.scenario})
				run := startCancel(t, env, contract.CancelRequest{Merchant: "demo", Provider: provider, Credential: "demo-" + provider,
					MerchantOrderNo: order, Amount: 1000, Currency: "USD"})
				st := waitFinal(t, run)
				if st.Final != contract.StateCancelled {
					t.Fatalf("%s: final %s (review %s), last outcome %v", tc.name, st.Final, st.ReviewReason, st.LastOutcome)
				}
				if !st.Notify.Delivered {
					t.Errorf("%s: merchant notification not delivered: %+v", tc.name, st.Notify)
				}
				store, _ := env.Sandboxes.Store(provider)
				p, _ := store.Get(order, "")
				if p.EffectiveCancels() != 1 {
					t.Errorf("%s: %d effective cancels, want 1", tc.name, p.EffectiveCancels())
				}
				for _, c := range p.Cancels {
					if c.Key != p.Cancels[0].Key {
						t.Errorf("%s: business key changed across retries: %q then %q", tc.name, p.Cancels[0].Key, c.Key)
					}
				}
			}
		})
	}
}
