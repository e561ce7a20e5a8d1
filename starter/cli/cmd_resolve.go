package cli

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/paycancel/paycancel/starter/paycancel"
	"github.com/paycancel/paycancel/workflows/contract"
)

func init() {
	Register(&Command{
		Name:    "resolve",
		Summary: "resolve a cancel in NEEDS_REVIEW with an operator's decision",
		Usage:   "--merchant M --provider P --order O --action A --operator NAME [--note TEXT] [flags]",
		Help: `Resolves a cancel waiting in NEEDS_REVIEW (the workflow's resolve update) and
prints its status once the resolution took effect (for RETRY_CANCEL: the retried
cancel's answer — CANCELLED, CONFIRMING, or NEEDS_REVIEW again with the reason).
Actions:
  CANCELLED     cancelled or closed by hand at the provider
  PAID          the payment stands: fulfil the order
  REFUNDED      it was paid and has been refunded by hand
  NOT_NEEDED    nothing to cancel
  RETRY_CANCEL  send the cancel again (e.g. after fixing a credential)
The workflow validates the request; its refusal (for example the cancel is not
in NEEDS_REVIEW) exits 5 with its message, and changes nothing.
Find reviews with: starter list --needs-review` + targetHelp,
		Setup: func(fs *pflag.FlagSet) Action {
			var ref paycancel.Ref
			var res contract.Resolution
			addTargetFlags(fs, &ref)
			fs.StringVar(&res.Action, "action", "", "CANCELLED, PAID, REFUNDED, NOT_NEEDED or RETRY_CANCEL")
			fs.StringVar(&res.Operator, "operator", "", "who resolves it (recorded in the workflow's history)")
			fs.StringVar(&res.Note, "note", "", "why (ticket, what was done at the provider)")
			return Action{
				Check: func(args []string) error {
					if err := checkTarget(args, ref); err != nil {
						return err
					}
					var p problems
					if res.Action == "" {
						p.add("--action is required (one of %s)", strings.Join(slices.Sorted(maps.Keys(contract.ResolutionActions)), ", "))
					}
					p.required("--operator", res.Operator)
					if len(p) > 0 {
						return p.err()
					}
					return flagMessages(res.Validate())
				},
				Timeout: callTimeout,
				Run: func(ctx context.Context, e *Env) error {
					return e.showStatus(e.API.Resolve(ctx, ref, res))
				},
			}
		},
	})
}
