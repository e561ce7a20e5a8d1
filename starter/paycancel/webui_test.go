package paycancel_test

import (
	"context"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/converter"

	"github.com/paycancel/paycancel/providers/sim/simkit"
	"github.com/paycancel/paycancel/starter/paycancel"
	"github.com/paycancel/paycancel/worker/testenv"
	"github.com/paycancel/paycancel/workflows"
	"github.com/paycancel/paycancel/workflows/contract"
)

// TestWebUIMetadata reads back, through the client on a real server, what the
// Web UI shows of a cancel: the static summary and details the starter set
// (DescribeWorkflow: the user metadata of DescribeWorkflowExecution), the current details the workflow
// keeps (the SDK's __temporal_workflow_metadata query), while confirming and at
// the end, and the summary on each activity; and the recorded input leaves the
// absent payStartedAt out.
func TestWebUIMetadata(t *testing.T) {
	env := testenv.Start(t, testenv.Options{})
	api := paycancel.New(env.Client, paycancel.Options{TaskQueue: env.TaskQueue, PollInterval: 200 * time.Millisecond})
	ctx := ctxFor(t, 2*time.Minute)
	o := testenv.Order("ui")
	// One pending status query: the cancel stays CONFIRMING for a backoff.
	createPayment(t, env, "gnete", simkit.Payment{MerchantOrderNo: o, Amount: 1250, Currency: "HKD",
		Scenario: simkit.Scenario{PendingQueries: 1}})
	req := contract.CancelRequest{Merchant: "demo", Provider: "gnete", Credential: "demo-gnete", MerchantOrderNo: o,
		Amount: 1250, Currency: "HKD"}
	x, started, err := api.Start(ctx, req)
	if err != nil || !started {
		t.Fatalf("start: started=%v err=%v", started, err)
	}

	desc, err := env.Client.DescribeWorkflow(ctx, x.WorkflowID, x.RunID)
	if err != nil {
		t.Fatal(err)
	}
	summary, err := desc.GetStaticSummary()
	if err != nil || summary != "Cancel GNETE order "+o+" · HKD 12.50" {
		t.Fatalf("static summary %q (%v)", summary, err)
	}
	details, err := desc.GetStaticDetails()
	if err != nil || !strings.Contains(details, "**Amount**: HKD 12.50") || !strings.Contains(details, "`"+workflows.CancelKey(x.WorkflowID)+"`") ||
		strings.Contains(details, "Pay started") {
		t.Fatalf("static details %q (%v)", details, err)
	}

	// While confirming, the details say so and name the next check.
	waitDetails(t, env, x.WorkflowID, func(d string) bool {
		return strings.Contains(d, "**CONFIRMING**") && strings.Contains(d, "**Next check**") && strings.Contains(d, "**Cancel window**")
	})
	final, err := x.Wait(ctx)
	if err != nil || final.State != contract.StateCancelled {
		t.Fatalf("final %+v, %v", final, err)
	}
	// A closed cancel answers the metadata query too (from its replayed history).
	d := waitDetails(t, env, x.WorkflowID, func(d string) bool { return strings.HasPrefix(d, "**CANCELLED**") })
	for _, want := range []string{"status queries 1", "**Last provider answer**", "**Merchant notification**: delivered"} {
		if !strings.Contains(d, want) {
			t.Errorf("current details lack %q:\n%s", want, d)
		}
	}

	// Each activity's summary, and the input as recorded.
	var summaries []string
	iter := env.Client.GetWorkflowHistory(ctx, x.WorkflowID, x.RunID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := e.GetWorkflowExecutionStartedEventAttributes(); a != nil {
			if in := string(a.GetInput().GetPayloads()[0].GetData()); strings.Contains(in, "payStartedAt") {
				t.Errorf("the recorded input holds an absent payStartedAt: %s", in)
			}
		}
		if p := e.GetUserMetadata().GetSummary(); p != nil && e.GetEventType() != enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED {
			var s string
			if err := converter.GetDefaultDataConverter().FromPayload(p, &s); err != nil {
				t.Fatal(err)
			}
			summaries = append(summaries, s)
		}
	}
	all := strings.Join(summaries, "\n")
	for _, want := range []string{"cancel at the provider, key " + workflows.CancelKey(x.WorkflowID), "status query 1",
		"merchant notification attempt 1"} {
		if !strings.Contains(all, want) {
			t.Errorf("no activity summary %q in %q", want, summaries)
		}
	}
}

// waitDetails polls the metadata query until ok accepts the current details.
func waitDetails(t *testing.T, env *testenv.Env, id string, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var md sdkpb.WorkflowMetadata
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		v, err := env.Client.QueryWorkflow(ctx, id, "", "__temporal_workflow_metadata")
		if err == nil {
			err = v.Get(&md)
		}
		cancel()
		d := md.GetCurrentDetails()
		if err == nil && ok(d) {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: current details never matched (last %q, err %v)", id, d, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
