package simkit

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/paycancel/paycancel/providers"
)

func TestEnsureKeyPair(t *testing.T) {
	dir, err := MakeDevDir(filepath.Join(t.TempDir(), "keys"))
	if err != nil || !filepath.IsAbs(dir) {
		t.Fatalf("MakeDevDir: %q %v", dir, err)
	}
	priv, pub := filepath.Join(dir, "a-private.pem"), filepath.Join(dir, "a-public.pem")
	if err := EnsureKeyPair(priv, pub); err != nil {
		t.Fatal(err)
	}
	check := func(what string) []byte {
		t.Helper()
		k, err := providers.LoadPrivateKeyFile(priv)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		p, err := providers.LoadPublicKeyFile(pub)
		if err != nil || !p.Equal(&k.PublicKey) {
			t.Fatalf("%s: public key does not match: %v", what, err)
		}
		if fi, err := os.Stat(priv); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: private key file %v %v", what, fi, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 2 {
			t.Fatalf("%s: files %v", what, entries)
		}
		b, _ := os.ReadFile(priv)
		return b
	}
	first := check("made")

	// Reused as is.
	if err := EnsureKeyPair(priv, pub); err != nil {
		t.Fatal(err)
	}
	if again := check("reused"); !bytes.Equal(first, again) {
		t.Fatal("existing private key replaced")
	}

	// A missing or foreign public file is derived again from the private key.
	if err := os.Remove(pub); err != nil {
		t.Fatal(err)
	}
	if err := EnsureKeyPair(priv, pub); err != nil {
		t.Fatal(err)
	}
	if again := check("public missing"); !bytes.Equal(first, again) {
		t.Fatal("private key replaced when only the public file was missing")
	}
	if err := os.WriteFile(pub, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := EnsureKeyPair(priv, pub); err != nil {
		t.Fatal(err)
	}
	check("public garbage")

	// A private file that is not a key is an error naming the file, not replaced.
	if err := os.WriteFile(priv, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := EnsureKeyPair(priv, pub); err == nil || !bytes.Contains([]byte(err.Error()), []byte(priv)) {
		t.Fatalf("bad private key: %v", err)
	}
}

func TestEnsureSecretFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.txt")
	s, err := EnsureSecretFile(path, 32)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[A-Z2-7]{52}$`).MatchString(s.Reveal()) {
		t.Fatalf("secret %q", s.Reveal())
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file %v %v", fi, err)
	}
	again, err := EnsureSecretFile(path, 32)
	if err != nil || again.Reveal() != s.Reveal() {
		t.Fatalf("secret not reused: %v", err)
	}
	if _, err := EnsureSecretFile(filepath.Join(t.TempDir(), "x"), 0); err == nil {
		t.Fatal("size 0 accepted")
	}
}

// TestDevKeysPassTheAdapterFloors: a development key pair is accepted where the
// adapters load keys (merchant key and provider key floors).
func TestDevKeysPassTheAdapterFloors(t *testing.T) {
	dir := t.TempDir()
	// A dev key pair passes both floors.
	priv, pub := filepath.Join(dir, "dev.pem"), filepath.Join(dir, "dev.pub.pem")
	if err := EnsureKeyPair(priv, pub); err != nil {
		t.Fatal(err)
	}
	if _, err := providers.LoadPrivateKey(providers.SecretRef{File: priv}, "", "merchantPrivateKey"); err != nil {
		t.Fatal(err)
	}
	if _, err := providers.LoadPublicKey(providers.SecretRef{File: pub}, "", "providerPublicKey"); err != nil {
		t.Fatal(err)
	}
}
