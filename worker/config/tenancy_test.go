package config_test

import (
	"strings"
	"testing"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/worker/config"
)

// One provider account belongs to one merchant: a cancel is scoped by the
// merchant, and provider notifications are routed by the account they name.
func TestProviderAccountBelongsToOneMerchant(t *testing.T) {
	dir := fixture(t)
	second := func(merchant, cred, appID string) string {
		return "  " + merchant + ":\n    notify:\n      secret: {file: notify.secret}\n    credentials:\n      " + cred +
			":\n        provider: payermax\n        " + strings.Replace(pmSection, "appId: app1", "appId: "+appID, 1) + "\n"
	}
	// A second credential set of the same account under the same merchant (a key
	// rotation), and another account under another merchant: fine.
	ok := goodYAML + "      c1b:\n        provider: payermax\n        " + pmSection + "\n" + second("m2", "c2", "app2")
	cfg, err := config.Parse("ok.yaml", []byte(ok), providers.Deps{BaseDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][2]string{"c1": {"m1", "app1"}, "c1b": {"m1", "app1"}, "c2": {"m2", "app2"}} {
		m, found := cfg.MerchantOf(name)
		if !found || m != want[0] || cfg.Credentials[name].Account != want[1] {
			t.Errorf("%s: merchant %q (%v), account %q; want %v", name, m, found, cfg.Credentials[name].Account, want)
		}
	}
	if _, found := cfg.MerchantOf("nope"); found {
		t.Error("an unknown credential has a merchant")
	}

	bad := goodYAML + second("m2", "c2", "app1")
	_, err = config.Parse("bad.yaml", []byte(bad), providers.Deps{BaseDir: dir})
	want := `config bad.yaml: merchants.m2.credentials.c2.payermax.appId: payermax account "app1" is already merchant m1's (credential c1): one provider account belongs to one merchant, which scopes its order numbers`
	if err == nil || err.Error() != want {
		t.Errorf("error\n got: %v\nwant: %s", err, want)
	}
}
