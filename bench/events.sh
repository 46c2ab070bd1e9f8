#!/usr/bin/env bash
# The event log under ingest load (issue 16). Every run: codestatsd with
# modules=web,ingest,cache,channels on a fresh database, ingest_bench with 1000 users and 64
# keep-alive connections for SECONDS; after SECONDS/2 + 5 s it takes 4 s of the hosts' CPU time
# (/proc/PID/stat) and the pulses counted meanwhile. Prints pulses/s, p99, host CPU per pulse,
# and (builds with the log) the p99 of codestats_event_delivery_delay_seconds for the cache
# and channels (commit to delivery; a bucket bound of the host's histogram).
#
#   BASE=DIR [BUILD=build] [BACKENDS="sqlite postgres"] [CONNECTIONS=64] [MODULES=web,ingest,cache,channels]
#   [TWO_HOSTS=1] bench/events.sh [ROUNDS] [SECONDS]
#
# Besides the host's CPU per pulse it prints PostgreSQL's (every postgres process on the
# machine, so run nothing else against a PostgreSQL meanwhile).
#
# 1. One host, per backend: BASE (a build before the log) and BUILD, interleaved ROUNDS times
#    (this VM drifts by up to 30% within minutes), with medians. Budget: the log costs under
#    10% of BASE's pulses/s.
# 2. Two hosts of BUILD on one PostgreSQL database, 32 connections each (each its own users):
#    total pulses/s, CPU per pulse of both hosts together, and each host's delay p99 for the
#    cache, which applies the other host's pulses too.
# PostgreSQL: a throwaway server on PGPORT (default 25433), a fresh schema per run.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}" secs="${2:-10}"
build="${BUILD:-build}" base="${BASE:?BASE=DIR: a build directory of the version before the log}"
backends="${BACKENDS:-sqlite postgres}"
for b in "$base" "$build"; do cmake --build "$b" --target ingest_bench >/dev/null; done  # not in the default build

if [[ " $backends " == *" postgres "* ]]; then
  . scripts/pgtest.sh
  pgtest_start "${PGPORT:-25433}" >/dev/null
  trap pgtest_stop EXIT
fi

cpu_ticks() { awk '{print $14 + $15}' /proc/"$1"/stat; }
pg_ticks() {  # every postgres process's user + system ticks
  local t=0 p
  for p in $(pgrep -x postgres); do t=$((t + $(awk '{print $14 + $15}' /proc/"$p"/stat 2>/dev/null || echo 0))); done
  echo "$t"
}
metrics() { curl -s -H "Authorization: Bearer $2" "http://127.0.0.1:$1/metrics"; }
pulses() {  # ADMIN_PORT TOKEN -> the ingest module's pulse counter (this host's)
  metrics "$1" "$2" | awk '/^codestats_module_counter_total\{/ && /module="ingest"/ && /counter="pulses"/ {
    print $NF; f = 1; exit } END { if (!f) print 0 }'
}
delay_p99() {  # ADMIN_PORT TOKEN MODULE -> the upper bound (s) of the bucket holding the 99th percentile
  metrics "$1" "$2" | awk -v m="module=\"$3\"" '
    /^codestats_event_delivery_delay_seconds_bucket\{/ && index($0, m) {
      match($0, /,le="[^"]*"/); le = substr($0, RSTART + 5, RLENGTH - 6); n++; bound[n] = le; count[n] = $NF }
    END { if (!n) { print "-"; exit } total = count[n]; for (i = 1; i <= n; i++) if (count[i] >= 0.99 * total) {
      print bound[i]; exit } }'
}
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

schema=""
dbset=()
db_args() {  # BACKEND -> dbset: host --set arguments for a fresh database (PostgreSQL: a new schema)
  dbset=()
  if [ "$1" = postgres ]; then
    schema="bench_$$_$RANDOM"
    psql "$PGTEST_URI" -qc "CREATE SCHEMA $schema" >/dev/null 2>&1
    dbset=(--set db.backend=postgres --set "db.postgres.conninfo=$PGTEST_URI options='-csearch_path=$schema'")
  fi
}
drop_schema() { [ -z "$schema" ] || psql "$PGTEST_URI" -qc "DROP SCHEMA $schema CASCADE" >/dev/null 2>&1; schema=""; }

# HOSTS BUILD BACKEND -> "pulses_per_s p99_ms cpu_us_per_pulse cache_delay_p99_s channels_delay_p99_s" (sums over
# the hosts; the delays of the last host)
run() {
  local n="$1" bld="$2" backend="$3" conns=$((${CONNECTIONS:-64} / $1)) i
  db_args "$backend"
  local vars=() pids=() aports=() tokens=() bps=()
  for i in $(seq "$n"); do
    local var; var="$(mktemp -d)"
    vars+=("$var")
    "$bld/bin/codestatsd" --set var_dir="$var" --set http.port=0 --set admin.port=0 --set log.level=warn \
      --set modules="${MODULES:-web,ingest,cache,channels}" "${dbset[@]}" >"$var/host.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do [ -f "$var/codestatsd.ports" ] && break; sleep 0.1; done
    aports+=("$(sed -E 's/.*"admin":([0-9]+).*/\1/' "$var/codestatsd.ports")")
    tokens+=("$(cat "$var/admin.token")")
  done
  for i in $(seq 0 $((n - 1))); do
    local port; port="$(sed -E 's/.*"http":([0-9]+).*/\1/' "${vars[$i]}/codestatsd.ports")"
    "$bld/bin/ingest_bench" --port "$port" --admin-port "${aports[$i]}" --admin-token "${tokens[$i]}" \
      --users $((1000 / n)) --connections "$conns" --seconds "$secs" --user-prefix "h${i}u" >"${vars[$i]}/bench.out" 2>&1 &
    bps+=($!)
  done
  sleep $((secs / 2 + 5))
  local c1=0 p1=0 c2=0 p2=0 g1 g2
  g1="$(pg_ticks)"
  for i in $(seq 0 $((n - 1))); do
    c1=$((c1 + $(cpu_ticks "${pids[$i]}"))) p1=$((p1 + $(pulses "${aports[$i]}" "${tokens[$i]}")))
  done
  sleep 4
  for i in $(seq 0 $((n - 1))); do
    c2=$((c2 + $(cpu_ticks "${pids[$i]}"))) p2=$((p2 + $(pulses "${aports[$i]}" "${tokens[$i]}")))
  done
  g2="$(pg_ticks)"
  for p in "${bps[@]}"; do wait "$p" || true; done
  sleep 1  # the readers catch up; the histogram counts every delivery
  local last=$((n - 1)) cdelay chdelay rate=0 p99=0
  cdelay="$(delay_p99 "${aports[$last]}" "${tokens[$last]}" cache)"
  chdelay="$(delay_p99 "${aports[$last]}" "${tokens[$last]}" channels)"
  for i in $(seq 0 $((n - 1))); do
    local line; line="$(grep -m1 '^pulses=' "${vars[$i]}/bench.out" || echo "pulses_per_s=0 p99_ms=0")"
    rate=$((rate + $(sed -E 's/.*pulses_per_s=([0-9]+).*/\1/' <<<"$line")))
    p99="$(sed -E 's/.*p99_ms=([0-9.]+).*/\1/' <<<"$line")"
    kill "${pids[$i]}" 2>/dev/null || true
  done
  for i in $(seq 0 $((n - 1))); do wait "${pids[$i]}" 2>/dev/null || true; rm -rf "${vars[$i]}"; done
  drop_schema
  local hz; hz="$(getconf CLK_TCK)"
  awk -v r="$rate" -v p="$p99" -v dc=$((c2 - c1)) -v dp=$((p2 - p1)) -v hz="$hz" -v cd="$cdelay" -v chd="$chdelay" \
    -v dg=$((g2 - g1)) 'BEGIN { if (dp <= 0) dp = 1; printf "%d %s %.1f %s %s %.1f\n", r, p, dc / hz * 1e6 / dp, cd, chd,
    dg / hz * 1e6 / dp }'
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"; [[ " $backends " != *" postgres "* ]] || pgtest_stop' EXIT
echo "load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for backend in $backends; do
  echo "== one host, $backend: run side pulses/s p99_ms host_cpu_us/pulse delay_p99_s(cache) delay_p99_s(channels) pg_cpu_us/pulse load"
  for r in $(seq "$rounds"); do
    for side in base log; do
      if [ "$side" = base ]; then out="$(run 1 "$base" "$backend")"; else out="$(run 1 "$build" "$backend")"; fi
      echo "$out" >>"$tmp/$backend.$side"
      echo "$r $side $out $(cut -d' ' -f1 /proc/loadavg)"
    done
  done
  for side in base log; do
    f="$tmp/$backend.$side"
    echo "median $backend $side: pulses/s $(cut -d' ' -f1 "$f" | median)  p99 $(cut -d' ' -f2 "$f" | median) ms" \
      " host CPU $(cut -d' ' -f3 "$f" | median) us/pulse  PostgreSQL CPU $(cut -d' ' -f6 "$f" | median) us/pulse"
  done
done
if [[ " $backends " == *" postgres "* ]] && [ "${TWO_HOSTS:-1}" = 1 ]; then
  echo "== two hosts on one PostgreSQL: run pulses/s(total) p99_ms host_cpu_us/pulse(both) delay_p99_s(cache, host 2) delay_p99_s(channels, host 2) pg_cpu_us/pulse load"
  for r in $(seq "$rounds"); do
    out="$(run 2 "$build" postgres)"
    echo "$out" >>"$tmp/two"
    echo "$r two $out $(cut -d' ' -f1 /proc/loadavg)"
  done
  echo "median two hosts: pulses/s $(cut -d' ' -f1 "$tmp/two" | median)  host CPU $(cut -d' ' -f3 "$tmp/two" | median) us/pulse"
fi
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
