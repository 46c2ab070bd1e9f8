#!/usr/bin/env bash
# Memory after bursts (issue 21): codestatsd with its default modules on SQLite, RSS and
# the allocator's heap (in use / free, from /metrics) before, during and after BURSTS bursts
# of pulses (ingest_bench: CONNECTIONS keep-alive connections for SECONDS each), then every
# 10 s for IDLE seconds. Budget: RSS under 64 MB a minute after the last burst.
# HOST_ENV (e.g. LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2) is set for the host
# only, for allocator A/B runs.
#   [HOST_ENV=...] bench/memory.sh [SECONDS] [CONNECTIONS] [BURSTS] [IDLE]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-12}" conns="${2:-400}" bursts="${3:-2}" idle="${4:-60}"
build="${BUILD_DIR:-build}"
cmake --build "$build" --target ingest_bench >/dev/null  # not in the default build
var="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$var"' EXIT
env ${HOST_ENV:-} "$build/bin/codestatsd" --set var_dir="$var" --set http.port=0 --set admin.port=0 \
  --set log.level=warn >"$var/host.log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -f "$var/codestatsd.ports" ] && break; sleep 0.1; done
port="$(sed -E 's/.*"http":([0-9]+).*/\1/' "$var/codestatsd.ports")"
aport="$(sed -E 's/.*"admin":([0-9]+).*/\1/' "$var/codestatsd.ports")"
atoken="$(cat "$var/admin.token")"
mb() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1048576}'; }
sample() {  # LABEL
  local m rss used free
  m="$(curl -s -H "Authorization: Bearer $atoken" "http://127.0.0.1:$aport/metrics")"
  rss="$(awk '/^VmRSS/ {print $2 * 1024}' "/proc/$pid/status")"
  anon="$(awk '/^RssAnon/ {print $2 * 1024}' "/proc/$pid/status")"
  used="$(awk '/^codestats_heap_allocated_bytes / {print $2}' <<<"$m")"
  free="$(awk '/^codestats_heap_resident_bytes / {print $2}' <<<"$m")"
  drops="$(awk '/^codestats_event_drops_total/ {n += $2} END {print n + 0}' <<<"$m")"
  echo "$1: rss_mb=$(mb "$rss") anon_mb=$(mb "$anon") heap_allocated_mb=$(mb "${used:-0}") heap_resident_mb=$(mb "${free:-0}")" \
       "event_drops=$drops load=$(cut -d' ' -f1 /proc/loadavg)"
}
sleep 2
sample "start"
peak=0
for b in $(seq "$bursts"); do
  # RSS, the allocator's allocated bytes and the modules' queued events every 0.5 s.
  ( while kill -0 "$pid" 2>/dev/null; do
      m="$(curl -s -H "Authorization: Bearer $atoken" "http://127.0.0.1:$aport/metrics")"
      echo "$(awk '/^VmRSS/ {print $2 * 1024}' "/proc/$pid/status")" \
           "$(awk '/^codestats_heap_allocated_bytes / {print $2}' <<<"$m")" \
           "$(awk '/^codestats_event_queue_depth/ {n += $2} END {print n + 0}' <<<"$m")"
      sleep 0.5
    done ) >"$var/rss.$b" 2>/dev/null &
  sampler=$!
  "$build/bin/ingest_bench" --port "$port" --admin-port "$aport" --admin-token "$atoken" --users 1000 \
    --user-prefix "burst$b-" --connections "$conns" --seconds "$secs" | grep -m1 '^pulses=' | sed "s/^/burst $b: /"
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
  echo "burst $b: peak rss_mb=$(mb "$(sort -n -k1 "$var/rss.$b" | tail -1 | cut -d' ' -f1)")" \
       "peak heap_allocated_mb=$(mb "$(sort -n -k2 "$var/rss.$b" | tail -1 | cut -d' ' -f2)")" \
       "peak queued_events=$(sort -n -k3 "$var/rss.$b" | tail -1 | cut -d' ' -f3)"
  sample "after burst $b"
done
for t in $(seq 10 10 "$idle"); do
  sleep 10
  sample "idle ${t}s"
done
rss="$(awk '/^VmRSS/ {print $2 * 1024}' "/proc/$pid/status")"
awk -v r="$rss" 'BEGIN {exit !(r < 64 * 1048576)}' && echo "budget: met (RSS $(mb "$rss") MB < 64 MB)" ||
  { echo "budget: MISSED (RSS $(mb "$rss") MB >= 64 MB)"; exit 1; }
