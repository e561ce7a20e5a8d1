package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/paycancel/paycancel/providers/sim/simkit"
	"github.com/paycancel/paycancel/worker/testenv"
	"github.com/paycancel/paycancel/workflows/contract"
)

// TestEndToEndStartPoliciesAndHappyPathHistory runs against a real in-process
// server what only a server decides: a duplicate start attaches to the running
// cancel (USE_EXISTING), a start after it finished is refused (REJECT_DUPLICATE),
// retries stop at the cancel window (RetryState TIMEOUT); and it measures the happy
// path's history against happyPathEventBound.
func TestEndToEndStartPoliciesAndHappyPathHistory(t *testing.T) {
	env := testenv.Start(t, testenv.Options{})

	t.Run("duplicate-start", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		order := testenv.Order("dup")
		req := contract.CancelRequest{Merchant: "demo", Provider: "payermax", Credential: "demo-payermax", MerchantOrderNo: order,
			Amount: 500, Currency: "USD", PayTimeout: time.Hour}
		first := startCancel(t, env, req)
		second := startCancel(t, env, req)
		if second.GetRunID() != first.GetRunID() {
			t.Fatalf("a duplicate start made run %s beside %s", second.GetRunID(), first.GetRunID())
		}
		if err := env.Client.SignalWorkflow(ctx, first.GetID(), "", contract.SignalPaymentResult,
			contract.PaymentResult{Status: "PAID", Source: "order-service"}); err != nil {
			t.Fatal(err)
		}
		st := waitFinal(t, second)
		wantState(t, st, contract.StatePaid)

		// After the end, REJECT_DUPLICATE refuses a new run. The SDK turns the
		// refusal into the finished run unless asked for the error.
		opts := client.StartWorkflowOptions{ID: first.GetID(), TaskQueue: env.TaskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
			WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE}
		again, err := env.Client.ExecuteWorkflow(ctx, opts, contract.WorkflowName, req)
		if err != nil {
			t.Fatalf("start after the end (error not requested): %v", err)
		}
		if again.GetRunID() != first.GetRunID() {
			t.Errorf("start after the end made run %s, want the finished %s", again.GetRunID(), first.GetRunID())
		}
		opts.WorkflowExecutionErrorWhenAlreadyStarted = true
		_, err = env.Client.ExecuteWorkflow(ctx, opts, contract.WorkflowName, req)
		var already *serviceerror.WorkflowExecutionAlreadyStarted
		if !errors.As(err, &already) {
			t.Fatalf("start after the end: %v, want WorkflowExecutionAlreadyStarted", err)
		}
		if already.RunId != first.GetRunID() {
			t.Errorf("refusal names run %s, want %s", already.RunId, first.GetRunID())
		}
	})

	t.Run("unknown-until-the-window-closes", func(t *testing.T) {
		// The server stops the retries at the window with RetryState TIMEOUT and the
		// last attempt's error: the review must say WINDOW_EXPIRED, not attempts.
		t.Parallel()
		order := testenv.Order("win")
		faults := make([]simkit.Fault, 20)
		for i := range faults {
			faults[i] = simkit.FaultUnknown
		}
		createPayment(t, env, "payermax", simkit.Payment{MerchantOrderNo: order, Amount: 1000, Currency: "USD",
			Scenario: simkit.Scenario{CancelFaults: faults}})
		deadline := time.Now().Add(4 * time.Second)
		run := startCancel(t, env, contract.CancelRequest{Merchant: "demo", Provider: "payermax", Credential: "demo-payermax",
			MerchantOrderNo: order, Amount: 1000, Currency: "USD", CancelDeadline: &deadline})
		st := waitStatus(t, env, run, func(s contract.Status) bool { return s.State == contract.StateNeedsReview })
		if st.ReviewReason != contract.ReviewWindowExpired || st.CancelAttempts < 2 || st.CancelAttempts >= 10 {
			t.Errorf("review %q after %d attempts, want WINDOW_EXPIRED before the attempt limit", st.ReviewReason, st.CancelAttempts)
		}
	})

	t.Run("happy-path-history", func(t *testing.T) {
		t.Parallel()
		order := testenv.Order("hist")
		createPayment(t, env, "payermax", simkit.Payment{MerchantOrderNo: order, Amount: 1000, Currency: "USD"})
		run := startCancel(t, env, contract.CancelRequest{Merchant: "demo", Provider: "payermax", Credential: "demo-payermax",
			MerchantOrderNo: order, Amount: 1000, Currency: "USD"})
		st := waitFinal(t, run)
		wantState(t, st, contract.StateCancelled)
		if !st.Notify.Delivered || st.Notify.Attempts != 1 || st.CancelAttempts != 1 {
			t.Fatalf("not the happy path: %+v", st)
		}
		h := fetchHistory(t, env.Client, run.GetID(), run.GetRunID())
		n := len(h.GetEvents())
		byType := map[string]int{}
		for _, e := range h.GetEvents() {
			byType[e.GetEventType().String()]++
		}
		var types []string
		for k, v := range byType {
			types = append(types, fmt.Sprintf("%s=%d", k, v))
		}
		sort.Strings(types)
		t.Logf("happy path: %d events %v", n, types)
		if n > happyPathEventBound {
			t.Errorf("happy path wrote %d events, bound %d", n, happyPathEventBound)
		}
		if est := shapeOf(h).estimate(); n > est {
			t.Errorf("history has %d events, more than the estimate %d", n, est)
		}
	})
}
