package workflows_test

import (
	"testing"

	"github.com/paycancel/paycancel/activities"
	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/workflows/contract"
)

// A verified answer that the payment failed or closed on its own (provider
// Reason PAYMENT_CLOSED: PayerMax FAILED, Alipay+ FAIL, GNETE states 3/6) ends the
// cancel NOT_NEEDED with the provider's words: no money moves, and nothing was
// cancelled, so it is neither CANCELLED nor a review.

func paymentFailed() providers.Outcome {
	return providers.FailedOutcome(providers.ReasonPaymentClosed, "FAILED", "order FAILED: the payment failed, nothing to cancel and no money moves (Payment failed.)")
}

func TestPaymentClosedWhileCancelling(t *testing.T) {
	w := newWF(t)
	w.cancelFn = failWith(activities.ErrPaymentClosed, paymentFailed())
	st := w.mustRun()
	wantState(t, st, contract.StateNotNeeded)
	if st.ReviewReason != "" || st.LastOutcome.Code != "FAILED" || st.LastOutcome.Reason != providers.ReasonPaymentClosed {
		t.Fatalf("status %+v", st)
	}
	wantNotified(t, w, contract.StateNotNeeded)
	if ev := w.notifies[0].Event; ev.ProviderCode != "FAILED" || ev.ProviderMessage != paymentFailed().Message {
		t.Fatalf("the merchant is not told the provider's words: %+v", ev)
	}
}

func TestPaymentClosedWhileConfirming(t *testing.T) {
	w := pendingWF(t, pendingUntil(3, paymentFailed()))
	st := w.mustRun()
	wantState(t, st, contract.StateNotNeeded)
	if st.QueryAttempts != 3 || st.LastOutcome.Reason != providers.ReasonPaymentClosed {
		t.Fatalf("status %+v", st)
	}
	wantNotified(t, w, contract.StateNotNeeded)
}
