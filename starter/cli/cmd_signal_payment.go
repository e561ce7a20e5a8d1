package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/paycancel/paycancel/starter/paycancel"
	"github.com/paycancel/paycancel/workflows/contract"
)

func init() {
	Register(&Command{
		Name:    "signal-payment",
		Summary: "tell a cancel the payment's result (PAID, FAILED, CLOSED)",
		Usage:   "--merchant M --provider P --order O --status PAID|FAILED|CLOSED [flags]",
		Help: `Signals the payment's result, learnt by the order service or a payment webhook.
While the cancel waits for the pay deadline, PAID ends it as PAID (nothing is
cancelled) and FAILED or CLOSED as NOT_NEEDED; once it is cancelling, PAID sends
it to PAID_AT_CANCEL for a refund or fulfilment. Exit 3 when there is no such
cancel, 5 when it has already finished.` + targetHelp,
		Setup: func(fs *pflag.FlagSet) Action {
			var ref paycancel.Ref
			var status, source string
			addTargetFlags(fs, &ref)
			fs.StringVar(&status, "status", "", "the payment's result: PAID, FAILED or CLOSED")
			fs.StringVar(&source, "source", "order-service", "who learnt it (recorded in the workflow's history)")
			return Action{
				Check: func(args []string) error {
					if err := checkTarget(args, ref); err != nil {
						return err
					}
					if status == "" {
						return fmt.Errorf("--status is required (one of %s)", strings.Join(paycancel.PaymentStatuses, ", "))
					}
					var p problems
					p.oneOf("--status", status, paycancel.PaymentStatuses)
					return p.err()
				},
				Timeout: callTimeout,
				Run: func(ctx context.Context, e *Env) error {
					x, err := e.API.Find(ctx, ref)
					if err != nil {
						return err
					}
					id := x.WorkflowID
					if err := x.SignalPaymentResult(ctx, contract.PaymentResult{Status: status, Source: source}); err != nil {
						return err
					}
					if e.JSON {
						return writeJSON(e.Stdout, map[string]any{"workflowId": id, "signalled": contract.SignalPaymentResult, "status": status})
					}
					fmt.Fprintf(e.Stdout, "signalled %s: payment %s\n", id, status)
					return nil
				},
			}
		},
	})
}
