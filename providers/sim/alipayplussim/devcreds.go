package alipayplussim

import (
	"fmt"

	"github.com/paycancel/paycancel/providers/alipayplus"
	"github.com/paycancel/paycancel/providers/sim/simkit"

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
func DevCredentials(dir, baseURL string) (alipayplus.Config, SandboxConfig, error) {
	dir, err := providers.MakeDevDir(dir)
	if err != nil {
		return alipayplus.Config{}, SandboxConfig{}, err
	}
	merchantPriv, merchantPub, err := ensureKeyPair(dir, alipayplus.Name+"-merchant")
	if err != nil {
		return alipayplus.Config{}, SandboxConfig{}, err
	}
	walletPriv, walletPub, err := ensureKeyPair(dir, alipayplus.Name+"-wallet")
	if err != nil {
		return alipayplus.Config{}, SandboxConfig{}, err
	}
	cfg := alipayplus.Config{
		BaseURL:            strings.TrimRight(baseURL, "/"),
		ClientID:           DevClientID,
		KeyVersion:         "1",
		MerchantPrivateKey: providers.SecretRef{File: merchantPriv},
		WalletPublicKey:    providers.SecretRef{File: walletPub},
	}
	// The sandbox insists on what the adapter sends by default (Request-Time with
	// milliseconds, the Key-Version header), so every run proves it is sent.
	sb := SandboxConfig{ClientID: DevClientID, KeyVersion: "1", RequestTimeFormat: alipayplus.TimeRFC3339Millis, RequireKeyVersionHeader: true}
	if sb.MerchantPublicKey, err = providers.LoadPublicKeyFile(merchantPub); err != nil {
		return alipayplus.Config{}, SandboxConfig{}, err
	}
	if sb.WalletPrivateKey, err = providers.LoadPrivateKeyFile(walletPriv); err != nil {
		return alipayplus.Config{}, SandboxConfig{}, err
	}
	return cfg, sb, nil
}

// ensureKeyPair returns the paths of <name>-private.pem and <name>-public.pem in dir,
// making the pair there with providers.EnsureKeyPair.
func ensureKeyPair(dir, name string) (privPath, pubPath string, err error) {
	privPath = filepath.Join(dir, name+"-private.pem")
	pubPath = filepath.Join(dir, name+"-public.pem")
	if err := providers.EnsureKeyPair(privPath, pubPath); err != nil {
		return "", "", err
	}
	return privPath, pubPath, nil
}

// Dev returns a sandbox with DevCredentials' keys in dir and the adapter
// Config that talks to it at baseURL, with o applied.
func Dev(dir, baseURL string, o simkit.DevOptions) (alipayplus.Config, *Sandbox, error) {
	cfg, sb, err := DevCredentials(dir, baseURL)
	if err != nil {
		return cfg, nil, fmt.Errorf("%s sandbox keys: %w", alipayplus.Name, err)
	}
	cfg.ClientID, sb.ClientID = cfg.ClientID+o.AccountTag, sb.ClientID+o.AccountTag
	return cfg, NewSandbox(sb), nil
}
