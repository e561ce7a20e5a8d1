package workflows_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/paycancel/paycancel/activities"
	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/sim/simkit"
	"github.com/paycancel/paycancel/worker/config"
	"github.com/paycancel/paycancel/worker/testenv"
	"github.com/paycancel/paycancel/workflows/contract"
	"github.com/paycancel/paycancel/workflows/contract/webhook"
)

// TestEndToEndNoticeFromTheCancel runs the cancel activity's notification
// (changeNoticeFromCancel) on a real server: on the happy path the merchant hears
// CANCELLED from the cancel activity, and the history has no notification activity
// and 17 events at most; a payment result that reaches the workflow while the
// cancel is at the provider leaves the decision and the notification to the
// workflow (PAID_AT_CANCEL, never a CANCELLED notification); a failed first
// attempt goes on with the schedule's second, same webhook-id.
func TestEndToEndNoticeFromTheCancel(t *testing.T) {
	// The sandboxes' own notifications come 5 s after a cancel, when these are
	// over: one under way would (rightly) leave the decision to the workflow.
	env := testenv.Start(t, testenv.Options{NotifySchedule: []time.Duration{5 * time.Second}, EditConfig: func(f *config.File) {
		for _, m := range f.Merchants {
			m.Notify.RetrySchedule = []config.Duration{0, config.Duration(2 * time.Second)}
		}
	}})
	request := func(order string) contract.CancelRequest {
		return contract.CancelRequest{Merchant: "demo", Provider: "payermax", Credential: "demo-payermax", MerchantOrderNo: order,
			Amount: 1000, Currency: "USD"}
	}

	// signalDuringCall starts a cancel whose provider answers after latencyMs,
	// sends the signal while the call is at the provider, and waits for the end.
	signalDuringCall := func(t *testing.T, tag string, latencyMs int, name string, arg any) (client.WorkflowRun, contract.Status) {
		t.Helper()
		order := testenv.Order(tag)
		createPayment(t, env, "payermax", simkit.Payment{MerchantOrderNo: order, Amount: 1000, Currency: "USD",
			Scenario: simkit.Scenario{LatencyMs: latencyMs}})
		run := startCancel(t, env, request(order))
		waitAtProvider(t, env, order)
		if err := env.Client.SignalWorkflow(t.Context(), run.GetID(), "", name, arg); err != nil {
			t.Fatal(err)
		}
		return run, waitFinal(t, run)
	}

	t.Run("happy-path", func(t *testing.T) {
		t.Parallel()
		order := testenv.Order("inline")
		createPayment(t, env, "payermax", simkit.Payment{MerchantOrderNo: order, Amount: 1000, Currency: "USD"})
		run := startCancel(t, env, request(order))
		st := waitFinal(t, run)
		wantState(t, st, contract.StateCancelled)
		if !st.Notify.Delivered || st.Notify.Attempts != 1 || st.Notify.Episode != 1 || st.CancelAttempts != 1 {
			t.Fatalf("notification %+v after %d cancel attempts, want delivered at the first attempt", st.Notify, st.CancelAttempts)
		}
		byType := wantCleanHistory(t, env, run)
		h := fetchHistory(t, env.Client, run.GetID(), run.GetRunID())
		if n := activityCalls(t, h, "NotifyMerchant"); len(n) != 0 {
			t.Errorf("%d notification activities, want none: the cancel activity notified", len(n))
		}
		if n := len(h.GetEvents()); n > 17 || byType[enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED] != 2 {
			t.Errorf("happy path: %d events, %d workflow tasks, want at most 17 and 2 (%v)", n,
				byType[enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED], byType)
		}
		got := merchantEvents(t, env, run.GetID())
		if len(got) != 1 || got[0]["_id"] != st.Notify.EventID || got[0]["state"] != contract.StateCancelled ||
			got[0]["providerCode"] != st.LastOutcome.Code || st.LastOutcome.Code == "" || got[0]["occurredAt"] == nil {
			t.Fatalf("merchant received %+v, want one CANCELLED event %s with the provider's code %q", got, st.Notify.EventID, st.LastOutcome.Code)
		}
	})

	t.Run("paid-while-at-the-provider", func(t *testing.T) {
		t.Parallel()
		// The sandbox answers after 2 s: the payment result arrives meanwhile.
		run, st := signalDuringCall(t, "inline-paid", 2000, contract.SignalPaymentResult,
			contract.PaymentResult{Status: "PAID", Source: "order-service"})
		wantState(t, st, contract.StatePaidAtCancel)
		got := merchantEvents(t, env, run.GetID())
		if len(got) != 1 || got[0]["state"] != contract.StatePaidAtCancel {
			t.Fatalf("merchant received %+v, want one PAID_AT_CANCEL event and no CANCELLED", got)
		}
		h := fetchHistory(t, env.Client, run.GetID(), run.GetRunID())
		if n := activityCalls(t, h, "NotifyMerchant"); len(n) != 1 {
			t.Errorf("%d notification activities, want the workflow's one", len(n))
		}
	})

	t.Run("agreeing-provider-notification-meanwhile", func(t *testing.T) {
		// The provider's own notification that the cancel is done arrives while
		// the call is at the provider (the worker's callback handler signals it):
		// it decides nothing else, so the activity still notifies. The call takes
		// 5 s, long enough that the activity heartbeats before notifying.
		t.Parallel()
		run, st := signalDuringCall(t, "inline-agree", 5000, contract.SignalProviderNotification, providers.Notification{
			Provider: "payermax", Type: providers.NotifyCancelResult,
			Outcome: providers.Outcome{Kind: providers.Succeeded, Code: "APPLY_SUCCESS"}})
		wantState(t, st, contract.StateCancelled)
		h := fetchHistory(t, env.Client, run.GetID(), run.GetRunID())
		if n := activityCalls(t, h, "NotifyMerchant"); len(n) != 0 || st.Notify.Attempts != 1 || !st.Notify.Delivered {
			t.Errorf("%d notification activities, status %+v: want the cancel activity's one attempt", len(n), st.Notify)
		}
		if got := merchantEvents(t, env, run.GetID()); len(got) != 1 || got[0]["state"] != contract.StateCancelled {
			t.Fatalf("merchant received %+v, want one CANCELLED event", got)
		}
	})

	t.Run("first-attempt-fails", func(t *testing.T) {
		t.Parallel()
		order := testenv.Order("inline-down")
		createPayment(t, env, "payermax", simkit.Payment{MerchantOrderNo: order, Amount: 1000, Currency: "USD"})
		url, open := absentMerchant(t)
		req := request(order)
		req.NotifyURL = url
		run := startCancel(t, env, req)
		first := waitStatus(t, env, run, func(s contract.Status) bool { return s.Notify.Attempts == 1 })
		if first.Notify.Delivered || first.Notify.LastError == "" || first.State != contract.StateCancelled {
			t.Fatalf("after the cancel activity's attempt: %+v, want CANCELLED and a failed attempt", first)
		}
		open()
		st := waitFinal(t, run)
		wantState(t, st, contract.StateCancelled)
		if !st.Notify.Delivered || st.Notify.Attempts != 2 || st.Notify.EventID != first.Notify.EventID {
			t.Fatalf("notification %+v, want delivered at the second attempt with event %s", st.Notify, first.Notify.EventID)
		}
		calls := activityCalls(t, fetchHistory(t, env.Client, run.GetID(), run.GetRunID()), "NotifyMerchant")
		if len(calls) != 1 {
			t.Fatalf("%d notification activities, want the second attempt's", len(calls))
		}
		var call activities.NotifyCall
		if err := converter.GetDefaultDataConverter().FromPayloads(calls[0], &call); err != nil || call.EventID != first.Notify.EventID {
			t.Errorf("second attempt %+v (%v), want webhook-id %s", call, err, first.Notify.EventID)
		}
	})
}

// activityCalls returns the inputs of h's activities of type name.
func activityCalls(t *testing.T, h *historypb.History, name string) []*commonpb.Payloads {
	t.Helper()
	var in []*commonpb.Payloads
	for _, e := range h.GetEvents() {
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == name {
			in = append(in, a.GetInput())
		}
	}
	return in
}

// heldMerchant is a merchant endpoint that answers 204 to every notification,
// holding the first until release is closed; arrived receives once when the
// first has arrived, answered is closed once it has been answered, and states
// lists the events' states in order.
type heldMerchant struct {
	arrived  chan struct{}
	release  chan struct{}
	answered chan struct{}
	mu       sync.Mutex
	states   []string
	ids      []string // webhook-id of each, in order
}

func newHeldMerchant(t *testing.T) (*heldMerchant, string) {
	m := &heldMerchant{arrived: make(chan struct{}, 1), release: make(chan struct{}), answered: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev activities.MerchantEvent
		_ = json.NewDecoder(r.Body).Decode(&ev)
		m.mu.Lock()
		m.states = append(m.states, ev.State)
		m.ids = append(m.ids, r.Header.Get(webhook.HeaderID))
		first := len(m.states) == 1
		m.mu.Unlock()
		if first {
			m.arrived <- struct{}{}
			<-m.release
			defer close(m.answered)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return m, srv.URL
}

func (m *heldMerchant) received() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.states...)
}

// eventIDs are the webhook-ids of the notifications received, in order.
func (m *heldMerchant) eventIDs() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.ids...)
}

// holdCancelsNotice starts a happy-path PayerMax cancel notifying m (at url) and
// returns once the cancel activity's CANCELLED notification is at m, held there.
func holdCancelsNotice(t *testing.T, env *testenv.Env, m *heldMerchant, url, tag string) client.WorkflowRun {
	t.Helper()
	order := testenv.Order(tag)
	createPayment(t, env, "payermax", simkit.Payment{MerchantOrderNo: order, Amount: 1000, Currency: "USD"})
	run := startCancel(t, env, contract.CancelRequest{Merchant: "demo", Provider: "payermax", Credential: "demo-payermax",
		MerchantOrderNo: order, Amount: 1000, Currency: "USD", NotifyURL: url})
	select {
	case <-m.arrived:
	case <-time.After(30 * time.Second):
		t.Fatal("the merchant never received the cancel activity's notification")
	}
	return run
}

// wantAfterHeldAnswer waits until the held notification has been answered —
// after that its sender (the cancel activity's goroutine) only reports to the
// server, which refuses a terminated or reset run's activity — and fails when m
// received other than want.
func wantAfterHeldAnswer(t *testing.T, m *heldMerchant, want ...string) {
	t.Helper()
	select {
	case <-m.answered:
	case <-time.After(30 * time.Second):
		t.Fatal("the held notification was never answered")
	}
	if got := m.received(); !slices.Equal(got, want) {
		t.Fatalf("merchant received %v, want %v", got, want)
	}
}

// wantOneCancelAtProvider fails unless the PayerMax sandbox took the cancel of
// order twice — the first run's and the next one's — with one business key, and
// it took effect once: the same cancel asked again, which PayerMax answers with
// its original success.
func wantOneCancelAtProvider(t *testing.T, env *testenv.Env, order string) {
	t.Helper()
	store, _ := env.Sandboxes.Store("payermax")
	p, ok := store.Get(order, "")
	if !ok {
		t.Fatalf("the sandbox has no payment %s", order)
	}
	if len(p.Cancels) != 2 || p.Cancels[0].Key != p.Cancels[1].Key || p.EffectiveCancels() != 1 {
		t.Fatalf("the sandbox took cancels %+v (%d effective), want two calls with one key, one effective", p.Cancels, p.EffectiveCancels())
	}
}

// TestEndToEndTerminateDuringTheCancelsNotice presses Terminate while the cancel
// activity's notification is at the merchant: the run ends TERMINATED at once,
// the notification under way still arrives and nothing follows it, the worker
// goes on (its completion of the terminated run's activity is refused and logged),
// and a new start for the order — allowed after a terminate — asks the provider
// again with the same business key (one cancel there) and ends CANCELLED with
// the same webhook-id, so the merchant, deduplicating, hears one CANCELLED.
func TestEndToEndTerminateDuringTheCancelsNotice(t *testing.T) {
	env := testenv.Start(t, testenv.Options{NotifySchedule: []time.Duration{5 * time.Second}})
	m, url := newHeldMerchant(t)
	run := holdCancelsNotice(t, env, m, url, "inline-terminate")
	if err := env.Client.TerminateWorkflow(t.Context(), run.GetID(), run.GetRunID(), "operator: terminate during the notice"); err != nil {
		t.Fatal(err)
	}
	close(m.release)
	d, err := env.Client.DescribeWorkflowExecution(t.Context(), run.GetID(), run.GetRunID())
	if err != nil {
		t.Fatal(err)
	}
	if got := d.GetWorkflowExecutionInfo().GetStatus(); got != enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED {
		t.Fatalf("status %v, want TERMINATED", got)
	}
	wantAfterHeldAnswer(t, m, contract.StateCancelled)

	var req contract.CancelRequest
	h := fetchHistory(t, env.Client, run.GetID(), run.GetRunID())
	if err := converter.GetDefaultDataConverter().FromPayloads(
		h.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetInput(), &req); err != nil {
		t.Fatal(err)
	}
	again, err := env.Client.ExecuteWorkflow(t.Context(), contract.StartOptions(req, env.TaskQueue), contract.WorkflowName, req)
	if err != nil {
		t.Fatalf("a new start after the terminate: %v", err)
	}
	wantState(t, waitFinal(t, again), contract.StateCancelled)
	wantOneCancelAtProvider(t, env, req.MerchantOrderNo)
	ids := m.eventIDs()
	if got := m.received(); len(got) != 2 || got[1] != contract.StateCancelled || ids[0] != ids[1] {
		t.Fatalf("merchant received %v with webhook-ids %v, want CANCELLED twice with one id", got, ids)
	}
}

// TestEndToEndResetDuringTheCancelsNotice resets the run to its first workflow
// task while the cancel activity's notification is at the merchant (the Reset an
// operator would use after fixing a bug): the new run asks the provider again with
// the same business key (one cancel there) and ends CANCELLED, with no failed
// workflow task; the old run's notification still arrives, and the new run's has
// the same webhook-id.
func TestEndToEndResetDuringTheCancelsNotice(t *testing.T) {
	env := testenv.Start(t, testenv.Options{NotifySchedule: []time.Duration{5 * time.Second}})
	m, url := newHeldMerchant(t)
	run := holdCancelsNotice(t, env, m, url, "inline-reset")
	h := fetchHistory(t, env.Client, run.GetID(), run.GetRunID())
	var firstTask int64
	var firstKey string
	for _, e := range h.GetEvents() {
		if e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED && firstTask == 0 {
			firstTask = e.GetEventId()
		}
	}
	if calls := activityCalls(t, h, "CancelPayment"); len(calls) == 1 {
		var c activities.CancelCall
		if err := converter.GetDefaultDataConverter().FromPayloads(calls[0], &c); err != nil {
			t.Fatal(err)
		}
		firstKey = c.CancelKey
	}
	if firstTask == 0 || firstKey == "" {
		t.Fatalf("no first workflow task or cancel call in the history (task %d, key %q)", firstTask, firstKey)
	}
	reset, err := env.Client.ResetWorkflowExecution(t.Context(), &workflowservice.ResetWorkflowExecutionRequest{
		Namespace: env.Namespace, WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: run.GetID(), RunId: run.GetRunID()},
		Reason: "operator: reset during the notice", WorkflowTaskFinishEventId: firstTask, RequestId: "reset-" + run.GetRunID(),
	})
	if err != nil {
		t.Fatal(err)
	}
	close(m.release)
	newRun := env.Client.GetWorkflow(t.Context(), run.GetID(), reset.GetRunId())
	wantState(t, waitFinal(t, newRun), contract.StateCancelled)
	nh := fetchHistory(t, env.Client, newRun.GetID(), newRun.GetRunID())
	calls := activityCalls(t, nh, "CancelPayment")
	if len(calls) != 1 {
		t.Fatalf("%d cancel calls in the new run, want 1", len(calls))
	}
	var c activities.CancelCall
	if err := converter.GetDefaultDataConverter().FromPayloads(calls[0], &c); err != nil {
		t.Fatal(err)
	}
	if c.CancelKey != firstKey {
		t.Errorf("the new run's business key %q, the old run's %q: the provider would see a second cancel", c.CancelKey, firstKey)
	}
	wantOneCancelAtProvider(t, env, c.Target.MerchantOrderNo)
	failed := 0
	for _, e := range nh.GetEvents() {
		if e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED && e.GetWorkflowTaskFailedEventAttributes().GetCause() != enumspb.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW {
			failed++
		}
	}
	if failed > 0 {
		t.Errorf("%d failed workflow tasks in the new run besides the reset's own", failed)
	}
	wantAfterHeldAnswer(t, m, contract.StateCancelled, contract.StateCancelled)
	if ids := m.eventIDs(); ids[0] != ids[1] {
		t.Errorf("webhook-ids %v: the merchant could not deduplicate the reset run's CANCELLED", ids)
	}
}

// TestEndToEndStopDuringTheCancelsNotice presses the Web UI's Cancel while the
// cancel activity's notification is at the merchant (after its decision): the
// attempt finishes and is recorded, the cancel ends STOPPED with CANCELLED as its
// business outcome, and the merchant hears CANCELLED, then STOPPED.
func TestEndToEndStopDuringTheCancelsNotice(t *testing.T) {
	env := testenv.Start(t, testenv.Options{NotifySchedule: []time.Duration{5 * time.Second}})
	m, url := newHeldMerchant(t)
	run := holdCancelsNotice(t, env, m, url, "inline-stop")
	requestStop(t, env, run)
	// The stop is recorded before the exchange is let finish.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		h := fetchHistory(t, env.Client, run.GetID(), run.GetRunID())
		if shapeOf(h).CancelRequests > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the stop was never recorded")
		}
	}
	close(m.release)
	st := waitFinal(t, run)
	wantState(t, st, contract.StateStopped)
	if st.Final != contract.StateCancelled || st.Stopped == nil || st.Stopped.Phase != contract.StateCancelled {
		t.Fatalf("status %+v, want STOPPED after the outcome CANCELLED", st)
	}
	wantCleanHistory(t, env, run)
	if got := m.received(); len(got) != 2 || got[0] != contract.StateCancelled || got[1] != contract.StateStopped {
		t.Fatalf("merchant received %v, want CANCELLED then STOPPED", got)
	}
	if n := activityCalls(t, fetchHistory(t, env.Client, run.GetID(), run.GetRunID()), "NotifyMerchant"); len(n) != 1 {
		t.Errorf("%d notification activities, want the STOPPED one only", len(n))
	}
}
