package contracttest_test

import (
	"testing"

	"github.com/paycancel/paycancel/providers/sim"
	"github.com/paycancel/paycancel/providers/sim/contracttest"
)

// Every provider of the set (sim.Providers, one line each) runs the whole contract.
func TestProviderContract(t *testing.T) {
	for _, p := range sim.Providers {
		t.Run(p.Name, func(t *testing.T) { contracttest.Run(t, p) })
	}
}
