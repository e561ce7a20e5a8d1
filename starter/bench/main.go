// Command bench benchmarks paycancel on the embedded Temporal server (a SQLite
// file) with the provider sandboxes: a baseline workflow with one no-op activity
// and happy-path cancels across the five providers at the same concurrency
// (throughput, latency start→final, history events, Temporal Cloud actions), then
// the worker's resident memory with many cancels parked in their pay-timeout timer.
//
//	go run ./starter/bench --out bench.json
//
// See package starter/bench/benchrun for what is measured and how.
package main

import (
	"os"

	"github.com/paycancel/paycancel/starter/bench/benchrun"
)

func main() { os.Exit(benchrun.Main(os.Args[1:], os.Stdout, os.Stderr)) }
