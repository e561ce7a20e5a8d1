package gnetesim

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/gnete"
	"github.com/paycancel/paycancel/providers/sim/simkit"
)

// Dev merchant ids (the API page's own example values).
const (
	devMchNo = "M1621873433953"
	devAppID = "60cc09bce4b0f1c0b83761c9"
	// devSecretFile holds the shared MD5 app secret (GNETE has no key pairs).
	devSecretFile = "gnete-app-secret.txt"
)

// DevCredentials makes (once; an existing file is reused) a random app secret in
// dir/gnete-app-secret.txt (0600) and returns a Config pointing at it, with BaseURL
// = baseURL (where the sandbox handler is mounted; the gateway's paths start at its
// root), plus the matching SandboxConfig.
func DevCredentials(dir, baseURL string) (gnete.Config, SandboxConfig, error) {
	abs, err := simkit.MakeDevDir(dir)
	if err != nil {
		return gnete.Config{}, SandboxConfig{}, err
	}
	path := filepath.Join(abs, devSecretFile)
	// 32 bytes: 52 base32 letters and digits (256 bits).
	secret, err := simkit.EnsureSecretFile(path, 32)
	if err != nil {
		return gnete.Config{}, SandboxConfig{}, fmt.Errorf("app secret: %w", err)
	}
	cfg := gnete.Config{
		BaseURL:    strings.TrimRight(baseURL, "/"),
		MchNo:      devMchNo,
		AppID:      devAppID,
		AppSecret:  providers.SecretRef{File: path},
		Version:    "1.0",
		BodyFormat: gnete.BodyJSON,
	}
	return cfg, SandboxConfig{MchNo: devMchNo, AppID: devAppID, AppSecret: secret}, nil
}

// Dev returns a sandbox with DevCredentials' secret in dir and the adapter
// Config that talks to it at baseURL, with o applied (GNETE takes the
// notification URL from each cancel, not from o).
func Dev(dir, baseURL string, o simkit.DevOptions) (gnete.Config, *Sandbox, error) {
	return simkit.Dev(gnete.Name, dir, baseURL, DevCredentials, func(c *gnete.Config, s *SandboxConfig) {
		s.NotifySchedule = o.NotifySchedule
		c.MchNo, s.MchNo = c.MchNo+o.AccountTag, s.MchNo+o.AccountTag
	}, NewSandbox)
}
