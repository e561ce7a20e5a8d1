package simkit

import "testing"

func TestStatusNames(t *testing.T) {
	names := StatusNames{Paying: "paying", InOTP: "otp", Paid: "paid", Failed: "failed", Cancelled: "cancelled", Refunded: "refunded"}
	for _, tc := range []struct {
		state   State
		pending bool
		want    string
	}{
		{Paying, false, "paying"},
		{InOTP, false, "otp"},
		{Paid, false, "paid"},
		{Failed, false, "failed"},
		{Cancelled, false, "cancelled"},
		{Refunded, false, "refunded"},
		// An accepted cancel that has not completed shows the state before it.
		{Cancelled, true, "paying"},
		{Refunded, true, "paid"},
		{State("NEW"), false, "paying"},
	} {
		if got := names.Of(Payment{State: tc.state, CancelPending: tc.pending}); got != tc.want {
			t.Errorf("%s (pending %v): %q, want %q", tc.state, tc.pending, got, tc.want)
		}
	}
}
