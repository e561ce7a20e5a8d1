package contract

// What the Web UI (and `temporal workflow describe`) shows of a cancel: a static
// summary and details set by whoever starts it (user metadata on the start), the
// current details the workflow keeps up to date (workflow.SetCurrentDetails,
// answered by the SDK's __temporal_workflow_metadata query), and a summary on
// each activity. The text is built here so that every starter writes the same. None of it holds a secret: the credential is a name.

import (
	"fmt"
	"strings"
	"time"
)

// providerTitles are the providers as people write them.
var providerTitles = map[string]string{
	"payermax": "PayerMax", "alipayplus": "Alipay+", "gnete": "GNETE", "ksher": "Ksher", "alipayglobal": "Alipay Global",
}

// ProviderTitle is the provider's name as people write it (GNETE, Alipay+).
func ProviderTitle(provider string) string {
	if t, ok := providerTitles[provider]; ok {
		return t
	}
	return provider
}

// minorDigits are the ISO 4217 currencies whose minor unit is not a hundredth.
var minorDigits = map[string]int{
	"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "PYG": 0, "UGX": 0, "XAF": 0, "XOF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}

// FormatAmount writes an amount in minor units as the currency shows it:
// 1250 HKD is "HKD 12.50", 1250 JPY is "JPY 1250".
func FormatAmount(amount int64, currency string) string {
	digits, ok := minorDigits[currency]
	if !ok {
		digits = 2
	}
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	if digits == 0 {
		return fmt.Sprintf("%s %s%d", currency, sign, amount)
	}
	unit := int64(1)
	for range digits {
		unit *= 10
	}
	return fmt.Sprintf("%s %s%d.%0*d", currency, sign, amount/unit, digits, amount%unit)
}

// Summary is a cancel's one-line static summary: "Cancel GNETE order A1001 · HKD
// 12.50". Order numbers never hold spaces or '/' (CancelRequest.Validate).
func Summary(req CancelRequest) string {
	return fmt.Sprintf("Cancel %s order %s · %s", ProviderTitle(req.Provider), mdText(req.MerchantOrderNo), FormatAmount(req.Amount, req.Currency))
}

// StaticDetails is the markdown a cancel's page shows under its summary: what was
// asked, as the starter sent it. Absent optional fields are left out.
func StaticDetails(req CancelRequest, workflowID string) string {
	var b strings.Builder
	row := func(k, v string) { b.WriteString("- **" + k + "**: " + v + "\n") }
	if req.Merchant != "" {
		row("Merchant", mdText(req.Merchant))
	}
	row("Provider", ProviderTitle(req.Provider)+" · credential "+mdText(req.Credential))
	row("Order", mdText(req.MerchantOrderNo))
	if req.ProviderPaymentID != "" {
		row("Provider payment", mdText(req.ProviderPaymentID))
	}
	row("Amount", FormatAmount(req.Amount, req.Currency))
	if req.PayTimeout > 0 {
		row("Pay timeout", req.PayTimeout.String())
	} else {
		row("Pay timeout", "none: cancel at once")
	}
	if !req.PayStartedAt.IsZero() {
		row("Pay started", mdTime(req.PayStartedAt))
	}
	if req.CancelDeadline != nil {
		row("Cancel deadline", mdTime(*req.CancelDeadline))
	}
	row("Business key", "`"+CancelKey(workflowID)+"`")
	return b.String()
}

// CurrentDetails is the markdown of the cancel as it stands: state, attempts,
// the provider's last answer, the next check, the deadlines, the review reason
// and the merchant notification.
func CurrentDetails(st Status) string {
	var b strings.Builder
	row := func(k, v string) { b.WriteString("- **" + k + "**: " + v + "\n") }
	b.WriteString("**" + st.State + "**")
	if st.Final != "" && st.Final != st.State {
		b.WriteString(" (outcome " + st.Final + ")")
	}
	b.WriteString("\n\n")
	if st.ReviewReason != "" {
		row("Review reason", st.ReviewReason)
	}
	if st.Stopped != nil {
		row("Stopped", "in "+st.Stopped.Phase+" at "+mdTime(st.Stopped.At))
	}
	row("Attempts", fmt.Sprintf("cancel %d (rounds %d) · status queries %d · payment checks %d",
		st.CancelAttempts, st.CancelRounds, st.QueryAttempts, st.PaymentChecks))
	if o := st.LastOutcome; o.Kind != "" || o.Code != "" {
		last := string(o.Kind)
		if o.Code != "" {
			last += " `" + mdCode(o.Code) + "`"
		}
		if o.Message != "" {
			last += " " + mdText(o.Message)
		}
		row("Last provider answer", last)
	}
	if !st.NextCheckAt.IsZero() && !IsFinal(st.State) && st.State != StateNeedsReview && st.State != StateStopped {
		row("Next check", mdTime(st.NextCheckAt))
	}
	if !st.PayDeadline.IsZero() {
		row("Pay deadline", mdTime(st.PayDeadline))
	}
	if !st.WindowDeadline.IsZero() {
		row("Cancel window", "until "+mdTime(st.WindowDeadline))
	}
	if st.Resolution != nil {
		row("Resolution", st.Resolution.Action+" by "+mdText(st.Resolution.Operator))
	}
	if n := st.Notify; n.Attempts > 0 {
		note := fmt.Sprintf("%d attempt(s)", n.Attempts)
		switch {
		case n.Delivered:
			note = "delivered · " + note
		case n.Exhausted:
			note = "exhausted · " + note
		}
		if n.LastError != "" && !n.Delivered {
			note += " · last error " + mdText(n.LastError)
		}
		row("Merchant notification", note)
	}
	if st.Runs > 1 {
		row("Runs", fmt.Sprint(st.Runs))
	}
	return b.String()
}

func mdTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }

// mdText makes a provider's or operator's words safe to put in markdown: one
// line, no markup (the Web UI renders it).
func mdText(s string) string {
	return strings.NewReplacer("\\", "\\\\", "`", "\\`", "*", "\\*", "_", "\\_", "[", "\\[", "]", "\\]",
		"<", "&lt;", ">", "&gt;", "#", "\\#", "|", "\\|").Replace(oneLine(s))
}

// mdCode is s for a code span, where escapes do not work.
func mdCode(s string) string { return strings.ReplaceAll(oneLine(s), "`", "'") }

// oneLine folds white space and keeps at most 200 characters.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}
