package cli

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/paycancel/paycancel/starter/paycancel"
)

func init() {
	Register(&Command{
		Name:    "list",
		Summary: "list cancels by state, provider or review flag",
		Usage:   "[--merchant M | --legacy] [--state S] [--provider P] [--needs-review] [--limit N] [flags]",
		Help: `Lists cancels, newest first, through a visibility query on paycancel's search
attributes (the same query works in the Web UI, e.g. CancelState="NEEDS_REVIEW").
Visibility is eventually consistent: a cancel started a second ago may be missing.
Cancels started before ids were merchant-scoped have no Merchant attribute:
--merchant does not list them, --legacy lists only them.

Examples:
  starter list --needs-review
  starter list --merchant acme --state CONFIRMING --provider gnete
  starter list --legacy`,
		Setup: func(fs *pflag.FlagSet) Action {
			var f paycancel.ListFilter
			var needsReview bool
			fs.StringVar(&f.Merchant, "merchant", "", "merchant")
			fs.BoolVar(&f.Legacy, "legacy", false, "only cancels started before merchant-scoped ids (no Merchant attribute)")
			fs.StringVar(&f.State, "state", "", "cancel state, e.g. NEEDS_REVIEW, CONFIRMING, CANCELLED")
			fs.StringVar(&f.Provider, "provider", "", "provider")
			fs.BoolVar(&needsReview, "needs-review", false, "only cancels waiting for an operator (--needs-review=false: only the others)")
			fs.IntVar(&f.Limit, "limit", 50, fmt.Sprintf("at most this many (1–%d)", paycancel.MaxListLimit))
			return Action{
				Check: func(args []string) error {
					if err := noArgs(args); err != nil {
						return err
					}
					var p problems
					if f.State != "" {
						p.oneOf("--state", f.State, allStates)
					}
					p.checkProvider("--provider", f.Provider, false)
					if f.Merchant != "" {
						p.checkMerchant("--merchant", f.Merchant)
						if f.Legacy {
							p.add("--legacy lists cancels without a merchant: give --merchant or --legacy, not both")
						}
					}
					if f.Limit < 1 || f.Limit > paycancel.MaxListLimit {
						p.add("--limit %d is not between 1 and %d", f.Limit, paycancel.MaxListLimit)
					}
					if fs.Changed("needs-review") {
						f.NeedsReview = &needsReview
					}
					return p.err()
				},
				Timeout: callTimeout,
				Run: func(ctx context.Context, e *Env) error {
					list, err := e.API.List(ctx, f)
					if err != nil {
						return err
					}
					if e.JSON {
						if list == nil {
							list = []paycancel.Summary{}
						}
						return writeJSON(e.Stdout, list)
					}
					tw := newTable(e.Stdout)
					row(tw, "MERCHANT", "PROVIDER", "ORDER", "STATE", "REVIEW", "EXECUTION", "STARTED", "WORKFLOW ID")
					for _, s := range list {
						m := s.Merchant
						if m == "" {
							m = "(legacy)"
						}
						row(tw, m, s.Provider, s.MerchantOrderNo, s.State, yesNo(s.NeedsReview), s.Execution, fmtTime(s.StartTime), s.WorkflowID)
					}
					if err := tw.Flush(); err != nil {
						return err
					}
					if len(list) == 0 {
						fmt.Fprintln(e.Stderr, "no cancels match")
					}
					return nil
				},
			}
		},
	})
}
