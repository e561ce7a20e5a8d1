// Package testenv starts everything an end-to-end test needs in-process: a real
// Temporal server (go.temporal.io/server/temporaltest), paycancel's search
// attributes, the five provider sandboxes over real HTTP with generated keys, the
// worker's HTTP callback server, and a worker with the real registration
// (app.Register) and the same dev configuration `worker --dev` writes.
package testenv

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.temporal.io/server/temporaltest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/paycancel/paycancel/activities"
	"github.com/paycancel/paycancel/providers"
	sandboxes "github.com/paycancel/paycancel/providers/sim"
	"github.com/paycancel/paycancel/worker/app"
	"github.com/paycancel/paycancel/worker/config"
	"github.com/paycancel/paycancel/worker/devserver"
	"github.com/paycancel/paycancel/worker/logging"
	"github.com/paycancel/paycancel/workflows/contract"
)

// With PAYCANCEL_TEST_TEMPORAL_ADDRESS set (host:port), Start connects to that
// server instead of starting one, in namespace PAYCANCEL_TEST_NAMESPACE (default
// "default"); worker/prodprofile runs the end-to-end tests this way against a
// Temporal server on PostgreSQL. Env.Server is then nil.
const (
	EnvTemporalAddress = "PAYCANCEL_TEST_TEMPORAL_ADDRESS"
	EnvNamespace       = "PAYCANCEL_TEST_NAMESPACE"
)

// Options tune the environment. The zero value works.
type Options struct {
	// NotifySchedule for the sandboxes' notifications; default 0, 1s, 2s.
	NotifySchedule []time.Duration
	// EditConfig may change the configuration file before it is loaded.
	EditConfig func(*config.File)
	// SecondMerchant adds merchant SecondMerchantName with a credential set at
	// every provider (SecondCredentialPrefix+provider) on a second set of
	// sandboxes (Env.Sandboxes2): the same providers and keys as the first set,
	// other accounts (sandboxes.Options.AccountTag), the same callback URL — two
	// merchants at the same providers, whose order numbers may coincide. Its
	// notifications go to Env.Merchant2, signed with its own secret.
	SecondMerchant bool
}

// The second merchant of Options.SecondMerchant.
const (
	SecondMerchantName     = "globex"
	SecondCredentialPrefix = "globex-"
)

// Env is a running environment.
type Env struct {
	// Server is the in-process server; nil against an external one.
	Server    *temporaltest.TestServer
	Client    client.Client
	Namespace string
	TaskQueue string
	Sandboxes *sandboxes.Set
	Config    *config.Config
	// CallbackURL is the worker HTTP server's root (provider callbacks).
	CallbackURL string
	HTTP        *app.Server
	Merchant    *app.DevMerchant
	// Sandboxes2 and Merchant2 are the second merchant's (Options.SecondMerchant).
	Sandboxes2 *sandboxes.Set
	Merchant2  *app.DevMerchant
	Workers    *app.Workers
	Log        *zap.Logger
}

// Start brings the environment up; everything stops when the test ends.
func Start(t testing.TB, opts Options) *Env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	z := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))

	var (
		ts *temporaltest.TestServer
		c  client.Client
		ns string
	)
	if addr := os.Getenv(EnvTemporalAddress); addr != "" {
		// An external server (worker/prodprofile: PostgreSQL-backed): the namespace
		// must exist; the search attributes are added if missing.
		ns = os.Getenv(EnvNamespace)
		if ns == "" {
			ns = "default"
		}
		var err error
		c, err = client.DialContext(ctx, client.Options{HostPort: addr, Namespace: ns, Logger: logging.NewTemporal(z)})
		if err != nil {
			t.Fatalf("connecting to the external Temporal server %s (%s): %v", addr, EnvTemporalAddress, err)
		}
		t.Cleanup(c.Close)
	} else {
		if tt, ok := t.(*testing.T); ok {
			// Quiet client: the SDK's debug lines would drown the test output.
			ts = temporaltest.NewServer(temporaltest.WithT(tt),
				temporaltest.WithBaseClientOptions(client.Options{Logger: logging.NewTemporal(z)}))
		} else {
			ts = temporaltest.NewServer(temporaltest.WithBaseClientOptions(client.Options{Logger: logging.NewTemporal(z)}))
			t.Cleanup(ts.Stop)
		}
		c = ts.GetDefaultClient()
		ns = ts.GetDefaultNamespace()
	}
	if err := devserver.RegisterSearchAttributes(ctx, c, ns, app.SearchAttributes); err != nil {
		t.Fatalf("search attributes: %v", err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	callbackURL := "http://" + ln.Addr().String()
	schedule := opts.NotifySchedule
	if schedule == nil {
		schedule = []time.Duration{0, time.Second, 2 * time.Second}
	}
	dir := t.TempDir()
	set, err := sandboxes.Start(sandboxes.Options{Dir: dir + "/keys", Addr: "127.0.0.1:0", CallbackBaseURL: callbackURL, NotifySchedule: schedule})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(set.Close)
	path, secret, err := app.WriteDevConfig(dir, set, callbackURL)
	if err != nil {
		t.Fatal(err)
	}
	edit := opts.EditConfig
	var (
		set2 *sandboxes.Set
		dm2  *app.DevMerchant
	)
	if opts.SecondMerchant {
		// The same key folder: the providers' keys are the first set's, as one
		// provider signs for all its merchants; only the accounts differ.
		set2, err = sandboxes.Start(sandboxes.Options{Dir: dir + "/keys", Addr: "127.0.0.1:0", CallbackBaseURL: callbackURL,
			NotifySchedule: schedule, AccountTag: "2"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(set2.Close)
		secret2 := "whsec_" + base64.StdEncoding.EncodeToString([]byte("second merchant's own 24B"))
		secretPath := filepath.Join(dir, "second-merchant-notify.secret")
		if err := os.WriteFile(secretPath, []byte(secret2), 0o600); err != nil {
			t.Fatal(err)
		}
		dm2 = &app.DevMerchant{Secret: secret2}
		merchantSrv := httptest.NewServer(dm2)
		t.Cleanup(merchantSrv.Close)
		user := edit
		edit = func(f *config.File) {
			addSecondMerchant(f, set2, secretPath, merchantSrv.URL+"/dev/merchant-webhook")
			if user != nil {
				user(f)
			}
		}
	}
	cfg, err := loadConfig(path, edit)
	if err != nil {
		t.Fatalf("dev config: %v", err)
	}

	srv := app.NewServer(cfg, c, z, nil)
	dm := &app.DevMerchant{Secret: secret}
	srv.EnableDevMerchant(dm)
	srv.SetReady(true)
	httpSrv := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = httpSrv.Serve(ln) }()
	t.Cleanup(func() { _ = httpSrv.Close() })

	tq := fmt.Sprintf("paycancel-test-%d", time.Now().UnixNano())
	w, err := app.StartWorkers(c, tq, &activities.Activities{Config: cfg, Temporal: c}, cfg.ProviderLimits, worker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	return &Env{Server: ts, Client: c, Namespace: ns, TaskQueue: tq, Sandboxes: set, Config: cfg,
		CallbackURL: callbackURL, HTTP: srv, Merchant: dm, Workers: w, Log: z, Sandboxes2: set2, Merchant2: dm2}
}

// addSecondMerchant adds SecondMerchantName to the dev configuration: the dev
// merchant's policies and schedule, set's accounts, its own secret and URL.
func addSecondMerchant(f *config.File, set *sandboxes.Set, secretPath, url string) {
	dev := f.Merchants[app.DevMerchantName]
	m := &config.Merchant{Notify: config.Notify{Secret: providers.SecretRef{File: secretPath}, DefaultURL: url,
		RetrySchedule: dev.Notify.RetrySchedule}, Credentials: map[string]*config.Credential{}}
	for _, p := range sandboxes.Names {
		c := &config.Credential{Provider: p, Policy: dev.Credentials[app.DevCredentialPrefix+p].Policy}
		switch p {
		case "payermax":
			c.PayerMax = &set.PayerMaxConfig
		case "alipayplus":
			c.AlipayPlus = &set.AlipayPlusConfig
		case "gnete":
			c.GNETE = &set.GNETEConfig
		case "ksher":
			c.Ksher = &set.KsherConfig
		case "alipayglobal":
			c.AlipayGlobal = &set.AlipayGlobalConfig
		}
		m.Credentials[SecondCredentialPrefix+p] = c
	}
	f.Merchants[SecondMerchantName] = m
}

// SandboxesOf returns the sandboxes of merchant's accounts (Options.SecondMerchant).
func (e *Env) SandboxesOf(merchant string) *sandboxes.Set {
	if merchant == SecondMerchantName && e.Sandboxes2 != nil {
		return e.Sandboxes2
	}
	return e.Sandboxes
}

func loadConfig(path string, edit func(*config.File)) (*config.Config, error) {
	if edit == nil {
		return config.Load(path, providers.Deps{})
	}
	f, baseDir, err := config.ReadFile(path)
	if err != nil {
		return nil, err
	}
	edit(f)
	return config.Build(path, *f, providers.Deps{BaseDir: baseDir})
}

// StartLegacy starts, under the legacy id (no merchant in it), a cancel of the
// demo merchant's PayerMax order orderNo as it runs after continuing as new: no
// merchant in the request, policyMerchant in the carried policy ("" as when the
// policy never loaded, so its history does not say whose it is). It returns the
// workflow id.
func (e *Env) StartLegacy(t testing.TB, orderNo, policyMerchant string) string {
	t.Helper()
	id := contract.LegacyWorkflowID("payermax", orderNo)
	now := time.Now()
	backoff := contract.Backoff{Initial: time.Second, Max: 5 * time.Second, Multiplier: 2}
	req := contract.CancelRequest{Provider: "payermax", Credential: "demo-payermax", MerchantOrderNo: orderNo,
		Amount: 1000, Currency: "USD", PayStartedAt: now, PayTimeout: time.Hour}
	req.Carry = &contract.Carry{
		Status: contract.Status{WorkflowID: id, Provider: "payermax", Credential: "demo-payermax", MerchantOrderNo: orderNo,
			CancelKey: contract.CancelKey(id), PayDeadline: now.Add(time.Hour), WindowDeadline: now.Add(24 * time.Hour), Runs: 1},
		Policy: contract.CancelPolicy{Merchant: policyMerchant, MaxCancelAttempts: 3, WindowDeadline: now.Add(24 * time.Hour),
			QueryBackoff: backoff, CancelRetry: backoff,
			ActivityTaskQueue: contract.ProviderTaskQueue(e.TaskQueue, "payermax")},
	}
	e.StartCarried(t, id, req)
	return id
}

// StartCarried starts CancelPaymentWorkflow under id with a request that holds a
// Carry, as a run looks after continue-as-new (tests use it to stand in for a
// cancel started by earlier code, e.g. under a legacy id). The workflow refuses
// a carry from a client's fresh start, so it is started as an abandoned child of
// a one-shot parent on a task queue of its own.
func (e *Env) StartCarried(t testing.TB, id string, req any) {
	t.Helper()
	queue := e.TaskQueue + "-carried-starter"
	w := worker.New(e.Client, queue, worker.Options{})
	w.RegisterWorkflowWithOptions(startCarriedParent, workflow.RegisterOptions{Name: "paycancel-test-start-carried"})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run, err := e.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "start-carried/" + id, TaskQueue: queue},
		"paycancel-test-start-carried", id, e.TaskQueue, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Get(ctx, nil); err != nil {
		t.Fatalf("starting %s with a carry: %v", id, err)
	}
}

func startCarriedParent(ctx workflow.Context, id, taskQueue string, req any) error {
	ctx = workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: id, TaskQueue: taskQueue,
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON})
	f := workflow.ExecuteChildWorkflow(ctx, contract.WorkflowName, req)
	// Wait only until the child started: it runs on after this parent closes.
	return f.GetChildWorkflowExecution().Get(ctx, nil)
}
