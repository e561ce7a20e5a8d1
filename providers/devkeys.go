package providers

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Development credentials: what every adapter's DevCredentials (for --dev, tests
// and the demo) needs to make key files once and reuse them afterwards.

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
		priv, _, gerr := GenerateKeyPEM(DevKeyBits)
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
	key, err := ParsePrivateKey(data)
	if err != nil {
		return fmt.Errorf("%s: %v", privPath, err)
	}
	if pubData, err := os.ReadFile(pubPath); err == nil {
		if pub, err := ParsePublicKey(pubData); err == nil && pub.Equal(&key.PublicKey) {
			return nil
		}
	}
	pubPEM, err := publicKeyPEM(&key.PublicKey)
	if err != nil {
		return err
	}
	return writeFileAtomic(pubPath, pubPEM, 0o644)
}

// LoadPrivateKeyFile reads and parses the RSA private key in path (no SecretRef:
// for development files whose paths the caller made). Errors name the file.
func LoadPrivateKeyFile(path string) (*rsa.PrivateKey, error) {
	return loadKeyFile(path, ParsePrivateKey)
}

// LoadPublicKeyFile reads and parses the RSA public key in path. Errors name the file.
func LoadPublicKeyFile(path string) (*rsa.PublicKey, error) {
	return loadKeyFile(path, ParsePublicKey)
}

func loadKeyFile[K any](path string, parse func([]byte) (K, error)) (K, error) {
	var zero K
	data, err := os.ReadFile(path)
	if err != nil {
		return zero, err
	}
	k, err := parse(data)
	if err != nil {
		return zero, fmt.Errorf("%s: %v", path, err)
	}
	return k, nil
}

func publicKeyPEM(pub *rsa.PublicKey) ([]byte, error) {
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki}), nil
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
