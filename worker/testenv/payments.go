package testenv

import (
	"context"
	"net/http"
	"testing"

	"github.com/paycancel/paycancel/providers/sim/simkit"
	"github.com/paycancel/paycancel/worker/demo"
)

// CreatePayment sets a payment up in the provider's sandbox at sandboxURL
// (Env.Sandboxes.URL, or Sandboxes2.URL for the second merchant) through its
// admin API over HTTP, with the demo's own call, and fails the test if the
// sandbox refuses it.
func CreatePayment(t testing.TB, sandboxURL, provider string, p simkit.Payment) {
	t.Helper()
	if err := demo.CreatePayment(context.Background(), http.DefaultClient, sandboxURL, provider, p); err != nil {
		t.Fatal(err)
	}
}

// CreatePayment sets a payment up in the first merchant's sandboxes
// (Env.Sandboxes); for another merchant's, call the package's CreatePayment with
// SandboxesOf(merchant).URL.
func (e *Env) CreatePayment(t testing.TB, provider string, p simkit.Payment) {
	t.Helper()
	CreatePayment(t, e.Sandboxes.URL, provider, p)
}
