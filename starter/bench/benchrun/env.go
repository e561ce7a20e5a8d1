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
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/dynamicconfig"

	"github.com/paycancel/paycancel/providers/sandboxes"
	"github.com/paycancel/paycancel/starter/paycancel"
	"github.com/paycancel/paycancel/worker/app"
	"github.com/paycancel/paycancel/worker/devserver"
	"github.com/paycancel/paycancel/worker/logging"
)

// env is everything one bench run needs: the embedded server, the sandboxes, a
// merchant receiver, the starter's client and the worker.
type env struct {
	dir       string
	removeDir bool
	dev       *devserver.Server
	set       *sandboxes.Set
	merchant  *httptest.Server
	notified  atomic.Int64
	c         client.Client
	starter   *paycancel.Client
	taskQueue string
	tag       string // distinguishes this run's workflow ids
	worker    workerHandle
}

func startEnv(ctx context.Context, o Options, stderr io.Writer) (_ *env, err error) {
	e := &env{tag: randomTag()}
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
	dc := dynamicconfig.StaticClient{}
	for k, v := range o.DynamicConfig {
		dc[dynamicconfig.MakeKey(k)] = v
	}
	e.dev, err = devserver.Start(ctx, devserver.Options{
		DataDir: filepath.Join(e.dir, "temporal"), Ephemeral: o.Memory, FrontendPort: -1, UIPort: 0,
		SearchAttributes: app.SearchAttributes, DynamicConfig: dc,
	})
	if err != nil {
		return nil, fmt.Errorf("embedded server: %w", err)
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
	cfgPath, _, err := app.WriteDevConfig(e.dir, e.set, e.merchant.URL)
	if err != nil {
		return nil, err
	}
	z, err := logging.New("warn")
	if err != nil {
		return nil, err
	}
	e.c, err = e.dev.Dial(ctx, client.Options{Logger: logging.NewTemporal(z)})
	if err != nil {
		return nil, err
	}
	e.taskQueue = "bench-" + e.tag
	e.starter = paycancel.New(e.c, paycancel.Options{TaskQueue: e.taskQueue})
	spec := workerSpec{Address: e.dev.HostPort(), Namespace: e.dev.Namespace(), TaskQueue: e.taskQueue,
		ConfigPath: cfgPath, Tuning: o.Tuning}
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
	if e.dev != nil {
		done := make(chan struct{})
		go func() { _ = e.dev.Stop(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
		}
	}
	if e.removeDir && e.dir != "" {
		_ = os.RemoveAll(e.dir)
	}
}

func randomTag() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
