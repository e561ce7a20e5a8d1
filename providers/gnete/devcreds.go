package gnete

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/paycancel/paycancel/providers"
)

// Dev merchant ids (the seed's own example values).
const (
	devMchNo = "M1621873433953"
	devAppID = "60cc09bce4b0f1c0b83761c9"
	// devSecretFile holds the shared MD5 app secret (GNETE has no key pairs).
	devSecretFile = "gnete-app-secret.txt"
)

// DevCredentials makes (once; an existing file is reused) a random app secret in
// dir/gnete-app-secret.txt (0600) and returns a Config pointing at it, with BaseURL
// = baseURL (where the sandbox handler is mounted; the gateway's paths start at its
// root), plus the matching SandboxConfig.
func DevCredentials(dir, baseURL string) (Config, SandboxConfig, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Config{}, SandboxConfig{}, err
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return Config{}, SandboxConfig{}, err
	}
	path := filepath.Join(abs, devSecretFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if err := writeNewSecret(path); err != nil {
			return Config{}, SandboxConfig{}, err
		}
	}
	ref := providers.SecretRef{File: path}
	secret, err := ref.Load("")
	if err != nil {
		return Config{}, SandboxConfig{}, fmt.Errorf("gnete dev app secret: %v", err)
	}
	cfg := Config{
		BaseURL:    strings.TrimRight(baseURL, "/"),
		MchNo:      devMchNo,
		AppID:      devAppID,
		AppSecret:  ref,
		Version:    "1.0",
		BodyFormat: BodyJSON,
	}
	return cfg, SandboxConfig{MchNo: devMchNo, AppID: devAppID, AppSecret: secret}, nil
}

// writeNewSecret writes a random secret of 52 base32 letters and digits (256 bits,
// crypto/rand.Text twice), created exclusively so a concurrent run cannot
// overwrite it.
func writeNewSecret(path string) error {
	buf := []byte(rand.Text() + rand.Text())
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(append(buf, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
