package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/workflows/contract"
)

// FindRequest is one page of a visibility search.
type FindRequest struct {
	After     time.Time `json:"after,omitempty"`
	Before    time.Time `json:"before"`
	PageSize  int       `json:"pageSize"`
	PageToken []byte    `json:"pageToken,omitempty"`
}

// CancelPage is a page of cancels.
type CancelPage struct {
	Cancels       []contract.CancelRef `json:"cancels"`
	NextPageToken []byte               `json:"nextPageToken,omitempty"`
}

// Verification is VerifyCancelled's answer. On a disagreement it carries what the
// workflow needs to reopen the cancel for review: the original request and final
// status (as JSON, decoded by package workflows) and the credential's policy.
type Verification struct {
	Verified     bool                   `json:"verified"`
	Disagreement *contract.Disagreement `json:"disagreement,omitempty"`
	Request      json.RawMessage        `json:"request,omitempty"`
	Status       json.RawMessage        `json:"status,omitempty"`
	Policy       *contract.CancelPolicy `json:"policy,omitempty"`
}

// The search attributes the visibility queries name (contract.SA*).
var (
	saCancelState = contract.SACancelState.GetName()
	saProvider    = contract.SAProvider.GetName()
	saOrder       = contract.SAMerchantOrderNo.GetName()
	saMerchant    = contract.SAMerchant.GetName()
)

func (a *Activities) temporal() (client.Client, error) {
	if a.Temporal == nil {
		return nil, temporal.NewNonRetryableApplicationError("this worker has no Temporal client for reconciliation", "NoTemporalClient", nil)
	}
	return a.Temporal, nil
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "\\'") + "'" }

func ts(t time.Time) string { return quote(t.UTC().Format(time.RFC3339Nano)) }

// FindStuckCancels lists running cancels still in flight that started before
// req.Before.
func (a *Activities) FindStuckCancels(ctx context.Context, req FindRequest) (CancelPage, error) {
	inFlight := make([]string, len(contract.InFlightStates))
	for i, s := range contract.InFlightStates {
		inFlight[i] = quote(s)
	}
	q := fmt.Sprintf("WorkflowType = %s AND ExecutionStatus = 'Running' AND %s IN (%s) AND StartTime < %s",
		quote(contract.WorkflowName), saCancelState, strings.Join(inFlight, ", "), ts(req.Before))
	return a.list(ctx, q, req)
}

// FindRecentlyCancelled lists cancels that completed CANCELLED between req.After and req.Before.
func (a *Activities) FindRecentlyCancelled(ctx context.Context, req FindRequest) (CancelPage, error) {
	q := fmt.Sprintf("WorkflowType = %s AND ExecutionStatus = 'Completed' AND %s = %s AND CloseTime > %s AND CloseTime <= %s",
		quote(contract.WorkflowName), saCancelState, quote(contract.StateCancelled), ts(req.After), ts(req.Before))
	return a.list(ctx, q, req)
}

func (a *Activities) list(ctx context.Context, query string, req FindRequest) (CancelPage, error) {
	c, err := a.temporal()
	if err != nil {
		return CancelPage{}, err
	}
	resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Query: query, PageSize: int32(req.PageSize), NextPageToken: req.PageToken,
	})
	if err != nil {
		return CancelPage{}, fmt.Errorf("visibility query %q: %w", query, err)
	}
	page := CancelPage{NextPageToken: resp.GetNextPageToken()}
	for _, e := range resp.GetExecutions() {
		ref := contract.CancelRef{WorkflowID: e.GetExecution().GetWorkflowId(), RunID: e.GetExecution().GetRunId()}
		fields := e.GetSearchAttributes().GetIndexedFields()
		dc := converter.GetDefaultDataConverter()
		if p, ok := fields[saMerchant]; ok {
			_ = dc.FromPayload(p, &ref.Merchant)
		}
		if p, ok := fields[saProvider]; ok {
			_ = dc.FromPayload(p, &ref.Provider)
		}
		if p, ok := fields[saOrder]; ok {
			_ = dc.FromPayload(p, &ref.MerchantOrderNo)
		}
		if p, ok := fields[saCancelState]; ok {
			_ = dc.FromPayload(p, &ref.State)
		}
		page.Cancels = append(page.Cancels, ref)
	}
	return page, nil
}

// SignalRecheck signals each cancel to ask its provider again now. A cancel that
// finished in the meantime is skipped. It returns the ones signalled.
func (a *Activities) SignalRecheck(ctx context.Context, cancels []contract.CancelRef) ([]contract.CancelRef, error) {
	c, err := a.temporal()
	if err != nil {
		return nil, err
	}
	var done []contract.CancelRef
	for _, ref := range cancels {
		err := c.SignalWorkflow(ctx, ref.WorkflowID, ref.RunID, contract.SignalRecheck, nil)
		if err != nil {
			if isNotFound(err) {
				continue
			}
			return done, fmt.Errorf("signalling %s: %w", ref.WorkflowID, err)
		}
		done = append(done, ref)
	}
	return done, nil
}

// VerifyCancelled re-checks a cancel that finished CANCELLED against the provider's
// payment status. A payment the provider now reports paid (a saved QR code paid
// after the cancel) is a disagreement. A cancel already reopened (its latest run is
// not this one) counts as verified: another reconciliation got there first.
func (a *Activities) VerifyCancelled(ctx context.Context, ref contract.CancelRef) (Verification, error) {
	c, err := a.temporal()
	if err != nil {
		return Verification{}, err
	}
	desc, err := c.DescribeWorkflowExecution(ctx, ref.WorkflowID, "")
	if err != nil {
		return Verification{}, err
	}
	if desc.GetWorkflowExecutionInfo().GetExecution().GetRunId() != ref.RunID {
		return Verification{Verified: true}, nil
	}
	rec, err := contract.ReadRecorded(ctx, c, ref.WorkflowID, ref.RunID)
	if err != nil {
		return Verification{}, err
	}
	reqJSON := rec.Request
	// The run completed CANCELLED, so its input decoded as a request.
	var req contract.CancelRequest
	if err := json.Unmarshal(reqJSON, &req); err != nil {
		return Verification{}, temporal.NewNonRetryableApplicationError("cannot read the cancel's input: "+err.Error(), "BadHistory", nil)
	}
	cred, pctx, end, err := a.providerCall(ctx, req.Credential)
	if err != nil {
		return Verification{}, err
	}
	ps := a.queryPayment(pctx, cred.Provider, providers.Target{MerchantOrderNo: req.MerchantOrderNo, ProviderPaymentID: req.ProviderPaymentID})
	end()
	switch ps.State {
	case providers.PaymentPaid:
	case providers.PaymentUnknown:
		return Verification{}, nil // could not tell; the next run asks again
	default:
		return Verification{Verified: true}, nil
	}
	var status json.RawMessage
	if err := c.GetWorkflow(ctx, ref.WorkflowID, ref.RunID).Get(ctx, &status); err != nil {
		return Verification{}, fmt.Errorf("reading the cancel's result: %w", err)
	}
	// No task queue in it: the reconcile workflow knows the queue the reopened
	// cancel runs on and names it.
	pol, err := a.policy(PolicyInput{Merchant: req.Merchant, Credential: req.Credential, Provider: req.Provider, PayStartedAt: req.PayStartedAt, NotifyURL: req.NotifyURL})
	if err != nil {
		return Verification{}, err
	}
	ref.Merchant, ref.Provider, ref.MerchantOrderNo = rec.Merchant, req.Provider, req.MerchantOrderNo
	return Verification{
		Verified:     true,
		Disagreement: &contract.Disagreement{Cancel: ref, PaymentState: ps.State, Code: ps.Code, Message: ps.Message},
		Request:      reqJSON, Status: status, Policy: &pol,
	}, nil
}

// CountCancels counts cancels by provider and CancelState.
func (a *Activities) CountCancels(ctx context.Context, states []string) (map[string]map[string]int64, error) {
	c, err := a.temporal()
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]int64{}
	for _, p := range contract.ProviderNames {
		for _, s := range states {
			q := fmt.Sprintf("WorkflowType = %s AND %s = %s AND %s = %s", quote(contract.WorkflowName), saProvider, quote(p), saCancelState, quote(s))
			resp, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: q})
			if err != nil {
				return nil, fmt.Errorf("counting %s/%s: %w", p, s, err)
			}
			if n := resp.GetCount(); n > 0 {
				if out[p] == nil {
					out[p] = map[string]int64{}
				}
				out[p][s] = n
			}
		}
	}
	return out, nil
}
