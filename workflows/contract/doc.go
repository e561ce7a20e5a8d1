// Package contract is paycancel's wire contract: everything an order service, an
// operator's tool or another SDK needs to start and drive a cancel, and nothing
// of how the worker carries it out.
//
//   - names: the task queue, the workflow types, signal/query/update names, the
//     search-attribute keys and the reconciliation schedule's id;
//   - the cancel's identity: WorkflowID, LegacyWorkflowID, ParseWorkflowID;
//   - the request and its checks (CancelRequest.Validate, ValidateStart,
//     CheckOrderNo: the one order-number limit checker), the provider names
//     (ProviderNames: the one provider list);
//   - the answers: Status, its states (State*), review reasons, Stop, the
//     operator's Resolution, PaymentResult, ResendRequest;
//   - the state a cancel carries into its next run (Carry), with the non-secret
//     policy it runs with (CancelPolicy, Backoff) and the default merchant
//     notification schedule (DefaultNotifySchedule);
//   - reading what a run recorded about itself (ReadRecorded), and the
//     reconciliation's request, report and schedule.
//
// It imports the standard library, the Temporal SDK and the provider port's
// vocabulary (package providers: outcomes, payment states, notifications — a
// standard-library-only package; never an adapter). A dependency test
// (deps_test.go, beside this file) keeps it that way: an order service that imports it and
// the SDK links no adapter, no simulator, no worker.
//
// JSON field names, workflow type, signal, query and update names and search
// attribute names are recorded in running cancels' histories: changing one breaks
// replay and every client. Add, never rename.
package contract
