package reliability

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/paycancel/paycancel/worker/reliability/internal/devproc"
)

// One run serves both tests (it takes minutes): whichever test comes first starts
// it, and TestMain removes its folder at the end.
var shared struct {
	once sync.Once
	res  *runResult
	err  error
	root string
}

// roleEnv set to "devserver" makes this test binary the Temporal server process
// (cmd/devserver's code) instead of running tests.
const roleEnv = "PAYCANCEL_RELIABILITY_ROLE"

func TestMain(m *testing.M) {
	if os.Getenv(roleEnv) == "devserver" {
		os.Exit(devproc.Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	code := m.Run()
	if shared.root != "" {
		if os.Getenv("PAYCANCEL_RELIABILITY_KEEP") == "1" {
			fmt.Fprintf(os.Stderr, "reliability: run folder kept at %s\n", shared.root)
		} else {
			_ = os.RemoveAll(shared.root)
		}
	}
	os.Exit(code)
}

func sharedRun(t *testing.T) *runResult {
	t.Helper()
	if testing.Short() {
		t.Skip("the reliability suite runs real processes for minutes; skipped under -short")
	}
	if runtime.GOOS == "windows" {
		t.Skip("the reliability suite uses SIGKILL/SIGTERM")
	}
	shared.once.Do(func() {
		m := shortMode()
		if os.Getenv("PAYCANCEL_RELIABILITY_LONG") == "1" {
			m = longMode()
		}
		m.Cancels = envInt("PAYCANCEL_RELIABILITY_CANCELS", m.Cancels)
		seed := time.Now().UnixNano()
		if v, err := strconv.ParseInt(os.Getenv("PAYCANCEL_RELIABILITY_SEED"), 10, 64); err == nil {
			seed = v
		}
		root, err := os.MkdirTemp("", "paycancel-reliability-")
		if err != nil {
			shared.err = err
			return
		}
		shared.root = root
		h := &harness{m: m, seed: seed, rng: rand.New(rand.NewSource(seed)), root: root, logf: t.Logf}
		shared.res, shared.err = run(h)
		h.logf = func(string, ...any) {} // the first test is over when the other reads the result
	})
	if shared.err != nil {
		t.Fatalf("reliability run: %v", shared.err)
	}
	return shared.res
}

// run does one whole run: set up, cancels under chaos, checks, tear down.
func run(h *harness) (*runResult, error) {
	start := time.Now()
	h.logf("reliability %s form: %d cancels, %d workers, seed %d (PAYCANCEL_RELIABILITY_SEED=%d reproduces the schedule), folder %s",
		h.m.Name, h.m.Cancels, h.m.Workers, h.seed, h.seed, h.root)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	defer h.tearDown()
	if err := h.setUp(ctx); err != nil {
		return nil, err
	}
	h.plan(strconv.FormatInt(time.Now().Unix()%1e6, 36))
	var skipped []string
	for _, s := range catalogue {
		if s.knownBug != "" && os.Getenv("PAYCANCEL_RELIABILITY_KNOWN_BUGS") != "1" {
			skipped = append(skipped, s.name)
		}
	}
	if len(skipped) > 0 {
		h.logf("known-bug reproductions not run (PAYCANCEL_RELIABILITY_KNOWN_BUGS=1 runs them): %s", strings.Join(skipped, ", "))
	}

	// Cancels start evenly over StartSpread; the chaos runs from the first start.
	h.t0 = time.Now()
	chaosUntil := h.t0.Add(h.m.ChaosFor)
	driveCtx, stopDriving := context.WithDeadline(ctx, chaosUntil.Add(h.m.Drain))
	defer stopDriving()
	var chaosWG, driveWG sync.WaitGroup
	chaosWG.Add(1)
	go func() {
		defer chaosWG.Done()
		if os.Getenv("PAYCANCEL_RELIABILITY_CHAOS") == "0" {
			h.logf("no kills (PAYCANCEL_RELIABILITY_CHAOS=0)")
			return
		}
		h.chaos(ctx, chaosUntil)
	}()
	for i, cr := range h.cancels {
		driveWG.Add(1)
		at := h.t0.Add(h.m.StartSpread * time.Duration(i) / time.Duration(len(h.cancels)))
		go func(cr *cancelRun) {
			defer driveWG.Done()
			time.Sleep(time.Until(at))
			h.drive(driveCtx, cr)
		}(cr)
	}
	// A reconciliation runs in the middle of the chaos (stuck cancels get a recheck
	// signal), and another once every cancel is done (verifies every CANCELLED one
	// against the provider).
	var reconWG sync.WaitGroup
	reconWG.Add(1)
	go func() {
		defer reconWG.Done()
		time.Sleep(time.Until(h.t0.Add(h.m.ChaosFor / 2)))
		// Its activities have a 1-minute start-to-close timeout: a killed worker
		// costs it up to a minute each time, hence its own, longer deadline.
		rctx, cancel := context.WithDeadline(ctx, chaosUntil.Add(h.m.Drain+2*time.Minute))
		defer cancel()
		h.reconcile(rctx, "reliability-reconcile-during", "during the kills")
	}()
	progressDone := make(chan struct{})
	go h.progress(progressDone)
	driveWG.Wait()
	chaosWG.Wait()
	h.logf("all cancels returned after %s", time.Since(h.t0).Round(time.Second))
	reconWG.Wait()
	close(progressDone)
	// Every process is up again before the checks: wait for the workers to be ready.
	for i := range h.workers {
		rctx, c2 := context.WithTimeout(ctx, 60*time.Second)
		_ = waitHTTP(rctx, "http://"+h.workerHTTP[i]+"/readyz")
		c2()
	}
	mark := time.Now()
	if h.m.VerifyAfter || os.Getenv("PAYCANCEL_RELIABILITY_VERIFY_AFTER") == "1" {
		rctx, c3 := context.WithTimeout(ctx, 3*time.Minute+time.Duration(len(h.cancels))*2*time.Second)
		h.reconcile(rctx, "reliability-reconcile-after", "after the last cancel")
		c3()
		h.logf("reconciliation after the run took %s", time.Since(mark).Round(100*time.Millisecond))
		mark = time.Now()
	}
	res := &runResult{h: h}
	checks, err := h.check(ctx, res)
	if err != nil {
		return nil, err
	}
	res.checks = checks
	h.logf("checks (visibility, %d histories fetched and replayed) took %s", len(res.histJSON), time.Since(mark).Round(100*time.Millisecond))
	// Stop the processes (gracefully) before reading their logs.
	mark = time.Now()
	h.tearDown()
	h.logf("stopping every process took %s", time.Since(mark).Round(100*time.Millisecond))
	if res.secrets, res.logFiles, err = h.collectSecrets(); err != nil {
		return nil, err
	}
	res.took = time.Since(start)
	return res, nil
}

func (h *harness) progress(done chan struct{}) {
	tick := time.NewTicker(15 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		n, started := 0, 0
		for _, cr := range h.cancels {
			cr.mu.Lock()
			if cr.done || cr.failure != nil {
				n++
			}
			if !cr.started.IsZero() {
				started++
			}
			cr.mu.Unlock()
		}
		kills := 0
		for _, w := range h.workers {
			kills += int(w.kills.Load())
		}
		// Sample the visibility store's latency (what the workers' gauges and the
		// reconciliation wait for), one count query.
		vis := "visibility count failed"
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		began := time.Now()
		resp, err := h.c.CountWorkflow(cctx, &workflowservice.CountWorkflowExecutionsRequest{Query: "ExecutionStatus = 'Running'"})
		cancel()
		h.visMu.Lock()
		if err == nil {
			took := time.Since(began)
			h.visLat = append(h.visLat, took)
			vis = fmt.Sprintf("%d running (count took %s)", resp.GetCount(), took.Round(10*time.Millisecond))
		} else {
			h.visErrs++
		}
		h.visMu.Unlock()
		h.logf("t+%s: %d/%d started, %d finished, %s; %d worker kills, %d server kills so far",
			time.Since(h.t0).Round(time.Second), started, len(h.cancels), n, vis, kills, h.server.kills.Load())
	}
}

// TestReliabilityUnderKills is issue 8's suite: cancels across all five providers
// with mixed faults while workers and the Temporal server are SIGKILLed and
// restarted, then the invariants, printed as figures.
func TestReliabilityUnderKills(t *testing.T) {
	res := sharedRun(t)
	c := res.checks
	summary := res.summary()
	for _, line := range strings.Split(summary, "\n") {
		t.Log(line)
	}
	if path := os.Getenv("PAYCANCEL_RELIABILITY_REPORT"); path != "" {
		if err := os.WriteFile(path, []byte(summary+"\n"), 0o644); err != nil {
			t.Errorf("writing the report: %v", err)
		}
	}
	for _, v := range c.violations {
		t.Error(v)
	}
	if len(c.violations) == 0 {
		t.Logf("all invariants held")
	}
}

// TestNoSecretsInHistoriesOrLogs: after the run, no key material (the PEM bodies
// and base64 key text of every generated key file), no GNETE app secret and no
// merchant notification secret appears in any workflow history (payloads decoded)
// or in any line the worker processes wrote.
func TestNoSecretsInHistoriesOrLogs(t *testing.T) {
	res := sharedRun(t)
	s := res.secrets
	hits := s.scan(res.histJSON, res.logFiles)
	t.Logf("secrets: %d needles (%s) from %d key/secret files; searched %d histories (%d KB JSON, payloads decoded) and %d worker log files (%d KB, %d lines)",
		len(s.needles), s.kinds(), s.files, len(res.histJSON), s.histBytes/1024, len(res.logFiles), s.logBytes/1024, s.logLines)
	for _, c := range s.controls {
		t.Logf("control: %s", c)
	}
	for _, e := range s.controlErrors {
		t.Errorf("scanner control failed: %s", e)
	}
	if len(hits) == 0 {
		t.Logf("no secret found in any history or log line")
	}
	for _, hit := range hits {
		t.Errorf("secret leaked: %s", hit)
	}
}
