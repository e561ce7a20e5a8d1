package benchrun

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"

	sandboxes "github.com/paycancel/paycancel/providers/sim"
	"github.com/paycancel/paycancel/starter/paycancel"
	"github.com/paycancel/paycancel/worker/app"
	"github.com/paycancel/paycancel/worker/devserver"
	"github.com/paycancel/paycancel/worker/logging"
)

// env is everything one bench run needs: the Temporal server (embedded in a
// process of its own, or external), the sandboxes, a merchant receiver, the
// starter's client and the worker.
type env struct {
	dir        string
	removeDir  bool
	server     *serverProc // embedded only
	temporal   Temporal
	set        *sandboxes.Set
	merchant   *httptest.Server
	notified   atomic.Int64
	c          client.Client
	starter    *paycancel.Client
	taskQueue  string
	tag        string // distinguishes this run's workflow ids
	worker     workerHandle
	metricsURL string // the server's Prometheus endpoint, "" when none
	serverPID  int    // the server process, 0 when not known
	settle     time.Duration
}

func startEnv(ctx context.Context, o Options, stderr io.Writer) (_ *env, err error) {
	e := &env{tag: randomTag(), settle: o.Settle}
	defer func() {
		if err != nil {
			e.close()
		}
	}()
	e.dir = o.DataDir
	if e.dir == "" {
		if e.dir, err = os.MkdirTemp("", "paycancel-bench-"); err != nil {
			return nil, err
		}
		e.removeDir = !o.Keep
	}
	z, err := logging.New("warn")
	if err != nil {
		return nil, err
	}
	spec := workerSpec{TaskQueue: "bench-" + e.tag, Tuning: o.Tuning}
	if o.External() {
		spec.External, spec.Connection = true, o.Connection
		copts, err := spec.clientOptions(logging.NewTemporal(z))
		if err != nil {
			return nil, err
		}
		e.temporal = Temporal{Mode: "external", Address: copts.HostPort, Namespace: copts.Namespace, Store: "external",
			ServerMetricsURL: o.ServerMetricsURL, ServerPID: o.ServerPID}
		if e.c, err = client.DialContext(ctx, copts); err != nil {
			return nil, fmt.Errorf("connecting to Temporal at %s (namespace %s): %w", copts.HostPort, copts.Namespace, err)
		}
		// Cancels are started with their search attributes: the namespace needs
		// them registered (the operator service may refuse on Temporal Cloud).
		if err := devserver.RegisterSearchAttributes(ctx, e.c, copts.Namespace, app.SearchAttributes); err != nil {
			return nil, fmt.Errorf("namespace %s lacks paycancel's search attributes and registering them failed (%w); "+
				"register them once as the README shows (temporal operator search-attribute create)", copts.Namespace, err)
		}
	} else {
		store := "sqlite-file"
		if o.Memory {
			store = "sqlite-memory"
		}
		ns := o.Connection.Namespace
		if ns == "" {
			ns = "default"
		}
		e.server, err = startServer(ctx, serverSpec{DataDir: filepath.Join(e.dir, "temporal"), Memory: o.Memory, Namespace: ns,
			DynamicConfig: o.DynamicConfig}, stderr)
		if err != nil {
			return nil, fmt.Errorf("embedded server: %w", err)
		}
		e.temporal = Temporal{Mode: "embedded", Address: e.server.hostPort, Namespace: ns, Store: store,
			ServerMetricsURL: e.server.metricsURL, ServerPID: e.server.pid()}
		spec.Address, spec.Namespace = e.server.hostPort, ns
		copts, _ := spec.clientOptions(logging.NewTemporal(z))
		if e.c, err = client.DialContext(ctx, copts); err != nil {
			return nil, err
		}
	}
	e.metricsURL, e.serverPID = e.temporal.ServerMetricsURL, e.temporal.ServerPID
	if e.metricsURL != "" {
		if _, err := scrapePersistence(ctx, e.metricsURL); err != nil {
			return nil, fmt.Errorf("server metrics: %w", err)
		}
	}
	// The merchant: a local receiver that acknowledges every notification at once.
	e.merchant = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		e.notified.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	// Sandboxes without a callback URL: no provider notifications (signals) in the
	// happy path, which answers the cancel synchronously anyway.
	e.set, err = sandboxes.Start(sandboxes.Options{Dir: filepath.Join(e.dir, "sandbox-keys"), Addr: "127.0.0.1:0"})
	if err != nil {
		return nil, err
	}
	// The dev configuration `worker --dev` uses (credentials demo-<provider>); the
	// merchant's default notify URL is <receiver>/dev/merchant-webhook.
	spec.ConfigPath, _, err = app.WriteDevConfig(e.dir, e.set, e.merchant.URL)
	if err != nil {
		return nil, err
	}
	e.taskQueue = spec.TaskQueue
	e.starter = paycancel.New(e.c, paycancel.Options{TaskQueue: e.taskQueue})
	if o.InProcessWorker {
		e.worker, err = startInProcess(ctx, spec)
	} else {
		e.worker, err = startChild(ctx, spec, stderr)
	}
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	return e, nil
}

func (e *env) close() {
	if e.worker != nil {
		e.worker.Stop()
	}
	if e.c != nil {
		e.c.Close()
	}
	if e.set != nil {
		e.set.Close()
	}
	if e.merchant != nil {
		e.merchant.Close()
	}
	if e.server != nil {
		e.server.stop(30 * time.Second)
	}
	if e.removeDir && e.dir != "" {
		_ = os.RemoveAll(e.dir)
	}
}

// sample is a snapshot of every measured process, taken at a round's edges.
type sample struct {
	at        time.Time
	worker    WorkerStats
	workerErr error
	benchCPU  time.Duration
	serverCPU time.Duration // -1: not measured
	persist   persistSnapshot
	host      hostCPU
}

func (e *env) sample(ctx context.Context) sample {
	s := sample{at: time.Now(), serverCPU: -1, host: readHostCPU()}
	s.worker, s.workerErr = e.worker.Stats(ctx, false)
	s.benchCPU, _ = procCPU(0)
	if e.serverPID > 0 {
		if cpu, err := procCPU(e.serverPID); err == nil {
			s.serverCPU = cpu
		}
	}
	if e.metricsURL != "" {
		s.persist, _ = scrapePersistence(ctx, e.metricsURL)
	}
	return s
}

// waitQuiet waits, after a round's last result, until the server has finished
// the work it defers (transfer, visibility and timer tasks): until its CPU use
// stays under 10% of one core for two consecutive half-second windows, at most
// 20 s. It returns when the server went quiet (the start of those windows) and
// the machine's CPU counters then. Without a server process to watch it sleeps
// the settle time instead.
func (e *env) waitQuiet(ctx context.Context) (time.Time, hostCPU) {
	now := func() (time.Time, hostCPU) { return time.Now(), readHostCPU() }
	prev, err := procCPU(e.serverPID)
	if e.serverPID == 0 || err != nil {
		t, h := now()
		sleepCtx(ctx, e.settle)
		return t, h
	}
	const window = 500 * time.Millisecond
	deadline := time.Now().Add(20 * time.Second)
	quiet := 0
	sinceT, sinceH := now()
	for quiet < 2 && time.Now().Before(deadline) && ctx.Err() == nil {
		t0, h0 := now()
		sleepCtx(ctx, window)
		cur, err := procCPU(e.serverPID)
		if err != nil {
			break
		}
		if cur-prev < window/10 {
			if quiet == 0 {
				sinceT, sinceH = t0, h0
			}
			quiet++
		} else {
			quiet = 0
		}
		prev = cur
	}
	if quiet < 2 {
		return now()
	}
	return sinceT, sinceH
}

// hostCPU is the machine's CPU time so far, in ticks, from /proc/stat.
type hostCPU struct{ busy, total int64 }

func readHostCPU() hostCPU {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return hostCPU{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return hostCPU{}
	}
	var h hostCPU
	// user nice system idle iowait irq softirq steal (guest time is inside user).
	for i, v := range f[1:min(len(f), 9)] {
		n, _ := strconv.ParseInt(v, 10, 64)
		h.total += n
		if i != 3 && i != 4 { // idle, iowait
			h.busy += n
		}
	}
	return h
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func randomTag() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
