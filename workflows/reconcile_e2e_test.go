package workflows_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/paycancel/paycancel/providers/sim/simkit"
	"github.com/paycancel/paycancel/worker/config"
	"github.com/paycancel/paycancel/worker/testenv"
	"github.com/paycancel/paycancel/workflows/contract"
)

func runReconcile(t *testing.T, env *testenv.Env, id string, req contract.ReconcileRequest) contract.ReconcileReport {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	run, err := env.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: env.TaskQueue}, contract.ReconcileWorkflowName, req)
	if err != nil {
		t.Fatal(err)
	}
	var rep contract.ReconcileReport
	if err := run.Get(ctx, &rep); err != nil {
		t.Fatalf("reconcile %s: %v", id, err)
	}
	return rep
}

// waitVisible polls visibility until query counts want executions.
func waitVisible(t *testing.T, env *testenv.Env, query string, want int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := env.Client.CountWorkflow(context.Background(), &workflowservice.CountWorkflowExecutionsRequest{Query: query})
		if err == nil && resp.GetCount() >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("visibility never showed %d for %q (err %v)", want, query, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestReconcileUnsticksAndFlags: a cancel parked in a long confirmation backoff is
// unstuck by a reconciliation's re-check signal, and a Ksher payment paid after its
// cancel (a saved QR code) is flagged and reopened for review — once, even with two
// reconciliations running at the same time.
func TestReconcileUnsticksAndFlags(t *testing.T) {
	env := testenv.Start(t, testenv.Options{EditConfig: func(f *config.File) {
		// A one-hour backoff: without reconciliation the cancel would sit for an hour.
		hour := config.Duration(time.Hour)
		c := f.Merchants["demo"].Credentials["demo-payermax"]
		c.Policy.QueryBackoff = &config.BackoffFile{Initial: hour, Max: hour, Multiplier: 2}
	}})
	suffix := time.Now().UnixNano() % 1e8

	// 1. Stuck: PayerMax cancel pending, resolves at the first status query.
	stuckOrder := fmt.Sprintf("rc-stuck-%d", suffix)
	createPayment(t, env, "payermax", simkit.Payment{MerchantOrderNo: stuckOrder, Amount: 500, Currency: "USD",
		Scenario: simkit.Scenario{PendingQueries: 1}})
	stuck := startCancel(t, env, contract.CancelRequest{Merchant: "demo", Provider: "payermax", Credential: "demo-payermax",
		MerchantOrderNo: stuckOrder, Amount: 500, Currency: "USD"})
	waitVisible(t, env, fmt.Sprintf("WorkflowId = '%s' AND CancelState = 'CONFIRMING'", stuck.GetID()), 1)

	// 2. Paid after cancel: Ksher cancel succeeds, then the customer pays a saved QR.
	paidOrder := fmt.Sprintf("rc-qr-%d", suffix)
	createPayment(t, env, "ksher", simkit.Payment{MerchantOrderNo: paidOrder, Amount: 700, Currency: "THB",
		Scenario: simkit.Scenario{PaidAfterCancel: true}})
	paid := startCancel(t, env, contract.CancelRequest{Merchant: "demo", Provider: "ksher", Credential: "demo-ksher",
		MerchantOrderNo: paidOrder, Amount: 700, Currency: "THB"})
	if st := waitFinal(t, paid); st.Final != contract.StateCancelled {
		t.Fatalf("ksher cancel ended %s, want CANCELLED", st.Final)
	}
	waitVisible(t, env, fmt.Sprintf("WorkflowId = '%s' AND ExecutionStatus = 'Completed' AND CancelState = 'CANCELLED'", paid.GetID()), 1)

	// Two reconciliations at once.
	req := contract.ReconcileRequest{StuckAfter: time.Millisecond, VerifyWithin: time.Hour, QueryInterval: time.Millisecond}
	var wg sync.WaitGroup
	reports := make([]contract.ReconcileReport, 2)
	for i := range reports {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			reports[i] = runReconcile(t, env, fmt.Sprintf("reconcile-test-%d-%d", suffix, i), req)
		}(i)
	}
	wg.Wait()

	// The stuck cancel finished right after the signal, not an hour later.
	if st := waitFinal(t, stuck); st.Final != contract.StateCancelled {
		t.Fatalf("stuck cancel ended %s, want CANCELLED", st.Final)
	}
	signalled := 0
	for _, r := range reports {
		for _, s := range r.Stuck {
			if s.WorkflowID == stuck.GetID() {
				signalled++
			}
		}
	}
	if signalled == 0 {
		t.Errorf("no report lists the stuck cancel: %+v", reports)
	}

	// Exactly one reopen of the disagreeing cancel across both runs.
	flagged := 0
	for _, r := range reports {
		for _, d := range r.Disagreements {
			if d.Cancel.WorkflowID == paid.GetID() {
				flagged++
			}
		}
	}
	if flagged != 1 {
		t.Fatalf("disagreement flagged %d times across two reconciliations, want exactly 1: %+v", flagged, reports)
	}
	// The cancel is open again, in review, with the reason in its history.
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := env.Client.QueryWorkflow(context.Background(), paid.GetID(), "", contract.QueryStatus)
		if err == nil {
			var st contract.Status
			if err := resp.Get(&st); err == nil && st.State == contract.StateNeedsReview {
				if st.ReviewReason != contract.ReviewDisagreement {
					t.Fatalf("review reason %q, want %q", st.ReviewReason, contract.ReviewDisagreement)
				}
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("reopened cancel never reached NEEDS_REVIEW (last error %v)", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if reports[0].Counts == nil && reports[1].Counts == nil {
		t.Errorf("reports carry no counts")
	}
}
