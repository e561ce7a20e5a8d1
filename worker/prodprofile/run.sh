#!/usr/bin/env bash
# paycancel's production profile, run for real on one machine:
#
#   1. PostgreSQL (Debian's package, installed if missing): a private cluster in a
#      temporary folder on a free local port, a `temporal` user with a password
#   2. Temporal's schema (persistence and visibility) set up with the server's own
#      SQL tool (go.temporal.io/server/cmd/tools/sql), from the versioned schema
#      folders shipped in the go.temporal.io/server module of go.mod
#   3. a real Temporal server (go.temporal.io/server/cmd/server, same version) on
#      that PostgreSQL, from temporal.yaml.tmpl
#   4. the namespace and paycancel's search attributes (helper namespace)
#   5. the provider sandboxes (./providers/sim/sandbox), a stand-in merchant, and the
#      worker (./worker --config, no --dev) on the server
#   6. the end-to-end tests against the same server
#      (PAYCANCEL_TEST_TEMPORAL_ADDRESS: worker/testenv dials it), then `starter
#      demo` through the worker (30 cancels, five providers, every scenario)
#   7. everything stopped and removed on exit, whatever happens
#
# Usage: worker/prodprofile/run.sh [--hold]
#   --hold  leave everything running after the tests, until Ctrl-C
#
# Environment:
#   PAYCANCEL_PROD_SHARDS       history shards (default 4; fixed for a cluster's life)
#   PAYCANCEL_PROD_TEST_RUN     go test -run pattern (default 'TestEndToEnd|TestReconcile'; "-": skip)
#   PAYCANCEL_PROD_SKIP_DEMO=1  skip `starter demo` through the worker
#   PAYCANCEL_PROD_KEEP=1       keep the run folder (logs, PostgreSQL data) after exit
#   PAYCANCEL_PROD_CACHE        where the Temporal server and SQL tool binaries are kept
#                               (default ${XDG_CACHE_HOME:-~/.cache}/paycancel-prodprofile)
#   PAYCANCEL_PROD_SERVER_LOG_LEVEL  Temporal server log level (default warn)
#
# Exit status 0 when every step passed. The last lines are a timing table.
set -euo pipefail

HOLD=0
for arg in "$@"; do
  case "$arg" in
    --hold) HOLD=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $arg (try --help)" >&2; exit 2 ;;
  esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/worker/prodprofile
cd "$ROOT"

SHARDS=${PAYCANCEL_PROD_SHARDS:-4}
TEST_RUN=${PAYCANCEL_PROD_TEST_RUN:-TestEndToEnd|TestReconcile}
SERVER_LOG_LEVEL=${PAYCANCEL_PROD_SERVER_LOG_LEVEL:-warn}
NAMESPACE=default
TASK_QUEUE=paycancel
PG_USER=temporal
CACHE=${PAYCANCEL_PROD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/paycancel-prodprofile}

T_ALL=$(date +%s.%N)
TIMINGS=()
log() { printf '[prodprofile %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { log "FAILED: $*"; exit 1; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
step() { STEP=$1; T_STEP=$(date +%s.%N); log "== $STEP"; }
done_step() {
  local t; t=$(elapsed "$T_STEP")
  TIMINGS+=("$(printf '  %-62s %7ss' "$STEP" "$t")")
  log "   ok (${t}s)"
}
print_timings() {
  [ ${#TIMINGS[@]} -gt 0 ] || return 0
  log "timings:"
  printf '%s\n' "${TIMINGS[@]}"
  printf '  %-62s %7ss\n' "total" "$(elapsed "$T_ALL")"
}

# ---------------------------------------------------------------- process control
# Every process this script starts is recorded in $RUN/pids as "name pid"; cleanup
# stops those (and only those: a recorded pid must still name the run folder in its
# command line, so a reused pid is never touched), then PostgreSQL via pg_ctl.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

stop_pid() { # name pid
  local name=$1 pid=$2 i
  kill -0 "$pid" 2>/dev/null || return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$RUN_MARK" || return 0
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  log "  $name did not stop in 10s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

stop_run() { # run-folder: stops what a run (this one or a crashed earlier one) started
  local run=$1 name pid pgbin
  RUN_MARK=$run
  if [ -f "$run/pids" ]; then
    # Reverse start order: worker and helpers first, the server, then the database.
    tac "$run/pids" | while read -r name pid; do stop_pid "$name" "$pid"; done
  fi
  if [ -f "$run/pg/data/postmaster.pid" ] && [ -f "$run/pg/bindir" ]; then
    pgbin=$(cat "$run/pg/bindir")
    log "stopping PostgreSQL ($run/pg/data)"
    as_pg "$pgbin/pg_ctl" -D "$run/pg/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  fi
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  if [ -n "${RUN:-}" ]; then
    if [ $rc -ne 0 ] && [ -d "$RUN/logs" ]; then
      for f in "$RUN"/logs/{temporal-server,sandboxes,merchant,worker}.log "$RUN/pg/postgres.log"; do
        [ -s "$f" ] || continue
        log "last lines of $(basename "$f"):"
        tail -n 15 "$f" | cut -c1-400 | sed "s/^/    /"
      done
    fi
    stop_run "$RUN"
    if [ "${PAYCANCEL_PROD_KEEP:-0}" = 1 ]; then
      log "kept $RUN (logs, PostgreSQL data)"
    else
      rm -rf "$RUN"
    fi
  fi
  print_timings
  if [ $rc -eq 0 ]; then log "PASS"; else log "FAIL (exit $rc)"; fi
  exit $rc
}
trap cleanup EXIT
# Ctrl-C while --hold holds is the normal way out: exit 0 then.
trap 'if [ "${HOLDING:-0}" = 1 ]; then exit 0; fi; exit 130' INT
trap 'if [ "${HOLDING:-0}" = 1 ]; then exit 0; fi; exit 143' TERM

# Long commands run in the background and are waited for, so a signal reaches the
# trap at once instead of after the command.
run_waited() { "$@" & wait $!; }

start_bg() { # name logfile command...
  local name=$1 logf=$2; shift 2
  "$@" >"$logf" 2>&1 &
  echo "$name $!" >>"$RUN/pids"
  log "started $name (pid $!): $(basename "$1") ${*:2}" | cut -c1-220
}

alive() { # name: the recorded process still runs
  local pid; pid=$(awk -v n="$1" '$1 == n { print $2 }' "$RUN/pids" | tail -1)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

wait_http() { # name url seconds [process]
  local name=$1 url=$2 secs=$3 proc=${4:-} i
  for i in $(seq 1 $((secs * 5))); do
    if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then return 0; fi
    if [ -n "$proc" ] && ! alive "$proc"; then die "$name exited while starting (see its log)"; fi
    sleep 0.2
  done
  die "$name not answering at $url after ${secs}s"
}

# ---------------------------------------------------------------- 0. leftovers, run folder
# A run folder whose script is gone (killed before its trap ran) still has its
# processes recorded: stop them. A run still in progress is left alone.
for prev in "${TMPDIR:-/tmp}"/paycancel-prodprofile.*; do
  [ -d "$prev" ] && [ -f "$prev/script.pid" ] || continue
  owner=$(cat "$prev/script.pid")
  if kill -0 "$owner" 2>/dev/null && tr '\0' ' ' <"/proc/$owner/cmdline" 2>/dev/null | grep -q 'run\.sh'; then
    log "another run is in progress ($prev, pid $owner); leaving it alone"
    continue
  fi
  log "an earlier run did not clean up ($prev): stopping what it started"
  stop_run "$prev"
  rm -rf "$prev"
done
RUN=$(mktemp -d "${TMPDIR:-/tmp}/paycancel-prodprofile.XXXXXX")
RUN_MARK=$RUN
echo $$ >"$RUN/script.pid"
chmod 755 "$RUN" # PostgreSQL runs as the postgres user and must reach $RUN/pg
mkdir -p "$RUN/logs" "$RUN/bin" "$RUN/secrets" "$RUN/pg"
chmod 700 "$RUN/secrets"
: >"$RUN/pids"
log "run folder $RUN"

for tool in go curl awk; do
  command -v "$tool" >/dev/null || die "$tool is required"
done

# ---------------------------------------------------------------- build
step "build Temporal server and SQL tool (cached per version)"
TEMPORAL_VERSION=$(go list -m -f '{{.Version}}' go.temporal.io/server)
TEMPORAL_DIR=$(go list -m -f '{{.Dir}}' go.temporal.io/server)
[ -n "$TEMPORAL_DIR" ] && [ -d "$TEMPORAL_DIR/schema/postgresql/v12" ] || {
  go mod download go.temporal.io/server
  TEMPORAL_DIR=$(go list -m -f '{{.Dir}}' go.temporal.io/server)
}
TBIN=$CACHE/temporal-$TEMPORAL_VERSION
if [ -x "$TBIN/server" ] && [ -x "$TBIN/sql" ]; then
  log "cached: $TBIN"
else
  # Built as Temporal releases them, with the server module's own dependency
  # versions (go install pkg@version), so paycancel's go.mod stays as it is.
  log "go install go.temporal.io/server/cmd/server@$TEMPORAL_VERSION and cmd/tools/sql (several minutes the first time)"
  mkdir -p "$TBIN"
  (cd "$RUN" && GOFLAGS= GOBIN="$TBIN" run_waited go install \
    "go.temporal.io/server/cmd/server@$TEMPORAL_VERSION" "go.temporal.io/server/cmd/tools/sql@$TEMPORAL_VERSION")
fi
done_step

step "build paycancel worker, sandbox runner, starter, helper"
run_waited go build -o "$RUN/bin/" ./worker ./providers/sim/sandbox ./starter ./worker/prodprofile/helper
done_step

# Ports: PostgreSQL, Temporal's services and metrics, sandboxes, worker, merchant.
mapfile -t P < <("$RUN/bin/helper" ports -n 15)
PG_PORT=${P[0]} FRONTEND_PORT=${P[1]} FRONTEND_MEMBERSHIP_PORT=${P[2]} FRONTEND_HTTP_PORT=${P[3]}
HISTORY_PORT=${P[4]} HISTORY_MEMBERSHIP_PORT=${P[5]} MATCHING_PORT=${P[6]} MATCHING_MEMBERSHIP_PORT=${P[7]}
WORKER_PORT=${P[8]} WORKER_MEMBERSHIP_PORT=${P[9]} METRICS_PORT=${P[10]}
SANDBOX_PORT=${P[11]} PAYCANCEL_HTTP_PORT=${P[12]} MERCHANT_PORT=${P[13]}
TEMPORAL_HOSTPORT=127.0.0.1:$FRONTEND_PORT

# ---------------------------------------------------------------- 1. PostgreSQL
step "PostgreSQL: install if missing, private cluster, user"
pg_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  command -v initdb >/dev/null && dirname "$(readlink -f "$(command -v initdb)")"
}
PGBIN=$(pg_bindir || true)
if [ -z "$PGBIN" ]; then
  log "PostgreSQL is not installed: apt-get install postgresql"
  sudo=""
  if [ "$(id -u)" != 0 ]; then command -v sudo >/dev/null || die "PostgreSQL missing and not root (install the postgresql package)"; sudo=sudo; fi
  run_waited $sudo apt-get update -q
  run_waited $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql
  PGBIN=$(pg_bindir) || die "postgresql installed but initdb not found"
fi
log "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') from $PGBIN"
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || die "running as root needs the postgres user (created by the postgresql package)"
  chown postgres: "$RUN/pg"
fi
echo "$PGBIN" >"$RUN/pg/bindir"
PG_PASSWORD=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)
printf '%s\n' "$PG_PASSWORD" >"$RUN/secrets/pg-password"
as_pg "$PGBIN/initdb" -D "$RUN/pg/data" -E UTF8 --locale=C --auth-local=peer --auth-host=scram-sha-256 >"$RUN/logs/initdb.log" 2>&1 \
  || { cat "$RUN/logs/initdb.log"; die "initdb"; }
as_pg mkdir -p "$RUN/pg/sock"
as_pg "$PGBIN/pg_ctl" -D "$RUN/pg/data" -l "$RUN/pg/postgres.log" -w -t 60 \
  -o "-p $PG_PORT -k $RUN/pg/sock -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null \
  || { cat "$RUN/pg/postgres.log"; die "PostgreSQL did not start"; }
log "PostgreSQL on 127.0.0.1:$PG_PORT (data $RUN/pg/data)"
# The bootstrap superuser (postgres, or this user when not root) over the socket.
psql_admin() { as_pg "$PGBIN/psql" -h "$RUN/pg/sock" -p "$PG_PORT" -d postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
psql_admin -c "CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD'"
log "database user $PG_USER (password in $RUN/secrets/pg-password)"
done_step

# ---------------------------------------------------------------- 2. schema
step "Temporal schema with the server's SQL tool (persistence + visibility)"
log "schema folders from $TEMPORAL_DIR/schema/postgresql/v12"
export SQL_PASSWORD=$PG_PASSWORD
sqltool() { # database args...
  local db=$1; shift
  "$TBIN/sql" --plugin postgres12 --endpoint 127.0.0.1 --port "$PG_PORT" --user "$PG_USER" --database "$db" "$@" \
    >>"$RUN/logs/sql-tool.log" 2>&1 || { tail -n 20 "$RUN/logs/sql-tool.log"; die "sql tool: $db $*"; }
}
for pair in temporal:temporal temporal_visibility:visibility; do
  db=${pair%%:*} dir=$TEMPORAL_DIR/schema/postgresql/v12/${pair##*:}/versioned
  sqltool "$db" create-database
  sqltool "$db" setup-schema --version 0.0
  sqltool "$db" update-schema --schema-dir "$dir"
  ver=$(PGPASSWORD=$PG_PASSWORD "$PGBIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d "$db" -qAt \
    -c "SELECT curr_version FROM schema_version")
  log "$db: schema version $ver (latest in the module: $(ls "$dir" | sed 's/^v//' | sort -V | tail -1))"
done
unset SQL_PASSWORD
done_step

# ---------------------------------------------------------------- 3. Temporal server
step "Temporal server $TEMPORAL_VERSION on PostgreSQL ($SHARDS history shards)"
mkdir -p "$RUN/temporal"
cp "$HERE/dynamicconfig.yaml" "$RUN/temporal/dynamicconfig.yaml"
sed -e "s|@SHARDS@|$SHARDS|g" -e "s|@PG_PORT@|$PG_PORT|g" -e "s|@PG_USER@|$PG_USER|g" \
  -e "s|@PG_PASSWORD@|$PG_PASSWORD|g" -e "s|@LOG_LEVEL@|$SERVER_LOG_LEVEL|g" \
  -e "s|@METRICS_PORT@|$METRICS_PORT|g" -e "s|@FRONTEND_PORT@|$FRONTEND_PORT|g" \
  -e "s|@FRONTEND_MEMBERSHIP_PORT@|$FRONTEND_MEMBERSHIP_PORT|g" -e "s|@FRONTEND_HTTP_PORT@|$FRONTEND_HTTP_PORT|g" \
  -e "s|@HISTORY_PORT@|$HISTORY_PORT|g" -e "s|@HISTORY_MEMBERSHIP_PORT@|$HISTORY_MEMBERSHIP_PORT|g" \
  -e "s|@MATCHING_PORT@|$MATCHING_PORT|g" -e "s|@MATCHING_MEMBERSHIP_PORT@|$MATCHING_MEMBERSHIP_PORT|g" \
  -e "s|@WORKER_PORT@|$WORKER_PORT|g" -e "s|@WORKER_MEMBERSHIP_PORT@|$WORKER_MEMBERSHIP_PORT|g" \
  -e "s|@DYNAMIC_CONFIG@|$RUN/temporal/dynamicconfig.yaml|g" \
  "$HERE/temporal.yaml.tmpl" >"$RUN/secrets/temporal.yaml"
grep -q '@[A-Z_]*@' "$RUN/secrets/temporal.yaml" && die "unrendered token in temporal.yaml"
"$TBIN/server" validate-dynamic-config "$RUN/temporal/dynamicconfig.yaml" >/dev/null || die "dynamic config invalid"
start_bg temporal-server "$RUN/logs/temporal-server.log" \
  "$TBIN/server" --config-file "$RUN/secrets/temporal.yaml" --allow-no-auth start
log "frontend $TEMPORAL_HOSTPORT, server metrics http://127.0.0.1:$METRICS_PORT/metrics"
done_step

# ---------------------------------------------------------------- 4. namespace
step "namespace $NAMESPACE and search attributes"
"$RUN/bin/helper" namespace --address "$TEMPORAL_HOSTPORT" --namespace "$NAMESPACE" --retention 72h &
ns_pid=$!
while kill -0 $ns_pid 2>/dev/null; do
  alive temporal-server || { kill $ns_pid 2>/dev/null; die "the Temporal server exited (see its log)"; }
  sleep 0.5
done
wait $ns_pid || die "namespace setup"
done_step

# ---------------------------------------------------------------- 5. worker
step "sandboxes, stand-in merchant, worker (no --dev) on the server"
CALLBACK_BASE=http://127.0.0.1:$PAYCANCEL_HTTP_PORT
SANDBOX_URL=http://127.0.0.1:$SANDBOX_PORT
MERCHANT_URL=http://127.0.0.1:$MERCHANT_PORT/dev/merchant-webhook
start_bg sandboxes "$RUN/logs/sandboxes.log" \
  "$RUN/bin/sandbox" --addr "127.0.0.1:$SANDBOX_PORT" --dir "$RUN/sandbox-keys" --callback-base-url "$CALLBACK_BASE"
wait_http sandboxes "$SANDBOX_URL/" 30 sandboxes
"$RUN/bin/helper" config --sandbox-url "$SANDBOX_URL" --key-dir "$RUN/sandbox-keys" \
  --out "$RUN/secrets/paycancel.yaml" --callback-base-url "$CALLBACK_BASE" --merchant-url "$MERCHANT_URL"
start_bg merchant "$RUN/logs/merchant.log" \
  "$RUN/bin/helper" merchant --addr "127.0.0.1:$MERCHANT_PORT" --secret-file "$RUN/secrets/merchant-notify.secret"
wait_http merchant "$MERCHANT_URL" 30 merchant
# The worker reaches Temporal through Temporal's standard client environment, as
# in production (TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE; envconfig).
TEMPORAL_ADDRESS=$TEMPORAL_HOSTPORT TEMPORAL_NAMESPACE=$NAMESPACE start_bg worker "$RUN/logs/worker.log" \
  "$RUN/bin/worker" --config "$RUN/secrets/paycancel.yaml" --task-queue "$TASK_QUEUE" \
  --http-addr "127.0.0.1:$PAYCANCEL_HTTP_PORT" --data-dir "$RUN/worker-data"
wait_http worker "$CALLBACK_BASE/readyz" 60 worker
log "worker ready: $CALLBACK_BASE/readyz, metrics $CALLBACK_BASE/metrics"
done_step

# ---------------------------------------------------------------- 6. end-to-end tests
if [ "$TEST_RUN" != "-" ]; then
  step "go test ./workflows/ -run '$TEST_RUN' against the server"
  # The tests' own output goes to a file; their RUN/PASS/FAIL lines are shown live.
  : >"$RUN/logs/e2e.out"
  PAYCANCEL_TEST_TEMPORAL_ADDRESS=$TEMPORAL_HOSTPORT PAYCANCEL_TEST_NAMESPACE=$NAMESPACE \
    go test ./workflows/ -run "$TEST_RUN" -count=1 -v -timeout 20m >"$RUN/logs/e2e.out" 2>&1 &
  test_pid=$!
  tail -n +1 -f --pid=$test_pid "$RUN/logs/e2e.out" | grep --line-buffered -E '^ *(--- |PASS|FAIL|ok|panic)|_test\.go:[0-9]+:' &
  tail_pid=$!
  test_rc=0
  wait $test_pid || test_rc=$?
  wait $tail_pid 2>/dev/null || true
  [ $test_rc = 0 ] || die "end-to-end tests exited $test_rc (output in $RUN/logs/e2e.out)"
  done_step
fi

if [ "${PAYCANCEL_PROD_SKIP_DEMO:-0}" != 1 ]; then
  # After the tests: the reconciliation test verifies every recently cancelled cancel
  # in the namespace, and 30 more from the demo would only slow it down.
  step "starter demo through the worker (five providers, every scenario)"
  # This profile runs no Web UI: the table's UI links name where one would be.
  run_waited "$RUN/bin/starter" demo --address "$TEMPORAL_HOSTPORT" --namespace "$NAMESPACE" --task-queue "$TASK_QUEUE" \
    --sandbox-url "$SANDBOX_URL" --ui-url "http://127.0.0.1:8233" --timeout 3m 2>&1 | tee "$RUN/logs/demo.out" \
    || die "starter demo"
  delivered=$(curl -fsS "$MERCHANT_URL" | grep -o '"receivedAt"' | wc -l)
  log "the stand-in merchant verified $delivered signed notifications"
  [ "$delivered" -gt 0 ] || die "no merchant notification arrived"
  metrics=$(curl -fsS "$CALLBACK_BASE/metrics")
  grep -q '^paycancel_provider_calls_total' <<<"$metrics" || die "worker metrics lack paycancel_provider_calls_total"
  log "worker metrics: $(grep -c '^paycancel_' <<<"$metrics") paycancel_* series, $(grep -c '^temporal_' <<<"$metrics") temporal_* (SDK) series"
  done_step
fi

step "what PostgreSQL holds"
pgq() { PGPASSWORD=$PG_PASSWORD "$PGBIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -qAt -d "$1" -c "$2"; }
log "temporal.executions: $(pgq temporal 'SELECT count(*) FROM executions') workflow executions, $(pgq temporal 'SELECT count(*) FROM history_node') history nodes"
log "temporal_visibility.executions_visibility: $(pgq temporal_visibility 'SELECT count(*) FROM executions_visibility') rows; CancelPaymentWorkflow by status (1 running, 2 completed, ...):"
pgq temporal_visibility "SELECT status, count(*) FROM executions_visibility WHERE workflow_type_name = 'CancelPaymentWorkflow' GROUP BY status ORDER BY status" \
  | sed 's/^/    status|count  /'
done_step

if [ $HOLD = 1 ]; then
  log "holding (Ctrl-C stops everything): TEMPORAL_ADDRESS=$TEMPORAL_HOSTPORT, sandboxes $SANDBOX_URL, worker $CALLBACK_BASE"
  log "  e.g. TEMPORAL_ADDRESS=$TEMPORAL_HOSTPORT go run ./starter list"
  HOLDING=1
  while alive temporal-server && alive worker; do sleep 2; done
  HOLDING=0
  die "the server or the worker exited"
fi
