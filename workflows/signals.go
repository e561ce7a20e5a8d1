package workflows

// The one wait of the polling phases and the drain of signals already received,
// with what a signal decides under the current phase.

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/workflows/contract"
)

// waitSignal is the one wait of the polling phases (awaiting the payment,
// confirming a pending cancel): up to d, or until a payment result, a provider
// notification or a recheck arrives, or an operator stops the cancel. decided is
// what a signal decides under the current phase's rules (decision).
func (r *run) waitSignal(d time.Duration) (decided string, recheck bool) {
	_, cancelTimer := r.waitTimerOr(d, func(sel workflow.Selector) {
		r.addSignalCases(sel, &decided, &recheck)
	})
	cancelTimer()
	return decided, recheck
}

// waitTimerOr is the one selector of the workflow's timed waits: it starts a
// timer of d, lets add put the other cases on the selector, and waits for the
// first ready case. The caller gets the timer and its cancel func: cancelling a
// timer that has not fired is a command (TimerCanceled), so each caller decides
// when, exactly as it did before this helper, and recorded histories replay.
func (r *run) waitTimerOr(d time.Duration, add func(workflow.Selector)) (timer workflow.Future, cancelTimer workflow.CancelFunc) {
	timerCtx, cancelTimer := workflow.WithCancel(r.ctx)
	timer = workflow.NewTimer(timerCtx, d)
	sel := workflow.NewSelector(r.ctx)
	sel.AddFuture(timer, func(workflow.Future) {})
	add(sel)
	r.showDetails() // the next check, the last answer: as they stand while waiting
	sel.Select(r.ctx)
	return timer, cancelTimer
}

// addSignalCases adds the polling phases' signal cases (and the stop) to sel.
func (r *run) addSignalCases(sel workflow.Selector, decided *string, recheck *bool) {
	payment := func(c workflow.ReceiveChannel, _ bool) {
		var pr contract.PaymentResult
		c.Receive(r.ctx, &pr)
		*decided = r.paymentDecision(pr)
	}
	provider := func(c workflow.ReceiveChannel, _ bool) {
		var n providers.Notification
		c.Receive(r.ctx, &n)
		*decided = r.notificationDecision(n)
	}
	// When two signals wait together, the first case added is read first: each
	// phase keeps the order it had before this helper, so recorded histories
	// replay as they ran.
	if r.st.State == contract.StateAwaitingPayment {
		sel.AddReceive(r.paymentCh, payment)
		sel.AddReceive(r.providerCh, provider)
	} else {
		sel.AddReceive(r.providerCh, provider)
		sel.AddReceive(r.paymentCh, payment)
	}
	sel.AddReceive(r.recheckCh, func(c workflow.ReceiveChannel, _ bool) {
		c.Receive(r.ctx, nil)
		*recheck = true
	})
	// A stop cancels the timer too; this case only makes the wake-up explicit.
	sel.AddReceive(r.ctx.Done(), func(c workflow.ReceiveChannel, _ bool) { c.Receive(r.ctx, nil) })
}

// paymentDecision maps a payment-result signal: while awaiting the payment PAID or
// NOT_NEEDED; once cancelling, a payment reported paid is PAID_AT_CANCEL.
func (r *run) paymentDecision(pr contract.PaymentResult) string {
	d := paymentSignalState(pr.Status)
	switch {
	case r.st.State == contract.StateAwaitingPayment:
		return d
	case d == contract.StatePaid:
		return contract.StatePaidAtCancel
	}
	return ""
}

// notificationDecision maps a verified provider notification under the current phase.
func (r *run) notificationDecision(n providers.Notification) string {
	if r.st.State == contract.StateAwaitingPayment {
		if n.Type == providers.NotifyPaymentResult {
			return paymentStateDecision(n.Payment)
		}
		return ""
	}
	return r.fromNotification(n)
}

// drain reads the signals already received without waiting, and returns what
// they decide under the current phase's rules: evidence of a payment (PAID,
// PAID_AT_CANCEL) wins, otherwise the first decision. With withRecheck it also
// reads recheck signals into r.recheck (continue-as-new carries it); otherwise
// those stay for the next wait.
func (r *run) drain(withRecheck bool) string {
	decided := ""
	take := func(d string) {
		paid := func(s string) bool { return s == contract.StatePaid || s == contract.StatePaidAtCancel }
		if d != "" && (decided == "" || (paid(d) && !paid(decided))) {
			decided = d
		}
	}
	drainEach(r.paymentCh, func(pr contract.PaymentResult) { take(r.paymentDecision(pr)) })
	drainEach(r.providerCh, func(n providers.Notification) { take(r.notificationDecision(n)) })
	for withRecheck && r.recheckCh.ReceiveAsync(nil) {
		r.recheck = true
	}
	return decided
}

// drainEach hands every value already in ch to f, without waiting.
func drainEach[T any](ch workflow.ReceiveChannel, f func(T)) {
	for {
		var v T
		if !ch.ReceiveAsync(&v) {
			return
		}
		f(v)
	}
}
