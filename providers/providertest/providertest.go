// Package providertest holds what the providers' tests share: reading test
// files and keys, and checking an outcome. It imports only providers, so an
// adapter's own tests may use it without reaching the simulators.
package providertest

import (
	"crypto/rsa"
	"os"
	"testing"

	"github.com/paycancel/paycancel/providers"
)

// Expect fails t unless o has kind and reason (and code, when not empty).
func Expect(t testing.TB, what string, o providers.Outcome, kind providers.Kind, reason providers.Reason, code string) {
	t.Helper()
	if o.Kind != kind || o.Reason != reason || (code != "" && o.Code != code) {
		t.Fatalf("%s: outcome %v, want %s/%s code=%q", what, o, kind, reason, code)
	}
}

// ReadFile reads a file or fails t.
func ReadFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// LoadPrivateKey loads an RSA private key file (PEM or base64 DER) or fails t.
func LoadPrivateKey(t testing.TB, path string) *rsa.PrivateKey {
	t.Helper()
	k, err := providers.LoadPrivateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// LoadPublicKey loads an RSA public key file or fails t.
func LoadPublicKey(t testing.TB, path string) *rsa.PublicKey {
	t.Helper()
	k, err := providers.LoadPublicKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
