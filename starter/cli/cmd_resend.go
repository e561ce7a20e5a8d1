package cli

import (
	"context"

	"github.com/spf13/pflag"

	"github.com/paycancel/paycancel/starter/paycancel"
)

func init() {
	Register(&Command{
		Name:    "resend",
		Summary: "resend an exhausted merchant notification",
		Usage:   "--merchant M --provider P --order O --operator NAME [flags]",
		Help: `Asks a cancel whose merchant notification schedule ran out (NOTIFY_EXHAUSTED)
to deliver it again: one attempt, with the same event id, and prints the status
after it (delivered: the cancel completes; refused again: still NOTIFY_EXHAUSTED
with the error). Exit 5 when the cancel is not NOTIFY_EXHAUSTED or another
resend is under way. Find them with: starter list --state NOTIFY_EXHAUSTED` + targetHelp,
		Setup: func(fs *pflag.FlagSet) Action {
			var ref paycancel.Ref
			var operator string
			addTargetFlags(fs, &ref)
			fs.StringVar(&operator, "operator", "", "who resends (recorded in the workflow's history)")
			return Action{
				Check: func(args []string) error {
					if err := checkTarget(args, ref); err != nil {
						return err
					}
					var p problems
					p.required("--operator", operator)
					return p.err()
				},
				Timeout: callTimeout,
				Run: func(ctx context.Context, e *Env) error {
					return e.showStatus(e.API.ResendNotification(ctx, ref, operator))
				},
			}
		},
	})
}
