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
	"go.temporal.io/sdk/client"

	"github.com/paycancel/paycancel/worker/app"
	"github.com/paycancel/paycancel/worker/demo"
	"github.com/paycancel/paycancel/worker/logging"
)

func main() { os.Exit(run()) }

func run() int {
	opts, err := app.ParseFlags(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, pflag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err, "(see worker --help)")
		return 2
	}
	z, closeLog, err := logging.Open(logging.Config{Level: opts.LogLevel, Format: opts.LogFormat, File: opts.LogFile})
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 1
	}
	defer func() { _ = closeLog() }()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if opts.Demo {
		opts.OnReady = runDemo
	}
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

// runDemo is --demo: once the worker polls, it runs the same demo as
// `starter demo` (package worker/demo) against the embedded sandboxes and prints
// its table.
func runDemo(ctx context.Context, c client.Client, r app.Ready) {
	fmt.Println("Running the demo: payments at all five sandboxes, their cancels, their outcomes…")
	results, err := demo.Run(ctx, demo.Config{
		Client: c, TaskQueue: r.TaskQueue,
		SandboxURL: r.SandboxURL, UIURL: r.UIURL, Namespace: r.Namespace,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		return
	}
	_ = demo.Print(os.Stdout, results)
	fmt.Printf("%d of %d scenarios reached their expected state. The worker keeps running; Ctrl-C stops it.\n", demo.Passed(results), len(results))
}
