package activities

// The merchant notification a verified cancel starts, sent by the cancel activity
// itself (CancelCall.Notify): the happy path then needs no notification activity
// and no third workflow task. The workflow decides CANCELLED from the answer and
// what it has received when it reads the cancel's result; here the same decision
// is made earlier, so it may be made only when nothing that could change it
// reached the workflow since it scheduled the cancel (quietSinceScheduled).
// Anything else leaves the decision and the notification to the workflow.

import (
	"context"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/workflows/contract"
)

const (
	// inlineNoticeBudget bounds the notification's HTTP exchange. With the
	// completion's margin it stays within the cancel activity's heartbeat timeout
	// (15 s), counted from the attempt's start or from a heartbeat sent just
	// before the exchange: the activity completes asynchronously and sends none
	// meanwhile.
	inlineNoticeBudget = 8 * time.Second
	// inlineNoticeMargin is the time the completion needs after the exchange,
	// within the attempt's start-to-close deadline.
	inlineNoticeMargin = 3 * time.Second
	// maxInlineNotices bounds the notifications under way at once on this worker;
	// past it a cancel leaves its notification to the workflow.
	maxInlineNotices = 256
)

// notifyInline makes the merchant notification of a done cancel (res) when the
// workflow asked for it (in.Notify) and nothing reached the workflow since it
// scheduled this activity. The exchange runs outside the activity's slot: the
// activity returns activity.ErrResultPending, so a slow merchant endpoint never
// holds one of the provider's call slots, and the result — the cancel's outcome
// and the notification's — is completed through the client. Otherwise it returns
// res as it is, and the workflow notifies.
//
// A worker lost before the completion loses nothing: the attempt times out and is
// retried, which asks the provider first (already cancelled), then notifies again
// with the same webhook-id, which the merchant deduplicates.
func (a *Activities) notifyInline(ctx context.Context, in CancelCall, res CancelResult) (CancelResult, error) {
	if in.Notify == nil || !res.Outcome.Done() || a.Temporal == nil || !activity.IsActivity(ctx) {
		return res, nil
	}
	info := activity.GetInfo(ctx)
	log := activity.GetLogger(ctx)
	if time.Until(info.Deadline) < inlineNoticeBudget+inlineNoticeMargin {
		return res, nil
	}
	quiet, err := a.quietSinceScheduled(ctx, info)
	if err != nil {
		log.Warn("could not read the workflow's history; the workflow notifies the merchant", "error", err)
		return res, nil
	}
	if !quiet {
		// A signal, an update or a stop arrived meanwhile: the workflow reads it
		// before it decides, and notifies.
		return res, nil
	}
	slots := a.inlineSlots()
	select {
	case slots <- struct{}{}:
	default:
		return res, nil
	}
	call := *in.Notify
	call.Event.ProviderCode, call.Event.ProviderMessage = res.Outcome.Code, res.Outcome.Message
	call.Event.ProviderRef = in.ProviderRef
	if res.Outcome.ProviderRef != "" {
		call.Event.ProviderRef = res.Outcome.ProviderRef
	}
	token := info.TaskToken
	// A heartbeat before the exchange only when the attempt has run long enough
	// that the heartbeat timeout, counted from its start at the earliest, could
	// fall within it (a fast provider call, the common case, needs none).
	beat := info.HeartbeatTimeout > 0 &&
		time.Until(info.StartedTime.Add(info.HeartbeatTimeout)) < inlineNoticeBudget+inlineNoticeMargin+time.Second
	a.notices.Add(1)
	go func() {
		defer func() { <-slots; a.notices.Done() }()
		if beat {
			// The heartbeat timeout counts from the last heartbeat the SDK sent
			// during a long provider call, which its throttling may have kept
			// seconds back. Its error (a cancellation requested) changes nothing:
			// the attempt is made and reported, as a provider call under way is.
			hctx, cancel := context.WithTimeout(context.Background(), inlineNoticeMargin)
			_ = a.Temporal.RecordActivityHeartbeat(hctx, token)
			cancel()
		}
		res.NotifiedAt = a.now()
		call.Event.OccurredAt = res.NotifiedAt
		nctx, cancel := context.WithTimeout(context.Background(), inlineNoticeBudget)
		sent, err := a.NotifyMerchant(nctx, call)
		cancel()
		if err != nil {
			sent = NotifyResult{Error: err.Error()}
		}
		res.Notified = &sent
		cctx, cancel := context.WithTimeout(context.Background(), inlineNoticeMargin)
		defer cancel()
		if err := a.Temporal.CompleteActivity(cctx, token, res, nil); err != nil {
			log.Warn("could not complete the cancel after notifying the merchant; the attempt will time out and be retried",
				"error", err)
		}
	}()
	return CancelResult{}, activity.ErrResultPending
}

// quietSinceScheduled reports whether nothing reached the workflow since it
// scheduled this activity that it would read before deciding (quietTail). The
// history is read newest first: the signals a workflow task under way buffers
// are recorded after it, so the answer holds for everything the server accepted
// before this read. A workflow task under way (taking in a provider's own
// notification, typically, sent as it answered) is waited for a few times.
func (a *Activities) quietSinceScheduled(ctx context.Context, info activity.Info) (bool, error) {
	for wait := 20 * time.Millisecond; ; wait *= 2 {
		resp, err := a.Temporal.WorkflowService().GetWorkflowExecutionHistoryReverse(ctx, &workflowservice.GetWorkflowExecutionHistoryReverseRequest{
			Namespace:       info.WorkflowNamespace,
			Execution:       &commonpb.WorkflowExecution{WorkflowId: info.WorkflowExecution.ID, RunId: info.WorkflowExecution.RunID},
			MaximumPageSize: 16,
		})
		if err != nil {
			return false, err
		}
		quiet, taskUnderWay := quietTail(resp.GetHistory().GetEvents(), info.ActivityID)
		if !taskUnderWay || wait > 200*time.Millisecond {
			return quiet, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// quietTail reports whether events (a run's history, newest first) hold nothing
// after the scheduling of activity activityID but this activity's own start and
// signals that cannot change a done answer (agreeingSignal: the workflow would
// decide CANCELLED with them too), with the workflow tasks that took them in,
// each completed. A workflow task under way may hold signals not yet recorded: not
// quiet, but taskUnderWay (ask again). A payment result, any other
// notification, an update, a stop, a failed task: not quiet.
func quietTail(events []*historypb.HistoryEvent, activityID string) (quiet, taskUnderWay bool) {
	inTask := false // between a completed workflow task and its start, going back
	for i, e := range events {
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			return !inTask && e.GetActivityTaskScheduledEventAttributes().GetActivityId() == activityID, false
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			// This activity's start, when the server records it before the result:
			// the workflow waits on nothing else while the cancel runs.
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			if inTask {
				return false, false
			}
			inTask = true
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
			if !inTask {
				return false, i == 0 // the newest event: a task under way
			}
			if e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED {
				inTask = false
			}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			if !agreeingSignal(e.GetWorkflowExecutionSignaledEventAttributes()) {
				return false, false
			}
		default:
			return false, false
		}
	}
	return false, false
}

// agreeingSignal reports whether a signal cannot change a done answer: a
// provider notification that the cancel is done (verified by the worker before
// it signalled), or a recheck — it asks the provider again, which the workflow
// does only while an answer is missing (GNETE's worker sends one for a cancel
// notification it cannot yet match to the cancel).
func agreeingSignal(a *historypb.WorkflowExecutionSignaledEventAttributes) bool {
	if a.GetSignalName() == contract.SignalRecheck {
		return true
	}
	if a.GetSignalName() != contract.SignalProviderNotification {
		return false
	}
	var n providers.Notification
	if err := converter.GetDefaultDataConverter().FromPayloads(a.GetInput(), &n); err != nil {
		return false
	}
	return n.Type == providers.NotifyCancelResult && n.Outcome.Done()
}

// WaitNotices waits for a's notifications under way, each bounded by
// inlineNoticeBudget and its completion: a worker that stops calls it after its
// workers stopped and before it closes the client, so a deploy does not turn a
// sent notification into a timed-out attempt (which would notify again). A
// function, not a method: every method of Activities is registered as an activity.
func WaitNotices(a *Activities) { a.notices.Wait() }

// inlineSlots is the semaphore of notifications under way (maxInlineNotices).
func (a *Activities) inlineSlots() chan struct{} {
	a.inlineOnce.Do(func() { a.inline = make(chan struct{}, maxInlineNotices) })
	return a.inline
}
