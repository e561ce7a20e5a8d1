// Package config reads the worker's configuration file: merchants, their merchant
// notification secret and schedule, and their credential sets per provider (base
// URL, ids, where the keys live, per-provider options and the cancel policy).
//
// Secrets are referenced ({file: …} or {env: …}), loaded here, held as
// providers.Secret (which never prints) and never leave the worker: workflows get
// only the credential's name and its non-secret Policy.
//
// The format is YAML; paycancel.example.yaml at the repository root is a complete,
// commented example. In short:
//
//	callbackBaseURL: https://paycancel.example.com   # optional; public root of /callbacks/…
//	providerLimits:                                  # optional, per provider
//	  payermax: {concurrency: 20, ratePerSecond: 0}  # defaults: 20 at once, no rate limit
//	merchants:
//	  <merchant>:                                    # letters, digits, - _ .
//	    notify:
//	      secret: {env: VAR} | {file: path}          # required; "whsec_<base64>" or any text
//	      defaultURL: https://…                      # optional
//	      retrySchedule: [0s, 30s, 60s, 90s, 120s, 150s]   # the default
//	    credentials:                                 # one provider account (Account) belongs to one merchant
//	      <credential>:                              # unique across all merchants
//	        provider: payermax|alipayplus|gnete|ksher|alipayglobal
//	        policy:                                  # optional; provider defaults
//	          paymentPoll: 0s                        # 0: no polling before the pay deadline
//	          queryBackoff: {initial: 5s, max: 10m, multiplier: 2}
//	          cancelRetry: {initial: 2s, max: 2m, multiplier: 2}
//	          maxCancelAttempts: 10
//	          cancelWindow: {rule: after|sameDay|none, after: 168h, timeZone: Asia/Shanghai, buffer: 15m}
//	        <provider>: {…}                          # exactly the section named by provider
//
// Relative file paths are resolved against the configuration file's folder. Unknown
// fields are errors, and every error names the file, the field path (and the line,
// for errors found while reading the YAML) and the problem, never a secret's value.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/alipayglobal"
	"github.com/paycancel/paycancel/providers/alipayplus"
	"github.com/paycancel/paycancel/providers/gnete"
	"github.com/paycancel/paycancel/providers/ksher"
	"github.com/paycancel/paycancel/providers/payermax"
	"github.com/paycancel/paycancel/workflows/contract"
	"github.com/paycancel/paycancel/workflows/contract/webhook"
)

// File is the configuration file as written.
type File struct {
	// CallbackBaseURL is the public URL of this worker's HTTP server, as providers
	// reach it; per-request callback URLs (GNETE notifyUrl) are built from it.
	// Optional; without it no per-request callback URL is sent.
	CallbackBaseURL string `yaml:"callbackBaseURL,omitempty"`
	// Merchants by name.
	Merchants map[string]*Merchant `yaml:"merchants"`
	// ProviderLimits bound each provider's calls from this worker (per-provider
	// task queues), so one slow or throttling provider cannot starve the others.
	ProviderLimits map[string]ProviderLimits `yaml:"providerLimits,omitempty"`
}

// ProviderLimits are one provider's call limits.
type ProviderLimits struct {
	// Concurrency is the most calls at once from one worker. Default 20.
	Concurrency int `yaml:"concurrency,omitempty"`
	// RatePerSecond is the most calls per second across all workers (Temporal's
	// task-queue rate limit). Default 0: unlimited.
	RatePerSecond float64 `yaml:"ratePerSecond,omitempty"`
}

// DefaultProviderConcurrency is ProviderLimits.Concurrency's default.
const DefaultProviderConcurrency = 20

// Merchant is one merchant (a paycancel tenant).
type Merchant struct {
	// Notify is how the merchant hears the final outcome of each cancel.
	Notify Notify `yaml:"notify"`
	// Credentials by name; the name is what a cancel request names, so it is unique
	// across all merchants.
	Credentials map[string]*Credential `yaml:"credentials"`
}

// Notify configures merchant notifications (Standard Webhooks style, HMAC-SHA256).
type Notify struct {
	// Secret signs the merchant notifications ("whsec_" + base64, or any text).
	Secret providers.SecretRef `yaml:"secret"`
	// DefaultURL receives notifications of cancels started without a notify URL. Optional.
	DefaultURL string `yaml:"defaultURL,omitempty"`
	// RetrySchedule is the wait before each delivery attempt; default 0s,30s,60s,90s,120s,150s.
	RetrySchedule []Duration `yaml:"retrySchedule,omitempty"`
}

// Credential is one credential set at one provider.
type Credential struct {
	// Provider is one of payermax, alipayplus, gnete, ksher, alipayglobal.
	Provider string `yaml:"provider"`
	// Policy is the cancel policy; unset fields take the provider's defaults.
	Policy PolicyFile `yaml:"policy,omitempty"`

	// Exactly the section named by Provider is set.
	PayerMax     *payermax.Config     `yaml:"payermax,omitempty"`
	AlipayPlus   *alipayplus.Config   `yaml:"alipayplus,omitempty"`
	GNETE        *gnete.Config        `yaml:"gnete,omitempty"`
	Ksher        *ksher.Config        `yaml:"ksher,omitempty"`
	AlipayGlobal *alipayglobal.Config `yaml:"alipayglobal,omitempty"`
}

// PolicyFile is the cancel policy as written; see Policy for meanings and defaults.
type PolicyFile struct {
	PaymentPoll       *Duration     `yaml:"paymentPoll,omitempty"`
	QueryBackoff      *BackoffFile  `yaml:"queryBackoff,omitempty"`
	CancelRetry       *BackoffFile  `yaml:"cancelRetry,omitempty"`
	MaxCancelAttempts *int          `yaml:"maxCancelAttempts,omitempty"`
	CancelWindow      *CancelWindow `yaml:"cancelWindow,omitempty"`
}

// BackoffFile is a capped exponential backoff as written.
type BackoffFile struct {
	Initial    Duration `yaml:"initial"`
	Max        Duration `yaml:"max"`
	Multiplier float64  `yaml:"multiplier"`
}

// CancelWindow says until when a provider accepts a cancel.
type CancelWindow struct {
	// Rule: "after" (payStartedAt + After), "sameDay" (end of the pay day in
	// TimeZone, plus Buffer) or "none" (no provider window; the cancel is still
	// bounded by After as the longest wait).
	Rule string `yaml:"rule"`
	// After is the window length for "after" and the longest wait for "none".
	After Duration `yaml:"after,omitempty"`
	// TimeZone is the IANA zone of the provider's day for "sameDay".
	TimeZone string `yaml:"timeZone,omitempty"`
	// Buffer extends a "sameDay" window (Alipay Global: 15 minutes).
	Buffer Duration `yaml:"buffer,omitempty"`
}

// Duration is a time.Duration written as "30s", "5m", "168h".
type Duration time.Duration

// MarshalYAML writes the duration as "30s".
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	// A *yaml.TypeError lets the decoder go on and report every problem at once.
	bad := func(format string, args ...any) error {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: ", n.Line) + fmt.Sprintf(format, args...)}}
	}
	if n.Kind != yaml.ScalarNode {
		tag := map[yaml.Kind]string{yaml.SequenceNode: "seq", yaml.MappingNode: "map"}[n.Kind]
		if tag == "" {
			tag = "alias"
		}
		return bad("cannot unmarshal !!%s into config.Duration", tag) // rendered by decodeError
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return bad("%q is not a duration (use e.g. 30s, 5m, 168h)", n.Value)
	}
	if v < 0 {
		return bad("duration %q is negative", n.Value)
	}
	*d = Duration(v)
	return nil
}

// Config is the loaded, validated configuration.
type Config struct {
	// Path is the file it came from ("" when built in code).
	Path            string
	CallbackBaseURL string
	Merchants       map[string]*LoadedMerchant
	// Credentials by name, across merchants.
	Credentials map[string]*LoadedCredential
	// ProviderLimits for every provider, defaults filled in.
	ProviderLimits map[string]ProviderLimits
}

// LoadedMerchant is a merchant with its secret loaded.
type LoadedMerchant struct {
	Name          string
	NotifySecret  providers.Secret
	DefaultURL    string
	RetrySchedule []time.Duration
}

// LoadedCredential is a usable credential set.
type LoadedCredential struct {
	Name     string
	Merchant string
	Provider providers.Provider
	Policy   Policy
	// Account is the provider account the credential set belongs to (Account): one
	// account belongs to one merchant.
	Account string
}

// Account names the provider account a credential set belongs to: the identifier
// that scopes the merchant's order numbers at the provider and that the provider's
// notifications carry. PayerMax appId, Alipay+ Client-Id, GNETE mchNo, Ksher
// appid, Alipay Global partnerId. Two credential sets of one account (a key
// rotation) may be configured, but only under one merchant: a cancel is scoped by
// the merchant, so the merchant must be at least as narrow as the account.
func Account(c *Credential) string {
	switch {
	case c.PayerMax != nil && c.Provider == payermax.Name:
		return c.PayerMax.AppID
	case c.AlipayPlus != nil && c.Provider == alipayplus.Name:
		return c.AlipayPlus.ClientID
	case c.GNETE != nil && c.Provider == gnete.Name:
		return c.GNETE.MchNo
	case c.Ksher != nil && c.Provider == ksher.Name:
		return c.Ksher.AppID
	case c.AlipayGlobal != nil && c.Provider == alipayglobal.Name:
		return c.AlipayGlobal.PartnerID
	}
	return ""
}

// accountField is the field Account reads, for error messages.
var accountField = map[string]string{payermax.Name: "appId", alipayplus.Name: "clientID", gnete.Name: "mchNo",
	ksher.Name: "appId", alipayglobal.Name: "partnerId"}

// Load reads, validates and loads the file at path. deps carries the HTTP client
// for the adapters; BaseDir is set to the file's folder.
func Load(path string, deps providers.Deps) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config %s: %v", path, errors.Unwrap(err))
	}
	abs, _ := filepath.Abs(path)
	deps.BaseDir = filepath.Dir(abs)
	return Parse(path, data, deps)
}

// ReadFile reads and decodes a configuration file without loading secrets or
// adapters (for tools that edit it); it returns the folder that relative paths in
// it are resolved against.
func ReadFile(path string) (*File, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("config %s: %v", path, errors.Unwrap(err))
	}
	abs, _ := filepath.Abs(path)
	f, err := decode(path, data)
	return f, filepath.Dir(abs), err
}

func decode(name string, data []byte) (*File, error) {
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("config %s: the file is empty", name)
		}
		return nil, decodeError(name, data, err)
	}
	// Decode reads one document; a second one would be ignored without a word.
	if err := dec.Decode(new(yaml.Node)); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config %s: holds more than one YAML document (a line \"---\"); write one", name)
	}
	return &f, nil
}

// Parse is Load on bytes; name is used in error messages.
func Parse(name string, data []byte, deps providers.Deps) (*Config, error) {
	f, err := decode(name, data)
	if err != nil {
		return nil, err
	}
	return Build(name, *f, deps)
}

// Build validates a File and loads its secrets and adapters.
func Build(name string, f File, deps providers.Deps) (*Config, error) {
	errs := &errorList{file: name}
	cfg := &Config{Path: name, CallbackBaseURL: strings.TrimRight(f.CallbackBaseURL, "/"),
		Merchants: map[string]*LoadedMerchant{}, Credentials: map[string]*LoadedCredential{},
		ProviderLimits: map[string]ProviderLimits{}}
	for _, p := range contract.ProviderNames {
		cfg.ProviderLimits[p] = ProviderLimits{Concurrency: DefaultProviderConcurrency}
	}
	for _, p := range sortedKeys(f.ProviderLimits) {
		l := f.ProviderLimits[p]
		if _, ok := cfg.ProviderLimits[p]; !ok {
			errs.add("providerLimits."+p, fmt.Sprintf("unknown provider (one of %s)", strings.Join(contract.ProviderNames, ", ")))
			continue
		}
		if l.Concurrency == 0 {
			l.Concurrency = DefaultProviderConcurrency
		}
		if l.Concurrency < 1 || l.Concurrency > 10000 || l.RatePerSecond < 0 {
			errs.add("providerLimits."+p, "concurrency must be 1..10000 and ratePerSecond not negative")
			continue
		}
		cfg.ProviderLimits[p] = l
	}
	if f.CallbackBaseURL != "" {
		if err := checkURL(f.CallbackBaseURL); err != nil {
			errs.add("callbackBaseURL", err.Error())
		}
	}
	if len(f.Merchants) == 0 {
		errs.add("merchants", "at least one merchant is required")
	}
	accounts := map[string]*LoadedCredential{} // provider + "\x00" + account → first credential
	for _, mname := range sortedKeys(f.Merchants) {
		m := f.Merchants[mname]
		at := "merchants." + mname
		if m == nil {
			errs.add(at, "is empty")
			continue
		}
		if !validName(mname) {
			errs.add(at, "name may hold only letters, digits, '-', '_' and '.'")
		}
		lm := &LoadedMerchant{Name: mname, DefaultURL: m.Notify.DefaultURL}
		secret, err := m.Notify.Secret.Load(deps.BaseDir)
		if err != nil {
			errs.add(at+".notify.secret", err.Error())
		} else if _, err := webhook.Key(secret.Reveal()); err != nil {
			// Caught here rather than at the first delivery, hours later.
			errs.add(at+".notify.secret", "malformed: after \"whsec_\" comes the key in standard base64")
		}
		lm.NotifySecret = secret
		if m.Notify.DefaultURL != "" {
			if err := checkURL(m.Notify.DefaultURL); err != nil {
				errs.add(at+".notify.defaultURL", err.Error())
			}
		}
		lm.RetrySchedule = contract.DefaultNotifySchedule
		if len(m.Notify.RetrySchedule) > 0 {
			lm.RetrySchedule = nil
			for _, d := range m.Notify.RetrySchedule {
				lm.RetrySchedule = append(lm.RetrySchedule, time.Duration(d))
			}
		}
		cfg.Merchants[mname] = lm
		if len(m.Credentials) == 0 {
			errs.add(at+".credentials", "at least one credential set is required")
		}
		for _, cname := range sortedKeys(m.Credentials) {
			cat := at + ".credentials." + cname
			c := m.Credentials[cname]
			if c == nil {
				errs.add(cat, "is empty")
				continue
			}
			if !validName(cname) {
				errs.add(cat, "name may hold only letters, digits, '-', '_' and '.'")
			}
			if other, dup := cfg.Credentials[cname]; dup {
				errs.add(cat, "name is already used by merchant "+other.Merchant+" (credential names are unique across merchants)")
				continue
			}
			prov, perr := buildProvider(c, deps)
			if perr != nil {
				errs.add(cat+perr.field, perr.problem)
			}
			pol, err := BuildPolicy(c.Provider, c.Policy)
			if err != nil {
				var fe *providers.FieldError
				if errors.As(err, &fe) {
					errs.add(cat+".policy."+fe.Field, fe.Problem)
				} else {
					errs.add(cat+".policy", err.Error())
				}
			}
			if perr != nil || err != nil {
				continue
			}
			lc := &LoadedCredential{Name: cname, Merchant: mname, Provider: prov, Policy: pol, Account: Account(c)}
			akey := c.Provider + "\x00" + lc.Account
			if other, dup := accounts[akey]; dup && other.Merchant != mname {
				errs.add(cat+"."+c.Provider+"."+accountField[c.Provider], fmt.Sprintf(
					"%s account %q is already merchant %s's (credential %s): one provider account belongs to one merchant, which scopes its order numbers",
					c.Provider, lc.Account, other.Merchant, other.Name))
				continue
			} else if !dup {
				accounts[akey] = lc
			}
			cfg.Credentials[cname] = lc
		}
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

type fieldProblem struct{ field, problem string }

func buildProvider(c *Credential, deps providers.Deps) (providers.Provider, *fieldProblem) {
	sections := map[string]bool{
		payermax.Name: c.PayerMax != nil, alipayplus.Name: c.AlipayPlus != nil, gnete.Name: c.GNETE != nil,
		ksher.Name: c.Ksher != nil, alipayglobal.Name: c.AlipayGlobal != nil,
	}
	if _, ok := sections[c.Provider]; !ok {
		if c.Provider == "" {
			return nil, &fieldProblem{".provider", "is required (one of " + strings.Join(contract.ProviderNames, ", ") + ")"}
		}
		return nil, &fieldProblem{".provider", fmt.Sprintf("unknown provider %q (one of %s)", c.Provider, strings.Join(contract.ProviderNames, ", "))}
	}
	for _, name := range contract.ProviderNames { // in order, so the message is stable
		if set := sections[name]; set && name != c.Provider {
			return nil, &fieldProblem{"." + name, "section given but provider is " + c.Provider}
		}
	}
	if !sections[c.Provider] {
		return nil, &fieldProblem{"." + c.Provider, "section is required for provider " + c.Provider}
	}
	var (
		p   providers.Provider
		err error
	)
	switch c.Provider {
	case payermax.Name:
		p, err = payermax.New(*c.PayerMax, deps)
	case alipayplus.Name:
		p, err = alipayplus.New(*c.AlipayPlus, deps)
	case gnete.Name:
		p, err = gnete.New(*c.GNETE, deps)
	case ksher.Name:
		p, err = ksher.New(*c.Ksher, deps)
	case alipayglobal.Name:
		p, err = alipayglobal.New(*c.AlipayGlobal, deps)
	}
	if err != nil {
		var fe *providers.FieldError
		if errors.As(err, &fe) {
			return nil, &fieldProblem{"." + c.Provider + "." + fe.Field, fe.Problem}
		}
		return nil, &fieldProblem{"." + c.Provider, err.Error()}
	}
	return p, nil
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL", s)
	}
	return nil
}

// validName: merchant and credential names follow the contract's rule for
// merchant names (a merchant name is a part of the cancel's workflow id).
func validName(s string) bool { return contract.CheckMerchantName(s) == nil }

// sortedKeys lists a map's keys in order, so that messages are stable.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

type errorList struct {
	file string
	list []string
}

func (e *errorList) add(field, problem string) {
	e.list = append(e.list, fmt.Sprintf("config %s: %s: %s", e.file, field, problem))
}

func (e *errorList) err() error {
	if len(e.list) == 0 {
		return nil
	}
	return errors.New(strings.Join(e.list, "\n"))
}

// MerchantOf returns the merchant a credential set belongs to.
func (c *Config) MerchantOf(credential string) (string, bool) {
	lc, ok := c.Credentials[credential]
	if !ok {
		return "", false
	}
	return lc.Merchant, true
}

// Credential returns the named credential set.
func (c *Config) Credential(name string) (*LoadedCredential, bool) {
	lc, ok := c.Credentials[name]
	return lc, ok
}

// The methods below are what the activities read (activities.Config): the
// activities depend on that interface, never on this package. Each answers
// ok=false on a nil configuration.

// CredentialSet returns the named credential set's merchant and adapter.
func (c *Config) CredentialSet(name string) (merchant string, provider providers.Provider, ok bool) {
	if c == nil {
		return "", nil, false
	}
	lc, ok := c.Credentials[name]
	if !ok {
		return "", nil, false
	}
	return lc.Merchant, lc.Provider, true
}

// CancelPolicy is the credential set's non-secret cancel policy for a payment
// started at payStartedAt, with its merchant's default notify URL and
// notification schedule.
func (c *Config) CancelPolicy(credential string, payStartedAt time.Time) (contract.CancelPolicy, bool) {
	if c == nil {
		return contract.CancelPolicy{}, false
	}
	lc, ok := c.Credentials[credential]
	if !ok {
		return contract.CancelPolicy{}, false
	}
	p := lc.Policy
	pol := contract.CancelPolicy{
		Merchant:          lc.Merchant,
		PaymentPoll:       p.PaymentPoll,
		QueryBackoff:      p.QueryBackoff,
		CancelRetry:       p.CancelRetry,
		MaxCancelAttempts: p.MaxCancelAttempts,
		WindowDeadline:    p.Window.Deadline(payStartedAt),
		WindowRule:        p.Window.Rule,
	}
	if m, ok := c.Merchants[lc.Merchant]; ok {
		pol.NotifyURL, pol.NotifySchedule = m.DefaultURL, m.RetrySchedule
	}
	return pol, true
}

// NotifySecret returns the secret that signs the merchant's notifications.
func (c *Config) NotifySecret(merchant string) (providers.Secret, bool) {
	if c == nil {
		return providers.Secret{}, false
	}
	m, ok := c.Merchants[merchant]
	if !ok {
		return providers.Secret{}, false
	}
	return m.NotifySecret, true
}

// CallbackURL is CallbackBaseURL ("" on a nil configuration).
func (c *Config) CallbackURL() string {
	if c == nil {
		return ""
	}
	return c.CallbackBaseURL
}
