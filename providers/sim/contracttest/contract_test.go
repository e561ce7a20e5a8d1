package contracttest_test

import (
	"testing"

	"github.com/paycancel/paycancel/providers/alipayglobal"
	"github.com/paycancel/paycancel/providers/alipayplus"
	"github.com/paycancel/paycancel/providers/gnete"
	"github.com/paycancel/paycancel/providers/ksher"
	"github.com/paycancel/paycancel/providers/payermax"
	"github.com/paycancel/paycancel/providers/sim/alipayglobalsim"
	"github.com/paycancel/paycancel/providers/sim/alipayplussim"
	"github.com/paycancel/paycancel/providers/sim/contracttest"
	"github.com/paycancel/paycancel/providers/sim/gnetesim"
	"github.com/paycancel/paycancel/providers/sim/kshersim"
	"github.com/paycancel/paycancel/providers/sim/payermaxsim"
)

// pairs is the table: one line per provider.
var pairs = []contracttest.Pair{
	{Name: payermax.Name, Start: contracttest.Bind(payermaxsim.Dev, payermax.New), Contract: payermaxsim.Contract},
	{Name: alipayplus.Name, Start: contracttest.Bind(alipayplussim.Dev, alipayplus.New), Contract: alipayplussim.Contract},
	{Name: gnete.Name, Start: contracttest.Bind(gnetesim.Dev, gnete.New), Contract: gnetesim.Contract},
	{Name: ksher.Name, Start: contracttest.Bind(kshersim.Dev, ksher.New), Contract: kshersim.Contract},
	{Name: alipayglobal.Name, Start: contracttest.Bind(alipayglobalsim.Dev, alipayglobal.New), Contract: alipayglobalsim.Contract},
}

func TestProviderContract(t *testing.T) {
	for _, p := range pairs {
		t.Run(p.Name, func(t *testing.T) { contracttest.Run(t, p) })
	}
}
