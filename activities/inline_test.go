package activities

import (
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/workflows/contract"
)

// TestQuietTail checks, rule by rule, when the cancel activity may decide and
// notify the merchant itself: histories newest first, as the server's reverse
// read returns them.
func TestQuietTail(t *testing.T) {
	ev := func(t enumspb.EventType) *historypb.HistoryEvent { return &historypb.HistoryEvent{EventType: t} }
	scheduled := func(id string) *historypb.HistoryEvent {
		return &historypb.HistoryEvent{EventType: enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
			Attributes: &historypb.HistoryEvent_ActivityTaskScheduledEventAttributes{ActivityTaskScheduledEventAttributes: &historypb.ActivityTaskScheduledEventAttributes{ActivityId: id}}}
	}
	signal := func(name string, arg any) *historypb.HistoryEvent {
		var in *commonpb.Payloads
		if arg != nil {
			p, err := converter.GetDefaultDataConverter().ToPayloads(arg)
			if err != nil {
				t.Fatal(err)
			}
			in = p
		}
		return &historypb.HistoryEvent{EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
			Attributes: &historypb.HistoryEvent_WorkflowExecutionSignaledEventAttributes{WorkflowExecutionSignaledEventAttributes: &historypb.WorkflowExecutionSignaledEventAttributes{SignalName: name, Input: in}}}
	}
	done := providers.Notification{Type: providers.NotifyCancelResult, Outcome: providers.Outcome{Kind: providers.Succeeded}}
	failed := providers.Notification{Type: providers.NotifyCancelResult, Outcome: providers.Outcome{Kind: providers.Failed, Reason: providers.ReasonAlreadyPaid}}
	paid := providers.Notification{Type: providers.NotifyPaymentResult, Payment: providers.PaymentPaid}
	const (
		wfSched = enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED
		wfStart = enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED
		wfDone  = enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
	)
	cases := []struct {
		name         string
		events       []*historypb.HistoryEvent
		quiet, again bool
	}{
		{"nothing since the call was scheduled", []*historypb.HistoryEvent{scheduled("9"), ev(wfDone)}, true, false},
		{"the activity's own start", []*historypb.HistoryEvent{ev(enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED), scheduled("9")}, true, false},
		{"another activity's scheduling", []*historypb.HistoryEvent{scheduled("15"), ev(wfDone)}, false, false},
		{"the scheduling not in the page", []*historypb.HistoryEvent{ev(wfDone), ev(wfStart), ev(wfSched)}, false, false},
		{"an agreeing provider notification, its task completed",
			[]*historypb.HistoryEvent{ev(wfDone), ev(wfStart), ev(wfSched), signal(contract.SignalProviderNotification, done), scheduled("9")}, true, false},
		{"an agreeing provider notification, its task under way",
			[]*historypb.HistoryEvent{ev(wfStart), ev(wfSched), signal(contract.SignalProviderNotification, done), scheduled("9")}, false, true},
		{"an agreeing provider notification, its task scheduled",
			[]*historypb.HistoryEvent{ev(wfSched), signal(contract.SignalProviderNotification, done), scheduled("9")}, false, true},
		{"a task under way after a payment result",
			[]*historypb.HistoryEvent{ev(wfSched), signal(contract.SignalPaymentResult, contract.PaymentResult{Status: "PAID"}), scheduled("9")}, false, true},
		{"an agreeing notification buffered after a task",
			[]*historypb.HistoryEvent{signal(contract.SignalProviderNotification, done), ev(wfDone), ev(wfStart), ev(wfSched), scheduled("9")}, true, false},
		{"a provider notification that the cancel failed",
			[]*historypb.HistoryEvent{ev(wfDone), ev(wfStart), ev(wfSched), signal(contract.SignalProviderNotification, failed), scheduled("9")}, false, false},
		{"a provider notification that the payment is paid",
			[]*historypb.HistoryEvent{signal(contract.SignalProviderNotification, paid), scheduled("9")}, false, false},
		{"a provider notification that does not decode",
			[]*historypb.HistoryEvent{signal(contract.SignalProviderNotification, "garbage"), scheduled("9")}, false, false},
		{"a payment result", []*historypb.HistoryEvent{signal(contract.SignalPaymentResult, contract.PaymentResult{Status: "PAID"}), scheduled("9")}, false, false},
		{"a recheck (GNETE's unmatched cancel notification)", []*historypb.HistoryEvent{signal(contract.SignalRecheck, nil), scheduled("9")}, true, false},
		{"a stop", []*historypb.HistoryEvent{ev(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED), scheduled("9")}, false, false},
		{"an accepted update", []*historypb.HistoryEvent{ev(enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED), ev(wfDone), ev(wfStart), ev(wfSched), scheduled("9")}, false, false},
		{"a failed workflow task", []*historypb.HistoryEvent{ev(enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED), ev(wfStart), ev(wfSched), signal(contract.SignalProviderNotification, done), scheduled("9")}, false, false},
		{"an empty page", nil, false, false},
	}
	for _, c := range cases {
		if quiet, again := quietTail(c.events, "9"); quiet != c.quiet || again != c.again {
			t.Errorf("%s: quiet %v, ask again %v; want %v, %v", c.name, quiet, again, c.quiet, c.again)
		}
	}
}
