package cli

import (
	"context"
	"time"

	"github.com/spf13/pflag"
)

func init() {
	Register(&Command{
		Name:    "status",
		Summary: "show a cancel's live status",
		Usage:   "--provider P --order O [flags]",
		Help: `Shows the cancel's live state (the workflow's status query): phase, attempts,
last provider answer, deadlines and the merchant notification. For a finished
cancel it shows the workflow's result. Exit 3 when there is no such cancel.`,
		Setup: func(fs *pflag.FlagSet) Action {
			var provider, order string
			addTargetFlags(fs, &provider, &order)
			return Action{
				Check: func(args []string) error { return checkTarget(args, provider, order) },
				Run: func(ctx context.Context, e *Env) error {
					ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
					defer cancel()
					st, err := e.API.Attach(provider, order).Status(ctx)
					if err != nil {
						return err
					}
					if e.JSON {
						return writeJSON(e.Stdout, st)
					}
					return printStatus(e.Stdout, st)
				},
			}
		},
	})
}

// addTargetFlags adds --provider and --order, which name one cancel.
func addTargetFlags(fs *pflag.FlagSet, provider, order *string) {
	fs.StringVar(provider, "provider", "", "provider of the payment")
	fs.StringVar(order, "order", "", "merchant order number")
}

func checkTarget(args []string, provider, order string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	var p problems
	p.checkProvider("--provider", provider, true)
	p.checkOrder("--order", order)
	return p.err()
}
