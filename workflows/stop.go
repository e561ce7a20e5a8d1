package workflows

// An operator's stop (a workflow cancellation request) and the call wait that
// notices it.

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/paycancel/paycancel/workflows/contract"
)

// stopRequested reports whether the workflow's cancellation was requested and is
// handled as a stop. The version is taken when a request is first seen: runs that
// saw one under the earlier code (DefaultVersion) replay the earlier handling.
func (r *run) stopRequested() bool {
	if r.ctx.Err() == nil {
		return false
	}
	if !r.stopSeen {
		r.stopSeen = true
		r.stopVersion = workflow.GetVersion(r.ctx, changeStop, workflow.DefaultVersion, 1)
	}
	return r.stopVersion >= 1
}

// get waits for a provider or merchant call (scheduled with WaitForCancellation)
// and reports whether an operator's stop came while it ran. A stop cancels the
// activity with the workflow: the server ends it at once between retries, and an
// attempt under way finishes its call (the activities shield it) — get waits for
// that answer so it is recorded. ctx is the context whose cancellation is the
// stop (a disconnected one never stops).
func (r *run) get(ctx workflow.Context, fut workflow.Future, v any) (err error, stopped bool) {
	if !fut.IsReady() {
		sel := workflow.NewSelector(ctx)
		sel.AddFuture(fut, func(workflow.Future) {})
		sel.AddReceive(ctx.Done(), func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
		r.showDetails()
		sel.Select(ctx)
		if !fut.IsReady() && !r.stopRequested() {
			// Runs from before changeStop took the cancellation for the call's
			// failure at once (the call was not waited for).
			return temporal.NewCanceledError(), false
		}
	}
	err = fut.Get(ctx, v)
	return err, ctx.Err() != nil && r.stopRequested()
}

// stop ends the cancel in STOPPED: the phase and reason in Status.Stopped and the
// search attributes, the last provider answer in LastOutcome, one attempt to tell
// the merchant (with a business outcome reached before the stop as "final"),
// and every update answered. It returns the Status as the workflow's result — the
// execution completes rather than closing as canceled, so the result shows in the
// Web UI and `starter status` — and it never fails a workflow task: its calls run
// on a context the cancellation does not reach.
func (r *run) stop() (contract.Status, error) {
	ctx, _ := workflow.NewDisconnectedContext(r.ctx)
	r.st.Stopped = &contract.Stop{Phase: r.st.State, Reason: contract.StopCancelRequested, At: workflow.Now(ctx)}
	r.st.NextCheckAt = time.Time{}
	r.setState(contract.StateStopped)
	r.newEpisode(contract.StateStopped)
	if r.st.Notify.URL != "" {
		r.notifyAttempt(ctx, r.event(contract.StateStopped), true)
	}
	r.ending = true
	r.showDetails()
	_ = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	return r.st, nil
}
