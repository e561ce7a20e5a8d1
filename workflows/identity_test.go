package workflows_test

// Merchant-scoped identity: the workflow id and business key are scoped by the
// merchant; a new cancel without a merchant, with an id that is not its request's,
// or naming another merchant's credential fails before anything is sent; cancels
// started before merchant-scoped ids keep running as they started.

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/paycancel/paycancel/activities"
	"github.com/paycancel/paycancel/workflows/contract"
)

func TestWorkflowIDForms(t *testing.T) {
	if got := contract.WorkflowID("acme", "gnete", "A1001"); got != "cancel/acme/gnete/A1001" {
		t.Errorf("scoped id %q", got)
	}
	if got := contract.LegacyWorkflowID("gnete", "A1001"); got != "cancel/gnete/A1001" {
		t.Errorf("legacy id %q", got)
	}
	cases := []struct {
		id   string
		want contract.Identity
		ok   bool
	}{
		{"cancel/acme/gnete/A1001", contract.Identity{Merchant: "acme", Provider: "gnete", MerchantOrderNo: "A1001"}, true},
		{"cancel/gnete/A1001", contract.Identity{Provider: "gnete", MerchantOrderNo: "A1001"}, true},
		// A merchant named like a provider is still a merchant: four parts.
		{"cancel/ksher/gnete/A1001", contract.Identity{Merchant: "ksher", Provider: "gnete", MerchantOrderNo: "A1001"}, true},
		{"cancel/acme/stripe/A1001", contract.Identity{}, false},
		{"cancel/ac me/gnete/A1001", contract.Identity{}, false},
		{"cancel/gnete/", contract.Identity{}, false},
		{"refund/acme/gnete/A1001", contract.Identity{}, false},
		{"cancel/acme/gnete/A1001/x", contract.Identity{}, false},
	}
	for _, tc := range cases {
		got, ok := contract.ParseWorkflowID(tc.id)
		if ok != tc.ok || got != tc.want {
			t.Errorf("ParseWorkflowID(%q) = %+v, %v; want %+v, %v", tc.id, got, ok, tc.want, tc.ok)
		}
		if ok && got.Legacy() != (got.Merchant == "") {
			t.Errorf("%q: Legacy() %v", tc.id, got.Legacy())
		}
	}
}

// The business key of a cancel started before merchant-scoped ids is what it
// always was (running cancels keep theirs in their status anyway); a scoped id's
// key carries the merchant; both stay within PayerMax's 64 characters.
func TestCancelKeyForms(t *testing.T) {
	if got := contract.CancelKey(contract.LegacyWorkflowID("payermax", "ord-1001")); got != "pc-payermax-ord-1001" {
		t.Errorf("legacy key %q", got)
	}
	a := contract.CancelKey(contract.WorkflowID("acme", "payermax", "DUP1"))
	b := contract.CancelKey(contract.WorkflowID("globex", "payermax", "DUP1"))
	if a != "pc-acme-payermax-DUP1" || b != "pc-globex-payermax-DUP1" {
		t.Errorf("keys %q, %q", a, b)
	}
	long := strings.Repeat("m", 64)
	order := strings.Repeat("9", 64)
	k1 := contract.CancelKey(contract.WorkflowID(long, "payermax", order))
	k2 := contract.CancelKey(contract.WorkflowID(long[1:], "payermax", order))
	if len(k1) > 64 || len(k2) > 64 || k1 == k2 || k1 != contract.CancelKey(contract.WorkflowID(long, "payermax", order)) {
		t.Errorf("long keys %q, %q: want stable, distinct and at most 64 characters", k1, k2)
	}
}

func TestValidateStart(t *testing.T) {
	req := contract.CancelRequest{Merchant: "acme", Provider: "gnete", Credential: "acme-gnete", MerchantOrderNo: "A1",
		Amount: 100, Currency: "HKD"}
	if err := req.ValidateStart(); err != nil {
		t.Fatal(err)
	}
	noMerchant := req
	noMerchant.Merchant = ""
	if err := noMerchant.ValidateStart(); err == nil || !strings.Contains(err.Error(), "merchant is required") {
		t.Errorf("no merchant: %v", err)
	}
	if err := noMerchant.Validate(); err != nil {
		t.Errorf("Validate must accept a request without merchant (legacy runs replay through it): %v", err)
	}
	bad := req
	bad.Merchant = "acme/x"
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "merchant") {
		t.Errorf("merchant with '/': %v", err)
	}
}

func TestRequestDifferences(t *testing.T) {
	start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.FixedZone("HKT", 8*3600))
	deadline := start.Add(time.Hour)
	base := contract.CancelRequest{Merchant: "acme", Provider: "payermax", Credential: "acme-payermax", MerchantOrderNo: "DUP1",
		Amount: 1000, Currency: "USD", PayStartedAt: start, PayTimeout: 15 * time.Minute, CancelDeadline: &deadline}
	same := base
	same.PayStartedAt = start.UTC() // the same instant, another zone
	d2 := deadline.UTC()
	same.CancelDeadline = &d2
	if diffs := contract.RequestDifferences(base, same); len(diffs) != 0 {
		t.Errorf("same request: %v", diffs)
	}
	other := base
	other.Credential, other.Amount, other.Currency, other.CancelDeadline = "acme-payermax-2", 2000, "EUR", nil
	diffs := contract.RequestDifferences(base, other)
	var fields []string
	for _, d := range diffs {
		fields = append(fields, d.Field)
	}
	if strings.Join(fields, ",") != "credential,amount,currency,cancelDeadline" {
		t.Fatalf("fields %v", fields)
	}
	if diffs[1].Existing != "1000" || diffs[1].Requested != "2000" || diffs[3].Requested != "" ||
		!strings.Contains(diffs[3].String(), "(none)") {
		t.Errorf("differences %+v", diffs)
	}
	// A run that continued as new recorded the pay start its first run resolved:
	// a request without one is not compared on it.
	carried := base
	carried.Carry = &contract.Carry{}
	noStart := base
	noStart.PayStartedAt = time.Time{}
	if diffs := contract.RequestDifferences(carried, noStart); len(diffs) != 0 {
		t.Errorf("carried run against a request without payStartedAt: %v", diffs)
	}
	if diffs := contract.RequestDifferences(base, noStart); len(diffs) != 1 || diffs[0].Field != "payStartedAt" {
		t.Errorf("first run against a request without payStartedAt: %v", diffs)
	}
}

func wantInvalid(t *testing.T, err error, contains string) {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != "InvalidCancelRequest" || !appErr.NonRetryable() ||
		!strings.Contains(appErr.Message(), contains) {
		t.Fatalf("error %v, want a non-retryable InvalidCancelRequest saying %q", err, contains)
	}
}

func TestNewCancelWithoutMerchantFails(t *testing.T) {
	w := newWF(t)
	w.req.Merchant = ""
	w.id = contract.LegacyWorkflowID("payermax", "ord-1001")
	_, err := w.run()
	wantInvalid(t, err, "merchant is required")
	if w.policyLoads != 0 || len(w.cancels) != 0 || len(w.notifies) != 0 {
		t.Errorf("policy loads %d, cancels %d, notifications %d: nothing may run", w.policyLoads, len(w.cancels), len(w.notifies))
	}
}

func TestWorkflowIDMustBeTheRequests(t *testing.T) {
	for _, id := range []string{
		contract.LegacyWorkflowID("payermax", "ord-1001"),     // the old form, with a merchant
		contract.WorkflowID("globex", "payermax", "ord-1001"), // another merchant's id
		contract.WorkflowID("acme", "payermax", "ord-1002"),   // another order's id
		"my-cancel", // any id
	} {
		w := newWF(t)
		w.id = id
		_, err := w.run()
		wantInvalid(t, err, contract.WorkflowID("acme", "payermax", "ord-1001"))
		if w.policyLoads != 0 || len(w.cancels) != 0 {
			t.Errorf("%s: policy loads %d, cancels %d", id, w.policyLoads, len(w.cancels))
		}
	}
}

func credentialOfAnotherMerchant() error {
	return temporal.NewNonRetryableApplicationError(`credential "globex-payermax" is not one of merchant "acme"'s credential sets`,
		activities.ErrCredentialNotOfMerchant, nil)
}

func TestCredentialOfAnotherMerchantFailsTheRun(t *testing.T) {
	w := newWF(t)
	w.req.Credential = "globex-payermax"
	w.policyErr = func(int) error { return credentialOfAnotherMerchant() }
	_, err := w.run()
	wantInvalid(t, err, `is not one of merchant "acme"'s credential sets`)
	if w.policyLoads != 1 || len(w.cancels) != 0 || len(w.notifies) != 0 || w.queryPayments != 0 {
		t.Errorf("policy loads %d, cancels %d, notifications %d, payment queries %d: nothing may be sent",
			w.policyLoads, len(w.cancels), len(w.notifies), w.queryPayments)
	}
}

// A cancel already under way whose credential moved to another merchant in the
// configuration is not dropped when an operator retries it: it stays in review.
func TestCredentialMovedWhileInReviewStaysInReview(t *testing.T) {
	w := newWF(t)
	w.policyErr = func(n int) error {
		if n == 1 {
			return temporal.NewNonRetryableApplicationError("credential unknown", activities.ErrUnknownCredential, nil)
		}
		return credentialOfAnotherMerchant()
	}
	var afterRetry contract.Status
	w.at(time.Hour, func() {
		w.update(contract.UpdateResolve, "r1", contract.Resolution{Action: "RETRY_CANCEL", Operator: "ops@acme"})
	})
	w.at(2*time.Hour, func() {
		afterRetry = w.status()
		w.update(contract.UpdateResolve, "r2", contract.Resolution{Action: "NOT_NEEDED", Operator: "ops@acme"})
	})
	st := w.mustRun()
	wantState(t, afterRetry, contract.StateNeedsReview)
	if afterRetry.ReviewReason != contract.ReviewConfiguration || w.policyLoads != 2 || len(w.cancels) != 0 {
		t.Errorf("after the retry: %+v; policy loads %d, cancels %d", afterRetry, w.policyLoads, len(w.cancels))
	}
	wantState(t, st, contract.StateResolvedNotNeeded)
}

func TestMerchantInStatusAndSearchAttributes(t *testing.T) {
	w := newWF(t)
	st := w.mustRun()
	if st.Merchant != "acme" || st.WorkflowID != contract.WorkflowID("acme", "payermax", "ord-1001") {
		t.Errorf("status merchant %q, id %q", st.Merchant, st.WorkflowID)
	}
	// Set once, with the first state (the starter sets it at start too).
	if len(w.merchants) != 1 || w.merchants[0] != "acme" {
		t.Errorf("Merchant upserts %v, want [acme]", w.merchants)
	}
}

// A run of a cancel started before merchant-scoped ids continues as new after the
// upgrade: its request has no merchant, and it goes on (no refusal, no Merchant
// attribute); its status names the merchant its policy recorded.
func TestLegacyContinuedRunGoesOn(t *testing.T) {
	w1, next := pendingForARun(t)
	next.Merchant = ""
	next.Carry.Status.Merchant = ""
	next.Carry.Status.WorkflowID = contract.LegacyWorkflowID("payermax", "ord-1001")

	w2 := newWF(t)
	w2.env.SetStartTime(w1.env.Now())
	w2.req = next
	w2.id = contract.LegacyWorkflowID("payermax", "ord-1001")
	st := w2.mustRun()
	wantState(t, st, contract.StateCancelled)
	if st.Runs != 2 || st.Merchant != "acme" || len(w2.merchants) != 0 || w2.policyLoads != 0 {
		t.Errorf("runs %d, merchant %q, Merchant upserts %v, policy loads %d", st.Runs, st.Merchant, w2.merchants, w2.policyLoads)
	}
}
