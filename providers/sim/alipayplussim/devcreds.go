package alipayplussim

import (
	"strings"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/alipayplus"
	"github.com/paycancel/paycancel/providers/sim/simkit"
)

// DevClientID is the Client-Id of the development credentials.
const DevClientID = "SANDBOX_ALIPAYPLUS_DEV"

// DevCredentials makes (once; files already in dir are reused) the merchant key pair
// and the wallet key pair in dir, and returns a Config pointing at them and the
// matching SandboxConfig. baseURL is where the sandbox handler is mounted (e.g.
// "http://127.0.0.1:8299/alipayplus"); the client appends the API paths to it and
// signs them with that prefix, which the sandbox reads from the request line.
func DevCredentials(dir, baseURL string) (alipayplus.Config, SandboxConfig, error) {
	keys, err := simkit.DevKeyPairs(dir,
		[2]string{alipayplus.Name + "-merchant-private.pem", alipayplus.Name + "-merchant-public.pem"},
		[2]string{alipayplus.Name + "-wallet-private.pem", alipayplus.Name + "-wallet-public.pem"})
	if err != nil {
		return alipayplus.Config{}, SandboxConfig{}, err
	}
	merchant, wallet := keys[0], keys[1]
	cfg := alipayplus.Config{
		BaseURL:            strings.TrimRight(baseURL, "/"),
		ClientID:           DevClientID,
		KeyVersion:         "1",
		MerchantPrivateKey: providers.SecretRef{File: merchant.PrivateFile},
		WalletPublicKey:    providers.SecretRef{File: wallet.PublicFile},
	}
	// The sandbox insists on what the adapter sends by default (Request-Time with
	// milliseconds, the Key-Version header), so every run proves it is sent.
	return cfg, SandboxConfig{ClientID: DevClientID, KeyVersion: "1", RequestTimeFormat: alipayplus.TimeRFC3339Millis, RequireKeyVersionHeader: true,
		MerchantPublicKey: &merchant.Private.PublicKey, WalletPrivateKey: wallet.Private}, nil
}

// Dev returns a sandbox with DevCredentials' keys in dir and the adapter
// Config that talks to it at baseURL, with o applied.
func Dev(dir, baseURL string, o simkit.DevOptions) (alipayplus.Config, *Sandbox, error) {
	return simkit.Dev(alipayplus.Name, dir, baseURL, DevCredentials, func(c *alipayplus.Config, s *SandboxConfig) {
		c.ClientID, s.ClientID = c.ClientID+o.AccountTag, s.ClientID+o.AccountTag
	}, NewSandbox)
}
