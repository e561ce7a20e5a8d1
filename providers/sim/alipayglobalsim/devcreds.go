package alipayglobalsim

import (
	"strings"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/alipayglobal"
	"github.com/paycancel/paycancel/providers/sim/simkit"
)

// Development identifiers (shaped like the API page's samples).
const (
	devClientID  = "2110000000000000044"
	devPartnerID = "2188200000000000023"
)

// DevCredentials makes (once; later calls reuse the files) a merchant key pair and an
// "Alipay" key pair in dir, and returns a Config pointing at them with BaseURL =
// baseURL (where the sandbox handler is mounted: the API paths are appended to it),
// plus the matching SandboxConfig. For --dev, tests and the demo only.
func DevCredentials(dir, baseURL string) (alipayglobal.Config, SandboxConfig, error) {
	keys, err := simkit.DevKeyPairs(dir,
		[2]string{alipayglobal.Name + "-merchant-private.pem", alipayglobal.Name + "-merchant-public.pem"},
		[2]string{alipayglobal.Name + "-alipay-private.pem", alipayglobal.Name + "-alipay-public.pem"})
	if err != nil {
		return alipayglobal.Config{}, SandboxConfig{}, err
	}
	merchant, provider := keys[0], keys[1]
	cfg := alipayglobal.Config{
		BaseURL:            strings.TrimRight(baseURL, "/"),
		ClientID:           devClientID,
		PartnerID:          devPartnerID,
		MerchantPrivateKey: providers.SecretRef{File: merchant.PrivateFile},
		AlipayPublicKey:    providers.SecretRef{File: provider.PublicFile},
	}
	return cfg, SandboxConfig{ClientID: devClientID, PartnerID: devPartnerID, MerchantPublicKey: &merchant.Private.PublicKey, AlipayPrivateKey: provider.Private}, nil
}

// Dev returns a sandbox with DevCredentials' keys in dir and the adapter
// Config that talks to it at baseURL, with o applied.
func Dev(dir, baseURL string, o simkit.DevOptions) (alipayglobal.Config, *Sandbox, error) {
	return simkit.Dev(alipayglobal.Name, dir, baseURL, DevCredentials, func(c *alipayglobal.Config, s *SandboxConfig) {
		c.PartnerID, s.PartnerID = c.PartnerID+o.AccountTag, s.PartnerID+o.AccountTag
	}, NewSandbox)
}
