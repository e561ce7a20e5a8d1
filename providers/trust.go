package providers

import (
	"fmt"
	"strings"
)

// The trust rule. paycancel exists to make CANCELLED believable: the payment is
// cancelled at the provider and the money will not move. A false CANCELLED (or a
// false PAID) is the worst answer it can give, so every adapter applies one rule,
// written here:
//
//  1. An outcome that decides a cancel (Decides: Succeeded, AlreadyDone, the
//     payment paid, the payment failed or closed) comes only from an answer that
//     verifies: the provider's signature over the exact bytes received and,
//     wherever the signed data names an order, payment, cancel or request id, that
//     id equals the one asked about (CheckIDs). A mismatch is Unknown: a replayed
//     answer about another order proves nothing (Jeepay-style signatures carry no
//     nonce, so a genuine answer can be replayed).
//  2. An answer the provider does not sign (GNETE/Jeepay error bodies, Ksher's
//     cancel codes, PayerMax's top-level codes other than APPLY_SUCCESS) that
//     claims an effect is only a hint (Unsigned): the adapter confirms it inside
//     the same call with the provider's signed status query; unconfirmed, it is
//     Unknown (ask again; after the configured attempts the cancel goes to review).
//     A signed answer whose meaning no provider document states (an undocumented
//     errorCode read as "already cancelled") is treated the same way (Undocumented).
//  3. Unsigned answers may still classify failures that lead to review or a retry
//     (configuration, not found, window expired, invalid request, rate limited,
//     unknown): those can produce neither a false CANCELLED nor a false PAID.
//
// Each adapter's code table marks the rows that arrive unsigned; its tests check
// that none of them decides on its own.

// Codes for answers the rule refuses to believe.
const (
	// CodeUnsignedClaim: an unsigned answer claimed an effect that the signed status
	// query did not confirm.
	CodeUnsignedClaim = "UNSIGNED_CLAIM_UNCONFIRMED"
	// CodeIDMismatch: a signed answer names another order, payment, cancel or request.
	CodeIDMismatch = "ANSWER_FOR_ANOTHER_ID"
)

// Decides reports whether o would decide the cancel: done (now or before), the
// payment paid, or the payment failed or closed on its own. Such an outcome may
// come only from a verified answer about the id asked about.
func Decides(o Outcome) bool {
	switch o.Kind {
	case Succeeded, AlreadyDone:
		return true
	case Failed:
		return o.Reason == ReasonAlreadyPaid || o.Reason == ReasonPaymentClosed
	}
	return false
}

// IDCheck is one id a signed answer names, next to the id the request asked about.
type IDCheck struct {
	Field string // the provider's field name, for the message ("mchOrderNo")
	Asked string // what the request named; empty: not asked by this id
	Got   string // what the signed answer names; empty: the answer does not say
}

// CheckIDs compares every id a verified answer names with the one asked about.
// A check counts only where both sides are present ("wherever the signed data names
// an id"); any difference makes the whole answer Unknown (CodeIDMismatch), and ok is
// false.
func CheckIDs(what string, checks ...IDCheck) (mismatch Outcome, ok bool) {
	var diffs []string
	for _, c := range checks {
		if c.Asked != "" && c.Got != "" && c.Asked != c.Got {
			diffs = append(diffs, fmt.Sprintf("%s %q (asked about %q)", c.Field, Snippet([]byte(c.Got)), c.Asked))
		}
	}
	if len(diffs) == 0 {
		return Outcome{}, true
	}
	return UnknownOutcome(CodeIDMismatch, "%s names %s: an answer about another order proves nothing", what, strings.Join(diffs, ", ")), false
}

// Unsigned applies the rule to claim, an outcome read from an answer the provider
// did not sign. An outcome that would not decide the cancel (Decides is false)
// passes as it is. One that would is only a hint: confirm, when not nil, runs the
// adapter's signed status query now and returns what that verified answer decides;
// the result is confirm's outcome when it decides, and Unknown (CodeUnsignedClaim,
// naming the claim and what the query said) otherwise — never the claim itself.
func Unsigned(claim Outcome, confirm func() Outcome) Outcome {
	return hint("unsigned answer", claim, confirm)
}

// Undocumented applies the same rule to a signed answer whose meaning no provider
// document, OpenAPI file or official SDK states (a PayerMax errorCode the cancel
// page does not list): a claim it makes is confirmed like an unsigned one.
func Undocumented(claim Outcome, confirm func() Outcome) Outcome {
	return hint("undocumented answer", claim, confirm)
}

func hint(what string, claim Outcome, confirm func() Outcome) Outcome {
	if !Decides(claim) {
		return claim
	}
	said := "no signed status query to confirm it"
	if confirm != nil {
		c := confirm()
		if Decides(c) {
			if c.ProviderRef == "" {
				c.ProviderRef = claim.ProviderRef
			}
			c.Message = strings.TrimSpace(fmt.Sprintf("%s (the %s %s confirmed by the signed status query)", c.Message, what, claimText(claim)))
			return c
		}
		said = "the signed status query says " + c.String()
	}
	o := UnknownOutcome(CodeUnsignedClaim, "%s %s: not trusted, %s", what, claimText(claim), said)
	o.ProviderRef = claim.ProviderRef
	return o
}

func claimText(o Outcome) string { return o.text(" ", " ") }
