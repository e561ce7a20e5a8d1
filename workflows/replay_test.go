package workflows_test

// Replay tests: every history in testdata/histories must replay against the
// current CancelPaymentWorkflow. A change that alters the commands an existing
// cancel would produce (a new activity, a timer moved, a reordered step) fails here
// and needs workflow.GetVersion.
//
// The histories come from real runs against worker/testenv (in-process Temporal
// server, provider sandboxes over HTTP, the real registration). After a deliberate
// and versioned change, add the histories of its new paths to TestWriteHistories
// and write the missing files with:
//
//	PAYCANCEL_WRITE_HISTORIES=1 go test ./workflows/ -run TestWriteHistories -count=1
//
// Existing files are never rewritten: they are the runs earlier code recorded,
// which must go on replaying. Files named *-before-<change>.json were recorded by
// the code before that change (not by TestWriteHistories). The files are written
// as `temporal workflow show --output json` writes them.

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/paycancel/paycancel/activities"
	"github.com/paycancel/paycancel/providers/sim/simkit"
	"github.com/paycancel/paycancel/worker/app"
	"github.com/paycancel/paycancel/worker/config"
	"github.com/paycancel/paycancel/worker/testenv"
	"github.com/paycancel/paycancel/worker/testenv/history"
	"github.com/paycancel/paycancel/workflows"
	"github.com/paycancel/paycancel/workflows/contract"
)

const historiesDir = "testdata/histories"

// historyCases name the checked-in histories and what each must contain (event
// types, update names, activity types, version markers, search-attribute states;
// "!" before one: must not), so a regenerated file is known to still cover its path.
var historyCases = map[string][]string{
	"happy":                   {"ActivityTaskCompleted", "state:CANCELLED"},
	"paid-by-signal":          {"WorkflowExecutionSignaled", "state:PAID"},
	"unknown-then-success":    {"state:CANCELLED"},
	"pending-then-success":    {"TimerFired", "state:CONFIRMING", "state:CANCELLED"},
	"resolved-review":         {"update:resolve", "state:NEEDS_REVIEW", "state:RESOLVED_CANCELLED"},
	"notify-exhausted-resend": {"update:resend-notification", "state:NOTIFY_EXHAUSTED", "state:CANCELLED"},

	// Recorded with the code before the stop handling and the RETRY_CANCEL answer
	// (a workflow cancellation then closed the run canceled, or spun it into a
	// continue-as-new while confirming): runs like these may still be open.
	"stop-cancelling-before-stop":         {"WorkflowExecutionCancelRequested", "ActivityTaskCancelRequested", "WorkflowExecutionCanceled"},
	"stop-confirming-before-stop":         {"WorkflowExecutionCancelRequested", "WorkflowExecutionContinuedAsNew"},
	"stop-review-before-stop":             {"WorkflowExecutionCancelRequested", "state:NEEDS_REVIEW", "WorkflowExecutionCanceled"},
	"stop-notify-exhausted-before-stop":   {"WorkflowExecutionCancelRequested", "state:NOTIFY_EXHAUSTED", "WorkflowExecutionCanceled"},
	"retry-cancel-review-again-before-v2": {"update:resolve", "version:resolve-answers-after-effect=1", "state:RESOLVED_CANCELLED"},

	// The stop, the hand-overs, the window, the retry and the drains as they run now.
	"stop-awaiting-payment": {"WorkflowExecutionCancelRequested", "version:stop-on-cancel-request=1", "state:STOPPED", "WorkflowExecutionCompleted"},
	"stop-cancel-under-way": {"ActivityTaskCancelRequested", "ActivityTaskCompleted", "version:stop-on-cancel-request=1", "state:STOPPED"},
	"stop-review":           {"WorkflowExecutionCancelRequested", "state:NEEDS_REVIEW", "state:STOPPED", "WorkflowExecutionCompleted"},
	"continued-confirming":  {"version:drain-all-before-continue-as-new=1", "state:CONFIRMING", "WorkflowExecutionContinuedAsNew"},
	"continued-awaiting":    {"version:await-payment-continue-as-new=1", "version:drain-all-before-continue-as-new=1", "WorkflowExecutionContinuedAsNew"},
	"window-expired":        {"version:drain-signals-before-deadline-decision=1", "state:NEEDS_REVIEW", "update:resolve", "state:RESOLVED_CANCELLED"},
	"retry-cancel":          {"version:resolve-answers-after-effect=2", "update:resolve", "state:NEEDS_REVIEW", "state:RESOLVED_CANCELLED"},
	"deadline-then-cancel":  {"version:drain-signals-before-deadline-decision=1", "state:AWAITING_PAYMENT", "state:CANCELLED"},
	"resend-one-attempt":    {"version:resend-one-attempt=1", "update:resend-notification", "state:NOTIFY_EXHAUSTED", "state:CANCELLED"},
	"resolve-during-review-notice": {"version:resolution-ends-review-notice=1", "TimerCanceled", "state:RESOLVED_NOT_NEEDED",
		"version:stop-on-cancel-request=1", "state:STOPPED"},

	// Merchant-scoped ids: the happy path of a cancel started with a merchant, a
	// new cancel without one (refused behind the version marker) and one naming
	// another merchant's credential (failed after LoadPolicy's marker).
	"merchant-scoped-happy": {"ActivityTaskCompleted", "state:CANCELLED", "merchant:demo"},

	// The cancel activity's notification: made (the happy path: no notification
	// activity), made and failed (the schedule goes on), and left to the workflow
	// by a payment result that arrived while the cancel was at the provider.
	"notice-from-cancel":        {"notice-asked", "version:notice-from-the-cancel-activity=1", "state:CANCELLED", "!activity:NotifyMerchant"},
	"notice-from-cancel-failed": {"notice-asked", "version:notice-from-the-cancel-activity=1", "TimerFired", "activity:NotifyMerchant", "state:CANCELLED"},
	// Recorded by the code before it, with an activity that reports its attempt: a
	// rolling deploy's cancel whose result an older workflow task took (the
	// attempt ignored, the workflow's own notification sent).
	"notice-ignored-before-notice-from-the-cancel-activity": {"notice-reported", "!version:notice-from-the-cancel-activity=1",
		"activity:NotifyMerchant", "state:CANCELLED"},
	"notice-left-to-workflow-paid": {"notice-asked", "!version:notice-from-the-cancel-activity=1", "WorkflowExecutionSignaled", "activity:NotifyMerchant", "state:PAID_AT_CANCEL"},
	"start-without-merchant":       {"MarkerRecorded", "WorkflowExecutionFailed"},
	"credential-not-of-merchant":   {"MarkerRecorded", "WorkflowExecutionFailed"},
}

func TestReplayHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(historiesDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < len(historyCases) {
		t.Fatalf("%d histories in %s, want %d (regenerate: see the comment at the top)", len(files), historiesDir, len(historyCases))
	}
	replayer := worker.NewWorkflowReplayer()
	replayer.RegisterWorkflowWithOptions(workflows.CancelPaymentWorkflow, workflow.RegisterOptions{Name: contract.WorkflowName})
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			h := history.Load(t, f)
			// The workflow checks its id against its request, so a history replays
			// under the id it ran with (not the replayer's default "ReplayId").
			opts := worker.ReplayWorkflowHistoryOptions{OriginalExecution: workflow.Execution{ID: recordedID(t, h)}}
			if err := replayer.ReplayWorkflowHistoryWithOptions(nil, h, opts); err != nil {
				t.Fatalf("replay %s: %v", f, err)
			}
			have := map[string]bool{}
			for _, e := range h.GetEvents() {
				have[e.GetEventType().String()] = true // "TimerFired"
				if a := e.GetActivityTaskCompletedEventAttributes(); a != nil {
					var res activities.CancelResult
					if converter.GetDefaultDataConverter().FromPayloads(a.GetResult(), &res) == nil && res.Notified != nil {
						have["notice-reported"] = true // a cancel result reporting the merchant's first notification
					}
				}
				if a := e.GetActivityTaskScheduledEventAttributes(); a != nil {
					have["activity:"+a.GetActivityType().GetName()] = true
					var call activities.CancelCall
					if a.GetActivityType().GetName() == "CancelPayment" &&
						converter.GetDefaultDataConverter().FromPayloads(a.GetInput(), &call) == nil && call.Notify != nil {
						have["notice-asked"] = true // the cancel call asks for the merchant's first notification
					}
				}
				if a := e.GetWorkflowExecutionUpdateAcceptedEventAttributes(); a != nil {
					have["update:"+a.GetAcceptedRequest().GetInput().GetName()] = true
				}
				if a := e.GetMarkerRecordedEventAttributes(); a != nil && a.GetMarkerName() == "Version" {
					id, v := a.GetDetails()["change-id"].GetPayloads(), a.GetDetails()["version"].GetPayloads()
					if len(id) > 0 && len(v) > 0 {
						have["version:"+strings.Trim(string(id[0].GetData()), `"`)+"="+string(v[0].GetData())] = true
					}
				}
				if e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED {
					t.Errorf("event %d: a failed workflow task", e.GetEventId())
				}
				if a := e.GetUpsertWorkflowSearchAttributesEventAttributes(); a != nil {
					if p, ok := a.GetSearchAttributes().GetIndexedFields()[contract.SACancelState.GetName()]; ok {
						have["state:"+strings.Trim(string(p.GetData()), `"`)] = true
					}
					if p, ok := a.GetSearchAttributes().GetIndexedFields()[contract.SAMerchant.GetName()]; ok {
						have["merchant:"+strings.Trim(string(p.GetData()), `"`)] = true
					}
				}
			}
			for _, want := range historyCases[name] {
				if absent, ok := strings.CutPrefix(want, "!"); ok {
					if have[absent] {
						t.Errorf("history %s has %s", name, absent)
					}
				} else if !have[want] {
					t.Errorf("history %s has no %s", name, want)
				}
			}
			// The estimate the seven-day bound relies on never undercounts a real run.
			n, est := len(h.GetEvents()), shapeOf(h).estimate()
			if n > est {
				t.Errorf("%d events, over the estimate %d (%+v)", n, est, shapeOf(h))
			}
			t.Logf("%d events (estimate %d)", n, est)
		})
	}
}

// recordedID is the workflow id a recorded cancel ran under, from its request:
// the merchant-scoped id, or the legacy one for a request without a merchant.
// (A continued run's id is its first run's; the request carries the same fields.)
func recordedID(t *testing.T, h *historypb.History) string {
	t.Helper()
	attrs := h.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes()
	var req contract.CancelRequest
	if attrs == nil || converter.GetDefaultDataConverter().FromPayloads(attrs.GetInput(), &req) != nil {
		t.Fatal("the history does not start with a cancel request")
	}
	if req.Merchant == "" {
		return contract.LegacyWorkflowID(req.Provider, req.MerchantOrderNo)
	}
	return contract.WorkflowID(req.Merchant, req.Provider, req.MerchantOrderNo)
}

// TestWriteHistories produces testdata/histories from real runs. It runs only with
// PAYCANCEL_WRITE_HISTORIES=1 (see the top of this file). It writes only the
// histories that are missing: the checked-in ones are what earlier code recorded
// (cancels started before merchant-scoped ids, for example) and must keep
// replaying as they are; delete one deliberately to record it again.
func TestWriteHistories(t *testing.T) {
	if os.Getenv("PAYCANCEL_WRITE_HISTORIES") != "1" {
		t.Skip("set PAYCANCEL_WRITE_HISTORIES=1 to write the missing histories in testdata/histories")
	}
	// The sandboxes notify 3 s after a cancel, when the cancels that need none
	// are over (a provider notification under way leaves the merchant's to the
	// workflow: notice-from-cancel would record that path instead).
	env := testenv.Start(t, testenv.Options{SecondMerchant: true, NotifySchedule: []time.Duration{3 * time.Second}, EditConfig: func(f *config.File) {
		// A short merchant schedule so the exhausted case runs out in a second.
		for _, m := range f.Merchants {
			m.Notify.RetrySchedule = []config.Duration{0, config.Duration(time.Second)}
		}
		// The hand-overs come after 100 checks: the fastest a policy allows.
		one := config.Duration(time.Second)
		m := f.Merchants[app.DevMerchantName]
		base := *m.Credentials["demo-payermax"]
		flat, poll := base, base
		flat.Policy.QueryBackoff = &config.BackoffFile{Initial: one, Max: one, Multiplier: 1}
		poll.Policy.PaymentPoll = &one
		m.Credentials["demo-payermax-flat"], m.Credentials["demo-payermax-poll"] = &flat, &poll
		// A merchant with a long pause between attempts, for a resolution that
		// arrives in one: the second merchant (a provider account belongs to one
		// merchant only, so it cannot share demo's).
		f.Merchants[testenv.SecondMerchantName].Notify.RetrySchedule = []config.Duration{0, config.Duration(time.Minute)}
	}})
	if err := os.MkdirAll(historiesDir, 0o755); err != nil {
		t.Fatal(err)
	}
	order := func(name string) string { return testenv.Order("h-" + name) }
	request := func(name string) contract.CancelRequest {
		return contract.CancelRequest{Merchant: "demo", Provider: "payermax", Credential: "demo-payermax", MerchantOrderNo: order(name),
			Amount: 1000, Currency: "USD"}
	}
	// paid takes the subtest's t: a refusal fails the subtest that made it.
	paid := func(t *testing.T, name string, sc simkit.Scenario) contract.CancelRequest {
		t.Helper()
		req := request(name)
		createPayment(t, env, "payermax", simkit.Payment{MerchantOrderNo: req.MerchantOrderNo, Amount: 1000, Currency: "USD", Scenario: sc})
		return req
	}
	// exhausted starts a cancel whose merchant is absent (a closed port) and waits
	// until its notification schedule ran out; open starts the merchant.
	exhausted := func(t *testing.T, name string) (run client.WorkflowRun, open func()) {
		url, open := absentMerchant(t)
		req := paid(t, name, simkit.Scenario{})
		req.NotifyURL = url
		run = startCancel(t, env, req)
		waitStatus(t, env, run, func(s contract.Status) bool { return s.State == contract.StateNotifyExhausted })
		return run, open
	}
	// awaiting starts a cancel with an hour's pay timeout and waits until it
	// awaits the payment.
	awaiting := func(t *testing.T, name string) client.WorkflowRun {
		t.Helper()
		req := paid(t, name, simkit.Scenario{})
		req.PayTimeout = time.Hour
		run := startCancel(t, env, req)
		waitStatus(t, env, run, func(s contract.Status) bool { return s.State == contract.StateAwaitingPayment })
		return run
	}
	// signalPaid sends the order service's PAID result to run.
	signalPaid := func(t *testing.T, run client.WorkflowRun) {
		t.Helper()
		if err := env.Client.SignalWorkflow(context.Background(), run.GetID(), run.GetRunID(), contract.SignalPaymentResult,
			contract.PaymentResult{Status: "PAID", Source: "order-service"}); err != nil {
			t.Fatal(err)
		}
	}
	failed := func(t *testing.T, run client.WorkflowRun, contains string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		err := run.Get(ctx, nil)
		var appErr *temporal.ApplicationError
		if !errors.As(err, &appErr) || appErr.Type() != "InvalidCancelRequest" || !strings.Contains(appErr.Message(), contains) {
			t.Fatalf("%s: %v, want InvalidCancelRequest saying %q", run.GetID(), err, contains)
		}
	}
	runs := map[string]func(t *testing.T) client.WorkflowRun{
		"merchant-scoped-happy": func(t *testing.T) client.WorkflowRun {
			run := startCancel(t, env, paid(t, "merchant-scoped-happy", simkit.Scenario{}))
			wantState(t, waitFinal(t, run), contract.StateCancelled)
			return run
		},
		"start-without-merchant": func(t *testing.T) client.WorkflowRun {
			req := request("start-without-merchant")
			req.Merchant = ""
			run := startCancelID(t, env, contract.LegacyWorkflowID(req.Provider, req.MerchantOrderNo), req)
			failed(t, run, "merchant is required")
			return run
		},
		"credential-not-of-merchant": func(t *testing.T) client.WorkflowRun {
			req := request("credential-not-of-merchant")
			req.Credential = "globex-payermax"
			run := startCancel(t, env, req)
			failed(t, run, `credential "globex-payermax" is not one of merchant "demo"'s credential sets`)
			return run
		},
		"happy": func(t *testing.T) client.WorkflowRun {
			run := startCancel(t, env, paid(t, "happy", simkit.Scenario{}))
			wantState(t, waitFinal(t, run), contract.StateCancelled)
			return run
		},
		"notice-from-cancel": func(t *testing.T) client.WorkflowRun {
			run := startCancel(t, env, paid(t, "notice-from-cancel", simkit.Scenario{}))
			st := waitFinal(t, run)
			if st.State != contract.StateCancelled || !st.Notify.Delivered || st.Notify.Attempts != 1 {
				t.Fatalf("status %+v, want CANCELLED and the cancel activity's notification delivered", st)
			}
			return run
		},
		"notice-from-cancel-failed": func(t *testing.T) client.WorkflowRun {
			url, open := absentMerchant(t)
			req := paid(t, "notice-from-cancel-failed", simkit.Scenario{})
			req.NotifyURL = url
			run := startCancel(t, env, req)
			waitStatus(t, env, run, func(s contract.Status) bool { return s.Notify.Attempts == 1 })
			open()
			st := waitFinal(t, run)
			if st.State != contract.StateCancelled || !st.Notify.Delivered || st.Notify.Attempts != 2 {
				t.Fatalf("status %+v, want CANCELLED and the schedule's second attempt delivered", st)
			}
			return run
		},
		"notice-left-to-workflow-paid": func(t *testing.T) client.WorkflowRun {
			req := paid(t, "notice-left-to-workflow-paid", simkit.Scenario{LatencyMs: 2000})
			run := startCancel(t, env, req)
			waitAtProvider(t, env, req.MerchantOrderNo)
			signalPaid(t, run)
			wantState(t, waitFinal(t, run), contract.StatePaidAtCancel)
			return run
		},
		"paid-by-signal": func(t *testing.T) client.WorkflowRun {
			run := awaiting(t, "paid-by-signal")
			signalPaid(t, run)
			wantState(t, waitFinal(t, run), contract.StatePaid)
			return run
		},
		"unknown-then-success": func(t *testing.T) client.WorkflowRun {
			run := startCancel(t, env, paid(t, "unknown-then-success", simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultUnknown, simkit.Fault5xx}}))
			st := waitFinal(t, run)
			wantState(t, st, contract.StateCancelled)
			if st.CancelAttempts < 2 {
				t.Errorf("cancel attempts %d, want retries", st.CancelAttempts)
			}
			return run
		},
		"pending-then-success": func(t *testing.T) client.WorkflowRun {
			run := startCancel(t, env, paid(t, "pending-then-success", simkit.Scenario{PendingQueries: 2}))
			st := waitFinal(t, run)
			wantState(t, st, contract.StateCancelled)
			return run
		},
		"resolved-review": func(t *testing.T) client.WorkflowRun {
			run := startCancel(t, env, paid(t, "resolved-review", simkit.Scenario{CancelFails: true}))
			waitStatus(t, env, run, func(s contract.Status) bool { return s.State == contract.StateNeedsReview })
			sendUpdate(t, env, run, contract.UpdateResolve, contract.Resolution{Action: "CANCELLED", Operator: "ops@demo", Note: "closed in the portal"})
			wantState(t, waitFinal(t, run), contract.StateResolvedCancelled)
			return run
		},
		"notify-exhausted-resend": func(t *testing.T) client.WorkflowRun {
			// The merchant's URL is a closed port until the schedule runs out; then a
			// merchant starts listening there and an operator resends.
			run, open := exhausted(t, "notify-exhausted-resend")
			open()
			sendUpdate(t, env, run, contract.UpdateResendNotification, contract.ResendRequest{Operator: "ops@demo"})
			st := waitFinal(t, run)
			wantState(t, st, contract.StateCancelled)
			if !st.Notify.Delivered {
				t.Errorf("notify %+v", st.Notify)
			}
			return run
		},
	}
	stop := func(t *testing.T, run client.WorkflowRun) { requestStop(t, env, run) }
	// continued waits for a run to continue as new and stops its successor.
	continued := func(t *testing.T, run client.WorkflowRun) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		err := env.Client.GetWorkflow(ctx, run.GetID(), run.GetRunID()).GetWithOptions(ctx, nil, client.WorkflowRunGetOptions{DisableFollowingRuns: true})
		if !workflow.IsContinueAsNewError(err) {
			t.Fatalf("%s: %v, want a continue-as-new", run.GetID(), err)
		}
		next := env.Client.GetWorkflow(ctx, run.GetID(), "")
		stop(t, next)
		st := waitFinal(t, next)
		if st.State != contract.StateStopped || st.Runs != 2 {
			t.Errorf("the continued run ended %+v", st)
		}
	}
	newRuns := map[string]func(t *testing.T) client.WorkflowRun{
		"stop-awaiting-payment": func(t *testing.T) client.WorkflowRun {
			run := awaiting(t, "stop-awaiting-payment")
			stop(t, run)
			wantState(t, waitFinal(t, run), contract.StateStopped)
			return run
		},
		"stop-cancel-under-way": func(t *testing.T) client.WorkflowRun {
			req := paid(t, "stop-cancel-under-way", simkit.Scenario{LatencyMs: 3000})
			run := startCancel(t, env, req)
			waitStatus(t, env, run, func(s contract.Status) bool { return s.State == contract.StateCancelling })
			waitAtProvider(t, env, req.MerchantOrderNo)
			stop(t, run)
			st := waitFinal(t, run)
			wantState(t, st, contract.StateStopped)
			if !st.LastOutcome.Done() {
				t.Errorf("last outcome %v: the call's answer was not recorded", st.LastOutcome)
			}
			return run
		},
		"stop-review": func(t *testing.T) client.WorkflowRun {
			run := startCancel(t, env, paid(t, "stop-review", simkit.Scenario{CancelFails: true}))
			waitStatus(t, env, run, func(s contract.Status) bool { return s.State == contract.StateNeedsReview && s.Notify.Delivered })
			stop(t, run)
			wantState(t, waitFinal(t, run), contract.StateStopped)
			return run
		},
		"continued-confirming": func(t *testing.T) client.WorkflowRun {
			req := paid(t, "continued-confirming", simkit.Scenario{PendingQueries: 100000})
			req.Credential = "demo-payermax-flat"
			run := startCancel(t, env, req)
			continued(t, run)
			return run
		},
		"continued-awaiting": func(t *testing.T) client.WorkflowRun {
			req := paid(t, "continued-awaiting", simkit.Scenario{})
			req.Credential, req.PayTimeout = "demo-payermax-poll", time.Hour
			run := startCancel(t, env, req)
			continued(t, run)
			return run
		},
		"window-expired": func(t *testing.T) client.WorkflowRun {
			req := paid(t, "window-expired", simkit.Scenario{PendingQueries: 100000})
			deadline := time.Now().Add(5 * time.Second)
			req.CancelDeadline = &deadline
			run := startCancel(t, env, req)
			st := waitStatus(t, env, run, func(s contract.Status) bool { return s.State == contract.StateNeedsReview })
			if st.ReviewReason != contract.ReviewWindowExpired {
				t.Errorf("review %q, want WINDOW_EXPIRED", st.ReviewReason)
			}
			sendUpdate(t, env, run, contract.UpdateResolve, contract.Resolution{Action: "CANCELLED", Operator: "ops@demo"})
			wantState(t, waitFinal(t, run), contract.StateResolvedCancelled)
			return run
		},
		"retry-cancel": func(t *testing.T) client.WorkflowRun {
			req := request("retry-cancel")
			req.Credential = "demo-unknown"
			run := startCancel(t, env, req)
			waitStatus(t, env, run, func(s contract.Status) bool { return s.State == contract.StateNeedsReview })
			st := sendUpdate(t, env, run, contract.UpdateResolve, contract.Resolution{Action: "RETRY_CANCEL", Operator: "ops@demo"})
			wantState(t, st, contract.StateNeedsReview)
			sendUpdate(t, env, run, contract.UpdateResolve, contract.Resolution{Action: "CANCELLED", Operator: "ops@demo"})
			wantState(t, waitFinal(t, run), contract.StateResolvedCancelled)
			return run
		},
		"resolve-during-review-notice": func(t *testing.T) client.WorkflowRun {
			url, _ := absentMerchant(t)
			req := request("resolve-during-review-notice")
			req.Merchant, req.Credential, req.NotifyURL = testenv.SecondMerchantName, testenv.SecondCredentialPrefix+"payermax", url
			testenv.CreatePayment(t, env.Sandboxes2.URL, "payermax", simkit.Payment{MerchantOrderNo: req.MerchantOrderNo, Amount: 1000, Currency: "USD",
				Scenario: simkit.Scenario{CancelFails: true}})
			run := startCancel(t, env, req)
			waitStatus(t, env, run, func(s contract.Status) bool { return s.State == contract.StateNeedsReview && s.Notify.Attempts == 1 })
			st := sendUpdate(t, env, run, contract.UpdateResolve, contract.Resolution{Action: "NOT_NEEDED", Operator: "ops@demo"})
			wantState(t, st, contract.StateResolvedNotNeeded)
			stop(t, run) // its own notice would wait a minute for the absent merchant
			wantState(t, waitFinal(t, run), contract.StateStopped)
			return run
		},
		"deadline-then-cancel": func(t *testing.T) client.WorkflowRun {
			req := paid(t, "deadline-then-cancel", simkit.Scenario{})
			req.PayTimeout = 2 * time.Second
			run := startCancel(t, env, req)
			wantState(t, waitFinal(t, run), contract.StateCancelled)
			return run
		},
		"resend-one-attempt": func(t *testing.T) client.WorkflowRun {
			run, open := exhausted(t, "resend-one-attempt")
			if st := sendUpdate(t, env, run, contract.UpdateResendNotification, contract.ResendRequest{Operator: "ops@demo"}); st.Notify.Delivered {
				t.Errorf("a resend to a closed port answered delivered")
			}
			open()
			sendUpdate(t, env, run, contract.UpdateResendNotification, contract.ResendRequest{Operator: "ops@demo"})
			wantState(t, waitFinal(t, run), contract.StateCancelled)
			return run
		},
	}
	for name, fn := range newRuns {
		runs[name] = fn
	}
	writeMissing(t, env, runs)
}

// writeMissing runs, in parallel, each of runs whose history file is missing and
// writes its history. A file already there is never rewritten: it is what
// earlier code recorded.
func writeMissing(t *testing.T, env *testenv.Env, runs map[string]func(t *testing.T) client.WorkflowRun) {
	for name, fn := range runs {
		path := filepath.Join(historiesDir, name+".json")
		if _, err := os.Stat(path); err == nil {
			continue // recorded earlier: kept as it is
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			writeHistory(t, env, fn(t), path)
		})
	}
}

// writeHistory writes run's history to path as `temporal workflow show --output
// json` does.
func writeHistory(t *testing.T, env *testenv.Env, run client.WorkflowRun, path string) {
	t.Helper()
	h := fetchHistory(t, env.Client, run.GetID(), run.GetRunID())
	data, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d events", path, len(h.GetEvents()))
}

// absentMerchant is a merchant URL on a closed port; open starts a merchant
// there that acknowledges every event, until the test ends.
func absentMerchant(t *testing.T) (url string, open func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/hooks/paycancel", func() {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("reopen %s: %v", addr, err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }),
			ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		t.Cleanup(func() { _ = srv.Close() })
	}
}

func waitStatus(t *testing.T, env *testenv.Env, run client.WorkflowRun, ok func(contract.Status) bool) contract.Status {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var st contract.Status
		v, err := env.Client.QueryWorkflow(context.Background(), run.GetID(), run.GetRunID(), contract.QueryStatus)
		if err == nil {
			err = v.Get(&st)
		}
		if err == nil && ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: status never came (last %+v, err %v)", run.GetID(), st, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func sendUpdate(t *testing.T, env *testenv.Env, run client.WorkflowRun, name string, arg any) contract.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h, err := env.Client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: run.GetID(), RunID: run.GetRunID(),
		UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
	var st contract.Status
	if err == nil {
		err = h.Get(ctx, &st)
	}
	if err != nil {
		t.Fatalf("%s on %s: %v", name, run.GetID(), err)
	}
	return st
}
