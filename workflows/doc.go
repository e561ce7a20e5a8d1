// Package workflows holds paycancel's workflows — CancelPaymentWorkflow and the
// reconciliation workflow. Deterministic code only: all I/O happens in
// activities (package activities), referenced here through a nil *Activities.
//
// The wire contract they implement — workflow, signal, query and update names,
// search attributes, request and status types, states — lives in package
// workflows/contract, which order services import without this package. The
// workflow code names it as contract.X, one name for one thing, so what the
// workflow does and what a client reads are visibly the same values.
//
// May import: workflows/contract, activities (the activity names and call
// types), providers (outcome types), and the Temporal SDK.
package workflows
