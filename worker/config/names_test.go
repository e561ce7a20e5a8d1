package config_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/paycancel/paycancel/providers"
	sandboxes "github.com/paycancel/paycancel/providers/sim"
	"github.com/paycancel/paycancel/worker/config"
	"github.com/paycancel/paycancel/workflows/contract"
)

// TestProviderListsAgree: contract.ProviderNames is the one provider list. The
// configuration builds one adapter per name (a credential section per provider),
// and the simulators keep their own list of what they serve; both must match it.
func TestProviderListsAgree(t *testing.T) {
	if !slices.Equal(sandboxes.Names, contract.ProviderNames) {
		t.Errorf("sandboxes.Names = %v, contract.ProviderNames = %v", sandboxes.Names, contract.ProviderNames)
	}
	for _, p := range contract.ProviderNames {
		// A credential naming the provider without its section must be refused for
		// that reason, not as an unknown provider: the configuration knows it.
		_, err := config.Build("x.yaml", config.File{Merchants: map[string]*config.Merchant{"m": {
			Credentials: map[string]*config.Credential{"c": {Provider: p}}}}}, providers.Deps{})
		if err == nil || !strings.Contains(err.Error(), "section is required for provider "+p) {
			t.Errorf("provider %s: the configuration does not build its adapter: %v", p, err)
		}
	}
}
