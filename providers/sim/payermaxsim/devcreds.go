package payermaxsim

import (
	"fmt"

	"github.com/paycancel/paycancel/providers/payermax"
	"github.com/paycancel/paycancel/providers/sim/simkit"

	"path/filepath"
	"strings"

	"github.com/paycancel/paycancel/providers"
)

// Development identities used by DevCredentials (shaped like PayerMax's).
const (
	DevAppID      = "0dev0payermax0sandbox0app0000000"
	DevMerchantNo = "P01010000000001"
)

// Key files DevCredentials keeps in its folder. The names carry the provider so
// that one folder can hold every provider's development keys.
const (
	devMerchantPrivate = "payermax_merchant_private.pem"
	devMerchantPublic  = "payermax_merchant_public.pem"
	devProviderPrivate = "payermax_provider_private.pem"
	devProviderPublic  = "payermax_provider_public.pem"
)

// DevCredentials returns a Config and the matching SandboxConfig for --dev, tests
// and the demo. It generates the merchant and the provider RSA key pairs in dir
// once (private keys 0600) and reuses them afterwards. baseURL is where the sandbox
// handler is mounted (e.g. "http://127.0.0.1:8299/payermax"); payermax.GatewayPath is
// appended to it.
func DevCredentials(dir, baseURL string) (payermax.Config, SandboxConfig, error) {
	dir, err := providers.MakeDevDir(dir)
	if err != nil {
		return payermax.Config{}, SandboxConfig{}, err
	}
	for _, pair := range [][2]string{{devMerchantPrivate, devMerchantPublic}, {devProviderPrivate, devProviderPublic}} {
		if err := providers.EnsureKeyPair(filepath.Join(dir, pair[0]), filepath.Join(dir, pair[1])); err != nil {
			return payermax.Config{}, SandboxConfig{}, err
		}
	}
	merchantPub, err := providers.LoadPublicKeyFile(filepath.Join(dir, devMerchantPublic))
	if err != nil {
		return payermax.Config{}, SandboxConfig{}, err
	}
	providerKey, err := providers.LoadPrivateKeyFile(filepath.Join(dir, devProviderPrivate))
	if err != nil {
		return payermax.Config{}, SandboxConfig{}, err
	}
	cfg := payermax.Config{
		BaseURL:            strings.TrimRight(baseURL, "/") + payermax.GatewayPath,
		AppID:              DevAppID,
		MerchantNo:         DevMerchantNo,
		KeyVersion:         payermax.DefaultKeyVersion,
		Version:            payermax.DefaultVersion,
		MerchantPrivateKey: providers.SecretRef{File: filepath.Join(dir, devMerchantPrivate)},
		ProviderPublicKey:  providers.SecretRef{File: filepath.Join(dir, devProviderPublic)},
	}
	sb := SandboxConfig{
		AppID:              DevAppID,
		MerchantNo:         DevMerchantNo,
		MerchantPublicKey:  merchantPub,
		ProviderPrivateKey: providerKey,
	}
	return cfg, sb, nil
}

// Dev returns a sandbox with DevCredentials' keys in dir and the adapter
// Config that talks to it at baseURL, with o applied.
func Dev(dir, baseURL string, o simkit.DevOptions) (payermax.Config, *Sandbox, error) {
	cfg, sb, err := DevCredentials(dir, baseURL)
	if err != nil {
		return cfg, nil, fmt.Errorf("%s sandbox keys: %w", payermax.Name, err)
	}
	sb.NotifyURL = o.NotifyURL
	sb.NotifySchedule = o.NotifySchedule
	cfg.AppID, sb.AppID = cfg.AppID+o.AccountTag, sb.AppID+o.AccountTag
	return cfg, NewSandbox(sb), nil
}
