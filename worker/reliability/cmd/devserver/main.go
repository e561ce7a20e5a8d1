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
	"os"

	"github.com/paycancel/paycancel/worker/reliability/internal/devproc"
)

func main() { os.Exit(devproc.Main(os.Args[1:], os.Stdout, os.Stderr)) }
