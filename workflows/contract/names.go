package contract

import (
	"slices"

	"go.temporal.io/sdk/temporal"
)

// DefaultTaskQueue is the task queue workers poll and starters use.
const DefaultTaskQueue = "paycancel"

// ProviderTaskQueue is the task queue of a provider's calls: "<queue>-<provider>".
// The worker polls one per provider so that one slow provider cannot starve the
// others; the cancel's policy names it (CancelPolicy.ActivityTaskQueue).
func ProviderTaskQueue(workflowQueue, provider string) string {
	return workflowQueue + "-" + provider
}

// Names of the workflow's handlers (the wire contract for every SDK).
const (
	WorkflowName = "CancelPaymentWorkflow"

	// SignalPaymentResult: the order service (or a provider payment webhook) learnt
	// the payment's result. Payload PaymentResult.
	SignalPaymentResult = "payment-result"
	// SignalProviderNotification: a verified provider notification. Payload providers.Notification.
	SignalProviderNotification = "provider-notification"
	// SignalRecheck: ask the provider again now (reconciliation, operators). No payload.
	SignalRecheck = "recheck"
	// QueryStatus returns Status.
	QueryStatus = "status"
	// UpdateResolve resolves a NEEDS_REVIEW cancel. Payload Resolution; returns Status.
	UpdateResolve = "resolve"
	// UpdateResendNotification resends an exhausted merchant notification. Payload ResendRequest.
	UpdateResendNotification = "resend-notification"
)

// ReconcileWorkflowName is the reconciliation workflow's type; a Temporal Schedule
// (ReconcileScheduleID) runs it.
const (
	ReconcileWorkflowName = "ReconcileWorkflow"
	ReconcileScheduleID   = "paycancel-reconcile"
)

// LoadPolicyActivity is the local activity whose recorded result names the
// merchant of a cancel started before merchant-scoped ids (ReadRecorded reads
// it); activities.Activities.LoadPolicy registers under this name.
const LoadPolicyActivity = "LoadPolicy"

// Search attributes paycancel registers (keyword/bool), upserted at each state change.
// Merchant is set on every cancel started with a merchant (merchant-scoped ids);
// cancels started before have none (list them with "Merchant IS NULL").
var (
	SAMerchant        = temporal.NewSearchAttributeKeyKeyword("Merchant")
	SAProvider        = temporal.NewSearchAttributeKeyKeyword("PaymentProvider")
	SAMerchantOrderNo = temporal.NewSearchAttributeKeyKeyword("MerchantOrderNo")
	SACancelState     = temporal.NewSearchAttributeKeyKeyword("CancelState")
	SANeedsReview     = temporal.NewSearchAttributeKeyBool("NeedsReview")
)

// ProviderNames are the providers paycancel speaks to, in the order messages list
// them: the one provider list. CancelRequest.Provider must be one of them; the
// worker has one adapter and one simulator per name (a test checks both).
var ProviderNames = []string{"payermax", "alipayplus", "gnete", "ksher", "alipayglobal"}

// IsProvider reports whether name is one of ProviderNames.
func IsProvider(name string) bool { return slices.Contains(ProviderNames, name) }
