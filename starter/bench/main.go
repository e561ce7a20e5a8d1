// Command bench benchmarks paycancel: a baseline workflow with one no-op activity
// and happy-path cancels across the five providers, in alternating rounds at the
// same concurrency on the same server and worker (throughput, latency, and what
// limits them: CPU per process, schedule-to-start, persistence latency; history
// events and Temporal Cloud actions per execution), then the worker's memory with
// many cancels parked in their pay-timeout timer. It runs an embedded Temporal
// server (SQLite file) unless --address or --profile names another.
//
//	go run ./starter/bench --out bench.json
//
// See package starter/bench/benchrun for what is measured and the JSON schema.
package main

import (
	"os"

	"github.com/paycancel/paycancel/starter/bench/benchrun"
)

func main() { os.Exit(benchrun.Main(os.Args[1:], os.Stdout, os.Stderr)) }
