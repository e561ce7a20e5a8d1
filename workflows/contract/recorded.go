package contract

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
)

// Recorded is what one run of a cancel workflow recorded about itself, read from
// its history (never from a query, so it needs no worker and works on closed runs).
type Recorded struct {
	WorkflowID string `json:"workflowId"`
	RunID      string `json:"runId"`
	// Request is the run's input (its WorkflowExecutionStarted event) as JSON: the
	// cancel request (decode it as a CancelRequest). A run that continued as new
	// carries the request too, with its status in "carry".
	Request json.RawMessage `json:"request"`
	// Merchant is the merchant the cancel belongs to by its own record: the
	// request's merchant; for a cancel started before merchant-scoped ids, the
	// merchant of the policy the run carried or loaded (LoadPolicy's recorded
	// result). "" when none says (the credential was unknown when it started).
	Merchant string `json:"merchant,omitempty"`
	// Credential is the credential the request named.
	Credential string `json:"credential"`
}

// HistoryReader is the part of the Temporal client ReadRecorded uses.
type HistoryReader interface {
	GetWorkflowHistory(ctx context.Context, workflowID, runID string, isLongPoll bool, filterType enumspb.HistoryEventFilterType) client.HistoryEventIterator
}

// policyScanEvents bounds how far ReadRecorded looks for LoadPolicy's marker: it
// is recorded by the first workflow task, within the first few events.
const policyScanEvents = 40

// ReadRecorded reads run runID ("" for the latest) of workflowID. A missing
// execution is the server's *serviceerror.NotFound, unwrapped by errors.As.
func ReadRecorded(ctx context.Context, c HistoryReader, workflowID, runID string) (Recorded, error) {
	rec := Recorded{WorkflowID: workflowID, RunID: runID}
	it := c.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	if !it.HasNext() {
		return rec, errors.New("empty history")
	}
	ev, err := it.Next()
	if err != nil {
		return rec, err
	}
	attrs := ev.GetWorkflowExecutionStartedEventAttributes()
	if attrs == nil || len(attrs.GetInput().GetPayloads()) == 0 {
		return rec, fmt.Errorf("%s: the first event has no input", workflowID)
	}
	dc := converter.GetDefaultDataConverter()
	if err := dc.FromPayload(attrs.GetInput().GetPayloads()[0], &rec.Request); err != nil {
		return rec, fmt.Errorf("%s: reading the input: %w", workflowID, err)
	}
	var req struct {
		Merchant   string `json:"merchant"`
		Credential string `json:"credential"`
		Carry      *struct {
			Policy CancelPolicy `json:"policy"`
		} `json:"carry"`
	}
	if err := json.Unmarshal(rec.Request, &req); err != nil {
		return rec, fmt.Errorf("%s: the input is not a cancel request: %w", workflowID, err)
	}
	rec.Credential = req.Credential
	switch {
	case req.Merchant != "":
		rec.Merchant = req.Merchant
		return rec, nil
	case req.Carry != nil:
		rec.Merchant = req.Carry.Policy.Merchant
		return rec, nil
	}
	// A first run started before merchant-scoped ids: LoadPolicy's result, recorded
	// by the SDK as a local-activity marker, names the credential's merchant as the
	// cancel used it.
	for n := 1; n < policyScanEvents && it.HasNext(); n++ {
		ev, err := it.Next()
		if err != nil {
			return rec, err
		}
		m := ev.GetMarkerRecordedEventAttributes()
		if m == nil || m.GetMarkerName() != "LocalActivity" {
			continue
		}
		var data struct{ ActivityType string }
		if dc.FromPayloads(m.GetDetails()["data"], &data) != nil || data.ActivityType != LoadPolicyActivity {
			continue
		}
		var pol CancelPolicy
		if res := m.GetDetails()["result"]; m.GetFailure() == nil && res != nil && dc.FromPayloads(res, &pol) == nil {
			rec.Merchant = pol.Merchant
		}
		break
	}
	return rec, nil
}
