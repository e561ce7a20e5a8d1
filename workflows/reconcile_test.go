package workflows_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/paycancel/paycancel/activities"
	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/workflows"
	"github.com/paycancel/paycancel/workflows/contract"
)

func newReconcileEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	env := newTestEnv()
	env.RegisterWorkflowWithOptions(workflows.ReconcileWorkflow, workflow.RegisterOptions{Name: contract.ReconcileWorkflowName})
	env.RegisterWorkflowWithOptions(workflows.CancelPaymentWorkflow, workflow.RegisterOptions{Name: contract.WorkflowName})
	env.RegisterActivity(&activities.Activities{})
	return env
}

func refs(prefix string, n int) []contract.CancelRef {
	out := make([]contract.CancelRef, n)
	for i := range out {
		out[i] = contract.CancelRef{WorkflowID: fmt.Sprintf("cancel/payermax/%s-%d", prefix, i), RunID: "r", Provider: "payermax", State: "CONFIRMING"}
	}
	return out
}

// TestReconcileRunLogic: pages through stuck cancels and signals them, verifies
// finished ones with the provider paced by timers, reopens a disagreeing cancel as
// a child run in NEEDS_REVIEW, and reports counts — never calling a cancel itself.
func TestReconcileRunLogic(t *testing.T) {
	env := newReconcileEnv(t)
	stuckPages := [][]contract.CancelRef{refs("s1", 2), refs("s2", 1)}
	stuckCalls := 0
	var mainQueue string
	env.OnActivity("FindStuckCancels", mock.Anything, mock.Anything).Return(
		func(ctx context.Context, req activities.FindRequest) (activities.CancelPage, error) {
			mainQueue = activity.GetInfo(ctx).TaskQueue
			page := activities.CancelPage{Cancels: stuckPages[stuckCalls]}
			if stuckCalls == 0 {
				page.NextPageToken = []byte("next")
			} else if string(req.PageToken) != "next" {
				t.Errorf("second page asked with token %q", req.PageToken)
			}
			stuckCalls++
			return page, nil
		})
	signalled := 0
	env.OnActivity("SignalRecheck", mock.Anything, mock.Anything).Return(
		func(_ context.Context, c []contract.CancelRef) ([]contract.CancelRef, error) {
			signalled += len(c)
			return c, nil
		})
	finished := refs("f", 3)
	env.OnActivity("FindRecentlyCancelled", mock.Anything, mock.Anything).Return(activities.CancelPage{Cancels: finished}, nil)
	req, _ := json.Marshal(contract.CancelRequest{Provider: "payermax", Credential: "demo-payermax", MerchantOrderNo: "f-1", Amount: 10, Currency: "USD"})
	status, _ := json.Marshal(contract.Status{WorkflowID: finished[1].WorkflowID, State: contract.StateCancelled, Final: contract.StateCancelled, CancelKey: "pc-payermax-f-1"})
	var verifyQueues []string
	env.OnActivity("VerifyCancelled", mock.Anything, mock.Anything).Return(
		func(ctx context.Context, ref contract.CancelRef) (activities.Verification, error) {
			verifyQueues = append(verifyQueues, activity.GetInfo(ctx).TaskQueue)
			if ref.WorkflowID != finished[1].WorkflowID {
				return activities.Verification{Verified: true}, nil
			}
			return activities.Verification{Verified: true, Request: req, Status: status,
				Policy:       &contract.CancelPolicy{Merchant: "demo", MaxCancelAttempts: 3},
				Disagreement: &contract.Disagreement{Cancel: ref, PaymentState: providers.PaymentPaid, Code: "SUCCESS"}}, nil
		})
	env.OnActivity("CountCancels", mock.Anything, mock.Anything).Return(map[string]map[string]int64{"payermax": {"CANCELLED": 3}}, nil)
	env.OnActivity("CancelPayment", mock.Anything, mock.Anything).Return(nil, fmt.Errorf("reconciliation must never cancel"))

	// The reopened cancel runs as a child: it must start in review with the reason.
	var childReq contract.CancelRequest
	env.OnWorkflow(contract.WorkflowName, mock.Anything, mock.Anything).Return(
		func(_ workflow.Context, r contract.CancelRequest) (contract.Status, error) {
			childReq = r
			return contract.Status{}, nil
		})

	env.ExecuteWorkflow(contract.ReconcileWorkflowName, contract.ReconcileRequest{QueryInterval: time.Second})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var rep contract.ReconcileReport
	if err := env.GetWorkflowResult(&rep); err != nil {
		t.Fatal(err)
	}
	if signalled != 3 || len(rep.Stuck) != 3 {
		t.Errorf("signalled %d, report lists %d stuck; want 3", signalled, len(rep.Stuck))
	}
	if rep.Verified != 3 || len(rep.Disagreements) != 1 || rep.Disagreements[0].Cancel.WorkflowID != finished[1].WorkflowID {
		t.Errorf("verified %d, disagreements %+v", rep.Verified, rep.Disagreements)
	}
	if childReq.Carry == nil || childReq.Carry.Status.State != contract.StateNeedsReview ||
		childReq.Carry.Status.ReviewReason != contract.ReviewDisagreement || childReq.Carry.Status.Final != "" {
		t.Fatalf("reopened cancel carries %+v", childReq.Carry)
	}
	if childReq.Carry.Status.CancelKey != "pc-payermax-f-1" {
		t.Errorf("the reopened cancel lost its business key: %q", childReq.Carry.Status.CancelKey)
	}
	// Provider queries go to the provider's queue, under its providerLimits; so do
	// the reopened cancel's provider calls.
	wantQueue := contract.ProviderTaskQueue(mainQueue, "payermax")
	if len(verifyQueues) != 3 || mainQueue == "" {
		t.Fatalf("verifications on %v (main queue %q)", verifyQueues, mainQueue)
	}
	for _, q := range verifyQueues {
		if q != wantQueue {
			t.Errorf("verification on task queue %q, want %q", q, wantQueue)
		}
	}
	if q := childReq.Carry.Policy.ActivityTaskQueue; q != wantQueue {
		t.Errorf("reopened cancel's provider queue %q, want %q", q, wantQueue)
	}
	if rep.Counts["payermax"]["CANCELLED"] != 3 {
		t.Errorf("counts %v", rep.Counts)
	}
}

// TestReconcileBoundedPerRun: with more work than MaxPerRun the run continues as new
// carrying its cursor and report, instead of growing its history.
func TestReconcileBoundedPerRun(t *testing.T) {
	env := newReconcileEnv(t)
	env.OnActivity("FindStuckCancels", mock.Anything, mock.Anything).Return(
		activities.CancelPage{Cancels: refs("s", 2), NextPageToken: []byte("more")}, nil)
	env.OnActivity("SignalRecheck", mock.Anything, mock.Anything).Return(
		func(_ context.Context, c []contract.CancelRef) ([]contract.CancelRef, error) { return c, nil })
	env.ExecuteWorkflow(contract.ReconcileWorkflowName, contract.ReconcileRequest{MaxPerRun: 4, PageSize: 2})
	err := env.GetWorkflowError()
	if !workflow.IsContinueAsNewError(err) {
		t.Fatalf("want continue-as-new after the per-run limit, got %v", err)
	}
}
