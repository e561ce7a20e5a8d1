package kshersim

import (
	"strings"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/ksher"
	"github.com/paycancel/paycancel/providers/sim/simkit"
)

// DevAppID is the merchant appid DevCredentials uses (the Order Cancel page's example).
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
	keys, err := simkit.DevKeyPairs(dir, [2]string{devMerchantPrivate, devMerchantPublic}, [2]string{devKsherPrivate, devKsherPublic})
	if err != nil {
		return ksher.Config{}, SandboxConfig{}, err
	}
	merchant, provider := keys[0], keys[1]
	cfg := ksher.Config{
		BaseURL:            strings.TrimRight(baseURL, "/") + "/api",
		AppID:              DevAppID,
		Lang:               "en",
		MerchantPrivateKey: providers.SecretRef{File: merchant.PrivateFile},
		KsherPublicKey:     providers.SecretRef{File: provider.PublicFile},
	}
	return cfg, SandboxConfig{AppID: DevAppID, MerchantPublicKey: &merchant.Private.PublicKey, KsherPrivateKey: provider.Private}, nil
}

// Dev returns a sandbox with DevCredentials' keys in dir and the adapter
// Config that talks to it at baseURL, with o applied.
func Dev(dir, baseURL string, o simkit.DevOptions) (ksher.Config, *Sandbox, error) {
	return simkit.Dev(ksher.Name, dir, baseURL, DevCredentials, func(c *ksher.Config, s *SandboxConfig) {
		s.NotifyURL, s.NotifySchedule = o.NotifyURL, o.NotifySchedule
		c.AppID, s.AppID = c.AppID+o.AccountTag, s.AppID+o.AccountTag
	}, NewSandbox)
}
