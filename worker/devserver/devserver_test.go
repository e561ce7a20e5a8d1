package devserver

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"go.temporal.io/server/common/config"
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
