package reliability

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"gopkg.in/yaml.v3"

	"github.com/paycancel/paycancel/providers"
	sandboxes "github.com/paycancel/paycancel/providers/sim"
	"github.com/paycancel/paycancel/providers/sim/simkit"
	"github.com/paycancel/paycancel/worker/app"
	"github.com/paycancel/paycancel/worker/config"
	"github.com/paycancel/paycancel/worker/devserver"
	"github.com/paycancel/paycancel/workflows/contract"
	"github.com/paycancel/paycancel/workflows/contract/webhook"
)

// mode sizes a run.
type mode struct {
	Name    string
	Cancels int
	Workers int
	// StartSpread: cancels start evenly over this period, so kills hit every phase.
	StartSpread time.Duration
	// ChaosFor: workers and the server are killed during this period after the first start.
	ChaosFor time.Duration
	// WorkerKillEvery: a kill every [min, max).
	WorkerKillEvery [2]time.Duration
	// AllWorkersDownShare of kills take every worker down at once.
	AllWorkersDownShare float64
	// ServerKills: how many times the Temporal server is SIGKILLed and restarted.
	ServerKills int
	// Drain bounds the wait for the last cancels after the chaos ends.
	Drain time.Duration
	// VerifyAfter runs a second reconciliation once every cancel is done, which
	// verifies every CANCELLED one against its provider (about a second each: the
	// server's timers have a one-second grain, so its pacing sleep is ≥ 1 s).
	VerifyAfter bool
}

func shortMode() mode {
	return mode{Name: "short", Cancels: 60, Workers: 2, StartSpread: 30 * time.Second, ChaosFor: 60 * time.Second,
		WorkerKillEvery: [2]time.Duration{4 * time.Second, 9 * time.Second}, AllWorkersDownShare: 0.2,
		ServerKills: 2, Drain: 3 * time.Minute}
}

func longMode() mode {
	return mode{Name: "long", Cancels: 320, Workers: 3, StartSpread: 5 * time.Minute, ChaosFor: 6 * time.Minute,
		WorkerKillEvery: [2]time.Duration{4 * time.Second, 9 * time.Second}, AllWorkersDownShare: 0.2,
		ServerKills: 6, Drain: 10 * time.Minute, VerifyAfter: true}
}

const taskQueue = contract.DefaultTaskQueue

// cancelRun is one cancel the harness drives, and what it saw.
type cancelRun struct {
	i        int
	merchant string // app.DevMerchantName or secondMerchant
	provider string
	order    string
	sc       scenario
	want     string
	wfID     string
	req      contract.CancelRequest

	mu           sync.Mutex
	started      time.Time
	finished     time.Time
	startTries   int
	done         bool
	st           contract.Status
	failure      error // a workflow that ended other than completed
	lastErr      error
	reviewSeen   bool
	reviewReason string
	resolveTries int
	signalled    bool
	signalAt     time.Time // when the server accepted the PAID signal
}

// expected returns the final states this cancel may end in and the effective
// cancels each allows. A PAID signal the server accepted at least a second before
// the cancel's pay deadline must win (PAID, nothing cancelled); one that arrived
// later (the start or the signal was held up by a dead server) may lose the race
// with the deadline, and then the cancel goes ahead: CANCELLED, or PAID_AT_CANCEL
// when the signal lands while the cancel is under way.
func (cr *cancelRun) expected() (states map[string][]int, late bool) {
	effective := func(s string) []int {
		if s == contract.StateCancelled {
			return []int{1}
		}
		return []int{0}
	}
	if cr.sc.signalPaid && cr.done && (cr.signalAt.IsZero() || !cr.signalAt.Before(cr.st.PayDeadline.Add(-time.Second))) {
		return map[string][]int{contract.StatePaid: {0}, contract.StateCancelled: {1}, contract.StatePaidAtCancel: {0, 1}}, true
	}
	return map[string][]int{cr.want: effective(cr.want)}, false
}

// chaosEvent is one thing the harness did to a process.
type chaosEvent struct {
	At     time.Duration
	What   string
	Downed time.Duration
}

// harness is one run: its processes, sandboxes, merchant, client and findings.
type harness struct {
	m     mode
	seed  int64
	logf  func(string, ...any)
	root  string
	rngMu sync.Mutex
	rng   *rand.Rand
	t0    time.Time

	workerBin      string
	server         *proc
	serverAddr     string
	workers        []*proc
	workerHTTP     []string
	set            *sandboxes.Set
	merchant       *merchantReceiver
	merchantSrv    *httptest.Server
	merchantSecret string
	// The second merchant: its accounts at the same providers (set2: the same
	// providers' keys, other account ids), its own notification receiver and
	// secret. Every other cancel is its order, with the order number of the
	// cancel before it (same provider): two merchants sharing order numbers.
	set2            *sandboxes.Set
	merchant2       *merchantReceiver
	merchant2Srv    *httptest.Server
	merchant2Secret string
	configPath      string
	c               client.Client

	stopping atomic.Bool
	startMu  sync.Mutex // a worker (re)start and the decision to stop are ordered
	supWG    sync.WaitGroup
	tearOnce sync.Once
	// stops are what setUp started in this process (and the server), in the order
	// started; stopAll runs them last to first, after the workers.
	stops []func()

	evMu           sync.Mutex
	events         []chaosEvent
	serverDownMax  time.Duration
	serverDownSum  time.Duration
	workerDownMax  time.Duration
	allDownCount   int
	restartsFailed int

	cancels []*cancelRun
	recon   []reconRun

	errMu     sync.Mutex
	errCounts map[string]int // failed client calls by operation and gRPC code
	visMu     sync.Mutex
	visLat    []time.Duration // visibility count latency, sampled during the run
	visErrs   int
}

// countErr counts a failed client call by operation and gRPC code.
func (h *harness) countErr(op string, err error) {
	code := serviceerror.ToStatus(err).Code().String()
	if errors.Is(err, context.DeadlineExceeded) {
		code = "DeadlineExceeded"
	}
	h.errMu.Lock()
	defer h.errMu.Unlock()
	if h.errCounts == nil {
		h.errCounts = map[string]int{}
	}
	h.errCounts[op+" "+code]++
}

type reconRun struct {
	ID     string
	Report contract.ReconcileReport
	Err    error
	During string
}

// withRNG runs f with the seeded generator, which the chaos goroutines share
// (rand.Rand is not safe for concurrent use).
func (h *harness) withRNG(f func(r *rand.Rand)) {
	h.rngMu.Lock()
	defer h.rngMu.Unlock()
	f(h.rng)
}

func (h *harness) rand(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	d := lo
	h.withRNG(func(r *rand.Rand) { d += time.Duration(r.Int63n(int64(hi - lo))) })
	return d
}

func (h *harness) intn(n int) (v int) {
	h.withRNG(func(r *rand.Rand) { v = r.Intn(n) })
	return v
}

func (h *harness) float() (v float64) {
	h.withRNG(func(r *rand.Rand) { v = r.Float64() })
	return v
}

func (h *harness) event(what string, downed time.Duration) {
	h.evMu.Lock()
	defer h.evMu.Unlock()
	h.events = append(h.events, chaosEvent{At: time.Since(h.t0).Round(100 * time.Millisecond), What: what, Downed: downed})
}

func quietLogger() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// setUp builds the binaries and starts the server, sandboxes, merchant and workers.
func (h *harness) setUp(ctx context.Context) error {
	var err error
	for _, d := range []string{"temporal", "sandbox-keys", "config", "logs", "bin"} {
		if err := os.MkdirAll(filepath.Join(h.root, d), 0o700); err != nil {
			return err
		}
	}
	if h.workerBin, err = buildWorker(filepath.Join(h.root, "bin"), h.logf); err != nil {
		return err
	}
	logDir := filepath.Join(h.root, "logs")

	// (1) The Temporal server, its own process on a SQLite file.
	if h.serverAddr, err = devserver.FreeAddr("127.0.0.1"); err != nil {
		return err
	}
	_, port, _ := strings.Cut(h.serverAddr, ":")
	self, err := os.Executable()
	if err != nil {
		return err
	}
	h.server = &proc{name: "temporal", bin: self, logDir: logDir, env: []string{roleEnv + "=devserver"},
		args: []string{"--data-dir", filepath.Join(h.root, "temporal"), "--port", port,
			"--task-queue-partitions", strconv.Itoa(envInt("PAYCANCEL_RELIABILITY_PARTITIONS", 1))}}
	h.onStop(func() { h.server.stop(20 * time.Second) })
	if err := h.startServer(ctx); err != nil {
		return err
	}

	// Fixed worker HTTP addresses, kept across restarts: worker 0's is the callback
	// address providers are told about.
	for i := 0; i < h.m.Workers; i++ {
		a, err := devserver.FreeAddr("127.0.0.1")
		if err != nil {
			return err
		}
		h.workerHTTP = append(h.workerHTTP, a)
	}
	callbackBase := "http://" + h.workerHTTP[0]

	// (2) The sandboxes, in this process, with short notification schedules and
	// timeouts that outlast the adapters' 15 s client timeout.
	simkit.HoldFor = 20 * time.Second
	if h.set, err = h.startSandboxes(callbackBase, ""); err != nil {
		return err
	}
	// The second merchant's accounts: the same key folder (a provider signs for
	// all its merchants with one key), other account ids, the same callback URLs.
	if h.set2, err = h.startSandboxes(callbackBase, "2"); err != nil {
		return err
	}

	// The merchant: verifies every notification's signature and records its id.
	if err := h.writeConfig(callbackBase); err != nil {
		return err
	}

	// (3) Worker processes: the real binary, without --dev.
	for i := 0; i < h.m.Workers; i++ {
		p := &proc{name: fmt.Sprintf("worker%d", i), bin: h.workerBin, logDir: logDir,
			args: []string{"--address", h.serverAddr, "--namespace", "default", "--config", h.configPath,
				"--http-addr", h.workerHTTP[i], "--task-queue", taskQueue, "--log-level", "info"}}
		h.workers = append(h.workers, p)
		if err := p.start(); err != nil {
			return err
		}
	}
	for i := range h.workers {
		rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		err := waitHTTP(rctx, "http://"+h.workerHTTP[i]+"/readyz")
		cancel()
		if err != nil {
			return fmt.Errorf("worker %d not ready: %w", i, err)
		}
	}
	for _, p := range h.workers {
		h.supWG.Add(1)
		go h.supervise(p)
	}
	h.c, err = client.DialContext(ctx, client.Options{HostPort: h.serverAddr, Namespace: "default", Logger: quietLogger()})
	if err != nil {
		return fmt.Errorf("dialing the test client: %w", err)
	}
	h.onStop(h.c.Close)
	h.logf("up: Temporal %s (SQLite %s), sandboxes %s and %s, %d workers (HTTP %s), merchants %s and %s",
		h.serverAddr, filepath.Join(h.root, "temporal", "temporal.db"), h.set.URL, h.set2.URL, len(h.workers),
		strings.Join(h.workerHTTP, ", "), h.merchantSrv.URL, h.merchant2Srv.URL)
	return nil
}

// startSandboxes starts one merchant's accounts (tag: sandboxes.Options.AccountTag)
// in this process, on the shared key folder, with short notification schedules.
func (h *harness) startSandboxes(callbackBase, tag string) (*sandboxes.Set, error) {
	set, err := sandboxes.Start(sandboxes.Options{Dir: filepath.Join(h.root, "sandbox-keys"), Addr: "127.0.0.1:0",
		CallbackBaseURL: callbackBase, AccountTag: tag,
		NotifySchedule: []time.Duration{0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}})
	if err != nil {
		return nil, err
	}
	h.onStop(set.Close)
	return set, nil
}

// startMerchant starts a merchant's notification receiver, which verifies
// signatures with secret.
func (h *harness) startMerchant(secret string) (*merchantReceiver, *httptest.Server) {
	m := &merchantReceiver{secret: secret, seen: map[string]map[string]map[string]int{}, refusedOnce: map[string]bool{}}
	srv := httptest.NewServer(m)
	h.onStop(srv.Close)
	return m, srv
}

// onStop adds f to what stopAll runs.
func (h *harness) onStop(f func()) {
	h.startMu.Lock()
	defer h.startMu.Unlock()
	h.stops = append(h.stops, f)
}

// writeConfig writes the dev configuration for the sandboxes (app.WriteDevConfig)
// and edits it: the merchant's notifications go to the test's receiver, schedules
// are fast, windows are 24 h (no midnight edge) and cancel attempts generous
// enough that worker deaths, which each cost an attempt, cannot exhaust them.
func (h *harness) writeConfig(callbackBase string) error {
	dir := filepath.Join(h.root, "config")
	devPath, secret, err := app.WriteDevConfig(dir, h.set, callbackBase)
	if err != nil {
		return err
	}
	h.merchantSecret = secret
	h.merchant, h.merchantSrv = h.startMerchant(secret)

	f, _, err := config.ReadFile(devPath)
	if err != nil {
		return err
	}
	h.merchant2Secret = "whsec_" + base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("second merchant %d", h.seed)))
	secret2Path := filepath.Join(dir, "second-merchant-notify.secret")
	if err := os.WriteFile(secret2Path, []byte(h.merchant2Secret), 0o600); err != nil {
		return err
	}
	h.merchant2, h.merchant2Srv = h.startMerchant(h.merchant2Secret)
	m := f.Merchants[app.DevMerchantName]
	m2 := &config.Merchant{Notify: config.Notify{Secret: providers.SecretRef{File: secret2Path}}, Credentials: map[string]*config.Credential{
		secondMerchant + "-payermax":     {Provider: "payermax", PayerMax: &h.set2.PayerMaxConfig},
		secondMerchant + "-alipayplus":   {Provider: "alipayplus", AlipayPlus: &h.set2.AlipayPlusConfig},
		secondMerchant + "-gnete":        {Provider: "gnete", GNETE: &h.set2.GNETEConfig},
		secondMerchant + "-ksher":        {Provider: "ksher", Ksher: &h.set2.KsherConfig},
		secondMerchant + "-alipayglobal": {Provider: "alipayglobal", AlipayGlobal: &h.set2.AlipayGlobalConfig},
	}}
	f.Merchants[secondMerchant] = m2
	for _, mc := range []struct {
		m   *config.Merchant
		url string
	}{{m, h.merchantSrv.URL}, {m2, h.merchant2Srv.URL}} {
		mc.m.Notify.DefaultURL = mc.url + "/merchant/webhooks"
		mc.m.Notify.RetrySchedule = []config.Duration{0, config.Duration(time.Second), config.Duration(2 * time.Second),
			config.Duration(4 * time.Second), config.Duration(8 * time.Second), config.Duration(16 * time.Second)}
		attempts := 20
		poll := config.Duration(time.Second)
		fast := m.Credentials[app.DevCredentialPrefix+"payermax"].Policy // the dev policies' fast backoffs
		for _, c := range mc.m.Credentials {
			c.Policy.CancelRetry = fast.CancelRetry
			c.Policy.MaxCancelAttempts = &attempts
			c.Policy.PaymentPoll = &poll
			c.Policy.QueryBackoff = &config.BackoffFile{Initial: config.Duration(time.Second), Max: config.Duration(3 * time.Second), Multiplier: 2}
			c.Policy.CancelWindow = &config.CancelWindow{Rule: "after", After: config.Duration(24 * time.Hour)}
		}
	}
	// One provider with a tight concurrency limit on its own task queue.
	f.ProviderLimits = map[string]config.ProviderLimits{"ksher": {Concurrency: 4}}
	data, err := yaml.Marshal(f)
	if err != nil {
		return err
	}
	h.configPath = filepath.Join(dir, "reliability.yaml")
	return os.WriteFile(h.configPath, append([]byte("# reliability suite: dev configuration with fast policies\n"), data...), 0o600)
}

func (h *harness) startServer(ctx context.Context) error {
	var last error
	for try := 0; try < 5; try++ {
		if err := h.server.start(); err != nil {
			return err
		}
		rctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		_, err := h.server.waitForLine(rctx, "ready ")
		cancel()
		if err == nil {
			return nil
		}
		last = err
		h.server.kill()
		h.logf("Temporal server start %d failed, trying again: %v", try+1, err)
		time.Sleep(time.Second)
	}
	return last
}

// supervise restarts a worker whenever it is gone: after a random pause when the
// harness killed it, after a second when it exited by itself (Temporal down).
func (h *harness) supervise(p *proc) {
	defer h.supWG.Done()
	for {
		exited, logPath := p.current()
		<-exited
		if h.stopping.Load() {
			return
		}
		down := time.Now()
		delay := time.Second
		if p.wasKilled() {
			delay = h.rand(300*time.Millisecond, 3*time.Second)
		} else {
			p.selfExits.Add(1)
			tail, _ := os.ReadFile(logPath)
			h.logf("%s exited by itself (%v): %s", p.name, p.lastStatus.Load(), lastLines(string(tail), 2))
		}
		time.Sleep(delay)
		h.startMu.Lock()
		if h.stopping.Load() {
			h.startMu.Unlock()
			return
		}
		err := p.start()
		h.startMu.Unlock()
		if err != nil {
			h.logf("restarting %s: %v", p.name, err)
			time.Sleep(time.Second)
			continue
		}
		h.evMu.Lock()
		if d := time.Since(down); d > h.workerDownMax {
			h.workerDownMax = d
		}
		h.evMu.Unlock()
	}
}

// chaos SIGKILLs workers at random moments, and the Temporal server ServerKills
// times, until the deadline.
func (h *harness) chaos(ctx context.Context, until time.Time) {
	var serverAt []time.Time
	span := time.Until(until)
	for k := 0; k < h.m.ServerKills; k++ {
		base := span * time.Duration(k+1) / time.Duration(h.m.ServerKills+1)
		serverAt = append(serverAt, time.Now().Add(base+h.rand(-span/time.Duration(4*(h.m.ServerKills+1)), span/time.Duration(4*(h.m.ServerKills+1)))))
	}
	sort.Slice(serverAt, func(i, j int) bool { return serverAt[i].Before(serverAt[j]) })
	for {
		wait := h.rand(h.m.WorkerKillEvery[0], h.m.WorkerKillEvery[1])
		next := time.Now().Add(wait)
		serverNext := len(serverAt) > 0 && serverAt[0].Before(next)
		if serverNext {
			next = serverAt[0]
		}
		if next.After(until) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(next)):
		}
		if serverNext {
			serverAt = serverAt[1:]
			h.killServer(ctx)
			continue
		}
		if h.float() < h.m.AllWorkersDownShare && len(h.workers) > 1 {
			n := 0
			for _, w := range h.workers {
				if w.kill() {
					n++
				}
			}
			h.evMu.Lock()
			h.allDownCount++
			h.evMu.Unlock()
			h.event(fmt.Sprintf("SIGKILL all workers (%d running)", n), 0)
			continue
		}
		w := h.workers[h.intn(len(h.workers))]
		if w.kill() {
			h.event("SIGKILL "+w.name, 0)
		}
	}
}

func (h *harness) killServer(ctx context.Context) {
	if !h.server.kill() {
		return
	}
	down := time.Now()
	time.Sleep(h.rand(time.Second, 4*time.Second))
	if err := h.startServer(ctx); err != nil {
		h.logf("Temporal server did not come back: %v", err)
		h.evMu.Lock()
		h.restartsFailed++
		h.evMu.Unlock()
		return
	}
	d := time.Since(down)
	h.evMu.Lock()
	h.serverDownSum += d
	if d > h.serverDownMax {
		h.serverDownMax = d
	}
	h.evMu.Unlock()
	h.event("SIGKILL Temporal server, restarted on the same SQLite file", d.Round(100*time.Millisecond))
}

// tearDown stops every process gracefully (SIGTERM), so their logs are complete.
func (h *harness) tearDown() { h.tearOnce.Do(h.stopAll) }

func (h *harness) stopAll() {
	h.startMu.Lock()
	h.stopping.Store(true)
	stops := h.stops
	h.startMu.Unlock()
	var wg sync.WaitGroup
	for _, w := range h.workers {
		wg.Add(1)
		go func(p *proc) { defer wg.Done(); p.stop(20 * time.Second) }(w)
	}
	wg.Wait()
	h.supWG.Wait()
	for i := len(stops) - 1; i >= 0; i-- {
		stops[i]()
	}
}

// ---- the cancels ----

// scenarios is the catalogue this run uses: known-bug reproductions only with
// PAYCANCEL_RELIABILITY_KNOWN_BUGS=1, and PAYCANCEL_RELIABILITY_SCENARIOS (a
// comma-separated list of names) narrows it.
func scenarios() []scenario {
	only := map[string]bool{}
	for _, n := range strings.Split(os.Getenv("PAYCANCEL_RELIABILITY_SCENARIOS"), ",") {
		if n = strings.TrimSpace(n); n != "" {
			only[n] = true
		}
	}
	known := os.Getenv("PAYCANCEL_RELIABILITY_KNOWN_BUGS") == "1"
	var out []scenario
	for _, s := range catalogue {
		if (s.knownBug != "" && !known) || (len(only) > 0 && !only[s.name]) {
			continue
		}
		out = append(out, s)
	}
	return out
}

func (h *harness) plan(tag string) {
	all := scenarios()
	var cat []scenario
	forced := map[string][]scenario{} // everyProvider scenarios, by provider
	for _, s := range all {
		if !s.everyProvider {
			cat = append(cat, s)
			continue
		}
		for _, p := range sandboxes.Names {
			if s.appliesTo(p) {
				forced[p] = append(forced[p], s)
			}
		}
	}
	perProvider := map[string]int{}
	for i := 0; i < h.m.Cancels; i++ {
		// Pairs: cancel 2k is the dev merchant's, 2k+1 the second merchant's
		// order with the same number at the same provider; scenarios are drawn
		// for each on its own, so the two cancels of a pair go different ways.
		pi := (i / 2) % len(sandboxes.Names)
		provider := sandboxes.Names[pi]
		k := perProvider[provider]
		perProvider[provider]++
		var sc scenario
		if f := forced[provider]; k < len(f) {
			// Each provider's first cancels run the everyProvider scenarios, so the
			// short form covers them for every provider, started early enough to
			// reach review during the chaos.
			sc = f[k]
		} else {
			if len(cat) == 0 {
				continue
			}
			j := k - len(f) + pi*4
			for n := 0; n < len(cat) && !cat[j%len(cat)].appliesTo(provider); n++ {
				j++
			}
			sc = cat[j%len(cat)]
		}
		if !sc.appliesTo(provider) {
			continue
		}
		order := fmt.Sprintf("rel-%s-%04d", tag, i-i%2) // ≤ 30 characters (GNETE); shared by the pair
		merchant, credential := app.DevMerchantName, app.DevCredentialPrefix+provider
		if i%2 == 1 {
			merchant, credential = secondMerchant, secondMerchant+"-"+provider
		}
		cr := &cancelRun{i: i, merchant: merchant, provider: provider, order: order, sc: sc, want: sc.want(provider),
			wfID: contract.WorkflowID(merchant, provider, order)}
		cr.req = contract.CancelRequest{Merchant: merchant, Provider: provider, Credential: credential,
			MerchantOrderNo: order, Amount: 1000 + int64(i), Currency: "USD", PayTimeout: sc.payTimeout}
		h.cancels = append(h.cancels, cr)
	}
}

// drive plays the order service (start, maybe a PAID signal) and the operator
// (resolve a review) for one cancel, then waits for its result. Every call is
// retried: the server or every worker may be down at any moment.
func (h *harness) drive(ctx context.Context, cr *cancelRun) {
	store, _ := h.setOf(cr.merchant).Store(cr.provider)
	created, err := store.Create(simkit.Payment{MerchantOrderNo: cr.order, Amount: cr.req.Amount, Currency: "USD",
		State: cr.sc.state, Scenario: cr.sc.sc})
	if err != nil {
		cr.setErr(fmt.Errorf("sandbox payment: %w", err))
		return
	}
	if cr.i%3 == 1 {
		// Every third cancel names the provider's payment id too.
		cr.req.ProviderPaymentID = created.ProviderPaymentID
	}
	cr.mu.Lock()
	cr.started = time.Now()
	cr.mu.Unlock()
	for {
		cr.startTries++
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := h.c.ExecuteWorkflow(sctx, client.StartWorkflowOptions{
			ID: cr.wfID, TaskQueue: taskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
			WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		}, contract.WorkflowName, cr.req)
		cancel()
		var exists *serviceerror.WorkflowExecutionAlreadyStarted
		if err == nil || errors.As(err, &exists) {
			break // a retried start whose first try went through (and finished) is refused: fine
		}
		cr.setErr(fmt.Errorf("start: %w", err))
		h.countErr("start", err)
		if ctx.Err() != nil {
			return
		}
		time.Sleep(time.Second)
	}
	signalAt := time.Now().Add(2 * time.Second)
	lastQuery := time.Now()
	for {
		if cr.sc.signalPaid && !cr.signalled && time.Now().After(signalAt) {
			sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := h.c.SignalWorkflow(sctx, cr.wfID, "", contract.SignalPaymentResult, contract.PaymentResult{Status: "PAID", Source: "order-service"})
			cancel()
			var nf *serviceerror.NotFound
			if err == nil || errors.As(err, &nf) {
				cr.signalled = true
				if err == nil {
					cr.mu.Lock()
					cr.signalAt = time.Now()
					cr.mu.Unlock()
				}
			} else {
				h.countErr("signal", err)
			}
		}
		wait := 5 * time.Second
		if cr.sc.signalPaid && !cr.signalled {
			wait = time.Until(signalAt) + 100*time.Millisecond
			if wait < 200*time.Millisecond {
				wait = time.Second
			}
		}
		gctx, cancel := context.WithTimeout(ctx, wait)
		var st contract.Status
		began := time.Now()
		err := h.c.GetWorkflow(gctx, cr.wfID, "").Get(gctx, &st)
		cancel()
		if err == nil {
			cr.mu.Lock()
			cr.done, cr.st, cr.finished = true, st, time.Now()
			cr.mu.Unlock()
			return
		}
		var wee *temporal.WorkflowExecutionError
		if errors.As(err, &wee) {
			cr.mu.Lock()
			cr.failure, cr.finished = err, time.Now()
			cr.mu.Unlock()
			return
		}
		if ctx.Err() != nil {
			cr.setErr(fmt.Errorf("no result before the deadline: %w", err))
			return
		}
		if !errors.Is(err, context.DeadlineExceeded) && time.Since(began) < time.Second {
			time.Sleep(time.Second) // not a long poll that ran out: the server is down
		}
		// Look for a review: expected ones are resolved by the operator; unexpected
		// ones are recorded (and resolved too, so the run can finish).
		every := 10 * time.Second
		if cr.sc.review {
			every = 2 * time.Second
		}
		if time.Since(lastQuery) < every || (!cr.sc.review && time.Since(cr.started) < 45*time.Second) {
			continue
		}
		lastQuery = time.Now()
		h.maybeResolve(ctx, cr)
	}
}

func (cr *cancelRun) setErr(err error) {
	cr.mu.Lock()
	cr.lastErr = err
	cr.mu.Unlock()
}

func (h *harness) maybeResolve(ctx context.Context, cr *cancelRun) {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := h.c.QueryWorkflow(qctx, cr.wfID, "", contract.QueryStatus)
	if err != nil {
		return
	}
	var st contract.Status
	if v.Get(&st) != nil || st.State != contract.StateNeedsReview {
		return
	}
	cr.mu.Lock()
	if !cr.reviewSeen {
		cr.reviewSeen, cr.reviewReason = true, st.ReviewReason
		if !cr.sc.review {
			cr.reviewReason += " (last outcome " + st.LastOutcome.String() + ")"
		}
	}
	cr.resolveTries++
	cr.mu.Unlock()
	uctx, cancel2 := context.WithTimeout(ctx, 10*time.Second)
	defer cancel2()
	hdl, err := h.c.UpdateWorkflow(uctx, client.UpdateWorkflowOptions{
		UpdateID: "resolve-" + cr.wfID, WorkflowID: cr.wfID, UpdateName: contract.UpdateResolve,
		Args:         []any{contract.Resolution{Action: "NOT_NEEDED", Operator: "reliability-suite", Note: "nothing was cancelled at the provider"}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		_ = hdl.Get(uctx, nil)
	}
}

// reconcile runs the reconciliation workflow once and waits for its report.
func (h *harness) reconcile(ctx context.Context, id, during string) {
	r := reconRun{ID: id, During: during}
	req := contract.ReconcileRequest{StuckAfter: 2 * time.Second, VerifyWithin: time.Hour, QueryInterval: time.Millisecond}
	for ctx.Err() == nil {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := h.c.ExecuteWorkflow(sctx, client.StartWorkflowOptions{ID: id, TaskQueue: taskQueue,
			WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING}, contract.ReconcileWorkflowName, req)
		cancel()
		if err == nil {
			break
		}
		time.Sleep(time.Second)
	}
	for {
		gctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := h.c.GetWorkflow(gctx, id, "").Get(gctx, &r.Report)
		cancel()
		var wee *temporal.WorkflowExecutionError
		if err == nil || errors.As(err, &wee) || ctx.Err() != nil {
			r.Err = err
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	h.evMu.Lock()
	h.recon = append(h.recon, r)
	h.evMu.Unlock()
}

// secondMerchant is the second merchant's name in the configuration.
const secondMerchant = "globex"

// setOf returns the sandboxes of a merchant's accounts.
func (h *harness) setOf(merchant string) *sandboxes.Set {
	if merchant == secondMerchant {
		return h.set2
	}
	return h.set
}

// receiverOf returns a merchant's notification receiver.
func (h *harness) receiverOf(merchant string) *merchantReceiver {
	if merchant == secondMerchant {
		return h.merchant2
	}
	return h.merchant
}

// ---- the merchant ----

// merchantReceiver is the merchant's notification endpoint: it verifies each
// delivery's signature with workflows/contract/webhook.Verify and records, per cancel and
// state, every webhook-id it received. The first delivery of one cancel in four
// is refused (503), so the notification schedule's retries run too.
type merchantReceiver struct {
	secret      string
	mu          sync.Mutex
	seen        map[string]map[string]map[string]int // workflow id → state → webhook-id → deliveries
	refusedOnce map[string]bool
	refused     int
	badSig      int
	delivered   int
}

func (m *merchantReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	id, err := webhook.Verify(m.secret, r.Header, body, time.Now(), 0)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.badSig++
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	// The fields the merchant reads, by their JSON names as a merchant's own code
	// would, not through the worker's Go type: a renamed field fails the run
	// instead of round-tripping unnoticed.
	var ev struct {
		WorkflowID string `json:"workflowId"`
		State      string `json:"state"`
	}
	if err := json.Unmarshal(body, &ev); err != nil || ev.WorkflowID == "" {
		m.badSig++
		http.Error(w, "bad event", http.StatusBadRequest)
		return
	}
	k := ev.WorkflowID + "#" + ev.State
	if fnv(ev.WorkflowID)%4 == 0 && !m.refusedOnce[k] {
		m.refusedOnce[k] = true
		m.refused++
		http.Error(w, "merchant busy", http.StatusServiceUnavailable)
		return
	}
	if m.seen[ev.WorkflowID] == nil {
		m.seen[ev.WorkflowID] = map[string]map[string]int{}
	}
	if m.seen[ev.WorkflowID][ev.State] == nil {
		m.seen[ev.WorkflowID][ev.State] = map[string]int{}
	}
	m.seen[ev.WorkflowID][ev.State][id]++
	m.delivered++
	w.WriteHeader(http.StatusNoContent)
}

// ---- run ----

type runResult struct {
	h        *harness
	took     time.Duration
	histJSON map[string][]byte // execution → history JSON with payloads decoded (+ raw payload text)
	checks   *checkResult
	secrets  *secretNeedles
	logFiles []string
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
