package alipayplus

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/paycancel/paycancel/providers"
)

// DevClientID is the Client-Id of the development credentials.
const DevClientID = "SANDBOX_ALIPAYPLUS_DEV"

// DevCredentials makes (once; files already in dir are reused) the merchant key pair
// and the wallet key pair in dir, and returns a Config pointing at them and the
// matching SandboxConfig. baseURL is where the sandbox handler is mounted (e.g.
// "http://127.0.0.1:8299/alipayplus"); the client appends the API paths to it and
// signs them with that prefix, which the sandbox reads from the request line.
func DevCredentials(dir, baseURL string) (Config, SandboxConfig, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return Config{}, SandboxConfig{}, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Config{}, SandboxConfig{}, err
	}
	merchantPriv, merchantPub, err := ensureKeyPair(dir, Name+"-merchant")
	if err != nil {
		return Config{}, SandboxConfig{}, err
	}
	walletPriv, walletPub, err := ensureKeyPair(dir, Name+"-wallet")
	if err != nil {
		return Config{}, SandboxConfig{}, err
	}
	cfg := Config{
		BaseURL:            strings.TrimRight(baseURL, "/"),
		ClientID:           DevClientID,
		KeyVersion:         "1",
		RequestTimeFormat:  TimeRFC3339,
		MerchantPrivateKey: providers.SecretRef{File: merchantPriv},
		WalletPublicKey:    providers.SecretRef{File: walletPub},
	}
	sb := SandboxConfig{ClientID: DevClientID, KeyVersion: "1"}
	if sb.MerchantPublicKey, err = loadPublic(merchantPub); err != nil {
		return Config{}, SandboxConfig{}, err
	}
	if sb.WalletPrivateKey, err = loadPrivate(walletPriv); err != nil {
		return Config{}, SandboxConfig{}, err
	}
	return cfg, sb, nil
}

// ensureKeyPair returns the paths of <name>-private.pem and <name>-public.pem in dir,
// generating both when either is missing.
func ensureKeyPair(dir, name string) (privPath, pubPath string, err error) {
	privPath = filepath.Join(dir, name+"-private.pem")
	pubPath = filepath.Join(dir, name+"-public.pem")
	if exists(privPath) && exists(pubPath) {
		return privPath, pubPath, nil
	}
	priv, pub, err := providers.GenerateKeyPEM(2048)
	if err != nil {
		return "", "", err
	}
	if err := writeAtomic(privPath, priv, 0o600); err != nil {
		return "", "", err
	}
	if err := writeAtomic(pubPath, pub, 0o644); err != nil {
		return "", "", err
	}
	return privPath, pubPath, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

// writeAtomic writes through a temporary file so a reader never sees half a key.
func writeAtomic(path string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func loadPrivate(path string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := providers.ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return k, nil
}

func loadPublic(path string) (*rsa.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := providers.ParsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return k, nil
}
