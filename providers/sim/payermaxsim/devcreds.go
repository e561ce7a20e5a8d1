package payermaxsim

import (
	"strings"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/payermax"
	"github.com/paycancel/paycancel/providers/sim/simkit"
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
	keys, err := simkit.DevKeyPairs(dir, [2]string{devMerchantPrivate, devMerchantPublic}, [2]string{devProviderPrivate, devProviderPublic})
	if err != nil {
		return payermax.Config{}, SandboxConfig{}, err
	}
	merchant, provider := keys[0], keys[1]
	cfg := payermax.Config{
		BaseURL:            strings.TrimRight(baseURL, "/") + payermax.GatewayPath,
		AppID:              DevAppID,
		MerchantNo:         DevMerchantNo,
		KeyVersion:         payermax.DefaultKeyVersion,
		Version:            payermax.DefaultVersion,
		MerchantPrivateKey: providers.SecretRef{File: merchant.PrivateFile},
		ProviderPublicKey:  providers.SecretRef{File: provider.PublicFile},
	}
	return cfg, SandboxConfig{AppID: DevAppID, MerchantNo: DevMerchantNo, MerchantPublicKey: &merchant.Private.PublicKey, ProviderPrivateKey: provider.Private}, nil
}

// Dev returns a sandbox with DevCredentials' keys in dir and the adapter
// Config that talks to it at baseURL, with o applied.
func Dev(dir, baseURL string, o simkit.DevOptions) (payermax.Config, *Sandbox, error) {
	return simkit.Dev(payermax.Name, dir, baseURL, DevCredentials, func(c *payermax.Config, s *SandboxConfig) {
		s.NotifyURL, s.NotifySchedule = o.NotifyURL, o.NotifySchedule
		c.AppID, s.AppID = c.AppID+o.AccountTag, s.AppID+o.AccountTag
	}, NewSandbox)
}
