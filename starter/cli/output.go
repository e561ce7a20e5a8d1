package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/paycancel/paycancel/worker/demo"
	"github.com/paycancel/paycancel/workflows/contract"
)

// The CLI's tables are the demo report's: one writer, one cell rule.
var (
	newTable = demo.NewTable
	row      = demo.Row
)

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func notifyText(n contract.NotifyStatus) string {
	switch {
	case n.URL == "":
		return "no notify URL"
	case n.Delivered:
		return fmt.Sprintf("delivered (%d attempt(s))", n.Attempts)
	case n.Exhausted:
		return fmt.Sprintf("exhausted after %d attempt(s): %s", n.Attempts, n.LastError)
	case n.Attempts > 0:
		return fmt.Sprintf("retrying (%d attempt(s)): %s", n.Attempts, n.LastError)
	}
	return "pending"
}

// printStatus renders a Status as a two-column table.
func printStatus(w io.Writer, st contract.Status) error {
	tw := newTable(w)
	row(tw, "WORKFLOW", st.WorkflowID)
	row(tw, "MERCHANT", st.Merchant)
	row(tw, "PROVIDER", st.Provider+" (credential "+st.Credential+")")
	row(tw, "ORDER", st.MerchantOrderNo)
	row(tw, "STATE", st.StateText())
	row(tw, "FINAL", st.Final)
	row(tw, "NEEDS REVIEW", yesNo(st.NeedsReview))
	row(tw, "ATTEMPTS", fmt.Sprintf("cancel %d (rounds %d), cancel queries %d, payment checks %d",
		st.CancelAttempts, st.CancelRounds, st.QueryAttempts, st.PaymentChecks))
	row(tw, "LAST OUTCOME", st.LastOutcome.String())
	row(tw, "PROVIDER REF", st.ProviderRef)
	row(tw, "CANCEL KEY", st.CancelKey)
	row(tw, "PAY DEADLINE", fmtTime(st.PayDeadline))
	row(tw, "WINDOW DEADLINE", fmtTime(st.WindowDeadline))
	row(tw, "NEXT CHECK", fmtTime(st.NextCheckAt))
	if r := st.Resolution; r != nil {
		res := r.Action + " by " + r.Operator
		if r.Note != "" {
			res += ": " + r.Note
		}
		row(tw, "RESOLUTION", res)
	}
	row(tw, "NOTIFICATION", notifyText(st.Notify))
	row(tw, "RUNS", fmt.Sprint(st.Runs))
	row(tw, "UPDATED", fmtTime(st.UpdatedAt))
	return tw.Flush()
}
