package paycancel

import (
	"context"
	"fmt"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/paycancel/paycancel/workflows/contract"
)

// ListFilter selects cancels by their search attributes. Empty fields match all.
type ListFilter struct {
	// Merchant is a Merchant, e.g. acme. Cancels started before merchant-scoped
	// ids have no Merchant attribute and never match it: Legacy lists them.
	Merchant string
	// Legacy lists only cancels started before merchant-scoped ids (no Merchant
	// attribute). It cannot be combined with Merchant.
	Legacy bool
	// State is a CancelState (contract.State*), e.g. NEEDS_REVIEW.
	State string
	// Provider is a PaymentProvider, e.g. gnete.
	Provider string
	// NeedsReview, when set, matches the NeedsReview attribute.
	NeedsReview *bool
	// Limit bounds the result. Default 100, at most 1000.
	Limit int
}

// Summary is one cancel as visibility (the Web UI's list) sees it.
type Summary struct {
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId"`
	// Merchant is "" for a cancel started before merchant-scoped ids.
	Merchant        string `json:"merchant,omitempty"`
	Provider        string `json:"provider"`
	MerchantOrderNo string `json:"merchantOrderNo"`
	State           string `json:"state"`
	NeedsReview     bool   `json:"needsReview"`
	// Execution is Temporal's status of the run: RUNNING, COMPLETED, FAILED…
	Execution string    `json:"execution"`
	StartTime time.Time `json:"startTime"`
	CloseTime time.Time `json:"closeTime,omitempty"`
}

// MaxListLimit is the largest ListFilter.Limit.
const MaxListLimit = 1000

// List returns cancels matching f, newest first, through a visibility query on
// paycancel's search attributes (the query ListQuery builds). Visibility is
// eventually consistent: a cancel started a moment ago may not be listed yet.
func (c *Client) List(ctx context.Context, f ListFilter) ([]Summary, error) {
	if f.Limit < 0 || f.Limit > MaxListLimit {
		return nil, invalid("limit %d is not between 1 and %d", f.Limit, MaxListLimit)
	}
	if f.Legacy && f.Merchant != "" {
		return nil, invalid("legacy cancels have no merchant: give merchant or legacy, not both")
	}
	limit := f.Limit
	if limit == 0 {
		limit = 100
	}
	q := ListQuery(f)
	var out []Summary
	var token []byte
	for len(out) < limit {
		resp, err := c.tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: q, PageSize: int32(min(limit-len(out), 1000)), NextPageToken: token,
		})
		if err != nil {
			return nil, fmt.Errorf("listing cancels (%s): %w", q, err)
		}
		for _, e := range resp.GetExecutions() {
			s := Summary{
				WorkflowID: e.GetExecution().GetWorkflowId(), RunID: e.GetExecution().GetRunId(),
				Execution: contract.ExecutionStatusName(e.GetStatus()), StartTime: e.GetStartTime().AsTime(),
			}
			if e.GetCloseTime() != nil {
				s.CloseTime = e.GetCloseTime().AsTime()
			}
			fields := e.GetSearchAttributes().GetIndexedFields()
			decodeSA(fields, contract.SAMerchant.GetName(), &s.Merchant)
			decodeSA(fields, contract.SAProvider.GetName(), &s.Provider)
			decodeSA(fields, contract.SAMerchantOrderNo.GetName(), &s.MerchantOrderNo)
			decodeSA(fields, contract.SACancelState.GetName(), &s.State)
			decodeSA(fields, contract.SANeedsReview.GetName(), &s.NeedsReview)
			out = append(out, s)
			if len(out) == limit {
				break
			}
		}
		token = resp.GetNextPageToken()
		if len(token) == 0 {
			break
		}
	}
	return out, nil
}

// decodeSA reads one search attribute; the server stores them with the default
// converter whatever the client's data converter is.
func decodeSA(fields map[string]*commonpb.Payload, name string, v any) {
	if p, ok := fields[name]; ok {
		_ = converter.GetDefaultDataConverter().FromPayload(p, v)
	}
}

// ListQuery builds the visibility query List sends, for the Web UI or the temporal
// CLI too. Values are quoted (QuoteValue), so no filter can change the query's
// shape. Continued-as-new runs are left out: each cancel is listed once, by its
// latest run.
func ListQuery(f ListFilter) string {
	parts := []string{
		"WorkflowType = " + QuoteValue(contract.WorkflowName),
		"ExecutionStatus != 'ContinuedAsNew'",
	}
	if f.Merchant != "" {
		parts = append(parts, contract.SAMerchant.GetName()+" = "+QuoteValue(f.Merchant))
	}
	if f.Legacy {
		parts = append(parts, contract.SAMerchant.GetName()+" IS NULL")
	}
	if f.State != "" {
		parts = append(parts, contract.SACancelState.GetName()+" = "+QuoteValue(f.State))
	}
	if f.Provider != "" {
		parts = append(parts, contract.SAProvider.GetName()+" = "+QuoteValue(f.Provider))
	}
	if f.NeedsReview != nil {
		parts = append(parts, fmt.Sprintf("%s = %t", contract.SANeedsReview.GetName(), *f.NeedsReview))
	}
	return strings.Join(parts, " AND ")
}

// QuoteValue quotes a string for a Temporal visibility query: single quotes, with
// backslashes and quotes escaped by a backslash.
func QuoteValue(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`, "\r", `\r`, "\x00", "")
	return "'" + r.Replace(s) + "'"
}
