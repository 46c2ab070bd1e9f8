#!/usr/bin/env bash
# Live-update sockets at scale (issue 4 budgets): SOCKETS WebSocket clients joined to
# frontpage, RATE real pulses per second for SECONDS; prints broadcast delivery latency
# p50/p99, host RSS per idle connection and host CPU. Budgets: p99 < 250 ms, < 20 KB RSS
# per idle connection.
#   bench/channels.sh [SOCKETS] [RATE] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
sockets="${1:-10000}" rate="${2:-5}" secs="${3:-20}"
build="${BUILD_DIR:-build}"
cmake --build "$build" --target channels_bench >/dev/null  # not in the default build
ulimit -n "$(ulimit -Hn)"  # both processes hold one descriptor per socket
var="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$var"' EXIT
"$build/bin/codestatsd" --set var_dir="$var" --set http.port=0 --set admin.port=0 --set log.level=warn \
  --set modules=web,ingest,channels >"$var/host.log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -f "$var/codestatsd.ports" ] && break; sleep 0.1; done
port="$(sed -E 's/.*"http":([0-9]+).*/\1/' "$var/codestatsd.ports")"
aport="$(sed -E 's/.*"admin":([0-9]+).*/\1/' "$var/codestatsd.ports")"
rc=0
"$build/bin/channels_bench" --port "$port" --admin-port "$aport" --admin-token "$(cat "$var/admin.token")" \
  --host-pid "$pid" --sockets "$sockets" --rate "$rate" --seconds "$secs" || rc=$?
# Connections the host ended on its own (a full hand-off queue, a head not in time).
curl -s -H "Authorization: Bearer $(cat "$var/admin.token")" "http://127.0.0.1:$aport/metrics" |
  grep -E '^codestats_http_(overload_closed|slow_clients_closed)_total' || true
exit "$rc"
