package providers

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"
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
		k, err := LoadPrivateKeyFile(priv)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		p, err := LoadPublicKeyFile(pub)
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

func TestLoadKeyFieldErrors(t *testing.T) {
	_, err := LoadPrivateKey(SecretRef{Value: NewSecret("not-a-key-SECRET")}, "", "merchantPrivateKey")
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "merchantPrivateKey" || bytes.Contains([]byte(err.Error()), []byte("SECRET")) {
		t.Fatalf("private: %v", err)
	}
	_, err = LoadPublicKey(SecretRef{}, "", "providerPublicKey")
	if !errors.As(err, &fe) || fe.Field != "providerPublicKey" || err.Error() != "providerPublicKey: not set: give file or env" {
		t.Fatalf("public: %v", err)
	}
	for _, tc := range []struct{ url, want string }{
		{"", "baseURL: required"},
		{"ftp://x", "baseURL: must be an absolute http(s) URL"},
		{"https://", "baseURL: must be an absolute http(s) URL"},
		{"https://gw.example/api", ""},
	} {
		err := CheckBaseURL("baseURL", tc.url)
		if (err == nil) != (tc.want == "") || (err != nil && err.Error() != tc.want) {
			t.Errorf("CheckBaseURL(%q) = %v, want %q", tc.url, err, tc.want)
		}
	}
}
