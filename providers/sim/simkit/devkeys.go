package simkit

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/paycancel/paycancel/providers"
)

// Development credentials: what every simulator's DevCredentials (for --dev, tests
// and the demo) needs to make key and secret files once and reuse them afterwards.
// They live here, not in providers: adapters load keys and never make them.
// providers keeps only the PEM encoding both sides share (GenerateKeyPEM,
// PublicKeyPEM), which its own key tests use too.

// DevKeyBits is the size of the RSA keys EnsureKeyPair generates.
const DevKeyBits = 2048

// MakeDevDir returns dir as an absolute path, creating it (0700) when missing.
func MakeDevDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return "", err
	}
	return abs, nil
}

// EnsureKeyPair makes sure privPath holds an RSA private key (PEM, 0600) and pubPath
// its public key (SPKI PEM, 0644). The private key is the source of truth: an
// existing one is kept, a missing one is generated (created exclusively, so a
// concurrent run cannot replace it: the loser uses the winner's). The public file is
// derived: it is (re)written when it is missing or belongs to another key.
func EnsureKeyPair(privPath, pubPath string) error {
	data, err := os.ReadFile(privPath)
	if errors.Is(err, fs.ErrNotExist) {
		priv, _, gerr := providers.GenerateKeyPEM(DevKeyBits)
		if gerr != nil {
			return gerr
		}
		if werr := writeNewFile(privPath, priv, 0o600); werr != nil {
			return werr
		}
		data, err = os.ReadFile(privPath) // another process may have won the race
	}
	if err != nil {
		return err
	}
	key, err := providers.ParsePrivateKey(data)
	if err != nil {
		return fmt.Errorf("%s: %v", privPath, err)
	}
	if pubData, err := os.ReadFile(pubPath); err == nil {
		if pub, err := providers.ParsePublicKey(pubData); err == nil && pub.Equal(&key.PublicKey) {
			return nil
		}
	}
	pubPEM, err := providers.PublicKeyPEM(&key.PublicKey)
	if err != nil {
		return err
	}
	return writeFileAtomic(pubPath, pubPEM, 0o644)
}

// writeTemp writes data with the given mode to a new temporary file next to path
// and returns its name. The caller moves it into place and removes it.
func writeTemp(path string, data []byte, mode os.FileMode) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return "", err
	}
	tmp := f.Name()
	if err := f.Chmod(mode); err != nil {
		f.Close()
		os.Remove(tmp)
		return "", err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return "", err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// writeFileAtomic writes path through a temporary file so that a reader never sees
// half a file. An existing file is replaced.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := writeTemp(path, data, mode)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	return os.Rename(tmp, path)
}

// writeNewFile creates path with data unless it exists already (then it does
// nothing). The file appears complete (a temporary file linked into place), so a
// concurrent reader never sees half of it and a concurrent writer cannot replace it.
func writeNewFile(path string, data []byte, mode os.FileMode) error {
	tmp, err := writeTemp(path, data, mode)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}

// EnsureSecretFile makes sure path holds a shared secret (for development
// credentials) and returns it as providers.SecretRef{File: path}.Load would. An existing file
// is reused; otherwise nBytes from crypto/rand are written as unpadded base32
// letters and digits (32 bytes: 52 characters, 256 bits) into a new 0600 file,
// created exclusively so that a concurrent run cannot overwrite it.
func EnsureSecretFile(path string, nBytes int) (providers.Secret, error) {
	if nBytes <= 0 {
		return providers.Secret{}, fmt.Errorf("secret size %d: must be positive", nBytes)
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		buf := make([]byte, nBytes)
		_, _ = rand.Read(buf) // crypto/rand.Read never fails (Go 1.24+)
		text := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(buf)
		if err := writeNewFile(path, []byte(text+"\n"), 0o600); err != nil {
			return providers.Secret{}, err
		}
	}
	return providers.SecretRef{File: path}.Load("")
}
