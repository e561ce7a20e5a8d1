package observability

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
)

type fakeCounter struct{ queries []string }

func (f *fakeCounter) CountWorkflow(_ context.Context, req *workflowservice.CountWorkflowExecutionsRequest) (*workflowservice.CountWorkflowExecutionsResponse, error) {
	f.queries = append(f.queries, req.GetQuery())
	n := int64(0)
	if strings.Contains(req.GetQuery(), "NeedsReview = true") {
		n = 4
	} else if strings.Contains(req.GetQuery(), "'gnete'") && strings.Contains(req.GetQuery(), "'CANCELLED'") {
		n = 7
	}
	return &workflowservice.CountWorkflowExecutionsResponse{Count: n}, nil
}

// TestMetricsEndpoint: paycancel's counters, the visibility gauges and the SDK's
// metrics handler all appear on one Prometheus endpoint.
func TestMetricsEndpoint(t *testing.T) {
	m, err := NewMetrics()
	if err != nil {
		t.Fatal(err)
	}
	m.CancelStarted("gnete")
	m.ProviderCall("gnete", "cancel", "SUCCEEDED", 120*time.Millisecond)
	m.ProviderCall("gnete", "cancel", "FAILED/RATE_LIMITED", 10*time.Millisecond)
	m.Notification("delivered")
	m.Notification("exhausted")
	m.SDK.Counter("temporal_test_counter").Inc(2)
	fc := &fakeCounter{}
	if err := m.RefreshGauges(context.Background(), fc, []string{"gnete", "ksher"}, []string{"CANCELLED", "NEEDS_REVIEW"}); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	text := string(body)
	for _, want := range []string{
		`paycancel_cancels_started_total{provider="gnete"} 1`,
		`paycancel_provider_calls_total{operation="cancel",outcome="SUCCEEDED",provider="gnete"} 1`,
		`paycancel_provider_calls_total{operation="cancel",outcome="FAILED/RATE_LIMITED",provider="gnete"} 1`,
		`paycancel_provider_call_seconds_count{operation="cancel",provider="gnete"} 2`,
		`paycancel_notifications_total{result="exhausted"} 1`,
		`paycancel_cancels{provider="gnete",state="CANCELLED"} 7`,
		`paycancel_reviews_open 4`,
		`temporal_test_counter`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if len(fc.queries) != 5 {
		t.Errorf("%d visibility counts, want 5 (2 providers × 2 states + reviews)", len(fc.queries))
	}
	// A nil *Metrics records nothing and does not panic (workers without metrics).
	var none *Metrics
	none.CancelStarted("x")
	none.ProviderCall("x", "y", "z", 0)
	none.Notification("x")
}
