package config

import (
	"errors"
	"time"
	_ "time/tzdata" // provider time zones without relying on the host's zoneinfo

	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/workflows/contract"
)

// Policy is a credential's cancel policy with defaults filled in.
type Policy struct {
	// PaymentPoll is how often to ask the provider for the payment's status while
	// waiting for the pay deadline; 0 disables polling (signals only). Default 0.
	PaymentPoll time.Duration
	// QueryBackoff paces status queries after a pending cancel. Default 5s doubling to 10m.
	QueryBackoff contract.Backoff
	// CancelRetry paces cancel attempts after unknown results. Default 2s doubling to 2m.
	CancelRetry contract.Backoff
	// MaxCancelAttempts bounds cancel attempts before review. Default 10.
	MaxCancelAttempts int
	// Window is the cancel-window rule.
	Window CancelWindow
}

// providerDefaults are each provider's documented windows (the provider's API notes,
// summary table, "cancel window").
var providerDefaults = map[string]CancelWindow{
	// An uncaptured authorisation lapses after 7 days.
	"payermax": {Rule: "after", After: Duration(7 * 24 * time.Hour)},
	// By contract (CANCEL_WINDOW_EXCEED); one day is a conservative default [I].
	"alipayplus": {Rule: "after", After: Duration(24 * time.Hour)},
	// Completed orders: the same day (the gateway is in Hong Kong).
	"gnete": {Rule: "sameDay", TimeZone: "Asia/Hong_Kong"},
	// Before payment only: no clock window; give up waiting after a day.
	"ksher": {Rule: "none", After: Duration(24 * time.Hour)},
	// Same Beijing day plus a 15-minute buffer (ORDER_CANCEL_WINDOW_EXPIRED).
	"alipayglobal": {Rule: "sameDay", TimeZone: "Asia/Shanghai", Buffer: Duration(15 * time.Minute)},
}

// BuildPolicy fills a policy from the file and the provider's defaults. A problem is
// a *providers.FieldError naming the field within the policy ("queryBackoff.max").
func BuildPolicy(provider string, f PolicyFile) (Policy, error) {
	p := Policy{
		QueryBackoff:      contract.DefaultQueryBackoff,
		CancelRetry:       contract.DefaultCancelRetry,
		MaxCancelAttempts: contract.DefaultMaxCancelAttempts,
		Window:            providerDefaults[provider],
	}
	if f.PaymentPoll != nil {
		p.PaymentPoll = time.Duration(*f.PaymentPoll)
		if p.PaymentPoll != 0 && p.PaymentPoll < time.Second {
			return p, providers.FieldErr("paymentPoll", "at least 1s (or 0 to disable)")
		}
	}
	var err error
	if f.QueryBackoff != nil {
		if p.QueryBackoff, err = buildBackoff(*f.QueryBackoff); err != nil {
			return p, prefixField("queryBackoff.", err)
		}
	}
	if f.CancelRetry != nil {
		if p.CancelRetry, err = buildBackoff(*f.CancelRetry); err != nil {
			return p, prefixField("cancelRetry.", err)
		}
	}
	if f.MaxCancelAttempts != nil {
		if *f.MaxCancelAttempts < 1 || *f.MaxCancelAttempts > 1000 {
			return p, providers.FieldErr("maxCancelAttempts", "between 1 and 1000, got %d", *f.MaxCancelAttempts)
		}
		p.MaxCancelAttempts = *f.MaxCancelAttempts
	}
	if f.CancelWindow != nil {
		w := *f.CancelWindow
		switch w.Rule {
		case "after", "none":
			if w.After <= 0 {
				return p, providers.FieldErr("cancelWindow.after", "required and positive for rule %q", w.Rule)
			}
		case "sameDay":
			if w.TimeZone == "" {
				return p, providers.FieldErr("cancelWindow.timeZone", "required for rule sameDay (an IANA zone such as Asia/Shanghai)")
			}
		default:
			return p, providers.FieldErr("cancelWindow.rule", "%q is not one of after, sameDay, none", w.Rule)
		}
		p.Window = w
	}
	if p.Window.TimeZone != "" {
		if _, err := time.LoadLocation(p.Window.TimeZone); err != nil {
			return p, providers.FieldErr("cancelWindow.timeZone", "%q is not an IANA time zone (e.g. Asia/Shanghai)", p.Window.TimeZone)
		}
	}
	return p, nil
}

func buildBackoff(f BackoffFile) (contract.Backoff, error) {
	b := contract.Backoff{Initial: time.Duration(f.Initial), Max: time.Duration(f.Max), Multiplier: f.Multiplier}
	if b.Multiplier == 0 {
		b.Multiplier = 2
	}
	switch {
	case b.Initial < time.Second:
		return b, providers.FieldErr("initial", "at least 1s, got %s", b.Initial)
	case b.Max < b.Initial:
		return b, providers.FieldErr("max", "%s is below initial %s", b.Max, b.Initial)
	case b.Multiplier < 1 || b.Multiplier > 10:
		return b, providers.FieldErr("multiplier", "between 1 and 10, got %g", b.Multiplier)
	}
	return b, nil
}

// Deadline computes the cancel-window deadline for a payment started at payStartedAt.
func (w CancelWindow) Deadline(payStartedAt time.Time) time.Time {
	switch w.Rule {
	case "sameDay":
		loc, err := time.LoadLocation(w.TimeZone)
		if err != nil {
			loc = time.UTC // validated at load; unreachable in practice
		}
		t := payStartedAt.In(loc)
		endOfDay := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc).AddDate(0, 0, 1)
		return endOfDay.Add(time.Duration(w.Buffer))
	default: // "after", "none"
		return payStartedAt.Add(time.Duration(w.After))
	}
}

func prefixField(prefix string, err error) error {
	var fe *providers.FieldError
	if errors.As(err, &fe) {
		return &providers.FieldError{Field: prefix + fe.Field, Problem: fe.Problem}
	}
	return err
}
