package alipayglobal

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

// Development identifiers (shaped like the seed's samples).
const (
	devClientID  = "2110000000000000044"
	devPartnerID = "2188200000000000023"
)

// DevCredentials makes (once; later calls reuse the files) a merchant key pair and an
// "Alipay" key pair in dir, and returns a Config pointing at them with BaseURL =
// baseURL (where the sandbox handler is mounted: the API paths are appended to it),
// plus the matching SandboxConfig. For --dev, tests and the demo only.
func DevCredentials(dir, baseURL string) (Config, SandboxConfig, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Config{}, SandboxConfig{}, err
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return Config{}, SandboxConfig{}, err
	}
	_, merchantPub, merchantPrivFile, _, err := devKeyPair(abs, Name+"-merchant")
	if err != nil {
		return Config{}, SandboxConfig{}, err
	}
	alipayPriv, _, _, alipayPubFile, err := devKeyPair(abs, Name+"-alipay")
	if err != nil {
		return Config{}, SandboxConfig{}, err
	}
	cfg := Config{
		BaseURL:            strings.TrimRight(baseURL, "/"),
		ClientID:           devClientID,
		PartnerID:          devPartnerID,
		MerchantPrivateKey: providers.SecretRef{File: merchantPrivFile},
		AlipayPublicKey:    providers.SecretRef{File: alipayPubFile},
	}
	sb := SandboxConfig{
		MerchantPublicKey: merchantPub,
		AlipayPrivateKey:  alipayPriv,
		ClientID:          devClientID,
		PartnerID:         devPartnerID,
	}
	return cfg, sb, nil
}

// devKeyPair reads <name>-private.pem and <name>-public.pem from dir, or generates
// and writes both when either is missing. It returns the keys and the two file paths.
func devKeyPair(dir, name string) (priv *rsa.PrivateKey, pub *rsa.PublicKey, privFile, pubFile string, err error) {
	privFile = filepath.Join(dir, name+"-private.pem")
	pubFile = filepath.Join(dir, name+"-public.pem")
	privPEM, errPriv := os.ReadFile(privFile)
	pubPEM, errPub := os.ReadFile(pubFile)
	switch {
	case errPriv == nil && errPub == nil:
	case errors.Is(errPriv, fs.ErrNotExist) || errors.Is(errPub, fs.ErrNotExist):
		if privPEM, pubPEM, err = providers.GenerateKeyPEM(2048); err != nil {
			return nil, nil, "", "", err
		}
		if err = writeFileAtomic(privFile, privPEM, 0o600); err != nil {
			return nil, nil, "", "", err
		}
		if err = writeFileAtomic(pubFile, pubPEM, 0o644); err != nil {
			return nil, nil, "", "", err
		}
	default:
		return nil, nil, "", "", fmt.Errorf("dev keys %s: %v", name, errors.Join(errPriv, errPub))
	}
	if priv, err = providers.ParsePrivateKey(privPEM); err != nil {
		return nil, nil, "", "", fmt.Errorf("%s: %v", privFile, err)
	}
	if pub, err = providers.ParsePublicKey(pubPEM); err != nil {
		return nil, nil, "", "", fmt.Errorf("%s: %v", pubFile, err)
	}
	return priv, pub, privFile, pubFile, nil
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
