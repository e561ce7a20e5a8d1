package contract_test

import (
	"slices"
	"strings"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/paycancel/paycancel/workflows/contract"
)

// TestCheckOrderNo: lengths are counted in bytes, the strictest count any
// provider uses, so a number that passes here passes every adapter.
func TestCheckOrderNo(t *testing.T) {
	for _, tc := range []struct {
		provider, order, problem string
	}{
		{"gnete", strings.Repeat("x", 30), ""},
		{"gnete", strings.Repeat("x", 31), "merchantOrderNo is 31 bytes; gnete allows at most 30"},
		{"ksher", strings.Repeat("x", 32), ""},
		{"ksher", strings.Repeat("x", 33), "ksher allows at most 32"},
		{"payermax", strings.Repeat("x", 64), ""},
		{"payermax", strings.Repeat("x", 65), "merchantOrderNo is longer than 64 bytes"},
		// 15 two-byte characters are 30 bytes: fine; 16 are 32 bytes, though only
		// 16 characters: refused for GNETE.
		{"gnete", strings.Repeat("é", 15), ""},
		{"gnete", strings.Repeat("é", 16), "merchantOrderNo is 32 bytes; gnete allows at most 30"},
		{"gnete", "", "merchantOrderNo is required"},
		{"gnete", "a/b", `merchantOrderNo "a/b" must not contain '/'`},
		{"gnete", "a b", "must not contain"},
		{"gnete", "a\x00", "must not contain"},
		{"gnete", "\xff", "must not contain"}, // not UTF-8
		{"unknown", strings.Repeat("x", 64), ""},
	} {
		err := contract.CheckOrderNo(tc.provider, tc.order)
		switch {
		case tc.problem == "" && err != nil:
			t.Errorf("%s %q: %v", tc.provider, tc.order, err)
		case tc.problem != "" && (err == nil || !strings.Contains(err.Error(), tc.problem)):
			t.Errorf("%s %q: got %v, want %q", tc.provider, tc.order, err, tc.problem)
		}
	}
}

// TestStates: every state is listed once, in-flight and final states do not
// overlap, and AllStates is sorted (the reconciliation records it in history).
func TestStates(t *testing.T) {
	all := contract.AllStates()
	if !slices.IsSorted(all) {
		t.Errorf("AllStates not sorted: %v", all)
	}
	want := []string{contract.StateAwaitingPayment, contract.StateCancelling, contract.StateConfirming,
		contract.StateNeedsReview, contract.StatePaid, contract.StateNotNeeded, contract.StateCancelled,
		contract.StatePaidAtCancel, contract.StateResolvedCancelled, contract.StateResolvedPaid,
		contract.StateResolvedRefunded, contract.StateResolvedNotNeeded, contract.StateNotifyExhausted, contract.StateStopped}
	slices.Sort(want)
	if !slices.Equal(all, want) {
		t.Errorf("AllStates = %v, want %v", all, want)
	}
	for _, s := range contract.InFlightStates {
		if contract.IsFinal(s) {
			t.Errorf("%s is both in flight and final", s)
		}
	}
	for _, s := range contract.ResolutionActions {
		if !slices.Contains(all, s) {
			t.Errorf("resolution leads to unknown state %s", s)
		}
	}
}

// TestStartOptions: the id is the merchant-scoped one, a finished cancel is never
// started again, and the state set at start follows the pay timeout.
func TestStartOptions(t *testing.T) {
	req := contract.CancelRequest{Merchant: "acme", Provider: "gnete", MerchantOrderNo: "A1"}
	o := contract.StartOptions(req, "q")
	if o.ID != "cancel/acme/gnete/A1" || o.TaskQueue != "q" || !o.WorkflowExecutionErrorWhenAlreadyStarted ||
		o.WorkflowIDReusePolicy != enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY ||
		o.WorkflowIDConflictPolicy != enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL {
		t.Errorf("options %+v", o)
	}
	state := func(o contract.CancelRequest) string {
		v, _ := contract.StartOptions(o, "q").TypedSearchAttributes.GetKeyword(contract.SACancelState)
		return v
	}
	if s := state(req); s != contract.StateCancelling {
		t.Errorf("no pay timeout: CancelState %q", s)
	}
	req.PayTimeout = 1
	if s := state(req); s != contract.StateAwaitingPayment {
		t.Errorf("with a pay timeout: CancelState %q", s)
	}
	if m, _ := o.TypedSearchAttributes.GetKeyword(contract.SAMerchant); m != "acme" {
		t.Errorf("Merchant attribute %q", m)
	}
}

// TestParseWorkflowID reads both id forms and refuses others.
func TestParseWorkflowID(t *testing.T) {
	for id, want := range map[string]contract.Identity{
		contract.WorkflowID("acme", "ksher", "A1"): {Merchant: "acme", Provider: "ksher", MerchantOrderNo: "A1"},
		contract.LegacyWorkflowID("ksher", "A1"):   {Provider: "ksher", MerchantOrderNo: "A1"},
	} {
		if got, ok := contract.ParseWorkflowID(id); !ok || got != want {
			t.Errorf("%s: %+v %v", id, got, ok)
		}
	}
	for _, id := range []string{"cancel/acme/nope/A1", "cancel/ksher/", "other/ksher/A1", "cancel/a b/ksher/A1"} {
		if got, ok := contract.ParseWorkflowID(id); ok {
			t.Errorf("%s parsed as %+v", id, got)
		}
	}
}
