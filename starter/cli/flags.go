package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/paycancel/paycancel/workflows/contract"
)

// problems collects usage problems so that one run reports all of them.
type problems []string

func (p *problems) add(format string, a ...any) { *p = append(*p, fmt.Sprintf(format, a...)) }

func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return errors.New(strings.Join(p, "; "))
}

func noArgs(args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected argument %q (this command takes flags only)", args[0])
	}
	return nil
}

// checkProvider checks a required --provider.
func (p *problems) checkProvider(flag, v string, required bool) {
	switch {
	case v == "" && required:
		p.add("%s is required (one of %s)", flag, strings.Join(contract.ProviderNames, ", "))
	case v != "" && !contract.IsProvider(v):
		p.add("%s %q is not one of %s", flag, v, strings.Join(contract.ProviderNames, ", "))
	}
}

// checkMerchant checks a required --merchant the way the worker's configuration
// names merchants.
func (p *problems) checkMerchant(flag, v string) {
	if v == "" {
		p.add("%s is required (the paycancel merchant whose order it is: merchants.<name> in the worker's configuration)", flag)
	} else if err := contract.CheckMerchantName(v); err != nil {
		p.add("%s %s", flag, err.Error())
	}
}

// checkOrder checks a required --order for provider with the contract's checker
// (contract.CheckOrderNo), naming the flag.
func (p *problems) checkOrder(flag, provider, v string) {
	if v == "" {
		p.add("%s is required (the merchant order number)", flag)
	} else if err := contract.CheckOrderNo(provider, v); err != nil {
		_, rest, _ := strings.Cut(err.Error(), " ")
		p.add("%s %s", flag, rest)
	}
}

func (p *problems) required(flag, v string) {
	if strings.TrimSpace(v) == "" {
		p.add("%s is required", flag)
	}
}

// parseDuration parses a Go duration flag ("90s", "15m", "2h").
func (p *problems) parseDuration(flag, v string) time.Duration {
	if v == "" {
		return 0
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		p.add("%s %q is not a duration (examples: 90s, 15m, 2h)", flag, v)
		return 0
	}
	if d < 0 {
		p.add("%s %q must not be negative", flag, v)
	}
	return d
}

// parseTime parses an RFC 3339 time flag.
func (p *problems) parseTime(flag, v string) time.Time {
	if v == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		p.add("%s %q is not an RFC 3339 time (example: 2026-05-01T12:30:00+08:00)", flag, v)
	}
	return t
}

// parseURL checks an absolute http(s) URL flag.
func (p *problems) parseURL(flag, v string) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.add("%s %q is not an http(s) URL", flag, v)
	}
}

// oneOf checks an enumerated flag value.
func (p *problems) oneOf(flag, v string, allowed []string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	p.add("%s %q is not one of %s", flag, v, strings.Join(allowed, ", "))
}

// fieldFlags maps CancelRequest's JSON field names to the start flags, so the
// request's own validation messages name the flag to fix.
var fieldFlags = map[string]string{
	"merchant":          "--merchant",
	"provider":          "--provider",
	"credential":        "--credential",
	"merchantOrderNo":   "--order",
	"providerPaymentId": "--provider-payment-id",
	"amount":            "--amount",
	"currency":          "--currency",
	"payTimeout":        "--pay-timeout",
	"notifyUrl":         "--notify-url",
	"action":            "--action",
	"operator":          "--operator",
}

// flagMessages rewrites "field …" problems of a Validate error as "--flag …".
func flagMessages(err error) error {
	if err == nil {
		return nil
	}
	parts := strings.Split(err.Error(), "; ")
	for i, s := range parts {
		field, rest, ok := strings.Cut(s, " ")
		if f, hit := fieldFlags[field]; hit && ok {
			parts[i] = f + " " + rest
		}
	}
	return errors.New(strings.Join(parts, "; "))
}

// allStates are the CancelState values a list can filter on.
var allStates = append([]string{contract.StateAwaitingPayment, contract.StateCancelling,
	contract.StateConfirming, contract.StateNeedsReview, contract.StateNotifyExhausted, contract.StateStopped}, contract.FinalStates...)

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
