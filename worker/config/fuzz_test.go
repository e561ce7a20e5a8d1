package config

import (
	"os"
	"testing"

	"github.com/paycancel/paycancel/providers"
)

// FuzzParse feeds arbitrary bytes to the configuration parser: it must answer with
// a config or an error, never panic. Longer run:
//
//	go test ./worker/config/ -run '^$' -fuzz FuzzParse -fuzztime 5m
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("../../paycancel.example.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("merchants: {}"))
	f.Add([]byte("merchants:\n  m:\n    notify: {secret: {env: X}}\n    credentials:\n      c: {provider: gnete, gnete: {baseURL: 'http://x'}}\n"))
	f.Add([]byte("callbackBaseURL: ::\nmerchants: [1, 2]"))
	f.Add([]byte("merchants:\n  m:\n    credentials:\n      c:\n        provider: ksher\n        policy: {cancelWindow: {rule: sameDay, timeZone: Nowhere/City}, queryBackoff: {initial: -1s}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.yaml", data, providers.Deps{BaseDir: t.TempDir()})
		if err == nil && cfg == nil {
			t.Fatal("nil config without an error")
		}
	})
}
