package config_test

import (
	"slices"
	"testing"

	sandboxes "github.com/paycancel/paycancel/providers/sim"
	"github.com/paycancel/paycancel/worker/config"
	"github.com/paycancel/paycancel/workflows"
)

// TestProviderListsAgree: workflows validates provider names without importing
// the adapters, so it keeps its own list; it must match the configured adapters
// and the sandboxes.
func TestProviderListsAgree(t *testing.T) {
	for name, list := range map[string][]string{"workflows.ProviderNames": workflows.ProviderNames, "sandboxes.Names": sandboxes.Names} {
		if !slices.Equal(list, config.ProviderNames) {
			t.Errorf("%s = %v, config.ProviderNames = %v", name, list, config.ProviderNames)
		}
	}
}
