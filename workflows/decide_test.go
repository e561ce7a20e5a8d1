package workflows

import (
	"testing"

	"github.com/paycancel/paycancel/activities"
	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/workflows/contract"
)

// TestReviewReasons: a verified failed answer and a failed cancel activity of the
// same reason land in review for the same reason, rule by rule.
func TestReviewReasons(t *testing.T) {
	for _, c := range []struct{ of, got, want string }{
		{"answer WINDOW_EXPIRED", reviewReason(providers.ReasonWindowExpired), contract.ReviewWindowExpired},
		{"answer CONFIGURATION", reviewReason(providers.ReasonConfiguration), contract.ReviewConfiguration},
		{"answer NOT_FOUND", reviewReason(providers.ReasonNotFound), contract.ReviewNotFound},
		{"answer INVALID_REQUEST", reviewReason(providers.ReasonInvalidRequest), contract.ReviewInvalidRequest},
		{"answer REJECTED", reviewReason(providers.ReasonRejected), contract.ReviewRejected},
		{"answer PAYMENT_CLOSED", reviewReason(providers.ReasonPaymentClosed), contract.ReviewRejected},
		{"answer ALREADY_PAID", reviewReason(providers.ReasonAlreadyPaid), contract.ReviewRejected},
		{"answer of a reason added later", reviewReason("SOMETHING_NEW"), contract.ReviewRejected},
		{"failure " + activities.ErrUnknownOutcome, reviewOfFailure(activities.ErrUnknownOutcome), contract.ReviewAttemptsExhausted},
		{"failure " + activities.ErrRateLimited, reviewOfFailure(activities.ErrRateLimited), contract.ReviewAttemptsExhausted},
		{"failure " + activities.ErrUnknownCredential, reviewOfFailure(activities.ErrUnknownCredential), contract.ReviewConfiguration},
		{"failure of a type added later", reviewOfFailure("SomethingElse"), contract.ReviewAttemptsExhausted},
	} {
		if c.got != c.want {
			t.Errorf("%s: review reason %s, want %s", c.of, c.got, c.want)
		}
	}
}
