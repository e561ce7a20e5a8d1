package devserver

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/persistence"
	"go.temporal.io/server/common/persistence/sql"
	"go.temporal.io/server/common/persistence/sql/sqlplugin"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/resolver"
	"go.temporal.io/server/schema/sqlite"
)

// TestForgetMembers: the membership rows a crashed run leaves (still "alive" by
// their heartbeat) are gone before the server starts again.
func TestForgetMembers(t *testing.T) {
	cfg := &config.SQL{PluginName: sqliteplugin.PluginName, DatabaseName: filepath.Join(t.TempDir(), "temporal.db"),
		ConnectAttributes: map[string]string{"mode": "rwc", "_journal_mode": "wal"}}
	if err := sqlite.SetupSchema(cfg); err != nil {
		t.Fatal(err)
	}
	db, err := sql.NewSQLDB(sqlplugin.DbKindMain, cfg, resolver.NewNoopResolver(), log.NewNoopLogger(), metrics.NoopMetricsHandler)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	now := time.Now().UTC()
	for i, role := range []persistence.ServiceType{persistence.Frontend, persistence.History, persistence.Matching, persistence.Worker} {
		if _, err := db.UpsertClusterMembership(ctx, &sqlplugin.ClusterMembershipRow{Role: role, HostID: []byte{byte(i + 1), 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
			RPCAddress: "127.0.0.1", RPCPort: uint16(40000 + i), SessionStart: now, LastHeartbeat: now, RecordExpiry: now.Add(48 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	alive := func() int {
		rows, err := db.GetClusterMembers(ctx, &sqlplugin.ClusterMembershipFilter{LastHeartbeatAfter: now.Add(-20 * time.Second), RecordExpiryAfter: now, MaxRecordCount: 100})
		if err != nil {
			t.Fatal(err)
		}
		return len(rows)
	}
	if n := alive(); n != 4 {
		t.Fatalf("%d rows before", n)
	}
	if err := forgetMembers(cfg); err != nil {
		t.Fatal(err)
	}
	if n := alive(); n != 0 {
		t.Errorf("%d membership rows survive", n)
	}
}

func TestStartPortInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	for _, tc := range []struct {
		name string
		opts Options
		what string
	}{
		{"frontend", Options{DataDir: t.TempDir(), FrontendPort: port, UIPort: 0}, "Temporal frontend"},
		{"ui", Options{DataDir: t.TempDir(), FrontendPort: -1, UIPort: port}, "Web UI"},
	} {
		_, err := Start(context.Background(), tc.opts)
		var pe *PortInUseError
		if !errors.As(err, &pe) || pe.What != tc.what || pe.Addr != "127.0.0.1:"+strconv.Itoa(port) {
			t.Fatalf("%s: %v", tc.name, err)
		}
		want := tc.what + " address 127.0.0.1:" + strconv.Itoa(port) + " is not available (bind: address already in use); stop what uses it or choose another port"
		if err.Error() != want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, err, want)
		}
	}
}

// TestFreeAddr: the address is on the asked IP, with a real port a listener can
// take at once.
func TestFreeAddr(t *testing.T) {
	addr, err := FreeAddr("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("FreeAddr = %q (%v), want 127.0.0.1:<port>", addr, err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listening on %s: %v", addr, err)
	}
	l.Close()
}

// TestSearchAttributesUsableAtOnce: a start that names a search attribute is
// accepted right after the server starts, both on a new data dir (the namespace
// is created with its attributes, so search-attribute reads are not forced to
// persistence at all) and on a data dir whose namespace lacks one (registered at
// start: reads are forced until every namespace cache has reloaded, then not).
func TestSearchAttributesUsableAtOnce(t *testing.T) {
	const reload = 5 * time.Second // the services' namespace reload (Temporal's default 10 s)
	dir := t.TempDir()
	ctx := context.Background()
	start := func(attrs map[string]enumspb.IndexedValueType) (*Server, client.Client) {
		t.Helper()
		s, err := Start(ctx, Options{DataDir: dir, FrontendPort: -1, SearchAttributes: attrs,
			DynamicConfig: dynamicconfig.StaticClient{dynamicconfig.NamespaceCacheRefreshInterval.Key(): reload}})
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.Dial(ctx, client.Options{})
		if err != nil {
			_ = s.Stop()
			t.Fatal(err)
		}
		return s, c
	}
	startNaming := func(c client.Client, id, attr string) error {
		_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: "nobody-polls",
			TypedSearchAttributes: temporal.NewSearchAttributes(temporal.NewSearchAttributeKeyKeyword(attr).ValueSet("x"))}, "Nothing")
		return err
	}
	forced := func(s *Server) bool { return s.settings.forceSearchAttributeReads.Load() }

	s, c := start(map[string]enumspb.IndexedValueType{"PaycancelTestA": enumspb.INDEXED_VALUE_TYPE_KEYWORD})
	if forced(s) {
		t.Error("new data dir: search-attribute reads still forced to persistence after the start")
	}
	if err := startNaming(c, "new-dir", "PaycancelTestA"); err != nil {
		t.Errorf("new data dir: start naming a search attribute: %v", err)
	}
	c.Close()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}

	s, c = start(map[string]enumspb.IndexedValueType{"PaycancelTestA": enumspb.INDEXED_VALUE_TYPE_KEYWORD, "PaycancelTestB": enumspb.INDEXED_VALUE_TYPE_KEYWORD})
	defer func() { c.Close(); _ = s.Stop() }()
	if !forced(s) {
		t.Error("an attribute added at start: search-attribute reads not forced while the namespace caches are stale")
	}
	if err := startNaming(c, "added-at-start", "PaycancelTestB"); err != nil {
		t.Errorf("an attribute added at start: start naming it right after: %v", err)
	}
	if s.settings.namespaceReload != reload {
		t.Errorf("the wait counts on a namespace reload every %v, the services reload every %v", s.settings.namespaceReload, reload)
	}
	deadline := time.Now().Add(2*reload + 3*time.Second)
	for forced(s) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if forced(s) {
		t.Fatal("search-attribute reads still forced after the namespace caches reloaded twice")
	}
	if err := startNaming(c, "after-reload", "PaycancelTestB"); err != nil {
		t.Errorf("an attribute added at start: start naming it once the caches reloaded: %v", err)
	}
}
