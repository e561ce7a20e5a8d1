package kshersim

import (
	"github.com/paycancel/paycancel/providers/ksher"
	"github.com/paycancel/paycancel/providers/sim/simkit"

	"crypto/rsa"
	"fmt"
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
func DevCredentials(dir, baseURL string) (ksher.Config, SandboxConfig, error) {
	abs, err := providers.MakeDevDir(dir)
	if err != nil {
		return ksher.Config{}, SandboxConfig{}, err
	}
	merchant, err := devKeyPair(filepath.Join(abs, devMerchantPrivate), filepath.Join(abs, devMerchantPublic))
	if err != nil {
		return ksher.Config{}, SandboxConfig{}, fmt.Errorf("ksher merchant key: %w", err)
	}
	ksherKey, err := devKeyPair(filepath.Join(abs, devKsherPrivate), filepath.Join(abs, devKsherPublic))
	if err != nil {
		return ksher.Config{}, SandboxConfig{}, fmt.Errorf("ksher provider key: %w", err)
	}
	cfg := ksher.Config{
		BaseURL:            strings.TrimRight(baseURL, "/") + "/api",
		AppID:              DevAppID,
		Lang:               "en",
		MerchantPrivateKey: providers.SecretRef{File: filepath.Join(abs, devMerchantPrivate)},
		KsherPublicKey:     providers.SecretRef{File: filepath.Join(abs, devKsherPublic)},
	}
	sb := SandboxConfig{
		AppID:             DevAppID,
		MerchantPublicKey: &merchant.PublicKey,
		KsherPrivateKey:   ksherKey,
	}
	return cfg, sb, nil
}

// devKeyPair makes sure privPath holds a key and pubPath its public key (see
// providers.EnsureKeyPair: an existing private key is kept, the public file is
// derived from it) and returns the private key.
func devKeyPair(privPath, pubPath string) (*rsa.PrivateKey, error) {
	if err := providers.EnsureKeyPair(privPath, pubPath); err != nil {
		return nil, err
	}
	return providers.LoadPrivateKeyFile(privPath)
}

// Dev returns a sandbox with DevCredentials' keys in dir and the adapter
// Config that talks to it at baseURL, with o applied.
func Dev(dir, baseURL string, o simkit.DevOptions) (ksher.Config, *Sandbox, error) {
	cfg, sb, err := DevCredentials(dir, baseURL)
	if err != nil {
		return cfg, nil, fmt.Errorf("%s sandbox keys: %w", ksher.Name, err)
	}
	sb.NotifyURL = o.NotifyURL
	sb.NotifySchedule = o.NotifySchedule
	cfg.AppID, sb.AppID = cfg.AppID+o.AccountTag, sb.AppID+o.AccountTag
	return cfg, NewSandbox(sb), nil
}
