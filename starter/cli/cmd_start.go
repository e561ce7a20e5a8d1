package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/paycancel/paycancel/starter/paycancel"
	"github.com/paycancel/paycancel/workflows/contract"
)

func init() {
	Register(&Command{
		Name:    "start",
		Summary: "start the cancel of an order (attaches if it is already running)",
		Usage:   "--merchant M --provider P --credential C --order O --amount N --currency CUR [flags]",
		Help: `Starts the cancel of one payment: wait up to --pay-timeout after --pay-started-at
for its result, then cancel it at the provider, confirm and notify the merchant.
One cancel per merchant order: a second start of a running cancel with the same
request attaches to it; an order whose cancel has finished is refused (exit 5, its
outcome printed); a start whose request differs from the existing cancel's —
credential, amount, currency, provider payment id, notify URL or deadline inputs —
is refused before anything changes (exit 5, the differing fields printed).
--credential must be one of --merchant's credential sets; the worker fails a run
that names another merchant's (see 'starter status').

With --wait it waits until the cancel settles (a final outcome, or NEEDS_REVIEW)
and exits 0 when the payment is not taken (CANCELLED, NOT_NEEDED,
RESOLVED_CANCELLED, RESOLVED_NOT_NEEDED, RESOLVED_REFUNDED), 4 otherwise.

Example:
  starter start --merchant demo --provider gnete --credential demo-gnete --order A1001 \
    --amount 1250 --currency HKD --pay-timeout 15m --wait`,
		Setup: setupStart,
	})
}

// notTaken are the final states in which the order must not be fulfilled and no
// money is held: start --wait exits 0 for them.
var notTaken = map[string]bool{
	contract.StateCancelled: true, contract.StateNotNeeded: true, contract.StateResolvedCancelled: true,
	contract.StateResolvedNotNeeded: true, contract.StateResolvedRefunded: true,
}

func setupStart(fs *pflag.FlagSet) Action {
	var (
		req                                      contract.CancelRequest
		amount, payStarted, payTimeout, deadline string
		wait                                     bool
		waitTimeout                              time.Duration
	)
	fs.StringVar(&req.Merchant, "merchant", "", "the paycancel merchant whose order it is (merchants.<name> in the worker's configuration; worker --dev: demo)")
	fs.StringVar(&req.Provider, "provider", "", "provider: "+strings.Join(contract.ProviderNames, ", "))
	fs.StringVar(&req.Credential, "credential", "", "credential name in the worker's configuration (worker --dev: demo-<provider>)")
	fs.StringVar(&req.MerchantOrderNo, "order", "", "merchant order number (GNETE ≤ 30, Ksher ≤ 32, others ≤ 64; counted in bytes)")
	fs.StringVar(&req.ProviderPaymentID, "provider-payment-id", "", "the provider's payment id, when the pay call returned one")
	fs.StringVar(&amount, "amount", "", "amount in minor units (cents), an `integer`: 1250 is 12.50")
	fs.StringVar(&req.Currency, "currency", "", "ISO 4217 currency code in capitals: USD, HKD, THB…")
	fs.StringVar(&payStarted, "pay-started-at", "", "when the pay call was made, an RFC 3339 `time` (default: now, the workflow's start)")
	fs.StringVar(&payTimeout, "pay-timeout", "0s", "how long after --pay-started-at to wait for the result before cancelling, a `duration` (0: cancel at once)")
	fs.StringVar(&deadline, "cancel-deadline", "", "override the provider's cancel window: an RFC 3339 `time`")
	fs.StringVar(&req.NotifyURL, "notify-url", "", "merchant notification URL (default: the merchant's configured URL)")
	fs.BoolVar(&wait, "wait", false, "wait until the cancel settles and exit 0/4 by its outcome")
	fs.DurationVar(&waitTimeout, "wait-timeout", 10*time.Minute, "with --wait: give up waiting after this long (exit 1)")
	return Action{
		Check: func(args []string) error {
			var p problems
			if err := noArgs(args); err != nil {
				return err
			}
			p.checkMerchant("--merchant", req.Merchant)
			p.checkProvider("--provider", req.Provider, true)
			p.required("--credential", req.Credential)
			p.checkOrder("--order", req.Provider, req.MerchantOrderNo)
			if amount == "" {
				p.add("--amount is required (minor units, e.g. 1250 for 12.50)")
			} else if n, err := strconv.ParseInt(amount, 10, 64); err != nil {
				p.add("--amount %q is not an integer amount in minor units (e.g. 1250 for 12.50)", amount)
			} else {
				req.Amount = n
			}
			p.required("--currency", req.Currency)
			req.PayStartedAt = p.parseTime("--pay-started-at", payStarted)
			req.PayTimeout = p.parseDuration("--pay-timeout", payTimeout)
			if deadline != "" {
				t := p.parseTime("--cancel-deadline", deadline)
				if !t.IsZero() {
					req.CancelDeadline = &t
					if !req.PayStartedAt.IsZero() && !t.After(req.PayStartedAt) {
						p.add("--cancel-deadline %s is not after --pay-started-at %s", deadline, payStarted)
					}
				}
			}
			if req.NotifyURL != "" {
				p.parseURL("--notify-url", req.NotifyURL)
			}
			if wait && waitTimeout <= 0 {
				p.add("--wait-timeout must be positive")
			}
			if len(p) > 0 {
				return p.err()
			}
			// The request's own validation, with its messages naming the flags.
			return flagMessages(req.ValidateStart())
		},
		Run: func(ctx context.Context, e *Env) error {
			sctx, cancel := context.WithTimeout(ctx, callTimeout)
			defer cancel()
			x, started, err := e.API.Start(sctx, req)
			var fin *paycancel.AlreadyFinishedError
			if errors.As(err, &fin) {
				if e.JSON {
					_ = writeJSON(e.Stdout, map[string]any{"workflowId": fin.WorkflowID, "runId": fin.RunID,
						"started": false, "alreadyFinished": true, "closeStatus": fin.CloseStatus, "status": fin.Outcome})
				} else if fin.Outcome != nil {
					_ = printStatus(e.Stdout, *fin.Outcome)
				}
				return err
			}
			var conflict *paycancel.ConflictError
			if errors.As(err, &conflict) {
				if e.JSON {
					_ = writeJSON(e.Stdout, map[string]any{"workflowId": conflict.WorkflowID, "runId": conflict.RunID,
						"started": false, "conflict": true, "existingStatus": conflict.Status, "differences": conflict.Differences})
				} else {
					tw := newTable(e.Stdout)
					row(tw, "FIELD", "EXISTING CANCEL", "THIS REQUEST")
					for _, d := range conflict.Differences {
						row(tw, d.Field, orNone(d.Existing), orNone(d.Requested))
					}
					_ = tw.Flush()
				}
				return err
			}
			if err != nil {
				return err
			}
			out := map[string]any{"workflowId": x.WorkflowID, "runId": x.RunID, "started": started}
			if !wait {
				if e.JSON {
					return writeJSON(e.Stdout, out)
				}
				tw := newTable(e.Stdout)
				row(tw, "WORKFLOW", x.WorkflowID)
				row(tw, "RUN", x.RunID)
				row(tw, "STARTED", map[bool]string{true: "yes (new cancel)", false: "no (attached to the running cancel)"}[started])
				return tw.Flush()
			}
			if !e.JSON {
				verb := "started"
				if !started {
					verb = "attached to"
				}
				fmt.Fprintf(e.Stderr, "%s %s; waiting for it to settle…\n", verb, x.WorkflowID)
			}
			wctx, cancelWait := context.WithTimeout(ctx, waitTimeout)
			defer cancelWait()
			st, err := x.WaitUntil(wctx, paycancel.Settled)
			if err != nil {
				return err
			}
			out["status"] = st
			if e.JSON {
				if err := writeJSON(e.Stdout, out); err != nil {
					return err
				}
			} else if err := printStatus(e.Stdout, st); err != nil {
				return err
			}
			if st.Final == "" || !notTaken[st.Final] {
				return &outcomeError{fmt.Sprintf("%s settled in %s: the payment is not cancelled", x.WorkflowID, st.StateText())}
			}
			return nil
		},
	}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
