package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/paycancel/paycancel/workflows/contract"
)

// showDetails publishes the current details. It issues no command and writes
// no event: the SDK answers the metadata query from it.
func (r *run) showDetails() {
	workflow.SetCurrentDetails(r.ctx, contract.CurrentDetails(r.st))
}
