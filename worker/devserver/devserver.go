// Package devserver runs a real Temporal server inside the worker process for
// `worker --dev` and the end-to-end tests: the Temporal server from
// go.temporal.io/server on a SQLite file (so every workflow survives a restart),
// the `default` namespace, paycancel's search attributes, and the Temporal Web UI
// from github.com/temporalio/ui-server.
package devserver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uioptions "github.com/temporalio/ui-server/v2/server/server_options"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/resolver"
	"go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
)

// Options configure the embedded server. The zero value works: frontend on
// 127.0.0.1:7233, UI on :8233, data in ./.paycancel.
type Options struct {
	// DataDir holds the SQLite file (temporal.db). Default ./.paycancel.
	DataDir string
	// Ephemeral keeps everything in memory (tests). DataDir is then unused.
	Ephemeral bool
	// IP to bind. Default 127.0.0.1.
	IP string
	// FrontendPort for gRPC clients. Default 7233; -1 picks a free port.
	FrontendPort int
	// UIPort for the Web UI. Default 8233; 0 disables the UI; -1 picks a free port.
	UIPort int
	// Namespace to create. Default "default".
	Namespace string
	// SearchAttributes the namespace is created with; a data dir whose namespace
	// lacks some gets them registered at start (idempotent).
	SearchAttributes map[string]enumspb.IndexedValueType
	// Logger for the server; nil discards server logs (they are verbose).
	Logger log.Logger
	// DynamicConfig overrides server dynamic config (tuning).
	DynamicConfig dynamicconfig.StaticClient
	// MetricsAddr, when set (host:port), serves the server's own metrics in
	// Prometheus text format at http://MetricsAddr/metrics (the benchmark reads
	// persistence latency there). Default: no metrics.
	MetricsAddr string
}

// Server is a running embedded server.
type Server struct {
	opts     Options
	server   temporal.Server
	ui       *uiserver.Server
	hostPort string
	uiURL    string
	settings *settings
}

// PortInUseError says which port is taken; the worker prints it as one line.
type PortInUseError struct {
	What string
	Addr string
	Err  error
}

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("%s address %s is not available (%v); stop what uses it or choose another port", e.What, e.Addr, e.Err)
}

// Start brings the server (and UI) up and registers the namespace and search
// attributes. It returns when clients can connect.
func Start(ctx context.Context, opts Options) (*Server, error) {
	opts.IP = cmp.Or(opts.IP, "127.0.0.1")
	opts.Namespace = cmp.Or(opts.Namespace, "default")
	opts.DataDir = cmp.Or(opts.DataDir, ".paycancel")
	if opts.Logger == nil {
		opts.Logger = log.NewNoopLogger()
	}
	var err error
	if opts.FrontendPort, err = pickPort(opts.IP, opts.FrontendPort, 7233, "Temporal frontend"); err != nil {
		return nil, err
	}
	if opts.UIPort != 0 {
		if opts.UIPort, err = pickPort(opts.IP, opts.UIPort, 8233, "Web UI"); err != nil {
			return nil, err
		}
	}
	// The other services take free ports; only the frontend and UI are fixed.
	ports := make([]int, 0, 8)
	for i := 0; i < 8; i++ {
		p, err := FreePort(opts.IP)
		if err != nil {
			return nil, err
		}
		ports = append(ports, p)
	}

	sqlCfg := config.SQL{PluginName: sqliteplugin.PluginName, ConnectAttributes: map[string]string{}}
	if opts.Ephemeral {
		sqlCfg.ConnectAttributes["mode"] = "memory"
		sqlCfg.ConnectAttributes["cache"] = "shared"
		sqlCfg.DatabaseName = "paycancel-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	} else {
		if err := os.MkdirAll(opts.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("data dir %s: %w", opts.DataDir, err)
		}
		sqlCfg.DatabaseName = filepath.Join(opts.DataDir, "temporal.db")
		sqlCfg.ConnectAttributes["mode"] = "rwc"
		// Pragmas by their SQLite names: the server's SQLite driver (modernc) sends
		// every attribute that is not a URI parameter as `PRAGMA <key>=<value>`, and
		// SQLite ignores unknown pragmas silently — the go-sqlite3 style keys
		// "_journal_mode"/"_synchronous" used before left the file in rollback-journal
		// mode (several fsyncs per commit).
		// WAL: one append and one fsync per commit, and readers (visibility) do not
		// block the writer; with it the bench (go run ./starter/bench) runs 1.4×
		// (idle disk) to 3× (busy disk) the workflows per second. synchronous=FULL
		// keeps every committed transaction across a power cut too; NORMAL would be
		// ~20–40% faster but may lose the last commits on an OS crash.
		sqlCfg.ConnectAttributes["journal_mode"] = "wal"
		sqlCfg.ConnectAttributes["synchronous"] = "FULL"
		// A workflow writes ~700 WAL pages (visibility indexes, history, mutable
		// state); checkpointing every 20,000 pages instead of SQLite's 1,000 copies
		// a hot page to the database once per checkpoint instead of every ~1.5
		// workflows: ~15% less server CPU per workflow in the bench, same durability
		// (commits are in the fsynced WAL either way). The WAL file grows to ~80 MB.
		sqlCfg.ConnectAttributes["wal_autocheckpoint"] = "20000"
		if _, err := os.Stat(sqlCfg.DatabaseName); errors.Is(err, os.ErrNotExist) {
			if err := sqlite.SetupSchema(&sqlCfg); err != nil {
				return nil, fmt.Errorf("setting up SQLite schema in %s: %w", sqlCfg.DatabaseName, err)
			}
		} else if err := forgetMembers(&sqlCfg); err != nil {
			return nil, fmt.Errorf("reading %s: %w", sqlCfg.DatabaseName, err)
		}
	}
	// Ephemeral: no SetupSchema — the SQLite plugin creates the schema itself when
	// it opens an in-memory database, and a second setup fails ("table namespaces
	// already exists").
	// A new namespace carries its search attributes from the start, so every
	// service's namespace cache has them when it first loads (see settings).
	nsCfg, err := sqlite.NewNamespaceConfig("active", opts.Namespace, false, opts.SearchAttributes)
	if err != nil {
		return nil, err
	}
	if err := sqlite.CreateNamespaces(&sqlCfg, nsCfg); err != nil {
		return nil, fmt.Errorf("creating namespace %s: %w", opts.Namespace, err)
	}

	hostPort := net.JoinHostPort(opts.IP, strconv.Itoa(opts.FrontendPort))
	cfg := &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: opts.IP},
		},
		Persistence: config.Persistence{
			DefaultStore:     sqliteplugin.PluginName,
			VisibilityStore:  sqliteplugin.PluginName,
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: &sqlCfg}},
		},
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace:    false,
			FailoverVersionIncrement: 10,
			MasterClusterName:        "active",
			CurrentClusterName:       "active",
			ClusterInformation: map[string]cluster.ClusterInformation{
				"active": {Enabled: true, InitialFailoverVersion: 1, RPCAddress: hostPort},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services: map[string]config.Service{
			"frontend": service(opts.IP, opts.FrontendPort, ports[0]),
			"history":  service(opts.IP, ports[1], ports[2]),
			"matching": service(opts.IP, ports[3], ports[4]),
			"worker":   service(opts.IP, ports[5], ports[6]),
		},
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{Archival: config.ArchivalNamespaceDefaults{
			History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
			Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
		}},
		PublicClient: config.PublicClient{HostPort: hostPort},
	}
	cfg.Global.PProf.Port = 0
	if opts.MetricsAddr != "" {
		cfg.Global.Metrics = &metrics.Config{Prometheus: &metrics.PrometheusConfig{
			Framework: metrics.FrameworkTally, ListenAddress: opts.MetricsAddr, TimerType: "histogram"}}
	}

	dc := dynamicconfig.StaticClient{}
	for k, v := range opts.DynamicConfig {
		dc[k] = v
	}
	settings := newSettings(dc)
	authorizer, err := authorization.GetAuthorizerFromConfig(&cfg.Global.Authorization)
	if err != nil {
		return nil, err
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&cfg.Global.Authorization, opts.Logger)
	if err != nil {
		return nil, err
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithLogger(opts.Logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(settings),
	)
	if err != nil {
		return nil, fmt.Errorf("creating Temporal server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("starting Temporal server: %w", err)
	}
	s := &Server{opts: opts, server: srv, hostPort: hostPort, settings: settings}
	added, err := s.registerSearchAttributes(ctx)
	if err != nil {
		_ = srv.Stop()
		return nil, err
	}
	settings.searchAttributesRegistered(added)
	if opts.UIPort != 0 {
		s.startUI()
	}
	return s, nil
}

// forgetMembers deletes the cluster membership rows an earlier run left in the
// file. The embedded server is one process, so every row is from a run that has
// ended; but after a crash (SIGKILL, power cut) the rows still look alive for 20 s
// (the server's heartbeat cutoff), the new services try to join those dead hosts
// first, and the server answers "Not enough hosts to serve the request" for a
// minute or more. A clean stop leaves the same rows; forgetting them is harmless.
func forgetMembers(cfg *config.SQL) error {
	db, err := sql.NewSQLDB(sqlplugin.DbKindMain, cfg, resolver.NewNoopResolver(), log.NewNoopLogger(), metrics.NoopMetricsHandler)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Rows expire 48 h after their last heartbeat: "before a year from now" is all of them.
	_, err = db.PruneClusterMembership(ctx, &sqlplugin.PruneClusterMembershipFilter{PruneRecordsBefore: time.Now().Add(365 * 24 * time.Hour)})
	return err
}

func service(ip string, grpcPort, membershipPort int) config.Service {
	return config.Service{RPC: config.RPC{GRPCPort: grpcPort, MembershipPort: membershipPort, BindOnIP: ip}}
}

// pickPort resolves a port option: 0 → def, -1 → a free port; then checks it is free.
func pickPort(ip string, port, def int, what string) (int, error) {
	if port == 0 {
		port = def
	}
	if port < 0 {
		return FreePort(ip)
	}
	addr := net.JoinHostPort(ip, strconv.Itoa(port))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		var opErr *net.OpError
		if errors.As(err, &opErr) {
			err = opErr.Err
		}
		return 0, &PortInUseError{What: what, Addr: addr, Err: err}
	}
	_ = l.Close()
	return port, nil
}

// FreeAddr returns ip:port with a port that is free now, for a listener a
// caller starts later (the port can be taken in between; callers that keep the
// address for a whole run — a server's metrics, a worker's callback root — accept
// that). The benchmark and the reliability harness use it.
func FreeAddr(ip string) (string, error) {
	p, err := FreePort(ip)
	if err != nil {
		return "", err
	}
	return net.JoinHostPort(ip, strconv.Itoa(p)), nil
}

// FreePort returns a port on ip that is free now (see FreeAddr); the dev
// server's -1 port options and the worker's tests use it.
func FreePort(ip string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, fmt.Errorf("finding a free port on %s: %w", ip, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) registerSearchAttributes(ctx context.Context) (added bool, err error) {
	if len(s.opts.SearchAttributes) == 0 {
		return false, nil
	}
	c, err := s.Dial(ctx, client.Options{})
	if err != nil {
		return false, err
	}
	defer c.Close()
	return registerMissing(ctx, c, s.opts.Namespace, s.opts.SearchAttributes)
}

// RegisterSearchAttributes adds the attributes a namespace lacks (idempotent).
func RegisterSearchAttributes(ctx context.Context, c client.Client, namespace string, attrs map[string]enumspb.IndexedValueType) error {
	_, err := registerMissing(ctx, c, namespace, attrs)
	return err
}

// registerMissing adds the attributes a namespace lacks and reports whether it
// added any.
func registerMissing(ctx context.Context, c client.Client, namespace string, attrs map[string]enumspb.IndexedValueType) (added bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	existing, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return false, fmt.Errorf("listing search attributes: %w", err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range attrs {
		if _, ok := existing.GetCustomAttributes()[name]; !ok {
			missing[name] = typ
		}
	}
	if len(missing) == 0 {
		return false, nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: missing,
	})
	if err != nil {
		return false, fmt.Errorf("registering search attributes: %w", err)
	}
	return true, nil
}

// uiConfig serves the Web UI's configuration.
type uiConfig struct{ cfg *uiconfig.Config }

func (u uiConfig) GetConfig() (*uiconfig.Config, error) { return u.cfg, nil }

func (s *Server) startUI() {
	cfg := &uiconfig.Config{
		Host:                s.opts.IP,
		Port:                s.opts.UIPort,
		TemporalGRPCAddress: s.hostPort,
		EnableUI:            true,
		DefaultNamespace:    s.opts.Namespace,
		HideLogs:            true,
		CORS:                uiconfig.CORS{CookieInsecure: true},
	}
	s.ui = uiserver.NewServer(uioptions.WithConfigProvider(uiConfig{cfg}))
	s.uiURL = fmt.Sprintf("http://%s", net.JoinHostPort(s.opts.IP, strconv.Itoa(s.opts.UIPort)))
	go func() { _ = s.ui.Start() }()
}

// HostPort is the frontend's address for clients.
func (s *Server) HostPort() string { return s.hostPort }

// Namespace is the namespace the server created.
func (s *Server) Namespace() string { return s.opts.Namespace }

// UIURL is the Web UI's address, "" when disabled.
func (s *Server) UIURL() string { return s.uiURL }

// Dial connects a client to the embedded server.
func (s *Server) Dial(ctx context.Context, o client.Options) (client.Client, error) {
	o.HostPort = s.hostPort
	o.Namespace = cmp.Or(o.Namespace, s.opts.Namespace)
	return client.DialContext(ctx, o)
}

// Stop shuts the UI and the server down.
func (s *Server) Stop() error {
	if s.ui != nil {
		s.ui.Stop()
	}
	return s.server.Stop()
}
