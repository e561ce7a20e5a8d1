// Command helper does the Go-side steps of the production profile
// (worker/prodprofile/run.sh), so the script stays plain shell around real tools:
//
//	helper ports -n 12
//	    prints free TCP ports on 127.0.0.1, one a line, distinct
//	helper namespace --address H:P --namespace default --retention 72h
//	    registers the namespace (if missing) and paycancel's search attributes
//	    (app.SearchAttributes, if missing), then waits until both are usable
//	helper config --sandbox-url URL --key-dir DIR --out FILE --callback-base-url URL --merchant-url URL
//	    writes a worker configuration for the sandboxes started by
//	    `go run ./providers/sim/sandbox --dir DIR`: the same file `worker --dev` writes
//	    (app.WriteDevConfig, keys read from the sandbox runner's key folder), with the
//	    merchant notifications sent to --merchant-url
//	helper merchant --addr H:P --secret-file FILE
//	    serves a stand-in merchant at /dev/merchant-webhook that verifies each
//	    notification's signature (app.DevMerchant) and lists them on GET
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"google.golang.org/protobuf/types/known/durationpb"
	"gopkg.in/yaml.v3"

	"github.com/paycancel/paycancel/providers"
	sandboxes "github.com/paycancel/paycancel/providers/sim"
	"github.com/paycancel/paycancel/worker/app"
	"github.com/paycancel/paycancel/worker/config"
	"github.com/paycancel/paycancel/worker/devserver"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: helper ports|namespace|config|merchant [flags]")
		os.Exit(2)
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "ports":
		err = ports(args)
	case "namespace":
		err = namespace(args)
	case "config":
		err = writeConfig(args)
	case "merchant":
		err = merchant(args)
	default:
		err = fmt.Errorf("unknown command %q", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper "+os.Args[1]+":", err)
		os.Exit(1)
	}
}

func parse(fs *pflag.FlagSet, args []string, required ...string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, name := range required {
		if fs.Lookup(name).Value.String() == "" {
			return fmt.Errorf("--%s is required", name)
		}
	}
	return nil
}

// ports holds n listeners at once so the ports are distinct, then frees them. They
// are drawn below 32768: Temporal's SQL schema keeps a service's membership port in
// a SMALLINT column (cluster_membership.rpc_port), and Linux's ephemeral ports
// (what port 0 gives) start at 32768.
func ports(args []string) error {
	fs := pflag.NewFlagSet("ports", pflag.ContinueOnError)
	n := fs.IntP("n", "n", 1, "how many ports")
	lo := fs.Int("min", 10000, "lowest port")
	hi := fs.Int("max", 32767, "highest port")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *lo < 1 || *hi > 65535 || *hi-*lo < *n {
		return fmt.Errorf("cannot draw %d ports from %d-%d", *n, *lo, *hi)
	}
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			_ = l.Close()
		}
	}()
	for tries := 0; len(lns) < *n; tries++ {
		if tries > 100**n {
			return fmt.Errorf("found only %d free ports in %d-%d", len(lns), *lo, *hi)
		}
		port := *lo + rand.IntN(*hi-*lo+1)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue // taken
		}
		lns = append(lns, l)
		fmt.Println(port)
	}
	return nil
}

func namespace(args []string) error {
	fs := pflag.NewFlagSet("namespace", pflag.ContinueOnError)
	addr := fs.String("address", "", "Temporal frontend host:port")
	ns := fs.String("namespace", "default", "namespace to register")
	retention := fs.Duration("retention", 72*time.Hour, "workflow execution retention of a new namespace")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long")
	if err := parse(fs, args, "address", "namespace"); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	start := time.Now()

	// The frontend answers before the history shards are owned; retry the first calls.
	var nc client.NamespaceClient
	err := retry(ctx, "connect", func() error {
		var err error
		nc, err = client.NewNamespaceClient(client.Options{HostPort: *addr, Logger: quietLogger})
		return err
	})
	if err != nil {
		return err
	}
	defer nc.Close()
	err = retry(ctx, "register namespace "+*ns, func() error {
		err := nc.Register(ctx, &workflowservice.RegisterNamespaceRequest{
			Namespace:                        *ns,
			Description:                      "paycancel (worker/prodprofile)",
			WorkflowExecutionRetentionPeriod: durationpb.New(*retention),
		})
		var exists *serviceerror.NamespaceAlreadyExists
		if errors.As(err, &exists) {
			fmt.Printf("namespace %s already exists\n", *ns)
			return nil
		}
		if err == nil {
			fmt.Printf("namespace %s registered (retention %s)\n", *ns, *retention)
		}
		return err
	})
	if err != nil {
		return err
	}

	c, err := client.DialContext(ctx, client.Options{HostPort: *addr, Namespace: *ns, Logger: quietLogger})
	if err != nil {
		return err
	}
	defer c.Close()
	// A new namespace reaches the frontend's cache within its refresh interval.
	if err := retry(ctx, "search attributes", func() error {
		return devserver.RegisterSearchAttributes(ctx, c, *ns, app.SearchAttributes)
	}); err != nil {
		return err
	}
	// Usable means a visibility query naming every attribute is accepted.
	var clauses []string
	for name := range app.SearchAttributes {
		if app.SearchAttributes[name] == enumspb.INDEXED_VALUE_TYPE_BOOL {
			clauses = append(clauses, name+" = true")
		} else {
			clauses = append(clauses, name+" = 'x'")
		}
	}
	q := strings.Join(clauses, " AND ")
	if err := retry(ctx, "visibility query on the search attributes", func() error {
		_, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: *ns, Query: q})
		return err
	}); err != nil {
		return err
	}
	fmt.Printf("search attributes registered and queryable in %s: %s (%.1fs)\n", *ns, strings.Join(sortedNames(), ", "), time.Since(start).Seconds())
	return nil
}

func sortedNames() []string {
	names := make([]string, 0, len(app.SearchAttributes))
	for n := range app.SearchAttributes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// quietLogger drops the SDK's log lines; the helper prints what it did.
var quietLogger = sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))

func retry(ctx context.Context, what string, f func() error) error {
	var last error
	for {
		if last = f(); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", what, last)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// writeConfig builds the sandboxes' adapter configurations from the key folder the
// sandbox runner wrote (each provider's DevCredentials only reads existing keys),
// and writes the configuration `worker --dev` would, pointed at this deployment.
func writeConfig(args []string) error {
	fs := pflag.NewFlagSet("config", pflag.ContinueOnError)
	sandboxURL := fs.String("sandbox-url", "", "root of the running sandboxes, e.g. http://127.0.0.1:8299")
	keyDir := fs.String("key-dir", "", "the sandbox runner's --dir")
	out := fs.String("out", "", "configuration file to write")
	callbackBase := fs.String("callback-base-url", "", "the worker's HTTP root, as the sandboxes reach it")
	merchantURL := fs.String("merchant-url", "", "where merchant notifications go (helper merchant)")
	if err := parse(fs, args, "sandbox-url", "key-dir", "out", "callback-base-url", "merchant-url"); err != nil {
		return err
	}
	set, err := sandboxes.Configs(*keyDir, *sandboxURL)
	if err != nil {
		return err
	}
	dir := filepath.Dir(*out)
	path, _, err := app.WriteDevConfig(dir, set, *callbackBase)
	if err != nil {
		return err
	}
	// The worker without --dev serves no stand-in merchant: notifications go to
	// the helper's.
	f, _, err := config.ReadFile(path)
	if err != nil {
		return err
	}
	f.Merchants[app.DevMerchantName].Notify.DefaultURL = *merchantURL
	data, err := yaml.Marshal(f)
	if err != nil {
		return err
	}
	header := "# Written by worker/prodprofile (helper config): the demo merchant against the sandboxes\n# of `go run ./providers/sim/sandbox`. Keys and secrets are files; none is in this file.\n"
	if err := os.WriteFile(*out, append([]byte(header), data...), 0o600); err != nil {
		return err
	}
	if path != *out {
		_ = os.Remove(path)
	}
	// Validate it the way the worker will load it.
	if _, err := config.Load(*out, providers.Deps{}); err != nil {
		return err
	}
	fmt.Printf("worker configuration written to %s (merchant secret %s)\n", *out, filepath.Join(dir, "merchant-notify.secret"))
	return nil
}

func merchant(args []string) error {
	fs := pflag.NewFlagSet("merchant", pflag.ContinueOnError)
	addr := fs.String("addr", "", "listen address")
	secretFile := fs.String("secret-file", "", "merchant notification secret (helper config writes merchant-notify.secret)")
	if err := parse(fs, args, "addr", "secret-file"); err != nil {
		return err
	}
	secret, err := os.ReadFile(*secretFile)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/dev/merchant-webhook", &app.DevMerchant{Secret: strings.TrimSpace(string(secret))})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("stand-in merchant on http://%s/dev/merchant-webhook\n", ln.Addr())
	go func() { _ = srv.Serve(ln) }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return srv.Shutdown(ctx)
}
