package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/paycancel/paycancel/worker/testenv"
	"github.com/paycancel/paycancel/workflows/contract"
)

// TestResolveRetryCancelAnswers: `starter resolve --action RETRY_CANCEL` on a
// cancel whose credential the worker does not know prints the status after the
// retry (in review again, for the same reason) and exits 0 — it used to wait for
// a state change that never came and time out with exit 1.
func TestResolveRetryCancelAnswers(t *testing.T) {
	env := testenv.Start(t, testenv.Options{})
	cli := inProcess(t, env)
	o := testenv.Order("retry")
	if code, out, errb := cli("start", "--merchant", "demo", "--provider", "payermax", "--credential", "demo-unknown", "--order", o,
		"--amount", "100", "--currency", "USD", "--wait"); code != ExitUnexpected || !strings.Contains(out, "NEEDS_REVIEW (CONFIGURATION)") {
		t.Fatalf("start --wait with an unknown credential: exit %d\n%s\n%s", code, out, errb)
	}
	began := time.Now()
	code, out, errb := cli("resolve", "--merchant", "demo", "--provider", "payermax", "--order", o, "--action", "RETRY_CANCEL", "--operator", "al", "--note", "credential added")
	if code != ExitOK || !strings.Contains(out, "NEEDS_REVIEW (CONFIGURATION)") || !strings.Contains(out, "RETRY_CANCEL by al: credential added") {
		t.Fatalf("resolve RETRY_CANCEL: exit %d after %s\n%s\n%s", code, time.Since(began), out, errb)
	}
	if took := time.Since(began); took > 20*time.Second {
		t.Errorf("resolve RETRY_CANCEL answered after %s", took)
	}
	if code, out, errb := cli("resolve", "--merchant", "demo", "--provider", "payermax", "--order", o, "--action", "CANCELLED", "--operator", "al"); code != ExitOK ||
		!strings.Contains(out, contract.StateResolvedCancelled) {
		t.Fatalf("resolve CANCELLED: exit %d\n%s\n%s", code, out, errb)
	}
}
