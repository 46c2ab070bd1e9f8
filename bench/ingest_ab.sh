#!/usr/bin/env bash
# SQLite ingest, two builds (or two settings) interleaved: on this 2-core VM the same binary
# measures up to 30% apart from one minute to the next (bench/README.md, ingest "Round 4"),
# so a change is judged by ROUNDS interleaved A/B pairs and their medians, not by two runs.
# Each run: codestatsd --set modules=web,ingest on a fresh SQLite database (synchronous=FULL)
# and ingest_bench with 64 keep-alive connections for SECONDS; after SECONDS/2 + 1 s it takes
# 4 s of the host's CPU time (/proc/PID/stat), its context switches (all its threads'
# /proc/PID/task/*/status) and the pulses counted meanwhile. Prints per run and the medians:
# pulses/s, p99, host CPU per pulse (us), context switches per pulse.
#   BUILD_A=DIR BUILD_B=DIR [ARGS_A="--set k=v ..."] [ARGS_B=...] [ENV_A="K=V ..."] [ENV_B=...]
#     bench/ingest_ab.sh [ROUNDS] [SECONDS]
# ENV_A/ENV_B go to the host's environment only (e.g. LD_PRELOAD of another allocator).
# BUILD_A/BUILD_B default to build/; e.g. A = a worktree of main, B = yours; or one build
# with ARGS_A/ARGS_B comparing two settings.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}" secs="${2:-10}"
build_a="${BUILD_A:-build}" build_b="${BUILD_B:-build}"
for b in "$build_a" "$build_b"; do cmake --build "$b" --target ingest_bench >/dev/null; done  # not in the default build

switches() {  # PID -> voluntary + involuntary context switches of all its threads
  cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {s += $2} END {print s + 0}'
}
cpu_ticks() { awk '{print $14 + $15}' /proc/"$1"/stat; }

one_run() {  # BUILD "ARGS" "ENV" -> prints "pulses_per_s p99_ms cpu_us_per_pulse switches_per_pulse"
  local build="$1" args="$2" hostenv="${3:-}" var
  var="$(mktemp -d)"
  # shellcheck disable=SC2086  # ARGS are whitespace-separated --set pairs on purpose
  env $hostenv "$build/bin/codestatsd" --set var_dir="$var" --set http.port=0 --set admin.port=0 --set log.level=warn \
    --set modules=web,ingest $args >"$var/host.log" 2>&1 &
  local pid=$!
  for _ in $(seq 100); do [ -f "$var/codestatsd.ports" ] && break; sleep 0.1; done
  local port aport atoken
  port="$(sed -E 's/.*"http":([0-9]+).*/\1/' "$var/codestatsd.ports")"
  aport="$(sed -E 's/.*"admin":([0-9]+).*/\1/' "$var/codestatsd.ports")"
  atoken="$(cat "$var/admin.token")"
  "$build/bin/ingest_bench" --port "$port" --admin-port "$aport" --admin-token "$atoken" \
    --users 1000 --connections 64 --seconds "$secs" >"$var/bench.out" 2>&1 &
  local bp=$!
  # ingest_bench first creates the users (~2 s) and warms up for 2 s.
  sleep $((secs / 2 + 5))
  local c1 s1 p1 c2 s2 p2
  c1="$(cpu_ticks "$pid")" s1="$(switches "$pid")" p1="$(pulses "$aport" "$atoken")"
  sleep 4
  c2="$(cpu_ticks "$pid")" s2="$(switches "$pid")" p2="$(pulses "$aport" "$atoken")"
  wait "$bp" || true
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local line
  line="$(grep -m1 '^pulses=' "$var/bench.out" || echo "pulses=0 pulses_per_s=0 p99_ms=0")"
  rm -rf "$var"
  local hz; hz="$(getconf CLK_TCK)"
  awk -v l="$line" -v dc=$((c2 - c1)) -v ds=$((s2 - s1)) -v dp=$((p2 - p1)) -v hz="$hz" 'BEGIN {
    n = split(l, f, " "); for (i = 1; i <= n; i++) { split(f[i], kv, "="); v[kv[1]] = kv[2] }
    if (dp <= 0) dp = 1
    printf "%d %.2f %.1f %.2f\n", v["pulses_per_s"], v["p99_ms"], dc / hz * 1e6 / dp, ds / dp }'
}

pulses() {  # ADMIN_PORT TOKEN -> the ingest module's pulse counter
  curl -s -H "Authorization: Bearer $2" "http://127.0.0.1:$1/metrics" |
    awk '/^codestats_module_counter_total\{/ && /module="ingest"/ && /counter="pulses"/ {print $NF; f = 1; exit}
         END {if (!f) print 0}'
}

median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

: >"${TMPDIR:-/tmp}/ingest_ab.$$.a"; : >"${TMPDIR:-/tmp}/ingest_ab.$$.b"
trap 'rm -f "${TMPDIR:-/tmp}/ingest_ab.$$."*' EXIT
echo "run  side  pulses/s  p99_ms  host_cpu_us/pulse  switches/pulse  load"
for r in $(seq "$rounds"); do
  for side in a b; do
    if [ "$side" = a ]; then out="$(one_run "$build_a" "${ARGS_A:-}" "${ENV_A:-}")"
    else out="$(one_run "$build_b" "${ARGS_B:-}" "${ENV_B:-}")"; fi
    echo "$out" >>"${TMPDIR:-/tmp}/ingest_ab.$$.$side"
    printf '%-4s %-5s %s  %s\n' "$r" "$side" "$out" "$(cut -d' ' -f1 /proc/loadavg)"
  done
done
for side in a b; do
  f="${TMPDIR:-/tmp}/ingest_ab.$$.$side"
  printf 'median %s: pulses/s %s  p99 %s ms  host CPU %s us/pulse  %s switches/pulse\n' "$side" \
    "$(cut -d' ' -f1 "$f" | median)" "$(cut -d' ' -f2 "$f" | median)" \
    "$(cut -d' ' -f3 "$f" | median)" "$(cut -d' ' -f4 "$f" | median)"
done
