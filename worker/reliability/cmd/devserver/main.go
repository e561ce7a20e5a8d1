// Command devserver runs paycancel's embedded Temporal server (worker/devserver)
// as a process of its own, on a SQLite file, for the reliability suite
// (worker/reliability): the suite SIGKILLs it and starts it again on the same file
// and port to show that cancels survive a server crash.
//
//	go run ./worker/reliability/cmd/devserver --data-dir /tmp/pc --port 7243
//
// It registers paycancel's search attributes, prints "ready <host:port>" on
// stdout once clients can connect, and runs until SIGINT/SIGTERM (or SIGKILL).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/paycancel/paycancel/worker/app"
	"github.com/paycancel/paycancel/worker/devserver"
)

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	fs := pflag.NewFlagSet("devserver", pflag.ContinueOnError)
	dataDir := fs.String("data-dir", ".paycancel-reliability", "folder of the SQLite file (temporal.db)")
	ip := fs.String("ip", "127.0.0.1", "address to bind")
	port := fs.Int("port", 7233, "Temporal frontend port")
	uiPort := fs.Int("ui-port", 0, "Web UI port (0: no UI)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	srv, err := devserver.Start(startCtx, devserver.Options{
		DataDir: *dataDir, IP: *ip, FrontendPort: *port, UIPort: *uiPort, SearchAttributes: app.SearchAttributes,
	})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "devserver:", err)
		return 1
	}
	fmt.Printf("ready %s\n", srv.HostPort())
	<-ctx.Done()
	if err := srv.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "devserver: stopping:", err)
		return 1
	}
	return 0
}
