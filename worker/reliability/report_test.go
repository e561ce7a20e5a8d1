package reliability

import (
	"fmt"
	"sort"
	"strings"
	"time"

	sandboxes "github.com/paycancel/paycancel/providers/sim"
	"github.com/paycancel/paycancel/workflows/contract"
)

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(float64(len(s)-1) * p)
	return s[i].Round(100 * time.Millisecond)
}

func yesNo(ok bool) string {
	if ok {
		return "held"
	}
	return "**VIOLATED**"
}

// summary renders the run's figures as Markdown (also printed line by line).
func (r *runResult) summary() string {
	h, c := r.h, r.checks
	var b strings.Builder
	w := func(f string, a ...any) { fmt.Fprintf(&b, f+"\n", a...) }

	workerKills, workerStarts, selfExits := 0, 0, 0
	for _, p := range h.workers {
		workerKills += int(p.kills.Load())
		workerStarts += int(p.starts.Load())
		selfExits += int(p.selfExits.Load())
	}
	w("## Reliability run (%s form)", h.m.Name)
	w("")
	w("seed %d; %d cancels across %d providers; %d worker processes; total %s (cancels started over %s, kills during the first %s)",
		h.seed, c.total, len(sandboxes.Names), h.m.Workers, r.took.Round(time.Second), h.m.StartSpread, h.m.ChaosFor)
	w("")
	w("### What was killed")
	w("")
	w("| | count |")
	w("|---|---|")
	w("| worker SIGKILLs | %d (of which %d moments with every worker down at once) |", workerKills, h.allDownCount)
	w("| worker starts (incl. restarts) | %d; exits nobody asked for: %d (Temporal down at start) |", workerStarts, selfExits)
	w("| longest worker downtime | %s |", h.workerDownMax.Round(100*time.Millisecond))
	w("| Temporal server SIGKILLs, restarted on the same SQLite file | %d (downtime total %s, longest %s; failed restarts %d) |",
		h.server.kills.Load(), h.serverDownSum.Round(100*time.Millisecond), h.serverDownMax.Round(100*time.Millisecond), h.restartsFailed)
	w("")
	w("### Invariants")
	w("")
	w("| invariant | figure | |")
	w("|---|---|---|")
	w("| every cancel reached a final state | %d/%d final (expected outcome: %d/%d) | %s |", c.reachedFinal, c.total, c.asExpected, c.total,
		yesNo(c.reachedFinal == c.total && c.asExpected == c.total))
	w("| exactly one effective cancel per cancelled order, none elsewhere | %d orders with 1, %d with 0 (as expected), %d wrong; %d cancel calls recorded (max %d on one order; %d orders had a timeout after the effect) | %s |",
		c.effectiveOne, c.effectiveZero, c.effectiveWrong, c.cancelCalls, c.maxCallsPerOrder, c.afterEffectOrders, yesNo(c.effectiveWrong == 0))
	cancelled := 0
	for _, sf := range c.byScenario {
		cancelled += sf.states[contract.StateCancelled]
	}
	w("| no cancel ended CANCELLED unless the sandbox recorded that cancel as effective | %d CANCELLED, %d without an effective cancel | %s |",
		cancelled, c.cancelledWithoutEffect, yesNo(c.cancelledWithoutEffect == 0))
	w("| every recorded cancel of an order used the same business key | %d orders, %d key changes | %s |", c.ordersChecked, c.keyMismatch, yesNo(c.keyMismatch == 0))
	w("| every merchant notification delivered, one stable webhook-id | %d/%d final notifications delivered; %d deliveries in all, %d redeliveries of the same id, %d deliberately refused first tries, %d bad signatures, %d id problems | %s |",
		c.notifyDelivered, c.reachedFinal, c.merchantDeliveries, c.merchantDuplicates, c.merchantRefused, c.merchantBadSig, c.notifyIDProblems,
		yesNo(c.notifyMissing == 0 && c.notifyIDProblems == 0 && c.merchantBadSig == 0))
	w("| two merchants sharing order numbers stay apart (two cancels, two business keys, each merchant notified of its own only, each account sent its own key) | %d order numbers used by both merchants, %d violations | %s |",
		c.sharedOrders, c.tenancyViolations, yesNo(c.tenancyViolations == 0 && c.sharedOrders > 0))
	statuses := make([]string, 0, len(c.execByStatus))
	for k, v := range c.execByStatus {
		statuses = append(statuses, fmt.Sprintf("%s %d", k, v))
	}
	sort.Strings(statuses)
	bad := c.execByStatus["FAILED"] + c.execByStatus["TIMED_OUT"] + c.execByStatus["TERMINATED"] + c.execByStatus["CANCELED"] + c.execByStatus["RUNNING"]
	w("| no execution failed, timed out, was terminated or left running | %d executions: %s | %s |", c.executions, strings.Join(statuses, ", "), yesNo(bad == 0))
	w("| every closed history replays with the current code | %d replayed, %d failed | %s |", c.replayed, c.replayFailed, yesNo(c.replayFailed == 0 && c.replayed > 0))
	w("| reviews only where expected | %d expected, %d resolved by the operator (Update), %d unexpected | %s |", c.reviewsExpected, c.reviewsResolved, c.unexpectedReviews, yesNo(c.unexpectedReviews == 0))
	for _, rr := range h.recon {
		errText := ""
		if rr.Err != nil {
			errText = " error: " + rr.Err.Error()
		}
		w("| reconciliation %s | %d stuck signalled, %d verified, %d disagreements, %d skipped, %d runs%s | %s |", rr.During,
			len(rr.Report.Stuck), rr.Report.Verified, len(rr.Report.Disagreements), rr.Report.Skipped, rr.Report.Runs, errText,
			yesNo(rr.Err == nil && len(rr.Report.Disagreements) == 0))
	}
	w("")
	w("Cancel time from start to final state: p50 %s, p95 %s, max %s. Start retries: %d. Cancel attempts counted by the workflows: %d.",
		pct(c.took, 0.5), pct(c.took, 0.95), pct(c.took, 1), c.startRetries, c.cancelAttempts)
	failed := "none"
	if len(c.wftFailed) > 0 {
		var parts []string
		for k, v := range c.wftFailed {
			parts = append(parts, fmt.Sprintf("%s %d", k, v))
		}
		sort.Strings(parts)
		failed = strings.Join(parts, ", ")
	}
	h.errMu.Lock()
	var errs []string
	for k, v := range h.errCounts {
		errs = append(errs, fmt.Sprintf("%s %d", k, v))
	}
	h.errMu.Unlock()
	sort.Strings(errs)
	if len(errs) == 0 {
		errs = []string{"none"}
	}
	h.visMu.Lock()
	w("Client calls that failed and were retried (server down or overloaded): %s. Visibility count latency sampled every 15 s: p50 %s, max %s (%d failed). PAID signals that reached the server after the pay deadline: %d.",
		strings.Join(errs, ", "), pct(h.visLat, 0.5), pct(h.visLat, 1), h.visErrs, c.lateSignals)
	h.visMu.Unlock()
	w("From the histories: %d events; workflow-task schedule-to-start p50 %s, p95 %s, max %s; %d workflow tasks timed out (their worker was gone); workflow tasks failed: %s; %d activity attempts beyond the first.",
		c.historyEvents, pct(c.wftWaits, 0.5), pct(c.wftWaits, 0.95), pct(c.wftWaits, 1), c.wftTimedOut, failed, c.activityRetries)
	w("")
	w("### Outcomes by scenario")
	w("")
	w("| scenario | cancels | as expected | final states | p50 | max |")
	w("|---|---|---|---|---|---|")
	names := make([]string, 0, len(c.byScenario))
	for _, s := range catalogue {
		if _, ok := c.byScenario[s.name]; ok {
			names = append(names, s.name)
		}
	}
	for _, n := range names {
		sf := c.byScenario[n]
		var states []string
		for k, v := range sf.states {
			states = append(states, fmt.Sprintf("%s %d", k, v))
		}
		sort.Strings(states)
		w("| %s | %d | %d | %s | %s | %s |", n, sf.count, sf.ok, strings.Join(states, ", "), pct(sf.took, 0.5), pct(sf.took, 1))
	}
	w("")
	var prov []string
	for _, p := range sandboxes.Names {
		prov = append(prov, fmt.Sprintf("%s %d", p, c.byProvider[p]))
	}
	w("By provider: %s.", strings.Join(prov, ", "))
	w("")
	w("### Kill timeline (t = first cancel start)")
	w("")
	h.evMu.Lock()
	var tl []string
	for _, e := range h.events {
		s := fmt.Sprintf("t+%s %s", e.At, e.What)
		if e.Downed > 0 {
			s += fmt.Sprintf(" (down %s)", e.Downed)
		}
		tl = append(tl, s)
	}
	h.evMu.Unlock()
	w("%s", strings.Join(tl, "; "))
	if len(c.violations) > 0 {
		w("")
		w("### Violations (%d)", len(c.violations))
		w("")
		for i, v := range c.violations {
			if i == 30 {
				w("- … %d more", len(c.violations)-30)
				break
			}
			w("- %s", v)
		}
	}
	return b.String()
}
