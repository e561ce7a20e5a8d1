// Command sandbox serves the five provider sandboxes on one port, for trying the
// adapters against something that signs and verifies like the real providers:
//
//	go run ./providers/sim/sandbox --addr 127.0.0.1:8299 --dir .paycancel/sandbox-keys
//
// Payments are created through each sandbox's admin API, e.g.
// POST http://127.0.0.1:8299/payermax/_sandbox/payments {"merchantOrderNo":"o1","amount":100,"currency":"USD"}.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"

	sandboxes "github.com/paycancel/paycancel/providers/sim"
)

func main() {
	var opts sandboxes.Options
	fs := pflag.NewFlagSet("sandbox", pflag.ContinueOnError)
	fs.StringVar(&opts.Addr, "addr", "127.0.0.1:8299", "listen address")
	fs.StringVar(&opts.Dir, "dir", ".paycancel/sandbox-keys", "folder for generated keys and secrets")
	fs.StringVar(&opts.CallbackBaseURL, "callback-base-url", "", "paycancel worker callback root for console-configured notifications (e.g. http://127.0.0.1:8080)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if err == pflag.ErrHelp {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		os.Exit(2)
	}
	set, err := sandboxes.Start(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		os.Exit(1)
	}
	fmt.Printf("provider sandboxes on %s (keys in %s)\n", set.URL, opts.Dir)
	for _, n := range sandboxes.Names {
		fmt.Printf("  %-13s %s/%s\n", n, set.URL, n)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	set.Close()
}
