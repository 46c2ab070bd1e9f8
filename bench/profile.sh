#!/usr/bin/env bash
# Profile read throughput and latency (issue 6 budgets: >= 20k req/s, p99 < 10 ms at 64
# connections): GET /api/users/:name and GET /users/:name for a user with a year of history,
# with wrk, against codestatsd with web,ingest,cache (cache.v1) and with web,ingest (the DB
# aggregates). The data set comes from build/bin/cache_dataset (bench/dataset, the cache
# module's generator) written through the real schema.
#   [BACKEND=sqlite|postgres] bench/profile.sh [SECONDS] [CONNECTIONS] [USERS] [PULSES]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}" conns="${2:-64}" users="${3:-200}" pulses="${4:-400000}"
backend="${BACKEND:-sqlite}"
build="${BUILD_DIR:-build}"
pgport="${PGBENCH_PORT:-25447}"
fail=0
[ -x "$build/bin/cache_dataset" ] || { echo "needs $build/bin/cache_dataset (bench/dataset)" >&2; exit 1; }

run_host() {  # VAR_DIR extra-args... -> starts codestatsd, sets pid/port
  local var="$1"; shift
  "$build/bin/codestatsd" --set var_dir="$var" --set http.port=0 --set admin.port=0 --set log.level=warn \
    "${db[@]}" "$@" >>"$var/host.log" 2>&1 &
  pid=$!
  for _ in $(seq 300); do [ -f "$var/codestatsd.ports" ] && break; sleep 0.05; done
  port="$(sed -E 's/.*"http":([0-9]+).*/\1/' "$var/codestatsd.ports")"
}
stop_host() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$var/codestatsd.ports"; }
load() { echo "load: $(cut -d' ' -f1-3 /proc/loadavg) ($1)"; }
# wrk's requests/s and its 99th percentile in ms.
measure() {  # LABEL PATH
  local out rate p99
  curl -s -o /dev/null -w "$1: HTTP %{http_code}, %{size_download} bytes\n" "http://127.0.0.1:$port$2"
  out="$(wrk -t2 -c"$conns" -d"${secs}s" --latency "http://127.0.0.1:$port$2")"
  rate="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {v = $2; if (v ~ /us$/) {sub(/us/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms/, "", v)} else if (v ~ /s$/) {sub(/s/, "", v); v *= 1000}; print v}' <<<"$out")"
  grep -E "Non-2xx|Socket errors" <<<"$out" && fail=1
  echo "$1: ${rate} req/s, p99 ${p99} ms"
  awk -v r="$rate" 'BEGIN {exit !(r >= 20000)}' || { echo "$1: below 20k req/s"; fail=1; }
  awk -v p="$p99" 'BEGIN {exit !(p < 10)}' || { echo "$1: p99 over 10 ms"; fail=1; }
}

var="$(mktemp -d)"
trap 'stop_host; rm -rf "$var"; [ -n "${PGTEST_DIR:-}" ] && pgtest_stop >/dev/null 2>&1 || true' EXIT
db=()
if [ "$backend" = postgres ]; then
  . scripts/pgtest.sh
  pgtest_start "$pgport" >/dev/null
  db=(--set db.backend=postgres --set "db.postgres.conninfo=$PGTEST_URI")
  target=(--postgres "$PGTEST_URI")
else
  target=(--sqlite "$var/codestats.db")
fi

echo "== schema, then $users users with $pulses pulses over a year ($backend)"
run_host "$var" --set modules=web,ingest
stop_host
"$build/bin/cache_dataset" "${target[@]}" --users "$users" --machines 2 --pulses "$pulses"
user=user000001

for modules in web,ingest,cache web,ingest; do
  echo "== modules=$modules, wrk -t2 -c$conns -d${secs}s"
  run_host "$var" --set modules="$modules"
  sleep 3  # the cache warms up in the background
  load "$modules"
  measure "GET /api/users/$user" "/api/users/$user"
  measure "GET /users/$user" "/users/$user"
  stop_host
done
load "end"
exit "$fail"
