package main

// Process-level tests: build ./worker into a temporary binary and run it as an
// operator would. Skipped with -short (the build alone takes ~10 s).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"gopkg.in/yaml.v3"

	sandboxes "github.com/paycancel/paycancel/providers/sim"
	"github.com/paycancel/paycancel/providers/sim/simkit"
	"github.com/paycancel/paycancel/worker/app"
	"github.com/paycancel/paycancel/worker/config"
	"github.com/paycancel/paycancel/worker/demo"
	"github.com/paycancel/paycancel/worker/devserver"
	"github.com/paycancel/paycancel/worker/testenv"
	"github.com/paycancel/paycancel/workflows/contract"
	"github.com/paycancel/paycancel/workflows/contract/webhook"
)

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// workerBinary builds ./worker once per test run.
func workerBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the worker binary; skipped with -short")
	}
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "paycancel-worker-"); buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "worker")
		// -s -w: no symbol table or DWARF; links in about half the time.
		cmd := exec.Command("go", "build", "-ldflags=-s -w", "-o", binPath, ".")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./worker: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// proc is a running worker.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdout syncBuffer
	stderr syncBuffer
	done   chan struct{}
	state  *os.ProcessState
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// cleanEnv is the environment without paycancel's or Temporal's variables, so the
// host's settings cannot change what a test means.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PAYCANCEL_") || strings.HasPrefix(kv, "TEMPORAL_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

func startWorker(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, cmd: exec.Command(workerBinary(t), args...), done: make(chan struct{})}
	p.cmd.Env = cleanEnv(env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = p.cmd.Wait()
		p.state = p.cmd.ProcessState
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill() // this process only, by its id
			<-p.done
		}
		if t.Failed() {
			t.Logf("worker %v\nstdout:\n%s\nstderr:\n%s", args, p.stdout.String(), tail(p.stderr.String(), 4000))
		}
	})
	return p
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// wait returns the exit code, or fails after limit.
func (p *proc) wait(limit time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.state.ExitCode()
	case <-time.After(limit):
		p.t.Fatalf("worker still running after %s", limit)
		return -1
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// runWorker runs the worker to completion: exit code and stderr.
func runWorker(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	p := startWorker(t, env, args...)
	code := p.wait(60 * time.Second)
	return code, p.stderr.String()
}

func freePort(t *testing.T) int {
	t.Helper()
	p, err := devserver.FreePort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// occupy holds a port for the rest of the test.
func occupy(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

func addr(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }

// oneLine checks stderr is exactly one line, want (plus, for usage errors, main's
// fixed hint at its end), with no stack trace.
func oneLine(t *testing.T, stderr, want string, hint bool) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if hint {
		want += " (see worker --help)"
	}
	wantLines := []string{want}
	if strings.Join(lines, "\n") != strings.Join(wantLines, "\n") {
		t.Errorf("stderr\n got: %q\nwant: %q", lines, wantLines)
	}
	for _, bad := range []string{"panic", "goroutine ", ".go:"} {
		if strings.Contains(stderr, bad) {
			t.Errorf("stderr holds %q: %s", bad, stderr)
		}
	}
}

func TestUsageAndConfigErrors(t *testing.T) {
	workerBinary(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("merchants:\n  m1:\n    notify:\n      secrte: {env: X}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missingKey := filepath.Join(dir, "missing-key.yaml")
	if err := os.WriteFile(missingKey, []byte(`merchants:
  m1:
    notify: {secret: {env: PAYCANCEL_TEST_NOTIFY}}
    credentials:
      c1: {provider: payermax, payermax: {baseURL: "http://127.0.0.1:9", appId: a, merchantPrivateKey: {file: keys/none.pem}, providerPublicKey: {file: keys/none.pub}}}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		env  []string
		args []string
		code int
		want string
		hint bool
	}{
		{"unknown flag", nil, []string{"--dev", "--bogus"}, 2, "worker: unknown flag: --bogus", true},
		{"bad port", nil, []string{"--dev", "--dev-port=abc"}, 2, `worker: invalid argument "abc" for "--dev-port" flag: want a port number between 0 and 65535`, true},
		{"no config", nil, nil, 2, "worker: --config is required (or PAYCANCEL_CONFIG), unless --dev", true},
		{"bad env value", []string{"PAYCANCEL_LOG_LEVEL=loud"}, []string{"--dev"}, 2, `worker: PAYCANCEL_LOG_LEVEL "loud": want debug, info, warn or error`, true},
		{"stray argument", nil, []string{"--dev", "start"}, 2, `worker: unexpected argument "start" (the worker takes flags only)`, true},
		{"config file missing", nil, []string{"--config", filepath.Join(dir, "none.yaml"), "--http-addr", "127.0.0.1:0"}, 2,
			"worker: config " + filepath.Join(dir, "none.yaml") + ": no such file or directory", false},
		{"config unknown field", nil, []string{"--config", bad, "--http-addr", "127.0.0.1:0"}, 2,
			"worker: config " + bad + `: line 4: merchants.m1.notify.secrte: unknown field "secrte" (known fields: secret, defaultURL, retrySchedule)`, false},
		{"config key file missing", []string{"PAYCANCEL_TEST_NOTIFY=whsec_c2VjcmV0"}, []string{"--config", missingKey, "--http-addr", "127.0.0.1:0"}, 2,
			"worker: config " + missingKey + ": merchants.m1.credentials.c1.payermax.merchantPrivateKey: file " + filepath.Join(dir, "keys/none.pem") + ": no such file or directory", false},
		{"config from the environment", []string{"PAYCANCEL_CONFIG=" + bad}, []string{"--http-addr", "127.0.0.1:0"}, 2,
			"worker: config " + bad + `: line 4: merchants.m1.notify.secrte: unknown field "secrte" (known fields: secret, defaultURL, retrySchedule)`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stderr := runWorker(t, tc.env, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			oneLine(t, stderr, tc.want, tc.hint)
		})
	}
	t.Run("help", func(t *testing.T) {
		p := startWorker(t, nil, "--help")
		if code := p.wait(30 * time.Second); code != 0 || !strings.Contains(p.stderr.String(), "Usage: worker [flags]") {
			t.Errorf("--help: exit %d, stderr %q", code, p.stderr.String())
		}
	})
}

func TestPortInUse(t *testing.T) {
	workerBinary(t)
	// Each case occupies one port and hands it to one listener; the others get free
	// ports (0 where the worker picks one). The sandboxes bind after the embedded
	// server started: it must be stopped cleanly, still with one line and no stack.
	for _, tc := range []struct {
		name string
		args func(t *testing.T, port string) []string
		want string // the message, with %s for the address
	}{
		{"http", func(t *testing.T, p string) []string { return []string{"--http-addr", p} },
			"worker: HTTP address %s is not available (bind: address already in use); stop what uses it or choose another with --http-addr"},
		{"frontend", func(t *testing.T, p string) []string {
			return []string{"--http-addr", "127.0.0.1:0", "--dev-port", port(p), "--dev-ui-port", strconv.Itoa(freePort(t)), "--sandbox-addr", "127.0.0.1:0"}
		}, "worker: Temporal frontend address %s is not available (bind: address already in use); stop what uses it or choose another port"},
		{"web ui", func(t *testing.T, p string) []string {
			return []string{"--http-addr", "127.0.0.1:0", "--dev-port", strconv.Itoa(freePort(t)), "--dev-ui-port", port(p), "--sandbox-addr", "127.0.0.1:0"}
		}, "worker: Web UI address %s is not available (bind: address already in use); stop what uses it or choose another port"},
		{"sandboxes", func(t *testing.T, p string) []string {
			return []string{"--http-addr", "127.0.0.1:0", "--dev-port", strconv.Itoa(freePort(t)), "--dev-ui-port", "0", "--sandbox-addr", p}
		}, "worker: sandbox address %s is not available (bind: address already in use); stop what uses it or choose another with --sandbox-addr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := addr(occupy(t))
			code, stderr := runWorker(t, nil, append([]string{"--dev", "--data-dir", t.TempDir()}, tc.args(t, a)...)...)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			oneLine(t, stderr, fmt.Sprintf(tc.want, a), false)
		})
	}
}

// port is the port of a host:port address.
func port(hostPort string) string {
	_, p, _ := net.SplitHostPort(hostPort)
	return p
}

// TestDevRestartDurability runs `worker --dev`, starts a cancel, kills the process
// with SIGKILL in the middle of it, restarts it on the same data directory and
// expects the cancel to finish as CANCELLED, cancelled once at the provider.
//
// The provider sandbox is run by the test rather than inside the worker: the
// worker's own sandboxes keep their payments in memory, which a SIGKILL erases
// (a real provider keeps them). The worker points at it through --config, a copy of
// the configuration --dev writes (app.WriteDevConfig) whose merchant notifications
// go to a receiver in the test.
func TestDevRestartDurability(t *testing.T) {
	workerBinary(t)
	began := time.Now()
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	frontend, ui, httpPort, sandboxPort := freePort(t), freePort(t), freePort(t), freePort(t)
	callbackBase := "http://" + addr(httpPort)

	set, err := sandboxes.Start(sandboxes.Options{Dir: filepath.Join(dir, "provider-keys"), Addr: "127.0.0.1:0",
		CallbackBaseURL: callbackBase, NotifySchedule: []time.Duration{0, 500 * time.Millisecond, time.Second, 2 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	defer set.Close()

	// The merchant: verifies each notification as an order service would.
	var (
		mu     sync.Mutex
		events []map[string]any
		secret string
	)
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if _, err := webhook.Verify(secret, r.Header, body, time.Now(), 0); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var e map[string]any
		_ = json.Unmarshal(body, &e)
		events = append(events, e)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer merchant.Close()

	cfgDir := filepath.Join(dir, "config")
	path, s, err := app.WriteDevConfig(cfgDir, set, callbackBase)
	if err != nil {
		t.Fatal(err)
	}
	secret = s
	f, _, err := config.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Merchants[app.DevMerchantName].Notify.DefaultURL = merchant.URL + "/paycancel"
	data, err := yaml.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}

	args := []string{"--dev", "--data-dir", dataDir, "--dev-port", strconv.Itoa(frontend), "--dev-ui-port", strconv.Itoa(ui),
		"--http-addr", addr(httpPort), "--sandbox-addr", addr(sandboxPort), "--config", path}

	// First run: ready, Web UI, namespace, search attributes.
	w1 := startWorker(t, nil, args...)
	waitHTTP(t, w1, callbackBase+"/readyz", 45*time.Second)
	waitHTTP(t, w1, "http://"+addr(ui)+"/", 15*time.Second)
	t.Logf("first start ready after %s", time.Since(began).Round(time.Millisecond))

	c := dial(t, addr(frontend))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: "default"}); err != nil {
		t.Fatalf("namespace default: %v", err)
	}
	sas, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	for name, typ := range map[string]enumspb.IndexedValueType{
		"PaymentProvider": enumspb.INDEXED_VALUE_TYPE_KEYWORD, "MerchantOrderNo": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		"CancelState": enumspb.INDEXED_VALUE_TYPE_KEYWORD, "NeedsReview": enumspb.INDEXED_VALUE_TYPE_BOOL,
		"Merchant": enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	} {
		if got, ok := sas.GetCustomAttributes()[name]; !ok || got != typ {
			t.Errorf("search attribute %s: %v (registered: %v), want %v", name, got, ok, typ)
		}
	}

	// A payment whose result never came back, and its cancel.
	order := testenv.Order("durable")
	if err := demo.CreatePayment(ctx, http.DefaultClient, set.URL, "payermax", simkit.Payment{MerchantOrderNo: order, Amount: 1999, Currency: "USD"}); err != nil {
		t.Fatal(err)
	}
	wfID := contract.WorkflowID(app.DevMerchantName, "payermax", order)
	_, err = c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: wfID, TaskQueue: contract.DefaultTaskQueue},
		contract.WorkflowName, contract.CancelRequest{Merchant: app.DevMerchantName, Provider: "payermax", Credential: app.DevCredentialPrefix + "payermax",
			MerchantOrderNo: order, Amount: 1999, Currency: "USD", PayTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// The worker has run the first task once the status query answers.
	st := pollStatus(t, ctx, c, wfID, func(s contract.Status) bool { return s.State == contract.StateAwaitingPayment })
	if st.Final != "" {
		t.Fatalf("status before the kill: %+v", st)
	}
	c.Close()

	// Crash: no shutdown of any kind.
	if err := w1.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	w1.wait(10 * time.Second)
	if ws, ok := w1.state.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("first worker ended with %v, want SIGKILL", w1.state)
	}
	killedAt := time.Now()

	// Second run on the same data directory: the cancel resumes and completes.
	w2 := startWorker(t, nil, args...)
	waitHTTP(t, w2, callbackBase+"/readyz", 45*time.Second)
	t.Logf("restarted and ready %s after the kill", time.Since(killedAt).Round(time.Millisecond))
	c = dial(t, addr(frontend))
	defer c.Close()
	var final contract.Status
	getCtx, getCancel := context.WithTimeout(ctx, 40*time.Second)
	defer getCancel()
	if err := c.GetWorkflow(getCtx, wfID, "").Get(getCtx, &final); err != nil {
		t.Fatalf("workflow %s after the restart: %v", wfID, err)
	}
	if final.State != contract.StateCancelled || final.Final != contract.StateCancelled || final.NeedsReview {
		t.Fatalf("final status %+v, want CANCELLED", final)
	}
	desc, err := c.DescribeWorkflowExecution(ctx, wfID, "")
	if err != nil {
		t.Fatal(err)
	}
	if s := desc.GetWorkflowExecutionInfo().GetStatus(); s != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		t.Errorf("execution status %v", s)
	}
	// Cancelled once at the provider, with the business key the workflow fixed.
	p, ok := set.PayerMax.Store.Get(order, "")
	if !ok || p.State != simkit.Cancelled || p.EffectiveCancels() != 1 {
		t.Errorf("provider's payment: %+v", p)
	}
	mu.Lock()
	if len(events) == 0 || events[len(events)-1]["state"] != contract.StateCancelled {
		t.Errorf("merchant notifications %v, want one with state CANCELLED", events)
	}
	mu.Unlock()

	// A clean stop exits 0.
	if err := w2.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := w2.wait(30 * time.Second); code != 0 {
		t.Errorf("SIGTERM: exit %d, want 0", code)
	}
	logs, err := os.ReadFile(filepath.Join(dataDir, "worker.log")) // --dev's log file, both runs
	if err != nil || len(logs) == 0 {
		t.Errorf("--dev log file: %v (%d bytes)", err, len(logs))
	}
	for _, out := range []string{w1.stderr.String(), w2.stderr.String(), w1.stdout.String(), w2.stdout.String(), string(logs)} {
		if strings.Contains(out, secret) || strings.Contains(out, "PRIVATE KEY") {
			t.Error("the worker printed a secret")
		}
		if strings.Contains(out, "panic:") {
			t.Errorf("the worker panicked:\n%s", tail(out, 3000))
		}
	}
	t.Logf("durability test took %s", time.Since(began).Round(time.Millisecond))
}

// TestDevDemoOutput runs `worker --dev --demo` as a newcomer would and reads what
// the terminal gets: on stdout the banner (naming the log file), then the demo's
// table with a Web UI link per cancel and its summary, and not one log line; on
// stderr nothing. The logs are in the file the banner names, human-readable.
func TestDevDemoOutput(t *testing.T) {
	workerBinary(t)
	began := time.Now()
	dataDir := filepath.Join(t.TempDir(), "data")
	ui := freePort(t)
	p := startWorker(t, nil, "--dev", "--demo", "--data-dir", dataDir, "--dev-port", strconv.Itoa(freePort(t)),
		"--dev-ui-port", strconv.Itoa(ui), "--http-addr", "127.0.0.1:0", "--sandbox-addr", "127.0.0.1:0")
	summary := regexp.MustCompile(`^(\d+) of (\d+) scenarios reached their expected state\.`)
	deadline := time.Now().Add(4 * time.Minute)
	for !summaryLine(p.stdout.String(), summary) {
		if p.exited() {
			t.Fatalf("worker exited (%v) before the demo's summary", p.state)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no demo summary after 4 minutes")
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("demo done after %s", time.Since(began).Round(time.Millisecond))
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(60 * time.Second); code != 0 {
		t.Errorf("SIGTERM: exit %d, want 0", code)
	}

	stdout := p.stdout.String()
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	logFile := filepath.Join(dataDir, "worker.log")
	// The banner: up to "Try it", with the log file's path.
	end := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "Try it:") {
			end = i
			break
		}
	}
	if end < 0 || !strings.HasPrefix(lines[0], "paycancel worker polling task queue") || !slices.Contains(lines[:end], "  logs: "+logFile) {
		t.Fatalf("banner without the log file %s:\n%s", logFile, stdout)
	}
	// After it: the demo's table and links only.
	link := fmt.Sprintf("http://127.0.0.1:%d/namespaces/default/workflows/", ui)
	rows := 0
	for _, l := range lines[end+1:] {
		switch {
		case strings.HasPrefix(l, "Running the demo:"), strings.HasPrefix(l, "PROVIDER "), summary.MatchString(l):
		case slices.Contains(contract.ProviderNames, strings.Fields(l + " x")[0]) && strings.Contains(l, link):
			rows++
		default:
			t.Errorf("stdout line after the banner is not the demo's: %q", l)
		}
	}
	if m := summary.FindStringSubmatch(lines[len(lines)-1]); m == nil || m[2] != strconv.Itoa(rows) || rows == 0 {
		t.Errorf("%d table rows; last line %q", rows, lines[len(lines)-1])
	}
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "{") || strings.Contains(l, `"level"`) {
			t.Errorf("a JSON log line on stdout: %q", l)
		}
	}
	if s := p.stderr.String(); s != "" {
		t.Errorf("stderr is not empty:\n%s", tail(s, 3000))
	}
	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if log := string(b); !strings.Contains(log, "\tINFO\t") || !strings.Contains(log, "Started Worker") || strings.HasPrefix(log, "{") {
		t.Errorf("log file %s is not the worker's console log:\n%s", logFile, tail(log, 2000))
	}
}

// summaryLine reports whether some complete line of out matches re.
func summaryLine(out string, re *regexp.Regexp) bool {
	for _, l := range strings.Split(out, "\n") {
		if re.MatchString(l) {
			return true
		}
	}
	return false
}

func dial(t *testing.T, hostPort string) client.Client {
	t.Helper()
	c, err := client.Dial(client.Options{HostPort: hostPort, Namespace: "default", Logger: sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// waitHTTP polls url until it answers 200, failing early if the worker exits.
func waitHTTP(t *testing.T, p *proc, url string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	hc := &http.Client{Timeout: 2 * time.Second}
	last := ""
	for {
		if p.exited() {
			t.Fatalf("worker exited (%v) while waiting for %s", p.state, url)
		}
		resp, err := hc.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after %s: %s", url, limit, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func pollStatus(t *testing.T, ctx context.Context, c client.Client, id string, ok func(contract.Status) bool) contract.Status {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		qctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		v, err := c.QueryWorkflow(qctx, id, "", contract.QueryStatus)
		cancel()
		if err == nil {
			var st contract.Status
			if err := v.Get(&st); err != nil {
				t.Fatal(err)
			}
			if ok(st) {
				return st
			}
			last = fmt.Errorf("state %s", st.State)
		} else {
			last = err
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("status of %s: %v", id, last)
	return contract.Status{}
}
