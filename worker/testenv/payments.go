package testenv

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/paycancel/paycancel/providers/sim/simkit"
)

// CreatePayment sets a payment up in the provider's sandbox at sandboxURL
// (Env.Sandboxes.URL, or Sandboxes2.URL for the second merchant) through its
// admin API over HTTP, and returns it as the sandbox created it.
func CreatePayment(t testing.TB, sandboxURL, provider string, p simkit.Payment) simkit.Payment {
	t.Helper()
	body, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(sandboxURL+"/"+provider+"/_sandbox/payments", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create payment at %s: HTTP %d", provider, resp.StatusCode)
	}
	var created simkit.Payment
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil {
		t.Fatal(err)
	}
	return created
}
