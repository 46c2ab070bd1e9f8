#!/usr/bin/env bash
# Cache warm-up and profile latency (issue 7 budgets): a synthetic data set of USERS users,
# MACHINES machines each and PULSES pulses over a year (build/bin/cache_dataset, written
# through the real schema), then codestatsd with web, ingest, cache and the probe fixture
# (a cache.v1 consumer). Prints: the warm-up time (the cache's own figure, and wall time
# from host start), profile requests served while warming (must all succeed), host RSS
# with the cache warm versus the same host with warm-up off, bytes per cached user, the
# cache.v1 profile call latency in process (probe.bench-profile: host().call -> cache) and
# GET /probe/profile/:name over HTTP (wrk). Budget: warm in under 30 s while serving.
#   [BACKEND=sqlite|postgres] bench/cache.sh [USERS] [MACHINES] [PULSES]
set -euo pipefail
cd "$(dirname "$0")/.."
users="${1:-10000}" machines="${2:-2}" pulses="${3:-5000000}"
backend="${BACKEND:-sqlite}"
build="${BUILD_DIR:-build}"
cmake --build "$build" --target cache_dataset >/dev/null  # not in the default build
pgport="${PGBENCH_PORT:-25463}"
probe="$build/tests/fixtures/cache_probe.so"
fail=0

. bench/lib.sh
ctl() { "$build/bin/codestatsctl" --var-dir "$var" "$@"; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
rss_anon_kb() { awk '/RssAnon/ {print $2}' "/proc/$1/status"; }

var="$(mktemp -d)"
trap 'stop_host; rm -rf "$var"; [ -n "${PGTEST_DIR:-}" ] && pgtest_stop >/dev/null 2>&1 || true' EXIT

bench_db_setup "$var"

echo "== schema (codestatsd with web,ingest), then the data set"
run_host "$var" --set modules=web,ingest --set log.level=warn
stop_host
"$build/bin/cache_dataset" "${target[@]}" --users "$users" --machines "$machines" --pulses "$pulses"

echo "== warm-up while serving (cache + probe)"
start_ns=$(date +%s%N)
run_host "$var" --set modules=web,ingest,cache,probe --set "modules.probe.artifact=$probe" --set log.level=info
served=0 failed=0
while :; do
  u=$(printf 'user%06d' $(( (RANDOM * 32768 + RANDOM) % users + 1 )))
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/probe/profile/$u?viewer=$u") || code=000
  if [ "$code" = 200 ]; then served=$((served + 1)); else failed=$((failed + 1)); fi
  status="$(ctl run cache.status)"
  [ "$(jq -r .warmup.done <<<"$status")" = true ] && break
  [ $(( ($(date +%s%N) - start_ns) / 1000000000 )) -lt 300 ] || { echo "not warm after 300 s"; fail=1; break; }
done
wall=$(awk -v a="$start_ns" -v b="$(date +%s%N)" 'BEGIN {printf "%.1f", (b - a) / 1e9}')
warm_s="$(jq -r .warmup.seconds <<<"$status")"
grep -E "cache: warm-up" "$var/host.log" | tail -3 || true
echo "warm-up: cache ${warm_s} s, wall ${wall} s from host start; users=$(jq -r .warmup.users <<<"$status") pulses=$(jq -r .warmup.pulses <<<"$status")"
echo "profile requests while warming: ok=$served failed=$failed"
[ "$failed" = 0 ] || fail=1
awk -v s="$warm_s" 'BEGIN {exit !(s < 30)}' || { echo "warm-up over 30 s"; fail=1; }
sleep 1
warm_rss=$(rss_kb "$pid") warm_anon=$(rss_anon_kb "$pid")
est=$(jq -r .bytes_per_user <<<"$status")
warm_users=$(jq -r .users_warm <<<"$(ctl run cache.status)")

echo "== cache.v1 profile latency, in process (probe.bench-profile, 20000 calls over 200 users)"
names=()
for i in $(seq 200); do names+=("$(printf 'user%06d' $(( (i * 7919) % users + 1 )))"); done
ctl run probe.bench-profile 20000 "${names[@]}"
echo "== GET /probe/profile/:name over HTTP (wrk -t2 -c32 -d10s, one heavy and one typical user)"
heavy=user000001
if command -v wrk >/dev/null; then
  for u in "$heavy" "$(printf 'user%06d' $((users / 2)))"; do
    echo "-- $u ($(curl -s "http://127.0.0.1:$port/probe/profile/$u?viewer=$u" | wc -c) bytes)"
    wrk -t2 -c32 -d10s --latency "http://127.0.0.1:$port/probe/profile/$u?viewer=$u" | grep -E "Requests/sec|50%|99%|Non-2xx" || true
  done
fi
echo "== the same, while cache is reloaded every 0.5 s (state hand-over of every warm user)"
typical="$(printf 'user%06d' $((users / 2)))"
if command -v wrk >/dev/null; then
  ( for _ in $(seq 16); do
      t0=$(date +%s%N)
      ctl reload cache --wait >/dev/null || echo "reload failed"
      echo "reload_ms=$(( ($(date +%s%N) - t0) / 1000000 ))"
      sleep 0.5
    done ) >"$var/reloads.txt" &
  reloader=$!
  wrk -t2 -c32 -d10s --latency "http://127.0.0.1:$port/probe/profile/$typical?viewer=$typical" | grep -E "Requests/sec|50%|99%|Non-2xx|Socket errors" || true
  wait "$reloader"
  echo "reloads: $(grep -c reload_ms "$var/reloads.txt"), failed: $(grep -c failed "$var/reloads.txt" || true), ms each: $(grep -o '[0-9]*$' "$var/reloads.txt" | tr '\n' ' ')"
  grep -q failed "$var/reloads.txt" && fail=1
  grep -E "imported|replayed" "$var/host.log" | tail -2 || true
fi
stop_host

echo "== baseline RSS: the same host with modules.cache.warmup=false"
run_host "$var" --set modules=web,ingest,cache,probe --set "modules.probe.artifact=$probe" --set log.level=warn \
  --set modules.cache.warmup=false
sleep 3
base_rss=$(rss_kb "$pid") base_anon=$(rss_anon_kb "$pid")
stop_host
per_user=$(( (warm_rss - base_rss) * 1024 / (warm_users > 0 ? warm_users : 1) ))
anon_per_user=$(( (warm_anon - base_anon) * 1024 / (warm_users > 0 ? warm_users : 1) ))
echo "RSS warm ${warm_rss} KB, baseline ${base_rss} KB: $(( (warm_rss - base_rss) / 1024 )) MB for ${warm_users} users = ${per_user} bytes/user"
echo "RssAnon (heap) warm ${warm_anon} KB, baseline ${base_anon} KB: ${anon_per_user} bytes/user; the cache's own estimate of its aggregates ${est} bytes/user"
exit "$fail"
