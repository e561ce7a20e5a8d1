// Command starter starts and drives paycancel's payment cancels: start (idempotent
// per order), status, signal-payment, resolve, resend, list, and a demo across the
// five providers against `worker --dev`. See package starter/cli for the exit
// status and starter/paycancel for the Go API it is built on.
//
//	go run ./starter demo
package main

import (
	"os"

	"github.com/paycancel/paycancel/starter/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr)) }
