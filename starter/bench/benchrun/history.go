package benchrun

import (
	"context"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
)

// HistoryCount is one execution's history size and the Temporal Cloud actions it
// implies.
type HistoryCount struct {
	Events  int            `json:"events"`
	Actions int            `json:"actions"`
	ByType  map[string]int `json:"byType"`
	// ActionsByKind splits Actions by the rule that counted them.
	ActionsByKind map[string]int `json:"actionsByKind"`
	// WaitsMs splits the execution's time in the server (first event to last) by
	// where it went, in milliseconds: see waitKinds.
	WaitsMs map[string]float64 `json:"waitsMs"`
}

// Where an execution's time goes, from its history's event times. A workflow
// task waits on the workflow's normal task queue (its first, and any after the
// worker lost it) or on the worker's sticky queue (the rest); "Timeouts" counts
// workflow tasks that timed out (a sticky task nobody polled within the sticky
// schedule-to-start timeout is one, then rescheduled on the normal queue);
// "TimeoutsStartToClose" counts those a worker started but did not complete in
// time (the workflow task timeout, 10 s by default).
var waitKinds = []string{"total", "wftWaitNormal", "wftWaitSticky", "wftRun", "activityWait", "activityRun", "wftTimeouts", "wftTimeoutsStartToClose"}

// ActionRules states how actions are counted from a history, after Temporal
// Cloud's "Actions" page (docs.temporal.io/cloud/actions).
const ActionRules = "Temporal Cloud actions, counted from history: workflow started 1; each activity scheduled 1, plus 1 per retry " +
	"(ActivityTaskStarted.attempt-1); local activities 1 per workflow task that recorded any local-activity markers (all local " +
	"activities of one workflow task are one action) plus their non-first attempts (metering metadata); each side effect recorded 1; " +
	"version markers (workflow.GetVersion) free; each UpsertWorkflowSearchAttributes 1 (search attributes given at start are free, " +
	"and so is an upsert of only TemporalChangeVersion, the one GetVersion makes); each timer started 1; each signal received 1; each accepted update 1; " +
	"child workflow initiated 2; workflow options updated 1. Not in history and not counted: queries (1 each, the bench sends none), " +
	"activity heartbeats that reach the server (none here: the sandboxes answer at once), rejected updates."

// countHistory reads an execution's history and counts its events and actions.
func countHistory(ctx context.Context, c client.Client, id, runID string) (HistoryCount, error) {
	it := c.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var events []*historypb.HistoryEvent
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return HistoryCount{}, err
		}
		events = append(events, e)
	}
	h := countEvents(events)
	h.WaitsMs = waits(events)
	return h, nil
}

// waits splits an execution's time by where it went (waitKinds).
func waits(events []*historypb.HistoryEvent) map[string]float64 {
	w := map[string]float64{}
	if len(events) == 0 {
		return w
	}
	byID := map[int64]*historypb.HistoryEvent{}
	ms := func(from, to *historypb.HistoryEvent) float64 {
		if from == nil || to == nil {
			return 0
		}
		return float64(to.GetEventTime().AsTime().Sub(from.GetEventTime().AsTime())) / 1e6
	}
	for _, e := range events {
		byID[e.GetEventId()] = e
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
			s := byID[e.GetWorkflowTaskStartedEventAttributes().GetScheduledEventId()]
			if s.GetWorkflowTaskScheduledEventAttributes().GetTaskQueue().GetKind() == enumspb.TASK_QUEUE_KIND_STICKY {
				w["wftWaitSticky"] += ms(s, e)
			} else {
				w["wftWaitNormal"] += ms(s, e)
			}
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			w["wftRun"] += ms(byID[e.GetWorkflowTaskCompletedEventAttributes().GetStartedEventId()], e)
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
			w["wftTimeouts"]++
			if e.GetWorkflowTaskTimedOutEventAttributes().GetTimeoutType() == enumspb.TIMEOUT_TYPE_START_TO_CLOSE {
				w["wftTimeoutsStartToClose"]++
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			w["activityWait"] += ms(byID[e.GetActivityTaskStartedEventAttributes().GetScheduledEventId()], e)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			w["activityRun"] += ms(byID[e.GetActivityTaskCompletedEventAttributes().GetStartedEventId()], e)
		}
	}
	w["total"] = ms(events[0], events[len(events)-1])
	return w
}

// The SDK's marker names (MarkerRecorded.marker_name): what a marker records
// decides whether Cloud bills it.
const (
	versionMarker           = "Version"
	sideEffectMarker        = "SideEffect"
	mutableSideEffectMarker = "MutableSideEffect"
	// changeVersionAttribute is the search attribute GetVersion upserts (the SDK
	// keeps its name internal); Cloud does not bill that upsert.
	changeVersionAttribute = "TemporalChangeVersion"
)

func countEvents(events []*historypb.HistoryEvent) HistoryCount {
	h := HistoryCount{Events: len(events), ByType: map[string]int{}, ActionsByKind: map[string]int{}}
	add := func(kind string, n int) {
		if n > 0 {
			h.ActionsByKind[kind] += n
			h.Actions += n
		}
	}
	markerTasks := map[int64]bool{}
	for _, e := range events {
		h.ByType[shortType(e.GetEventType())]++
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
			add("workflowStarted", 1)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			add("activityScheduled", 1)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			add("activityRetry", int(e.GetActivityTaskStartedEventAttributes().GetAttempt())-1)
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			m := e.GetMarkerRecordedEventAttributes()
			switch m.GetMarkerName() {
			case versionMarker: // Cloud does not bill GetVersion's marker
			case sideEffectMarker, mutableSideEffectMarker:
				add("sideEffect", 1) // a mutable side effect records a marker only when its value changed
			default: // local activities
				if wft := m.GetWorkflowTaskCompletedEventId(); !markerTasks[wft] {
					markerTasks[wft] = true
					add("localActivities", 1)
				}
			}
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			add("localActivityRetry", int(e.GetWorkflowTaskCompletedEventAttributes().GetMeteringMetadata().GetNonfirstLocalActivityExecutionAttempts()))
		case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
			fields := e.GetUpsertWorkflowSearchAttributesEventAttributes().GetSearchAttributes().GetIndexedFields()
			if _, version := fields[changeVersionAttribute]; !version || len(fields) > 1 {
				add("searchAttributeUpsert", 1) // GetVersion's own upsert is exempt
			}
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			add("timerStarted", 1)
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			add("signal", 1)
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			add("update", 1)
		case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
			add("childWorkflow", 2)
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED:
			add("optionsUpdated", 1)
		}
	}
	return h
}

func shortType(t enumspb.EventType) string {
	s := t.String()
	const p = "EVENT_TYPE_"
	if len(s) > len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}
