package paycancel_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"time"

	"github.com/paycancel/paycancel/starter/paycancel"
	"github.com/paycancel/paycancel/worker/connect"
	"github.com/paycancel/paycancel/workflows/contract"
)

// An order service whose pay call timed out starts the cancel, then waits for the
// business outcome (not for the workflow to close: a review waits for a human).
func Example() {
	ctx := context.Background()
	// The same flags and environment as the worker: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE…
	tc, err := connect.Dial(ctx, connect.Options{}, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tc.Close()
	api := paycancel.New(tc, paycancel.Options{})

	cancel, started, err := api.Start(ctx, contract.CancelRequest{
		Merchant: "demo", Provider: "gnete", Credential: "demo-gnete", MerchantOrderNo: "A1001",
		Amount: 1250, Currency: "HKD",
		PayStartedAt: time.Now().Add(-time.Minute), PayTimeout: 15 * time.Minute,
	})
	var finished *paycancel.AlreadyFinishedError
	var conflict *paycancel.ConflictError
	switch {
	case errors.As(err, &finished):
		fmt.Println("this order's cancel already ended:", finished.Outcome.Final)
		return
	case errors.As(err, &conflict):
		// The order's cancel was started with another amount, credential…: a bug
		// in the caller, or two orders sharing a number. Nothing was attached.
		log.Fatal(conflict) // the message names the differing fields
	case errors.Is(err, paycancel.ErrInvalidRequest):
		log.Fatal(err) // the message names the fields
	case err != nil:
		log.Fatal(err) // Temporal unreachable: try again, Start is idempotent
	}
	fmt.Println(cancel.WorkflowID, "started:", started)

	wctx, stop := context.WithTimeout(ctx, 30*time.Minute)
	defer stop()
	st, err := cancel.WaitUntil(wctx, paycancel.Settled)
	if err != nil {
		log.Fatal(err)
	}
	switch st.State {
	case contract.StateCancelled, contract.StateNotNeeded:
		fmt.Println("not paid: release the stock")
	case contract.StatePaid:
		fmt.Println("paid: fulfil the order")
	case contract.StatePaidAtCancel:
		fmt.Println("paid after all: refund or fulfil")
	case contract.StateNeedsReview:
		fmt.Println("an operator must decide:", st.ReviewReason)
	}
}

// The order service learnt the result after all (its payment webhook arrived).
func ExampleClient_SignalPaymentResult() {
	var api *paycancel.Client // from paycancel.New
	err := api.SignalPaymentResult(context.Background(), paycancel.Ref{Merchant: "demo", Provider: "ksher", MerchantOrderNo: "A1002"},
		contract.PaymentResult{Status: "PAID", Source: "order-service"})
	if errors.Is(err, paycancel.ErrNotFound) {
		fmt.Println("no cancel was started for this order")
	}
}

// An operator resolves a review; the workflow's validator refuses what does not fit.
func ExampleClient_Resolve() {
	var api *paycancel.Client // from paycancel.New
	st, err := api.Resolve(context.Background(), paycancel.Ref{Merchant: "demo", Provider: "alipayplus", MerchantOrderNo: "A1003"}, contract.Resolution{
		Action: "CANCELLED", Operator: "alice", Note: "closed in the wallet console, ticket OPS-42",
	})
	var rejected *paycancel.RejectedError
	if errors.As(err, &rejected) {
		fmt.Println("refused:", rejected.Message)
		return
	}
	fmt.Println(st.State)
}

// Cancels waiting for an operator, as the Web UI query CancelState="NEEDS_REVIEW" shows them.
func ExampleClient_List() {
	var api *paycancel.Client // from paycancel.New
	yes := true
	list, err := api.List(context.Background(), paycancel.ListFilter{Merchant: "demo", NeedsReview: &yes, Limit: 20})
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range list {
		fmt.Println(s.Provider, s.MerchantOrderNo, s.State)
	}
}

// The order service's notify URL handler verifies paycancel's merchant notification.
func ExampleVerifyWebhook() {
	secret := "whsec_…" // the merchant's notification secret, from your own configuration
	http.HandleFunc("/paycancel/events", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err != nil {
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		eventID, err := paycancel.VerifyWebhook(secret, r.Header, body, time.Now(), 0)
		if err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		_ = eventID // drop duplicates by event id: retries and resends reuse it
		w.WriteHeader(http.StatusNoContent)
	})
}
