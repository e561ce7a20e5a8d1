package simkit

import (
	"crypto/rsa"
	"fmt"
	"path/filepath"
	"time"

	"github.com/paycancel/paycancel/providers"
)

// DevOptions are what a set of sandboxes passes to each provider's Dev (its
// sandbox with development credentials): where console-configured notifications go,
// how fast they retry, and the account tag that makes the development account ids
// a second merchant's.
type DevOptions struct {
	// NotifyURL receives the notifications the provider sends to a URL set in its
	// console (PayerMax cancel results, Ksher payment webhooks). Providers that
	// take the URL from the request ignore it. Empty: none.
	NotifyURL string
	// NotifySchedule overrides the provider's notification schedule. Nil: the
	// provider's documented schedule.
	NotifySchedule []time.Duration
	// AccountTag is appended to the development account id (PayerMax appId,
	// Alipay+ Client-Id, GNETE mchNo, Ksher appid, Alipay Global partnerId) in both
	// the sandbox and the adapter configuration.
	AccountTag string
}

// KeyPair is a development RSA key pair kept in two files in a folder.
type KeyPair struct {
	Private                 *rsa.PrivateKey
	PrivateFile, PublicFile string
}

// DevKeyPairs makes dir (0700) and, in it, each named key pair ({private file,
// public file}): generated once (the private key 0600), reused afterwards, the
// public file derived from the private key (EnsureKeyPair). The files
// are named by the caller so that one folder can hold every provider's keys.
func DevKeyPairs(dir string, names ...[2]string) ([]KeyPair, error) {
	abs, err := MakeDevDir(dir)
	if err != nil {
		return nil, err
	}
	pairs := make([]KeyPair, len(names))
	for i, n := range names {
		kp := KeyPair{PrivateFile: filepath.Join(abs, n[0]), PublicFile: filepath.Join(abs, n[1])}
		if err := EnsureKeyPair(kp.PrivateFile, kp.PublicFile); err != nil {
			return nil, fmt.Errorf("development key %s: %w", n[0], err)
		}
		if kp.Private, err = providers.LoadPrivateKeyFile(kp.PrivateFile); err != nil {
			return nil, err
		}
		pairs[i] = kp
	}
	return pairs, nil
}

// Dev is what every simulator package's Dev does: development credentials for
// the adapter and the sandbox (creds), the options applied to both (apply), and
// the sandbox made. The error names the provider.
func Dev[C, SC, S any](provider, dir, baseURL string, creds func(dir, baseURL string) (C, SC, error), apply func(*C, *SC), newSandbox func(SC) S) (C, S, error) {
	cfg, sc, err := creds(dir, baseURL)
	if err != nil {
		var none S
		return cfg, none, fmt.Errorf("%s sandbox keys: %w", provider, err)
	}
	apply(&cfg, &sc)
	return cfg, newSandbox(sc), nil
}
