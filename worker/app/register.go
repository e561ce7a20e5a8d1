// Package app is the worker process: flags, logging, the Temporal connection, the
// one registration function main and the tests share, the HTTP server (health,
// readiness, provider callbacks) and --dev (embedded server, Web UI, sandboxes).
package app

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/paycancel/paycancel/activities"
	"github.com/paycancel/paycancel/workflows"
	"github.com/paycancel/paycancel/workflows/contract"
)

// Register registers every workflow and activity on a worker. worker/main.go and
// every test use this one function, so what is tested is what runs.
func Register(r worker.Registry, a *activities.Activities) {
	r.RegisterWorkflowWithOptions(workflows.CancelPaymentWorkflow, workflow.RegisterOptions{Name: contract.WorkflowName})
	r.RegisterWorkflowWithOptions(workflows.ReconcileWorkflow, workflow.RegisterOptions{Name: contract.ReconcileWorkflowName})
	// Every exported method of *Activities becomes an activity of the same name.
	// LoadPolicy runs as a local activity; the SDK uses this registration for it.
	r.RegisterActivity(a)
}

// SearchAttributes are the custom search attributes paycancel needs registered.
var SearchAttributes = map[string]enumspb.IndexedValueType{
	contract.SAMerchant.GetName():        enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	contract.SAProvider.GetName():        enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	contract.SAMerchantOrderNo.GetName(): enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	contract.SACancelState.GetName():     enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	contract.SANeedsReview.GetName():     enumspb.INDEXED_VALUE_TYPE_BOOL,
}
