package workflows_test

// Histories of the PAYMENT_CLOSED → NOT_NEEDED path (GetVersion
// "payment-closed-not-needed"), written from real runs like the others in
// testdata/histories and replayed by TestReplayHistories with every other file:
//
//	PAYCANCEL_WRITE_HISTORIES=1 go test ./workflows/ -run TestWriteHistoriesPaymentClosed -count=1
//
// (that -run writes these two when they are missing; like TestWriteHistories it
// never rewrites a file: delete one deliberately to record it again).

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/paycancel/paycancel/providers/sim/simkit"
	"github.com/paycancel/paycancel/worker/config"
	"github.com/paycancel/paycancel/worker/testenv"
	"github.com/paycancel/paycancel/worker/testenv/history"
	"github.com/paycancel/paycancel/workflows/contract"
)

// paymentClosedHistories name the files and what each must contain.
var paymentClosedHistories = map[string][]string{
	// The retry's status check finds the payment FAILED: the cancel activity fails
	// PaymentClosed and the cancel ends NOT_NEEDED.
	"payment-failed-at-cancel": {"ActivityTaskFailed", "marker:payment-closed-not-needed", "state:NOT_NEEDED"},
	// A pending cancel's status query finds the payment FAILED.
	"payment-failed-while-confirming": {"state:CONFIRMING", "marker:payment-closed-not-needed", "state:NOT_NEEDED"},
}

// TestPaymentClosedHistoriesCover checks the checked-in files still cover the path
// (TestReplayHistories replays them).
func TestPaymentClosedHistoriesCover(t *testing.T) {
	for name, wants := range paymentClosedHistories {
		h := history.Load(t, filepath.Join(historiesDir, name+".json")) // regenerate: see the top of this file
		have := map[string]bool{}
		for _, e := range h.GetEvents() {
			have[e.GetEventType().String()] = true
			if a := e.GetMarkerRecordedEventAttributes(); a != nil && a.GetMarkerName() == "Version" {
				for _, p := range a.GetDetails()["change-id"].GetPayloads() {
					if strings.Contains(string(p.GetData()), "payment-closed-not-needed") {
						have["marker:payment-closed-not-needed"] = true
					}
				}
			}
			if a := e.GetUpsertWorkflowSearchAttributesEventAttributes(); a != nil {
				if p, ok := a.GetSearchAttributes().GetIndexedFields()[contract.SACancelState.GetName()]; ok {
					have["state:"+strings.Trim(string(p.GetData()), `"`)] = true
				}
			}
		}
		for _, w := range wants {
			if !have[w] {
				t.Errorf("%s: no %s", name, w)
			}
		}
	}
}

func TestWriteHistoriesPaymentClosed(t *testing.T) {
	if os.Getenv("PAYCANCEL_WRITE_HISTORIES") != "1" {
		t.Skip("set PAYCANCEL_WRITE_HISTORIES=1 to write the missing histories in testdata/histories")
	}
	env := testenv.Start(t, testenv.Options{EditConfig: func(f *config.File) {
		second := config.Duration(time.Second)
		c := f.Merchants["demo"].Credentials["demo-payermax"]
		c.Policy.QueryBackoff = &config.BackoffFile{Initial: second, Max: second, Multiplier: 1}
		c.Policy.CancelRetry = &config.BackoffFile{Initial: second, Max: second, Multiplier: 1}
	}})
	start := func(t *testing.T, code string, p simkit.Payment) client.WorkflowRun {
		p.MerchantOrderNo, p.Amount, p.Currency = testenv.Order("h-"+code), 1000, "USD"
		createPayment(t, env, "payermax", p)
		return startCancel(t, env, contract.CancelRequest{Merchant: "demo", Provider: "payermax", Credential: "demo-payermax",
			MerchantOrderNo: p.MerchantOrderNo, Amount: 1000, Currency: "USD"})
	}
	runs := map[string]func(t *testing.T) client.WorkflowRun{
		"payment-failed-at-cancel": func(t *testing.T) client.WorkflowRun {
			run := start(t, "pfcan", simkit.Payment{State: simkit.Failed,
				Scenario: simkit.Scenario{CancelFaults: []simkit.Fault{simkit.FaultUnknown}}})
			wantState(t, waitFinal(t, run), contract.StateNotNeeded)
			return run
		},
		"payment-failed-while-confirming": func(t *testing.T) client.WorkflowRun {
			run := start(t, "pfconf", simkit.Payment{Scenario: simkit.Scenario{PendingQueries: 1000}})
			st := waitStatus(t, env, run, func(s contract.Status) bool { return s.State == contract.StateConfirming && s.QueryAttempts >= 1 })
			// The authorisation fails on its own while the cancel is pending.
			resp, err := http.Post(env.Sandboxes.URL+"/payermax/_sandbox/payments/"+st.MerchantOrderNo+"/state", "application/json",
				strings.NewReader(`{"state":"FAILED"}`))
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("set state: %v %v", resp, err)
			}
			resp.Body.Close()
			wantState(t, waitFinal(t, run), contract.StateNotNeeded)
			return run
		},
	}
	writeMissing(t, env, runs)
}
