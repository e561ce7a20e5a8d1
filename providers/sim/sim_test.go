package sim_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/paycancel/paycancel/providers/sim"
)

// TestConfigsMatchTheRunner: the configurations Configs reads from a runner's key
// folder are the ones that runner's sandboxes answer to; before the runner made
// its keys, Configs says so instead of making keys that match nothing.
func TestConfigsMatchTheRunner(t *testing.T) {
	dir := t.TempDir()
	if _, err := sim.Configs(dir, "http://127.0.0.1:1"); err == nil || !strings.Contains(err.Error(), "no keys for") {
		t.Fatalf("Configs before the runner made keys: %v, want a missing-keys error", err)
	}
	runner, err := sim.Start(sim.Options{Addr: "127.0.0.1:0", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer runner.Close()
	got, err := sim.Configs(dir, runner.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	for name, pair := range map[string][2]any{
		"payermax":     {got.PayerMaxConfig, runner.PayerMaxConfig},
		"alipayplus":   {got.AlipayPlusConfig, runner.AlipayPlusConfig},
		"gnete":        {got.GNETEConfig, runner.GNETEConfig},
		"ksher":        {got.KsherConfig, runner.KsherConfig},
		"alipayglobal": {got.AlipayGlobalConfig, runner.AlipayGlobalConfig},
	} {
		if !reflect.DeepEqual(pair[0], pair[1]) {
			t.Errorf("%s: Configs gave\n%+v\nthe runner uses\n%+v", name, pair[0], pair[1])
		}
	}
}
