package cli

import (
	"context"

	"github.com/spf13/pflag"

	"github.com/paycancel/paycancel/starter/paycancel"
)

func init() {
	Register(&Command{
		Name:    "status",
		Summary: "show a cancel's live status",
		Usage:   "--merchant M --provider P --order O [flags]",
		Help: `Shows the cancel's live state (the workflow's status query): phase, attempts,
last provider answer, deadlines and the merchant notification. For a finished
cancel it shows the workflow's result. Exit 3 when there is no such cancel.` + targetHelp,
		Setup: func(fs *pflag.FlagSet) Action {
			var ref paycancel.Ref
			addTargetFlags(fs, &ref)
			return Action{
				Check:   func(args []string) error { return checkTarget(args, ref) },
				Timeout: callTimeout,
				Run: func(ctx context.Context, e *Env) error {
					x, err := e.API.Find(ctx, ref)
					if err != nil {
						return err
					}
					return e.showStatus(x.Status(ctx))
				},
			}
		},
	})
}

// targetHelp explains how the target flags name a cancel.
const targetHelp = `

A cancel is named by --merchant, --provider and --order (one merchant's order at
a provider). A cancel started before ids were merchant-scoped is found too when
its history says it is the merchant's; when its history does not say whose it is,
the command refuses (exit 2) unless --credential names the credential it was
started with: the same order number may be another merchant's.`

// addTargetFlags adds --merchant, --provider, --order and --credential, which name
// one cancel.
func addTargetFlags(fs *pflag.FlagSet, ref *paycancel.Ref) {
	fs.StringVar(&ref.Merchant, "merchant", "", "the paycancel merchant whose order it is (merchants.<name> in the worker's configuration)")
	fs.StringVar(&ref.Provider, "provider", "", "provider of the payment")
	fs.StringVar(&ref.MerchantOrderNo, "order", "", "merchant order number")
	fs.StringVar(&ref.Credential, "credential", "", "the credential the cancel was started with (only to address a cancel started before merchant-scoped ids)")
}

func checkTarget(args []string, ref paycancel.Ref) error {
	if err := noArgs(args); err != nil {
		return err
	}
	var p problems
	p.checkMerchant("--merchant", ref.Merchant)
	p.checkProvider("--provider", ref.Provider, true)
	p.checkOrder("--order", ref.Provider, ref.MerchantOrderNo)
	return p.err()
}
