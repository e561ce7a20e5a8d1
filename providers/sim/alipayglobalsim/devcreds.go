package alipayglobalsim

import (
	"github.com/paycancel/paycancel/providers/alipayglobal"
	"github.com/paycancel/paycancel/providers/sim/simkit"

	"crypto/rsa"
	"fmt"
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
func DevCredentials(dir, baseURL string) (alipayglobal.Config, SandboxConfig, error) {
	abs, err := providers.MakeDevDir(dir)
	if err != nil {
		return alipayglobal.Config{}, SandboxConfig{}, err
	}
	_, merchantPub, merchantPrivFile, _, err := devKeyPair(abs, alipayglobal.Name+"-merchant")
	if err != nil {
		return alipayglobal.Config{}, SandboxConfig{}, err
	}
	alipayPriv, _, _, alipayPubFile, err := devKeyPair(abs, alipayglobal.Name+"-alipay")
	if err != nil {
		return alipayglobal.Config{}, SandboxConfig{}, err
	}
	cfg := alipayglobal.Config{
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

// devKeyPair makes sure <name>-private.pem and <name>-public.pem in dir hold a key
// pair (providers.EnsureKeyPair) and returns the keys and the two file paths.
func devKeyPair(dir, name string) (priv *rsa.PrivateKey, pub *rsa.PublicKey, privFile, pubFile string, err error) {
	privFile = filepath.Join(dir, name+"-private.pem")
	pubFile = filepath.Join(dir, name+"-public.pem")
	if err = providers.EnsureKeyPair(privFile, pubFile); err != nil {
		return nil, nil, "", "", fmt.Errorf("dev keys %s: %v", name, err)
	}
	if priv, err = providers.LoadPrivateKeyFile(privFile); err != nil {
		return nil, nil, "", "", err
	}
	if pub, err = providers.LoadPublicKeyFile(pubFile); err != nil {
		return nil, nil, "", "", err
	}
	return priv, pub, privFile, pubFile, nil
}

// Dev returns a sandbox with DevCredentials' keys in dir and the adapter
// Config that talks to it at baseURL, with o applied.
func Dev(dir, baseURL string, o simkit.DevOptions) (alipayglobal.Config, *Sandbox, error) {
	cfg, sb, err := DevCredentials(dir, baseURL)
	if err != nil {
		return cfg, nil, fmt.Errorf("%s sandbox keys: %w", alipayglobal.Name, err)
	}
	cfg.PartnerID, sb.PartnerID = cfg.PartnerID+o.AccountTag, sb.PartnerID+o.AccountTag
	return cfg, NewSandbox(sb), nil
}
