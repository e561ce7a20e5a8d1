package contract_test

import (
	"strings"
	"testing"

	"github.com/paycancel/paycancel/workflows/contract"
)

func TestSummaryAndAmounts(t *testing.T) {
	for _, c := range []struct {
		amount   int64
		currency string
		want     string
	}{
		{1250, "HKD", "HKD 12.50"}, {5, "USD", "USD 0.05"}, {1250, "JPY", "JPY 1250"}, {12345, "KWD", "KWD 12.345"}, {-150, "EUR", "EUR -1.50"},
	} {
		if got := contract.FormatAmount(c.amount, c.currency); got != c.want {
			t.Errorf("FormatAmount(%d, %s) = %q, want %q", c.amount, c.currency, got, c.want)
		}
	}
	req := contract.CancelRequest{Merchant: "acme", Provider: "alipayplus", Credential: "acme-app", MerchantOrderNo: "A_1001", Amount: 99, Currency: "SGD"}
	if got, want := contract.Summary(req), `Cancel Alipay+ order A\_1001 · SGD 0.99`; got != want {
		t.Errorf("summary %q, want %q (markdown-escaped order)", got, want)
	}
	d := contract.StaticDetails(req, contract.WorkflowID("acme", "alipayplus", "A_1001"))
	for _, want := range []string{"**Merchant**: acme", "credential acme-app", "none: cancel at once", "`pc-acme-alipayplus-A_1001`"} {
		if !strings.Contains(d, want) {
			t.Errorf("static details lack %q:\n%s", want, d)
		}
	}
	if strings.Contains(d, "Pay started") || strings.Contains(d, "Cancel deadline") || strings.Contains(d, "Provider payment") {
		t.Errorf("absent fields shown:\n%s", d)
	}
}

// TestEveryProviderHasATitle: the Web UI's titles cover the one provider list, so
// a provider added there without a title fails here instead of showing its raw
// name (every title differs from the name, if only in case).
func TestEveryProviderHasATitle(t *testing.T) {
	for _, p := range contract.ProviderNames {
		if contract.ProviderTitle(p) == p {
			t.Errorf("provider %q has no title", p)
		}
	}
}
