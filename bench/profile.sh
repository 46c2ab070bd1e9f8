#!/usr/bin/env bash
# Profile read throughput and latency (issue 6 budgets: >= 20k req/s, p99 < 10 ms at 64
# connections): GET /api/users/:name and GET /users/:name for a user with a year of history,
# with wrk, against codestatsd with web,ingest,cache (cache.v1: the served configuration,
# held to the budgets) and with web,ingest (the DB aggregates, the fallback while the cache
# module is not loaded: printed for comparison). The data set comes from build/bin/cache_dataset (bench/dataset, the cache
# module's generator) written through the real schema. Last, the ceiling: nginx sending the
# same two bodies as static files (2 workers, keep-alive, access log off) under the same wrk,
# the most this machine's loopback and wrk let any server do.
#   [BACKEND=sqlite|postgres] bench/profile.sh [SECONDS] [CONNECTIONS] [USERS] [PULSES]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}" conns="${2:-64}" users="${3:-200}" pulses="${4:-400000}"
backend="${BACKEND:-sqlite}"
build="${BUILD_DIR:-build}"
cmake --build "$build" --target cache_dataset >/dev/null  # not in the default build
pgport="${PGBENCH_PORT:-25447}"
fail=0
[ -x "$build/bin/cache_dataset" ] || { echo "needs $build/bin/cache_dataset (bench/dataset)" >&2; exit 1; }

. bench/lib.sh
# wrk's requests/s and its 99th percentile in ms.
measure() {  # LABEL PATH BUDGETED(yes|no|ceiling)
  local out rate p99
  curl -s -o /dev/null -w "$1: HTTP %{http_code}, %{size_download} bytes\n" "http://127.0.0.1:$port$2"
  out="$(wrk -t2 -c"$conns" -d"${secs}s" --latency "http://127.0.0.1:$port$2")"
  rate="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {v = $2; if (v ~ /us$/) {sub(/us/, "", v); v /= 1000} else if (v ~ /ms$/) {sub(/ms/, "", v)} else if (v ~ /s$/) {sub(/s/, "", v); v *= 1000}; print v}' <<<"$out")"
  grep -E "Non-2xx|Socket errors" <<<"$out" && fail=1
  echo "$1: ${rate} req/s, p99 ${p99} ms"
  [ "$3" = ceiling ] && { echo "$1: (nginx, static files: the ceiling)"; return; }
  [ "$3" = yes ] || { echo "$1: (the DB fallback without the cache module: no budget, docs/decisions.md)"; return; }
  awk -v r="$rate" 'BEGIN {exit !(r >= 20000)}' || { echo "$1: below 20k req/s"; fail=1; }
  awk -v p="$p99" 'BEGIN {exit !(p < 10)}' || { echo "$1: p99 over 10 ms"; fail=1; }
}

var="$(mktemp -d)"
stop_nginx() { [ -f "$var/nginx/nginx.pid" ] && nginx -p "$var/nginx" -c "$var/nginx/nginx.conf" -s stop 2>/dev/null || true; }
trap 'stop_host; stop_nginx; rm -rf "$var"; [ -n "${PGTEST_DIR:-}" ] && pgtest_stop >/dev/null 2>&1 || true' EXIT
bench_db_setup "$var"

echo "== schema, then $users users with $pulses pulses over a year ($backend)"
run_host "$var" --set modules=web,ingest --set log.level=warn
stop_host
"$build/bin/cache_dataset" "${target[@]}" --users "$users" --machines 2 --pulses "$pulses"
user=user000001

for modules in web,ingest,cache web,ingest; do
  echo "== modules=$modules, wrk -t2 -c$conns -d${secs}s"
  run_host "$var" --set modules="$modules" --set log.level=warn
  sleep 3  # the cache warms up in the background
  load "$modules"
  budgeted=no
  if [ "$modules" = web,ingest,cache ]; then
    budgeted=yes
    # the bodies nginx serves for the ceiling below
    mkdir -p "$var/nginx/www/api/users" "$var/nginx/www/users" "$var/nginx/logs"
    curl -s -o "$var/nginx/www/api/users/$user" "http://127.0.0.1:$port/api/users/$user"
    curl -s -o "$var/nginx/www/users/$user" "http://127.0.0.1:$port/users/$user"
  fi
  measure "GET /api/users/$user" "/api/users/$user" "$budgeted"
  measure "GET /users/$user" "/users/$user" "$budgeted"
  stop_host
done
echo "== nginx, the same bodies as static files, wrk -t2 -c$conns -d${secs}s"
if command -v nginx >/dev/null; then
  chmod -R a+rX "$var"  # nginx's workers run as nobody
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  cat >"$var/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $var/nginx/nginx.pid;
error_log $var/nginx/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  open_file_cache max=16 inactive=60s;
  keepalive_requests 1000000;
  client_body_temp_path $var/nginx/body;
  server {
    listen 127.0.0.1:$port;
    root $var/nginx/www;
    location /api/ { default_type "application/json; charset=utf-8"; }
    location /users/ { default_type "text/html; charset=utf-8"; }
  }
}
CONF
  nginx -p "$var/nginx" -c "$var/nginx/nginx.conf"
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.05; done
  load "nginx"
  measure "nginx GET /api/users/$user" "/api/users/$user" ceiling
  measure "nginx GET /users/$user" "/users/$user" ceiling
  stop_nginx
else
  echo "nginx is not installed (scripts/deps.sh --test installs it): no ceiling"
fi
load "end"
exit "$fail"
