// Package reliability is paycancel's crash-and-restart suite (issue 8). It has no
// code of its own outside its tests and the helper command cmd/devserver.
//
// The harness runs three kinds of OS processes: the Temporal server on a SQLite
// file (cmd/devserver), the provider sandboxes with scripted faults (in the test
// process), and real worker processes (the built ./worker binary, without --dev,
// against a configuration written by app.WriteDevConfig). It starts cancels across
// all five providers, SIGKILLs workers at random moments and restarts them, kills
// and restarts the Temporal server on the same file, and then checks:
//
//   - every cancel reached its expected final state (workflow result);
//   - at the sandboxes, exactly one effective cancel per cancelled order and none
//     elsewhere, every recorded cancel of an order with the same business key;
//   - no cancel ends CANCELLED unless the sandbox recorded that cancel as effective
//     (the trust rule: the unsigned-claim scenario, for every provider, and GNETE's
//     foreign-answers scenario, claim a cancel that never happened);
//   - every merchant notification delivered at least once, signed, with one stable
//     event id per (cancel, state);
//   - no execution Failed, TimedOut, Terminated or Canceled;
//   - every closed history replays with the current workflow code;
//   - no key material, app secret or merchant notification secret in any history
//     (payloads decoded) or in any line the worker processes logged.
//
// Short form (about 60 cancels, a few minutes; skipped under -short):
//
//	go test ./worker/reliability/ -v
//
// Long form (300+ cancels, more kills, three workers):
//
//	PAYCANCEL_RELIABILITY_LONG=1 go test ./worker/reliability/ -v -timeout 40m
//
// The long form also runs a reconciliation after the last cancel, which verifies
// every CANCELLED one against its provider (PAYCANCEL_RELIABILITY_VERIFY_AFTER=1
// adds it to the short form).
//
// Other knobs: PAYCANCEL_RELIABILITY_SEED (reproduce a kill schedule),
// PAYCANCEL_RELIABILITY_CANCELS (override the count), PAYCANCEL_RELIABILITY_REPORT
// (write the summary as Markdown to this file), PAYCANCEL_RELIABILITY_KEEP=1 (keep
// the run folder: SQLite file, configuration, process logs),
// PAYCANCEL_RELIABILITY_PARTITIONS (task-queue partitions of the server; default 1),
// PAYCANCEL_RELIABILITY_SCENARIOS (run only these scenarios, comma-separated),
// PAYCANCEL_RELIABILITY_CHAOS=0 (no kills: a calm baseline),
// PAYCANCEL_RELIABILITY_KNOWN_BUGS=1 (also run the scenarios that reproduce open
// bugs every time; they fail until the bugs are fixed).
//
// The Temporal server process is this package's test binary run again in the
// devserver role: it runs internal/devproc, the same code as cmd/devserver, so
// only ./worker is built (a second 200 MB link would cost half a minute).
package reliability
