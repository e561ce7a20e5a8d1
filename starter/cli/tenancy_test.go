package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/paycancel/paycancel/providers/sim/simkit"
	"github.com/paycancel/paycancel/starter/paycancel"
	"github.com/paycancel/paycancel/worker/testenv"
	"github.com/paycancel/paycancel/workflows"
	"github.com/paycancel/paycancel/workflows/contract"
)

// TestTenancyCommands: two merchants' orders with the same number are two
// cancels the commands address by --merchant; a start that differs from the
// existing cancel exits 5 listing the differences; an address that could be
// another merchant's legacy cancel exits 2 until --credential settles it.
func TestTenancyCommands(t *testing.T) {
	env := testenv.Start(t, testenv.Options{SecondMerchant: true})
	cli := inProcess(t, env)
	o := testenv.Order("ten")
	for _, m := range []string{"demo", testenv.SecondMerchantName} {
		testenv.CreatePayment(t, env.SandboxesOf(m).URL, "ksher", simkit.Payment{MerchantOrderNo: o, Amount: 5000, Currency: "THB"})
	}
	start := func(merchant, credential, amount string, extra ...string) []string {
		return append([]string{"start", "--merchant", merchant, "--provider", "ksher", "--credential", credential, "--order", o,
			"--amount", amount, "--currency", "THB", "--pay-timeout", "1h"}, extra...)
	}
	if code, out, errb := cli(start("demo", "demo-ksher", "5000")...); code != ExitOK || !strings.Contains(out, "yes (new cancel)") {
		t.Fatalf("demo's start: exit %d\n%s\n%s", code, out, errb)
	}
	// The same merchant, the same order, another amount and currency: refused.
	code, out, errb := cli(start("demo", "demo-ksher", "6000", "--currency", "USD")...)
	if code != ExitRefused || !strings.Contains(errb, "was started with a different request") ||
		!strings.Contains(out, "amount") || !strings.Contains(out, "5000") || !strings.Contains(out, "6000") ||
		!strings.Contains(out, "currency") || !strings.Contains(out, "USD") {
		t.Fatalf("conflicting start: exit %d\n%s\n%s", code, out, errb)
	}
	code, out, _ = cli(start("demo", "demo-ksher", "6000", "--json")...)
	var conflict struct {
		Started     bool                       `json:"started"`
		Conflict    bool                       `json:"conflict"`
		Existing    string                     `json:"existingStatus"`
		Differences []contract.FieldDifference `json:"differences"`
	}
	if code != ExitRefused || json.Unmarshal([]byte(out), &conflict) != nil || conflict.Started || !conflict.Conflict ||
		conflict.Existing != "RUNNING" || len(conflict.Differences) != 1 ||
		conflict.Differences[0] != (contract.FieldDifference{Field: "amount", Existing: "5000", Requested: "6000"}) {
		t.Fatalf("conflicting start --json: exit %d\n%s", code, out)
	}
	// The same request attaches (exit 0).
	if code, out, errb := cli(start("demo", "demo-ksher", "5000")...); code != ExitOK || !strings.Contains(out, "attached") {
		t.Fatalf("same request: exit %d\n%s\n%s", code, out, errb)
	}
	// Another merchant's order with the same number: its own cancel.
	if code, out, errb := cli(start(testenv.SecondMerchantName, "globex-ksher", "700")...); code != ExitOK || !strings.Contains(out, "yes (new cancel)") ||
		!strings.Contains(out, contract.WorkflowID(testenv.SecondMerchantName, "ksher", o)) {
		t.Fatalf("globex's start: exit %d\n%s\n%s", code, out, errb)
	}
	// Addressed by merchant: the signal reaches globex's cancel only.
	if code, out, errb := cli("signal-payment", "--merchant", testenv.SecondMerchantName, "--provider", "ksher", "--order", o, "--status", "PAID"); code != ExitOK ||
		!strings.Contains(out, contract.WorkflowID(testenv.SecondMerchantName, "ksher", o)) {
		t.Fatalf("signal: exit %d\n%s\n%s", code, out, errb)
	}
	waitState := func(merchant, state string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			code, out, errb := cli("status", "--merchant", merchant, "--provider", "ksher", "--order", o, "--json")
			var st contract.Status
			if code == ExitOK && json.Unmarshal([]byte(out), &st) == nil && st.State == state {
				if st.Merchant != merchant || st.WorkflowID != contract.WorkflowID(merchant, "ksher", o) {
					t.Fatalf("%s's status is another cancel's: %+v", merchant, st)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s's cancel not %s: exit %d\n%s\n%s", merchant, state, code, out, errb)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	waitState(testenv.SecondMerchantName, contract.StatePaid)
	waitState("demo", contract.StateAwaitingPayment)
	// list --merchant shows that merchant's cancels only.
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, out, errb := cli("list", "--merchant", testenv.SecondMerchantName, "--provider", "ksher", "--json")
		var list []paycancel.Summary
		if code != ExitOK || json.Unmarshal([]byte(out), &list) != nil {
			t.Fatalf("list: exit %d\n%s\n%s", code, out, errb)
		}
		found := false
		for _, s := range list {
			if s.Merchant != testenv.SecondMerchantName {
				t.Fatalf("list --merchant returned %+v", s)
			}
			found = found || s.WorkflowID == contract.WorkflowID(testenv.SecondMerchantName, "ksher", o)
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("globex's cancel not listed: %s", out)
		}
		time.Sleep(300 * time.Millisecond)
	}

	// A cancel started before merchant-scoped ids whose history does not say whose
	// it is (its policy never loaded; here in its continued form).
	o2 := o + "l"
	legacy := contract.LegacyWorkflowID("payermax", o2)
	now := time.Now()
	req := contract.CancelRequest{Provider: "payermax", Credential: "demo-payermax", MerchantOrderNo: o2, Amount: 1000, Currency: "USD",
		PayStartedAt: now, PayTimeout: time.Hour, Carry: &contract.Carry{
			Status: contract.Status{WorkflowID: legacy, Provider: "payermax", Credential: "demo-payermax", MerchantOrderNo: o2,
				CancelKey: workflows.CancelKey(legacy), PayDeadline: now.Add(time.Hour), WindowDeadline: now.Add(24 * time.Hour), Runs: 1},
			Policy: contract.CancelPolicy{MaxCancelAttempts: 3, WindowDeadline: now.Add(24 * time.Hour),
				QueryBackoff: contract.Backoff{Initial: time.Second, Max: 5 * time.Second, Multiplier: 2},
				CancelRetry:  contract.Backoff{Initial: time.Second, Max: 5 * time.Second, Multiplier: 2}}}}
	env.StartCarried(t, legacy, req)
	target := []string{"--merchant", "demo", "--provider", "payermax", "--order", o2}
	if code, out, errb := cli(append([]string{"status"}, target...)...); code != ExitUsage || !strings.Contains(errb, "name the credential") {
		t.Fatalf("status of an ambiguous legacy cancel: exit %d\n%s\n%s", code, out, errb)
	}
	if code, out, errb := cli(append([]string{"signal-payment", "--status", "FAILED"}, target...)...); code != ExitUsage {
		t.Fatalf("signal of an ambiguous legacy cancel: exit %d\n%s\n%s", code, out, errb)
	}
	if code, out, errb := cli(append([]string{"signal-payment", "--status", "FAILED", "--credential", "demo-payermax"}, target...)...); code != ExitOK ||
		!strings.Contains(out, legacy) {
		t.Fatalf("signal with the credential: exit %d\n%s\n%s", code, out, errb)
	}
}
