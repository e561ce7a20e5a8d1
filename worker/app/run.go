package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"
	"gopkg.in/yaml.v3"

	"github.com/paycancel/paycancel/activities"
	"github.com/paycancel/paycancel/providers"
	sandboxes "github.com/paycancel/paycancel/providers/sim"
	"github.com/paycancel/paycancel/worker/config"
	"github.com/paycancel/paycancel/worker/connect"
	"github.com/paycancel/paycancel/worker/devserver"
	"github.com/paycancel/paycancel/worker/logging"
	"github.com/paycancel/paycancel/worker/observability"
	"github.com/paycancel/paycancel/workflows/contract"
)

// Ready describes a running worker to Options.OnReady.
type Ready struct {
	TaskQueue   string
	Namespace   string
	CallbackURL string
	SandboxURL  string // --dev only
	UIURL       string // --dev with the UI only
}

// ConfigError is a bad configuration file; main exits with status 2 on it.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// Run runs the worker until ctx is done, then shuts down gracefully: the HTTP
// server stops taking callbacks, the worker finishes its running tasks, and the
// embedded server (with --dev) stops last.
func Run(ctx context.Context, o Options, z *zap.Logger, stdout io.Writer) error {
	tlog := logging.NewTemporal(z)

	// Take the HTTP port first: a port in use is a one-line error before anything starts.
	httpLn, err := net.Listen("tcp", o.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HTTP address %s is not available (%v); stop what uses it or choose another with --http-addr", o.HTTPAddr, unwrapOp(err))
	}
	defer httpLn.Close()
	callbackBase := "http://" + httpLn.Addr().String()

	var (
		dev *devserver.Server
		set *sandboxes.Set
		dm  *DevMerchant
	)
	if o.Dev {
		dev, err = devserver.Start(ctx, devserver.Options{
			DataDir: o.DataDir, FrontendPort: o.DevFrontendPort, UIPort: o.DevUIPort, SearchAttributes: SearchAttributes,
		})
		if err != nil {
			return err
		}
		defer func() {
			if err := dev.Stop(); err != nil {
				z.Warn("stopping the embedded Temporal server", zap.Error(err))
			}
		}()
		o.Connection.Address, o.Connection.Namespace = dev.HostPort(), dev.Namespace()
		set, err = sandboxes.Start(sandboxes.Options{Dir: filepath.Join(o.DataDir, "sandbox-keys"), Addr: o.SandboxAddr, CallbackBaseURL: callbackBase})
		if err != nil {
			return err
		}
		defer set.Close()
		if o.ConfigPath == "" {
			path, secret, err := WriteDevConfig(o.DataDir, set, callbackBase)
			if err != nil {
				return fmt.Errorf("writing the dev configuration: %w", err)
			}
			o.ConfigPath = path
			dm = &DevMerchant{Secret: secret}
		}
	}

	cfg, err := config.Load(o.ConfigPath, providers.Deps{})
	if err != nil {
		return &ConfigError{err}
	}
	if cfg.CallbackBaseURL == "" && o.Dev {
		cfg.CallbackBaseURL = callbackBase
	}
	z.Info("configuration loaded", zap.String("path", o.ConfigPath), zap.Int("merchants", len(cfg.Merchants)),
		zap.Strings("credentials", sortedCredentialNames(cfg)))

	metrics, err := observability.NewMetrics()
	if err != nil {
		return err
	}
	copts, err := connect.ClientOptions(o.Connection, tlog)
	if err != nil {
		return err
	}
	copts.MetricsHandler = metrics.SDK
	if o.Tracing {
		tr, err := observability.NewTracing(ctx, "paycancel-worker")
		if err != nil {
			return err
		}
		defer func() { _ = tr.Shutdown(context.Background()) }()
		copts.Interceptors = append(copts.Interceptors, tr.Interceptor)
	}
	c, err := client.DialContext(ctx, copts)
	if err != nil {
		return fmt.Errorf("connecting to Temporal at %s (namespace %s): %w", copts.HostPort, copts.Namespace, err)
	}
	defer c.Close()
	gaugeCtx, stopGauges := context.WithCancel(ctx)
	defer stopGauges()
	go metrics.RunGauges(gaugeCtx, c, contract.ProviderNames, contract.AllStates(), 30*time.Second, func(err error) {
		z.Warn("visibility gauges unavailable", zap.Error(err))
	})

	srv := NewServer(cfg, c, z, func(ctx context.Context) error {
		_, err := c.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	})
	if dm != nil {
		srv.EnableDevMerchant(dm)
	}
	srv.Metrics = metrics.Handler()
	httpSrv := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	httpErr := make(chan error, 1)
	go func() { httpErr <- httpSrv.Serve(httpLn) }()

	w, err := StartWorkers(c, o.TaskQueue, &activities.Activities{Config: cfg, Temporal: c, Metrics: metrics}, cfg.ProviderLimits, worker.Options{})
	if err != nil {
		return err
	}
	srv.SetReady(true)
	if dev != nil && o.DevReconcileEvery > 0 {
		// --dev keeps a reconciliation schedule like production would.
		if err := contract.EnsureReconcileSchedule(ctx, c, contract.ReconcileSchedule{Every: o.DevReconcileEvery, TaskQueue: o.TaskQueue}); err != nil {
			z.Warn("could not create the reconciliation schedule", zap.Error(err))
		}
	}

	fmt.Fprintf(stdout, "paycancel worker polling task queue %q on %s (namespace %s)\n", o.TaskQueue, copts.HostPort, copts.Namespace)
	fmt.Fprintf(stdout, "  callbacks, health and metrics: %s (/callbacks/<provider>, /readyz, /metrics)\n", callbackBase)
	if o.LogFile != "" {
		fmt.Fprintf(stdout, "  logs: %s\n", o.LogFile)
	}
	if dev != nil {
		fmt.Fprintf(stdout, "  embedded Temporal server: %s, data in %s\n", dev.HostPort(), o.DataDir)
		if dev.UIURL() != "" {
			fmt.Fprintf(stdout, "  Temporal Web UI: %s/namespaces/%s/workflows\n", dev.UIURL(), dev.Namespace())
		}
		fmt.Fprintf(stdout, "  provider sandboxes: %s\n", set.URL)
		fmt.Fprintf(stdout, "  dev configuration: %s\n", o.ConfigPath)
		fmt.Fprintf(stdout, "Try it: go run ./starter demo\n")
	}

	if o.OnReady != nil {
		r := Ready{TaskQueue: o.TaskQueue, Namespace: copts.Namespace, CallbackURL: callbackBase}
		if set != nil {
			r.SandboxURL = set.URL
		}
		if dev != nil {
			r.UIURL = dev.UIURL()
		}
		go o.OnReady(ctx, c, r)
	}

	select {
	case <-ctx.Done():
	case err := <-httpErr:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			z.Error("HTTP server stopped", zap.Error(err))
		}
	}
	z.Info("shutting down")
	srv.SetReady(false)
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = httpSrv.Shutdown(shutCtx)
	w.Stop()
	return nil
}

func unwrapOp(err error) error {
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return opErr.Err
	}
	return err
}

// DevCredentialPrefix names the dev merchant's credentials: demo-<provider>.
const (
	DevMerchantName     = "demo"
	DevCredentialPrefix = "demo-"
)

// WriteDevConfig writes the configuration `worker --dev` runs with: one merchant
// ("demo") with a credential set per provider pointing at the sandboxes, and a
// merchant notification secret. It is written as a real configuration file (and
// loaded through the same path as any other) so it doubles as an example. It
// returns the path and the merchant's notification secret.
func WriteDevConfig(dataDir string, set *sandboxes.Set, callbackBase string) (string, string, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", "", err
	}
	secretPath, _ := filepath.Abs(filepath.Join(dataDir, "merchant-notify.secret"))
	secret, err := os.ReadFile(secretPath)
	if err != nil {
		raw := make([]byte, 24)
		if _, err := rand.Read(raw); err != nil {
			return "", "", err
		}
		secret = []byte("whsec_" + base64.StdEncoding.EncodeToString(raw))
		if err := os.WriteFile(secretPath, secret, 0o600); err != nil {
			return "", "", err
		}
	}
	// Fast schedules so the demo finishes in seconds; production keeps the defaults.
	fast := func() config.PolicyFile {
		one := config.Duration(time.Second)
		return config.PolicyFile{
			QueryBackoff: &config.BackoffFile{Initial: one, Max: config.Duration(5 * time.Second), Multiplier: 2},
			CancelRetry:  &config.BackoffFile{Initial: one, Max: config.Duration(5 * time.Second), Multiplier: 2},
		}
	}
	cfgs := map[string]*config.Credential{
		DevCredentialPrefix + "payermax":     {Provider: "payermax", Policy: fast(), PayerMax: &set.PayerMaxConfig},
		DevCredentialPrefix + "alipayplus":   {Provider: "alipayplus", Policy: fast(), AlipayPlus: &set.AlipayPlusConfig},
		DevCredentialPrefix + "gnete":        {Provider: "gnete", Policy: fast(), GNETE: &set.GNETEConfig},
		DevCredentialPrefix + "ksher":        {Provider: "ksher", Policy: fast(), Ksher: &set.KsherConfig},
		DevCredentialPrefix + "alipayglobal": {Provider: "alipayglobal", Policy: fast(), AlipayGlobal: &set.AlipayGlobalConfig},
	}
	f := config.File{
		CallbackBaseURL: callbackBase,
		Merchants: map[string]*config.Merchant{DevMerchantName: {
			Notify: config.Notify{
				Secret:     providers.SecretRef{File: secretPath},
				DefaultURL: callbackBase + "/dev/merchant-webhook",
				RetrySchedule: []config.Duration{0, config.Duration(2 * time.Second), config.Duration(4 * time.Second),
					config.Duration(8 * time.Second)},
			},
			Credentials: cfgs,
		}},
	}
	data, err := yaml.Marshal(f)
	if err != nil {
		return "", "", err
	}
	header := "# Written by `worker --dev` at every start: the demo merchant against the local sandboxes.\n# Keys and secrets are files in this folder; none of them is in this file.\n"
	path := filepath.Join(dataDir, "dev-config.yaml")
	if err := os.WriteFile(path, append([]byte(header), data...), 0o600); err != nil {
		return "", "", err
	}
	return path, string(secret), nil
}

func sortedCredentialNames(cfg *config.Config) []string {
	names := make([]string, 0, len(cfg.Credentials))
	for n := range cfg.Credentials {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
