package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/paycancel/paycancel/worker/demo"
)

func init() {
	Register(&Command{
		Name:    "demo",
		Summary: "run a cancel per provider and scenario against worker --dev's sandboxes",
		Usage:   "[--sandbox-url URL] [--ui-url URL] [--timeout D] [flags]",
		Help: `Against a running 'go run ./worker --dev': creates payments in the five provider
sandboxes across scenarios (happy, pending then success, unknown then success,
paid before the deadline, already paid, window expired), starts their cancels,
waits for each to settle and prints one table of outcomes with a Web UI link per
cancel. Window-expired cancels stay open in NEEDS_REVIEW for an operator (try
'starter resolve'). Exit 0 when every scenario reached its expected state, 4
otherwise.`,
		Setup: func(fs *pflag.FlagSet) Action {
			cfg := demo.Config{}
			fs.StringVar(&cfg.SandboxURL, "sandbox-url", "http://127.0.0.1:8299", "root of the provider sandboxes (worker --sandbox-addr)")
			fs.StringVar(&cfg.UIURL, "ui-url", "http://127.0.0.1:8233", "Temporal Web UI root, for the links")
			fs.StringVar(&cfg.Merchant, "merchant", "demo", "the merchant whose credentials they are")
			fs.StringVar(&cfg.CredentialPrefix, "credential-prefix", "demo-", "credential names are <prefix><provider>")
			fs.DurationVar(&cfg.Timeout, "timeout", 3*time.Minute, "give up waiting for the cancels after this long")
			return Action{
				Check: func(args []string) error {
					if err := noArgs(args); err != nil {
						return err
					}
					var p problems
					p.parseURL("--sandbox-url", cfg.SandboxURL)
					p.parseURL("--ui-url", cfg.UIURL)
					p.required("--credential-prefix", cfg.CredentialPrefix)
					p.checkMerchant("--merchant", cfg.Merchant)
					if cfg.Timeout <= 0 {
						p.add("--timeout must be positive")
					}
					return p.err()
				},
				Run: func(ctx context.Context, e *Env) error {
					c := cfg
					c.Client, c.TaskQueue, c.Namespace = e.API.Temporal(), e.API.TaskQueue(), e.Namespace
					c.PollInterval = e.API.PollInterval()
					if !e.JSON {
						c.Progress = e.Stderr
					}
					results, err := demo.Run(ctx, c)
					if err != nil {
						return err
					}
					if e.JSON {
						if err := writeJSON(e.Stdout, results); err != nil {
							return err
						}
					} else if err := demo.Print(e.Stdout, results); err != nil {
						return err
					}
					failed := len(results) - demo.Passed(results)
					if failed > 0 {
						return &outcomeError{fmt.Sprintf("%d of %d scenarios did not reach their expected state", failed, len(results))}
					}
					if !e.JSON {
						fmt.Fprintf(e.Stdout, "\nAll %d scenarios reached their expected state. Reviews stay open: resolve one with\n"+
							"  starter resolve --merchant %s --provider <p> --order <order> --action CANCELLED --operator you\n", len(results), c.Merchant)
					}
					return nil
				},
			}
		},
	})
}
