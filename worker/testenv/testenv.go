// Package testenv starts everything an end-to-end test needs in-process: a real
// Temporal server (go.temporal.io/server/temporaltest), paycancel's search
// attributes, the five provider sandboxes over real HTTP with generated keys, the
// worker's HTTP callback server, and a worker with the real registration
// (app.Register) and the same dev configuration `worker --dev` writes.
package testenv

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/server/temporaltest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/paycancel/paycancel/activities"
	"github.com/paycancel/paycancel/providers"
	"github.com/paycancel/paycancel/providers/sandboxes"
	"github.com/paycancel/paycancel/worker/app"
	"github.com/paycancel/paycancel/worker/config"
	"github.com/paycancel/paycancel/worker/devserver"
	"github.com/paycancel/paycancel/worker/logging"
)

// Options tune the environment. The zero value works.
type Options struct {
	// NotifySchedule for the sandboxes' notifications; default 0, 1s, 2s.
	NotifySchedule []time.Duration
	// EditConfig may change the configuration file before it is loaded.
	EditConfig func(*config.File)
}

// Env is a running environment.
type Env struct {
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
	Workers     *app.Workers
	Log         *zap.Logger
}

// Start brings the environment up; everything stops when the test ends.
func Start(t testing.TB, opts Options) *Env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	z := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))

	var ts *temporaltest.TestServer
	if tt, ok := t.(*testing.T); ok {
		// Quiet client: the SDK's debug lines would drown the test output.
		ts = temporaltest.NewServer(temporaltest.WithT(tt),
			temporaltest.WithBaseClientOptions(client.Options{Logger: logging.NewTemporal(z)}))
	} else {
		ts = temporaltest.NewServer(temporaltest.WithBaseClientOptions(client.Options{Logger: logging.NewTemporal(z)}))
		t.Cleanup(ts.Stop)
	}
	c := ts.GetDefaultClient()
	ns := ts.GetDefaultNamespace()
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
	cfg, err := loadConfig(path, opts.EditConfig)
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
		CallbackURL: callbackURL, HTTP: srv, Merchant: dm, Workers: w, Log: z}
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
