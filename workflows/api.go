// Package workflows holds paycancel's workflows — CancelPaymentWorkflow and the
// reconciliation workflow. Deterministic code only: all I/O happens in
// activities (package activities), referenced here through a nil *Activities.
//
// The wire contract they implement — workflow, signal, query and update names,
// search attributes, request and status types, states — lives in package
// workflows/contract, which order services import without this package; the
// names below are aliases of it, so workflow code reads as before.
package workflows

import (
	"github.com/paycancel/paycancel/workflows/contract"
)

// DefaultTaskQueue is the task queue workers poll and starters use.
const DefaultTaskQueue = contract.DefaultTaskQueue

// Names of the workflow's handlers (see package contract).
const (
	WorkflowName               = contract.WorkflowName
	SignalPaymentResult        = contract.SignalPaymentResult
	SignalProviderNotification = contract.SignalProviderNotification
	SignalRecheck              = contract.SignalRecheck
	QueryStatus                = contract.QueryStatus
	UpdateResolve              = contract.UpdateResolve
	UpdateResendNotification   = contract.UpdateResendNotification

	// ReconcileWorkflowName is the reconciliation workflow's type; a Temporal
	// Schedule (ReconcileScheduleID) runs it.
	ReconcileWorkflowName = contract.ReconcileWorkflowName
	ReconcileScheduleID   = contract.ReconcileScheduleID
)

// Search attributes (see package contract).
var (
	SAMerchant        = contract.SAMerchant
	SAProvider        = contract.SAProvider
	SAMerchantOrderNo = contract.SAMerchantOrderNo
	SACancelState     = contract.SACancelState
	SANeedsReview     = contract.SANeedsReview
)

// States of a cancel (see package contract).
const (
	StateAwaitingPayment   = contract.StateAwaitingPayment
	StateCancelling        = contract.StateCancelling
	StateConfirming        = contract.StateConfirming
	StateNeedsReview       = contract.StateNeedsReview
	StatePaid              = contract.StatePaid
	StateNotNeeded         = contract.StateNotNeeded
	StateCancelled         = contract.StateCancelled
	StatePaidAtCancel      = contract.StatePaidAtCancel
	StateResolvedCancelled = contract.StateResolvedCancelled
	StateResolvedPaid      = contract.StateResolvedPaid
	StateResolvedRefunded  = contract.StateResolvedRefunded
	StateResolvedNotNeeded = contract.StateResolvedNotNeeded
	StateNotifyExhausted   = contract.StateNotifyExhausted
	StateStopped           = contract.StateStopped

	StopCancelRequested = contract.StopCancelRequested
)

// FinalStates are the business outcomes a cancel ends in.
var FinalStates = contract.FinalStates

// IsFinal reports whether s is a final business state.
func IsFinal(s string) bool { return contract.IsFinal(s) }

// Review reasons (see package contract).
const (
	ReviewWindowExpired     = contract.ReviewWindowExpired
	ReviewConfiguration     = contract.ReviewConfiguration
	ReviewAttemptsExhausted = contract.ReviewAttemptsExhausted
	ReviewNotFound          = contract.ReviewNotFound
	ReviewRejected          = contract.ReviewRejected
	ReviewInvalidRequest    = contract.ReviewInvalidRequest
	ReviewDisagreement      = contract.ReviewDisagreement
)

// The contract's types, under the names the workflow code uses.
type (
	CancelRequest   = contract.CancelRequest
	PaymentResult   = contract.PaymentResult
	Resolution      = contract.Resolution
	ResendRequest   = contract.ResendRequest
	NotifyStatus    = contract.NotifyStatus
	Status          = contract.Status
	Stop            = contract.Stop
	Carry           = contract.Carry
	Identity        = contract.Identity
	FieldDifference = contract.FieldDifference

	ReconcileRequest = contract.ReconcileRequest
	ReconcileCursor  = contract.ReconcileCursor
	ReconcileReport  = contract.ReconcileReport
)

// ProviderNames accepted in CancelRequest.Provider: the contract's list.
var ProviderNames = contract.ProviderNames

// ResolutionActions maps each resolution action to the state it leads to.
var ResolutionActions = contract.ResolutionActions

// defaultNotifySchedule is the schedule of a cancel whose policy did not load.
var defaultNotifySchedule = contract.DefaultNotifySchedule

// WorkflowID is contract.WorkflowID: cancel/<merchant>/<provider>/<merchantOrderNo>.
func WorkflowID(merchant, provider, merchantOrderNo string) string {
	return contract.WorkflowID(merchant, provider, merchantOrderNo)
}

// LegacyWorkflowID is contract.LegacyWorkflowID: cancel/<provider>/<merchantOrderNo>.
func LegacyWorkflowID(provider, merchantOrderNo string) string {
	return contract.LegacyWorkflowID(provider, merchantOrderNo)
}

// ParseWorkflowID is contract.ParseWorkflowID.
func ParseWorkflowID(id string) (Identity, bool) { return contract.ParseWorkflowID(id) }

// CheckMerchantName is contract.CheckMerchantName.
func CheckMerchantName(s string) error { return contract.CheckMerchantName(s) }

// RequestDifferences is contract.RequestDifferences.
func RequestDifferences(existing, requested CancelRequest) []FieldDifference {
	return contract.RequestDifferences(existing, requested)
}
