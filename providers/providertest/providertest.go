// Package providertest holds what the providers' tests share: reading test
// files and keys, and checking an outcome. It imports only providers, so an
// adapter's own tests may use it without reaching the simulators.
package providertest

import (
	"bytes"
	"crypto/rsa"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

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

// Testdata reads a file under the test's testdata folder or fails t.
func Testdata(t testing.TB, name string) []byte {
	t.Helper()
	return ReadFile(t, filepath.Join("testdata", name))
}

// LoadPrivateKey loads an RSA private key file (PEM or base64 DER) or fails t.
func LoadPrivateKey(t testing.TB, path string) *rsa.PrivateKey {
	t.Helper()
	return must(t, path, providers.LoadPrivateKeyFile)
}

// LoadPublicKey loads an RSA public key file or fails t.
func LoadPublicKey(t testing.TB, path string) *rsa.PublicKey {
	t.Helper()
	return must(t, path, providers.LoadPublicKeyFile)
}

func must[K any](t testing.TB, path string, load func(string) (K, error)) K {
	t.Helper()
	k, err := load(path)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// OpenSSL runs the openssl command with args and stdin and returns what it wrote,
// for the signing tests' cross-checks against an independent implementation. It
// skips t where openssl is not installed and fails t when the command fails.
func OpenSSL(t testing.TB, stdin []byte, args ...string) []byte {
	t.Helper()
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not on PATH")
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl %v: %v", args, err)
	}
	return out
}

// OpenSSLSign signs data with `openssl dgst -<hash> -sign keyFile` (RSASSA-PKCS1-v1_5)
// and returns the raw signature; see OpenSSL.
func OpenSSLSign(t testing.TB, hash, keyFile string, data []byte) []byte {
	t.Helper()
	return OpenSSL(t, data, "dgst", "-"+hash, "-sign", keyFile)
}

// Clock is a settable clock for a sandbox or an adapter (Deps.Now).
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
