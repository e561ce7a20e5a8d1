package ksher

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/paycancel/paycancel/providers"
)

// DevAppID is the merchant appid DevCredentials uses (seed 003's example).
const DevAppID = "mch35000"

// Files DevCredentials keeps in its folder.
const (
	devMerchantPrivate = "ksher-merchant-private.pem"
	devMerchantPublic  = "ksher-merchant-public.pem"
	devKsherPrivate    = "ksher-provider-private.pem"
	devKsherPublic     = "ksher-provider-public.pem"
)

// DevCredentials makes (once; existing files are reused) a merchant key pair and a
// "Ksher" key pair in dir, and returns a Config pointing at them with BaseURL
// baseURL+"/api" (the sandbox serves Ksher's /api/... paths under baseURL), plus the
// matching SandboxConfig. Private keys are written 0600.
//
// The sandbox's provider key is 2048-bit, not 512 like Ksher's real one: Go cannot
// sign with keys under 1024 bits (the 512-bit path is covered by test vectors).
func DevCredentials(dir, baseURL string) (Config, SandboxConfig, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Config{}, SandboxConfig{}, err
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return Config{}, SandboxConfig{}, err
	}
	merchant, err := devKeyPair(filepath.Join(abs, devMerchantPrivate), filepath.Join(abs, devMerchantPublic))
	if err != nil {
		return Config{}, SandboxConfig{}, fmt.Errorf("ksher merchant key: %w", err)
	}
	ksher, err := devKeyPair(filepath.Join(abs, devKsherPrivate), filepath.Join(abs, devKsherPublic))
	if err != nil {
		return Config{}, SandboxConfig{}, fmt.Errorf("ksher provider key: %w", err)
	}
	cfg := Config{
		BaseURL:            strings.TrimRight(baseURL, "/") + "/api",
		AppID:              DevAppID,
		Lang:               "en",
		MerchantPrivateKey: providers.SecretRef{File: filepath.Join(abs, devMerchantPrivate)},
		KsherPublicKey:     providers.SecretRef{File: filepath.Join(abs, devKsherPublic)},
	}
	sb := SandboxConfig{
		AppID:             DevAppID,
		MerchantPublicKey: &merchant.PublicKey,
		KsherPrivateKey:   ksher,
	}
	return cfg, sb, nil
}

// devKeyPair loads the private key at privPath or makes one, and (re)writes the
// public key file when it is missing.
func devKeyPair(privPath, pubPath string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(privPath)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist):
		priv, _, gerr := providers.GenerateKeyPEM(2048)
		if gerr != nil {
			return nil, gerr
		}
		if werr := writeNew(privPath, priv, 0o600); werr != nil {
			return nil, werr
		}
		if data, err = os.ReadFile(privPath); err != nil { // another process may have won the race
			return nil, err
		}
	default:
		return nil, err
	}
	key, err := providers.ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", privPath, err)
	}
	// The public file is derived: rewrite it when it is missing or belongs to another key.
	if pubData, err := os.ReadFile(pubPath); err == nil {
		if pub, err := providers.ParsePublicKey(pubData); err == nil && pub.Equal(&key.PublicKey) {
			return key, nil
		}
	}
	spki, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki}), 0o644); err != nil {
		return nil, err
	}
	return key, nil
}

// writeNew creates path with data unless it exists already.
func writeNew(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
