package workflows_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/paycancel/paycancel/providers/sim/simkit"
	"github.com/paycancel/paycancel/worker/config"
	"github.com/paycancel/paycancel/worker/testenv"
	"github.com/paycancel/paycancel/workflows/contract"
)

// TestProviderIsolation: Ksher answers slowly and may have only two calls in
// flight; PayerMax cancels started at the same time keep their pace, because
// provider calls run on per-provider task queues with their own limits.
func TestProviderIsolation(t *testing.T) {
	env := testenv.Start(t, testenv.Options{EditConfig: func(f *config.File) {
		f.ProviderLimits = map[string]config.ProviderLimits{"ksher": {Concurrency: 2}}
	}})
	const n = 6
	type result struct {
		provider string
		took     time.Duration
		final    string
	}
	var (
		mu      sync.Mutex
		results []result
		wg      sync.WaitGroup
	)
	start := time.Now()
	for i := 0; i < n; i++ {
		for _, provider := range []string{"ksher", "payermax"} {
			order := testenv.Order(fmt.Sprintf("iso-%s%d", provider[:2], i))
			sc := simkit.Scenario{}
			if provider == "ksher" {
				sc.LatencyMs = 1000 // every Ksher answer takes a second
			}
			createPayment(t, env, provider, simkit.Payment{MerchantOrderNo: order, Amount: 100, Currency: "USD", Scenario: sc})
			run := startCancel(t, env, contract.CancelRequest{Merchant: "demo", Provider: provider, Credential: "demo-" + provider,
				MerchantOrderNo: order, Amount: 100, Currency: "USD"})
			wg.Add(1)
			go func(provider string) {
				defer wg.Done()
				st := waitFinal(t, run)
				mu.Lock()
				results = append(results, result{provider, time.Since(start), st.Final})
				mu.Unlock()
			}(provider)
		}
	}
	wg.Wait()
	var slowestPayerMax, slowestKsher time.Duration
	for _, r := range results {
		if r.final != contract.StateCancelled {
			t.Errorf("%s cancel ended %s", r.provider, r.final)
		}
		if r.provider == "payermax" && r.took > slowestPayerMax {
			slowestPayerMax = r.took
		}
		if r.provider == "ksher" && r.took > slowestKsher {
			slowestKsher = r.took
		}
	}
	t.Logf("slowest PayerMax cancel %s, slowest Ksher cancel %s", slowestPayerMax.Round(time.Millisecond), slowestKsher.Round(time.Millisecond))
	// Six Ksher cancels, two seconds of provider time each, two at a time: at least
	// six seconds. PayerMax must not queue behind them.
	if slowestKsher < 5*time.Second {
		t.Fatalf("Ksher backlog finished in %s: the limit of 2 was not applied", slowestKsher)
	}
	if slowestPayerMax > slowestKsher/2 {
		t.Fatalf("PayerMax cancels took up to %s while the slow Ksher backlog took %s: not isolated", slowestPayerMax, slowestKsher)
	}
}
