// Command worker runs paycancel's Temporal worker; with --dev it also embeds a
// Temporal server (SQLite file), the Web UI and the provider sandboxes:
//
//	go run ./worker --dev
//
// Exit status: 0 after a clean shutdown (SIGINT/SIGTERM), 2 for bad flags or a bad
// configuration file, 1 for anything else (a port in use, Temporal unreachable).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/paycancel/paycancel/worker/app"
	"github.com/paycancel/paycancel/worker/logging"
)

func main() { os.Exit(run()) }

func run() int {
	opts, err := app.ParseFlags(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, pflag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		fmt.Fprintln(os.Stderr, "Run 'worker --help' for the flags.")
		return 2
	}
	z, err := logging.New(opts.LogLevel)
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 2
	}
	defer func() { _ = z.Sync() }()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, opts, z, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		var cfgErr *app.ConfigError
		if errors.As(err, &cfgErr) {
			return 2
		}
		return 1
	}
	return 0
}
