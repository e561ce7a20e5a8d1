package paycancel_test

// Tenancy and honest idempotency through the Go API, against a real in-process
// server, the worker and two merchants' accounts at the same providers
// (testenv.Options.SecondMerchant): the same order number at two merchants is two
// cancels; a start that differs from the existing cancel is refused, naming the
// fields; another merchant's credential fails the run; cancels started before
// merchant-scoped ids are found when their history says whose they are.

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/paycancel/paycancel/providers/sim/simkit"
	"github.com/paycancel/paycancel/starter/paycancel"
	"github.com/paycancel/paycancel/worker/app"
	"github.com/paycancel/paycancel/worker/testenv"
	"github.com/paycancel/paycancel/workflows"
	"github.com/paycancel/paycancel/workflows/contract"
)

const globex = testenv.SecondMerchantName

func TestTenancy(t *testing.T) {
	env := testenv.Start(t, testenv.Options{SecondMerchant: true})
	api := paycancel.New(env.Client, paycancel.Options{TaskQueue: env.TaskQueue, PollInterval: 200 * time.Millisecond})
	globexRequest := func(provider, orderNo string, payTimeout time.Duration) contract.CancelRequest {
		req := request(provider, orderNo, payTimeout)
		req.Merchant, req.Credential = globex, testenv.SecondCredentialPrefix+provider
		return req
	}

	t.Run("TwoMerchantsSameOrderNumber", func(t *testing.T) {
		t.Parallel()
		ctx := ctxFor(t, 90*time.Second)
		o := testenv.Order("dup")
		// demo's payment is open (the cancel takes effect); globex's was paid
		// (PayerMax refuses to cancel a captured payment).
		createPaymentAt(t, env.SandboxesOf("demo").URL, "payermax", simkit.Payment{MerchantOrderNo: o, Amount: 1000, Currency: "USD"})
		createPaymentAt(t, env.SandboxesOf(globex).URL, "payermax", simkit.Payment{MerchantOrderNo: o, Amount: 7700, Currency: "EUR", State: simkit.Paid})
		reqA := request("payermax", o, 0)
		reqB := globexRequest("payermax", o, 0)
		reqB.Amount, reqB.Currency = 7700, "EUR"
		a, startedA, err := api.Start(ctx, reqA)
		if err != nil || !startedA {
			t.Fatalf("demo's start: %v %v", startedA, err)
		}
		b, startedB, err := api.Start(ctx, reqB)
		if err != nil || !startedB {
			t.Fatalf("globex's start of the same order number: started=%v err=%v (want a second cancel)", startedB, err)
		}
		if a.WorkflowID == b.WorkflowID || b.WorkflowID != contract.WorkflowID(globex, "payermax", o) {
			t.Fatalf("ids %s and %s", a.WorkflowID, b.WorkflowID)
		}
		stA, err := a.WaitUntil(ctx, func(s contract.Status) bool { return s.Final != "" && s.Notify.Delivered })
		if err != nil {
			t.Fatal(err)
		}
		stB, err := b.WaitUntil(ctx, func(s contract.Status) bool { return s.Final != "" && s.Notify.Delivered })
		if err != nil {
			t.Fatal(err)
		}
		if stA.Final != contract.StateCancelled || stB.Final != contract.StatePaidAtCancel {
			t.Errorf("outcomes %s and %s, want CANCELLED (demo) and PAID_AT_CANCEL (globex)", stA.Final, stB.Final)
		}
		if stA.CancelKey == stB.CancelKey || stA.CancelKey != "pc-demo-payermax-"+o || stB.CancelKey != "pc-globex-payermax-"+o {
			t.Errorf("business keys %q and %q", stA.CancelKey, stB.CancelKey)
		}
		if stA.Merchant != "demo" || stB.Merchant != globex || stB.Credential != testenv.SecondCredentialPrefix+"payermax" {
			t.Errorf("statuses name %s/%s and %s/%s", stA.Merchant, stA.Credential, stB.Merchant, stB.Credential)
		}
		// Each account's sandbox got its merchant's cancel, with its own key.
		for _, c := range []struct {
			merchant, key string
			effective     int
		}{{"demo", stA.CancelKey, 1}, {globex, stB.CancelKey, 0}} {
			store, _ := env.SandboxesOf(c.merchant).Store("payermax")
			p, ok := store.Get(o, "")
			if !ok || len(p.Cancels) == 0 {
				t.Fatalf("%s's sandbox has no cancel of %s", c.merchant, o)
			}
			for _, rec := range p.Cancels {
				if rec.Key != c.key {
					t.Errorf("%s's sandbox got the key %q, want %q", c.merchant, rec.Key, c.key)
				}
			}
			if p.EffectiveCancels() != c.effective {
				t.Errorf("%s's sandbox: %d effective cancels, want %d", c.merchant, p.EffectiveCancels(), c.effective)
			}
		}
		// Each merchant heard of its own cancel only, signed with its own secret
		// (the receivers verify with theirs and refuse anything else).
		for _, c := range []struct {
			m        string
			received []string
			want     string
			other    string
		}{{"demo", eventIDs(env.Merchant.Events()), a.WorkflowID, b.WorkflowID}, {globex, eventIDs(env.Merchant2.Events()), b.WorkflowID, a.WorkflowID}} {
			if !contains(c.received, c.want) || contains(c.received, c.other) {
				t.Errorf("%s's notify URL received %v: want %s and never %s", c.m, c.received, c.want, c.other)
			}
		}
	})

	t.Run("ConflictingDuplicateStart", func(t *testing.T) {
		t.Parallel()
		ctx := ctxFor(t, 90*time.Second)
		req, first := startAwaiting(ctx, t, env, api, "cf")
		other := req
		other.Amount, other.Currency = 2500, "EUR"
		x, started, err := api.Start(ctx, other)
		var conflict *paycancel.ConflictError
		if !errors.Is(err, paycancel.ErrConflictingRequest) || !errors.As(err, &conflict) || x != nil || started {
			t.Fatalf("conflicting start: %v, %v, %v; want ErrConflictingRequest and nothing", x, started, err)
		}
		if conflict.Status != "RUNNING" || conflict.RunID != first.RunID || len(conflict.Differences) != 2 ||
			conflict.Differences[0] != (contract.FieldDifference{Field: "amount", Existing: "1000", Requested: "2500"}) ||
			conflict.Differences[1] != (contract.FieldDifference{Field: "currency", Existing: "USD", Requested: "EUR"}) {
			t.Fatalf("conflict %+v", conflict)
		}
		if !strings.Contains(err.Error(), `amount: existing "1000", requested "2500"`) {
			t.Errorf("message %q does not name the difference", err)
		}
		// The same request still attaches; the running cancel is untouched.
		if x, started, err := api.Start(ctx, req); err != nil || started || x.RunID != first.RunID {
			t.Fatalf("same request: %+v %v %v, want an attach", x, started, err)
		}
		rec, err := contract.ReadRecorded(ctx, env.Client, first.WorkflowID, "")
		if err != nil {
			t.Fatal(err)
		}
		var recorded contract.CancelRequest
		if err := json.Unmarshal(rec.Request, &recorded); err != nil || recorded.Amount != 1000 || recorded.Currency != "USD" {
			t.Fatalf("the cancel's request changed: %+v %v", recorded, err)
		}

		// Finished: the same request is refused as finished, a different one as a conflict.
		if err := api.SignalPaymentResult(ctx, ref("payermax", req.MerchantOrderNo), contract.PaymentResult{Status: "FAILED"}); err != nil {
			t.Fatal(err)
		}
		if st, err := first.Wait(ctx); err != nil || st.Final != contract.StateNotNeeded {
			t.Fatalf("final %s, %v", st.Final, err)
		}
		if _, _, err := api.Start(ctx, req); !errors.Is(err, paycancel.ErrAlreadyFinished) {
			t.Fatalf("same request after the end: %v, want ErrAlreadyFinished", err)
		}
		other = req
		other.Credential, other.ProviderPaymentID = "demo-payermax-2", "T123"
		_, _, err = api.Start(ctx, other)
		if !errors.As(err, &conflict) || conflict.Status != "COMPLETED" || len(conflict.Differences) != 2 ||
			conflict.Differences[0].Field != "credential" || conflict.Differences[1].Field != "providerPaymentId" ||
			errors.Is(err, paycancel.ErrAlreadyFinished) {
			t.Fatalf("different request after the end: %v (%+v)", err, conflict)
		}
	})

	t.Run("CredentialOfAnotherMerchant", func(t *testing.T) {
		t.Parallel()
		ctx := ctxFor(t, 90*time.Second)
		o := testenv.Order("cm")
		createPayment(t, env, "gnete", simkit.Payment{MerchantOrderNo: o, Amount: 1000, Currency: "HKD"})
		bad := request("gnete", o, 0)
		bad.Credential = testenv.SecondCredentialPrefix + "gnete" // globex's
		x, started, err := api.Start(ctx, bad)
		if err != nil || !started {
			t.Fatalf("start: %v %v", started, err)
		}
		st, err := x.WaitUntil(ctx, paycancel.Settled)
		if err == nil || !strings.Contains(err.Error(), `credential "globex-gnete" is not one of merchant "demo"'s credential sets`) ||
			!strings.Contains(err.Error(), "InvalidCancelRequest") {
			t.Fatalf("status %+v, %v: want the run failed as an invalid request", st, err)
		}
		for _, s := range []string{"demo", globex} {
			store, _ := env.SandboxesOf(s).Store("gnete")
			if p, ok := store.Get(o, ""); ok && len(p.Cancels) > 0 {
				t.Errorf("%s's sandbox received a cancel: %+v", s, p.Cancels)
			}
		}
		// Corrected, the same order starts again (a failed run may be followed).
		good := request("gnete", o, 0)
		y, started, err := api.Start(ctx, good)
		if err != nil || !started || y.WorkflowID != x.WorkflowID || y.RunID == x.RunID {
			t.Fatalf("corrected start: %+v %v %v", y, started, err)
		}
		if st, err := y.Wait(ctx); err != nil || st.Final != contract.StateCancelled {
			t.Fatalf("corrected cancel: %s, %v", st.Final, err)
		}
	})

	t.Run("LegacyCancelsAreFoundOnlyWhenTheirHistorySaysWhose", func(t *testing.T) {
		t.Parallel()
		ctx := ctxFor(t, 90*time.Second)
		// A cancel started before merchant-scoped ids, in the form such cancels run
		// in after an upgrade (a continued run: its request has no merchant; its
		// carried policy names the merchant it was started for).
		o := testenv.Order("lg")
		legacy := startLegacy(t, env, o, "demo")
		if _, err := api.Find(ctx, paycancel.Ref{Merchant: globex, Provider: "payermax", MerchantOrderNo: o}); !errors.Is(err, paycancel.ErrNotFound) {
			t.Fatalf("another merchant's Find: %v, want ErrNotFound", err)
		}
		x, err := api.Find(ctx, ref("payermax", o))
		if err != nil || x.WorkflowID != legacy {
			t.Fatalf("Find: %+v, %v; want %s", x, err, legacy)
		}
		// The order service's retried start attaches to it instead of cancelling twice.
		y, started, err := api.Start(ctx, request("payermax", o, time.Hour))
		if err != nil || started || y.WorkflowID != legacy {
			t.Fatalf("start of the legacy cancel's order: %+v %v %v, want an attach to %s", y, started, err, legacy)
		}
		// Another merchant's order with the same number is its own cancel.
		createPaymentAt(t, env.SandboxesOf(globex).URL, "payermax", simkit.Payment{MerchantOrderNo: o, Amount: 1000, Currency: "USD"})
		z, started, err := api.Start(ctx, globexRequest("payermax", o, time.Hour))
		if err != nil || !started || z.WorkflowID != contract.WorkflowID(globex, "payermax", o) {
			t.Fatalf("globex's start: %+v %v %v", z, started, err)
		}
		if err := api.SignalPaymentResult(ctx, ref("payermax", o), contract.PaymentResult{Status: "PAID"}); err != nil {
			t.Fatal(err)
		}
		if st, err := x.Wait(ctx); err != nil || st.Final != contract.StatePaid || st.Merchant != "demo" {
			t.Fatalf("legacy cancel: %+v, %v", st, err)
		}
		if st, err := z.Status(ctx); err != nil || st.State != contract.StateAwaitingPayment {
			t.Fatalf("globex's cancel moved: %+v, %v", st, err)
		}

		// One whose history does not say (its credential was unknown when it
		// started) is refused unless the credential settles it.
		o2 := testenv.Order("lq")
		legacy2 := startLegacy(t, env, o2, "")
		_, err = api.Find(ctx, ref("payermax", o2))
		var amb *paycancel.AmbiguousError
		if !errors.Is(err, paycancel.ErrAmbiguous) || !errors.As(err, &amb) || amb.WorkflowID != legacy2 {
			t.Fatalf("Find without a credential: %v, want ErrAmbiguous", err)
		}
		if err := api.SignalPaymentResult(ctx, ref("payermax", o2), contract.PaymentResult{Status: "PAID"}); !errors.Is(err, paycancel.ErrAmbiguous) {
			t.Fatalf("signal without a credential: %v, want ErrAmbiguous", err)
		}
		r := ref("payermax", o2)
		r.Credential = "demo-payermax-2"
		if _, err := api.Find(ctx, r); !errors.Is(err, paycancel.ErrAmbiguous) {
			t.Fatalf("Find with another credential: %v, want ErrAmbiguous", err)
		}
		r.Credential = "demo-payermax"
		if x, err := api.Find(ctx, r); err != nil || x.WorkflowID != legacy2 {
			t.Fatalf("Find with the credential: %+v, %v", x, err)
		}
		if err := api.SignalPaymentResult(ctx, r, contract.PaymentResult{Status: "FAILED"}); err != nil {
			t.Fatal(err)
		}

		// Listing: legacy cancels have no Merchant attribute.
		deadline := time.Now().Add(20 * time.Second)
		for {
			list, err := api.List(ctx, paycancel.ListFilter{Legacy: true, Provider: "payermax"})
			if err != nil {
				t.Fatal(err)
			}
			scoped, err := api.List(ctx, paycancel.ListFilter{Merchant: globex, Provider: "payermax"})
			if err != nil {
				t.Fatal(err)
			}
			if hasID(list, legacy) && hasID(list, legacy2) && !hasID(list, z.WorkflowID) && hasID(scoped, z.WorkflowID) && !hasID(scoped, legacy) {
				for _, s := range scoped {
					if s.Merchant != globex {
						t.Fatalf("merchant filter returned %+v", s)
					}
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("legacy list %+v, globex list %+v", list, scoped)
			}
			time.Sleep(300 * time.Millisecond)
		}
	})
}

// startLegacy starts, under the legacy id, a cancel of the demo merchant's order
// as it runs after continuing as new: no merchant in the request, the merchant in
// the carried policy (policyMerchant; "" as when the policy never loaded).
func startLegacy(t *testing.T, env *testenv.Env, orderNo, policyMerchant string) string {
	t.Helper()
	id := contract.LegacyWorkflowID("payermax", orderNo)
	now := time.Now()
	req := contract.CancelRequest{Provider: "payermax", Credential: "demo-payermax", MerchantOrderNo: orderNo,
		Amount: 1000, Currency: "USD", PayStartedAt: now, PayTimeout: time.Hour}
	req.Carry = &contract.Carry{
		Status: contract.Status{WorkflowID: id, Provider: "payermax", Credential: "demo-payermax", MerchantOrderNo: orderNo,
			CancelKey: workflows.CancelKey(id), PayDeadline: now.Add(time.Hour), WindowDeadline: now.Add(24 * time.Hour), Runs: 1},
		Policy: contract.CancelPolicy{Merchant: policyMerchant, MaxCancelAttempts: 3, WindowDeadline: now.Add(24 * time.Hour),
			QueryBackoff:      contract.Backoff{Initial: time.Second, Max: 5 * time.Second, Multiplier: 2},
			CancelRetry:       contract.Backoff{Initial: time.Second, Max: 5 * time.Second, Multiplier: 2},
			ActivityTaskQueue: contract.ProviderTaskQueue(env.TaskQueue, "payermax")},
	}
	env.StartCarried(t, id, req)
	return id
}

func eventIDs(events []app.DevEvent) []string {
	var out []string
	for _, e := range events {
		var ev struct {
			WorkflowID string `json:"workflowId"`
		}
		_ = json.Unmarshal(e.Event, &ev)
		out = append(out, ev.WorkflowID)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func hasID(list []paycancel.Summary, id string) bool {
	for _, s := range list {
		if s.WorkflowID == id {
			return true
		}
	}
	return false
}
