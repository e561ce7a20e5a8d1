#!/usr/bin/env bash
# webui-screenshot.sh: a headless-browser screenshot of a cancel's page in the
# embedded Temporal Web UI, to see what an operator sees (the summary line, the
# details, the current details, the activities' summaries). Not part of go test.
#
#   worker/webui-screenshot.sh [out.png]
#
# It writes two PNGs: out.png, the cancel's Timeline (each activity with its
# summary), and out-metadata.png, its User Metadata tab (the summary and details
# the starter set, the current details the workflow keeps).
#
# Without PAYCANCEL_UI_PAGE it builds the worker, runs `worker --dev --demo` on
# ports of its own (a data dir in a temporary folder, so a worker already running
# on the default ports is left alone), waits for the demo's table and shoots the
# page of the demo's GNETE happy-path cancel; the worker it started is stopped at
# the end. With PAYCANCEL_UI_PAGE=<a cancel's Web UI URL> it shoots that page of
# a running worker instead (the demo's table prints it).
#
# Debian's chromium package is installed with apt-get when no chromium is found.
#
# Environment: PAYCANCEL_UI_PAGE, PAYCANCEL_SCREENSHOT_SIZE (default 1600,1500),
# PAYCANCEL_SCREENSHOT_PORTS ("frontend ui http sandbox", default
# "17433 18433 18480 18499").
set -euo pipefail

out=${1:-webui-cancel.png}
size=${PAYCANCEL_SCREENSHOT_SIZE:-1600,1500}
root=$(cd "$(dirname "$0")/.." && pwd)

browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z "$browser" ]]; then
	echo "installing Debian's chromium (apt-get)..." >&2
	sudo=""
	[[ $(id -u) -ne 0 ]] && sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
	browser=$(command -v chromium)
fi

page=${PAYCANCEL_UI_PAGE:-}
if [[ -z "$page" ]]; then
	read -r fport uiport httpport sbport <<<"${PAYCANCEL_SCREENSHOT_PORTS:-17433 18433 18480 18499}"
	work=$(mktemp -d)
	worker_pid=""
	cleanup() {
		if [[ -n "$worker_pid" ]]; then
			kill "$worker_pid" 2>/dev/null || true
			wait "$worker_pid" 2>/dev/null || true
		fi
		rm -rf "$work"
	}
	trap cleanup EXIT
	echo "building the worker..." >&2
	(cd "$root" && go build -o "$work/worker" ./worker)
	"$work/worker" --dev --demo --data-dir "$work/data" --dev-port "$fport" --dev-ui-port "$uiport" \
		--http-addr "127.0.0.1:$httpport" --sandbox-addr "127.0.0.1:$sbport" >"$work/stdout" 2>"$work/stderr" &
	worker_pid=$!
	echo "waiting for the demo (worker pid $worker_pid, logs in $work)..." >&2
	for _ in $(seq 1 600); do
		if grep -q 'scenarios' "$work/stdout" 2>/dev/null; then
			break
		fi
		if ! kill -0 "$worker_pid" 2>/dev/null; then
			echo "the worker exited:" >&2
			tail -20 "$work/stderr" "$work/stdout" >&2
			exit 1
		fi
		sleep 1
	done
	# The demo's table names each cancel's page; the GNETE happy path first.
	page=$(grep -o "http://[^ ]*/workflows/cancel[^ ]*gnete[^ ]*" "$work/stdout" | head -1 || true)
	[[ -n "$page" ]] || page=$(grep -o "http://[^ ]*/workflows/cancel[^ ]*" "$work/stdout" | head -1 || true)
	if [[ -z "$page" ]]; then
		echo "no cancel page in the demo's output:" >&2
		cat "$work/stdout" >&2
		exit 1
	fi
fi

# The page of the cancel's latest run: its Timeline (the activities' summaries)
# and its User Metadata tab (the summary, the details, the current details).
api=${page/\/namespaces\//\/api\/v1\/namespaces\/}
run=$(curl -fsS "$api" | grep -o '"runId" *: *"[^"]*"' | head -1 | sed 's/.*"\([^"]*\)"$/\1/' || true)
if [[ -z "$run" ]]; then
	echo "the Web UI does not know $page" >&2
	exit 1
fi
meta=${out%.png}-metadata.png
# --no-sandbox: chromium refuses to run as root with its sandbox. The virtual
# time budget lets the single-page app fetch and render before the shot.
shoot() {
	echo "shooting $2" >&2
	"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size="$size" \
		--virtual-time-budget=20000 --screenshot="$1" "$2" 2>/dev/null
}
shoot "$out" "$page/$run/timeline"
shoot "$meta" "$page/$run/user-metadata"
echo "wrote $out and $meta" >&2
