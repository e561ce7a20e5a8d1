package workflows_test

// End to end against the in-process Temporal server, the sandboxes over HTTP and
// the real worker: an operator's stop through the same client call as the Web
// UI's Cancel button, and the operator Updates completing.

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/sim/simkit"
	"github.com/paycancel/paycancel/worker/app"
	"github.com/paycancel/paycancel/worker/config"
	"github.com/paycancel/paycancel/worker/testenv"
	"github.com/paycancel/paycancel/workflows/contract"
)

// shortNotify makes the merchant schedule two attempts a second apart.
func shortNotify(f *config.File) {
	for _, m := range f.Merchants {
		m.Notify.RetrySchedule = []config.Duration{0, config.Duration(time.Second)}
	}
}

// requestStop cancels the workflow as the Web UI's Cancel button does.
func requestStop(t *testing.T, env *testenv.Env, run client.WorkflowRun) {
	t.Helper()
	if err := env.Client.CancelWorkflow(context.Background(), run.GetID(), run.GetRunID()); err != nil {
		t.Fatal(err)
	}
}

// waitAtProvider waits until the PayerMax sandbox has received the cancel of
// order: it records a cancel before its scenario's latency, so the call is then
// under way at the provider.
func waitAtProvider(t *testing.T, env *testenv.Env, order string) {
	t.Helper()
	store, _ := env.Sandboxes.Store("payermax")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if p, ok := store.Get(order, ""); ok && len(p.Cancels) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sandbox never received the cancel of %s", order)
		}
	}
}

// wantCleanHistory checks that a closed run completed and never failed a
// workflow task, and returns its events by type.
func wantCleanHistory(t *testing.T, env *testenv.Env, run client.WorkflowRun) map[enumspb.EventType]int {
	t.Helper()
	h := fetchHistory(t, env.Client, run.GetID(), run.GetRunID())
	byType := map[enumspb.EventType]int{}
	for _, e := range h.GetEvents() {
		byType[e.GetEventType()]++
	}
	if n := byType[enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED] + byType[enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT]; n > 0 {
		t.Errorf("%d failed or timed-out workflow tasks in the history", n)
	}
	if last := h.GetEvents()[len(h.GetEvents())-1].GetEventType(); last != enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED {
		t.Errorf("the run ended with %s, want WorkflowExecutionCompleted", last)
	}
	return byType
}

// merchantEvents are the events the dev merchant received for a workflow.
func merchantEvents(t *testing.T, env *testenv.Env, workflowID string) []map[string]any {
	t.Helper()
	resp, err := http.Get(env.CallbackURL + "/dev/merchant-webhook")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var all []app.DevEvent
	if err := json.NewDecoder(resp.Body).Decode(&all); err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, e := range all {
		var ev map[string]any
		if json.Unmarshal(e.Event, &ev) == nil && ev["workflowId"] == workflowID {
			ev["_id"] = e.ID
			out = append(out, ev)
		}
	}
	return out
}

func wantStopEvent(t *testing.T, env *testenv.Env, workflowID string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs := merchantEvents(t, env, workflowID)
		if n := len(evs); n > 0 && evs[n-1]["state"] == contract.StateStopped {
			if evs[n-1]["reason"] != contract.StopCancelRequested {
				t.Errorf("STOPPED event %v", evs[n-1])
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the merchant never received the STOPPED event: %v", evs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestEndToEndStop(t *testing.T) {
	env := testenv.Start(t, testenv.Options{EditConfig: shortNotify})
	order := func(name string) string { return testenv.Order("stop-" + name) }

	t.Run("awaiting-payment", func(t *testing.T) {
		// The reported case: `start --pay-timeout 1h`, then Cancel in the Web UI.
		// The run used to fail every workflow task (a busy loop) and stay open.
		t.Parallel()
		o := order("await")
		createPayment(t, env, "payermax", simkit.Payment{MerchantOrderNo: o, Amount: 1000, Currency: "USD"})
		run := startCancel(t, env, contract.CancelRequest{Merchant: "demo", Provider: "payermax", Credential: "demo-payermax",
			MerchantOrderNo: o, Amount: 1000, Currency: "USD", PayTimeout: time.Hour})
		waitStatus(t, env, run, func(s contract.Status) bool { return s.State == contract.StateAwaitingPayment })
		stopAt := time.Now()
		requestStop(t, env, run)
		st := waitFinal(t, run)
		if took := time.Since(stopAt); took > 15*time.Second {
			t.Errorf("closed %s after the stop", took)
		}
		wantState(t, st, contract.StateStopped)
		if st.Stopped == nil || st.Stopped.Phase != contract.StateAwaitingPayment || st.Final != "" {
			t.Errorf("status %+v", st)
		}
		wantCleanHistory(t, env, run)
		wantStopEvent(t, env, run.GetID())
		store, _ := env.Sandboxes.Store("payermax")
		if p, _ := store.Get(o, ""); len(p.Cancels) != 0 {
			t.Errorf("%d cancels sent after a stop while awaiting the payment", len(p.Cancels))
		}
	})

	t.Run("cancel-call-under-way", func(t *testing.T) {
		// The stop arrives while the provider is answering the cancel: the call
		// finishes and its answer is recorded — the payment was cancelled.
		t.Parallel()
		o := order("inflight")
		createPayment(t, env, "payermax", simkit.Payment{MerchantOrderNo: o, Amount: 1000, Currency: "USD",
			Scenario: simkit.Scenario{LatencyMs: 3000}})
		run := startCancel(t, env, contract.CancelRequest{Merchant: "demo", Provider: "payermax", Credential: "demo-payermax",
			MerchantOrderNo: o, Amount: 1000, Currency: "USD"})
		waitStatus(t, env, run, func(s contract.Status) bool { return s.State == contract.StateCancelling })
		waitAtProvider(t, env, o)
		requestStop(t, env, run)
		st := waitFinal(t, run)
		wantState(t, st, contract.StateStopped)
		if st.Stopped == nil || st.Stopped.Phase != contract.StateCancelling {
			t.Fatalf("stopped %+v", st.Stopped)
		}
		if !st.LastOutcome.Done() || st.CancelAttempts != 1 {
			t.Errorf("last outcome %v after %d attempts: want the cancel's answer recorded", st.LastOutcome, st.CancelAttempts)
		}
		types := wantCleanHistory(t, env, run)
		if types[enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED] != 1 || types[enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED] != 0 {
			t.Errorf("history %v: want the call's cancel requested and its answer, not a cancelled call", types)
		}
		store, _ := env.Sandboxes.Store("payermax")
		if p, _ := store.Get(o, ""); p.EffectiveCancels() != 1 {
			t.Errorf("%d effective cancels at the provider, want 1", p.EffectiveCancels())
		}
		wantStopEvent(t, env, run.GetID())
	})

	t.Run("needs-review", func(t *testing.T) {
		t.Parallel()
		o := order("review")
		createPayment(t, env, "payermax", simkit.Payment{MerchantOrderNo: o, Amount: 1000, Currency: "USD",
			Scenario: simkit.Scenario{CancelFails: true}})
		run := startCancel(t, env, contract.CancelRequest{Merchant: "demo", Provider: "payermax", Credential: "demo-payermax",
			MerchantOrderNo: o, Amount: 1000, Currency: "USD"})
		waitStatus(t, env, run, func(s contract.Status) bool { return s.State == contract.StateNeedsReview })
		requestStop(t, env, run)
		st := waitFinal(t, run)
		wantState(t, st, contract.StateStopped)
		if st.Stopped == nil || st.Stopped.Phase != contract.StateNeedsReview || st.LastOutcome.Kind != providers.Failed {
			t.Errorf("status %+v", st)
		}
		wantCleanHistory(t, env, run)
		wantStopEvent(t, env, run.GetID())
	})
}

func TestEndToEndUpdatesAnswer(t *testing.T) {
	env := testenv.Start(t, testenv.Options{EditConfig: shortNotify})

	t.Run("retry-cancel-unknown-credential", func(t *testing.T) {
		// The credential is unknown to the worker: RETRY_CANCEL lands in review
		// again and must say so, not hang until the caller gives up.
		t.Parallel()
		o := testenv.Order("retry")
		run := startCancel(t, env, contract.CancelRequest{Merchant: "demo", Provider: "payermax", Credential: "demo-unknown",
			MerchantOrderNo: o, Amount: 1000, Currency: "USD"})
		waitStatus(t, env, run, func(s contract.Status) bool { return s.State == contract.StateNeedsReview })
		began := time.Now()
		st := sendUpdate(t, env, run, contract.UpdateResolve, contract.Resolution{Action: "RETRY_CANCEL", Operator: "ops@demo"})
		if took := time.Since(began); took > 15*time.Second {
			t.Errorf("RETRY_CANCEL answered after %s", took)
		}
		wantState(t, st, contract.StateNeedsReview)
		if st.ReviewReason != contract.ReviewConfiguration || st.Resolution == nil || st.Resolution.Action != "RETRY_CANCEL" {
			t.Errorf("RETRY_CANCEL answered %+v", st)
		}
		st = sendUpdate(t, env, run, contract.UpdateResolve, contract.Resolution{Action: "CANCELLED", Operator: "ops@demo"})
		wantState(t, st, contract.StateResolvedCancelled)
		wantState(t, waitFinal(t, run), contract.StateResolvedCancelled)
		wantCleanHistory(t, env, run)
	})

	t.Run("resend", func(t *testing.T) {
		// The merchant's URL refuses connections until the schedule runs out; a
		// resend then answers with its attempt's result, failed and then delivered.
		t.Parallel()
		url, open := absentMerchant(t)
		o := testenv.Order("resend")
		createPayment(t, env, "payermax", simkit.Payment{MerchantOrderNo: o, Amount: 1000, Currency: "USD"})
		run := startCancel(t, env, contract.CancelRequest{Merchant: "demo", Provider: "payermax", Credential: "demo-payermax",
			MerchantOrderNo: o, Amount: 1000, Currency: "USD", NotifyURL: url})
		waitStatus(t, env, run, func(s contract.Status) bool { return s.State == contract.StateNotifyExhausted })

		st := sendUpdate(t, env, run, contract.UpdateResendNotification, contract.ResendRequest{Operator: "ops@demo"})
		wantState(t, st, contract.StateNotifyExhausted)
		if st.Notify.Delivered || st.Notify.Attempts != 3 || !strings.Contains(st.Notify.LastError, "refused") {
			t.Errorf("failed resend answered notify %+v", st.Notify)
		}
		open()
		st = sendUpdate(t, env, run, contract.UpdateResendNotification, contract.ResendRequest{Operator: "ops@demo"})
		wantState(t, st, contract.StateCancelled)
		if !st.Notify.Delivered || st.Notify.Attempts != 4 {
			t.Errorf("delivered resend answered notify %+v", st.Notify)
		}
		wantState(t, waitFinal(t, run), contract.StateCancelled)
		wantCleanHistory(t, env, run)
	})
}
