package paycancel_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/paycancel/paycancel/providers/sim/simkit"
	"github.com/paycancel/paycancel/starter/paycancel"
	"github.com/paycancel/paycancel/worker/testenv"
	"github.com/paycancel/paycancel/workflows/contract"
)

func request(provider, orderNo string, payTimeout time.Duration) contract.CancelRequest {
	return contract.CancelRequest{Merchant: "demo", Provider: provider, Credential: "demo-" + provider, MerchantOrderNo: orderNo,
		Amount: 1000, Currency: "USD", PayTimeout: payTimeout}
}

// startAwaiting creates a PayerMax payment of 10.00 USD and starts its cancel,
// which a long pay timeout keeps AWAITING_PAYMENT until a signal, and fails the
// test unless the start started it.
func startAwaiting(ctx context.Context, t *testing.T, env *testenv.Env, api *paycancel.Client, prefix string) (contract.CancelRequest, *paycancel.Cancel) {
	t.Helper()
	o := testenv.Order(prefix)
	env.CreatePayment(t, "payermax", simkit.Payment{MerchantOrderNo: o, Amount: 1000, Currency: "USD"})
	req := request("payermax", o, time.Hour)
	first, started, err := api.Start(ctx, req)
	if err != nil || !started {
		t.Fatalf("first start: started=%v err=%v", started, err)
	}
	return req, first
}

// ref names the demo merchant's order.
func ref(provider, orderNo string) paycancel.Ref {
	return paycancel.Ref{Merchant: "demo", Provider: provider, MerchantOrderNo: orderNo}
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestAPI runs the Go API against a real in-process Temporal server, the worker
// and the sandboxes. One environment serves every subtest.
func TestAPI(t *testing.T) {
	env := testenv.Start(t, testenv.Options{})
	api := paycancel.New(env.Client, paycancel.Options{TaskQueue: env.TaskQueue, PollInterval: 200 * time.Millisecond})

	t.Run("StartAttachSignalFinished", func(t *testing.T) {
		t.Parallel()
		ctx := ctxFor(t, time.Minute)
		req, first := startAwaiting(ctx, t, env, api, "sa")
		o := req.MerchantOrderNo
		if first.WorkflowID != contract.WorkflowID("demo", "payermax", o) || first.RunID == "" || first.Merchant != "demo" {
			t.Fatalf("cancel: %+v", first)
		}
		second, started, err := api.Start(ctx, req)
		if err != nil || started {
			t.Fatalf("second start: started=%v err=%v (want an attach)", started, err)
		}
		if second.RunID != first.RunID {
			t.Fatalf("attached to run %s, want %s", second.RunID, first.RunID)
		}
		st, err := first.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.State != contract.StateAwaitingPayment || st.MerchantOrderNo != o {
			t.Fatalf("status: %+v", st)
		}
		if err := api.SignalPaymentResult(ctx, ref("payermax", o), contract.PaymentResult{Status: "PAID", Source: "test"}); err != nil {
			t.Fatal(err)
		}
		final, err := api.Attach(ref("payermax", o)).Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if final.Final != contract.StatePaid || final.CancelAttempts != 0 {
			t.Fatalf("final: %s after %d cancel attempts, want PAID and none", final.Final, final.CancelAttempts)
		}
		// Status of a closed cancel is its result.
		if st, err := first.Status(ctx); err != nil || st.Final != contract.StatePaid {
			t.Fatalf("status after the end: %s, %v", st.Final, err)
		}
		// A second cancel of a finished order is refused, with its outcome.
		_, _, err = api.Start(ctx, req)
		var fin *paycancel.AlreadyFinishedError
		if !errors.Is(err, paycancel.ErrAlreadyFinished) || !errors.As(err, &fin) {
			t.Fatalf("start after the end: %v, want ErrAlreadyFinished", err)
		}
		if fin.Outcome == nil || fin.Outcome.Final != contract.StatePaid || fin.CloseStatus != "COMPLETED" {
			t.Fatalf("finished error: %+v", fin)
		}
		err = api.SignalPaymentResult(ctx, ref("payermax", o), contract.PaymentResult{Status: "FAILED"})
		if !errors.Is(err, paycancel.ErrAlreadyFinished) {
			t.Fatalf("signal after the end: %v, want ErrAlreadyFinished", err)
		}
	})

	t.Run("HappyWait", func(t *testing.T) {
		t.Parallel()
		ctx := ctxFor(t, time.Minute)
		o := testenv.Order("hw")
		env.CreatePayment(t, "gnete", simkit.Payment{MerchantOrderNo: o, Amount: 1000, Currency: "HKD"})
		x, started, err := api.Start(ctx, request("gnete", o, 0))
		if err != nil || !started {
			t.Fatalf("start: %v %v", started, err)
		}
		st, err := x.Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Final != contract.StateCancelled || !st.Notify.Delivered {
			t.Fatalf("final %s, notify %+v", st.Final, st.Notify)
		}
	})

	t.Run("ReviewResolve", func(t *testing.T) {
		t.Parallel()
		ctx := ctxFor(t, time.Minute)
		o := testenv.Order("rv")
		env.CreatePayment(t, "alipayplus", simkit.Payment{MerchantOrderNo: o, Amount: 1000, Currency: "USD",
			Scenario: simkit.Scenario{WindowExpired: true}})
		x, _, err := api.Start(ctx, request("alipayplus", o, 0))
		if err != nil {
			t.Fatal(err)
		}
		st, err := x.WaitUntil(ctx, paycancel.Settled)
		if err != nil {
			t.Fatal(err)
		}
		if st.State != contract.StateNeedsReview || st.ReviewReason != contract.ReviewWindowExpired {
			t.Fatalf("settled in %s (%s), want NEEDS_REVIEW (WINDOW_EXPIRED)", st.State, st.ReviewReason)
		}

		// Listed by state (visibility is eventually consistent: poll).
		deadline := time.Now().Add(20 * time.Second)
		for {
			yes := true
			list, err := api.List(ctx, paycancel.ListFilter{State: contract.StateNeedsReview, Provider: "alipayplus", NeedsReview: &yes})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, s := range list {
				if s.WorkflowID == x.WorkflowID {
					found = s.State == contract.StateNeedsReview && s.NeedsReview && s.MerchantOrderNo == o && s.Execution == "RUNNING"
				}
				if s.State != contract.StateNeedsReview || s.Provider != "alipayplus" {
					t.Fatalf("list returned a cancel outside the filter: %+v", s)
				}
			}
			if found {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s not listed as NEEDS_REVIEW: %+v", x.WorkflowID, list)
			}
			time.Sleep(300 * time.Millisecond)
		}

		// A bad action is refused by the workflow's validator and changes nothing.
		_, err = api.Resolve(ctx, ref("alipayplus", o), contract.Resolution{Action: "BOGUS", Operator: "ops"})
		var rej *paycancel.RejectedError
		if !errors.Is(err, paycancel.ErrRejected) || !errors.As(err, &rej) {
			t.Fatalf("bad resolve: %v, want ErrRejected", err)
		}
		if !strings.Contains(rej.Message, `action "BOGUS" is not one of`) {
			t.Fatalf("rejection message %q is not the validator's", rej.Message)
		}
		if st, err := x.Status(ctx); err != nil || st.State != contract.StateNeedsReview || st.Resolution != nil {
			t.Fatalf("after a rejected resolve: %s %+v %v", st.State, st.Resolution, err)
		}
		// Resend is refused while not NOTIFY_EXHAUSTED.
		if _, err := api.ResendNotification(ctx, ref("alipayplus", o), "ops"); !errors.Is(err, paycancel.ErrRejected) {
			t.Fatalf("resend: %v, want ErrRejected", err)
		}

		st, err = api.Resolve(ctx, ref("alipayplus", o), contract.Resolution{Action: "CANCELLED", Operator: "ops", Note: "closed in the console"})
		if err != nil {
			t.Fatal(err)
		}
		if st.Resolution == nil || st.Resolution.Operator != "ops" || st.State == contract.StateNeedsReview {
			t.Fatalf("after resolve: %s %+v", st.State, st.Resolution)
		}
		final, err := x.Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if final.Final != contract.StateResolvedCancelled {
			t.Fatalf("final %s, want RESOLVED_CANCELLED", final.Final)
		}
		// Nothing left to resolve.
		if _, err := api.Resolve(ctx, ref("alipayplus", o), contract.Resolution{Action: "PAID", Operator: "ops"}); !errors.Is(err, paycancel.ErrAlreadyFinished) {
			t.Fatalf("resolve after the end: %v, want ErrAlreadyFinished", err)
		}
	})

	t.Run("NotFoundAndInvalid", func(t *testing.T) {
		t.Parallel()
		ctx := ctxFor(t, 30*time.Second)
		x := api.Attach(ref("ksher", testenv.Order("nf")))
		if _, err := x.Status(ctx); !errors.Is(err, paycancel.ErrNotFound) {
			t.Fatalf("status: %v, want ErrNotFound", err)
		}
		if _, err := x.Wait(ctx); !errors.Is(err, paycancel.ErrNotFound) {
			t.Fatalf("wait: %v, want ErrNotFound", err)
		}
		if err := api.SignalPaymentResult(ctx, ref("ksher", x.MerchantOrderNo), contract.PaymentResult{Status: "PAID"}); !errors.Is(err, paycancel.ErrNotFound) {
			t.Fatalf("signal: %v, want ErrNotFound", err)
		}
		if _, err := api.Resolve(ctx, ref("ksher", x.MerchantOrderNo), contract.Resolution{Action: "PAID", Operator: "o"}); !errors.Is(err, paycancel.ErrNotFound) {
			t.Fatalf("resolve: %v, want ErrNotFound", err)
		}
		if err := api.SignalPaymentResult(ctx, ref("ksher", x.MerchantOrderNo), contract.PaymentResult{Status: "MAYBE"}); !errors.Is(err, paycancel.ErrInvalidRequest) {
			t.Fatalf("signal with a bad status: %v, want ErrInvalidRequest", err)
		}
		bad := request("ksher", "x", 0)
		bad.Amount, bad.Currency = 0, "thb"
		_, _, err := api.Start(ctx, bad)
		if !errors.Is(err, paycancel.ErrInvalidRequest) || !strings.Contains(err.Error(), "amount must be positive") ||
			!strings.Contains(err.Error(), `currency "thb"`) {
			t.Fatalf("invalid start: %v", err)
		}
		// A filter value cannot change the query's shape.
		if list, err := api.List(ctx, paycancel.ListFilter{Provider: `x' OR WorkflowType != '`}); err != nil || len(list) != 0 {
			t.Fatalf("list with a quote: %v %v", list, err)
		}
	})
}

func TestListQuery(t *testing.T) {
	yes := true
	got := paycancel.ListQuery(paycancel.ListFilter{State: "NEEDS_REVIEW", Provider: `a'b\c`, NeedsReview: &yes})
	want := `WorkflowType = 'CancelPaymentWorkflow' AND ExecutionStatus != 'ContinuedAsNew' AND CancelState = 'NEEDS_REVIEW' AND PaymentProvider = 'a\'b\\c' AND NeedsReview = true`
	if got != want {
		t.Fatalf("query\n got %s\nwant %s", got, want)
	}
}
