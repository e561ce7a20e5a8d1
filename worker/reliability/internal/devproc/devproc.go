// Package devproc is the body of cmd/devserver: paycancel's embedded Temporal
// server (worker/devserver) as a process of its own on a SQLite file. The
// reliability suite runs it (re-executing its test binary, which saves linking a
// second 200 MB binary) and SIGKILLs and restarts it on the same file and port.
package devproc

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	"go.temporal.io/server/common/dynamicconfig"

	"github.com/paycancel/paycancel/worker/app"
	"github.com/paycancel/paycancel/worker/devserver"
)

// Main parses args, starts the server, prints "ready <host:port>" on stdout when
// clients can connect, and serves until SIGINT or SIGTERM. It returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("devserver", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", ".paycancel-reliability", "folder of the SQLite file (temporal.db); reused across restarts")
	ip := fs.String("ip", "127.0.0.1", "address to bind")
	port := fs.Int("port", 7233, "Temporal frontend port")
	uiPort := fs.Int("ui-port", 0, "Web UI port (0: no UI)")
	partitions := fs.Int("task-queue-partitions", 1, "matching partitions per task queue (a single-node dev server: 1; the server's default is 4)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dc := dynamicconfig.StaticClient{}
	if *partitions > 0 {
		// With several partitions and a handful of pollers, a task written to a
		// partition nobody polls waits for a poll to land there (up to a minute after a
		// worker restart); one partition dispatches at once.
		dc[dynamicconfig.MatchingNumTaskqueueReadPartitions.Key()] = []dynamicconfig.ConstrainedValue{{Value: *partitions}}
		dc[dynamicconfig.MatchingNumTaskqueueWritePartitions.Key()] = []dynamicconfig.ConstrainedValue{{Value: *partitions}}
	}
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	srv, err := devserver.Start(startCtx, devserver.Options{
		DataDir: *dataDir, IP: *ip, FrontendPort: *port, UIPort: *uiPort,
		SearchAttributes: app.SearchAttributes, DynamicConfig: dc,
	})
	cancel()
	if err != nil {
		fmt.Fprintln(stderr, "devserver:", err)
		return 1
	}
	fmt.Fprintf(stdout, "ready %s\n", srv.HostPort())
	<-ctx.Done()
	if err := srv.Stop(); err != nil {
		fmt.Fprintln(stderr, "devserver: stopping:", err)
		return 1
	}
	return 0
}
